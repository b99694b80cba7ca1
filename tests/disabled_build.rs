//! With the `enable` feature off, `#[profile]` returns items untouched: the
//! crate in tests/disabled builds and records nothing.

mod common;
use common::*;

#[test]
fn disabled_build_compiles_and_records_nothing() {
    let (mut cargo, _) = sub_crate(&["test", "--quiet"], "disabled", "disabled-check");
    run_ok(&mut cargo, "disabled build");
}
