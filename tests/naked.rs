//! A naked function (`#[unsafe(naked)]`, Rust 1.88) in an instrumented
//! impl block or trait is left exactly as written: its body is one
//! `naked_asm!`, and rustc refuses anything beside it (E0787) and most
//! attributes on it (E0736). The other methods are instrumented as ever.
//! `#[inprof::profile]` on a naked function itself is an error
//! (tests/ui/fail/naked_fn.rs).
#![cfg(target_arch = "x86_64")]

mod common;
use common::*;
use std::time::{Duration, Instant};

struct Asm;

#[inprof::profile]
impl Asm {
    #[unsafe(naked)]
    extern "sysv64" fn seven() -> u64 {
        core::arch::naked_asm!("mov rax, 7", "ret")
    }

    fn spun(&self) -> u64 {
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(5) {
            std::hint::spin_loop();
        }
        Self::seven()
    }
}

trait Answer {
    fn answer(&self) -> u64;
}

#[inprof::profile]
trait Forty: Answer {
    #[unsafe(naked)]
    extern "sysv64" fn forty() -> u64 {
        core::arch::naked_asm!("mov rax, 40", "ret")
    }

    fn forty_two(&self) -> u64 {
        Self::forty() + self.answer()
    }
}

impl Answer for Asm {
    fn answer(&self) -> u64 {
        2
    }
}
impl Forty for Asm {}

#[test]
fn naked_methods_as_written_the_others_instrumented() {
    let dir = tmpdir("naked");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let (sum, spun_ns) = measure(|| (0..3).map(|_| Asm.spun()).sum::<u64>());
    let answers: u64 = (0..4).map(|_| Asm.forty_two()).sum();
    g.stop().unwrap();
    assert_eq!((sum, answers), (21, 168));

    let wall = top(&file, &["-sample_index=wall"]);
    let calls = top(&file, &["-sample_index=calls"]);
    let spun = "naked::Asm::spun";
    assert_eq!(row(&calls, spun).flat, 3.0, "{calls:#?}");
    assert_measured("Asm::spun", row(&wall, spun).flat, spun_ns, 15.0);
    assert_eq!(
        row(&calls, "<naked::Asm as naked::Forty>::forty_two").flat,
        4.0,
        "{calls:#?}"
    );
    for name in ["seven", "forty"] {
        assert!(
            !calls.iter().any(|r| r.name.ends_with(&format!("::{name}"))),
            "{name} is naked, left as written: {calls:#?}"
        );
    }
}
