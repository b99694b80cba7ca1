//! Without frame pointers the sampler still gives the interrupted PC's
//! function below the annotated path: tests/nofp built with
//! `-C force-frame-pointers=no`, its CPU profile read by `go tool pprof`.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::process::Command;

#[test]
fn pc_function_appears_without_frame_pointers() {
    let (mut cargo, target) = sub_crate(&["build", "--release", "--quiet"], "nofp", "nofp-check");
    run_ok(
        cargo
            // Overrides the workspace's build.rustflags (frame pointers on).
            .env("RUSTFLAGS", "-C force-frame-pointers=no")
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
        "the nofp build",
    );
    let dir = tmpdir("nofp");
    let file = dir.join("cpu.pb.gz");
    let run = Command::new(target.join("release/inprof-nofp-check"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let cpu = top(&file, &[]);
    let caller = row(&cpu, "inprof_nofp_check::annotated_caller");
    let helper = row(&cpu, "inprof_nofp_check::helper_without_frame_pointers");
    assert!(caller.cum > 0.2e9, "{cpu:#?}");
    assert!(helper.cum >= 0.8 * caller.cum, "{cpu:#?}");
}
