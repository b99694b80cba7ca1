//! Named profiles, like Go's `pprof.Lookup(name)`: each writes itself as
//! gzipped pprof (`debug = 0`) or as Go's legacy text (`debug >= 1`).

use crate::engine::site::Site;
use crate::engine::tree;
use crate::format::pprof::{Builder, LabelValue, Profile};
use crate::format::text;
use crate::profiles::paths::Paths;
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
    "taskcreate",
    "threadcreate",
];

/// A named profile; see [`lookup`].
#[derive(Clone, Debug)]
pub struct NamedProfile {
    name: &'static str,
}

/// The profile named `name` (Go's `pprof.Lookup`), or None.
///
/// ```
/// let mut text = Vec::new();
/// inprof::lookup("goroutine").unwrap().write_to(&mut text, 1)?; // Go's text form
/// assert!(String::from_utf8(text)?.starts_with("goroutine profile: total"));
/// assert!(inprof::lookup("nope").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lookup(name: &str) -> Option<NamedProfile> {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    crate::engine::start::fire(crate::engine::start::Trigger::Use);
    let name = if name == "threads" { "goroutine" } else { name };
    NAMES
        .iter()
        .find(|n| **n == name)
        .map(|n| NamedProfile { name: n })
}

/// Every named profile, sorted by name (Go's `pprof.Profiles`).
///
/// ```
/// let names: Vec<&str> = inprof::profiles().iter().map(|p| p.name()).collect();
/// assert!(names.contains(&"heap") && names.contains(&"goroutine"));
/// ```
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
            "goroutine" | "threadcreate" | "taskcreate" => {
                p.sample.iter().map(|s| s.value[0].max(0) as usize).sum()
            }
            _ => p.sample.len(),
        }
    }

    /// Builds the profile as it is now. What building allocates is not
    /// counted in the heap profiles.
    pub fn build(&self) -> Profile {
        let _not_counted = crate::engine::counters::Reentrant::enter();
        match self.name {
            "heap" => heap_profile(false),
            "allocs" => heap_profile(true),
            "block" => contention_profile(false),
            "mutex" => contention_profile(true),
            "threadcreate" => created_profile("threadcreate"),
            "taskcreate" => created_profile("taskcreate"),
            _ => threads_profile(),
        }
    }

    /// Writes the profile: `debug = 0` gzipped pprof, `debug >= 1` text.
    pub fn write_to<W: Write>(&self, mut w: W, debug: u8) -> Result<(), Error> {
        let _not_counted = crate::engine::counters::Reentrant::enter();
        let p = self.build();
        if debug == 0 {
            p.write_gzip(&mut w)?;
        } else {
            let text = match self.name {
                "heap" | "allocs" => {
                    let st = crate::profiles::alloc::heap_stats();
                    text::heap_text(
                        &p,
                        (
                            "inprof.HeapStats",
                            &[
                                ("Alloc", st.live_bytes),
                                ("TotalAlloc", st.total_allocated_bytes),
                                ("Mallocs", st.allocations),
                                ("Frees", st.frees),
                                ("HeapObjects", st.live_objects),
                                ("PeakAlloc", st.peak_live_bytes),
                                ("PeakAllocTime", st.peak_at_unix_nanos),
                            ],
                        ),
                    )
                }
                "block" => text::contention_text(&p, None),
                "mutex" => text::contention_text(
                    &p,
                    Some(crate::profiles::contention::mutex_profile_fraction()),
                ),
                "goroutine" if debug >= 2 => crate::profiles::threads::dump(),
                name => text::count_text(name, &p),
            };
            w.write_all(text.as_bytes())?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Writes the heap profile as gzipped pprof (Go's `WriteHeapProfile`).
///
/// ```
/// // With `#[global_allocator] static A: inprof::Alloc = inprof::Alloc::system();`
/// let file = std::env::temp_dir().join(format!("doc-heap-{}.pb.gz", std::process::id()));
/// inprof::write_heap_profile(inprof::create_private_file(&file)?)?;
/// // go tool pprof -sample_index=inuse_space -top heap.pb.gz
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    // Every Rust program allocates before main: none counted means
    // inprof's allocator is not the global one.
    if crate::profiles::alloc::heap_stats().allocations == 0 {
        const WHY: &str = "inprof: no allocation was counted: install inprof::Alloc as the global allocator (#[global_allocator] static A: inprof::Alloc = inprof::Alloc::system();), or build with the `enable` feature";
        b.comment(WHY);
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| eprintln!("{WHY}"));
    }
    let dropped = crate::profiles::native::dropped();
    if dropped > 0 {
        b.comment(&format!(
            "inprof: {dropped} sampled allocations found no room for their native stack (counted at their call path only)"
        ));
    }
    let lock = crate::engine::fold::read();
    let native = crate::profiles::native::by_site();
    // The sites of each tree: (node index, site).
    let mut by_tree: std::collections::HashMap<usize, Vec<(usize, &'static Site)>> =
        std::collections::HashMap::new();
    for site in crate::engine::site::sites() {
        let n = site.node();
        if n.is_null() {
            continue;
        }
        // SAFETY: nodes are never freed.
        let n = unsafe { &*n };
        let t = n.ext.tree.load(Ordering::Relaxed) as usize;
        by_tree
            .entry(t)
            .or_default()
            .push((n.ext.idx.load(Ordering::Relaxed) as usize, site));
    }
    let mut symbols = crate::profiles::native::take_symbol_cache();
    for t in tree::trees(&lock).filter(|t| !t.is_internal()) {
        let Some(sites) = by_tree.get(&(t as *const _ as usize)) else {
            continue;
        };
        let paths = Paths::new(&mut b, t, t.len());
        for &(i, site) in sites {
            if i >= t.len() {
                continue;
            }
            let node = t.node(i);
            let (ao, ab, fo, fb) = site.totals();
            if ao == 0 && fo == 0 {
                continue;
            }
            let stack = paths.stack(i);
            let totals = [ao, ab, ao.wrapping_sub(fo), ab.wrapping_sub(fb)];
            let mut rest = totals;
            if let Some(recs) = native.get(&(site as *const Site as usize)) {
                // Native stacks sampled below this path: the exact totals
                // split across them, native frames below the path's frames.
                let annotated = (i != 0).then(|| node.name());
                for (rec, part) in recs
                    .iter()
                    .zip(crate::profiles::native::split(recs, totals))
                {
                    if part == [0; 4] {
                        continue;
                    }
                    let mut locs: Vec<u64> =
                        crate::profiles::native::frames(&rec.pcs(), annotated, &mut symbols)
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
    crate::profiles::native::put_symbol_cache(symbols);
    dropped_comment(&mut b, &lock);
    b.finish(crate::engine::clock::unix_nanos(), 0)
}

/// A comment naming the call paths folded past the node bound, if any.
pub(crate) fn dropped_comment(b: &mut Builder, lock: &crate::engine::fold::ReadLock) {
    let (mut n, mut lower) = (0, false);
    for t in tree::trees(lock) {
        let (c, l) = t.dropped_paths();
        n += c;
        lower |= l;
    }
    if n > 0 {
        b.comment(&format!(
            "inprof: {}{n} call paths past the node limit (set_max_nodes) folded into [inprof: N paths folded] frames",
            if lower { "at least " } else { "" }
        ));
    }
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

fn contention_profile(mutex: bool) -> Profile {
    let mut b = Builder::new(
        &[("contentions", "count"), ("delay", "nanoseconds")],
        ("contentions", "count"),
        1,
        None,
    );
    let lock = crate::engine::fold::read();
    for t in tree::trees(&lock).filter(|t| !t.is_internal()) {
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
    b.finish(crate::engine::clock::unix_nanos(), 0)
}

/// threadcreate (threads spawned through `inprof::thread`) or taskcreate
/// (tasks spawned through `inprof::task`), at the spawner's call path.
fn created_profile(kind: &'static str) -> Profile {
    let mut b = Builder::new(&[(kind, "count")], (kind, "count"), 1, None);
    let lock = crate::engine::fold::read();
    for t in tree::trees(&lock).filter(|t| !t.is_internal()) {
        let paths = Paths::new(&mut b, t, t.len());
        for i in 0..t.len() {
            let e = &t.node(i).ext;
            let n = if kind == "taskcreate" {
                e.tasks_created.load(Ordering::Relaxed)
            } else {
                e.threads_created.load(Ordering::Relaxed)
            };
            if n > 0 {
                let stack = paths.stack(i);
                b.sample(stack, vec![n as i64], &[]);
            }
        }
    }
    b.finish(crate::engine::clock::unix_nanos(), 0)
}

/// Live threads, each at its current call path (Go's goroutine profile).
fn threads_profile() -> Profile {
    let mut b = Builder::new(&[("goroutine", "count")], ("goroutine", "count"), 1, None);
    let lock = crate::engine::fold::read();
    for t in tree::trees(&lock).filter(|t| !t.is_internal() && !t.exited()) {
        let cur = t.current_idx() as usize;
        let paths = Paths::new(&mut b, t, cur + 1);
        let thread = [b.label_str("thread", &t.name())];
        let labels = paths.sample_labels(&mut b, cur, &thread);
        let stack = paths.stack(cur);
        b.sample_labeled(stack, vec![1], labels);
    }
    b.finish(crate::engine::clock::unix_nanos(), 0)
}
