//! The per-thread call trees: the engine every profile hangs off.
//!
//! Each thread owns one [`Tree`]: an append-only arena of call-path
//! [`Node`]s. Only the owning thread appends nodes and writes their time
//! counters (plain loads and stores on atomics: no read-modify-write), so the
//! hot path takes no lock and touches no cache line another thread writes.
//! Other threads read any tree at any time (snapshots): nodes are published
//! by a release store of the length and never move.
//!
//! A thread that exits leaves its tree behind, so no data is lost; once
//! more than [`set_max_exited_threads`] have, their trees are folded into
//! one aggregate tree per thread name (see `fold`) and reused for new
//! threads, so memory stays bounded however many threads come and go.
//! Paths deeper than [`set_max_depth`] annotated frames fold into one node
//! per path at that depth (as Go truncates deep stacks), and paths past
//! [`set_max_nodes`] into one overflow node per thread that says how many
//! distinct paths it holds.
//!
//! All memory of the engine comes straight from [`System`], never from the
//! global allocator, so that an instrumented global allocator cannot recurse
//! into the engine.

use crate::engine::callsite::{Callsite, Named, SelfTypeName};
use crate::engine::mode;
use crate::engine::start::{self, Trigger};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{
    compiler_fence, fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};

/// Default bound on the trees of exited threads kept apart; past it, they
/// are folded into one aggregate per thread name and reused.
pub const DEFAULT_MAX_EXITED_THREADS: usize = 256;

static MAX_EXITED: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_EXITED_THREADS);

/// Sets how many exited threads keep their own call tree; past that, their
/// trees are folded into one aggregate tree per thread name (trailing
/// numbers dropped: `worker-7` goes to `worker`), every total kept, and
/// the memory reused for new threads. 0 folds at every new thread.
///
/// ```
/// inprof::set_max_exited_threads(1024); // fold exited threads' trees past this
/// # inprof::set_max_exited_threads(256);
/// ```
pub fn set_max_exited_threads(n: usize) {
    MAX_EXITED.store(n, Ordering::Relaxed);
}

/// The bound set by [`set_max_exited_threads`].
pub fn max_exited_threads() -> usize {
    MAX_EXITED.load(Ordering::Relaxed)
}

/// Nodes in the first chunk; chunk `k` holds `BASE << k` nodes (small, so a
/// short-lived thread costs little: its tree outlives it).
const BASE: usize = 8;
const CHUNKS: usize = 28;
/// The most nodes a tree can hold, whatever the configured bound.
pub const HARD_MAX_NODES: usize = BASE * ((1 << CHUNKS) - 1);

/// Default bound on call-path nodes per thread.
pub const DEFAULT_MAX_NODES: usize = 1 << 20;

static MAX_NODES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_NODES);

/// Default bound on annotated frames per call path (Go's default stack
/// depth in profiles).
pub const DEFAULT_MAX_DEPTH: usize = 128;

static MAX_DEPTH: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_DEPTH);

/// Sets the bound on the depth of call paths (annotated frames, label
/// nodes included); calls deeper than that are counted in one node,
/// `[inprof: deeper frames folded]`, below the frame at the bound.
/// Clamped to 2..=65536.
///
/// ```
/// inprof::set_max_depth(64); // deeper calls count in one folded frame
/// # inprof::set_max_depth(128);
/// ```
pub fn set_max_depth(n: usize) {
    MAX_DEPTH.store(n.clamp(2, 65536), Ordering::Relaxed);
}

/// Sets the bound on call-path nodes per thread; new paths past it fold into
/// one overflow node per thread. Clamped to 2..=[`HARD_MAX_NODES`].
///
/// ```
/// inprof::set_max_nodes(1 << 16); // per thread; more paths count in one frame
/// # inprof::set_max_nodes(1 << 20);
/// ```
pub fn set_max_nodes(n: usize) {
    MAX_NODES.store(n.clamp(2, HARD_MAX_NODES), Ordering::Relaxed);
}

/// The callsite of the root node of every tree (the thread itself).
pub(crate) static ROOT: Callsite = Callsite::new("[thread]", "", 0);
/// The callsite of the overflow node.
pub(crate) static OVERFLOW: Callsite = Callsite::new("[inprof: node limit reached]", "", 0);
/// The callsite of the node that holds calls deeper than the depth bound.
pub(crate) static DEEP: Callsite = Callsite::new("[inprof: deeper frames folded]", "", 0);

/// One call path of one thread.
///
/// A zeroed `Node` is a valid empty node (chunks are allocated zeroed).
#[repr(C)]
pub struct Node {
    // Read by other threads; written once before publication.
    callsite: AtomicPtr<Callsite>,
    parent_idx: AtomicU32,
    /// Nodes between this one and the root (the root is 0).
    depth: AtomicU32,
    /// The `Self` type the path's frame was entered with (the address of
    /// its `SelfTypeName` function; 0: none): nodes are keyed by callsite
    /// and type, so that each concrete type is a function of its own.
    self_ty: AtomicUsize,
    /// The frame's name for that type: null until a reader first needs it
    /// (see [`Node::named`]).
    named: AtomicPtr<Named>,
    // Owner-only links (atomics for soundness; relaxed, so plain moves).
    parent: AtomicPtr<Node>,
    first_child: AtomicPtr<Node>,
    next_sibling: AtomicPtr<Node>,
    last_child: AtomicPtr<Node>,
    // Single-writer counters, read by snapshots.
    pub(crate) calls: AtomicU64,
    pub(crate) ticks: AtomicU64,
    /// Ticks of calls timed only to decide demotion (while no time is
    /// recorded): not part of any time profile.
    probe: AtomicU64,
    /// Tick count at entry while the frame is open, else 0.
    pub(crate) open: AtomicU64,
    /// Counters for other profiles (heap, block, mutex, ...), see `crate::engine::counters`.
    pub(crate) ext: crate::engine::counters::NodeStats,
}

impl Node {
    /// The callsite of this node.
    pub(crate) fn callsite(&self) -> &'static Callsite {
        let p = self.callsite.load(Ordering::Acquire);
        if p.is_null() {
            &ROOT
        } else {
            // SAFETY: non-null callsite pointers are only ever stored from
            // `&'static Callsite` references.
            unsafe { &*p }
        }
    }

    /// The frame's name for its type, resolved the first time a reader
    /// (a profile, a thread's spawn) asks, not when the path is first
    /// entered: the first call of a path runs no naming code, whose stack
    /// (kilobytes in a debug build) a small stack may not have (generator
    /// 0.8.12's coroutines: its overflow test, instrumented, overflowed
    /// inside a first call's naming, and so did its overflow handler on
    /// the signal stack). Any thread may resolve it: the name is unique
    /// per (callsite, type) (see `Callsite::named`), so every store is of
    /// the same value.
    fn named(&self) -> &'static Named {
        let n = self.named.load(Ordering::Acquire);
        if !n.is_null() {
            // SAFETY: names are leaked, never freed.
            return unsafe { &*n };
        }
        // Naming allocates (System memory): inprof's own work.
        let _g = crate::engine::counters::Reentrant::enter();
        let named = self.callsite().named(self.self_ty());
        self.named
            .store(named as *const Named as *mut Named, Ordering::Release);
        named
    }

    /// The frame's name for its type.
    pub(crate) fn name(&self) -> &'static str {
        self.named().name()
    }

    /// What names the frame: its name for its type, unique per (callsite,
    /// type).
    pub(crate) fn name_key(&self) -> usize {
        self.named() as *const Named as usize
    }

    /// The `Self` type key the frame was entered with.
    pub(crate) fn self_ty(&self) -> usize {
        self.self_ty.load(Ordering::Relaxed)
    }

    pub(crate) fn parent_idx(&self) -> u32 {
        self.parent_idx.load(Ordering::Relaxed)
    }

    /// Reads (calls, ticks) with the time of an open frame counted up to
    /// `now`, consistently against a concurrent exit.
    pub(crate) fn read_time(&self, now: u64) -> (u64, u64) {
        loop {
            let o1 = self.open.load(Ordering::Acquire);
            let calls = self.calls.load(Ordering::Relaxed);
            let ticks = self.ticks.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            let o2 = self.open.load(Ordering::Relaxed);
            if o1 == o2 {
                let partial = if o1 != 0 { now.saturating_sub(o1) } else { 0 };
                return (calls, ticks + partial);
            }
        }
    }
}

/// Thread name storage without heap allocation, in words (so that a
/// racing read is at worst a torn name, never undefined behaviour).
const NAME_WORDS: usize = 8;
const NAME_CAP: usize = NAME_WORDS * 8;

/// What a tree is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum State {
    /// Its thread runs.
    Live = 1,
    /// Its thread has exited; not folded yet.
    Exited = 2,
    /// Folded and waiting for a new thread (its nodes are empty).
    Free = 3,
    /// The aggregate of the exited threads of one name.
    Aggregate = 4,
}

/// The call tree of one thread.
pub struct Tree {
    chunks: [AtomicPtr<Node>; CHUNKS],
    len: AtomicUsize,
    current: AtomicPtr<Node>,
    overflow: AtomicPtr<Node>,
    id: AtomicU64,
    os_tid: AtomicU64,
    name: [AtomicU64; NAME_WORDS],
    name_len: AtomicUsize,
    state: std::sync::atomic::AtomicU8,
    /// Internal threads (calibration) are left out of profiles.
    internal: AtomicBool,
    /// The registry of every tree (never unlinked).
    next: AtomicPtr<Tree>,
    /// The free list (under `spin::TREES`).
    next_free: AtomicPtr<Tree>,
    /// The highest address of the thread's stack (0: unknown).
    stack_hi: AtomicUsize,
    /// The stack pointer of the innermost open instrumented frame (owner
    /// writes; a sampler of this thread reads): native frames below it are
    /// the ones no annotated frame shows. `usize::MAX` when none is open.
    frame_sp: AtomicUsize,
    /// Distinct call paths folded into the overflow node.
    dropped: crate::engine::dropped::Dropped,
    /// Extra per-thread state used by other profiles.
    pub(crate) ext: crate::engine::counters::ThreadStats,
}

// SAFETY: all shared state of a Tree is atomics; owner-only fields are
// atomics too, written only by the owning thread.
unsafe impl Sync for Tree {}
// SAFETY: as above; a Tree is never moved once registered.
unsafe impl Send for Tree {}

#[inline]
fn chunk_of(idx: usize) -> (usize, usize) {
    let v = idx / BASE + 1;
    let k = (usize::BITS - 1 - v.leading_zeros()) as usize;
    (k, idx - BASE * ((1 << k) - 1))
}

impl Tree {
    /// The thread's id in inprof (1 for the first registered thread).
    pub fn id(&self) -> u64 {
        self.id.load(Ordering::Relaxed)
    }

    /// The OS thread id where known (Linux), else 0.
    pub fn os_tid(&self) -> u64 {
        self.os_tid.load(Ordering::Relaxed)
    }

    /// The thread's name (`main`, the name given at spawn) or `thread-N`;
    /// for an aggregate, the name its threads share.
    pub fn name(&self) -> String {
        let mut bytes = [0u8; NAME_CAP];
        for (chunk, w) in bytes.chunks_mut(8).zip(&self.name) {
            chunk.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        let n = self.name_len.load(Ordering::Acquire).min(NAME_CAP);
        String::from_utf8_lossy(&bytes[..n]).into_owned()
    }

    fn set_name(&self, s: &str) {
        let mut end = s.len().min(NAME_CAP);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; NAME_CAP];
        bytes[..end].copy_from_slice(&s.as_bytes()[..end]);
        for (chunk, w) in bytes.chunks(8).zip(&self.name) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            w.store(u64::from_le_bytes(b), Ordering::Relaxed);
        }
        self.name_len.store(end, Ordering::Release);
    }

    pub(crate) fn state(&self) -> State {
        match self.state.load(Ordering::Acquire) {
            1 => State::Live,
            2 => State::Exited,
            4 => State::Aggregate,
            _ => State::Free,
        }
    }

    /// Whether the thread has exited (an aggregate counts as exited).
    pub fn exited(&self) -> bool {
        matches!(self.state(), State::Exited | State::Aggregate)
    }

    /// Distinct call paths folded into the overflow node (past the node
    /// bound), and whether that count is only a lower bound.
    pub(crate) fn dropped_paths(&self) -> (u64, bool) {
        self.dropped.count()
    }

    /// The highest address of the thread's stack (0: unknown).
    pub(crate) fn stack_hi(&self) -> usize {
        self.stack_hi.load(Ordering::Relaxed)
    }

    /// The stack pointer of the innermost open instrumented frame, or
    /// `usize::MAX` when none is open.
    pub(crate) fn frame_sp(&self) -> usize {
        self.frame_sp.load(Ordering::Relaxed)
    }

    pub(crate) fn is_internal(&self) -> bool {
        self.internal.load(Ordering::Relaxed)
    }

    /// Number of published nodes.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether node `idx` is an open frame entered without reading the
    /// clock (before time recording began): on the current path, with no
    /// entry time.
    pub(crate) fn open_untimed_path(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut i = self.current_idx() as usize;
        while i != 0 && i < self.len() {
            let n = self.node(i);
            if n.open.load(Ordering::Acquire) == 0 {
                out.push(i);
            }
            let p = n.parent_idx() as usize;
            if p >= i {
                break;
            }
            i = p;
        }
        out
    }

    /// The node at `idx` (< `len()`).
    pub(crate) fn node(&self, idx: usize) -> &Node {
        let (k, off) = chunk_of(idx);
        let c = self.chunks[k].load(Ordering::Acquire);
        debug_assert!(!c.is_null());
        // SAFETY: idx < len, and every node below len lives in an allocated,
        // initialized chunk that is never freed.
        unsafe { &*c.add(off) }
    }

    /// The node the thread is in now.
    pub(crate) fn current(&self) -> &Node {
        // SAFETY: `current` always points at a published node of this tree.
        unsafe { &*self.current.load(Ordering::Relaxed) }
    }

    /// The index of the node the thread is in now.
    pub(crate) fn current_idx(&self) -> u32 {
        let cur = self.current.load(Ordering::Relaxed);
        self.index_of(cur)
    }

    fn index_of(&self, n: *const Node) -> u32 {
        if n.is_null() {
            return 0;
        }
        // SAFETY: n is a node of this tree; its idx is stored in ext.
        unsafe { (*n).ext.idx.load(Ordering::Relaxed) }
    }

    /// Appends a node (owner only). Returns None past the bound.
    fn push(&self, cs: &'static Callsite, parent: *const Node, max: usize) -> Option<*const Node> {
        self.push_typed(cs, 0, parent, max)
    }

    /// [`Tree::push`] for a callsite entered with `Self` type key
    /// `self_ty` (its name is resolved when first read: [`Node::named`]).
    fn push_typed(
        &self,
        cs: &'static Callsite,
        self_ty: usize,
        parent: *const Node,
        max: usize,
    ) -> Option<*const Node> {
        let idx = self.len.load(Ordering::Relaxed);
        if idx >= max.min(HARD_MAX_NODES) {
            return None;
        }
        let (k, off) = chunk_of(idx);
        let mut c = self.chunks[k].load(Ordering::Relaxed);
        if c.is_null() {
            let layout = Layout::array::<Node>(BASE << k).ok()?;
            // SAFETY: layout has non-zero size; System is always usable.
            c = unsafe { System.alloc_zeroed(layout) } as *mut Node;
            if c.is_null() {
                return None;
            }
            self.chunks[k].store(c, Ordering::Release);
        }
        // SAFETY: off < chunk size; the slot is zeroed (a valid empty Node)
        // and not yet published, so only this thread touches it.
        let n = unsafe { &*c.add(off) };
        n.callsite
            .store(cs as *const Callsite as *mut Callsite, Ordering::Relaxed);
        n.self_ty.store(self_ty, Ordering::Relaxed);
        n.parent.store(parent as *mut Node, Ordering::Relaxed);
        n.parent_idx.store(self.index_of(parent), Ordering::Relaxed);
        let depth = if parent.is_null() {
            0
        } else {
            // SAFETY: parent is a published node of this tree.
            unsafe { (*parent).depth.load(Ordering::Relaxed) + 1 }
        };
        n.depth.store(depth, Ordering::Relaxed);
        n.ext.idx.store(idx as u32, Ordering::Relaxed);
        n.ext
            .tree
            .store(self as *const Tree as *mut Tree, Ordering::Relaxed);
        self.len.store(idx + 1, Ordering::Release);
        Some(n as *const Node)
    }

    /// The existing child of `parent` for `cs` and `self_ty`, if any.
    fn find_child(p: &Node, cs: &'static Callsite, self_ty: usize) -> *const Node {
        let csp = cs as *const Callsite as *mut Callsite;
        let mut c = p.first_child.load(Ordering::Relaxed);
        while !c.is_null() {
            // SAFETY: child links only point at published nodes of this tree.
            let cn = unsafe { &*c };
            if cn.callsite.load(Ordering::Relaxed) == csp
                && cn.self_ty.load(Ordering::Relaxed) == self_ty
            {
                return c;
            }
            c = cn.next_sibling.load(Ordering::Relaxed);
        }
        ptr::null()
    }

    /// Finds or adds the child of `parent` for `cs` (owner only, cold-ish).
    /// Past the depth bound the child is `parent`'s one [`DEEP`] node (and
    /// below that, that node itself); past the node bound, the overflow
    /// node.
    #[cold]
    #[inline(never)]
    pub(crate) fn child_slow(
        &self,
        parent: *const Node,
        cs: &'static Callsite,
        self_ty: usize,
    ) -> *const Node {
        let overflow = self.overflow.load(Ordering::Relaxed);
        if std::ptr::eq(parent, overflow) {
            return overflow;
        }
        // SAFETY: parent is a published node of this tree.
        let p = unsafe { &*parent };
        if std::ptr::eq(p.callsite(), &DEEP) {
            return parent;
        }
        let (cs, self_ty) =
            if p.depth.load(Ordering::Relaxed) as usize + 1 >= MAX_DEPTH.load(Ordering::Relaxed) {
                (&DEEP, 0)
            } else {
                (cs, self_ty)
            };
        let found = Self::find_child(p, cs, self_ty);
        if !found.is_null() {
            p.last_child.store(found as *mut Node, Ordering::Relaxed);
            return found;
        }
        // A new path (its name is made when first read).
        match self.push_typed(cs, self_ty, parent, MAX_NODES.load(Ordering::Relaxed)) {
            Some(n) => {
                // SAFETY: n was just published by this thread.
                let nn = unsafe { &*n };
                nn.next_sibling
                    .store(p.first_child.load(Ordering::Relaxed), Ordering::Relaxed);
                p.first_child.store(n as *mut Node, Ordering::Relaxed);
                p.last_child.store(n as *mut Node, Ordering::Relaxed);
                n
            }
            None => {
                self.dropped
                    .record(self.index_of(parent), cs as *const Callsite as usize);
                self.overflow_node()
            }
        }
    }

    /// [`Tree::child_slow`] for an instrumented call: a thread registered
    /// from inside the allocator did not start the layers above; its first
    /// instrumented call does.
    #[cold]
    #[inline(never)]
    fn child_for_call(
        &self,
        parent: *const Node,
        cs: &'static Callsite,
        self_ty: usize,
    ) -> *const Node {
        if !CALLED.load(Ordering::Relaxed) {
            CALLED.store(true, Ordering::Relaxed);
            let _g = crate::engine::counters::Reentrant::enter();
            start::fire(Trigger::Use);
        }
        self.child_slow(parent, cs, self_ty)
    }

    /// Makes the child of the current node for `cs` current for good (owner
    /// only, at registration: the labels a spawned thread inherits).
    pub(crate) fn enter_permanent(&self, cs: &'static Callsite) {
        let cur = self.current.load(Ordering::Relaxed);
        let n = self.child_slow(cur, cs, 0);
        self.current.store(n as *mut Node, Ordering::Relaxed);
    }

    /// The overflow node, created on first need (it takes one slot past the
    /// bound, as a child of the root).
    fn overflow_node(&self) -> *const Node {
        let o = self.overflow.load(Ordering::Relaxed);
        if !o.is_null() {
            return o;
        }
        // Push ignoring the configured bound (but not the hard one).
        let root = self.node(0) as *const Node;
        let n = self.push(&OVERFLOW, root, HARD_MAX_NODES).unwrap_or(root);
        self.overflow.store(n as *mut Node, Ordering::Relaxed);
        n
    }

    /// Gives this tree to the calling thread (a fresh or a folded one):
    /// identity, stack bounds, per-thread state, a root node.
    fn start(&self, id: u64, name: &str) -> bool {
        self.id.store(id, Ordering::Relaxed);
        self.os_tid.store(os_tid(), Ordering::Relaxed);
        self.set_name(name);
        self.stack_hi
            .store(crate::engine::stack::stack_top(), Ordering::Relaxed);
        self.frame_sp.store(usize::MAX, Ordering::Relaxed);
        self.internal.store(false, Ordering::Relaxed);
        self.ext.reset();
        let Some(root) = self.push(&ROOT, ptr::null(), HARD_MAX_NODES) else {
            return false;
        };
        self.current.store(root as *mut Node, Ordering::Relaxed);
        self.state.store(State::Live as u8, Ordering::Release);
        true
    }

    /// Empties the tree for reuse (the folder, with no reader about): its
    /// nodes are zeroed (their chunks kept), its counts forgotten.
    pub(crate) fn clear(&self) {
        let n = self.len.load(Ordering::Relaxed);
        let mut done = 0;
        for (k, chunk) in self.chunks.iter().enumerate() {
            if done >= n {
                break;
            }
            let c = chunk.load(Ordering::Relaxed);
            if c.is_null() {
                break;
            }
            let cnt = (BASE << k).min(n - done);
            // SAFETY: the chunk holds BASE << k nodes; a zeroed Node is a
            // valid empty node, and nobody reads this tree meanwhile.
            unsafe { ptr::write_bytes(c, 0, cnt) };
            done += cnt;
        }
        self.len.store(0, Ordering::Release);
        self.current.store(ptr::null_mut(), Ordering::Relaxed);
        self.overflow.store(ptr::null_mut(), Ordering::Relaxed);
        self.dropped.reset();
    }

    /// A new, empty tree from the system allocator, in the registry.
    fn allocate() -> Option<&'static Tree> {
        let layout = Layout::new::<Tree>();
        // SAFETY: Tree has non-zero size; an all-zero Tree is valid (atomics,
        // null pointers, state 0 = Free).
        let raw = unsafe { System.alloc_zeroed(layout) } as *mut Tree;
        if raw.is_null() {
            return None;
        }
        // SAFETY: raw is initialized (zeroed) and never freed.
        let t: &'static Tree = unsafe { &*raw };
        let mut head = HEAD.load(Ordering::Relaxed);
        loop {
            t.next.store(head, Ordering::Relaxed);
            match HEAD.compare_exchange_weak(head, raw, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        Some(t)
    }

    /// A tree for a new thread or aggregate: a folded one if any, else a
    /// new one.
    pub(crate) fn obtain() -> Option<&'static Tree> {
        let reused = {
            let _g = crate::engine::spin::TREES.lock();
            let p = FREE.load(Ordering::Relaxed);
            if !p.is_null() {
                // SAFETY: trees are never freed.
                let t = unsafe { &*p };
                FREE.store(t.next_free.load(Ordering::Relaxed), Ordering::Relaxed);
                Some(t)
            } else {
                None
            }
        };
        reused.or_else(Tree::allocate)
    }

    /// Puts an emptied tree on the free list.
    pub(crate) fn release(&'static self) {
        self.state.store(State::Free as u8, Ordering::Release);
        let _g = crate::engine::spin::TREES.lock();
        self.next_free
            .store(FREE.load(Ordering::Relaxed), Ordering::Relaxed);
        FREE.store(self as *const Tree as *mut Tree, Ordering::Relaxed);
    }

    /// Starts an aggregate tree named `name` (for the folder).
    pub(crate) fn start_aggregate(name: &str) -> Option<&'static Tree> {
        let t = Tree::obtain()?;
        if !t.start(NEXT_ID.fetch_add(1, Ordering::Relaxed), name) {
            return None;
        }
        t.os_tid.store(0, Ordering::Relaxed);
        t.stack_hi.store(0, Ordering::Relaxed);
        t.state.store(State::Aggregate as u8, Ordering::Release);
        Some(t)
    }

    /// Adds a node's time and event counters to this aggregate's node `to`
    /// (the folder, under its lock).
    pub(crate) fn add_counts(to: &Node, from: &Node, now: u64) {
        let add = |a: &AtomicU64, v: u64| {
            a.store(a.load(Ordering::Relaxed).wrapping_add(v), Ordering::Relaxed)
        };
        let (calls, ticks) = from.read_time(now);
        add(&to.calls, calls);
        add(&to.ticks, ticks);
        let (t, f) = (&to.ext, &from.ext);
        let bc = f64::from_bits(t.block_count.load(Ordering::Relaxed))
            + f64::from_bits(f.block_count.load(Ordering::Relaxed));
        t.block_count.store(bc.to_bits(), Ordering::Relaxed);
        add(&t.block_delay, f.block_delay.load(Ordering::Relaxed));
        add(&t.mutex_count, f.mutex_count.load(Ordering::Relaxed));
        add(&t.mutex_delay, f.mutex_delay.load(Ordering::Relaxed));
        add(
            &t.threads_created,
            f.threads_created.load(Ordering::Relaxed),
        );
        for (to, from) in [
            (&t.tasks_created, &f.tasks_created),
            (&t.futures_done, &f.futures_done),
            (&t.futures_cancelled, &f.futures_cancelled),
            (&t.latency_ticks, &f.latency_ticks),
            (&t.cancelled_latency_ticks, &f.cancelled_latency_ticks),
        ] {
            to.fetch_add(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    /// Adds the distinct-path count of a folded tree to this aggregate.
    pub(crate) fn add_dropped(&self, from: &Tree) {
        self.dropped.add(from.dropped.count());
    }
}

thread_local! {
    /// This thread's tree, or null before registration. No destructor, so
    /// it stays readable during thread-local destruction.
    static CURRENT: Cell<*const Tree> = const { Cell::new(ptr::null()) };
    /// Set on inprof's own threads that must not get a tree, and on a
    /// thread whose tree was handed back at its exit.
    static INTERNAL: Cell<bool> = const { Cell::new(false) };
    /// Marks the tree exited when the thread's TLS is torn down.
    static EXIT_NOTICE: ExitNotice = const { ExitNotice(Cell::new(ptr::null())) };
}

struct ExitNotice(Cell<*const Tree>);

impl Drop for ExitNotice {
    fn drop(&mut self) {
        let t = self.0.get();
        if !t.is_null() {
            // From here on this thread counts nothing more (its tree may be
            // folded and given to another thread at any moment): what its
            // last destructors allocate is not charged.
            let _ = CURRENT.try_with(|c| c.set(ptr::null()));
            let _ = INTERNAL.try_with(|i| i.set(true));
            // Its free allocator slots go back to all threads (it takes and
            // gives slots uncached from here on, being unregistered).
            crate::engine::slab::flush_thread();
            // SAFETY: trees are never freed.
            let t = unsafe { &*t };
            t.state.store(State::Exited as u8, Ordering::Release);
            EXITED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

static HEAD: AtomicPtr<Tree> = AtomicPtr::new(ptr::null_mut());
/// Folded trees ready for new threads (under `spin::TREES`).
static FREE: AtomicPtr<Tree> = AtomicPtr::new(ptr::null_mut());
/// Whether an instrumented call has fired the start-up hook.
static CALLED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static THREADS: AtomicUsize = AtomicUsize::new(0);
/// Trees of exited threads not folded yet.
pub(crate) static EXITED: AtomicUsize = AtomicUsize::new(0);

/// Every tree in use (live, exited or aggregate), newest first. Takes the
/// folder's read lock: trees are not folded or reused while it is held.
pub(crate) fn trees(_lock: &crate::engine::fold::ReadLock) -> impl Iterator<Item = &'static Tree> {
    let mut p = HEAD.load(Ordering::Acquire) as *const Tree;
    std::iter::from_fn(move || loop {
        if p.is_null() {
            return None;
        }
        // SAFETY: trees are never freed.
        let t = unsafe { &*p };
        p = t.next.load(Ordering::Acquire);
        if t.state() != State::Free {
            return Some(t);
        }
    })
}

/// Every tree in the registry, free ones included (for the folder).
pub(crate) fn all_trees() -> impl Iterator<Item = &'static Tree> {
    let mut p = HEAD.load(Ordering::Acquire) as *const Tree;
    std::iter::from_fn(move || {
        if p.is_null() {
            return None;
        }
        // SAFETY: trees are never freed.
        let t = unsafe { &*p };
        p = t.next.load(Ordering::Acquire);
        Some(t)
    })
}

/// Number of threads registered so far.
pub fn registered_threads() -> usize {
    THREADS.load(Ordering::Relaxed)
}

/// This thread's tree, registering the thread on first use. Returns null
/// only if memory for the tree could not be had.
#[inline(always)]
pub(crate) fn this_tree() -> *const Tree {
    let t = CURRENT.with(|c| c.get());
    if t.is_null() {
        register_current(false)
    } else {
        t
    }
}

/// [`this_tree`] for the allocator: registering from inside an allocation
/// does not start servers (that waits for the first other use).
#[inline(always)]
pub(crate) fn this_tree_from_alloc() -> *const Tree {
    let t = CURRENT.try_with(|c| c.get()).unwrap_or(ptr::null());
    if t.is_null() {
        register_current(true)
    } else {
        t
    }
}

/// Where the calling thread is now: its tree and current node (nulls if it
/// is not registered). Cheap: one thread-local read and one load.
#[inline]
pub(crate) fn here() -> (*const Tree, *const Node) {
    let t = this_tree_if_registered();
    if t.is_null() {
        return (ptr::null(), ptr::null());
    }
    // SAFETY: trees are never freed.
    (t, unsafe { (*t).current.load(Ordering::Relaxed) })
}

/// This thread's tree if it is registered, without registering it.
#[inline(always)]
pub(crate) fn this_tree_if_registered() -> *const Tree {
    CURRENT.try_with(|c| c.get()).unwrap_or(ptr::null())
}

/// Registers the calling thread (cold path).
#[cold]
#[inline(never)]
pub(crate) fn register_current(from_alloc: bool) -> *const Tree {
    if crate::engine::counters::Reentrant::active()
        || INTERNAL.try_with(|i| i.get()).unwrap_or(true)
    {
        return ptr::null();
    }
    let _g = crate::engine::counters::Reentrant::enter();
    crate::engine::clock::init();
    // Threads come and go: fold the trees of those gone past the bound.
    crate::engine::fold::maybe_fold();
    let Some(t) = Tree::obtain() else {
        return ptr::null();
    };
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    // The name is copied into the tree: borrowed here, not copied to the
    // global allocator (see `sysmem`).
    let pending = crate::engine::counters::take_pending_name();
    let handle = match pending {
        Some(_) => None,
        // `current` panics once the thread's locals are gone (teardown).
        None => std::panic::catch_unwind(std::thread::current).ok(),
    };
    let mut fallback = crate::engine::sysmem::SysBuf::new();
    let name: &str = match (&pending, handle.as_ref().and_then(|h| h.name())) {
        (Some(n), _) => n,
        (None, Some(n)) => n,
        (None, None) => {
            let _ = std::fmt::Write::write_fmt(&mut fallback, format_args!("thread-{id}"));
            fallback.as_str()
        }
    };
    if !t.start(id, name) {
        return ptr::null();
    }
    crate::engine::counters::on_register(t);
    THREADS.fetch_add(1, Ordering::Relaxed);
    let raw = t as *const Tree;
    CURRENT.with(|c| c.set(raw));
    let _ = EXIT_NOTICE.try_with(|e| e.0.set(raw));
    // The layers above learn of the first use here (the environment is
    // read, servers started: see `start`). Their allocations are not the
    // program's (the re-entrancy mark is still set).
    start::fire(if from_alloc {
        Trigger::Alloc
    } else {
        Trigger::Use
    });
    raw
}

fn os_tid() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions and cannot fail.
        unsafe { libc::gettid() as u64 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// Marks the calling thread as internal to inprof: left out of profiles,
/// and, if it has no tree yet, never given one (its allocations are not
/// counted and its instrumented calls not recorded).
pub(crate) fn mark_internal() {
    crate::engine::counters::Reentrant::forever();
    let t = this_tree_if_registered();
    if t.is_null() {
        let _ = INTERNAL.try_with(|i| i.set(true));
    } else {
        // SAFETY: trees are never freed.
        unsafe { (*t).internal.store(true, Ordering::Relaxed) };
    }
}

/// The scope guard of one instrumented call: entering creates it, dropping
/// it leaves the frame. It is `!Send`: a frame is left on the thread that
/// entered it.
#[must_use = "the frame is left as soon as the guard is dropped"]
pub struct Guard {
    tree: *const Tree,
    node: *const Node,
    parent: *const Node,
    start: u64,
    /// The tree's `frame_sp` before this frame, restored when it is left.
    prev_sp: usize,
    /// Whether time was recorded when the frame was entered (else `start`,
    /// if set, only probes the path).
    timed: bool,
    _not_send: PhantomData<*const ()>,
}

impl Guard {
    /// The node the guard's frame is (null: nothing recorded).
    #[inline(always)]
    pub(crate) fn node_ptr(&self) -> *const Node {
        self.node
    }

    /// A guard that records nothing.
    #[inline(always)]
    pub const fn disabled() -> Guard {
        Guard {
            tree: ptr::null(),
            node: ptr::null(),
            parent: ptr::null(),
            start: 0,
            prev_sp: 0,
            timed: false,
            _not_send: PhantomData,
        }
    }
}

/// Enters `cs` on the calling thread: the hot path of every instrumented
/// call. `self_ty` names the `Self` type of a method (cold path only).
///
/// A callsite that is off or demoted costs one load and one predictable
/// branch here, and the guard's drop is then a no-op the compiler removes.
#[inline(always)]
pub fn enter(cs: &'static Callsite, self_ty: Option<SelfTypeName>) -> Guard {
    let mut state = cs.state.load(Ordering::Relaxed);
    if state <= mode::DEMOTED {
        return Guard::disabled();
    }
    if state != mode::ON {
        state = mode::first_sight(cs);
        if state != mode::ON {
            return Guard::disabled();
        }
    }
    // The stack pointer of the instrumented function itself (this is
    // inlined into it), where native stacks below it are cut.
    enter_on(
        cs,
        self_ty.map_or(0, |f| f as usize),
        crate::engine::stack::current_sp(),
    )
}

/// The frame of an instrumented sync function: what `#[profile]` puts in
/// its body. One pointer (null: nothing recorded) to the [`Guard`] that
/// [`enter_scope`] wrote into a slot on the function's own stack, so that a
/// call that is off or demoted stores nothing at all, keeps its frame in a
/// register, and checks one register when it ends; a [`Guard`] returned
/// by value is built in memory on every call, recorded or not.
#[must_use = "the frame ends when this is dropped"]
#[repr(transparent)]
pub struct Scope(*mut Guard);

/// Where [`enter_scope`] writes the frame's [`Guard`]: uninitialized stack
/// space until the call is recorded.
///
/// Our own type, not an alias of `MaybeUninit`: the code the macro puts in
/// a crate names `ScopeSlot::uninit`, and clippy's `incompatible_msrv`
/// judges an alias's path by `MaybeUninit` (stable since 1.36; slab's MSRV
/// is 1.31).
pub struct ScopeSlot(MaybeUninit<Guard>);

impl ScopeSlot {
    /// An empty slot.
    #[inline(always)]
    pub const fn uninit() -> Self {
        ScopeSlot(MaybeUninit::uninit())
    }
}

/// Enters `cs` for a sync function's body (see [`Scope`]); `slot` is a
/// local of the instrumented function declared before the returned
/// `Scope`, so that it outlives it.
///
/// A callsite that is off or demoted costs one load and one predictable
/// branch here and a test of one register when the scope ends.
#[inline(always)]
pub fn enter_scope(
    cs: &'static Callsite,
    self_ty: Option<SelfTypeName>,
    slot: &mut ScopeSlot,
) -> Scope {
    if cs.state.load(Ordering::Relaxed) <= mode::DEMOTED {
        return Scope(ptr::null_mut());
    }
    // Laid out apart from the function's own code, so that an off or
    // demoted call falls through its one branch (a recorded call, 10 ns
    // and more, takes the jump).
    recorded_path();
    // The stack pointer of the instrumented function itself (this is
    // inlined into it), where native stacks below it are cut.
    enter_scope_on(cs, self_ty, crate::engine::stack::current_sp(), slot)
}

/// Whether a call of an instrumented function may be recorded (its
/// callsite is on or not seen yet): its whole cost when the callsite is
/// off or demoted, one load and one predictable branch (see [`run_body`]).
#[inline(always)]
fn may_record(cs: &'static Callsite) -> bool {
    if cs.state.load(Ordering::Relaxed) > mode::DEMOTED {
        // Laid out apart: an off or demoted call falls through to the body.
        recorded_path();
        true
    } else {
        false
    }
}

/// Runs the body of an instrumented sync function. `body` is the
/// function's own block as a closure the macro marks `#[inline(always)]`
/// where optimized (unoptimized, it is called: see the macro's `Outline`):
/// an off or demoted call is one load and one predictable branch, then the
/// body inlined as written; a recorded call runs it inside `record_body`,
/// which holds the frame. Nothing of ours here can unwind (the functions
/// it calls are `extern "C"`): the function can unwind where its body
/// can, and nowhere else.
#[inline(always)]
pub fn run_body<R>(
    cs: &'static Callsite,
    self_ty: Option<SelfTypeName>,
    body: impl FnOnce() -> R,
) -> R {
    if !may_record(cs) {
        return body();
    }
    if cfg!(debug_assertions)
        || std::mem::size_of::<R>() <= std::mem::size_of::<usize>()
        || std::mem::size_of::<R>() > WIDE_IN_SLOT
    {
        // Comes back in a register, or (a large value) written straight
        // into the caller's place, which is in memory anyway. Unoptimized,
        // every result: the slot is for optimized code, and there it would
        // cost two frames a recorded call (ciborium 0.2.2's tests nest 256
        // levels of six instrumented calls each, which took 2.3 MB of
        // stack against 0.93 MB published, over a test thread's 2 MiB:
        // tests/large_results.rs).
        return record_body(cs, self_ty, body);
    }
    record_wide(cs, self_ty, body)
}

/// The largest result [`record_wide`] gives a slot of its own (eight
/// words): a larger one is in the caller's memory on every path, and a
/// slot would only copy it (and, unoptimized, take its size again in the
/// frame of every call: heapless 0.9.4's tests, whose maps of 115 KB are
/// returned by value, overflowed their threads' 2 MiB stacks).
const WIDE_IN_SLOT: usize = 8 * std::mem::size_of::<usize>();

/// A recorded call whose result is wider than a register (up to
/// [`WIDE_IN_SLOT`]): the result comes back through a slot of its own,
/// read past `black_box`. Returned (or written through a plain slot,
/// which LLVM's call-slot optimization merges with it), it would be
/// written straight into the caller's place; that place, handed to a
/// call, then stays in memory on the fast path too: a store and a load
/// around every off or demoted call (serde_json's `peek`, which returns a
/// `Result<Option<u8>>`: README, "Real code"). `black_box` only keeps the
/// two places apart; nothing depends on it for correctness. Not for
/// results that fit a register: there the slot would cost a stack frame
/// on the fast path of a function not inlined. Inlined always (a call
/// would bring the caller's place back). Optimized code only: an
/// unoptimized build, which keeps every local in the frame, returns the
/// result from `record_body` (see [`run_body`]).
#[inline(always)]
fn record_wide<R>(
    cs: &'static Callsite,
    self_ty: Option<SelfTypeName>,
    body: impl FnOnce() -> R,
) -> R {
    let mut out = MaybeUninit::<R>::uninit();
    record_body_into(cs, self_ty, body, &mut out);
    let out = std::hint::black_box(out);
    // SAFETY: `record_body_into` returned, so it wrote the body's result
    // (a body that unwinds does not return here).
    unsafe { out.assume_init() }
}

/// Records one call whose body is a closure (see [`run_body`]): opens the
/// frame (when the callsite is on) with this function's stack pointer,
/// where native stacks are cut (the body is inlined here), runs the body,
/// closes the frame, also when the body unwinds.
#[inline(never)]
fn record_body<R>(
    cs: &'static Callsite,
    self_ty: Option<SelfTypeName>,
    body: impl FnOnce() -> R,
) -> R {
    let mut slot = ScopeSlot::uninit();
    let _scope = enter_scope_on(cs, self_ty, crate::engine::stack::current_sp(), &mut slot);
    body()
}

/// [`record_body`] with the body's result written to `out` (left
/// unwritten, and never read, when the body unwinds). Its own function
/// rather than `record_body` given a closure that writes `out`: that
/// closure, moving the body's into a new one, raised the inlining price
/// (serde_json off, 2.905 G instructions against 2.869 G).
#[inline(never)]
fn record_body_into<R>(
    cs: &'static Callsite,
    self_ty: Option<SelfTypeName>,
    body: impl FnOnce() -> R,
    out: &mut MaybeUninit<R>,
) {
    let mut slot = ScopeSlot::uninit();
    let _scope = enter_scope_on(cs, self_ty, crate::engine::stack::current_sp(), &mut slot);
    out.write(body());
}

/// Marks the path that records a call as the unlikely one (for code
/// layout only: it does nothing). `std::hint::cold_path` where the
/// compiler has it (Rust 1.95): it marks the block it is in, also once
/// inlined into the instrumented function; before, a call of a `#[cold]`
/// function, whose mark inlining may lose.
#[inline(always)]
fn recorded_path() {
    // Only where build.rs found it (the compiler is 1.95 or later).
    #[cfg(inprof_cold_path)]
    #[allow(clippy::incompatible_msrv)]
    std::hint::cold_path();
    #[cfg(not(inprof_cold_path))]
    cold_mark();
}

#[cfg(not(inprof_cold_path))]
#[cold]
#[inline(always)]
fn cold_mark() {}

/// [`enter_scope`] for a callsite that is on or not yet seen.
///
/// `extern "C"`, as every function of ours an instrumented function calls
/// ([`enter_on`], [`Guard::leave`]): a call the
/// compiler knows cannot unwind, so that a function that could not panic
/// before it was instrumented still cannot (no landing pad: `no_panic`
/// holds, as in ahash's tests). Nothing in them panics by design; were a
/// bug to make one panic, the process aborts there rather than unwinding
/// into the user's code.
#[allow(improper_ctypes_definitions)] // Rust callers only: the ABI is for `nounwind`
#[inline(never)]
extern "C" fn enter_scope_on(
    cs: &'static Callsite,
    self_ty: Option<SelfTypeName>,
    sp: usize,
    slot: &mut ScopeSlot,
) -> Scope {
    let mut state = cs.state.load(Ordering::Relaxed);
    if state != mode::ON {
        state = mode::first_sight(cs);
        if state != mode::ON {
            return Scope(ptr::null_mut());
        }
    }
    let g = enter_on_inline(cs, self_ty.map_or(0, |f| f as usize), sp);
    if g.node.is_null() {
        return Scope(ptr::null_mut());
    }
    Scope(slot.0.write(g))
}

impl Drop for Scope {
    #[inline(always)]
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: a non-null pointer is the slot `enter_scope_on` wrote
            // a recording guard into; the slot is a local of the same
            // function declared before this scope, so it is still alive,
            // and nothing else reads or drops it (a `MaybeUninit`).
            let _ = unsafe { (*self.0).leave() };
        }
    }
}

/// [`enter`] for a callsite that is on: track the path, and time the call
/// when time is recorded or the path is still being probed. Out of line,
/// so that the instrumented function itself stays small: a skipped call
/// then costs its load and branch and nothing else (no saved registers).
/// `extern "C"`: cannot unwind (see [`enter_scope_on`]).
#[allow(improper_ctypes_definitions)] // Rust callers only: the ABI is for `nounwind`
#[inline(never)]
extern "C" fn enter_on(cs: &'static Callsite, self_ty: usize, sp: usize) -> Guard {
    enter_on_inline(cs, self_ty, sp)
}

/// The body of [`enter_on`], also inlined into [`enter_scope_on`].
#[inline(always)]
fn enter_on_inline(cs: &'static Callsite, self_ty: usize, sp: usize) -> Guard {
    let t = this_tree();
    if t.is_null() {
        return Guard::disabled();
    }
    // SAFETY: trees are never freed; only this thread writes owner fields.
    let tree = unsafe { &*t };
    let parent = tree.current.load(Ordering::Relaxed);
    // SAFETY: `current` always points at a published node of this tree.
    let cached = unsafe { (*parent).last_child.load(Ordering::Relaxed) };
    let node = if !cached.is_null()
        // SAFETY: cached child pointers point at published nodes.
        && std::ptr::eq(unsafe { (*cached).callsite.load(Ordering::Relaxed) }, cs)
        // SAFETY: as above.
        && unsafe { (*cached).self_ty.load(Ordering::Relaxed) } == self_ty
    {
        cached as *const Node
    } else {
        tree.child_for_call(parent, cs, self_ty)
    };
    // SAFETY: node is a published node of this tree.
    let n = unsafe { &*node };
    let timing = mode::timing();
    let start = if node != parent && (timing || n.calls.load(Ordering::Relaxed) < mode::PROBE_CALLS)
    {
        let start = crate::engine::clock::ticks();
        if timing {
            n.open.store(start, Ordering::Release);
        }
        start
    } else {
        0
    };
    // The call begins for the call path once its start is read, as it
    // ends once its end is read (`Guard::leave`): a CPU sample taken in
    // the clock read is the caller's, as that time is in the caller's
    // wall time. The fence keeps the read before the store for this
    // thread's signal handler (the CPU sampler), which reads `current`.
    compiler_fence(Ordering::SeqCst);
    tree.current.store(node as *mut Node, Ordering::Relaxed);
    let prev_sp = tree.frame_sp.load(Ordering::Relaxed);
    tree.frame_sp.store(sp, Ordering::Relaxed);
    Guard {
        tree: t,
        node,
        parent,
        start,
        prev_sp,
        timed: timing,
        _not_send: PhantomData,
    }
}

impl Drop for Guard {
    #[inline(always)]
    fn drop(&mut self) {
        if !self.node.is_null() {
            let _ = self.leave();
        }
    }
}

impl Guard {
    /// Leaves the frame (out of line, like [`enter_on`]; `extern "C"`:
    /// cannot unwind, see [`enter_scope_on`]).
    #[allow(improper_ctypes_definitions)] // Rust callers only: the ABI is for `nounwind`
    #[inline(never)]
    extern "C" fn leave(&mut self) -> u64 {
        // SAFETY: node and tree outlive the process; this is the owning thread
        // (the guard is !Send).
        let n = unsafe { &*self.node };
        let calls = n.calls.load(Ordering::Relaxed) + 1;
        let timing = self.node != self.parent && mode::timing();
        let read = self.start != 0 || timing;
        let now = if read {
            crate::engine::clock::ticks()
        } else {
            0
        };
        // SAFETY: as above.
        let tree = unsafe { &*self.tree };
        // The call has ended for the call path as soon as its time is
        // read: a CPU sample taken in the bookkeeping below is the
        // caller's, as that time is in the caller's wall time. The fence
        // keeps the read before the store for the CPU sampler (a signal
        // handler on this thread).
        compiler_fence(Ordering::SeqCst);
        tree.current
            .store(self.parent as *mut Node, Ordering::Relaxed);
        tree.frame_sp.store(self.prev_sp, Ordering::Relaxed);
        if read {
            let add =
                |a: &AtomicU64, d: u64| a.store(a.load(Ordering::Relaxed) + d, Ordering::Relaxed);
            if self.timed {
                add(&n.ticks, now.wrapping_sub(self.start));
                n.open.store(0, Ordering::Release);
            } else {
                // Timed only to probe the path: apart from the profile.
                if self.start != 0 {
                    add(&n.probe, now.wrapping_sub(self.start));
                }
                // Entered before time recording began, left while it runs:
                // charged from when it began.
                if timing {
                    add(
                        &n.ticks,
                        now.saturating_sub(self.start.max(mode::timing_since())),
                    );
                }
            }
        }
        n.calls.store(calls, Ordering::Relaxed);
        if read && calls == mode::PROBE_CALLS {
            let measured = n.ticks.load(Ordering::Relaxed) + n.probe.load(Ordering::Relaxed);
            mode::judge(n.callsite(), calls, measured);
        }
        now
    }

    /// The tree of the guard's thread (null: nothing recorded).
    #[inline(always)]
    pub(crate) fn tree_ptr(&self) -> *const Tree {
        self.tree
    }

    /// The tick the frame was entered at (0: not read).
    #[inline(always)]
    pub(crate) fn started_at(&self) -> u64 {
        self.start
    }

    /// Leaves the frame now and returns the tick read on leaving (0: none
    /// was read, time not being recorded); the guard's drop then does
    /// nothing. By reference: moving the guard out costs a stalled copy.
    #[inline]
    pub(crate) fn leave_now(&mut self) -> u64 {
        if self.node.is_null() {
            return 0;
        }
        let at = self.leave();
        self.node = ptr::null();
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_math() {
        assert_eq!(chunk_of(0), (0, 0));
        assert_eq!(HARD_MAX_NODES, 8 * ((1 << 28) - 1));
        assert_eq!(chunk_of(BASE - 1), (0, BASE - 1));
        assert_eq!(chunk_of(BASE), (1, 0));
        assert_eq!(chunk_of(3 * BASE - 1), (1, 2 * BASE - 1));
        assert_eq!(chunk_of(3 * BASE), (2, 0));
    }

    /// Two threads record nested calls, timed, through both entry points
    /// (a returned guard, a guard written into the caller's slot) while a
    /// third reads every tree as a profile writer does; then each thread's
    /// paths hold exactly its calls. Under Miri (`.ci/miri`) this checks
    /// the publication of nodes and chunks, the slot's guard and every
    /// access of a reader against the owners' writes.
    #[test]
    fn paths_counted_exactly_while_another_thread_reads() {
        static OUTER: Callsite = Callsite::new("tree_test_outer", "tree.rs", 1).always();
        static INNER: Callsite = Callsite::new("tree_test_inner", "tree.rs", 2).always();
        // More inner paths than the first chunk holds, so that chunks are
        // published while the reader reads.
        const WIDE: usize = BASE + 8;
        static WIDE_SITES: [Callsite; WIDE] =
            [const { Callsite::new("tree_test_wide", "tree.rs", 3) }; WIDE];
        fn work() -> usize {
            for _ in 0..3 {
                let _outer = enter(&OUTER, None);
                for _ in 0..2 {
                    let mut slot = ScopeSlot::uninit();
                    let _inner = enter_scope(&INNER, None, &mut slot);
                }
            }
            for cs in &WIDE_SITES {
                let _w = enter(cs, None);
            }
            this_tree() as usize
        }
        let _timing = mode::Timing::start();
        let stop = std::sync::atomic::AtomicBool::new(false);
        // The writers start once the reader has read once: on a loaded
        // machine the reader's thread could otherwise first run after
        // they ended (the lib tests in parallel on two cores, once).
        let reading = std::sync::atomic::AtomicBool::new(false);
        let trees = std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut reads = 0u64;
                while !stop.load(Ordering::Acquire) {
                    let lock = crate::engine::fold::read();
                    let now = crate::engine::clock::ticks();
                    for t in trees(&lock) {
                        for i in 0..t.len() {
                            let n = t.node(i);
                            let _ = (n.name(), n.parent_idx(), n.read_time(now));
                        }
                    }
                    reads += 1;
                    reading.store(true, Ordering::Release);
                }
                reads
            });
            let writer = || {
                while !reading.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                work()
            };
            let a = s.spawn(writer);
            let b = s.spawn(writer);
            let trees = [a.join().unwrap(), b.join().unwrap()];
            stop.store(true, Ordering::Release);
            assert!(reader.join().unwrap() > 0);
            trees
        });
        for t in trees {
            // SAFETY: trees are never freed.
            let t = unsafe { &*(t as *const Tree) };
            let find = |cs: &'static Callsite, parent: usize| {
                (0..t.len())
                    .find(|&i| {
                        let n = t.node(i);
                        std::ptr::eq(n.callsite(), cs) && n.parent_idx() as usize == parent
                    })
                    .unwrap_or_else(|| panic!("no {} under node {parent}", cs.name()))
            };
            let outer = find(&OUTER, 0);
            let inner = find(&INNER, outer);
            let calls = |i: usize| t.node(i).calls.load(Ordering::Relaxed);
            assert_eq!((calls(outer), calls(inner)), (3, 6));
            for cs in &WIDE_SITES {
                assert_eq!(calls(find(cs, 0)), 1);
            }
            assert!(t.node(inner).ticks.load(Ordering::Relaxed) > 0);
        }
    }

    /// A body run as a closure, recorded: its result comes back whole
    /// whether it fits a register (returned) or not (through a slot of its
    /// own, which a body that unwinds leaves unwritten), and each call is
    /// counted once.
    #[test]
    fn run_body_returns_the_body_result_and_counts_each_call() {
        static NARROW: Callsite = Callsite::new("tree_test_narrow", "tree.rs", 4).always();
        static WIDE: Callsite = Callsite::new("tree_test_wide_result", "tree.rs", 5).always();
        fn wide(n: u64, panics: bool) -> (u64, String, u64) {
            run_body(&WIDE, None, move || {
                assert!(!panics, "wide body panics");
                (n, format!("n{n}"), n * 2)
            })
        }
        let t = std::thread::spawn(|| {
            assert_eq!(run_body(&NARROW, None, || 7u32), 7);
            assert_eq!(run_body(&NARROW, None, || 8u32), 8);
            assert_eq!(wide(3, false), (3, "n3".to_owned(), 6));
            let r = std::panic::catch_unwind(|| wide(4, true));
            assert!(r.is_err());
            assert_eq!(wide(5, false), (5, "n5".to_owned(), 10));
            this_tree() as usize
        })
        .join()
        .unwrap();
        // SAFETY: trees are never freed.
        let t = unsafe { &*(t as *const Tree) };
        let calls = |cs: &'static Callsite| {
            (0..t.len())
                .find(|&i| std::ptr::eq(t.node(i).callsite(), cs))
                .map(|i| t.node(i).calls.load(Ordering::Relaxed))
        };
        assert_eq!(calls(&NARROW), Some(2));
        assert_eq!(calls(&WIDE), Some(3));
    }
}
