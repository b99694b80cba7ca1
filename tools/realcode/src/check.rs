//! The wholesale test (`inprof-realcode check`): serde_json, fetched at a
//! pinned version and instrumented wholesale, against its published self.
//!
//! 1. No new warning: `cargo clippy --all-targets` (rustc's lints and
//!    clippy's) on the instrumented crate with inprof's `enable` on gives
//!    no warning the published crate does not give, but for those the
//!    attribute gives as written (the instrumented crate with `enable`
//!    off, where it returns each item untouched): rustc's own judgement
//!    of a macro's output, counted apart.
//! 2. Its own test suite passes unchanged: the same number of tests pass
//!    (and are ignored) as in the published crate, none fails. Insta
//!    snapshots are first recorded from the published crate's own output,
//!    so that the instrumented crate's must equal it.
//! 3. The names in its profile are the functions called: a program makes
//!    known calls (7 pretty and 5 compact serializations of a value with
//!    three objects, 3 parses) and `go tool pprof` reads the call counts:
//!    each formatter's methods under its own name with its own count, the
//!    pretty printer's frames say pretty and never compact (and the
//!    reverse), types declared inside functions named under them, no empty
//!    path segment.

use crate::{fetch_target, prepare, repo, run_status, Target};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// One row of `go tool pprof -top`.
pub(crate) struct Row {
    pub flat: f64,
    pub name: String,
}

pub(crate) fn pprof_top(profile: &Path, extra: &[&str]) -> Result<Vec<Row>, String> {
    let out = Command::new("go")
        .args([
            "tool",
            "pprof",
            "-top",
            "-nodecount=100000",
            "-sample_index=calls",
        ])
        .args(extra)
        .arg(profile)
        .output()
        .map_err(|e| format!("go tool pprof: {e} (install golang-go)"))?;
    if !out.status.success() {
        return Err(format!(
            "go tool pprof failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut rows = Vec::new();
    let mut body = false;
    for line in text.lines() {
        if line.trim_start().starts_with("flat") {
            body = true;
            continue;
        }
        if !body {
            continue;
        }
        // flat flat% sum% cum cum% name (the name may contain spaces).
        let mut rest = line.trim_start();
        let mut fields = Vec::new();
        for _ in 0..5 {
            let end = rest.find(' ').unwrap_or(rest.len());
            fields.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        if let Some(flat) = parse_value(fields[0]) {
            rows.push(Row {
                flat,
                name: rest.to_owned(),
            });
        }
    }
    Ok(rows)
}

/// A value as `go tool pprof -top` prints it: a count, or a time with its
/// unit (`53.39ms`), in nanoseconds.
fn parse_value(s: &str) -> Option<f64> {
    let at = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(at);
    let mul = match unit {
        "" | "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "mins" => 60e9,
        "hrs" => 3600e9,
        _ => return None,
    };
    num.parse::<f64>().ok().map(|v| v * mul)
}

/// Lint diagnostics (warnings, and errors of deny-level lints) in `cargo
/// clippy --message-format=short` output, without columns (an inserted
/// attribute moves them on its line). A file a build script wrote names
/// its side's target directory (crc16 0.4.0's `tables.rs`:
/// `.../corpus-target-plain/debug/build/crc16-<hash>/out/tables.rs`), so
/// it is named from its `OUT_DIR` (`$OUT_DIR/tables.rs`), as on both
/// sides.
fn warnings(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| {
            // `src/x.rs:1:2: warning: ...`, not cargo's summary lines.
            (l.contains(": warning:") || l.contains(": error:") || l.contains(": error["))
                && !l.starts_with("warning:")
                && !l.starts_with("error:")
        })
        .map(|l| {
            let mut parts: Vec<&str> = l.splitn(4, ':').collect();
            if parts.len() == 4 {
                parts.remove(2);
            }
            let file = out_dir_relative(parts[0]);
            parts[0] = &file;
            parts.join(":")
        })
        .collect()
}

/// `path` from its build script's `OUT_DIR` (`$OUT_DIR/x.rs`) where it
/// is under one (`<target>/<profile>/build/<package>-<hash>/out/`), else
/// as it is.
fn out_dir_relative(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let out = parts
        .windows(3)
        .position(|w| w[0] == "build" && w[2] == "out")
        .map(|i| i + 3);
    match out {
        Some(rest) if rest < parts.len() => format!("$OUT_DIR/{}", parts[rest..].join("/")),
        _ => path.to_owned(),
    }
}

/// The tests `cargo test` reports failed (`test NAME ... FAILED`).
fn failed_tests(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("test ")?
                .strip_suffix(" ... FAILED")
                .map(str::to_owned)
        })
        .collect()
}

/// (passed, failed, ignored) summed over `cargo test`'s result lines.
pub(crate) fn test_counts(text: &str) -> (u64, u64, u64) {
    let mut c = (0, 0, 0);
    for l in text.lines().filter(|l| l.starts_with("test result:")) {
        let num = |what: &str| -> u64 {
            l.split(';')
                .find(|p| p.trim_end().ends_with(what))
                .and_then(|p| p.split_whitespace().rev().nth(1))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        c.0 += num("passed");
        c.1 += num("failed");
        c.2 += num("ignored");
    }
    c
}

/// Runs cargo on the crate in `dir`, building into `target`; whether it
/// succeeded, and what it printed. Not incremental: each crate is built
/// once, and incremental caches only add to the corpus's build output
/// (60 GB after 112 crates with them, 27 GB after 91 without).
pub(crate) fn cargo(dir: &Path, target: &Path, args: &[&str]) -> (bool, String) {
    cargo_env(dir, target, args, &[])
}

/// [`cargo`] with environment variables set.
fn cargo_env(dir: &Path, target: &Path, args: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
    run_status(
        Command::new(env!("CARGO"))
            .args(args)
            .arg("--manifest-path")
            .arg(dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target)
            .env("CARGO_INCREMENTAL", "0")
            .env_remove("RUSTFLAGS")
            .env_remove("INPROF_DEMOTED")
            .envs(vars.iter().copied()),
    )
}

/// Whether a published manifest (normalized by `cargo publish`: one
/// table per dependency) has insta among its dev-dependencies.
fn uses_insta(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|m| {
        m.lines()
            .any(|l| l.trim().ends_with("dev-dependencies.insta]"))
    })
}

/// Copies every insta snapshot (`*.snap`) under `from` to the same place
/// under `to`; returns how many.
fn copy_snapshots(from: &Path, to: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type()?.is_dir() {
            if e.file_name() != "target" {
                n += copy_snapshots(&src, &dst)?;
            }
        } else if src.extension().is_some_and(|x| x == "snap") {
            std::fs::create_dir_all(to)?;
            std::fs::copy(&src, &dst)?;
            n += 1;
        }
    }
    Ok(n)
}

/// What [`suite`] found comparing a published crate with its copy
/// instrumented wholesale.
pub(crate) struct Suite {
    /// Warnings of the published crate, of the instrumented one, those
    /// only the instrumented one has, and those of them the attribute
    /// gives as written (`enable` off) too, which are not failures.
    pub warnings: (usize, usize, Vec<String>, Vec<String>),
    /// (passed, failed, ignored) tests: published, instrumented.
    pub tests: ((u64, u64, u64), (u64, u64, u64)),
    pub failures: Vec<String>,
}

/// Steps 1 and 2 of the wholesale test on `plain` and `instr` (see the
/// module's doc): clippy's warnings on `targets` (cargo's target
/// selection) compared, then the test suites, both with the crate's
/// `features` on (comma-separated; empty: its defaults).
pub(crate) fn suite(
    plain: &Path,
    instr: &Path,
    tgt_plain: &Path,
    tgt_instr: &Path,
    targets: &[&str],
    features: &str,
) -> Suite {
    let features: Vec<&str> = if features.is_empty() {
        Vec::new()
    } else {
        vec!["--features", features]
    };
    // `cargo test` on the published crate; the instrumented one adds
    // `inprof/enable`.
    let test_p = [&["test", "--no-fail-fast"][..], &features].concat();
    let test_i = [&test_p[..], &["--features", "inprof/enable"]].concat();
    let mut failures = Vec::new();
    // 1. Warnings.
    eprintln!("check: clippy on the published and the instrumented crate");
    let clippy = |extra: &[&str]| -> Vec<String> {
        // `--keep-going`: where clippy denies a target (lint errors in a
        // published crate's tests), cargo would stop the targets still in
        // flight, and which diagnostics come out would depend on the
        // order they were built in (crossbeam-channel: 17 published in
        // one run, 19 in the next).
        let mut a = vec![
            "clippy".to_owned(),
            "--keep-going".to_owned(),
            "--message-format=short".to_owned(),
        ];
        a.extend(
            targets
                .iter()
                .chain(&features)
                .chain(extra)
                .map(|s| s.to_string()),
        );
        a
    };
    let args_p = clippy(&[]);
    let args_i = clippy(&["--features", "inprof/enable"]);
    fn as_strs(v: &[String]) -> Vec<&str> {
        v.iter().map(|s| s.as_str()).collect()
    }
    let (ok_p, out_p) = cargo(plain, tgt_plain, &as_strs(&args_p));
    let (ok_i, out_i) = cargo(instr, tgt_instr, &as_strs(&args_i));
    // A published crate clippy denies (deny-level lints in its tests:
    // smallvec, indexmap) is compared all the same: the instrumented one
    // must fail with the same diagnostics, and build where it builds.
    if !ok_i && ok_p {
        failures.push(format!("the instrumented crate does not build:\n{out_i}"));
    }
    let (wp, wi) = (warnings(&out_p), warnings(&out_i));
    let mut new: Vec<String> = wi.difference(&wp).cloned().collect();
    // A new diagnostic may come from the attribute being there at all,
    // not from what inprof writes: rustc judges a macro's output apart
    // from what was written (ansi_term 0.12.1: a glob import one test
    // module repeats is reported unused once the function it names comes
    // out of a macro). The instrumented crate with `enable` off, where the
    // attribute returns each item exactly as written, tells them apart:
    // what it has too is the attribute's, counted apart and not a failure.
    let mut attribute = Vec::new();
    if !new.is_empty() {
        let (_, out_a) = cargo(instr, tgt_instr, &as_strs(&args_p));
        let wa = warnings(&out_a);
        (attribute, new) = new.into_iter().partition(|w| wa.contains(w));
    }
    eprintln!(
        "check: {} warnings published, {} instrumented, {} new, {} with the attribute alone{}",
        wp.len(),
        wi.len(),
        new.len(),
        attribute.len(),
        if ok_p {
            ""
        } else {
            " (clippy denies the published crate)"
        }
    );
    // Fewer instrumented is not a failure (a lint that judges a whole
    // body sees the closure's body, or none), but named, so that what
    // the attribute hides from clippy can be counted by kind.
    for w in wp.difference(&wi) {
        eprintln!("check: published only: {w}");
    }
    if !ok_p && wp.is_empty() {
        failures.push(format!("the published crate does not build:\n{out_p}"));
    }
    if !new.is_empty() {
        failures.push(format!(
            "warnings the published crate does not have: {new:#?}"
        ));
    }

    // 2. The test suite.
    // Snapshot tests compare with files the package often leaves out
    // (similar 3.2.1: 20 tests fail on both sides for want of them, and
    // check nothing): the published crate's own output is recorded as its
    // snapshots (`INSTA_UPDATE=always`), copied to the instrumented crate,
    // and both suites then compare with them and write nothing.
    if uses_insta(plain) {
        let vars = [("INSTA_UPDATE", "always")];
        let _ = cargo_env(plain, tgt_plain, &test_p, &vars);
        match copy_snapshots(plain, instr) {
            Ok(n) => eprintln!("check: {n} insta snapshots recorded from the published crate"),
            Err(e) => failures.push(format!("copying the insta snapshots: {e}")),
        }
    }
    let snapshots = [("INSTA_UPDATE", "no")];
    eprintln!("check: the test suites");
    let run = || {
        let (_, tp) = cargo_env(plain, tgt_plain, &test_p, &snapshots);
        let (ok_ti, ti) = cargo_env(instr, tgt_instr, &test_i, &snapshots);
        let r = SuiteRun {
            published: test_counts(&tp),
            instrumented: test_counts(&ti),
            failed_published: failed_tests(&tp),
            failed_instrumented: failed_tests(&ti),
            instrumented_built: ok_ti,
        };
        eprintln!(
            "check: tests passed/failed/ignored: published {:?}, instrumented {:?}",
            r.published, r.instrumented
        );
        (r, ti)
    };
    // Timing-sensitive tests (crossbeam-channel's `select2`, which counts
    // the bytes live in the whole process while other tests run: 2 of 8
    // runs failed published, 1 of 8 instrumented) fail now and then,
    // published or instrumented: while the suites differ, both run again,
    // up to three times (see [`suites_agree`]).
    let mut runs = Vec::new();
    let mut last = String::new();
    while runs.len() < 3 {
        if !runs.is_empty() {
            eprintln!("check: the suites differ; both once more");
        }
        let (r, ti) = run();
        let same = r.same();
        runs.push(r);
        last = ti;
        if same {
            break;
        }
    }
    let (cp, ci) = {
        let r = runs.last().unwrap();
        (r.published, r.instrumented)
    };
    match suites_agree(&runs) {
        Ok(flaky) if !flaky.is_empty() => {
            eprintln!("check: flaky as published, failed on either side in some run: {flaky:?}")
        }
        Ok(_) => {}
        Err(why) => failures.push(format!(
            "the test suite differs: published {cp:?}, instrumented {ci:?}: {why}\n{last}"
        )),
    }
    Suite {
        warnings: (wp.len(), wi.len(), new, attribute),
        tests: (cp, ci),
        failures,
    }
}

/// One run of both test suites.
#[derive(Debug, Clone)]
pub(crate) struct SuiteRun {
    /// (passed, failed, ignored), published and instrumented.
    pub published: (u64, u64, u64),
    pub instrumented: (u64, u64, u64),
    /// The names of the tests that failed.
    pub failed_published: BTreeSet<String>,
    pub failed_instrumented: BTreeSet<String>,
    /// Whether `cargo test` succeeded on the instrumented crate.
    pub instrumented_built: bool,
}

impl SuiteRun {
    /// Both suites ran the same tests, with the same outcomes.
    fn same(&self) -> bool {
        self.failed_published == self.failed_instrumented
            && self.published == self.instrumented
            && self.instrumented.0 > 0
            && (self.instrumented_built || !self.failed_published.is_empty())
    }

    fn total(c: (u64, u64, u64)) -> u64 {
        c.0 + c.1 + c.2
    }
}

/// Whether the runs of both suites show the instrumented crate's tests
/// behave as the published crate's: one run the same, or else, in every
/// run, the same number of tests run on both sides and, over the runs,
/// each test the instrumented crate failed also failed published and also
/// passed instrumented (flaky as published). A test only the published
/// crate failed is the published crate's. `Ok`: the flaky tests, if any.
pub(crate) fn suites_agree(runs: &[SuiteRun]) -> Result<Vec<String>, String> {
    if runs.iter().any(SuiteRun::same) {
        return Ok(Vec::new());
    }
    for r in runs {
        let (p, i) = (
            SuiteRun::total(r.published),
            SuiteRun::total(r.instrumented),
        );
        if p != i || r.instrumented.0 == 0 {
            return Err(format!("{i} tests ran instrumented, {p} published"));
        }
    }
    let mut flaky = BTreeSet::new();
    for r in runs {
        for t in &r.failed_instrumented {
            let failed_published = runs.iter().any(|o| o.failed_published.contains(t));
            let passed_instrumented = runs.iter().any(|o| !o.failed_instrumented.contains(t));
            if !(failed_published && passed_instrumented) {
                return Err(format!(
                    "`{t}` failed instrumented in {} of {} runs, published in {}",
                    runs.iter()
                        .filter(|o| o.failed_instrumented.contains(t))
                        .count(),
                    runs.len(),
                    runs.iter()
                        .filter(|o| o.failed_published.contains(t))
                        .count(),
                ));
            }
            flaky.insert(t.clone());
        }
    }
    Ok(flaky.into_iter().collect())
}

/// Runs the wholesale test; the failures it found, if any.
pub fn check(work: &Path) -> Result<(), Vec<String>> {
    let t: &Target = fetch_target("json");
    let (plain, instr, _) = prepare(work, t);
    let dir = work.join(t.name);
    let tgt_plain = dir.join("target-check-plain");
    let tgt_instr = dir.join("target-check-instr");
    let mut failures = suite(
        &plain,
        &instr,
        &tgt_plain,
        &tgt_instr,
        &["--all-targets"],
        t.features,
    )
    .failures;
    if failures
        .iter()
        .any(|f| f.starts_with("the published crate does not build"))
    {
        return Err(failures);
    }

    // 3. Names.
    eprintln!("check: names in a profile of known calls");
    let wl = dir.join("names");
    std::fs::create_dir_all(wl.join("src")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/json/names.rs");
    std::fs::copy(src, wl.join("src/main.rs")).unwrap();
    std::fs::write(
        wl.join("Cargo.toml"),
        format!(
            "[package]\nname = \"names-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nserde_json = {{ path = {:?} }}\ninprof = {{ path = {:?} }}\n\n[workspace]\n",
            instr.display().to_string(),
            repo().display().to_string()
        ),
    )
    .unwrap();
    let (ok_b, out_b) = cargo(&wl, &tgt_instr, &["build", "--quiet"]);
    if !ok_b {
        failures.push(format!("the names program does not build:\n{out_b}"));
        return Err(failures);
    }
    let profile = dir.join("names.pb.gz");
    let (ok_r, out_r) = run_status(
        Command::new(tgt_instr.join("debug/names-check"))
            .arg(&profile)
            .env("INPROF_ADAPTIVE", "0"),
    );
    if !ok_r {
        failures.push(format!("the names program failed:\n{out_r}"));
        return Err(failures);
    }
    match names(&profile) {
        Ok(n) => eprintln!("check: {n} names as expected"),
        Err(mut e) => failures.append(&mut e),
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

/// The name checks on the profile of `workloads/json/names.rs`; how many
/// held.
fn names(profile: &Path) -> Result<usize, Vec<String>> {
    let all = pprof_top(profile, &[]).map_err(|e| vec![e])?;
    let mut failures = Vec::new();
    let mut held = 0;
    let mut expect = |what: &str, got: f64, want: f64| {
        if got == want {
            held += 1;
        } else {
            failures.push(format!("{what}: {got} calls, expected {want}"));
        }
    };
    let calls = |pred: &dyn Fn(&str) -> bool| -> f64 {
        all.iter().filter(|r| pred(&r.name)).map(|r| r.flat).sum()
    };
    // Free functions (generic ones merged over their instances).
    for (name, n) in [
        ("serde_json::ser::to_string_pretty", 7.0),
        ("serde_json::ser::to_string", 5.0),
        ("serde_json::de::from_str", 3.0),
    ] {
        expect(name, calls(&|r| r == name), n);
    }
    // Each formatter's own methods: the pretty one overrides them, the
    // compact one has the trait's default methods; three objects a value.
    expect(
        "PrettyFormatter begin_object",
        calls(&|r| {
            r == "<serde_json::ser::PrettyFormatter<'_> as serde_json::ser::Formatter>::begin_object"
        }),
        21.0,
    );
    expect(
        "CompactFormatter begin_object",
        calls(&|r| {
            r == "<serde_json::ser::CompactFormatter as serde_json::ser::Formatter>::begin_object"
        }),
        15.0,
    );
    // A generic impl, per concrete formatter.
    let compound_end = |f: &str| {
        calls(&|r: &str| {
            r.starts_with("<serde_json::ser::Compound<")
                && r.contains(f)
                && r.ends_with("::SerializeMap>::end")
        })
    };
    expect(
        "Compound<.., PrettyFormatter>::end",
        compound_end("PrettyFormatter"),
        21.0,
    );
    expect(
        "Compound<.., CompactFormatter>::end",
        compound_end("CompactFormatter"),
        15.0,
    );
    // A trait impl rustc names by its module: nine values a serialization.
    expect(
        "<Value as Serialize>::serialize",
        calls(&|r| {
            r.starts_with("<serde_json::value::Value as serde")
                && r.ends_with("::ser::Serialize>::serialize")
        }),
        108.0,
    );
    // A type declared inside a function, named under it.
    expect(
        "ValueVisitor::visit_map",
        calls(&|r| {
            r.starts_with("<serde_json::value::de::<impl serde")
                && r.contains("for serde_json::value::Value>::deserialize::ValueVisitor as serde")
                && r.ends_with("::de::Visitor<'_>>::visit_map")
        }),
        9.0,
    );
    for r in &all {
        if r.name.contains("::::") || r.name.contains("{{closure}}") || r.name.contains("__inprof")
        {
            failures.push(format!("a malformed name: {}", r.name));
        }
    }
    // Under the pretty printer, only pretty frames; under the compact one,
    // only compact frames.
    for (focus, own, other) in [
        (
            "^serde_json::ser::to_string_pretty$",
            "PrettyFormatter",
            "CompactFormatter",
        ),
        (
            "^serde_json::ser::to_string$",
            "CompactFormatter",
            "PrettyFormatter",
        ),
    ] {
        match pprof_top(profile, &[&format!("-focus={focus}")]) {
            Ok(rows) => {
                let own_n = rows.iter().filter(|r| r.name.contains(own)).count();
                let wrong: Vec<&str> = rows
                    .iter()
                    .filter(|r| r.name.contains(other))
                    .map(|r| r.name.as_str())
                    .collect();
                if own_n >= 10 && wrong.is_empty() {
                    held += 1;
                } else {
                    failures.push(format!(
                        "under {focus}: {own_n} frames name {own}, these name {other}: {wrong:#?}"
                    ));
                }
            }
            Err(e) => failures.push(e),
        }
    }
    if failures.is_empty() {
        Ok(held)
    } else {
        Err(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::{copy_snapshots, suites_agree, uses_insta, warnings, SuiteRun};

    #[test]
    fn a_build_scripts_file_is_the_same_on_both_sides() {
        let line = |target: &str| {
            format!(
                "/w/{target}/debug/build/crc16-6b951e1085e08fad/out/tables.rs:10:23: \
                 warning: constants have by default a `'static` lifetime\n\
                 src/lib.rs:4:5: warning: unused import: `x`\n\
                 warning: `crc16` (lib) generated 2 warnings\n"
            )
        };
        let (p, i) = (
            warnings(&line("corpus-target-plain")),
            warnings(&line("corpus-target-instr")),
        );
        assert_eq!(p, i);
        assert_eq!(
            p.into_iter().collect::<Vec<_>>(),
            [
                "$OUT_DIR/tables.rs:10: warning: constants have by default a `'static` lifetime",
                "src/lib.rs:4: warning: unused import: `x`",
            ]
        );
        // Not under a build script's `OUT_DIR`: as it is.
        let w = warnings("tests/build/out.rs:1:2: warning: w\n");
        assert_eq!(
            w.into_iter().collect::<Vec<_>>(),
            ["tests/build/out.rs:1: warning: w"]
        );
    }

    fn run(p: &[&str], i: &[&str]) -> SuiteRun {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        let n = 10;
        SuiteRun {
            published: (n - p.len() as u64, p.len() as u64, 0),
            instrumented: (n - i.len() as u64, i.len() as u64, 0),
            failed_published: names(p),
            failed_instrumented: names(i),
            instrumented_built: i.is_empty(),
        }
    }

    #[test]
    fn a_test_that_fails_only_instrumented_is_a_failure() {
        let runs = [run(&[], &["x"]), run(&[], &["x"]), run(&[], &["x"])];
        assert!(suites_agree(&runs)
            .unwrap_err()
            .contains("`x` failed instrumented in 3 of 3 runs, published in 0"));
        // Failing published once does not excuse failing instrumented
        // every time.
        let runs = [run(&[], &["x"]), run(&["x", "y"], &["x"]), run(&[], &["x"])];
        assert!(suites_agree(&runs).is_err());
        let runs = [run(&["x"], &["x"])];
        assert_eq!(suites_agree(&runs), Ok(vec![]));
    }

    #[test]
    fn flaky_as_published_on_either_side_agrees() {
        // The full corpus run of 2026-12-06: instrumented failed `select2`
        // in one run, published in the next.
        let runs = [
            run(&[], &["select2"]),
            run(&["select2"], &[]),
            run(&[], &["select2"]),
        ];
        assert_eq!(suites_agree(&runs), Ok(vec!["select2".to_string()]));
        // Failed only published: the published crate's.
        let runs = [run(&["y"], &[]), run(&["y"], &[]), run(&["y"], &[])];
        assert_eq!(suites_agree(&runs), Ok(vec![]));
        // One run alike decides.
        let runs = [run(&[], &["z"]), run(&[], &[])];
        assert_eq!(suites_agree(&runs), Ok(vec![]));
    }

    #[test]
    fn fewer_tests_or_none_instrumented_is_a_failure() {
        let mut r = run(&[], &[]);
        r.instrumented = (0, 0, 0);
        r.instrumented_built = false;
        assert!(suites_agree(&[r.clone(), r.clone(), r]).is_err());
        let mut r = run(&["a"], &[]);
        r.instrumented = (8, 0, 0);
        assert!(suites_agree(&[r.clone(), r.clone(), r])
            .unwrap_err()
            .contains("8 tests ran instrumented, 10 published"));
    }

    #[test]
    fn snapshots_go_where_they_were_with_nothing_else() {
        let root = std::env::temp_dir().join(format!("inprof-snaps-{}", std::process::id()));
        let (from, to) = (root.join("plain"), root.join("instr"));
        let _ = std::fs::remove_dir_all(&root);
        let write = |p: &std::path::Path, text: &str| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            &from.join("Cargo.toml"),
            "[dev-dependencies.insta]\nversion = \"1\"\n",
        );
        write(&from.join("src/text/snapshots/a__b.snap"), "one");
        write(&from.join("tests/snapshots/c.snap"), "two");
        write(&from.join("src/lib.rs"), "");
        write(&from.join("target/x/d.snap"), "built");
        write(&to.join("src/lib.rs"), "instrumented");
        assert!(uses_insta(&from));
        assert!(!uses_insta(&to));
        assert_eq!(copy_snapshots(&from, &to).unwrap(), 2);
        let read = |p: &str| std::fs::read_to_string(to.join(p)).unwrap();
        assert_eq!(read("src/text/snapshots/a__b.snap"), "one");
        assert_eq!(read("tests/snapshots/c.snap"), "two");
        assert_eq!(read("src/lib.rs"), "instrumented");
        assert!(!to.join("target").exists() && !to.join("Cargo.toml").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
