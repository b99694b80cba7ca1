//! Profiles are untrusted input: a gzip bomb, a file that is not a profile
//! and strings that are not UTF-8 each give one clear line (or a lossy
//! name), in bounded memory; names that are DOT syntax stay text in the
//! call graph, drawn or served.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../tests/common/mod.rs"]
mod common;

#[path = "support/web.rs"]
mod web;

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
    let mut bytes = p.encode();
    // Turn the UTF-8 "é" (C3 A9) of the name into a lone 0xE9 byte plus a
    // filler, so that the string is no longer UTF-8 (same length).
    // (Found by the whole name: the pair alone may also be in a varint
    // of the mapping's addresses, which move with ASLR.)
    let name = "caf\u{e9}_MARK".as_bytes();
    let i = bytes
        .windows(name.len())
        .position(|w| w == name)
        .expect("the name's bytes")
        + 3;
    assert_eq!(bytes[i..i + 2], [0xC3, 0xA9]);
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

/// The `dot` of the system (graphviz), as `inprof graph x.svg` runs it.
fn dot_svg(dot: &str) -> String {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("graphviz's dot (.ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot refused the graph: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn names_in_a_call_graph_stay_text_and_inject_nothing() {
    use inprof_runtime::pprof::{Builder, Frame, LabelValue};
    // Three names that, escaped as quotes alone (not backslashes), close
    // the first node's tooltip early, add a `URL` to that node (a link
    // the web UI would show, run on a click), open a string the third
    // closes and comment out the rest of its line: graphviz then drew a
    // `javascript:` link. The last also carries DOT's own escapes (`\N`,
    // `\l`), which must print as written, and the label value a
    // backslash, quotes and a newline.
    let names = [
        "evil::a\\",
        " URL=<javascript:alert(1)> z=<",
        ">>];// \\N\\l \"q\"",
    ];
    let mut b = Builder::new(&[("samples", "count")], ("samples", "count"), 1, None);
    for (i, name) in names.iter().enumerate() {
        let loc = b.location(
            i as u64 + 1,
            Frame {
                name,
                file: "f.rs",
                line: 1,
            },
        );
        // Flat 300, 200, 100: the nodes come in this order.
        b.sample(
            vec![loc],
            vec![300 - 100 * i as i64],
            &[("tag", LabelValue::Str("C:\\new \"dir\"\nline 2"))],
        );
    }
    let d = scratch("dot");
    let f = d.join("names.pb.gz");
    b.finish(0, 0)
        .write_gzip(std::fs::File::create(&f).unwrap())
        .unwrap();
    let (ok, dot, err) = inprof(&["graph", f.to_str().unwrap()]);
    assert!(ok, "{err}");
    let svg = dot_svg(&dot);
    // No link (graphviz writes a node's URL as `xlink:href`), and the
    // names' text is all there is of them.
    assert!(!svg.contains("href"), "{svg}");
    assert!(!svg.contains("javascript:alert(1)\""), "{svg}");
    // The legend, the three functions, and under each its label value.
    let nodes = svg.matches("class=\"node\"").count();
    assert_eq!(nodes, 7, "{svg}");
    // Each name and the label value as written (XML-escaped by graphviz;
    // the newline starts a new text line).
    for text in [
        "evil::a\\",
        " URL=&lt;javascript:alert(1)&gt; z=&lt;",
        "&gt;&gt;];// \\N\\l &quot;q&quot;",
        "tag:C:\\new &quot;dir&quot;",
        ">line 2<",
    ] {
        assert!(svg.contains(text), "{text} not in\n{svg}");
    }

    // `inprof web`'s graph, whose nodes link to their peek view: those
    // three links and no other, the search's match outlined.
    let (server, url) = web::serve(&f);
    let (addr, token) = web::parts(&url);
    let reply = web::get(
        &addr,
        &addr,
        "/view/graph.svg?search=evil",
        &[format!("Authorization: Bearer {token}")],
    );
    drop(server);
    assert_eq!(reply.split_whitespace().nth(1), Some("200"), "{reply}");
    // (graphviz 2.43 writes the `&` of a URL as it is, later ones as
    // `&amp;`.)
    let links: Vec<String> = reply
        .split("xlink:href=\"")
        .skip(1)
        .map(|r| r[..r.find('"').unwrap()].replace("&amp;", "&"))
        .collect();
    assert_eq!(links.len(), 3, "{reply}");
    assert!(
        links.iter().all(|l| l.starts_with("#view=peek&fn=")),
        "{links:?}"
    );
    assert!(
        links.iter().any(|l| l == "#view=peek&fn=evil%3A%3Aa%5C"),
        "{links:?}"
    );
    assert_eq!(reply.matches("stroke=\"#1f5fbf\"").count(), 1, "{reply}");
    assert_eq!(reply.matches("class=\"node\"").count(), 7, "{reply}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn source_files_a_profile_names_are_read_only_if_regular_and_bounded() {
    use inprof_runtime::pprof::{Builder, Frame, LabelValue};
    let d = scratch("source");
    // A FIFO nobody writes to (opening or reading it would wait forever),
    // an endless device, a directory, and a real file; the last line
    // number as large as a line number can be.
    let fifo = d.join("fifo.rs");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let real = d.join("real.rs");
    std::fs::write(&real, "fn one() {}\nfn two() {}\n").unwrap();
    let files = [
        ("src_fifo", fifo.to_str().unwrap().to_owned(), 1),
        ("src_zero", "/dev/zero".to_owned(), 1),
        ("src_dir", d.to_str().unwrap().to_owned(), 1),
        ("src_real", real.to_str().unwrap().to_owned(), 2),
        ("src_huge_line", real.to_str().unwrap().to_owned(), 1),
    ];
    let mut b = Builder::new(&[("samples", "count")], ("samples", "count"), 1, None);
    let mut last = 0;
    for (i, (name, file, line)) in files.iter().enumerate() {
        last = b.location(
            i as u64 + 1,
            Frame {
                name,
                file,
                line: *line,
            },
        );
        b.sample(vec![last], vec![10], &[] as &[(&str, LabelValue<'_>)]);
    }
    let mut p = b.finish(0, 0);
    // Line i64::MAX (a Frame holds a u32): the lines shown after it must
    // not overflow.
    for l in p.location.iter_mut().filter(|l| l.id == last) {
        l.line[0].line = i64::MAX;
    }
    let f = d.join("sources.pb.gz");
    p.write_gzip(std::fs::File::create(&f).unwrap()).unwrap();
    // In a child with a deadline: a reader that waited on the FIFO would
    // never finish.
    let mut child = Command::new(env!("CARGO_BIN_EXE_inprof"))
        .args(["list", "src_", f.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("inprof list still running after 30 s: it waited on a source file");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (name, file, _) in &files[..3] {
        assert!(
            text.contains(&format!(
                "ROUTINE ======================== {name} in {file}\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(" (source not found: {file})")),
            "{text}"
        );
    }
    // The real file is shown, its line with the samples.
    assert!(text.contains("     2:fn two() {}"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_name_cannot_forge_folded_stacks() {
    use inprof_runtime::pprof::{Builder, Frame, LabelValue};
    let mut b = Builder::new(&[("samples", "count")], ("samples", "count"), 1, None);
    let root = b.location(
        1,
        Frame {
            name: "main",
            file: "f.rs",
            line: 1,
        },
    );
    let leaf = b.location(
        2,
        Frame {
            name: "leaf 1\nforged;stack 999999\r\nmore\tx",
            file: "f.rs",
            line: 2,
        },
    );
    b.sample(vec![leaf, root], vec![7], &[] as &[(&str, LabelValue<'_>)]);
    let d = scratch("folded");
    let f = d.join("folded.pb.gz");
    b.finish(0, 0)
        .write_gzip(std::fs::File::create(&f).unwrap())
        .unwrap();
    let (ok, out, err) = inprof(&["flame", "--folded", f.to_str().unwrap(), "-o", "-"]);
    assert!(ok, "{err}");
    assert_eq!(out, "main;leaf 1:forged:stack 999999::more:x 7\n");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn profiles_of_different_kinds_are_not_compared() {
    use inprof_runtime::pprof::{Builder, Frame, LabelValue};
    let d = scratch("diffkinds");
    let write = |name: &str, ty: (&str, &str), v: i64| {
        let mut b = Builder::new(&[ty], ty, 1, None);
        let loc = b.location(
            1,
            Frame {
                name: "work",
                file: "f.rs",
                line: 1,
            },
        );
        b.sample(vec![loc], vec![v], &[] as &[(&str, LabelValue<'_>)]);
        let f = d.join(name);
        b.finish(0, 0)
            .write_gzip(std::fs::File::create(&f).unwrap())
            .unwrap();
        f.to_str().unwrap().to_owned()
    };
    let heap = write("heap.pb.gz", ("alloc_space", "bytes"), 4096);
    let cpu = write("cpu.pb.gz", ("cpu", "nanoseconds"), 10_000_000);
    let cpu2 = write("cpu2.pb.gz", ("cpu", "nanoseconds"), 30_000_000);
    let svg = d.join("diff.svg");
    for args in [
        vec!["diff", &heap, &cpu],
        vec!["diff", &heap, &cpu, "-o", svg.to_str().unwrap()],
    ] {
        let (ok, out, err) = inprof(&args);
        assert!(!ok, "{out}");
        assert_eq!(
            err,
            "inprof: incompatible sample types: the base shows alloc_space/bytes, the new profile cpu/nanoseconds (choose one both have with -sample_index)\n"
        );
    }
    assert!(!svg.exists());
    // The same kind: compared.
    let (ok, out, err) = inprof(&["diff", &cpu, &cpu2]);
    assert!(ok, "{err}");
    assert!(out.starts_with("total: 10ms -> 30ms (20ms)"), "{out}");
    assert!(
        out.contains("      +20ms       +20ms  +200.0%  work"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
