// The same on a method `#[profile]` names itself in an impl block (one
// the impl's attribute alone leaves as written: tests/naked.rs).
struct S;

#[inprof::profile]
impl S {
    #[profile]
    #[unsafe(naked)]
    extern "sysv64" fn seven() -> u64 {
        core::arch::naked_asm!("mov rax, 7", "ret")
    }
}

fn main() {
    let _ = S::seven();
}
