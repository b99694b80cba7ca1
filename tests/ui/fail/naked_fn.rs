// A naked function's body is one `naked_asm!`: nothing to time.
#[inprof::profile]
#[unsafe(naked)]
extern "sysv64" fn forty_two() -> u64 {
    core::arch::naked_asm!("mov rax, 42", "ret")
}

fn main() {
    let _ = forty_two();
}
