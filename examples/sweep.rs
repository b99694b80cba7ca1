//! The leaf sweep: does a profile of everything keep the proportions of the
//! uninstrumented program, however short the instrumented functions are?
//!
//! For each K, one `root` calls 100 000 `mid`, each calling 10 `leaf`s of
//! K dependent multiply-adds (K = 0: an empty leaf). The same program runs
//! uninstrumented and instrumented (recording on, adaptive instrumentation
//! as by default, and again with it off); the table compares `root`'s cum
//! with the uninstrumented wall time of the same round (the median of the
//! rounds' ratios). Each K has its own functions, so a
//! leaf demoted at one K does not carry over to the next.
//!
//! Where the leaf takes a few nanoseconds (K up to 20), where the code was
//! placed moves the result: one build of the same source measured K = 0
//! at +3 %, another at +21 %, its leaf's check and return straddling a
//! 64-byte line. So those K are compiled three times, at three places,
//! and the table gives the median of the three, each printed after it
//! with where its leaf begins in its 64-byte line. On an Intel Xeon VM
//! (2026-12-05) a demoted K = 0 leaf beginning 48 bytes into its line,
//! its check and return in the next, cost about 1 ns more a call than
//! one beginning at 16: +55 % and +62 % against +7 %.
//!
//! ```text
//! cargo run --release --example sweep
//! ```

use std::hint::black_box;
use std::time::Instant;

const MIDS: u64 = 100_000;
const LEAVES: u64 = 10;

/// K dependent multiply-adds: work the CPU cannot skip or overlap with
/// itself. The value passes an empty assembly barrier at each step (in a
/// register: no memory round trip whose timing would differ between the
/// copies of the program), so that the compiler can neither fold the chain
/// nor see through the leaf.
#[inline(always)]
fn madd(k: u32, x: u64) -> u64 {
    let mut x = opaque(x);
    for _ in 0..k {
        x = opaque(x.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1));
    }
    x
}

#[inline(always)]
fn opaque(mut x: u64) -> u64 {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    // SAFETY: an empty assembly block with one register operand: no
    // instruction, no memory, no flags.
    unsafe {
        std::arch::asm!("/* {0} */", inout(reg) x, options(pure, nomem, nostack, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        x = black_box(x);
    }
    x
}

/// One K: the uninstrumented program and two instrumented copies, one as
/// by default (adaptive) and one whose functions are always timed.
macro_rules! sweep_case {
    ($m:ident, $k:expr) => {
        mod $m {
            use super::*;
            pub const K: u32 = $k;

            #[inline(never)]
            fn plain_leaf(x: u64) -> u64 {
                madd(K, x)
            }
            #[inline(never)]
            fn plain_mid(x: u64) -> u64 {
                (0..LEAVES).fold(x, |a, _| plain_leaf(a))
            }
            #[inline(never)]
            pub fn plain_root(x: u64) -> u64 {
                (0..MIDS).fold(x, |a, _| plain_mid(a))
            }

            #[inprof::profile]
            #[inline(never)]
            fn leaf(x: u64) -> u64 {
                madd(K, x)
            }
            #[inprof::profile]
            #[inline(never)]
            fn mid(x: u64) -> u64 {
                (0..LEAVES).fold(x, |a, _| leaf(a))
            }
            #[inprof::profile]
            #[inline(never)]
            pub fn root(x: u64) -> u64 {
                (0..MIDS).fold(x, |a, _| mid(a))
            }

            #[inprof::profile(always)]
            #[inline(never)]
            fn leaf_timed(x: u64) -> u64 {
                madd(K, x)
            }
            #[inprof::profile(always)]
            #[inline(never)]
            fn mid_timed(x: u64) -> u64 {
                (0..LEAVES).fold(x, |a, _| leaf_timed(a))
            }
            #[inprof::profile(always)]
            #[inline(never)]
            pub fn root_timed(x: u64) -> u64 {
                (0..MIDS).fold(x, |a, _| mid_timed(a))
            }

            pub fn run(rounds: usize) -> super::Row {
                super::measure(
                    K,
                    concat!(module_path!(), "::"),
                    rounds,
                    plain_root,
                    root,
                    root_timed,
                    leaf as fn(u64) -> u64 as usize,
                )
            }
        }
    };
}

sweep_case!(k0, 0);
sweep_case!(k0_b, 0);
sweep_case!(k0_c, 0);
sweep_case!(k5, 5);
sweep_case!(k5_b, 5);
sweep_case!(k5_c, 5);
sweep_case!(k10, 10);
sweep_case!(k10_b, 10);
sweep_case!(k10_c, 10);
sweep_case!(k20, 20);
sweep_case!(k20_b, 20);
sweep_case!(k20_c, 20);
sweep_case!(k30, 30);
sweep_case!(k50, 50);
sweep_case!(k100, 100);
sweep_case!(k200, 200);
sweep_case!(k300, 300);
sweep_case!(k500, 500);
sweep_case!(k1000, 1000);

/// One line of the table.
pub struct Row {
    /// Multiply-adds per leaf.
    pub k: u32,
    /// Uninstrumented: one leaf, ns.
    pub leaf_ns: f64,
    /// Uninstrumented: the whole root, ns.
    pub plain_ns: f64,
    /// `root`'s cum, adaptive (the default), ns.
    pub adaptive_ns: f64,
    /// `root`'s cum, every call timed, ns.
    pub timed_ns: f64,
    /// `root`'s cum, adaptive, over the uninstrumented wall of the same
    /// round: the median of the rounds' ratios.
    pub adaptive_ratio: f64,
    /// The same for the always-timed copy.
    pub timed_ratio: f64,
    /// Whether the adaptive leaf was demoted.
    pub leaf_demoted: bool,
    /// Where the adaptive leaf's code begins in its 64-byte cache line
    /// (bytes): a demoted leaf's check and return straddle two lines when
    /// it begins late in one (its executed code is about 20 bytes). Where
    /// K was compiled at several places, the first copy's (each copy's is
    /// in `placements`).
    pub leaf_line_offset: usize,
    /// The adaptive ratio of each copy of the code, with its leaf's
    /// `leaf_line_offset`, where K was compiled at several places (see the
    /// module's docs); empty otherwise.
    pub placements: Vec<(f64, usize)>,
}

/// One K compiled at several places: each figure is the median of the
/// copies' (the copies' adaptive ratios kept in `placements`).
fn placed(rows: Vec<Row>) -> Row {
    let mid = |f: &dyn Fn(&Row) -> f64| median(rows.iter().map(f).collect());
    Row {
        k: rows[0].k,
        leaf_ns: mid(&|r| r.leaf_ns),
        plain_ns: mid(&|r| r.plain_ns),
        adaptive_ns: mid(&|r| r.adaptive_ns),
        timed_ns: mid(&|r| r.timed_ns),
        adaptive_ratio: mid(&|r| r.adaptive_ratio),
        timed_ratio: mid(&|r| r.timed_ratio),
        leaf_demoted: rows.iter().all(|r| r.leaf_demoted),
        leaf_line_offset: rows[0].leaf_line_offset,
        placements: rows
            .iter()
            .map(|r| (r.adaptive_ratio, r.leaf_line_offset))
            .collect(),
    }
}

fn cum_of(p: &inprof::pprof::Profile, name: &str) -> f64 {
    let idx = inprof::report::sample_index(p, Some("wall")).expect("wall");
    inprof::report::top(p, idx)
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.cum as f64)
        .unwrap_or(0.0)
}

/// The median of `v`.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Measures one K: `rounds` alternating runs (more for a short root) of
/// the uninstrumented and the two instrumented programs, after one warm-up
/// run each (during which the adaptive one probes and decides). Each
/// instrumented cum is compared with the uninstrumented run of its own
/// round, next to it in time, and the ratio is the median over the
/// rounds: a VM's slow spells (another guest on the core, a frequency
/// change) then move both sides of a ratio, not one median.
pub fn measure(
    k: u32,
    prefix: &str,
    rounds: usize,
    plain: fn(u64) -> u64,
    adaptive: fn(u64) -> u64,
    timed: fn(u64) -> u64,
    leaf_addr: usize,
) -> Row {
    let t0 = Instant::now();
    black_box(plain(1));
    let once = t0.elapsed().as_secs_f64();
    black_box(adaptive(1));
    black_box(timed(1));
    // Short roots get more rounds (at least 50 ms of uninstrumented run in
    // all, up to 41 rounds): a 1.5 ms run is at the mercy of one timer
    // interrupt.
    let rounds = if rounds > 1 {
        rounds.max(((0.05 / once).ceil() as usize).min(41))
    } else {
        rounds
    };
    let (mut p, mut a, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        let t0 = Instant::now();
        black_box(plain(black_box(i as u64)));
        p.push(t0.elapsed().as_nanos() as f64);

        let iv = inprof::begin_interval();
        let t0 = Instant::now();
        black_box(adaptive(black_box(i as u64)));
        let wall = t0.elapsed().as_nanos() as f64;
        a.push(cum_of(&iv.profile(), &format!("{prefix}root")));
        if std::env::var_os("SWEEP_DEBUG").is_some() {
            eprintln!("k={k} adaptive wall {wall} cum {}", a.last().unwrap());
        }
        drop(iv);

        let iv = inprof::begin_interval();
        black_box(timed(black_box(i as u64)));
        t.push(cum_of(&iv.profile(), &format!("{prefix}root_timed")));
    }
    let leaf_name = format!("{prefix}leaf");
    let ratios = |v: &[f64]| median(v.iter().zip(&p).map(|(x, w)| x / w).collect());
    let (adaptive_ratio, timed_ratio) = (ratios(&a), ratios(&t));
    let plain_ns = median(p);
    Row {
        k,
        leaf_ns: plain_ns / (MIDS * LEAVES) as f64,
        plain_ns,
        adaptive_ns: median(a),
        timed_ns: median(t),
        adaptive_ratio,
        timed_ratio,
        leaf_demoted: inprof::demoted().iter().any(|d| d.name == leaf_name),
        leaf_line_offset: leaf_addr % 64,
        placements: Vec::new(),
    }
}

/// Every K, in order.
pub fn sweep(rounds: usize) -> Vec<Row> {
    vec![
        placed(vec![k0::run(rounds), k0_b::run(rounds), k0_c::run(rounds)]),
        placed(vec![k5::run(rounds), k5_b::run(rounds), k5_c::run(rounds)]),
        placed(vec![
            k10::run(rounds),
            k10_b::run(rounds),
            k10_c::run(rounds),
        ]),
        placed(vec![
            k20::run(rounds),
            k20_b::run(rounds),
            k20_c::run(rounds),
        ]),
        k30::run(rounds),
        k50::run(rounds),
        k100::run(rounds),
        k200::run(rounds),
        k300::run(rounds),
        k500::run(rounds),
        k1000::run(rounds),
    ]
}

/// Prints the table.
pub fn print(rows: &[Row]) {
    println!(
        "timed call cost {:.1} ns, demotion threshold {:.0} ns",
        inprof::call_cost_ns(),
        inprof::demote_threshold_ns()
    );
    println!(
        "{:>5} {:>9} {:>14} {:>22} {:>22}  leaf",
        "K", "leaf ns", "uninstr. ms", "root cum, adaptive", "root cum, always timed"
    );
    for r in rows {
        println!(
            "{:>5} {:>9.1} {:>14.2} {:>13.2} ({:>+6.2}%) {:>13.2} ({:>+6.2}%)  {}",
            r.k,
            r.leaf_ns,
            r.plain_ns / 1e6,
            r.adaptive_ns / 1e6,
            (r.adaptive_ratio - 1.0) * 100.0,
            r.timed_ns / 1e6,
            (r.timed_ratio - 1.0) * 100.0,
            if r.leaf_demoted { "demoted" } else { "timed" }
        );
        if !r.placements.is_empty() {
            let each: Vec<String> = r
                .placements
                .iter()
                .map(|(x, at)| format!("{:+.2}% (leaf at +{at})", (x - 1.0) * 100.0))
                .collect();
            println!(
                "      adaptive, each placement (the leaf's start in its 64-byte line): {}",
                each.join(" ")
            );
        }
    }
}

#[allow(dead_code)]
fn main() {
    let rounds = if cfg!(debug_assertions) { 1 } else { 5 };
    print(&sweep(rounds));
}
