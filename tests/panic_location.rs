//! A panic's location is the program's, instrumented or not: a function
//! that is `#[track_caller]`, by its own attribute or by its trait's
//! declaration (core declares `Index::index` and `IndexMut::index_mut` so:
//! `grid[i]` out of bounds reports the line of `grid[i]`, through the
//! impl), reports its caller's line, recorded or not, and the profile
//! still counts its calls exactly (tokio-util 0.7.20's tests check this of
//! its `DelayQueue`, through an `Index` impl that does not say
//! `#[track_caller]` itself).

mod common;
use common::*;
use std::ops::{Index, IndexMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

struct Grid {
    cells: Vec<u32>,
}

#[inprof::profile]
impl Index<usize> for Grid {
    type Output = u32;

    fn index(&self, i: usize) -> &u32 {
        // `Vec`'s own index is `#[track_caller]`: out of bounds, it
        // reports the location this method was called from.
        &self.cells[i]
    }
}

#[inprof::profile]
impl IndexMut<usize> for Grid {
    fn index_mut(&mut self, i: usize) -> &mut u32 {
        &mut self.cells[i]
    }
}

/// A trait of ours that declares its method `#[track_caller]`: the impl
/// says it again, as the README asks where the trait is not core's.
trait Checked {
    #[track_caller]
    fn checked(&self, i: usize) -> u32;
}

#[inprof::profile]
impl Checked for Grid {
    #[track_caller]
    fn checked(&self, i: usize) -> u32 {
        self[i]
    }
}

#[inprof::profile]
#[track_caller]
fn first(g: &Grid, i: usize) -> u32 {
    g[i]
}

/// `#[track_caller]` under `cfg_attr` on a method of an instrumented impl,
/// where the attribute sees it unexpanded (eyre 0.6.14's
/// `#[cfg_attr(track_caller, track_caller)]`, its build script's cfg; here
/// a condition that always holds): reports its caller's line too.
#[inprof::profile]
impl Grid {
    #[cfg_attr(all(), track_caller)]
    fn second(&self, i: usize) -> u32 {
        self[i + 1]
    }
}

/// The location of the last panic `panic_line` expected.
static LAST: Mutex<Option<(String, u32)>> = Mutex::new(None);
/// Whether a panic is expected (others go to the default hook).
static EXPECTING: AtomicBool = AtomicBool::new(false);

/// The file and line `f` panicked at, by the panic hook.
fn panic_line(f: impl FnOnce() + std::panic::UnwindSafe) -> (String, u32) {
    *LAST.lock().unwrap() = None;
    EXPECTING.store(true, Ordering::SeqCst);
    let r = std::panic::catch_unwind(f);
    EXPECTING.store(false, Ordering::SeqCst);
    assert!(r.is_err(), "did not panic");
    LAST.lock().unwrap().take().expect("the hook saw no panic")
}

/// Every panic, each at the line named beside it; the calls that reach
/// `Grid::index` (`index_mut`) through them.
fn panics() -> (usize, usize) {
    let mut g = Grid { cells: vec![1, 2] };
    assert_eq!(g[1], 2);
    g[0] = 5;
    assert_eq!(first(&g, 0), 5);
    assert_eq!(g.checked(1), 2);
    assert_eq!(g.second(0), 2);
    let mut got = Vec::new();
    let file = file!().to_owned();
    let (l_index, l_index_mut, l_first, l_checked, l_second);
    got.push(panic_line(|| {
        let g = Grid { cells: vec![] };
        want_here(&g[3]);
    }));
    l_index = line!() - 2;
    got.push(panic_line(|| {
        let mut g = Grid { cells: vec![] };
        g[3] = 1;
    }));
    l_index_mut = line!() - 2;
    got.push(panic_line(|| {
        let g = Grid { cells: vec![] };
        first(&g, 3);
    }));
    l_first = line!() - 2;
    got.push(panic_line(|| {
        let g = Grid { cells: vec![] };
        g.checked(3);
    }));
    l_checked = line!() - 2;
    got.push(panic_line(|| {
        let g = Grid { cells: vec![] };
        g.second(3);
    }));
    l_second = line!() - 2;
    let want: Vec<(String, u32)> = [l_index, l_index_mut, l_first, l_checked, l_second]
        .into_iter()
        .map(|l| (file.clone(), l))
        .collect();
    assert_eq!(got, want, "panic locations (file, line)");
    // index: g[1], first's g[0], checked's self[1], second's g[1], and
    // the panics of g[3], first, checked and second; index_mut: g[0] = 5
    // and g[3] = 1.
    (8, 2)
}

fn want_here(_: &u32) {}

#[test]
fn a_panic_reports_the_callers_line_recorded_or_not() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !EXPECTING.load(Ordering::SeqCst) {
            return default(info);
        }
        let l = info.location().unwrap();
        *LAST.lock().unwrap() = Some((l.file().to_owned(), l.line()));
    }));
    // Recording off (no profile asked for).
    panics();

    // Recording on: the same lines, and the calls counted exactly.
    let dir = tmpdir("panic_location");
    let file = dir.join("cpu.pb.gz");
    let guard = inprof::start_cpu_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let (index, index_mut) = panics();
    guard.stop().unwrap();

    let calls = top(&file, &["-sample_index=calls"]);
    let flat = |name: &str| {
        calls
            .iter()
            .filter(|r| r.name.contains(name))
            .map(|r| r.flat)
            .sum::<f64>()
    };
    assert_eq!(flat("Index<usize>>::index"), index as f64, "{calls:#?}");
    assert_eq!(
        flat("IndexMut<usize>>::index_mut"),
        index_mut as f64,
        "{calls:#?}"
    );
    assert_eq!(flat("panic_location::first"), 2.0, "{calls:#?}");
    assert_eq!(flat("Checked>::checked"), 2.0, "{calls:#?}");
    assert_eq!(flat("Grid::second"), 2.0, "{calls:#?}");
}
