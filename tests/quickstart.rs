//! The README's main example: `increase2000` flat ≈ 2 × `increase1000` flat,
//! each with flat ≈ cum, and `increase_int` with small flat and large cum,
//! as `go tool pprof -top` reads the file the example writes.

mod common;
use common::*;
use std::process::Command;

#[test]
fn quickstart_profile_reads_right_in_pprof() {
    // Cargo builds examples for `cargo test`, next to the test binaries.
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("quickstart");
    assert!(bin.exists(), "{} not built", bin.display());
    let dir = tmpdir("quickstart");
    let file = dir.join("cpu.pb.gz");
    // Timing ratios are checked on optimized builds only, with the
    // example's own release workload (0.5 s per thread on the Intel VM
    // of 2026-12-05): a short debug run is dominated by noise (CI once
    // saw 1.54 for 2).
    let rounds = if cfg!(debug_assertions) { 300 } else { 5_000 };
    let out = Command::new(&bin)
        .arg(&file)
        .arg(rounds.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("quickstart::increase2000"), "{printed}");

    // The example writes its profile with inprof::create_private_file:
    // readable by this user only.
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600, "cpu.pb.gz readable by others");
    raw(&file);
    // Exact wall time per call path.
    let rows = top(&file, &["-sample_index=wall"]);
    let i1 = row(&rows, "quickstart::increase1000");
    let i2 = row(&rows, "quickstart::increase2000");
    let ii = row(&rows, "quickstart::increase_int");
    if !cfg!(debug_assertions) {
        assert_near("increase2000 / increase1000", i2.flat / i1.flat, 2.0, 0.10);
    }
    assert_near("increase1000 flat vs cum", i1.flat, i1.cum, 0.001);
    assert_near("increase2000 flat vs cum", i2.flat, i2.cum, 0.001);
    assert!(
        ii.flat < 0.05 * ii.cum,
        "increase_int flat {} not small vs cum {}",
        ii.flat,
        ii.cum
    );
    assert_near("increase_int cum", ii.cum, i1.cum + i2.cum + ii.flat, 0.001);
    let calls = top(&file, &["-sample_index=calls"]);
    assert_eq!(
        row(&calls, "quickstart::increase1000").flat,
        2.0 * rounds as f64
    );
    assert_eq!(row(&calls, "quickstart::increase_int").flat, 2.0);
    // Sampled CPU (the default): both threads busy in increase_int, so
    // its CPU is near its wall (two threads on two cores; loose: other
    // processes share the machine).
    let cpu = top(&file, &[]);
    let ci = row(&cpu, "quickstart::increase_int");
    if !cfg!(debug_assertions) {
        assert!(
            ci.cum > 0.6 * ii.cum && ci.cum < 1.1 * ii.cum,
            "increase_int cpu {} vs wall {}",
            ci.cum,
            ii.cum
        );
    }
    let tags = pprof(&["-tags"], &file);
    assert!(tags.contains("worker") && tags.contains("main"), "{tags}");
}
