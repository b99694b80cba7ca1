//! Macro UI tests: accepted items compile and run; rejected ones give one
//! error, spanned at the offending token, with the expected text.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
