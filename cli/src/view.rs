//! Reading profiles without Go: loading (file or URL), and the reports
//! `go tool pprof` gives (top, peek, traces, tree), flame graphs, DOT call
//! graphs and differences, with pprof's semantics: a sample's value counts
//! in the flat of its leaf and in the cum of every distinct function on its
//! stack once.

use inprof_runtime::pprof::Profile;
use inprof_runtime::report::{format_value, Edge, INLINE_MARK};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

static MAX_BYTES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(inprof_runtime::pprof::DEFAULT_MAX_DECODED);

/// Sets the most bytes a profile may take, read and decompressed (the
/// `--max-bytes` option).
pub fn set_max_bytes(n: usize) {
    MAX_BYTES.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// The most bytes a profile may take, read and decompressed.
pub fn max_bytes() -> usize {
    MAX_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Loads a profile from a file or an `http://` URL. For `/debug/pprof/`
/// URLs, `seconds` is passed on as `?seconds=N`, as `go tool pprof` does.
/// Files and replies over [`max_bytes`] (read or decompressed) are
/// refused with one line.
pub fn load(source: &str, seconds: Option<u64>) -> Result<Profile, String> {
    let limit = max_bytes();
    let data = if source.starts_with("http://") || source.starts_with("https://") {
        let mut url = source.to_owned();
        if let Some(s) = seconds {
            if url.contains("/debug/pprof/") && !url.contains("seconds=") {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&format!("seconds={s}"));
            }
        }
        let wait = seconds.unwrap_or(if url.contains("/debug/pprof/profile") {
            30
        } else {
            0
        });
        crate::remote::http_get(&url, Duration::from_secs(wait * 3 / 2 + 30))?
    } else {
        use std::io::Read;
        let f = std::fs::File::open(source).map_err(|e| format!("{source}: {e}"))?;
        let mut data = Vec::new();
        f.take(limit as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("{source}: {e}"))?;
        data
    };
    if data.is_empty() {
        return Err(format!("{source}: empty file, not a profile"));
    }
    if data.len() > limit {
        return Err(format!(
            "{source}: larger than {limit} bytes (raise the limit with --max-bytes)"
        ));
    }
    let limits = inprof_runtime::pprof::DecodeLimits { max_decoded: limit };
    Profile::decode_with(&data, &limits).map_err(|e| {
        let e = e.to_string();
        if e.contains("once decompressed") {
            format!("{source}: larger than {limit} bytes once decompressed (raise the limit with --max-bytes)")
        } else {
            format!("{source}: {e}")
        }
    })
}

pub use inprof_runtime::report::{call_edges, flat_cum, inlined, split_inline, stacks, Stack};

/// Options shared by the reports.
#[derive(Default, Clone)]
pub struct Select {
    /// The sample type (None: the profile's default).
    pub sample_index: Option<String>,
    /// Keep only samples with a frame matching this.
    pub focus: Option<Regex>,
    /// Drop samples with a frame matching this.
    pub ignore: Option<Regex>,
    /// Leave frames matching this out of the stacks (Go's `-hide`).
    pub hide: Option<Regex>,
    /// Keep only frames matching this in the stacks (Go's `-show`).
    pub show: Option<Regex>,
    /// Only samples with a label matching: `key=regex`, or a regex of
    /// any label value (Go's `-tagfocus`).
    pub tagfocus: Option<TagFilter>,
    /// Drop samples with a label matching (Go's `-tagignore`).
    pub tagignore: Option<TagFilter>,
    /// Show values in this unit (Go's `-unit`).
    pub unit: Option<String>,
}

/// A label filter: a key and a value regex, or a regex of any value.
#[derive(Clone)]
pub struct TagFilter {
    text: String,
    key: Option<String>,
    value: Regex,
}

impl TagFilter {
    /// Parses `key=regex` or `regex`.
    pub fn parse(s: &str) -> Result<TagFilter, String> {
        let (key, re) = match s.split_once('=') {
            Some((k, v))
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_alphanumeric() || "_-.:/".contains(c)) =>
            {
                (Some(k.to_owned()), v)
            }
            _ => (None, s),
        };
        let value = Regex::new(re).map_err(|e| format!("bad regex {re:?}: {e}"))?;
        Ok(TagFilter {
            text: s.to_owned(),
            key,
            value,
        })
    }

    fn matches(&self, labels: &[(String, String)]) -> bool {
        labels.iter().any(|(k, v)| {
            self.key.as_deref().is_none_or(|want| want == k) && self.value.is_match(v)
        })
    }
}

/// Whether a regex matches a frame: its function's name, without the
/// inline mark (as pprof matches names).
fn matches(re: &Regex, frame: &str) -> bool {
    re.is_match(split_inline(frame).0)
}

/// Whether `s` passes the focus, ignore, tagfocus and tagignore filters.
fn kept(s: &Stack, sel: &Select) -> bool {
    sel.focus
        .as_ref()
        .is_none_or(|re| s.frames.iter().any(|f| matches(re, f)))
        && !sel
            .ignore
            .as_ref()
            .is_some_and(|re| s.frames.iter().any(|f| matches(re, f)))
        && sel.tagfocus.as_ref().is_none_or(|t| t.matches(&s.labels))
        && !sel.tagignore.as_ref().is_some_and(|t| t.matches(&s.labels))
}

/// `frames` with `hide` and `show` applied.
fn shown(frames: Vec<String>, sel: &Select) -> Vec<String> {
    if sel.hide.is_none() && sel.show.is_none() {
        return frames;
    }
    frames
        .into_iter()
        .filter(|f| !sel.hide.as_ref().is_some_and(|re| matches(re, f)))
        .filter(|f| sel.show.as_ref().is_none_or(|re| matches(re, f)))
        .collect()
}

/// A stack (leaf first) and its value at the chosen sample index.
pub type Weighted = (Vec<String>, i64);

/// The sample index `sel` chooses and its unit.
fn index_and_unit(p: &Profile, sel: &Select) -> Result<(usize, String), String> {
    let idx =
        inprof_runtime::report::sample_index(p, sel.sample_index.as_deref()).ok_or_else(|| {
            let names: Vec<&str> = p.sample_type.iter().map(|t| p.str(t.r#type)).collect();
            format!(
                "sample index {:?} not in profile (have: {})",
                sel.sample_index.as_deref().unwrap_or(""),
                names.join(", ")
            )
        })?;
    let unit = p
        .sample_type
        .get(idx)
        .map(|t| p.str(t.unit).to_owned())
        .unwrap_or_default();
    Ok((idx, unit))
}

/// [`selected`] in a base profile and a new one, whose selected sample
/// types must be the same (name and unit), as pprof requires of the
/// profiles it compares: a heap profile's bytes less a CPU profile's
/// nanoseconds means nothing. The unit, then the base's and the new's
/// stacks.
#[allow(clippy::type_complexity)]
pub fn selected_both(
    base: &Profile,
    new: &Profile,
    sel: &Select,
) -> Result<(String, Vec<Weighted>, Vec<Weighted>), String> {
    let (bi, unit, b) = selected(base, sel)?;
    let (ni, _, a) = selected(new, sel)?;
    let ty = |p: &Profile, i: usize| {
        p.sample_type
            .get(i)
            .map(|t| format!("{}/{}", p.str(t.r#type), p.str(t.unit)))
            .unwrap_or_default()
    };
    let (bt, nt) = (ty(base, bi), ty(new, ni));
    if bt != nt {
        return Err(format!(
            "incompatible sample types: the base shows {bt}, the new profile {nt} (choose one both have with -sample_index)"
        ));
    }
    Ok((unit, b, a))
}

/// The sample index and unit chosen by `sel`, and the kept stacks with
/// their value at that index.
pub fn selected(p: &Profile, sel: &Select) -> Result<(usize, String, Vec<Weighted>), String> {
    let (idx, unit) = index_and_unit(p, sel)?;
    let kept = stacks(p)
        .into_iter()
        .filter(|s| kept(s, sel))
        .map(|s| {
            let v = s.values.get(idx).copied().unwrap_or(0);
            (shown(s.frames, sel), v)
        })
        .filter(|(f, v)| *v != 0 && !f.is_empty())
        .collect();
    Ok((idx, unit, kept))
}

fn pct(v: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        v as f64 * 100.0 / total as f64
    }
}

/// Styling: bold headers only on a terminal and never with `NO_COLOR`.
pub struct Style {
    on: bool,
}

impl Style {
    /// Decides from the environment and whether stdout is a terminal.
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            on: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn bold(&self, s: &str) -> String {
        if self.on {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

fn header(p: &Profile, idx: usize) -> String {
    let mut out = String::new();
    if let Some(m) = p.mapping.first() {
        let f = p.str(m.filename);
        if !f.is_empty() {
            let base = f.rsplit('/').next().unwrap_or(f);
            let _ = writeln!(out, "File: {base}");
        }
    }
    // Comments, as pprof shows them (inprof names demoted functions and
    // folded paths there).
    for c in &p.comment {
        let _ = writeln!(out, "{}", p.str(*c));
    }
    if let Some(t) = p.sample_type.get(idx) {
        let _ = writeln!(out, "Type: {}", p.str(t.r#type));
    }
    if p.duration_nanos > 0 {
        let _ = writeln!(
            out,
            "Duration: {}",
            format_value(p.duration_nanos, "nanoseconds")
        );
    }
    out
}

/// Go's "Active filters:" lines for the filters set (empty if none).
fn active_filters(sel: &Select) -> String {
    let mut f = Vec::new();
    for (name, re) in [
        ("focus", &sel.focus),
        ("ignore", &sel.ignore),
        ("hide", &sel.hide),
        ("show", &sel.show),
    ] {
        if let Some(r) = re {
            f.push(format!("{name}={}", r.as_str()));
        }
    }
    for (name, t) in [("tagfocus", &sel.tagfocus), ("tagignore", &sel.tagignore)] {
        if let Some(t) = t {
            f.push(format!("{name}={}", t.text));
        }
    }
    if f.is_empty() {
        return String::new();
    }
    let mut out = String::from("Active filters:\n");
    for x in f {
        let _ = writeln!(out, "   {x}");
    }
    out
}

/// `v` (in `unit`, the profile's) in the unit `want` if it is one of the
/// same kind (time: ns, us, ms, s, minutes, hours; memory: B, kB, MB, GB,
/// TB), else as pprof prints it.
pub fn format_in(v: i64, unit: &str, want: Option<&str>) -> String {
    let scale = |u: &str| -> Option<(u8, f64)> {
        Some(match u {
            "nanoseconds" | "ns" => (0, 1.0),
            "us" | "µs" | "microseconds" => (0, 1e3),
            "ms" | "milliseconds" => (0, 1e6),
            "s" | "sec" | "seconds" => (0, 1e9),
            "m" | "min" | "mins" | "minutes" => (0, 60e9),
            "h" | "hour" | "hrs" | "hours" => (0, 3600e9),
            "bytes" | "B" | "b" => (1, 1.0),
            "kB" | "KB" | "kb" | "KiB" => (1, 1024.0),
            "MB" | "mb" | "MiB" => (1, 1024.0 * 1024.0),
            "GB" | "gb" | "GiB" => (1, 1024.0 * 1024.0 * 1024.0),
            "TB" | "tb" | "TiB" => (1, 1024.0_f64.powi(4)),
            _ => return None,
        })
    };
    match (want, scale(unit)) {
        (Some(w), Some((kind, from))) => match scale(w) {
            Some((k2, to)) if k2 == kind => {
                let x = v as f64 * from / to;
                // Two decimals, as pprof prints them.
                let s = format!("{x:.2}");
                let s = s.trim_end_matches('0').trim_end_matches('.');
                format!("{s}{w}")
            }
            _ => format_value(v, unit),
        },
        _ => format_value(v, unit),
    }
}

/// Go's `-tags`: for each label key, the total and each value's share of
/// the chosen sample type.
pub fn tags(p: &Profile, sel: &Select) -> Result<String, String> {
    let (idx, unit) = index_and_unit(p, sel)?;
    let mut by: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for s in stacks(p).into_iter().filter(|s| kept(s, sel)) {
        let v = s.values.get(idx).copied().unwrap_or(0);
        if v == 0 {
            continue;
        }
        for (k, val) in s.labels {
            *by.entry(k).or_default().entry(val).or_default() += v;
        }
    }
    if by.is_empty() {
        return Err("no tags found".into());
    }
    let mut out = String::new();
    for (k, vals) in by {
        let total: i64 = vals.values().sum();
        let _ = writeln!(
            out,
            " {k}: Total {}",
            format_in(total, &unit, sel.unit.as_deref())
        );
        let mut vals: Vec<(String, i64)> = vals.into_iter().collect();
        vals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (val, v) in vals {
            // pprof's percentage: `50.00%`, and `  100%` for all.
            let share = pct(v, total);
            let share = if (share - 100.0).abs() < 1e-9 {
                "  100%".to_owned()
            } else {
                format!("{share:5.2}%")
            };
            let _ = writeln!(
                out,
                "{:>10} ({share}): {val}",
                format_in(v, &unit, sel.unit.as_deref()),
            );
        }
        out.push('\n');
    }
    Ok(out)
}

/// Several profiles as one, as `go tool pprof` merges them: their samples
/// together (same sample types required), each profile's strings,
/// functions, locations and mappings kept apart.
pub fn merge(mut ps: Vec<Profile>) -> Result<Profile, String> {
    if ps.len() <= 1 {
        return ps.pop().ok_or_else(|| "no profile".to_owned());
    }
    let types = |p: &Profile| -> Vec<(String, String)> {
        p.sample_type
            .iter()
            .map(|t| (p.str(t.r#type).to_owned(), p.str(t.unit).to_owned()))
            .collect()
    };
    let want = types(&ps[0]);
    for p in &ps[1..] {
        if types(p) != want {
            return Err(format!(
                "cannot merge profiles with different sample types: {want:?} and {:?}",
                types(p)
            ));
        }
    }
    let mut out = ps.remove(0);
    let mut strings: HashMap<String, i64> = out
        .string_table
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as i64))
        .collect();
    for p in ps {
        let mut map_str = |i: i64, out: &mut Profile| -> i64 {
            let s = p.str(i).to_owned();
            if let Some(&j) = strings.get(&s) {
                return j;
            }
            let j = out.string_table.len() as i64;
            out.string_table.push(s.clone());
            strings.insert(s, j);
            j
        };
        let (mbase, lbase, fbase) = (
            out.mapping.iter().map(|m| m.id).max().unwrap_or(0),
            out.location.iter().map(|l| l.id).max().unwrap_or(0),
            out.function.iter().map(|f| f.id).max().unwrap_or(0),
        );
        for m in &p.mapping {
            let mut m = m.clone();
            m.id = shifted(m.id, mbase)?;
            m.filename = map_str(m.filename, &mut out);
            m.build_id = map_str(m.build_id, &mut out);
            out.mapping.push(m);
        }
        for f in &p.function {
            let mut f = f.clone();
            f.id = shifted(f.id, fbase)?;
            f.name = map_str(f.name, &mut out);
            f.system_name = map_str(f.system_name, &mut out);
            f.filename = map_str(f.filename, &mut out);
            out.function.push(f);
        }
        for l in &p.location {
            let mut l = l.clone();
            l.id = shifted(l.id, lbase)?;
            if l.mapping_id != 0 {
                l.mapping_id = shifted(l.mapping_id, mbase)?;
            }
            for line in &mut l.line {
                line.function_id = shifted(line.function_id, fbase)?;
            }
            out.location.push(l);
        }
        for s in &p.sample {
            let mut s = s.clone();
            for id in &mut s.location_id {
                *id = shifted(*id, lbase)?;
            }
            for l in &mut s.label {
                l.key = map_str(l.key, &mut out);
                l.str = map_str(l.str, &mut out);
                l.num_unit = map_str(l.num_unit, &mut out);
            }
            out.sample.push(s);
        }
        for c in &p.comment {
            let c = map_str(*c, &mut out);
            out.comment.push(c);
        }
        out.duration_nanos = out.duration_nanos.saturating_add(p.duration_nanos);
        if p.time_nanos != 0 && (out.time_nanos == 0 || p.time_nanos < out.time_nanos) {
            out.time_nanos = p.time_nanos;
        }
    }
    // Each was valid; their sum may not be (values that add up past
    // what a report can add).
    out.validate()
        .map_err(|e| format!("the merged profile: {e}"))?;
    Ok(out)
}

/// An id of a profile being merged, moved past the ids before it.
fn shifted(id: u64, base: u64) -> Result<u64, String> {
    id.checked_add(base)
        .ok_or_else(|| format!("cannot merge: id {id} past {base} is more than 64 bits"))
}

/// Loads each source and merges them (see [`merge`]).
pub fn load_many(sources: &[String], seconds: Option<u64>) -> Result<Profile, String> {
    let ps = sources
        .iter()
        .map(|s| load(s, seconds))
        .collect::<Result<Vec<_>, _>>()?;
    merge(ps)
}

/// pprof's `-top`.
pub fn top(
    p: &Profile,
    sel: &Select,
    by_cum: bool,
    n: usize,
    style: &Style,
) -> Result<String, String> {
    let (idx, unit, st) = selected(p, sel)?;
    let total: i64 = st.iter().map(|(_, v)| v).sum();
    let mut rows = flat_cum(&st);
    // pprof's label: `(inline)` where every call into the function was
    // inlined, `(partial-inline)` where some were.
    let inl = inlined(&st);
    if by_cum {
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    } else {
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    }
    let mut out = header(p, idx);
    out.push_str(&active_filters(sel));
    let fmt = |v: i64| format_in(v, &unit, sel.unit.as_deref());
    let shown = rows.len().min(n);
    let shown_flat: i64 = rows.iter().take(shown).map(|r| r.1).sum();
    let _ = writeln!(
        out,
        "Showing nodes accounting for {}, {:.2}% of {} total",
        fmt(shown_flat),
        pct(shown_flat, total),
        fmt(total)
    );
    if shown < rows.len() {
        let _ = writeln!(out, "Showing top {shown} nodes out of {}", rows.len());
    }
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{:>10} {:>6} {:>6} {:>10} {:>6}",
            "flat", "flat%", "sum%", "cum", "cum%"
        ))
    );
    let mut sum = 0;
    for (name, flat, cum) in rows.into_iter().take(n) {
        sum += flat;
        let label = inl.get(&name).copied().unwrap_or_default().suffix();
        let _ = writeln!(
            out,
            "{:>10} {:>5.2}% {:>5.2}% {:>10} {:>5.2}%  {name}{label}",
            fmt(flat),
            pct(flat, total),
            pct(sum, total),
            fmt(cum),
            pct(cum, total)
        );
    }
    Ok(out)
}

/// The async functions of a time profile (those with polls), each with its
/// futures finished (`calls`), polls, busy time (`wall`: inside polls),
/// latency (first poll to completion) in total and per call, and
/// cancellations, by total latency; None if the profile has none.
/// Focus and ignore apply as in [`top`].
pub fn async_table(p: &Profile, sel: &Select, n: usize, style: &Style) -> Option<String> {
    let at = |name: &str| p.sample_type.iter().position(|t| p.str(t.r#type) == name);
    let (calls, wall, polls, latency, cancelled) = (
        at("calls")?,
        at("wall")?,
        at("polls")?,
        at("latency")?,
        at("cancelled")?,
    );
    // name -> [calls, polls, wall, latency, cancelled]
    let mut by: HashMap<String, [i64; 5]> = HashMap::new();
    for s in stacks(p) {
        let keep = kept(&s, sel);
        let v = |i: usize| s.values.get(i).copied().unwrap_or(0);
        if !keep || v(polls) == 0 {
            continue;
        }
        let Some(leaf) = s.frames.first() else {
            continue;
        };
        let e = by.entry(split_inline(leaf).0.to_owned()).or_default();
        for (k, i) in [calls, polls, wall, latency, cancelled]
            .into_iter()
            .enumerate()
        {
            e[k] += v(i);
        }
    }
    if by.is_empty() {
        return None;
    }
    let mut rows: Vec<(String, [i64; 5])> = by.into_iter().collect();
    rows.sort_by(|a, b| b.1[3].cmp(&a.1[3]).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Async functions (calls: futures finished; busy: inside polls; latency: first poll to completion)"
    );
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9}",
            "calls", "polls", "busy", "latency", "busy/call", "lat/call", "cancelled"
        ))
    );
    for (name, [c, po, w, l, x]) in rows.into_iter().take(n) {
        let per = |v: i64| if c > 0 { v / c } else { 0 };
        let _ = writeln!(
            out,
            "{c:>8} {po:>8} {:>10} {:>10} {:>10} {:>10} {x:>9}  {name}",
            format_value(w, "nanoseconds"),
            format_value(l, "nanoseconds"),
            format_value(per(w), "nanoseconds"),
            format_value(per(l), "nanoseconds"),
        );
    }
    Some(out)
}

/// Per function: callers and callees, each with its edge (see
/// [`call_edges`]).
type Edges = BTreeMap<String, (BTreeMap<String, Edge>, BTreeMap<String, Edge>)>;

fn edges(stacks: &[(Vec<String>, i64)]) -> Edges {
    let mut e: Edges = BTreeMap::new();
    for ((caller, callee), edge) in call_edges(stacks) {
        e.entry(callee.clone())
            .or_default()
            .0
            .insert(caller.clone(), edge);
        e.entry(caller).or_default().1.insert(callee, edge);
    }
    e
}

/// pprof's `-peek RE` (and `-tree` with `re` matching everything):
/// callers above, the function, callees below.
pub fn peek(p: &Profile, sel: &Select, re: &Regex) -> Result<String, String> {
    let (idx, unit, st) = selected(p, sel)?;
    let total: i64 = st.iter().map(|(_, v)| v).sum();
    let fc: HashMap<String, (i64, i64)> = flat_cum(&st)
        .into_iter()
        .map(|(n, f, c)| (n, (f, c)))
        .collect();
    let e = edges(&st);
    let mut names: Vec<&String> = fc.keys().filter(|n| re.is_match(n)).collect();
    if names.is_empty() {
        // Go's words.
        return Err(format!("no matches found for regexp: {}", re.as_str()));
    }
    names.sort_by(|a, b| fc[*b].1.cmp(&fc[*a].1).then(a.cmp(b)));
    let mut out = header(p, idx);
    let sep = "----------------------------------------------------------+-------------";
    let _ = writeln!(
        out,
        "{sep}\n{:>10} {:>6} {:>6} {:>10} {:>6}   calls calls% + context\n{sep}",
        "flat", "flat%", "sum%", "cum", "cum%"
    );
    for name in names {
        let (flat, cum) = fc[name];
        let (callers, callees) = e.get(name).cloned().unwrap_or_default();
        edge_lines(&mut out, callers, cum, &unit);
        let _ = writeln!(
            out,
            "{:>10} {:>5.2}% {:>5.2}% {:>10} {:>5.2}%                | {name}",
            format_value(flat, &unit),
            pct(flat, total),
            pct(flat, total),
            format_value(cum, &unit),
            pct(cum, total)
        );
        edge_lines(&mut out, callees, cum, &unit);
        let _ = writeln!(out, "{sep}");
    }
    Ok(out)
}

/// Peek's caller or callee lines, heaviest first, each with its share of
/// the function's cum, an inlined edge marked as pprof marks it.
fn edge_lines(out: &mut String, edges: BTreeMap<String, Edge>, cum: i64, unit: &str) {
    let mut e: Vec<_> = edges.into_iter().collect();
    e.sort_by_key(|e| std::cmp::Reverse(e.1.weight));
    for (c, edge) in e {
        let inline = if edge.inline { INLINE_MARK } else { "" };
        let _ = writeln!(
            out,
            "{:>50} {:>6.2}% |   {c}{inline}",
            format_value(edge.weight, unit),
            pct(edge.weight, cum)
        );
    }
}

/// pprof's `-traces`: every sample's stack with its value.
pub fn traces(p: &Profile, sel: &Select) -> Result<String, String> {
    let (idx, unit, st) = selected(p, sel)?;
    let mut out = header(p, idx);
    let sep = "-----------+-------------------------------------------------------";
    for (frames, v) in st {
        let _ = writeln!(out, "{sep}");
        for (i, f) in frames.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(out, "{:>10}   {f}", format_value(v, &unit));
            } else {
                let _ = writeln!(out, "{:>10}   {f}", "");
            }
        }
    }
    let _ = writeln!(out, "{sep}");
    Ok(out)
}

/// A frame's name as folded stacks can hold it: a `;` (which separates
/// frames) and a tab or line break (which would end the line: a name
/// could forge stacks of its own) become `:`.
fn folded_frame(name: &str) -> String {
    name.replace([';', '\t', '\n', '\r'], ":")
}

/// Folded stacks (`root;...;leaf VALUE`), the input of flame graph tools.
pub fn folded(stacks: &[(Vec<String>, i64)]) -> Vec<String> {
    let mut agg: BTreeMap<String, i64> = BTreeMap::new();
    for (frames, v) in stacks {
        if *v <= 0 {
            continue;
        }
        let line: Vec<String> = frames.iter().rev().map(|f| folded_frame(f)).collect();
        *agg.entry(line.join(";")).or_default() += v;
    }
    agg.into_iter().map(|(k, v)| format!("{k} {v}")).collect()
}

fn flame_options<'a>(
    title: &str,
    unit: &str,
    st: &[(Vec<String>, i64)],
) -> inferno::flamegraph::Options<'a> {
    let mut o = inferno::flamegraph::Options::default();
    o.title = title.to_owned();
    o.count_name = match unit {
        "nanoseconds" => "ns".into(),
        "bytes" => "bytes".into(),
        u => u.to_owned(),
    };
    o.deterministic = true;
    o.image_width = Some(1200);
    // Tooltips: flat and cum of each function, in pprof's units.
    let mut lines = String::new();
    for (name, flat, cum) in flat_cum(st) {
        let key = folded_frame(&name);
        // The function's frames, inlined or not (the graph draws them
        // apart, marked as `stacks` marks them), share its flat and cum.
        for frame in [key.clone(), format!("{key}{INLINE_MARK}")] {
            let _ = writeln!(
                lines,
                "{frame}\ttitle={key}: flat {}, cum {}",
                format_value(flat, unit),
                format_value(cum, unit)
            );
        }
    }
    if let Ok(m) = inferno::flamegraph::FuncFrameAttrsMap::from_reader(lines.as_bytes()) {
        o.func_frameattrs = m;
    }
    o
}

/// An interactive flame graph SVG (search, zoom; flat and cum in tooltips).
pub fn flame_svg(p: &Profile, sel: &Select, title: &str) -> Result<Vec<u8>, String> {
    let (_, unit, st) = selected(p, sel)?;
    let lines = folded(&st);
    if lines.is_empty() {
        return Err("no samples to draw".into());
    }
    let mut o = flame_options(title, &unit, &st);
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut o, lines.iter().map(String::as_str), &mut svg)
        .map_err(|e| format!("drawing flame graph: {e}"))?;
    Ok(svg)
}

/// The flame graph upside down (an icicle graph): roots at the top.
pub fn icicle_svg(p: &Profile, sel: &Select, title: &str) -> Result<Vec<u8>, String> {
    let (_, unit, st) = selected(p, sel)?;
    let lines = folded(&st);
    if lines.is_empty() {
        return Err("no samples to draw".into());
    }
    let mut o = flame_options(title, &unit, &st);
    o.direction = inferno::flamegraph::Direction::Inverted;
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut o, lines.iter().map(String::as_str), &mut svg)
        .map_err(|e| format!("drawing icicle graph: {e}"))?;
    Ok(svg)
}

/// The most bytes of a source file `list` reads.
const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// The text of the source file `path` a profile names, if it is a
/// regular file of at most [`MAX_SOURCE_BYTES`] in UTF-8. A profile is
/// untrusted input: its file names may be a FIFO (whose open and read
/// would wait forever), a device (`/dev/zero` never ends) or a huge file;
/// each is shown as a source not found.
fn read_source(path: &str) -> Option<String> {
    use std::io::Read;
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Not blocked by a FIFO with no writer; refused below.
        o.custom_flags(libc::O_NONBLOCK);
    }
    let f = o.open(path).ok()?;
    let md = f.metadata().ok()?;
    if !md.is_file() || md.len() > MAX_SOURCE_BYTES {
        return None;
    }
    let mut text = String::new();
    f.take(MAX_SOURCE_BYTES).read_to_string(&mut text).ok()?;
    Some(text)
}

/// pprof's `-list`: for each function matching `re`, its source with the
/// flat and cum value of each line (the lines our locations carry: an
/// instrumented function's first line, a native frame's line), the file
/// read where the profile says it is.
pub fn source(p: &Profile, sel: &Select, re: &Regex) -> Result<String, String> {
    let (idx, unit) = index_and_unit(p, sel)?;
    let funcs: HashMap<u64, &inprof_runtime::pprof::Function> =
        p.function.iter().map(|f| (f.id, f)).collect();
    let locs: HashMap<u64, &inprof_runtime::pprof::Location> =
        p.location.iter().map(|l| (l.id, l)).collect();
    let names = stacks(p);
    // (function name, file) -> line -> (flat, cum); and the function's
    // start line.
    type Lines = BTreeMap<i64, (i64, i64)>;
    let mut by_fn: BTreeMap<(String, String), (i64, Lines)> = BTreeMap::new();
    let mut total = 0i64;
    for (s, named) in p.sample.iter().zip(&names) {
        if !kept(named, sel) {
            continue;
        }
        let v = s.value.get(idx).copied().unwrap_or(0);
        if v == 0 {
            continue;
        }
        total += v;
        let mut seen = HashSet::new();
        for (depth, id) in s.location_id.iter().enumerate() {
            let Some(l) = locs.get(id) else { continue };
            for (k, line) in l.line.iter().enumerate() {
                let Some(f) = funcs.get(&line.function_id) else {
                    continue;
                };
                let name = p.str(f.name).to_owned();
                if !re.is_match(&name) {
                    continue;
                }
                let file = p.str(f.filename).to_owned();
                let e = by_fn
                    .entry((name, file))
                    .or_insert_with(|| (f.start_line, BTreeMap::new()));
                let cell = e.1.entry(line.line).or_default();
                if depth == 0 && k == 0 {
                    cell.0 += v;
                }
                if seen.insert((line.function_id, line.line)) {
                    cell.1 += v;
                }
            }
        }
    }
    if by_fn.is_empty() {
        return Err(format!("no matches found for regexp: {}", re.as_str()));
    }
    let mut out = format!("Total: {}\n", format_value(total, &unit));
    for ((name, file), (start, lines)) in by_fn {
        let (flat, cum) = lines
            .values()
            .fold((0, 0), |a, (f, c)| (a.0 + f, a.1.max(*c)));
        let _ = writeln!(out, "ROUTINE ======================== {name} in {file}");
        let _ = writeln!(
            out,
            "{:>10} {:>10} (flat, cum) {:.2}% of Total",
            format_value(flat, &unit),
            format_value(cum, &unit),
            pct(cum, total)
        );
        let text = read_source(&file);
        let src: Vec<&str> = text
            .as_deref()
            .map(|t| t.lines().collect())
            .unwrap_or_default();
        let first = lines
            .keys()
            .copied()
            .chain([start])
            .filter(|l| *l > 0)
            .min()
            .unwrap_or(1);
        let last = lines.keys().copied().chain([start]).max().unwrap_or(first);
        let (from, to) = ((first - 2).max(1), last.saturating_add(8));
        if src.is_empty() {
            let _ = writeln!(out, " (source not found: {file})");
            for (l, (f, c)) in &lines {
                let _ = writeln!(
                    out,
                    "{:>10} {:>10} {l:>6}",
                    format_value(*f, &unit),
                    format_value(*c, &unit)
                );
            }
            continue;
        }
        for l in from..=to.min(src.len() as i64) {
            let (f, c) = lines.get(&l).copied().unwrap_or((0, 0));
            let show = |v: i64| {
                if v == 0 {
                    ".".to_owned()
                } else {
                    format_value(v, &unit)
                }
            };
            let _ = writeln!(
                out,
                "{:>10} {:>10} {l:>6}:{}",
                show(f),
                show(c),
                src[(l - 1) as usize]
            );
        }
    }
    Ok(out)
}

/// How much of the graph to draw (pprof's `-nodecount`,
/// `-nodefraction`, `-edgefraction`).
#[derive(Clone, Copy, Debug)]
pub struct GraphOptions {
    /// Keep at most this many nodes, the highest cum first.
    pub nodecount: usize,
    /// Drop nodes whose cum is under this share of the total.
    pub node_fraction: f64,
    /// Drop edges whose weight is under this share of the total.
    pub edge_fraction: f64,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            nodecount: 80,
            node_fraction: 0.005,
            edge_fraction: 0.001,
        }
    }
}

/// pprof's node colour: grey for a small share of the total, deepening to
/// red for a large one (by cum), its text darker with it.
fn heat(share: f64) -> (String, &'static str) {
    let x = share.clamp(0.0, 1.0).sqrt();
    let lerp = |a: f64, b: f64| (a + (b - a) * x).round() as u8;
    let fill = format!(
        "#{:02x}{:02x}{:02x}",
        lerp(238.0, 204.0),
        lerp(238.0, 60.0),
        lerp(238.0, 40.0)
    );
    (fill, if x > 0.6 { "#ffffff" } else { "#000000" })
}

/// The call graph as Graphviz DOT, pruned as pprof prunes it: the
/// `nodecount` nodes with the highest cum among those above
/// `node_fraction` of the total; edges above `edge_fraction`, an edge
/// through dropped nodes drawn dashed (a residual edge); a legend with
/// what was kept and dropped; nodes coloured by cum.
pub fn dot(p: &Profile, sel: &Select) -> Result<String, String> {
    dot_with(p, sel, GraphOptions::default())
}

/// [`dot`] with explicit pruning options.
pub fn dot_with(p: &Profile, sel: &Select, opt: GraphOptions) -> Result<String, String> {
    dot_with_attrs(p, sel, opt, &|_| Vec::new())
}

/// Text for a DOT quoted string, as pprof escapes it: a backslash and a
/// quote escaped (so that no name can end the string early and write
/// DOT of its own, such as a `URL` graphviz turns into a link), a newline
/// as DOT's line break, a carriage return dropped. DOT's own escapes in a
/// name (`\N`, `\l`) thus print as written.
pub fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// [`dot_with`], each function's node also given the attributes
/// `node_attrs` returns for its name (values escaped here, names
/// written as given: DOT attribute names such as `URL`).
pub fn dot_with_attrs(
    p: &Profile,
    sel: &Select,
    opt: GraphOptions,
    node_attrs: &dyn Fn(&str) -> Vec<(&'static str, String)>,
) -> Result<String, String> {
    let (idx, unit, st) = selected(p, sel)?;
    let total: i64 = st.iter().map(|(_, v)| v).sum::<i64>().max(1);
    let mut fc = flat_cum(&st);
    let all_nodes = fc.len();
    fc.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    let min_cum = (opt.node_fraction * total as f64) as i64;
    let dropped_small = fc.iter().filter(|r| r.2 < min_cum.max(1)).count();
    fc.retain(|r| r.2 >= min_cum.max(1));
    fc.truncate(opt.nodecount.max(1));
    let ids: HashMap<&str, usize> = fc
        .iter()
        .enumerate()
        .map(|(i, r)| (r.0.as_str(), i + 1))
        .collect();
    // Edges between kept nodes: each sample's kept frames, adjacent;
    // residual if frames were dropped between them.
    // Each edge's weight and whether every call on it was inlined.
    let mut edge_w: BTreeMap<(usize, usize, bool), (i64, bool)> = BTreeMap::new();
    for (frames, v) in &st {
        let mut seen = HashSet::new();
        // (node id, position, inlined into its caller)
        let mut last: Option<(usize, usize, bool)> = None;
        for (pos, f) in frames.iter().enumerate() {
            let (name, inline) = split_inline(f);
            let Some(&id) = ids.get(name) else {
                continue;
            };
            if let Some((callee, cpos, cinline)) = last {
                let e = (id, callee, pos > cpos + 1);
                if id != callee && seen.insert((id, callee)) {
                    let w = edge_w.entry(e).or_insert((0, true));
                    w.0 += v;
                    w.1 &= cinline && pos == cpos + 1;
                }
            }
            last = Some((id, pos, inline));
        }
    }
    let min_edge = (opt.edge_fraction * total as f64) as i64;
    let edges_all = edge_w.len();
    edge_w.retain(|_, w| w.0 >= min_edge.max(1));
    let shown_flat: i64 = fc.iter().map(|r| r.1).sum();
    let mut out = String::from(
        "digraph inprof {\nnode [style=filled fillcolor=\"#f8f8f8\" shape=box fontname=\"Helvetica\"];\nedge [fontname=\"Helvetica\"];\n",
    );
    // The legend, as pprof draws it.
    let mut legend = Vec::new();
    if let Some(m) = p.mapping.first() {
        let f = p.str(m.filename);
        if !f.is_empty() {
            legend.push(format!("File: {}", f.rsplit('/').next().unwrap_or(f)));
        }
    }
    if let Some(t) = p.sample_type.get(idx) {
        legend.push(format!("Type: {}", p.str(t.r#type)));
    }
    legend.push(format!(
        "Showing nodes accounting for {}, {:.2}% of {} total",
        format_value(shown_flat, &unit),
        pct(shown_flat, total),
        format_value(total, &unit)
    ));
    if dropped_small > 0 {
        legend.push(format!(
            "Dropped {dropped_small} nodes (cum <= {})",
            format_value(min_cum, &unit)
        ));
    }
    if edges_all > edge_w.len() {
        legend.push(format!(
            "Dropped {} edges (freq <= {})",
            edges_all - edge_w.len(),
            format_value(min_edge, &unit)
        ));
    }
    if fc.len() < all_nodes {
        legend.push(format!("Showing top {} nodes out of {all_nodes}", fc.len()));
    }
    let legend: Vec<String> = legend.iter().map(|l| dot_escape(l)).collect();
    let _ = writeln!(
        out,
        "subgraph cluster_L {{ \"legend\" [shape=box fontsize=16 label=\"{}\\l\" tooltip=\"legend\"] }}",
        legend.join("\\l")
    );
    for (name, flat, cum) in &fc {
        let size = 10.0 + 22.0 * (*flat as f64 / total as f64).sqrt();
        let (fill, font) = heat(*cum as f64 / total as f64);
        let _ = writeln!(
            out,
            "N{} [label=\"{}\\nflat {} ({:.2}%)\\nof {} ({:.2}%)\" fontsize={:.0} fillcolor=\"{fill}\" fontcolor=\"{font}\" tooltip=\"{}\"{}];",
            ids[name.as_str()],
            dot_escape(name),
            format_value(*flat, &unit),
            pct(*flat, total),
            format_value(*cum, &unit),
            pct(*cum, total),
            size,
            dot_escape(name),
            node_attrs(name)
                .iter()
                .map(|(k, v)| format!(" {k}=\"{}\"", dot_escape(v)))
                .collect::<String>(),
        );
    }
    // Label nodes, as pprof draws tags: under each node whose own
    // samples carry labels, its heaviest label values (up to 4) with the
    // flat they hold.
    let mut tags: HashMap<usize, BTreeMap<String, i64>> = HashMap::new();
    let idx_of = |s: &Stack| s.values.get(idx).copied().unwrap_or(0);
    for s in stacks(p).iter().filter(|s| kept(s, sel)) {
        let v = idx_of(s);
        let frames = shown(s.frames.clone(), sel);
        let (Some(leaf), false) = (frames.first(), v == 0) else {
            continue;
        };
        let Some(&id) = ids.get(split_inline(leaf).0) else {
            continue;
        };
        for (k, val) in &s.labels {
            *tags
                .entry(id)
                .or_default()
                .entry(format!("{k}:{val}"))
                .or_default() += v;
        }
    }
    let mut tag_ids: Vec<usize> = tags.keys().copied().collect();
    tag_ids.sort_unstable();
    for id in tag_ids {
        let mut t: Vec<(String, i64)> = tags.remove(&id).unwrap_or_default().into_iter().collect();
        t.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (k, (label, v)) in t.into_iter().take(4).enumerate() {
            let _ = writeln!(
                out,
                "N{id}_{k} [label=\"{}\\n{}\" shape=box3d fontsize=8 style=dashed];\nN{id} -> N{id}_{k} [style=dotted arrowhead=none];",
                dot_escape(&label),
                format_value(v, &unit),
            );
        }
    }
    for ((a, b, residual), (w, inline)) in edge_w {
        let pen = 1.0 + 5.0 * (w as f64 / total as f64);
        let style = if residual { " style=dashed" } else { "" };
        // pprof's mark of an inlined call, under the value.
        let inline = if inline { "\\n (inline)" } else { "" };
        let _ = writeln!(
            out,
            "N{a} -> N{b} [label=\" {}{inline}\" penwidth={pen:.2}{style}];",
            format_value(w, &unit)
        );
    }
    out.push_str("}\n");
    Ok(out)
}

/// Renders DOT to SVG with Graphviz's `dot`, if installed.
pub fn dot_to_svg(dot: &str) -> Result<Vec<u8>, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|_| {
            "Graphviz `dot` is not installed (apt-get install graphviz); use a .dot output"
                .to_owned()
        })?;
    child
        .stdin
        .take()
        .ok_or("dot: no stdin")?
        .write_all(dot.as_bytes())
        .map_err(|e| format!("dot: {e}"))?;
    let out = child.wait_with_output().map_err(|e| format!("dot: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "dot failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// `diff BASE NEW`: the functions whose flat or cum changed most.
pub fn diff_top(base: &Profile, new: &Profile, sel: &Select, n: usize) -> Result<String, String> {
    let (unit, b, a) = selected_both(base, new, sel)?;
    let bt: HashMap<String, (i64, i64)> = flat_cum(&b)
        .into_iter()
        .map(|(n, f, c)| (n, (f, c)))
        .collect();
    let at: HashMap<String, (i64, i64)> = flat_cum(&a)
        .into_iter()
        .map(|(n, f, c)| (n, (f, c)))
        .collect();
    let names: HashSet<&String> = bt.keys().chain(at.keys()).collect();
    let mut rows: Vec<(String, i64, i64, i64)> = names
        .into_iter()
        .map(|n| {
            let (bf, bc) = bt.get(n).copied().unwrap_or((0, 0));
            let (af, ac) = at.get(n).copied().unwrap_or((0, 0));
            (n.clone(), af - bf, ac - bc, bc)
        })
        .filter(|r| r.1 != 0 || r.2 != 0)
        .collect();
    rows.sort_by(|x, y| {
        y.1.abs()
            .cmp(&x.1.abs())
            .then(y.2.abs().cmp(&x.2.abs()))
            .then(x.0.cmp(&y.0))
    });
    let btotal: i64 = b.iter().map(|s| s.1).sum();
    let atotal: i64 = a.iter().map(|s| s.1).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "total: {} -> {} ({:+})",
        format_value(btotal, &unit),
        format_value(atotal, &unit),
        format_value(atotal - btotal, &unit)
    );
    let _ = writeln!(
        out,
        "{:>11} {:>11} {:>8}  name",
        "flat diff", "cum diff", "cum %"
    );
    for (name, df, dc, bc) in rows.into_iter().take(n) {
        let rel = if bc == 0 {
            "new".to_owned()
        } else {
            format!("{:+.1}%", dc as f64 * 100.0 / bc as f64)
        };
        let sign = |v: i64| {
            if v > 0 {
                format!("+{}", format_value(v, &unit))
            } else {
                format_value(v, &unit)
            }
        };
        let _ = writeln!(out, "{:>11} {:>11} {:>8}  {name}", sign(df), sign(dc), rel);
    }
    Ok(out)
}

/// A differential flame graph: NEW's shape, coloured by the change from BASE.
pub fn diff_flame(base: &Profile, new: &Profile, sel: &Select) -> Result<Vec<u8>, String> {
    let (unit, b, a) = selected_both(base, new, sel)?;
    let before = folded(&b).join("\n");
    let after = folded(&a).join("\n");
    let mut merged = Vec::new();
    inferno::differential::from_readers(
        inferno::differential::Options::default(),
        before.as_bytes(),
        after.as_bytes(),
        &mut merged,
    )
    .map_err(|e| format!("diffing: {e}"))?;
    let mut o = flame_options("inprof diff (red: grew, blue: shrank)", &unit, &a);
    let mut svg = Vec::new();
    inferno::flamegraph::from_reader(&mut o, merged.as_slice(), &mut svg)
        .map_err(|e| format!("drawing: {e}"))?;
    Ok(svg)
}
