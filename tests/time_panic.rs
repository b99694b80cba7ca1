//! A panic inside an annotated function caught by `catch_unwind`: the frames
//! it unwinds through are left, so later calls go to the right paths.

mod common;
use common::*;

#[inprof::profile]
fn may_panic(p: bool) -> u32 {
    inner(p)
}

#[inprof::profile]
fn inner(p: bool) -> u32 {
    if p {
        panic!("boom");
    }
    1
}

/// A pattern argument: the body runs as a closure inside `record_body`,
/// whose frame must be left on unwinding too.
#[inprof::profile]
fn via_closure((p, _): (bool, u8)) -> u32 {
    inner(p)
}

/// The same with a result wider than a register, which comes back from
/// `record_body` through a slot of its own where optimized (this test
/// also runs in `--release`): left unwritten on unwinding, and the value
/// right when the body returns.
#[inprof::profile]
fn wide_via_closure((p, _): (bool, u8)) -> (u64, String, u64) {
    (u64::from(inner(p)), "two".to_owned(), 3)
}

#[inprof::profile]
fn after() -> u32 {
    std::hint::black_box(7)
}

#[inprof::profile]
fn driver() {
    let r = std::panic::catch_unwind(|| may_panic(true));
    assert!(r.is_err());
    after();
    may_panic(false);
    let r = std::panic::catch_unwind(|| via_closure((true, 0)));
    assert!(r.is_err());
    after();
    via_closure((false, 0));
    let r = std::panic::catch_unwind(|| wide_via_closure((true, 0)));
    assert!(r.is_err());
    after();
    assert_eq!(wide_via_closure((false, 0)), (1, "two".to_owned(), 3));
}

#[test]
fn unwinding_keeps_the_tree_right() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"boom") {
            default(info);
        }
    }));
    let dir = tmpdir("panic");
    let file = dir.join("cpu.pb.gz");
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    driver();
    after();
    guard.stop().unwrap();

    let traces = traces(&file, &["-sample_index=calls"]);
    let stacks: Vec<Vec<String>> = traces.iter().map(|(_, s)| s.clone()).collect();
    let want = |s: &[&str]| {
        s.iter()
            .map(|x| format!("time_panic::{x}"))
            .collect::<Vec<_>>()
    };
    for expected in [
        want(&["after", "driver"]),
        want(&["after"]),
        want(&["inner", "may_panic", "driver"]),
        want(&["may_panic", "driver"]),
        want(&["inner", "via_closure", "driver"]),
        want(&["via_closure", "driver"]),
        want(&["inner", "wide_via_closure", "driver"]),
        want(&["wide_via_closure", "driver"]),
        want(&["driver"]),
    ] {
        assert!(
            stacks.contains(&expected),
            "missing {expected:?} in {stacks:#?}"
        );
    }
    // No stack has `after` below the function that panicked.
    for s in &stacks {
        if s[0] == "time_panic::after" {
            assert!(
                !s.iter().any(|f| f.contains("may_panic")
                    || f.contains("via_closure")
                    || f.contains("inner")),
                "{s:?}"
            );
        }
    }
    let calls = top(&file, &["-sample_index=calls"]);
    assert_eq!(row(&calls, "time_panic::may_panic").flat, 2.0);
    assert_eq!(row(&calls, "time_panic::via_closure").flat, 2.0);
    assert_eq!(row(&calls, "time_panic::wide_via_closure").flat, 2.0);
    assert_eq!(row(&calls, "time_panic::inner").flat, 6.0);
    assert_eq!(row(&calls, "time_panic::after").flat, 4.0);
}
