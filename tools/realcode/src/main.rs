//! The real-code benchmark: published crates, fetched from the registry at
//! pinned versions, instrumented wholesale (`#[inprof::profile]` on every
//! impl block and free function, by `inprof-instrument`), and run against
//! themselves uninstrumented.
//!
//! ```text
//! cargo run --release -p inprof-realcode            # every crate
//! cargo run --release -p inprof-realcode -- json    # one
//! cargo run -p inprof-realcode -- check             # the wholesale test
//! cargo run -p inprof-realcode -- corpus [CRATE...] # it on more crates
//! ```
//!
//! `check` is the wholesale test of `#[profile]` on code we did not write
//! (see `check.rs`): no new warning, the crate's own tests pass, and the
//! names in its profile are the functions called.
//!
//! For each crate, the same workload runs alternately in these builds
//! (ROUNDS processes each, 3 measured rounds per process):
//!
//! - `uninstrumented`: the published sources;
//! - `recording on`: instrumented, a time profile around the rounds;
//! - `default`: instrumented, no profile asked for (paths tracked, no
//!   clock: what a program that never asks pays);
//! - `off at run time`: instrumented, `inprof::set_enabled(false)`;
//! - `feature off`: instrumented sources built without inprof's `enable`;
//! - `demoted list: ...`: one run writes the functions adaptive
//!   instrumentation demoted (`INPROF_DEMOTED`), then the instrumented
//!   sources are built again with that list (those functions compiled
//!   without instrumentation) and run recording on, default and off.
//!
//! It prints the ratio of each build's run time to the uninstrumented one
//! (the median of the ratios of runs in the same round of processes), and
//! each phase's share of the recorded profile next to its share of the
//! uninstrumented run. Work files go to `target/realcode/`.

mod check;
mod check_async;
mod corpus;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A crate under test.
struct Target {
    /// Short name (also the workload's directory).
    name: &'static str,
    krate: &'static str,
    version: &'static str,
    /// Extra dependencies of the workload (TOML lines).
    workload_deps: &'static str,
    /// Cargo features the crate's own tests need (comma-separated; empty:
    /// the crate's defaults), turned on in both copies for clippy and the
    /// test suites.
    features: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        name: "json",
        krate: "serde_json",
        version: "1.0.154",
        workload_deps: "serde = { version = \"1\", features = [\"derive\"] }",
        features: "",
    },
    Target {
        name: "deflate",
        krate: "miniz_oxide",
        version: "0.9.1",
        workload_deps: "",
        features: "",
    },
    Target {
        name: "redis",
        krate: "mini-redis",
        version: "0.4.1",
        workload_deps: "tokio = { version = \"1\", features = [\"full\"] }",
        features: "",
    },
];

const PROCESSES: usize = 5;
const ROUNDS: usize = 3;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository")
}

/// The target named `name`.
fn fetch_target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .expect("a known target")
}

/// Runs `cmd`: whether it succeeded, and its stdout and stderr.
fn run_status(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fetches `krate = "=version"` with cargo and returns its sources.
fn fetch(work: &Path, t: &Target) -> PathBuf {
    let dir = work.join(format!("fetch-{}", t.name));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fetch-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{} = \"={}\"\n\n[workspace]\n",
            t.name, t.krate, t.version
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    run(Command::new(env!("CARGO"))
        .args(["fetch", "--manifest-path"])
        .arg(dir.join("Cargo.toml")));
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let want = format!("{}-{}", t.krate, t.version);
    for reg in std::fs::read_dir(home.join("registry/src")).expect("cargo's registry") {
        let p = reg.unwrap().path().join(&want);
        if p.join("Cargo.toml").exists() {
            return p;
        }
    }
    panic!("{want} not found in {}", home.display());
}

/// A source rewriting: the new text, or None to copy the file as it is.
/// Gets the file's path and bytes.
type Transform<'a> = &'a dyn Fn(&Path, &[u8]) -> Option<Vec<u8>>;

/// Makes `to` a copy of `from`, writing only the files whose content
/// differs (so cargo does not rebuild what did not change), with each
/// library source passed through `transform` if given: every `.rs` file
/// under `src/`, and where the manifest puts the library elsewhere
/// ([`lib_outside_src`]), the files of its directory too (only the file
/// itself where that is the package's root, whose other files are tests,
/// examples or build scripts).
fn sync_dir(from: &Path, to: &Path, transform: Option<Transform>) {
    fn walk(
        from: &Path,
        to: &Path,
        in_src: bool,
        lib: Option<&Path>,
        transform: Option<Transform>,
    ) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let p = e.path();
            let dest = to.join(e.file_name());
            if p.is_dir() {
                let src = in_src
                    || e.file_name() == "src"
                    || lib.is_some_and(|l| l.parent().is_some_and(|d| d == p));
                walk(&p, &dest, src, lib, transform);
                continue;
            }
            let mut bytes = std::fs::read(&p).unwrap();
            if let (true, Some(t), true) = (
                in_src || lib == Some(p.as_path()),
                transform,
                p.extension().is_some_and(|x| x == "rs"),
            ) {
                if let Some(out) = t(&p, &bytes) {
                    bytes = out;
                }
            }
            if std::fs::read(&dest).ok().as_deref() != Some(&bytes[..]) {
                std::fs::write(&dest, &bytes).unwrap();
            }
        }
    }
    let lib = lib_outside_src(from).map(|l| from.join(l));
    walk(from, to, false, lib.as_deref(), transform);
}

/// The library's source file, relative to the package, where its
/// manifest puts it outside `src/` (`[lib] path = "lib.rs"`: fnv 1.0.7,
/// natord 1.0.9); None where it is under `src/`, or not said.
fn lib_outside_src(package: &Path) -> Option<PathBuf> {
    let manifest = inprof_instrument::manifest(package)?;
    let path = Path::new(manifest.get("lib")?.get("path")?.as_str()?);
    let path = path.strip_prefix("./").unwrap_or(path);
    (!path.starts_with("src")).then(|| path.to_path_buf())
}

/// Removes the copies in `dir` (`plain`, `instr`) unless they were made
/// from `src`, which a `source` file in `dir` records. The copies are
/// updated in place (cargo then rebuilds only what changed), which
/// leaves behind a file the sources no longer have, so copies of other
/// sources (another version, another crate of the same name: the corpus
/// crate json and the serde_json workload once shared a directory) are
/// made again from nothing.
fn forget_other_sources(dir: &Path, src: &Path) {
    let stamp = dir.join("source");
    let from = src.display().to_string();
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(&from[..]) {
        return;
    }
    for copy in ["plain", "instr"] {
        let copy = dir.join(copy);
        if copy.exists() {
            std::fs::remove_dir_all(&copy).unwrap();
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&stamp, &from).unwrap();
}

/// The published sources, and a copy instrumented wholesale (with inprof
/// as a dependency, `enable` left to the workload or to
/// `--features inprof/enable`).
fn prepare(work: &Path, t: &Target) -> (PathBuf, PathBuf, inprof_instrument::Counts) {
    let src = fetch(work, t);
    let plain = work.join(t.name).join("plain");
    let instr = work.join(t.name).join("instr");
    forget_other_sources(&work.join(t.name), &src);
    sync_dir(&src, &plain, None);
    let counts = std::cell::RefCell::new((inprof_instrument::Counts::default(), 0usize));
    let tracked = inprof_instrument::CallerTracked::from_dir(&src).unwrap();
    // Files left as they were: not UTF-8, or not parsed (syn 2 does not
    // parse an edition-2015 bare trait object in a type alias:
    // signal-hook-registry 1.4.8's `src/lib.rs`).
    let skipped = std::cell::RefCell::new(Vec::new());
    // Files the build script compiles in stay as published too (it cannot
    // name inprof: target-lexicon 0.13.6).
    let script = inprof_instrument::BuildScript::of(&src).unwrap();
    // Module files read under `#[no_implicit_prelude]` by their parent's
    // word get the attribute by its root path.
    let prelude_less = inprof_instrument::PreludeLess::of(&src).unwrap();
    let transform = |path: &Path, bytes: &[u8]| -> Option<Vec<u8>> {
        if script.contains(path) {
            let rel = path.strip_prefix(&src).unwrap_or(path);
            eprintln!(
                "{} {}: left as it was (the build script compiles it in): {}",
                t.krate,
                t.version,
                rel.display()
            );
            return None;
        }
        let out = std::str::from_utf8(bytes).ok().and_then(|text| {
            inprof_instrument::instrument_module(text, &tracked, prelude_less.contains(path))
        });
        let Some((out, c)) = out else {
            let rel = path.strip_prefix(&src).unwrap_or(path);
            skipped.borrow_mut().push(rel.display().to_string());
            return None;
        };
        let mut all = counts.borrow_mut();
        all.0 += c;
        if c.annotated() > 0 {
            all.1 += 1;
        }
        Some(out.into_bytes())
    };
    sync_dir(&src, &instr, Some(&transform));
    let (c, files) = *counts.borrow();
    for s in skipped.borrow().iter() {
        eprintln!(
            "{} {}: left as it was (not UTF-8, or does not parse): {s}",
            t.krate, t.version
        );
    }
    eprintln!(
        "{} {}: {} impl blocks, {} traits and {} functions annotated in {files} files{}{}",
        t.krate,
        t.version,
        c.impls,
        c.traits,
        c.fns,
        if c.track_caller > 0 {
            format!(
                "; {} impl methods say #[track_caller] as their trait declares",
                c.track_caller
            )
        } else {
            String::new()
        },
        if c.methods_skipped > 0 {
            format!(
                "; {} impl methods say #[inprof::profile(skip)] under a macro that refuses it",
                c.methods_skipped
            )
        } else {
            String::new()
        }
    );
    // Each its own workspace (they sit under ours), the instrumented one
    // with inprof.
    let published = std::fs::read_to_string(src.join("Cargo.toml")).unwrap();
    let plain_manifest = format!("{published}\n[workspace]\n");
    let instr_manifest = format!(
        "{published}\n[workspace]\n\n[dependencies.inprof]\npath = {:?}\ndefault-features = false\n",
        repo().display().to_string()
    );
    for (dir, manifest) in [(&plain, plain_manifest), (&instr, instr_manifest)] {
        if std::fs::read_to_string(dir.join("Cargo.toml"))
            .ok()
            .as_ref()
            != Some(&manifest)
        {
            std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        }
    }
    (plain, instr, c)
}

/// A workload crate using `krate_dir`, with inprof's `enable` on or off,
/// built with `INPROF_DEMOTED` set to `demoted` if given.
fn workload(
    work: &Path,
    t: &Target,
    variant: &str,
    krate_dir: &Path,
    enable: bool,
    demoted: Option<&Path>,
) -> PathBuf {
    let dir = work.join(t.name).join(format!("wl-{variant}"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let wl_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads");
    std::fs::copy(wl_src.join(t.name).join("main.rs"), dir.join("src/main.rs")).unwrap();
    std::fs::copy(wl_src.join("workload.rs"), dir.join("workload.rs")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"wl-{name}-{variant}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{krate} = {{ path = {kdir:?} }}\ninprof = {{ path = {repo:?}, default-features = {enable} }}\n{deps}\n\n[workspace]\n",
            name = t.name,
            krate = t.krate,
            kdir = krate_dir.display().to_string(),
            repo = repo().display().to_string(),
            deps = t.workload_deps,
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", work.join(format!("target-{variant}")))
        .env_remove("INPROF_DEMOTED");
    if let Some(d) = demoted {
        cmd.env("INPROF_DEMOTED", d);
    }
    run(&mut cmd);
    work.join(format!("target-{variant}/release"))
        .join(format!("wl-{}-{variant}", t.name))
}

/// The environment of every measured process, whatever its build: glibc
/// serves every block under 32 MiB from its heap (not `mmap`) and never
/// gives the heap back (no trim). Left to itself it moves its `mmap`
/// threshold as large blocks are freed and trims the heap after a round,
/// and the next round takes its page faults again: serde_json's
/// uninstrumented parse phase measured 41 to 55 ms in the first measured
/// round and 25 to 27 ms in the next ones (2026-12-06), a swing larger
/// than the instrumentation's own cost, and in every round of a `time`
/// run 5 000 to 11 000 page faults. So, after the workload's two warm-up
/// rounds, every build's measured rounds run on a heap already faulted
/// in: the allocator's cost is the same in every build, and the kernel's
/// is gone from both sides of each ratio (which makes the ratios, if
/// anything, larger).
const GLIBC_TUNABLES: &str =
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295";

/// Measured rounds: (phase -> wall ns, phase -> profile cum ns (exact
/// wall), phase -> profile cum ns (sampled CPU)).
type Round = (
    BTreeMap<String, f64>,
    BTreeMap<String, f64>,
    BTreeMap<String, f64>,
);

fn measure(exe: &Path, mode: &str) -> Vec<Round> {
    let out = run(Command::new(exe)
        .args([mode, &ROUNDS.to_string()])
        .env("GLIBC_TUNABLES", GLIBC_TUNABLES));
    out.lines()
        .filter_map(|l| l.strip_prefix("round "))
        .map(|l| {
            let (mut wall, mut cum, mut cpu) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
            for kv in l.split(' ') {
                let Some((k, v)) = kv.split_once('=') else {
                    continue;
                };
                let v: f64 = v.parse().unwrap_or(0.0);
                if let Some(phase) = k.strip_prefix("cpucum_") {
                    cpu.insert(phase.to_owned(), v);
                    continue;
                }
                match k.strip_prefix("cum_") {
                    Some(phase) => cum.insert(phase.to_owned(), v),
                    None if k != "demoted" => wall.insert(k.to_owned(), v),
                    None => None,
                };
            }
            (wall, cum, cpu)
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bench(work: &Path, t: &Target) {
    let (plain, instr, _) = prepare(work, t);
    eprintln!("{}: building the workload five ways", t.krate);
    let exe_plain = workload(work, t, "plain", &plain, false, None);
    let exe_on = workload(work, t, "on", &instr, true, None);
    let exe_off = workload(work, t, "featoff", &instr, false, None);
    // One run writes the functions it demoted; a build with that list
    // compiles them without instrumentation.
    let list = work.join(t.name).join("demoted.txt");
    let _ = std::fs::remove_file(&list);
    run(Command::new(&exe_on)
        .args(["track", "1"])
        .env("INPROF_DEMOTED", &list));
    let listed = std::fs::read_to_string(&list).map_or(0, |l| l.lines().count());
    eprintln!("{}: {listed} functions demoted in the first run", t.krate);
    let exe_listed = workload(work, t, "listed", &instr, true, Some(&list));
    let configs: [(&str, &Path, &str); 8] = [
        ("uninstrumented", &exe_plain, "plain"),
        ("recording on", &exe_on, "time"),
        ("default (no profile asked)", &exe_on, "track"),
        ("off at run time", &exe_on, "off"),
        ("feature off", &exe_off, "plain"),
        ("demoted list: recording on", &exe_listed, "time"),
        ("demoted list: default", &exe_listed, "track"),
        ("demoted list: off", &exe_listed, "off"),
    ];
    let mut totals: Vec<Vec<f64>> = vec![Vec::new(); configs.len()];
    let mut plain_phase: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut prof_phase: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut listed_phase: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut cpu_phase: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut listed_cpu_phase: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for p in 0..PROCESSES {
        eprintln!("{}: process round {}/{PROCESSES}", t.krate, p + 1);
        for (i, (_, exe, mode)) in configs.iter().enumerate() {
            for (wall, cum, cpu) in measure(exe, mode) {
                totals[i].push(wall.values().sum());
                if i == 0 {
                    for (k, v) in &wall {
                        plain_phase.entry(k.clone()).or_default().push(*v);
                    }
                }
                let into = match i {
                    1 => Some(&mut prof_phase),
                    5 => Some(&mut listed_phase),
                    _ => None,
                };
                if let Some(into) = into {
                    for (k, v) in &cum {
                        into.entry(k.clone()).or_default().push(*v);
                    }
                }
                let into = match i {
                    1 => Some(&mut cpu_phase),
                    5 => Some(&mut listed_cpu_phase),
                    _ => None,
                };
                if let Some(into) = into {
                    for (k, v) in &cpu {
                        into.entry(k.clone()).or_default().push(*v);
                    }
                }
            }
        }
    }
    println!(
        "\n{} {} ({} processes × {} rounds, medians; ratio: each run against \
         the uninstrumented run of the same round)",
        t.krate, t.version, PROCESSES, ROUNDS
    );
    println!("{:<28} {:>10} {:>8}", "build", "run ms", "ratio");
    for (i, (name, _, _)) in configs.iter().enumerate() {
        let m = median(totals[i].clone());
        // Paired: run k of every build is round k % ROUNDS of the same
        // cycle of processes, seconds apart, so a slow spell of the VM
        // moves a ratio's two sides together.
        let paired = totals[i].iter().zip(&totals[0]).map(|(x, b)| x / b);
        println!(
            "{name:<28} {:>10.1} {:>7.3}x",
            m / 1e6,
            median(paired.collect())
        );
    }
    let med = |m: &BTreeMap<String, Vec<f64>>| -> BTreeMap<String, f64> {
        m.iter()
            .map(|(k, v)| (k.clone(), median(v.clone())))
            .collect()
    };
    let (plain_m, prof_m, listed_m) = (med(&plain_phase), med(&prof_phase), med(&listed_phase));
    let (cpu_m, listed_cpu_m) = (med(&cpu_phase), med(&listed_cpu_phase));
    let share = |m: &BTreeMap<String, f64>, k: &str| {
        m.get(k).copied().unwrap_or(0.0) / m.values().sum::<f64>() * 100.0
    };
    println!(
        "{:<20} {:>15} {:>16} {:>23} {:>18} {:>18}",
        "phase share",
        "uninstrumented",
        "profile (diff)",
        "with list (diff)",
        "cpu (diff)",
        "cpu, list (diff)"
    );
    for k in plain_m.keys() {
        let a = share(&plain_m, k);
        let b = share(&prof_m, k);
        let c = share(&listed_m, k);
        let d = share(&cpu_m, k);
        let e = share(&listed_cpu_m, k);
        println!(
            "{k:<20} {a:>14.1}% {b:>7.1}% ({:>+5.1}pp) {c:>13.1}% ({:>+5.1}pp) {d:>8.1}% ({:>+5.1}pp) {e:>8.1}% ({:>+5.1}pp)",
            b - a,
            c - a,
            d - a,
            e - a
        );
    }
}

fn main() -> std::process::ExitCode {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let work = repo().join("target/realcode");
    std::fs::create_dir_all(&work).unwrap();
    let checked = match only.first().map(String::as_str) {
        Some("check-async") => Some(("async wholesale check", check_async::check(&work))),
        Some("corpus") => Some(("corpus check", corpus::corpus(&work, &only[1..]))),
        Some("check") => Some(("wholesale check", check::check(&work))),
        _ => None,
    };
    if let Some((what, result)) = checked {
        return match result {
            Ok(()) => {
                println!("{what}: ok");
                std::process::ExitCode::SUCCESS
            }
            Err(failures) => {
                for f in failures {
                    println!("{what}: FAILED: {f}");
                }
                std::process::ExitCode::FAILURE
            }
        };
    }
    // mini-redis is checked (check-async), not benchmarked by phases.
    for t in TARGETS.iter().filter(|t| t.name != "redis") {
        if only.is_empty() || only.iter().any(|o| o == t.name || o == t.krate) {
            bench(&work, t);
        }
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::{forget_other_sources, sync_dir};
    use std::path::Path;

    #[test]
    fn copies_of_other_sources_are_made_again_from_nothing() {
        let root = std::env::temp_dir().join(format!("inprof-copies-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (a, b, dir) = (root.join("a-1.0"), root.join("b-2.0"), root.join("work/x"));
        for (src, file) in [(&a, "only_a.rs"), (&b, "only_b.rs")] {
            std::fs::create_dir_all(src.join("src")).unwrap();
            std::fs::write(src.join("src").join(file), "").unwrap();
            std::fs::write(src.join("src/lib.rs"), src.display().to_string()).unwrap();
        }
        let prepare = |src: &std::path::Path| {
            forget_other_sources(&dir, src);
            sync_dir(src, &dir.join("plain"), None);
        };
        let has = |f: &str| dir.join("plain/src").join(f).exists();
        prepare(&a);
        assert!(has("only_a.rs") && has("lib.rs"));
        // The same sources again: the copy is kept (cargo rebuilds
        // nothing), a file written into it too.
        std::fs::write(dir.join("plain/Cargo.lock"), "").unwrap();
        prepare(&a);
        assert!(dir.join("plain/Cargo.lock").exists());
        // Other sources: nothing of the first copy is left.
        prepare(&b);
        assert!(has("only_b.rs") && !has("only_a.rs"));
        assert!(!dir.join("plain/Cargo.lock").exists());
        let lib = std::fs::read_to_string(dir.join("plain/src/lib.rs")).unwrap();
        assert_eq!(lib, b.display().to_string());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_library_the_manifest_puts_outside_src_is_instrumented_too() {
        let root = std::env::temp_dir().join(format!("inprof-lib-path-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mark = |_: &Path, text: &[u8]| Some([&b"// marked\n"[..], text].concat());
        let marked = |dir: &Path, file: &str| {
            std::fs::read_to_string(dir.join(file))
                .unwrap()
                .starts_with("// marked")
        };
        let cases: [(&str, &[&str], &[&str]); 4] = [
            // fnv 1.0.7, natord 1.0.9: only the file at the root.
            (
                "lib.rs",
                &["lib.rs"],
                &["build.rs", "tests/t.rs", "other/m.rs"],
            ),
            ("./lib.rs", &["lib.rs"], &["build.rs", "tests/t.rs"]),
            // A directory of its own: all of it.
            (
                "other/lib.rs",
                &["other/lib.rs", "other/m.rs"],
                &["lib.rs", "tests/t.rs"],
            ),
            // Under src/, as without a path.
            (
                "src/lib.rs",
                &["src/lib.rs", "src/a/b.rs"],
                &["lib.rs", "other/m.rs"],
            ),
        ];
        for (n, (path, yes, no)) in cases.into_iter().enumerate() {
            let (pkg, copy) = (root.join(format!("p{n}")), root.join(format!("c{n}")));
            for f in [
                "lib.rs",
                "build.rs",
                "tests/t.rs",
                "other/lib.rs",
                "other/m.rs",
                "src/lib.rs",
                "src/a/b.rs",
            ] {
                std::fs::create_dir_all(pkg.join(f).parent().unwrap()).unwrap();
                std::fs::write(pkg.join(f), "fn f() {}\n").unwrap();
            }
            std::fs::write(
                pkg.join("Cargo.toml"),
                format!("[package]\nname = \"p\"\n\n[lib]\nname = \"p\"\npath = \"{path}\"\n"),
            )
            .unwrap();
            sync_dir(&pkg, &copy, Some(&mark));
            for f in yes {
                assert!(marked(&copy, f), "{path}: {f} not instrumented");
            }
            for f in no {
                assert!(!marked(&copy, f), "{path}: {f} instrumented");
            }
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
