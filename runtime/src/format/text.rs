//! Go's legacy text formats (`debug=1`): the heap, contention and count
//! profiles as `runtime/pprof` writes them, with stand-in program counters
//! (inprof's frames are functions, not addresses).

use crate::format::pprof::Profile;

/// Go's legacy heap text (`debug=1`): a header with the totals (`@ heap/N`
/// with N = 2 × the sampling rate, as Go writes it: 2 for exact counts), a
/// record per stack, and a MemStats-like trailer: `trailer` is its title
/// and its `name = value` lines.
pub fn heap_text(p: &Profile, trailer: (&str, &[(&str, u64)])) -> String {
    use std::fmt::Write as _;
    let mut tot = [0i64; 4];
    for s in &p.sample {
        for (t, v) in tot.iter_mut().zip(&s.value) {
            *t += v;
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "heap profile: {}: {} [{}: {}] @ heap/2",
        tot[2], tot[3], tot[0], tot[1]
    );
    let st = StackText::new(p);
    for s in &p.sample {
        let (pcs, frames) = st.stack(&s.location_id);
        let _ = writeln!(
            out,
            "{}: {} [{}: {}] @{pcs}",
            s.value[2], s.value[3], s.value[0], s.value[1]
        );
        out.push_str(&frames);
        out.push('\n');
    }
    let _ = writeln!(out, "\n# {}", trailer.0);
    for (k, v) in trailer.1 {
        let _ = writeln!(out, "# {k} = {v}");
    }
    out
}

/// A stand-in program counter for a location in text profiles (inprof's
/// frames are functions, not addresses).
pub fn pseudo_pc(location_id: u64) -> u64 {
    0x1000 + location_id * 0x10
}

/// Writes the stacks of one profile in the legacy text formats: the
/// `@ 0xPC ...` list and the `#\t0xPC\tname+0x0\tfile:line` frame lines.
struct StackText<'p> {
    p: &'p Profile,
    locs: std::collections::HashMap<u64, &'p crate::format::pprof::Location>,
    funcs: std::collections::HashMap<u64, &'p crate::format::pprof::Function>,
}

impl<'p> StackText<'p> {
    fn new(p: &'p Profile) -> Self {
        StackText {
            p,
            locs: p.location.iter().map(|l| (l.id, l)).collect(),
            funcs: p.function.iter().map(|f| (f.id, f)).collect(),
        }
    }

    /// (` 0xPC 0xPC ...`, frame lines) of a sample's stack.
    fn stack(&self, ids: &[u64]) -> (String, String) {
        use std::fmt::Write as _;
        let mut pcs = String::new();
        let mut frames = String::new();
        for id in ids {
            let _ = write!(pcs, " {:#x}", pseudo_pc(*id));
            let Some(l) = self.locs.get(id) else { continue };
            for line in &l.line {
                if let Some(f) = self.funcs.get(&line.function_id) {
                    let _ = writeln!(
                        frames,
                        "#\t{:#x}\t{}+0x0\t{}:{}",
                        pseudo_pc(*id),
                        self.p.str(f.name),
                        self.p.str(f.filename),
                        line.line
                    );
                }
            }
        }
        (pcs, frames)
    }
}

/// Go's legacy count format: `NAME profile: total N`, then `COUNT @ pcs`
/// per distinct stack, most frequent first.
pub fn count_text(name: &str, p: &Profile) -> String {
    use std::fmt::Write as _;
    let mut by_stack: Vec<(Vec<u64>, i64)> = Vec::new();
    for s in &p.sample {
        match by_stack.iter_mut().find(|(k, _)| *k == s.location_id) {
            Some(e) => e.1 += s.value[0],
            None => by_stack.push((s.location_id.clone(), s.value[0])),
        }
    }
    by_stack.sort_by_key(|e| std::cmp::Reverse(e.1));
    let st = StackText::new(p);
    let total: i64 = by_stack.iter().map(|e| e.1).sum();
    let mut out = String::new();
    let _ = writeln!(out, "{name} profile: total {total}");
    for (ids, n) in by_stack {
        let (pcs, frames) = st.stack(&ids);
        let _ = writeln!(out, "{n} @{pcs}");
        out.push_str(&frames);
        out.push('\n');
    }
    out
}

/// Go's legacy contention format (`--- contention:` / `--- mutex:`); the
/// mutex form names its sampling period.
pub fn contention_text(p: &Profile, mutex_period: Option<u64>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mutex = mutex_period.is_some();
    let _ = writeln!(out, "--- {}:", if mutex { "mutex" } else { "contention" });
    let _ = writeln!(out, "cycles/second=1000000000");
    if let Some(period) = mutex_period {
        let _ = writeln!(out, "sampling period={period}");
    }
    let mut samples: Vec<&crate::format::pprof::Sample> = p.sample.iter().collect();
    samples.sort_by(|a, b| b.value[1].cmp(&a.value[1]));
    let st = StackText::new(p);
    for s in samples {
        let (pcs, frames) = st.stack(&s.location_id);
        let _ = writeln!(out, "{} {} @{}", s.value[1], s.value[0], pcs);
        out.push_str(&frames);
        out.push('\n');
    }
    out
}
