//! Named profiles, like Go's `pprof.Lookup(name)`: each writes itself as
//! gzipped pprof (`debug = 0`) or as Go's legacy text (`debug >= 1`).

use crate::paths::Paths;
use crate::pprof::{Builder, LabelValue, Profile};
use crate::tree;
use crate::Error;
use std::io::Write;
use std::sync::atomic::Ordering;

/// The profiles every program has, sorted by name (Go's names; the threads
/// profile is Go's `goroutine`, also found as `threads`).
const NAMES: &[&str] = &[
    "allocs",
    "block",
    "goroutine",
    "heap",
    "mutex",
    "threadcreate",
];

/// A named profile; see [`lookup`].
#[derive(Clone, Debug)]
pub struct NamedProfile {
    name: &'static str,
}

/// The profile named `name` (Go's `pprof.Lookup`), or None.
pub fn lookup(name: &str) -> Option<NamedProfile> {
    crate::env::init_servers_once();
    let name = if name == "threads" { "goroutine" } else { name };
    NAMES
        .iter()
        .find(|n| **n == name)
        .map(|n| NamedProfile { name: n })
}

/// Every named profile, sorted by name (Go's `pprof.Profiles`).
pub fn profiles() -> Vec<NamedProfile> {
    NAMES.iter().map(|n| NamedProfile { name: n }).collect()
}

impl NamedProfile {
    /// The profile's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The number of records in the profile now: live threads for
    /// goroutine, threads created for threadcreate, call paths with events
    /// for the others.
    pub fn count(&self) -> usize {
        let p = self.build();
        match self.name {
            "goroutine" | "threadcreate" => {
                p.sample.iter().map(|s| s.value[0].max(0) as usize).sum()
            }
            _ => p.sample.len(),
        }
    }

    /// Builds the profile as it is now.
    pub fn build(&self) -> Profile {
        match self.name {
            "heap" => heap_profile(false),
            "allocs" => heap_profile(true),
            "block" => contention_profile(false),
            "mutex" => contention_profile(true),
            "threadcreate" => threadcreate_profile(),
            _ => threads_profile(),
        }
    }

    /// Writes the profile: `debug = 0` gzipped pprof, `debug >= 1` text.
    pub fn write_to<W: Write>(&self, mut w: W, debug: u8) -> Result<(), Error> {
        let p = self.build();
        if debug == 0 {
            p.write_gzip(&mut w)?;
        } else {
            let text = match self.name {
                "heap" | "allocs" => heap_text(&p),
                "block" => contention_text(&p, false),
                "mutex" => contention_text(&p, true),
                "goroutine" if debug >= 2 => crate::threads::dump(),
                name => count_text(name, &p),
            };
            w.write_all(text.as_bytes())?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Writes the heap profile as gzipped pprof (Go's `WriteHeapProfile`).
pub fn write_heap_profile<W: Write>(w: W) -> Result<(), Error> {
    NamedProfile { name: "heap" }.write_to(w, 0)
}

fn heap_profile(allocs: bool) -> Profile {
    let mut b = Builder::new(
        &[
            ("alloc_objects", "count"),
            ("alloc_space", "bytes"),
            ("inuse_objects", "count"),
            ("inuse_space", "bytes"),
        ],
        ("space", "bytes"),
        1,
        Some(if allocs { "alloc_space" } else { "inuse_space" }),
    );
    b.comment("inprof: exact heap accounting (every allocation counted, period 1)");
    let native = crate::native::by_node();
    let mut symbols = std::collections::HashMap::new();
    for t in tree::trees().filter(|t| !t.is_internal()) {
        let paths = Paths::new(&mut b, t, t.len());
        for i in 0..t.len() {
            let node = t.node(i);
            let (ao, ab, fo, fb) = crate::alloc::node_heap(node);
            if ao == 0 && fo == 0 {
                continue;
            }
            let stack = paths.stack(i);
            let totals = [ao, ab, ao.wrapping_sub(fo), ab.wrapping_sub(fb)];
            let mut rest = totals;
            if let Some(aggs) = native.get(&(node as *const _ as usize)) {
                // Native stacks sampled below this path: the exact totals
                // split across them, native frames below the path's frames.
                let annotated = (i != 0).then(|| node.callsite().name());
                for (agg, part) in aggs.iter().zip(crate::native::split(aggs, totals)) {
                    if part == [0; 4] {
                        continue;
                    }
                    let mut locs: Vec<u64> =
                        crate::native::frames(&agg.ips, annotated, &mut symbols)
                            .into_iter()
                            .map(|(ip, lines)| b.native_location(ip as u64, &lines))
                            .collect();
                    locs.extend_from_slice(&stack);
                    heap_sample(&mut b, locs, part);
                    for (r, p) in rest.iter_mut().zip(part) {
                        *r = r.wrapping_sub(p);
                    }
                }
            }
            if rest != [0; 4] {
                heap_sample(&mut b, stack, rest);
            }
        }
    }
    b.finish(crate::clock::unix_nanos(), 0)
}

/// One heap sample: (alloc objects, alloc bytes, inuse objects, inuse
/// bytes), with the numeric `bytes` label (average allocation size).
fn heap_sample(b: &mut Builder, locs: Vec<u64>, v: [u64; 4]) {
    let avg = v[1].checked_div(v[0]).unwrap_or(0);
    b.sample(
        locs,
        vec![v[0] as i64, v[1] as i64, v[2] as i64, v[3] as i64],
        &[("bytes", LabelValue::Num(avg as i64, None))],
    );
}

/// Go's legacy heap text (`debug=1`): a header with the totals (`@ heap/N`
/// with N = 2 × the sampling rate, as Go writes it: 2 for exact counts), a
/// record per stack, and a MemStats-like trailer.
fn heap_text(p: &Profile) -> String {
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
    let st = crate::alloc::heap_stats();
    let _ = writeln!(out, "\n# inprof.HeapStats");
    let _ = writeln!(out, "# Alloc = {}", st.live_bytes);
    let _ = writeln!(out, "# TotalAlloc = {}", st.total_allocated_bytes);
    let _ = writeln!(out, "# Mallocs = {}", st.allocations);
    let _ = writeln!(out, "# Frees = {}", st.frees);
    let _ = writeln!(out, "# HeapObjects = {}", st.live_objects);
    let _ = writeln!(out, "# PeakAlloc = {}", st.peak_live_bytes);
    let _ = writeln!(out, "# PeakAllocTime = {}", st.peak_at_unix_nanos);
    out
}

/// A stand-in program counter for a location in text profiles (inprof's
/// frames are functions, not addresses).
fn pseudo_pc(location_id: u64) -> u64 {
    0x1000 + location_id * 0x10
}

fn contention_profile(mutex: bool) -> Profile {
    let mut b = Builder::new(
        &[("contentions", "count"), ("delay", "nanoseconds")],
        ("contentions", "count"),
        1,
        None,
    );
    for t in tree::trees().filter(|t| !t.is_internal()) {
        let paths = Paths::new(&mut b, t, t.len());
        for i in 0..t.len() {
            let e = &t.node(i).ext;
            let (count, delay) = if mutex {
                (
                    e.mutex_count.load(Ordering::Relaxed) as f64,
                    e.mutex_delay.load(Ordering::Relaxed),
                )
            } else {
                (
                    f64::from_bits(e.block_count.load(Ordering::Relaxed)),
                    e.block_delay.load(Ordering::Relaxed),
                )
            };
            if count == 0.0 && delay == 0 {
                continue;
            }
            let stack = paths.stack(i);
            b.sample(
                stack,
                vec![count.round().max(1.0) as i64, delay as i64],
                &[],
            );
        }
    }
    b.finish(crate::clock::unix_nanos(), 0)
}

fn threadcreate_profile() -> Profile {
    let mut b = Builder::new(
        &[("threadcreate", "count")],
        ("threadcreate", "count"),
        1,
        None,
    );
    for t in tree::trees().filter(|t| !t.is_internal()) {
        let paths = Paths::new(&mut b, t, t.len());
        for i in 0..t.len() {
            let n = t.node(i).ext.threads_created.load(Ordering::Relaxed);
            if n > 0 {
                let stack = paths.stack(i);
                b.sample(stack, vec![n as i64], &[]);
            }
        }
    }
    b.finish(crate::clock::unix_nanos(), 0)
}

/// Live threads, each at its current call path (Go's goroutine profile).
fn threads_profile() -> Profile {
    let mut b = Builder::new(&[("thread", "count")], ("thread", "count"), 1, None);
    for t in tree::trees().filter(|t| !t.is_internal() && !t.exited()) {
        let cur = t.current_idx() as usize;
        let paths = Paths::new(&mut b, t, cur + 1);
        let thread = [b.label_str("thread", t.name())];
        let labels = paths.sample_labels(&mut b, cur, &thread);
        let stack = paths.stack(cur);
        b.sample_labeled(stack, vec![1], labels);
    }
    b.finish(crate::clock::unix_nanos(), 0)
}

/// Writes the stacks of one profile in the legacy text formats: the
/// `@ 0xPC ...` list and the `#\t0xPC\tname+0x0\tfile:line` frame lines.
struct StackText<'p> {
    p: &'p Profile,
    locs: std::collections::HashMap<u64, &'p crate::pprof::Location>,
    funcs: std::collections::HashMap<u64, &'p crate::pprof::Function>,
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
fn count_text(name: &str, p: &Profile) -> String {
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

/// Go's legacy contention format (`--- contention:` / `--- mutex:`).
fn contention_text(p: &Profile, mutex: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "--- {}:", if mutex { "mutex" } else { "contention" });
    let _ = writeln!(out, "cycles/second=1000000000");
    if mutex {
        let _ = writeln!(
            out,
            "sampling period={}",
            crate::contention::mutex_profile_fraction()
        );
    }
    let mut samples: Vec<&crate::pprof::Sample> = p.sample.iter().collect();
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
