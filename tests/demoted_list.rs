//! The compile-out flow a user sets up once: `INPROF_DEMOTED` in
//! `.cargo/config.toml` (`[env]`, relative to it). The first build creates
//! the list empty (so that cargo tracks it), the first run writes what it
//! demoted, the next build compiles those functions without
//! instrumentation (the profile, read with `go tool pprof`, no longer has
//! them, and nothing is demoted), and the build after that is fresh.
//! Builds a small crate with cargo, optimized: the first time it takes a
//! minute or two (its own target directory, kept between runs).
#![cfg(target_os = "linux")]

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

const MAIN: &str = r#"
#[inprof::profile]
fn tiny(x: u64) -> u64 {
    x.wrapping_mul(3) ^ 1
}

#[inprof::profile]
fn parent() -> u64 {
    let mut s = 0u64;
    for i in 0..2_000_000u64 {
        s = tiny(std::hint::black_box(s.wrapping_add(i)));
    }
    s
}

fn main() {
    let file = std::fs::File::create("cpu.pb.gz").unwrap();
    let guard = inprof::start_cpu_profile(file).unwrap();
    let s = parent();
    guard.stop().unwrap();
    let demoted: Vec<String> = inprof::demoted().into_iter().map(|d| d.name.to_owned()).collect();
    println!("result {s} demoted {demoted:?}");
}
"#;

/// `cargo run --release` in `dir`: (stdout, stderr).
fn cargo_run(dir: &Path) -> (String, String) {
    let out = Command::new(env!("CARGO"))
        .args(["run", "--release"])
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("demoted-flow"),
        )
        .env_remove("RUSTFLAGS")
        .env_remove("INPROF_DEMOTED")
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{o}{e}");
    (o, e)
}

#[test]
fn a_demoted_list_set_in_cargo_config_compiles_out_what_a_run_demoted() {
    let dir = tmpdir("demoted-flow");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"demoted-flow\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             [dependencies]\ninprof = {{ path = {root:?} }}\n[workspace]\n"
        ),
    )
    .unwrap();
    // The versions this workspace builds with (no resolution, no fetch).
    std::fs::copy(Path::new(root).join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        "[env]\nINPROF_DEMOTED = { value = \"demoted.txt\", relative = true }\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
    let list = dir.join("demoted.txt");
    let cpu = dir.join("cpu.pb.gz");

    // First build and run: `tiny` (a few ns a call) is demoted, and the
    // run adds it to the list the build created.
    let (first, _) = cargo_run(&dir);
    assert!(
        first.contains("demoted [\"demoted_flow::tiny\"]"),
        "{first}"
    );
    let text = std::fs::read_to_string(&list).unwrap();
    assert!(text.contains("demoted_flow::tiny"), "{text}");
    assert!(!text.contains("demoted_flow::parent"), "{text}");
    let calls = top(&cpu, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "demoted_flow::parent").flat, 1.0);
    assert!(row(&calls, "demoted_flow::tiny").flat >= 1.0, "{calls:?}");

    // The next build sees the list changed and compiles `tiny` out: the
    // same result, `tiny` in no profile, nothing demoted.
    let (second, err) = cargo_run(&dir);
    assert!(err.contains("Compiling demoted-flow"), "{err}");
    let result = |s: &str| s.split(" demoted").next().unwrap_or("").to_owned();
    assert_eq!(result(&second), result(&first));
    assert!(second.contains("demoted []"), "{second}");
    let calls = top(&cpu, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "demoted_flow::parent").flat, 1.0);
    assert!(!calls.iter().any(|r| r.name.contains("tiny")), "{calls:?}");
    // The profile says what was compiled out, where `-top` shows it.
    let shown = pprof(&["-top"], &cpu);
    assert!(
        shown.contains("inprof: 1 functions compiled without instrumentation")
            && shown.contains("inprof: compiled out demoted_flow::tiny (")
            && !shown.contains("compiled out demoted_flow::parent"),
        "{shown}"
    );

    // Nothing changed since: no rebuild, and the list stays as it was.
    let (_, err) = cargo_run(&dir);
    assert!(!err.contains("Compiling demoted-flow"), "{err}");
    assert_eq!(std::fs::read_to_string(&list).unwrap(), text);
    let _ = std::fs::remove_dir_all(&dir);
}
