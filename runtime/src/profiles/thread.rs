//! Threads that profiles know: `spawn`, `Builder` and `scope` like std's,
//! recording the spawner's call path (threadcreate profile), registering
//! the thread under its name with the labels it inherits, and making `join`
//! a blocking event.

use crate::engine::callsite::Callsite;
use crate::engine::counters::{self, bump, Origin, CREATION_DEPTH};
use crate::engine::tree;
use crate::profiles::contention::{BlockKind, Wait};
use std::io;

/// Where a new thread comes from, as the spawner knows it: its id, its
/// annotated frames (copied: they outlive its tree) and its labels. The
/// spawner's threadcreate counter is bumped.
fn origin() -> Origin {
    let t = tree::this_tree();
    if t.is_null() {
        return Origin::NONE;
    }
    // SAFETY: trees are never freed; this is the owning thread.
    let t = unsafe { &*t };
    let n = t.current();
    bump(&n.ext.threads_created, 1);
    let mut o = Origin::NONE;
    o.thread = t.id();
    let mut i = t.current_idx() as usize;
    while i != 0 && o.len < CREATION_DEPTH {
        let node = t.node(i);
        let cs = node.callsite();
        if !cs.is_label() {
            o.stack[o.len] = node.name_key();
            o.len += 1;
        }
        let p = node.parent_idx() as usize;
        if p >= i {
            break;
        }
        i = p;
    }
    o.labels = crate::profiles::labels::current()
        .map_or(std::ptr::null(), |s| s.callsite() as *const Callsite);
    o
}

fn start(o: Origin, name: Option<String>) {
    counters::set_pending_name(name);
    counters::set_pending_origin(o);
    let _ = tree::this_tree();
}

/// Registers the calling thread under `name` if it is not yet registered:
/// for thread pools that take start hooks (tokio's `on_thread_start`,
/// rayon's `start_handler`).
///
/// ```
/// let rt = tokio::runtime::Builder::new_multi_thread()
///     .on_thread_start(|| inprof::thread::register_current("tokio-worker"))
///     .build()
///     .unwrap();
/// # drop(rt);
/// ```
pub fn register_current(name: &str) {
    if tree::this_tree_if_registered().is_null() {
        counters::set_pending_name(Some(name.to_owned()));
        let _ = tree::this_tree();
    }
}

/// Spawns a thread, like `std::thread::spawn`.
///
/// # Panics
/// If the OS cannot create a thread (as std's does).
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f).expect("failed to spawn thread")
}

/// A thread factory, like `std::thread::Builder`.
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with no name and the default stack size.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the thread (in profiles and in std).
    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    /// Sets the stack size in bytes.
    pub fn stack_size(mut self, size: usize) -> Builder {
        self.stack_size = Some(size);
        self
    }

    fn std(&self) -> std::thread::Builder {
        let mut b = std::thread::Builder::new();
        if let Some(n) = &self.name {
            b = b.name(n.clone());
        }
        if let Some(s) = self.stack_size {
            b = b.stack_size(s);
        }
        b
    }

    /// Spawns the thread.
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let o = origin();
        let name = self.name.clone();
        let inner = self.std().spawn(move || {
            start(o, name);
            f()
        })?;
        Ok(JoinHandle { inner })
    }

    /// Spawns a scoped thread.
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &Scope<'scope, 'env>,
        f: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let o = origin();
        let name = self.name.clone();
        let inner = self.std().spawn_scoped(scope.inner, move || {
            start(o, name);
            f()
        })?;
        Ok(ScopedJoinHandle { inner })
    }
}

/// An owned permission to join a thread; `join` is a blocking event.
#[derive(Debug)]
pub struct JoinHandle<T> {
    inner: std::thread::JoinHandle<T>,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish (recorded in the block profile).
    pub fn join(self) -> std::thread::Result<T> {
        let inner = self.inner;
        let thread = inner.thread().clone();
        recorded_join(&thread, move || inner.join())
    }

    /// The thread's handle.
    pub fn thread(&self) -> &std::thread::Thread {
        self.inner.thread()
    }

    /// Whether the thread has finished.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

/// Runs `join`, a wait for `thread`, as a blocking event.
fn recorded_join<T>(
    thread: &std::thread::Thread,
    join: impl FnOnce() -> std::thread::Result<T>,
) -> std::thread::Result<T> {
    // The dump names what a thread waits on by address; for a join, a
    // stable number derived from the joined thread's id.
    let id = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        thread.id().hash(&mut h);
        h.finish() as usize
    };
    let w = Wait::begin(BlockKind::Join, id);
    let r = join();
    w.end();
    r
}

/// A scope for spawning threads that borrow, like `std::thread::Scope`.
/// It is `Copy`: move a copy into a thread to spawn from there.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'scope, 'env: 'scope> {
    inner: &'scope std::thread::Scope<'scope, 'env>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a scoped thread.
    ///
    /// # Panics
    /// If the OS cannot create a thread (as std's does).
    pub fn spawn<F, T>(&self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        Builder::new()
            .spawn_scoped(self, f)
            .expect("failed to spawn thread")
    }
}

/// A handle to join a scoped thread.
#[derive(Debug)]
pub struct ScopedJoinHandle<'scope, T> {
    inner: std::thread::ScopedJoinHandle<'scope, T>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to finish (recorded in the block profile).
    pub fn join(self) -> std::thread::Result<T> {
        let inner = self.inner;
        let thread = inner.thread().clone();
        recorded_join(&thread, move || inner.join())
    }

    /// The thread's handle.
    pub fn thread(&self) -> &std::thread::Thread {
        self.inner.thread()
    }
}

/// Runs `f` with a scope for spawning threads that borrow from the
/// environment, like `std::thread::scope`.
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&Scope<'scope, 'env>) -> T,
{
    std::thread::scope(|s| f(&Scope { inner: s }))
}
