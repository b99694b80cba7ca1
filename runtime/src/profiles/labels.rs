//! Profile labels (Go's `pprof.Do`): string key-value pairs put on the time
//! and thread samples of code run inside [`with_labels`], and inherited by
//! threads spawned there through `inprof::thread`.
//!
//! A label set is a node in the call tree like a frame, but it is left out
//! of stacks: samples under it carry its labels instead. So time is split
//! exactly between the label sets it was spent under.

use crate::engine::callsite::Callsite;
use crate::engine::tree::{self, Tree};
use std::sync::Mutex;

/// An interned set of labels (sorted by key). Sets live for the process.
#[derive(Debug)]
pub struct LabelSet {
    pairs: Vec<(String, String)>,
    callsite: Callsite,
}

impl LabelSet {
    /// The (key, value) pairs, sorted by key.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub(crate) fn callsite(&'static self) -> &'static Callsite {
        &self.callsite
    }
}

static SETS: Mutex<Vec<&'static LabelSet>> = Mutex::new(Vec::new());

fn intern(pairs: Vec<(String, String)>) -> &'static LabelSet {
    let mut sets = SETS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = sets.iter().find(|s| s.pairs == pairs) {
        return s;
    }
    let s: &'static LabelSet = Box::leak(Box::new(LabelSet {
        pairs,
        callsite: Callsite::label(),
    }));
    sets.push(s);
    s
}

/// The label set a label callsite stands for.
pub(crate) fn set_of(cs: &'static Callsite) -> Option<&'static LabelSet> {
    if !cs.is_label() {
        return None;
    }
    let sets = SETS.lock().unwrap_or_else(|e| e.into_inner());
    sets.iter().copied().find(|s| std::ptr::eq(&s.callsite, cs))
}

/// The labels of node `idx` of `t`: those of the nearest label node on its
/// path.
pub(crate) fn labels_at(t: &Tree, idx: usize) -> Option<&'static LabelSet> {
    let mut i = idx;
    loop {
        let n = t.node(i);
        let cs = n.callsite();
        if cs.is_label() {
            return set_of(cs);
        }
        if i == 0 {
            return None;
        }
        let p = n.parent_idx() as usize;
        if p == i {
            return None;
        }
        i = p;
    }
}

/// The calling thread's labels now.
pub(crate) fn current() -> Option<&'static LabelSet> {
    let t = tree::this_tree_if_registered();
    if t.is_null() {
        return None;
    }
    // SAFETY: trees are never freed.
    let t = unsafe { &*t };
    labels_at(t, t.current_idx() as usize)
}

/// Runs `f` with `labels` added to the calling thread's labels (a key given
/// again takes the new value), like Go's `pprof.Do`. Time and thread
/// samples inside carry them as string labels (`go tool pprof -tags`,
/// `-tagfocus`), and threads spawned inside through `inprof::thread`
/// inherit them.
///
/// ```
/// inprof::with_labels(&[("request", "GET /users")], || {
///     // handle the request
/// });
/// ```
pub fn with_labels<R>(labels: &[(&str, &str)], f: impl FnOnce() -> R) -> R {
    let mut pairs: Vec<(String, String)> = current().map(|s| s.pairs.clone()).unwrap_or_default();
    for (k, v) in labels {
        match pairs.iter_mut().find(|(pk, _)| pk == k) {
            Some(p) => p.1 = (*v).to_owned(),
            None => pairs.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    pairs.sort();
    let set = intern(pairs);
    let _g = tree::enter(set.callsite(), None);
    f()
}

/// The labels of `with_labels`, for a future: `labels` added to the labels
/// current where `scope` is called, applied in every poll of `fut` on
/// whatever thread polls it (Go's `pprof.Do` with a context that follows
/// the request). Time, CPU and thread samples inside carry them.
///
/// ```
/// # async fn handle() {}
/// # async fn run() {
/// inprof::labels::scope(&[("request", "GET /users")], handle()).await;
/// # }
/// ```
pub fn scope<F: std::future::Future>(labels: &[(&str, &str)], fut: F) -> Scoped<F> {
    let mut pairs: Vec<(String, String)> = current().map(|s| s.pairs.clone()).unwrap_or_default();
    for (k, v) in labels {
        match pairs.iter_mut().find(|(pk, _)| pk == k) {
            Some(p) => p.1 = (*v).to_owned(),
            None => pairs.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    pairs.sort();
    Scoped {
        set: intern(pairs),
        inner: fut,
    }
}

/// A future polled under a label set (see [`scope`]).
pub struct Scoped<F> {
    set: &'static LabelSet,
    inner: F,
}

impl<F: std::future::Future> std::future::Future for Scoped<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: never moved out of
        // `self`; `Scoped` has no Drop impl.
        let this = unsafe { self.get_unchecked_mut() };
        let _g = tree::enter(this.set.callsite(), None);
        // SAFETY: as above.
        unsafe { std::pin::Pin::new_unchecked(&mut this.inner) }.poll(cx)
    }
}
