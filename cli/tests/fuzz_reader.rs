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
    prost::Message::encode_to_vec(&p)
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
