//! The start-up hook: how the engine tells the layers above that inprof is
//! used for the first time, without knowing them.
//!
//! The serving layer installs a hook when the program is loaded (before
//! `main`); the engine calls it when a thread first registers (from an
//! instrumented call, or from inside the allocator) and profile APIs call
//! it too. What the hook does (read `INPROF_*`, register the exit hook,
//! start the endpoint and the agent) is the installer's business.

use std::sync::atomic::{AtomicPtr, Ordering};

/// Why the hook is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A thread registered from inside the global allocator: only what is
    /// safe there may happen (no threads started, no sockets opened).
    Alloc,
    /// Any other first use: an instrumented call, or a profile API.
    Use,
}

/// The hook's type.
pub type Hook = fn(Trigger);

static HOOK: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the start-up hook (the last one installed wins).
pub fn install(hook: Hook) {
    HOOK.store(hook as *mut (), Ordering::Release);
}

/// Calls the hook, if one is installed. The hook must be idempotent: it is
/// called at every thread's registration and at profile API calls.
#[inline]
pub fn fire(trigger: Trigger) {
    let p = HOOK.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: the only non-null value ever stored is a `Hook` cast to a
        // data pointer in `install`; function and data pointers have the
        // same size on every platform Rust supports.
        let hook: Hook = unsafe { std::mem::transmute::<*mut (), Hook>(p) };
        // What starting up allocates is inprof's, not the program's.
        let _not_counted = crate::engine::counters::Reentrant::enter();
        hook(trigger);
    }
}
