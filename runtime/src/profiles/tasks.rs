//! Async Rust: the futures of instrumented `async fn`s counted as calls,
//! their latency beside their busy time, the live tasks in the thread dump,
//! labels that follow a future, and spawns.
//!
//! - **Calls, polls, cancellations.** A future is one call when it ends:
//!   completed, or dropped after its first poll (then also counted as
//!   cancelled). Each poll enters the frame as before (its `wall` is busy
//!   time, exact); the polls are counted apart.
//! - **Latency**: first poll to completion (or drop), wall time, suspension
//!   included; recorded while time is recorded, like `wall`.
//! - **Tasks.** A future polled with no instrumented future above it on the
//!   thread is a task's root. When it first returns `Pending` it takes a
//!   slot in a fixed table (no allocation, no lock) and keeps there its
//!   await tree (the instrumented futures left pending by its last poll,
//!   with what awaits what: both branches of a `select!`), whether it runs
//!   and since when it waits, and where it was made;
//!   [`dump`] lists them. A future that completes in its first poll never
//!   takes a slot.

use crate::engine::callsite::{Callsite, SelfTypeName};
use crate::engine::clock;
use crate::engine::mode;
use crate::engine::tree::{self, Node, Tree};
use std::cell::Cell;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

/// Entries of a task's await tree kept (the pending instrumented futures
/// of its last poll, with their nesting levels).
pub const AWAIT_DEPTH: usize = 8;
/// Tasks tracked at once; more run untracked (counted, see [`dump`]).
const SLOTS: usize = 4096;

/// One tracked task. All atomics: read by [`dump`] while the task runs.
struct Slot {
    /// Odd while a task holds it; bumped when taken and when given back.
    gen: AtomicU64,
    /// The task's number (in order of taking a slot).
    id: AtomicU64,
    /// The tree of the thread polling it now (null: waiting).
    running: AtomicPtr<Tree>,
    /// The tree that polled it last, and that tree's id then.
    last_tree: AtomicPtr<Tree>,
    last_thread: AtomicU64,
    /// When it last stopped running (ticks).
    since: AtomicU64,
    /// Where its root future was made (a node, and its tree's id).
    created: AtomicPtr<Node>,
    created_tree: AtomicU64,
    /// Its await tree as of its last poll: pending futures' nodes and
    /// nesting levels, innermost first (the root, level 0, last).
    depth: AtomicUsize,
    levels: [AtomicPtr<Node>; AWAIT_DEPTH],
    level_of: [AtomicUsize; AWAIT_DEPTH],
}

static TABLE: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static UNTRACKED: AtomicU64 = AtomicU64::new(0);

/// The slot table, made on first need from the system allocator (not
/// charged to the program's heap profile); None if that failed.
fn table() -> Option<&'static [Slot]> {
    let mut p = TABLE.load(Ordering::Acquire);
    if p.is_null() {
        let layout = std::alloc::Layout::array::<Slot>(SLOTS).ok()?;
        // SAFETY: the layout has a non-zero size; an all-zero `Slot` is
        // valid (atomics and null pointers).
        let fresh = unsafe { std::alloc::GlobalAlloc::alloc_zeroed(&std::alloc::System, layout) }
            as *mut Slot;
        if fresh.is_null() {
            return None;
        }
        match TABLE.compare_exchange(p, fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => p = fresh,
            Err(other) => {
                // SAFETY: `fresh` came from this allocator with this
                // layout and was never shared.
                unsafe {
                    std::alloc::GlobalAlloc::dealloc(&std::alloc::System, fresh as *mut u8, layout)
                };
                p = other;
            }
        }
    }
    // SAFETY: the table is SLOTS slots, never freed.
    Some(unsafe { std::slice::from_raw_parts(p, SLOTS) })
}

/// Per thread: the instrumented futures being polled now, and the await
/// tree their `Pending`s left during the current root poll (node, level),
/// innermost first; a future dropped or completed during the poll takes
/// its entry back.
struct PollState {
    level: Cell<u32>,
    chain_len: Cell<u32>,
    chain: [Cell<(*const Node, u32)>; AWAIT_DEPTH],
    /// A hint where to look for a free slot.
    hint: Cell<u32>,
    /// Where the task being polled was spawned (`inprof::task`), if known.
    origin: Cell<(*const Node, u64)>,
}

thread_local! {
    static POLL: PollState = const {
        PollState {
            level: Cell::new(0),
            chain_len: Cell::new(0),
            chain: [const { Cell::new((std::ptr::null(), 0)) }; AWAIT_DEPTH],
            hint: Cell::new(0),
            origin: Cell::new((std::ptr::null(), 0)),
        }
    };
}

/// Takes a free slot (None if the table is full or cannot be made): the
/// slot and its generation.
fn take_slot() -> Option<(&'static Slot, u64)> {
    let table = table()?;
    let start = POLL.try_with(|p| p.hint.get()).unwrap_or(0) as usize;
    for k in 0..SLOTS {
        let i = (start + k) % SLOTS;
        let g = table[i].gen.load(Ordering::Relaxed);
        if g % 2 == 0
            && table[i]
                .gen
                .compare_exchange(g, g + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        {
            let _ = POLL.try_with(|p| p.hint.set(((i + 1) % SLOTS) as u32));
            table[i]
                .id
                .store(NEXT_ID.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
            return Some((&table[i], g + 1));
        }
    }
    UNTRACKED.fetch_add(1, Ordering::Relaxed);
    None
}

/// Gives slot `s` back if it is still generation `gen`.
fn give_back(s: &Slot, gen: u64) {
    s.running.store(std::ptr::null_mut(), Ordering::Relaxed);
    s.depth.store(0, Ordering::Relaxed);
    let _ = s
        .gen
        .compare_exchange(gen, gen + 1, Ordering::Release, Ordering::Relaxed);
}

/// Takes back the await-tree entry of the future at `node` polled at
/// `level` or deeper during the current root poll (it completed or was
/// dropped).
fn forget_entry(node: *const Node, level: u32) {
    let _ = POLL.try_with(|p| {
        let len = p.chain_len.get() as usize;
        if let Some(k) = (0..len).rev().find(|&k| {
            let (n, l) = p.chain[k].get();
            n == node && l >= level
        }) {
            for j in k..len - 1 {
                p.chain[j].set(p.chain[j + 1].get());
            }
            p.chain_len.set(len as u32 - 1);
        }
    });
}

/// The id of the tree a node belongs to (0 if none).
fn tree_id_of(n: *const Node) -> u64 {
    if n.is_null() {
        return 0;
    }
    // SAFETY: nodes and trees are never freed.
    let t = unsafe { (*n).ext.tree.load(Ordering::Relaxed) };
    if t.is_null() {
        0
    } else {
        // SAFETY: as above.
        unsafe { (*t).id() }
    }
}

/// What an instrumented future keeps about itself.
struct FutState {
    polled: bool,
    done: bool,
    /// First poll (ticks; 0: time was not recorded then).
    first: u64,
    /// The node of its last poll, and that tree's id.
    node: usize,
    node_tree: u64,
    /// Where it was made.
    created: usize,
    created_tree: u64,
    /// Its task slot, if it is a root that has waited.
    slot: Option<&'static Slot>,
    gen: u64,
}

/// A future whose every poll is one entry of its callsite's frame, counted
/// as one call when it ends (see the module docs).
pub struct Instrumented<F> {
    cs: &'static Callsite,
    self_ty: Option<SelfTypeName>,
    st: FutState,
    inner: F,
}

impl<F> Instrumented<F> {
    /// Wraps `inner`, made at the caller's current call path.
    #[inline]
    pub fn new(cs: &'static Callsite, self_ty: Option<SelfTypeName>, inner: F) -> Self {
        let (t, n) = tree::here();
        Instrumented {
            cs,
            self_ty,
            st: FutState {
                polled: false,
                done: false,
                first: 0,
                node: 0,
                node_tree: 0,
                created: n as usize,
                // SAFETY: trees are never freed.
                created_tree: if t.is_null() { 0 } else { unsafe { (*t).id() } },
                slot: None,
                gen: 0,
            },
            inner,
        }
    }
}

/// Restores the poll nesting level even if the inner poll panics.
struct Level(u32);

impl Drop for Level {
    #[inline]
    fn drop(&mut self) {
        let _ = POLL.try_with(|p| p.level.set(self.0));
    }
}

impl FutState {
    /// Counts a completion at `n`, the node of the poll that completed it
    /// (this thread's: plain owner-only adds), `left_at` the tick that
    /// poll's frame was left at (0: time not recorded).
    #[inline]
    fn complete(&mut self, n: *const Node, left_at: u64) {
        self.done = true;
        if let Some(slot) = self.slot.take() {
            give_back(slot, self.gen);
        }
        // SAFETY: nodes are never freed; `n` is this thread's current
        // tree's node, written only by this thread.
        let e = unsafe { &(*n).ext };
        crate::engine::counters::bump(&e.futures_done, 1);
        if left_at != 0 {
            let from = if self.first != 0 {
                self.first
            } else {
                mode::timing_since()
            };
            crate::engine::counters::bump(&e.latency_ticks, left_at.saturating_sub(from));
        }
    }

    /// Counts a cancellation (dropped after its first poll, before
    /// completion) at the node of its last poll, from any thread.
    fn cancel(&mut self) {
        self.done = true;
        // Dropped inside a poll (a `select!` branch that lost): no longer
        // awaited by the task being polled.
        if let Ok(l) = POLL.try_with(|p| p.level.get()) {
            if l > 0 && self.node != 0 {
                forget_entry(self.node as *const Node, l);
            }
        }
        if let Some(slot) = self.slot.take() {
            give_back(slot, self.gen);
        }
        let n = self.node as *const Node;
        // A node whose tree went to another thread since (an exited
        // thread's tree, folded and reused) is not this future's any more.
        if n.is_null() || tree_id_of(n) != self.node_tree {
            return;
        }
        // SAFETY: nodes are never freed.
        let e = unsafe { &(*n).ext };
        e.futures_cancelled.fetch_add(1, Ordering::Relaxed);
        if mode::timing() {
            let from = if self.first != 0 {
                self.first
            } else {
                mode::timing_since()
            };
            e.cancelled_latency_ticks
                .fetch_add(clock::ticks().saturating_sub(from), Ordering::Relaxed);
        }
    }

    /// A root future returned `Pending`: its slot (taken now if it has
    /// none) gets the await chain this poll left, and it waits from now.
    fn root_pending(&mut self, p: &PollState, tree: *const Tree, left_at: u64) {
        let s = match self.slot {
            Some(s) => s,
            None => {
                let Some((s, g)) = take_slot() else {
                    return;
                };
                self.slot = Some(s);
                self.gen = g;
                let (mut created, mut created_tree) =
                    (self.created as *const Node, self.created_tree);
                let (o, ot) = p.origin.get();
                // Made at a thread's root (inside a spawned task's first poll,
                // say): the spawn is the better origin.
                // SAFETY: nodes are never freed.
                if (created.is_null() || unsafe { (*created).ext.idx.load(Ordering::Relaxed) } == 0)
                    && !o.is_null()
                {
                    created = o;
                    created_tree = ot;
                }
                s.created.store(created as *mut Node, Ordering::Relaxed);
                s.created_tree.store(created_tree, Ordering::Relaxed);
                s
            }
        };
        let len = (p.chain_len.get() as usize).min(AWAIT_DEPTH);
        for k in 0..len {
            let (n, l) = p.chain[k].get();
            s.levels[k].store(n as *mut Node, Ordering::Relaxed);
            s.level_of[k].store(l as usize, Ordering::Relaxed);
        }
        s.depth.store(len, Ordering::Relaxed);
        if !tree.is_null() {
            // SAFETY: trees are never freed.
            let id = unsafe { (*tree).id() };
            s.last_thread.store(id, Ordering::Relaxed);
            s.last_tree.store(tree as *mut Tree, Ordering::Relaxed);
        }
        let at = if left_at != 0 {
            left_at
        } else {
            clock::ticks()
        };
        s.since.store(at, Ordering::Relaxed);
        s.running.store(std::ptr::null_mut(), Ordering::Release);
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `self`, and the Drop impl below touches only `cs` and `st`.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.st.polled {
            this.cs.mark_async();
        }
        let mut g = tree::enter(this.cs, this.self_ty);
        let node = g.node_ptr();
        if node.is_null() {
            // Off: nothing recorded.
            // SAFETY: as above, `inner` stays pinned with `self`.
            return unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx);
        }
        if !this.st.polled {
            this.st.polled = true;
            if mode::timing() {
                // The frame's entry tick when it was read (time recorded).
                this.st.first = match g.started_at() {
                    0 => clock::ticks(),
                    t => t,
                };
            }
        }
        let tree = g.tree_ptr();
        if this.st.node != node as usize {
            this.st.node = node as usize;
            // SAFETY: trees are never freed; a guard with a node has a tree.
            this.st.node_tree = unsafe { (*tree).id() };
        }
        let level = POLL.try_with(|p| {
            let l = p.level.get();
            p.level.set(l + 1);
            if l == 0 {
                p.chain_len.set(0);
            }
            l
        });
        let Ok(level) = level else {
            // Thread-local storage is gone (thread teardown): untracked.
            // SAFETY: as above.
            let r = unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx);
            if r.is_ready() {
                let at = g.leave_now();
                this.st.complete(node, at);
            }
            return r;
        };
        let restore = Level(level);
        if level == 0 {
            if let Some(s) = this.st.slot {
                s.running.store(tree as *mut Tree, Ordering::Release);
            }
        }
        // SAFETY: as above.
        let r = unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx);
        drop(restore);
        match r {
            Poll::Ready(_) => {
                let at = g.leave_now();
                this.st.complete(node, at);
                if level > 0 {
                    forget_entry(node, level);
                }
                return r;
            }
            Poll::Pending => {
                // A root waits from the tick its frame is left at.
                let at = g.leave_now();
                let _ = POLL.try_with(|p| {
                    // Once per (future, level) in a root poll: a future
                    // polled again in a loop keeps one entry.
                    let len = p.chain_len.get() as usize;
                    if len < AWAIT_DEPTH && !p.chain[..len].iter().any(|c| c.get() == (node, level))
                    {
                        p.chain[len].set((node, level));
                        p.chain_len.set(len as u32 + 1);
                    }
                    if level == 0 {
                        this.st.root_pending(p, tree, at);
                    }
                });
            }
        }
        r
    }
}

impl<F> Drop for Instrumented<F> {
    fn drop(&mut self) {
        if self.st.polled && !self.st.done {
            self.st.cancel();
        }
    }
}

/// A spawned task's future (see [`spawned`]).
pub struct Spawned<F> {
    origin: (usize, u64),
    inner: F,
}

/// Marks `fut` as a task spawned here: the calling call path's
/// `taskcreate` count goes up by one, and the task's root futures show
/// this path as where they were created (in the thread dump). What
/// `inprof::task::spawn` hands to the runtime.
pub fn spawned<F: Future>(fut: F) -> Spawned<F> {
    let (t, n) = tree::here();
    let tree_id = if t.is_null() {
        0
    } else {
        // SAFETY: trees are never freed; the current node is this thread's,
        // so only this thread writes its counters.
        unsafe {
            crate::engine::counters::bump(&(*n).ext.tasks_created, 1);
            (*t).id()
        }
    };
    Spawned {
        origin: (n as usize, tree_id),
        inner: fut,
    }
}

impl<F: Future> Future for Spawned<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: never moved out of
        // `self`; `Spawned` has no Drop impl.
        let this = unsafe { self.get_unchecked_mut() };
        let origin = (this.origin.0 as *const Node, this.origin.1);
        let prev = POLL.try_with(|p| p.origin.replace(origin)).ok();
        struct Back(Option<(*const Node, u64)>);
        impl Drop for Back {
            fn drop(&mut self) {
                if let Some(v) = self.0 {
                    let _ = POLL.try_with(|p| p.origin.set(v));
                }
            }
        }
        let _back = Back(prev);
        // SAFETY: as above.
        unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
    }
}

/// The frames of node `n` (leaf first) as (name, file, line), label nodes
/// left out; empty if its tree is no longer `tree_id`'s.
fn path_of(n: *const Node, tree_id: u64) -> Vec<(&'static str, &'static str, u32)> {
    let mut out = Vec::new();
    if n.is_null() || tree_id_of(n) != tree_id {
        return out;
    }
    // SAFETY: nodes and trees are never freed.
    let (t, idx) = unsafe {
        (
            &*(*n).ext.tree.load(Ordering::Relaxed),
            (*n).ext.idx.load(Ordering::Relaxed) as usize,
        )
    };
    let mut i = idx;
    while i != 0 && i < t.len() {
        let node = t.node(i);
        let c = node.callsite();
        if !c.is_label() {
            out.push((node.name(), c.file(), c.line()));
        }
        let p = node.parent_idx() as usize;
        if p == i {
            break;
        }
        i = p;
    }
    out
}

/// Live tracked tasks now.
pub fn live_tasks() -> usize {
    table().map_or(0, |t| {
        t.iter()
            .filter(|s| s.gen.load(Ordering::Relaxed) % 2 == 1)
            .count()
    })
}

/// The live tasks (root futures that have waited at least once) as text,
/// Go's goroutine-dump style: number, state (running on a thread, or
/// waiting and for how long), the await tree (root first, each pending
/// future indented under the one awaiting it), and where
/// the task was created.
///
/// ```
/// // The live tasks (also at the end of `inprof::threads::dump()`).
/// print!("{}", inprof_runtime::tasks::dump());
/// ```
pub fn dump() -> String {
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let mut out = String::new();
    let Some(table) = (!TABLE.load(Ordering::Acquire).is_null())
        .then(table)
        .flatten()
    else {
        return out;
    };
    let now = clock::ticks();
    let tpn = clock::ticks_per_ns();
    let mut live: Vec<(u64, &Slot)> = table
        .iter()
        .filter_map(|s| {
            let g = s.gen.load(Ordering::Acquire);
            (g % 2 == 1).then(|| (s.id.load(Ordering::Relaxed), s))
        })
        .collect();
    live.sort_by_key(|(id, _)| *id);
    for (id, s) in live {
        let running = s.running.load(Ordering::Acquire);
        let state = if running.is_null() {
            let waited = (now.saturating_sub(s.since.load(Ordering::Relaxed)) as f64 / tpn) as u64;
            let id = s.last_thread.load(Ordering::Relaxed);
            let t = s.last_tree.load(Ordering::Relaxed);
            // SAFETY: trees are never freed.
            let name = match unsafe { t.as_ref() } {
                Some(t) if t.id() == id => format!(" \"{}\"", t.name()),
                _ => String::new(),
            };
            format!(
                "waiting {}, last polled on thread {id}{name}",
                crate::profiles::threads::fmt_ns(waited),
            )
        } else {
            // SAFETY: trees are never freed.
            let t = unsafe { &*running };
            format!("running on thread {} \"{}\"", t.id(), t.name())
        };
        let _ = writeln!(out, "task {id} [{state}]:");
        // The await tree, root first, each future indented under the one
        // awaiting it.
        let depth = s.depth.load(Ordering::Relaxed).min(AWAIT_DEPTH);
        for k in (0..depth).rev() {
            let n = s.levels[k].load(Ordering::Relaxed);
            if n.is_null() {
                continue;
            }
            let indent = "  ".repeat(s.level_of[k].load(Ordering::Relaxed).min(AWAIT_DEPTH));
            // SAFETY: nodes are never freed.
            let node = unsafe { &*n };
            let c = node.callsite();
            let _ = writeln!(
                out,
                "{indent}{}(...)\n{indent}\t{}:{}",
                node.name(),
                c.file(),
                c.line()
            );
        }
        let created = path_of(
            s.created.load(Ordering::Relaxed),
            s.created_tree.load(Ordering::Relaxed),
        );
        if let Some((name, file, line)) = created.first() {
            let _ = writeln!(out, "created by {name}\n\t{file}:{line}");
            for (name, file, line) in created.iter().skip(1) {
                let _ = writeln!(out, "\t{name}(...)\n\t\t{file}:{line}");
            }
        }
        out.push('\n');
    }
    let untracked = UNTRACKED.load(Ordering::Relaxed);
    if untracked > 0 {
        let _ = writeln!(
            out,
            "inprof: {untracked} tasks ran untracked (more than {SLOTS} at once)\n"
        );
    }
    out
}
