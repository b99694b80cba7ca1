//! The web UI in a real headless Chromium (Debian's `chromium`, driven by
//! playwright-core from cli/tests/web) on a time, a heap and a mutex
//! profile: the page says which sample type it shows and switches to
//! another, a focus applies to the views, the call graph's nodes open
//! their peek, the source view lists the function's lines, the flame and
//! icicle graphs load. Screenshots are kept as target/web-ui-*.png.

#[path = "../../tests/common/mod.rs"]
mod common;
use common::*;
use std::process::Command;
use std::time::Duration;

#[path = "support/profiles.rs"]
mod profiles;
#[path = "support/web.rs"]
mod web;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn hot(n: u64) -> u64 {
    (0..n).map(|i| std::hint::black_box(i ^ 5)).sum()
}

/// Long enough for CPU samples (the time profile's default) in any build.
#[inprof::profile]
fn caller_of_hot() -> u64 {
    let t = std::time::Instant::now();
    let mut sum = 0;
    while t.elapsed() < Duration::from_millis(300) {
        sum += hot(2_000_000);
    }
    sum
}

/// Serves `file` with `inprof web` and drives the UI; the script's JSON.
fn drive(file: &std::path::Path, func: &str, other: &str, name: &str) -> String {
    // As on a desktop: the browser is given the page `inprof web` wrote,
    // which leads on to the URL with the token (a navigation from a
    // file, another site, as when the user's browser opens it).
    let scratch = file.with_extension(format!("{name}-open"));
    let _ = std::fs::remove_dir_all(&scratch);
    let opened = web::serve_opened(file, &scratch);
    let (server, url) = (opened.server, format!("file://{}", opened.arg));
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/web");
    let prefix =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/web-ui-{name}"));
    let out = Command::new("node")
        .arg(format!("{web}/ui.js"))
        .args([&url, func, other, prefix.to_str().unwrap()])
        .env("NODE_PATH", format!("{web}/node_modules"))
        .output()
        .expect(
            "node not found: see .ci/run (npm install in cli/tests/web, apt-get install chromium)",
        );
    drop(server);
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        out.status.success(),
        "headless chromium failed on the {name} profile (run `npm install --prefix cli/tests/web` and install chromium): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let k = format!("\"{key}\":");
    let at = json
        .find(&k)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + k.len();
    let rest = &json[at..];
    if let Some(s) = rest.strip_prefix('"') {
        let end = s.find("\",\"").or_else(|| s.find("\"}")).unwrap_or(s.len());
        &s[..end]
    } else {
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        &rest[..end]
    }
}

#[test]
fn web_ui_in_headless_chromium() {
    let dir = tmpdir("web");
    let ([time, heap, mutex], kept) = profiles::time_heap_mutex(&dir, || {
        caller_of_hot();
    });

    for (file, func, default, other, name) in [
        (&time, "web_ui::hot", "cpu", "wall", "time"),
        (
            &heap,
            "web_ui::profiles::keeper",
            "inuse_space",
            "alloc_objects",
            "heap",
        ),
        (
            &mutex,
            "web_ui::profiles::holder",
            "delay",
            "contentions",
            "mutex",
        ),
    ] {
        let json = drive(file, func, other, name);
        // Entered by the page, then the URL with the token; the token is
        // then in a cookie, out of the address bar, and every view below
        // loads.
        let entered = field(&json, "entered");
        assert!(
            entered.starts_with("http://127.0.0.1:") && entered.ends_with('/'),
            "{name}: {json}"
        );
        // It says what it shows: the default, then the one switched to.
        assert!(field(&json, "shown").starts_with(default), "{name}: {json}");
        assert!(field(&json, "summary").contains(default), "{name}: {json}");
        assert!(
            field(&json, "other_summary").contains(other),
            "{name}: {json}"
        );
        // The focus keeps only the function's stacks.
        let focused: usize = field(&json, "focused_rows").parse().unwrap();
        assert!(focused >= 1, "{name}: {json}");
        assert!(
            field(&json, "graph_nodes").parse::<usize>().unwrap() >= 1,
            "{name}: {json}"
        );
        assert_eq!(
            field(&json, "clicked_node"),
            "true",
            "{name}: a graph node is a link: {json}"
        );
        assert!(field(&json, "peek").contains(func), "{name}: {json}");
        assert!(field(&json, "source").contains("ROUTINE"), "{name}: {json}");
        assert!(field(&json, "source").contains(func), "{name}: {json}");
        assert_eq!(field(&json, "flame"), "200 svg", "{name}: {json}");
        assert_eq!(field(&json, "icicle"), "200 svg", "{name}: {json}");
    }
    drop(kept);
}
