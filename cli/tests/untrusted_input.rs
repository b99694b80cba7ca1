//! Profiles are untrusted input: a gzip bomb, a file that is not a profile
//! and strings that are not UTF-8 each give one clear line (or a lossy
//! name), in bounded memory.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("inprof-untrusted-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the CLI with its address space capped at 1 GiB: a reader that
/// tried to hold a bomb's contents would fail to allocate, not pass.
fn inprof(args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inprof"));
    cmd.args(args);
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// 2 GiB of zeros, gzipped by the system's gzip (about 2 MiB).
fn bomb(path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    let status = Command::new("sh")
        .args(["-c", "head -c 2147483648 /dev/zero | gzip -1"])
        .stdout(f)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_gzip_bomb_is_refused_in_bounded_memory() {
    let d = scratch("bomb");
    let f = d.join("bomb.pb.gz");
    bomb(&f);
    assert!(std::fs::metadata(&f).unwrap().len() > 1 << 20);
    let (ok, _, err) = inprof(&["top", f.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("once decompressed") && err.contains("--max-bytes"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_file_that_is_not_a_profile_gives_one_line() {
    for f in ["/etc/passwd", "/bin/sh"] {
        let (ok, _, err) = inprof(&["top", f]);
        assert!(!ok, "{f}");
        assert_eq!(err.lines().count(), 1, "{f}: {err}");
        assert!(err.contains("not a pprof profile"), "{f}: {err}");
    }
    // Larger than the limit: refused before it is read whole.
    let d = scratch("big");
    let big = d.join("big.pb");
    std::fs::File::create(&big)
        .unwrap()
        .write_all(&vec![0u8; 2 << 20])
        .unwrap();
    let (ok, _, err) = inprof(&["--max-bytes", "1048576", "top", big.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("larger than 1048576 bytes"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn strings_that_are_not_utf8_are_read_lossily() {
    use inprof_runtime::pprof::{Builder, LabelValue};
    let mut b = Builder::new(&[("samples", "count")], ("samples", "count"), 1, None);
    let loc = b.location(
        1,
        inprof_runtime::pprof::Frame {
            name: "caf\u{e9}_MARK",
            file: "f.rs",
            line: 1,
        },
    );
    b.sample(vec![loc], vec![7], &[] as &[(&str, LabelValue<'_>)]);
    let p = b.finish(0, 0);
    let mut bytes = prost::Message::encode_to_vec(&p);
    // Turn the UTF-8 "é" (C3 A9) of the name into a lone 0xE9 byte plus a
    // filler, so that the string is no longer UTF-8 (same length).
    let i = bytes
        .windows(2)
        .position(|w| w == [0xC3, 0xA9])
        .expect("the name's bytes");
    bytes[i] = 0xE9;
    bytes[i + 1] = b'_';
    let d = scratch("utf8");
    let f = d.join("bad.pb");
    std::fs::write(&f, &bytes).unwrap();
    let (ok, out, err) = inprof(&["top", f.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("caf\u{fffd}__MARK"), "{out}");
    let _ = std::fs::remove_dir_all(&d);
}
