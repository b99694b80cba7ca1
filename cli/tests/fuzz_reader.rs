//! The reader never panics: arbitrary bytes, and valid profiles with bytes
//! flipped, cut or inserted, go through decoding and every report without
//! a panic: either a clean error or a report.

use inprof_cli::view;
use inprof_runtime::pprof::Profile;
use proptest::prelude::*;

#[inprof::profile]
fn a(n: u64) -> u64 {
    b(n) + 1
}

#[inprof::profile]
fn b(n: u64) -> u64 {
    std::hint::black_box(n)
}

/// A real profile, raw protobuf (not gzipped), to mutate.
fn sample_profile() -> Vec<u8> {
    for i in 0..50 {
        a(i);
    }
    let p = inprof::time_profile();
    p.encode()
}

fn exercise(data: &[u8]) {
    let Ok(p) = Profile::decode(data) else { return };
    let sel = view::Select::default();
    let style = view::Style::detect();
    let all = regex::Regex::new(".").unwrap();
    let _ = view::top(&p, &sel, false, 100, &style);
    let _ = view::peek(&p, &sel, &all);
    let _ = view::traces(&p, &sel);
    let _ = view::dot(&p, &sel);
    if let Ok((_, _, st)) = view::selected(&p, &sel) {
        let _ = view::folded(&st);
    }
    let _ = view::diff_top(&p, &p, &sel, 10);
    let _ = inprof_runtime::report::format_top(&p, 0, 10);
    let _ = view::tags(&p, &sel);
    let _ = view::source(&p, &sel, &all);
    let _ = view::flame_svg(&p, &sel, "fuzz");
    let _ = view::icicle_svg(&p, &sel, "fuzz");
    let _ = view::diff_flame(&p, &p, &sel);
    if let Ok(m) = view::merge(vec![p.clone(), p.clone()]) {
        let _ = view::top(&m, &sel, true, 100, &style);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&data);
    }

    #[test]
    fn mutated_profiles_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        insert in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut data = sample_profile();
        for (i, v) in flips {
            let at = i.index(data.len());
            data[at] = v;
        }
        let at = cut.index(data.len());
        data.splice(at..at, insert);
        exercise(&data);
        // And gzipped.
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            e.write_all(&data).unwrap();
            e.finish().unwrap();
        }
        exercise(&gz);
        exercise(&gz[..gz.len() / 2]);
    }
}

/// Inputs that once broke readers of this kind, kept as regressions.
#[test]
fn regression_corpus() {
    let cases: &[&[u8]] = &[
        b"",
        &[0x1f, 0x8b],
        &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
        // A sample with a location id that does not exist.
        &[0x12, 0x02, 0x08, 0x07, 0x32, 0x00],
        // A string index far out of range as sample type.
        &[0x0a, 0x04, 0x08, 0xff, 0x01, 0x10, 0x01, 0x32, 0x00],
        // Deep nesting / huge length prefix.
        &[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f],
    ];
    for c in cases {
        exercise(c);
        assert!(Profile::decode(c).is_err(), "{c:?} should be rejected");
    }
}

/// Extreme numbers: values whose magnitudes add up to just under 2^62
/// (the most a profile may hold) go through every report, positive or negative, with
/// extreme times and period; from 2^62 on the profile is refused with a
/// clear error instead of overflowing (a panic in a debug build, nonsense
/// in a release one).
#[test]
fn extreme_values_are_reported_or_refused_never_overflowed() {
    use inprof_runtime::pprof::{Builder, Frame, LabelValue};
    let build = |v: i64| {
        let mut b = Builder::new(&[("samples", "count")], ("samples", "count"), 1, None);
        let frame = |name, line| Frame {
            name,
            file: "x.rs",
            line,
        };
        let l1 = b.location(1, frame("a", 1));
        let l2 = b.location(2, frame("b", 2));
        b.sample(
            vec![l1, l2],
            vec![v],
            &[("k", LabelValue::Num(v, Some("bytes")))],
        );
        b.sample(vec![l2], vec![v], &[("k", LabelValue::Str("s"))]);
        b.sample(vec![l1], vec![v], &[] as &[(&str, LabelValue<'_>)]);
        let mut p = b.finish(i64::MIN, i64::MAX);
        p.period = i64::MAX;
        p.encode()
    };
    let limit = inprof_runtime::pprof::MAX_VALUE_SUM;
    for v in [limit / 3, -(limit / 3), -1, 0] {
        let data = build(v);
        assert!(Profile::decode(&data).is_ok(), "{v}");
        exercise(&data);
    }
    // Merged (`inprof top A B C D`): four valid profiles whose values add
    // up past the limit are refused; ids that cannot be moved past those
    // of the profiles before them too; durations add up to at most the
    // largest.
    let near = Profile::decode(&build(limit / 3)).unwrap();
    let e = view::merge(vec![near.clone(); 4]).unwrap_err();
    assert!(
        e.starts_with("the merged profile: ") && e.contains("add up to 2^62 or more"),
        "{e}"
    );
    let merged = view::merge(vec![Profile::decode(&build(1)).unwrap(); 2]).unwrap();
    assert_eq!(merged.duration_nanos, i64::MAX);
    let mut far = Profile::decode(&build(1)).unwrap();
    for l in &mut far.location {
        l.id = u64::MAX - l.id;
    }
    for s in &mut far.sample {
        for id in &mut s.location_id {
            *id = u64::MAX - *id;
        }
    }
    let e = view::merge(vec![far.clone(), far]).unwrap_err();
    assert!(e.contains("cannot merge: id"), "{e}");
    for v in [limit / 3 + 1, -(limit / 3) - 1, i64::MAX, i64::MIN] {
        let e = Profile::decode(&build(v)).unwrap_err().to_string();
        assert!(
            e.contains("the values of sample type 0 (samples) add up to 2^62 or more"),
            "{v}: {e}"
        );
    }
}
