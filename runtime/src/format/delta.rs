//! Delta profiles (Go's `?seconds=N` on heap, allocs, block, mutex, ...):
//! the profile at the end minus the profile at the start, sample by sample.

use crate::format::pprof::{Builder, Frame, LabelValue, Profile};
use std::collections::HashMap;
use std::time::Duration;

type Key = (Vec<(String, String, i64)>, Vec<(String, String, i64)>);

/// The samples of `p` keyed by their stack (function, file, line) and
/// labels.
fn keyed(p: &Profile) -> HashMap<Key, Vec<i64>> {
    let locs: HashMap<u64, &crate::format::pprof::Location> =
        p.location.iter().map(|l| (l.id, l)).collect();
    let funcs: HashMap<u64, &crate::format::pprof::Function> =
        p.function.iter().map(|f| (f.id, f)).collect();
    let mut out: HashMap<Key, Vec<i64>> = HashMap::new();
    for s in &p.sample {
        let mut stack = Vec::new();
        for id in &s.location_id {
            if let Some(l) = locs.get(id) {
                for line in &l.line {
                    if let Some(f) = funcs.get(&line.function_id) {
                        stack.push((
                            p.str(f.name).to_owned(),
                            p.str(f.filename).to_owned(),
                            line.line,
                        ));
                    }
                }
            }
        }
        let labels = s
            .label
            .iter()
            .map(|l| (p.str(l.key).to_owned(), p.str(l.str).to_owned(), l.num))
            .collect();
        let e = out
            .entry((stack, labels))
            .or_insert_with(|| vec![0; s.value.len()]);
        for (a, v) in e.iter_mut().zip(&s.value) {
            *a += v;
        }
    }
    out
}

/// `p1 - p0`, sample by sample (Go's delta profiles).
pub fn delta(p0: &Profile, p1: &Profile, span: Duration) -> Profile {
    let types: Vec<(String, String)> = p1
        .sample_type
        .iter()
        .map(|t| (p1.str(t.r#type).to_owned(), p1.str(t.unit).to_owned()))
        .collect();
    let tref: Vec<(&str, &str)> = types
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let pt = p1.period_type.clone().unwrap_or_default();
    let default = p1.str(p1.default_sample_type).to_owned();
    let mut b = Builder::new(
        &tref,
        (p1.str(pt.r#type), p1.str(pt.unit)),
        p1.period,
        if default.is_empty() {
            None
        } else {
            Some(&default)
        },
    );
    let base = keyed(p0);
    let mut now: Vec<(Key, Vec<i64>)> = keyed(p1).into_iter().collect();
    now.sort_by(|a, b| a.0.cmp(&b.0));
    for ((stack, labels), vals) in now {
        let d: Vec<i64> = match base.get(&(stack.clone(), labels.clone())) {
            Some(b0) => vals.iter().zip(b0).map(|(a, b)| a - b).collect(),
            None => vals,
        };
        if d.iter().all(|v| *v == 0) {
            continue;
        }
        let locs: Vec<u64> = stack
            .iter()
            .map(|(name, file, line)| {
                let key = {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    (name, file, line).hash(&mut h);
                    h.finish()
                };
                b.location(
                    key,
                    Frame {
                        name,
                        file,
                        line: *line as u32,
                    },
                )
            })
            .collect();
        let lv: Vec<(&str, LabelValue<'_>)> = labels
            .iter()
            .map(|(k, s, n)| {
                (
                    k.as_str(),
                    if s.is_empty() {
                        LabelValue::Num(*n, None)
                    } else {
                        LabelValue::Str(s.as_str())
                    },
                )
            })
            .collect();
        b.sample(locs, d, &lv);
    }
    b.finish(p1.time_nanos, span.as_nanos() as i64)
}
