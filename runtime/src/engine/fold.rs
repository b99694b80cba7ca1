//! Folding the call trees of exited threads, so that memory stays bounded
//! however many threads come and go, with every total kept.
//!
//! Past [`max_exited_threads`](crate::engine::tree::max_exited_threads)
//! exited threads, the next thread to register folds them: each exited
//! tree's paths and counts are added into one aggregate tree per thread
//! name (trailing numbers dropped), its heap sites move to the aggregate's
//! nodes (blocks still live keep being counted there; sites with nothing
//! live are merged and reused), and the tree is emptied and given to a new
//! thread. Creation stacks were copied at spawn, so nothing else points
//! into a folded tree.
//!
//! Folding never waits: it runs only if no profile is being built (the
//! builders hold [`read`]) and no time interval is open ([`Interval`]: a
//! running time profile compares two snapshots of the same trees); else it
//! is left for the next registration.

use crate::engine::site::{self, Site};
use crate::engine::tree::{self, Node, State, Tree, EXITED};
use std::sync::atomic::{AtomicUsize, Ordering};

struct FoldState {
    /// The aggregate tree of each folded name.
    aggregates: Vec<(String, &'static Tree)>,
    /// Sites moved to an aggregate with blocks still live: merged once
    /// their blocks are freed.
    orphans: Vec<&'static Site>,
}

static LOCK: parking_lot::RwLock<FoldState> = parking_lot::const_rwlock(FoldState {
    aggregates: Vec::new(),
    orphans: Vec::new(),
});

/// Held while trees are read by a profile builder: nothing is folded
/// meanwhile.
pub(crate) struct ReadLock {
    _g: parking_lot::RwLockReadGuard<'static, FoldState>,
}

/// Takes the read lock (never waits on the folder for long: it runs only
/// when nobody reads). Recursive: a builder that reads again while `fork`
/// waits for the write lock does not deadlock against it.
pub(crate) fn read() -> ReadLock {
    ReadLock {
        _g: LOCK.read_recursive(),
    }
}

/// `fork`'s prepare step: holds the write lock across the fork, so that a
/// child never inherits a fold half done by a thread it does not have.
pub(crate) fn before_fork() {
    std::mem::forget(LOCK.write());
}

/// `fork`'s parent and child step: gives back what [`before_fork`] took.
pub(crate) fn after_fork() {
    // SAFETY: `before_fork` took the write lock in this same thread and
    // forgot its guard; nothing else can hold it meanwhile.
    unsafe { LOCK.force_unlock_write() };
}

static OPEN_INTERVALS: AtomicUsize = AtomicUsize::new(0);

/// An open time interval (a running time profile): nothing is folded while
/// one is open.
pub(crate) struct Interval(());

impl Interval {
    pub(crate) fn open() -> Interval {
        OPEN_INTERVALS.fetch_add(1, Ordering::SeqCst);
        Interval(())
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        OPEN_INTERVALS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Folds the exited trees if there are more than the bound and nothing
/// stands in the way (called at registration, possibly inside the
/// allocator: it never blocks).
pub(crate) fn maybe_fold() {
    if EXITED.load(Ordering::Relaxed) <= tree::max_exited_threads()
        || OPEN_INTERVALS.load(Ordering::SeqCst) > 0
    {
        return;
    }
    let Some(mut st) = LOCK.try_write() else {
        return;
    };
    if OPEN_INTERVALS.load(Ordering::SeqCst) > 0 {
        return;
    }
    fold_all(&mut st);
}

/// The aggregate name of a thread name: trailing digits and the separator
/// before them dropped (`worker-7`, `worker 7`, `worker#7` -> `worker`).
fn fold_key(name: &str) -> String {
    let t = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let t = t.trim_end_matches(['-', '_', ' ', '#', '.', ':']);
    if t.is_empty() {
        name.to_owned()
    } else {
        t.to_owned()
    }
}

fn fold_all(st: &mut FoldState) {
    let now = crate::engine::clock::ticks();
    for t in tree::all_trees() {
        if t.state() == State::Exited {
            fold_one(st, t, now);
        }
    }
    st.orphans.retain(|s| {
        if !site::balanced(s) {
            return true;
        }
        let node = s.node();
        if node.is_null() {
            return false;
        }
        // SAFETY: nodes are never freed; this one is an aggregate's.
        let into = site_of(unsafe { &*node });
        if !into.is_null() && !std::ptr::eq(into, *s) {
            // SAFETY: sites are never freed.
            site::merge_and_recycle(s, unsafe { &*into });
            false
        } else {
            true
        }
    });
}

/// The site of an aggregate's node, made if needed.
fn site_of(node: &Node) -> *const Site {
    let s = node.ext.site.load(Ordering::Acquire);
    if s.is_null() {
        site::create(node, std::ptr::null())
    } else {
        s
    }
}

fn fold_one(st: &mut FoldState, t: &'static Tree, now: u64) {
    let key = fold_key(&t.name());
    let agg = match st.aggregates.iter().find(|(k, _)| *k == key) {
        Some((_, a)) => *a,
        None => {
            let Some(a) = Tree::start_aggregate(&key) else {
                return;
            };
            st.aggregates.push((key, a));
            a
        }
    };
    let n = t.len();
    let mut map: Vec<*const Node> = Vec::with_capacity(n);
    map.push(agg.node(0) as *const Node);
    for i in 1..n {
        let node = t.node(i);
        let parent = map
            .get(node.parent_idx() as usize)
            .copied()
            .unwrap_or(map[0]);
        let to = agg.child_slow(parent, node.callsite(), node.self_ty());
        map.push(to);
        // SAFETY: `to` is a node of the aggregate, never freed.
        let to = unsafe { &*to };
        Tree::add_counts(to, node, now);
        let s = node.ext.site.load(Ordering::Acquire);
        if s.is_null() {
            continue;
        }
        // SAFETY: sites are never freed.
        let s: &'static Site = unsafe { &*s };
        let into = site_of(to);
        if site::balanced(s) && !into.is_null() {
            // SAFETY: as above.
            site::merge_and_recycle(s, unsafe { &*into });
        } else {
            site::rehome(s, to);
            st.orphans.push(s);
        }
    }
    agg.add_dropped(t);
    site::flush_thread(t);
    t.clear();
    t.release();
    EXITED.fetch_sub(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::fold_key;

    #[test]
    fn names_fold_without_their_numbers() {
        assert_eq!(fold_key("thread-17"), "thread");
        assert_eq!(fold_key("worker 3"), "worker");
        assert_eq!(fold_key("tokio-runtime-worker"), "tokio-runtime-worker");
        assert_eq!(fold_key("main"), "main");
        assert_eq!(fold_key("1234"), "1234");
        assert_eq!(fold_key("pool#2"), "pool");
    }
}
