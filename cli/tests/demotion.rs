//! `inprof top` shows what `go tool pprof -top` shows of a demoted
//! function: the profile's comments naming it.

use std::process::Command;

#[inprof::profile]
#[inline(never)]
fn tiny(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_add(1)
}

#[test]
fn inprof_top_shows_demoted_functions() {
    let dir = std::env::temp_dir().join(format!("inprof-demotion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("time.pb.gz");
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let x = (0..10_000).fold(0, |a, _| tiny(a));
    guard.stop().unwrap();
    std::hint::black_box(x);
    let out = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(["top", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("inprof: demoted demotion::tiny (after 256 calls"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
