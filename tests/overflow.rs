//! The node bound: past it, new paths fold into one overflow node; deep
//! recursion cannot exhaust memory and the profile stays valid.

mod common;
use common::*;

#[inprof::profile]
fn deep(n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        1 + deep(n - 1)
    }
}

#[test]
fn deep_recursion_folds_into_overflow_node() {
    inprof::set_max_nodes(100);
    let t = std::thread::spawn(|| deep(5000));
    assert_eq!(t.join().unwrap(), 5000);
    let dir = tmpdir("overflow");
    let file = dir.join("time.pb.gz");
    inprof::write_time_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let calls = top(&file, &["-sample_index=calls"]);
    // Every call is counted: those past the bound at the overflow node.
    let deep_calls = row(&calls, "overflow::deep").flat;
    let over = row(&calls, "[inprof: node limit reached]").flat;
    assert_eq!(deep_calls + over, 5001.0);
    assert!(deep_calls <= 100.0);
    raw(&file);
}
