//! Other readers of pprof open what we write: npm's `pprof-format`
//! decodes a time, a heap and a mutex profile of ours (sample types,
//! default, function names), and speedscope imports each in headless
//! Chromium and lists our functions. Screenshots: target/speedscope-*.png.

#[path = "../../tests/common/mod.rs"]
mod common;
use common::*;
use std::process::Command;
use std::time::Duration;

#[path = "support/profiles.rs"]
mod profiles;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn busy() -> u64 {
    let t = std::time::Instant::now();
    let mut x = 0u64;
    while t.elapsed() < Duration::from_millis(50) {
        x = std::hint::black_box(x.wrapping_add(1));
    }
    x
}

#[test]
fn pprof_format_and_speedscope_open_our_profiles() {
    let dir = tmpdir("npm-readers");
    let ([time, heap, mutex], kept) = profiles::time_heap_mutex(&dir, || {
        busy();
    });
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/web");
    // The mutex profile names no default, as Go writes it (pprof's rule:
    // the last type).
    for (file, func, types, default, name) in [
        (&time, "npm_readers::busy", "\"samples/count\",\"cpu/nanoseconds\",\"calls/count\",\"wall/nanoseconds\"", "cpu", "time"),
        (&heap, "npm_readers::profiles::keeper", "\"alloc_objects/count\",\"alloc_space/bytes\",\"inuse_objects/count\",\"inuse_space/bytes\"", "inuse_space", "heap"),
        (&mutex, "npm_readers::profiles::holder", "\"contentions/count\",\"delay/nanoseconds\"", "", "mutex"),
    ] {
        let shot = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../target/speedscope-{name}.png"));
        let out = Command::new("node")
            .arg(format!("{web}/readers.js"))
            .args([file.to_str().unwrap(), func, shot.to_str().unwrap()])
            .env("NODE_PATH", format!("{web}/node_modules"))
            .output()
            .expect("node not found: see .ci/run (npm install in cli/tests/web)");
        let json = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {}{json}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(json.contains(types), "{name}: {json}");
        assert!(json.contains(&format!("\"default\":\"{default}\"")), "{name}: {json}");
        assert!(json.contains("\"pprof_format_has_fn\":true"), "{name}: {json}");
        assert!(json.contains("\"speedscope_has_fn\":true"), "{name}: {json}");
        assert!(json.contains("Importing as protobuf encoded pprof file"), "{name}: {json}");
    }
    drop(kept);
}
