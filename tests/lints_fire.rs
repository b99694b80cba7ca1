//! Lints on user code keep firing inside instrumented functions, sync and
//! async, at the user's lines, and the attribute brings no warning of its
//! own: `cargo clippy` on tests/lints.

mod common;
use common::*;

#[test]
fn clippy_and_rustc_lints_fire_on_instrumented_code() {
    let (mut cargo, _) = sub_crate(
        &[
            "clippy",
            "--quiet",
            "--message-format=short",
            "--all-targets",
        ],
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
        (
            457,
            "arithmetic operation that can potentially result in unexpected side-effects",
        ),
        (497, "missing `return` statement"),
        (513, "function `never_called` is never used"),
        (517, "struct `Unused` is never constructed"),
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
            "src/lib.rs:457:",
            "src/lib.rs:497:",
            "src/lib.rs:513:",
            "src/lib.rs:517:",
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
/// So do docs in a `/** */` comment with a column of stars: its doc test
/// runs (it did not: two empty code blocks ran instead).
#[test]
fn doc_tests_of_instrumented_items_run_as_written() {
    let (mut cargo, _) = sub_crate(&["test", "--doc", "--quiet"], "lints", "disabled-check");
    let out = run_ok(&mut cargo, "cargo test --doc on tests/lints");
    let text = String::from_utf8_lossy(&out.stdout);
    // `documented`'s and `starred`'s; untrimmed, `starred`'s would be two
    // empty code blocks (three tests, its example in none).
    assert!(
        text.contains("test result: ok. 2 passed"),
        "the doc tests did not run as written:\n{text}"
    );
}

/// Block doc comments read as written through the attribute: each shape
/// below documents one function as published and one instrumented, and
/// rustdoc renders the same HTML for both (11 of the first 18 shapes
/// rendered otherwise: stars kept as list items, a doc test's code lost,
/// a line of stars dropped or kept; the last two, a `#[cfg_attr(.., doc)]`
/// among `///` lines, rustc resolves before the attribute runs).
#[test]
fn block_doc_comments_render_as_written() {
    let shapes = [
        "/**\n * Adds one.\n *\n * ```\n * assert_eq!(1, 1);\n * ```\n */",
        "/**\n   Adds two.\n\n   ```\n   assert_eq!(2, 2);\n   ```\n*/",
        "/** one line */",
        "/**\n  * misaligned\n * stars\n */",
        "/**\n * a\n\n * b\n */",
        "/** ****\n * boxed\n ****/",
        "/// line\n/**\n * block\n */\n/// line2",
        "/**\n * before\n */\n#[doc = include_str!(\"inc.md\")]\n/**\n * after\n *     code\n */",
        "/**\n\t* tabbed\n\t*   indented\n\t*/",
        "/**\n * Example:\n *\n *     let x = 1;\n */",
        "/**\n ** double\n ** stars\n */",
        "/** first line text\n * second\n */",
        "/**\nno stars at all\n  indented\n*/",
        "/**\n * x\n  \n * y\n */",
        "/**\n * x\n \n * y\n */",
        "/**\n * ```\n * fn main() {\n *     println!(\"hi\");\n * }\n * ```\n */",
        "/// intro\n///\n#[doc = \"raw attr\"]\n/** block\n    after raw\n */",
        "/**\r\n * crlf\r\n */",
        "/// Example:\n///\n/// ```\n#[cfg_attr(all(), doc = \"    let x = 1;\")]\n/// ```",
        "/// Example:\n///\n/// ```\n#[cfg_attr(any(), doc = \"    let x = 1;\")]\n///     let y = 2;\n/// ```",
    ];
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = std::path::Path::new(root).join("target/block-docs-check");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"block_docs\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\ninprof = {{ path = {root:?} }}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/inc.md"), "included\n").unwrap();
    let mut lib = String::new();
    for (i, shape) in shapes.iter().enumerate() {
        lib.push_str(&format!("{shape}\npub fn p{i}() {{}}\n\n"));
        lib.push_str(&format!(
            "{shape}\n#[inprof::profile]\npub fn q{i}() {{}}\n\n"
        ));
    }
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let target = std::path::Path::new(root).join("target/disabled-check");
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo
        .args(["doc", "--no-deps", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target);
    run_ok(&mut cargo, "cargo doc on the block-docs crate");
    let docs = |name: &str, i: usize| -> String {
        let page = target.join(format!("doc/block_docs/fn.{name}{i}.html"));
        let html = std::fs::read_to_string(&page).unwrap();
        let start = html
            .find("<div class=\"docblock\">")
            .unwrap_or_else(|| panic!("no docblock in {}", page.display()));
        let end = start + html[start..].find("</details>").unwrap();
        html[start..end].replace(&format!("{name}{i}"), "f")
    };
    let differ: Vec<String> = (0..shapes.len())
        .filter_map(|i| {
            let (published, instrumented) = (docs("p", i), docs("q", i));
            (published != instrumented).then(|| {
                format!(
                    "{:?}\n  published:    {published}\n  instrumented: {instrumented}",
                    shapes[i]
                )
            })
        })
        .collect();
    assert!(
        differ.is_empty(),
        "rendered otherwise:\n{}",
        differ.join("\n")
    );
}
