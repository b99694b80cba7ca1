//! What the compiler offers that the runtime can use, probed (the crate
//! builds from its minimum Rust version on).

fn main() {
    let ac = autocfg::new();
    // `std::hint::cold_path` (Rust 1.95): lays the path that records a call
    // apart from an instrumented function's own code, also once inlined.
    autocfg::emit_possibility("inprof_cold_path");
    if ac.probe_path("std::hint::cold_path") {
        autocfg::emit("inprof_cold_path");
    }
    // Architectures whose `asm!` the slots' optimizer barrier uses
    // (engine/slab.rs: `opaque`); elsewhere it is `black_box`.
    autocfg::emit_possibility("inprof_asm_barrier");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if matches!(
        arch.as_str(),
        "x86_64" | "x86" | "aarch64" | "arm" | "riscv64" | "riscv32" | "loongarch64"
    ) {
        autocfg::emit("inprof_asm_barrier");
    }
    autocfg::rerun_path("build.rs");
}
