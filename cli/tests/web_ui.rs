//! The web UI in a real headless Chromium (Debian's `chromium`, driven by
//! playwright-core from cli/tests/web): the page loads, shows the top
//! function first, and clicking a function shows its callers. The
//! screenshot is kept as target/web-ui.png.

#[path = "../../tests/common/mod.rs"]
mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[inprof::profile]
fn hot(n: u64) -> u64 {
    (0..n).map(|i| std::hint::black_box(i ^ 5)).sum()
}

#[inprof::profile]
fn caller_of_hot() -> u64 {
    hot(2_000_000)
}

#[test]
fn web_ui_in_headless_chromium() {
    let dir = tmpdir("web");
    let file = dir.join("cpu.pb.gz");
    let g = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    caller_of_hot();
    g.stop().unwrap();

    let mut server = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args([
            "web",
            file.to_str().unwrap(),
            "--port",
            "0",
            "--sample-index=wall",
            "--no-browser",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();

    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/web");
    let shot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/web-ui.png");
    let out = Command::new("node")
        .arg(format!("{web}/click.js"))
        .args([&url, "web_ui::hot", shot.to_str().unwrap()])
        .env("NODE_PATH", format!("{web}/node_modules"))
        .output()
        .expect(
            "node not found: see .ci/run (npm install in cli/tests/web, apt-get install chromium)",
        );
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "headless chromium failed (run `npm install --prefix cli/tests/web` and install chromium): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = String::from_utf8_lossy(&out.stdout);
    assert!(
        res.contains("\"first\":\"web_ui::hot\""),
        "top function not first: {res}"
    );
    assert!(
        res.contains("web_ui::caller_of_hot"),
        "callers not shown after the click: {res}"
    );
    assert!(shot.exists());
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "screenshot too small"
    );
}
