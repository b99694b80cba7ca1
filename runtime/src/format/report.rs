//! Text reports over a decoded profile, with pprof's semantics: a sample's
//! value is added to the flat of its leaf function and to the cum of every
//! distinct function on its stack once.

use crate::format::pprof::Profile;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// One row of a top report.
#[derive(Clone, Debug, PartialEq)]
pub struct TopRow {
    /// Function name.
    pub name: String,
    /// Value of samples whose leaf is this function.
    pub flat: i64,
    /// Value of samples with this function anywhere on the stack.
    pub cum: i64,
    /// Whether the calls into it were inlined (pprof's row label).
    pub inlined: Inlined,
}

/// What [`stacks`] puts after the name of a frame inlined into its caller
/// (every line of a location but its last), as pprof's `-traces` shows it.
pub const INLINE_MARK: &str = " (inline)";

/// A frame of [`stacks`] as its function's name and whether it was
/// inlined into its caller (marked with [`INLINE_MARK`]).
pub fn split_inline(frame: &str) -> (&str, bool) {
    match frame.strip_suffix(INLINE_MARK) {
        Some(name) => (name, true),
        None => (frame, false),
    }
}

/// How the calls into a function were made, as pprof labels its row in
/// `-top`: from the edges into it, one edge a caller, inlined if every
/// call on it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Inlined {
    /// No edge into it is inlined (or it has none: a root).
    #[default]
    No,
    /// Every edge into it is: `name (inline)`.
    Always,
    /// Some are and some are not: `name (partial-inline)`.
    Partly,
}

impl Inlined {
    /// The text pprof's `-top` puts after the name (with its space), or "".
    pub fn suffix(self) -> &'static str {
        match self {
            Inlined::No => "",
            Inlined::Always => INLINE_MARK,
            Inlined::Partly => " (partial-inline)",
        }
    }
}

/// A call edge of [`call_edges`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Edge {
    /// The value of the samples through it (each sample once).
    pub weight: i64,
    /// Whether every call on it was inlined.
    pub inline: bool,
}

/// The index of the sample type named `name`, or the profile's default
/// (`default_sample_type`, else the last) when `name` is None.
pub fn sample_index(p: &Profile, name: Option<&str>) -> Option<usize> {
    match name {
        Some(n) => p.sample_type.iter().position(|t| p.str(t.r#type) == n),
        None => {
            let d = p.str(p.default_sample_type);
            if !d.is_empty() {
                if let Some(i) = p.sample_type.iter().position(|t| p.str(t.r#type) == d) {
                    return Some(i);
                }
            }
            p.sample_type.len().checked_sub(1)
        }
    }
}

/// Flat and cum per function for sample type `idx`, sorted by flat
/// (descending), then by name.
pub fn top(p: &Profile, idx: usize) -> Vec<TopRow> {
    let st: Vec<(Vec<String>, i64)> = stacks(p)
        .into_iter()
        .map(|s| {
            let v = s.values.get(idx).copied().unwrap_or(0);
            (s.frames, v)
        })
        .filter(|(_, v)| *v != 0)
        .collect();
    let inl = inlined(&st);
    let mut rows: Vec<TopRow> = flat_cum(&st)
        .into_iter()
        .map(|(name, flat, cum)| TopRow {
            inlined: inl.get(&name).copied().unwrap_or_default(),
            name,
            flat,
            cum,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.flat
            .cmp(&a.flat)
            .then(b.cum.cmp(&a.cum))
            .then(a.name.cmp(&b.name))
    });
    rows
}

/// One sample as stacks of names.
pub struct Stack {
    /// Function names, leaf first (inlined frames expanded, each marked
    /// with [`INLINE_MARK`]).
    pub frames: Vec<String>,
    /// The sample's values.
    pub values: Vec<i64>,
    /// Its labels as (key, value), numbers with their unit.
    pub labels: Vec<(String, String)>,
}

/// Every sample of `p` as names.
pub fn stacks(p: &Profile) -> Vec<Stack> {
    let funcs: HashMap<u64, &str> = p.function.iter().map(|f| (f.id, p.str(f.name))).collect();
    let locs: HashMap<u64, Vec<String>> = p
        .location
        .iter()
        .map(|l| {
            let names = if l.line.is_empty() {
                vec![format!("{:#x}", l.address)]
            } else {
                // Like pprof, a frame inlined into another (all lines but
                // the last, the physical caller) is shown as `name (inline)`.
                let last = l.line.len() - 1;
                l.line
                    .iter()
                    .enumerate()
                    .map(|(i, ln)| {
                        let name = funcs.get(&ln.function_id).copied().unwrap_or("?");
                        if i < last {
                            format!("{name}{INLINE_MARK}")
                        } else {
                            name.to_owned()
                        }
                    })
                    .collect()
            };
            (l.id, names)
        })
        .collect();
    p.sample
        .iter()
        .map(|s| Stack {
            frames: s
                .location_id
                .iter()
                .flat_map(|id| locs.get(id).cloned().unwrap_or_else(|| vec!["?".into()]))
                .collect(),
            values: s.value.clone(),
            labels: s
                .label
                .iter()
                .map(|l| {
                    let v = if l.str != 0 {
                        p.str(l.str).to_owned()
                    } else {
                        let unit = p.str(l.num_unit);
                        if unit.is_empty() {
                            l.num.to_string()
                        } else {
                            format!("{}{unit}", l.num)
                        }
                    };
                    (p.str(l.key).to_owned(), v)
                })
                .collect(),
        })
        .collect()
}

/// Flat and cum per function, as pprof counts them: a sample's value in
/// the flat of its leaf and once in the cum of each function on its
/// stack. A function is one row whether or not a frame of it was inlined
/// (see [`inlined`] for its label).
pub fn flat_cum(stacks: &[(Vec<String>, i64)]) -> Vec<(String, i64, i64)> {
    let mut flat: HashMap<&str, i64> = HashMap::new();
    let mut cum: HashMap<&str, i64> = HashMap::new();
    for (frames, v) in stacks {
        if let Some(leaf) = frames.first() {
            *flat.entry(split_inline(leaf).0).or_default() += v;
        }
        let mut seen = HashSet::new();
        for f in frames {
            let name = split_inline(f).0;
            if seen.insert(name) {
                *cum.entry(name).or_default() += v;
            }
        }
    }
    cum.into_iter()
        .map(|(n, c)| (n.to_owned(), flat.get(n).copied().unwrap_or(0), c))
        .collect()
}

/// The calls in `stacks` (leaf first) as pprof's graph has them: an edge
/// from caller to callee by function name, a sample's value added once to
/// each edge on its stack, no edge from a function to itself; an edge is
/// inlined if every call on it was (in a sample that passes an edge twice,
/// the call nearest the root).
pub fn call_edges(stacks: &[(Vec<String>, i64)]) -> HashMap<(String, String), Edge> {
    let mut edges: HashMap<(String, String), Edge> = HashMap::new();
    for (frames, v) in stacks {
        let mut seen = HashSet::new();
        // From the root, as pprof walks a sample.
        for pair in frames.windows(2).rev() {
            let (callee, inline) = split_inline(&pair[0]);
            let caller = split_inline(&pair[1]).0;
            if caller == callee || !seen.insert((caller, callee)) {
                continue;
            }
            let e = edges
                .entry((caller.to_owned(), callee.to_owned()))
                .or_insert(Edge {
                    weight: 0,
                    inline: true,
                });
            e.weight += v;
            e.inline &= inline;
        }
    }
    edges
}

/// Each function's row label (see [`Inlined`]) from the edges into it;
/// functions with no edge into them are left out (their label is
/// [`Inlined::No`]).
pub fn inlined(stacks: &[(Vec<String>, i64)]) -> HashMap<String, Inlined> {
    let mut by: HashMap<String, (bool, bool)> = HashMap::new();
    for ((_, callee), e) in call_edges(stacks) {
        let k = by.entry(callee).or_default();
        if e.inline {
            k.0 = true;
        } else {
            k.1 = true;
        }
    }
    by.into_iter()
        .map(|(name, k)| {
            let l = match k {
                (true, true) => Inlined::Partly,
                (true, false) => Inlined::Always,
                _ => Inlined::No,
            };
            (name, l)
        })
        .collect()
}

/// Formats a value of `unit` the way pprof shows it (`150.20ms`, `1.50MB`).
pub fn format_value(v: i64, unit: &str) -> String {
    let f = v as f64;
    // Two decimals, like pprof (`351.51ms`), trailing zeros dropped.
    let scaled = |div: f64, suffix: &str| format!("{}{suffix}", trim(format!("{:.2}", f / div)));
    match unit {
        "nanoseconds" => {
            let a = f.abs();
            if a >= 1e9 {
                scaled(1e9, "s")
            } else if a >= 1e6 {
                scaled(1e6, "ms")
            } else if a >= 1e3 {
                scaled(1e3, "us")
            } else {
                format!("{v}ns")
            }
        }
        "bytes" => {
            let a = f.abs();
            if a >= 1024.0 * 1024.0 * 1024.0 {
                scaled(1024.0 * 1024.0 * 1024.0, "GB")
            } else if a >= 1024.0 * 1024.0 {
                scaled(1024.0 * 1024.0, "MB")
            } else if a >= 1024.0 {
                scaled(1024.0, "kB")
            } else {
                format!("{v}B")
            }
        }
        _ => v.to_string(),
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A pprof-style top table of the `n` heaviest functions for sample type
/// `idx`.
pub fn format_top(p: &Profile, idx: usize, n: usize) -> String {
    let unit = p.sample_type.get(idx).map(|t| p.str(t.unit)).unwrap_or("");
    let rows = top(p, idx);
    let total: i64 = p
        .sample
        .iter()
        .map(|s| s.value.get(idx).copied().unwrap_or(0))
        .sum();
    let pct = |v: i64| {
        if total == 0 {
            0.0
        } else {
            v as f64 * 100.0 / total as f64
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Showing top {} of {} functions, total {} ({})",
        n.min(rows.len()),
        rows.len(),
        format_value(total, unit),
        p.sample_type
            .get(idx)
            .map(|t| p.str(t.r#type))
            .unwrap_or("")
    );
    let _ = writeln!(
        out,
        "{:>10} {:>6} {:>6} {:>10} {:>6}  name",
        "flat", "flat%", "sum%", "cum", "cum%"
    );
    let mut sum = 0;
    for r in rows.iter().take(n) {
        sum += r.flat;
        let _ = writeln!(
            out,
            "{:>10} {:>5.2}% {:>5.2}% {:>10} {:>5.2}%  {}{}",
            format_value(r.flat, unit),
            pct(r.flat),
            pct(sum),
            format_value(r.cum, unit),
            pct(r.cum),
            r.name,
            r.inlined.suffix()
        );
    }
    out
}

/// Formats bytes the way gops does: `1.50MB (1572864 bytes)`.
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    let s = if f >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}GB", f / (1024.0 * 1024.0 * 1024.0))
    } else if f >= 1024.0 * 1024.0 {
        format!("{:.2}MB", f / (1024.0 * 1024.0))
    } else if f >= 1024.0 {
        format!("{:.2}KB", f / 1024.0)
    } else {
        format!("{n}B")
    };
    format!("{s} ({n} bytes)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(frames: &[&str], v: i64) -> (Vec<String>, i64) {
        (frames.iter().map(|f| f.to_string()).collect(), v)
    }

    #[test]
    fn a_function_inlined_on_some_paths_is_one_partly_inlined_row() {
        let s = [
            st(&["mk (inline)", "direct", "main"], 3),
            st(&["mk", "via", "main"], 5),
            st(&["direct", "main"], 1),
        ];
        let fc: HashMap<String, (i64, i64)> = flat_cum(&s)
            .into_iter()
            .map(|(n, f, c)| (n, (f, c)))
            .collect();
        assert_eq!(fc["mk"], (8, 8));
        assert_eq!(fc["direct"], (1, 4));
        assert_eq!(fc["main"], (0, 9));
        assert!(!fc.contains_key("mk (inline)"));
        let l = inlined(&s);
        assert_eq!(l["mk"], Inlined::Partly);
        assert_eq!(l["direct"], Inlined::No);
        assert_eq!(l.get("main"), None);
        assert_eq!(Inlined::Partly.suffix(), " (partial-inline)");
        let e = call_edges(&s);
        assert_eq!(
            e[&("direct".to_owned(), "mk".to_owned())],
            Edge {
                weight: 3,
                inline: true
            }
        );
        assert_eq!(
            e[&("via".to_owned(), "mk".to_owned())],
            Edge {
                weight: 5,
                inline: false
            }
        );
        // Inlined on every path: labelled inline.
        let only = [st(&["mk (inline)", "direct"], 2)];
        assert_eq!(inlined(&only)["mk"], Inlined::Always);
    }

    #[test]
    fn edges_count_a_sample_once_and_skip_self_calls() {
        // Recursion: a -> a is no edge; b -> a once per sample although
        // the sample passes it twice; its inline flag from the call
        // nearest the root (not inlined).
        let s = [st(&["a (inline)", "b", "a", "b"], 4)];
        let e = call_edges(&s);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(
            e[&("b".to_owned(), "a".to_owned())],
            Edge {
                weight: 4,
                inline: false
            }
        );
        assert_eq!(e[&("a".to_owned(), "b".to_owned())].weight, 4);
        assert_eq!(flat_cum(&s).iter().find(|r| r.0 == "a").unwrap().2, 4);
    }
}
