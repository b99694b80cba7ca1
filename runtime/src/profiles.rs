//! Named profiles, like Go's `pprof.Lookup(name)`: each writes itself as
//! gzipped pprof (`debug = 0`) or as Go's legacy text (`debug >= 1`).

use crate::callsite::Callsite;
use crate::pprof::{Builder, Frame, LabelValue, Profile};
use crate::tree::{self, Tree};
use crate::Error;
use std::io::Write;

/// The profiles every program has, sorted by name.
const NAMES: &[&str] = &["allocs", "heap"];

/// A named profile; see [`lookup`].
#[derive(Clone, Debug)]
pub struct NamedProfile {
    name: &'static str,
}

/// The profile named `name` (Go's `pprof.Lookup`), or None.
pub fn lookup(name: &str) -> Option<NamedProfile> {
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

    /// The number of records in the profile now (for heap and allocs: the
    /// number of call paths that allocated).
    pub fn count(&self) -> usize {
        self.build().sample.len()
    }

    /// Builds the profile as it is now.
    pub fn build(&self) -> Profile {
        match self.name {
            "heap" => heap_profile(false),
            _ => heap_profile(true),
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
                _ => unreachable!("every name has a text form"),
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

/// The location of node `i` of `t`: its callsite, or for the root a frame
/// named after the thread.
pub(crate) fn node_location(b: &mut Builder, t: &Tree, i: usize) -> u64 {
    if i == 0 {
        let name = format!("[{}]", t.name());
        return b.location(
            (t as *const Tree as u64) | 1,
            Frame {
                name: &name,
                file: "",
                line: 0,
            },
        );
    }
    let c = t.node(i).callsite();
    b.location(
        c as *const Callsite as u64,
        Frame {
            name: c.name(),
            file: c.file(),
            line: c.line(),
        },
    )
}

/// The stack of node `i` (leaf first); the root appears only as the stack
/// of the root itself (work with no annotated caller).
pub(crate) fn node_stack(b: &mut Builder, t: &Tree, i: usize) -> Vec<u64> {
    if i == 0 {
        return vec![node_location(b, t, 0)];
    }
    let mut out = Vec::with_capacity(8);
    let mut k = i;
    while k != 0 {
        out.push(node_location(b, t, k));
        let p = t.node(k).parent_idx() as usize;
        if p == k {
            break;
        }
        k = p;
    }
    out
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
    for t in tree::trees().filter(|t| !t.is_internal()) {
        for i in 0..t.len() {
            let (ao, ab, fo, fb) = crate::alloc::node_heap(t.node(i));
            if ao == 0 && fo == 0 {
                continue;
            }
            let stack = node_stack(&mut b, t, i);
            let avg = if ao > 0 { ab / ao } else { 0 };
            b.sample(
                stack,
                vec![
                    ao as i64,
                    ab as i64,
                    ao.wrapping_sub(fo) as i64,
                    ab.wrapping_sub(fb) as i64,
                ],
                &[("bytes", LabelValue::Num(avg as i64, None))],
            );
        }
    }
    b.finish(crate::clock::unix_nanos(), 0)
}

/// Go's legacy heap text (`debug=1`): a header with the totals, a record
/// per stack, and a MemStats-like trailer.
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
        "heap profile: {}: {} [{}: {}] @ heap/1",
        tot[2], tot[3], tot[0], tot[1]
    );
    let locs: std::collections::HashMap<u64, &crate::pprof::Location> =
        p.location.iter().map(|l| (l.id, l)).collect();
    let funcs: std::collections::HashMap<u64, &crate::pprof::Function> =
        p.function.iter().map(|f| (f.id, f)).collect();
    for s in &p.sample {
        let _ = write!(
            out,
            "{}: {} [{}: {}] @",
            s.value[2], s.value[3], s.value[0], s.value[1]
        );
        for id in &s.location_id {
            let _ = write!(out, " {:#x}", pseudo_pc(*id));
        }
        out.push('\n');
        for id in &s.location_id {
            if let Some(l) = locs.get(id) {
                for line in &l.line {
                    if let Some(f) = funcs.get(&line.function_id) {
                        let _ = writeln!(
                            out,
                            "#\t{:#x}\t{}+0x0\t{}:{}",
                            pseudo_pc(*id),
                            p.str(f.name),
                            p.str(f.filename),
                            line.line
                        );
                    }
                }
            }
        }
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
