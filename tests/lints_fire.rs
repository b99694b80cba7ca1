//! Lints on user code keep firing inside instrumented functions, sync and
//! async, at the user's lines, and the attribute brings no warning of its
//! own: `cargo clippy` on tests/lints.

mod common;
use common::*;

#[test]
fn clippy_and_rustc_lints_fire_on_instrumented_code() {
    let (mut cargo, _) = sub_crate(
        &["clippy", "--quiet", "--message-format=short"],
        "lints",
        "disabled-check",
    );
    let out = cargo.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if text.contains("no such command: `clippy`") {
        panic!("clippy is not installed: rustup component add clippy\n{text}");
    }
    // The crate builds: nothing inprof brings changes how the user's code
    // type-checks (`Bound::exceeded_by`: fst 0.4.7's comparison).
    assert!(
        !text.lines().any(|l| l.contains("error")),
        "tests/lints does not build:\n{text}"
    );
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("warning:")).collect();
    for (line, what) in [
        (6, "unneeded `return` statement"),
        (11, "unneeded `return` statement"),
        (16, "unused variable: `unused`"),
        (25, "unneeded `return` statement"),
        (44, "unused variable: `unused_arg`"),
        (
            106,
            "the `Err`-variant returned from this function is very large",
        ),
        (201, "unnecessary structure name repetition"),
        (202, "unnecessary structure name repetition"),
        (265, "adding items after statements is confusing"),
        (390, "help: try: `product()`"),
        (397, "help: try: `sum()`"),
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&format!("src/lib.rs:{line}:")) && w.contains(what)),
            "no `{what}` at line {line}:\n{text}"
        );
    }
    assert!(
        !warnings.iter().any(|w| ![
            "src/lib.rs:6:",
            "src/lib.rs:11:",
            "src/lib.rs:16:",
            "src/lib.rs:25:",
            "src/lib.rs:44:",
            "src/lib.rs:106:",
            "src/lib.rs:116:",
            "src/lib.rs:201:",
            "src/lib.rs:202:",
            "src/lib.rs:265:",
            "src/lib.rs:390:",
            "src/lib.rs:397:",
        ]
        .iter()
        .any(|l| w.contains(l))
            && !w.contains("generated")),
        "a warning the user did not write:\n{text}"
    );
    // use_self on an inherent method's signature: once, not a second time
    // for the closure's copy of the return type.
    assert_eq!(
        warnings
            .iter()
            .filter(|w| w.contains("src/lib.rs:201:"))
            .count(),
        1,
        "use_self at line 201 more than once:\n{text}"
    );
}

/// An item's docs that mix `///` lines with `#[doc = include_str!(..)]`
/// read as written: its doc test passes instrumented (it failed, the
/// included example's code block one space short on each indented line).
#[test]
fn doc_tests_of_instrumented_items_run_as_written() {
    let (mut cargo, _) = sub_crate(&["test", "--doc", "--quiet"], "lints", "disabled-check");
    let out = run_ok(&mut cargo, "cargo test --doc on tests/lints");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("test result: ok. 1 passed"),
        "the doc test did not run:\n{text}"
    );
}
