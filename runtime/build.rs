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
    autocfg::rerun_path("build.rs");
}
