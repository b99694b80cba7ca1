//! The engine: exact call-path accounting, the hot path of every
//! instrumented call.
//!
//! It owns the cycle-counter clock ([`clock`]), the static callsites
//! ([`callsite`]), the per-thread call trees and their nodes ([`tree`]),
//! the counters other profiles keep on nodes and threads ([`counters`]),
//! and the start-up hook ([`start`]) through which the layers above learn
//! that inprof is first used.
//!
//! It may use std and core only: nothing from `format`, `profiles` or
//! `serve` (checked by `.ci/layers`). In particular it starts no server and
//! reads no environment: that is the hook's job, installed from above.

pub mod callsite;
pub mod clock;
pub mod counters;
pub(crate) mod dropped;
pub(crate) mod fold;
pub mod mode;
pub mod site;
pub(crate) mod slab;
pub(crate) mod spin;
pub mod stack;
pub mod start;
pub(crate) mod sysmem;
pub mod tree;
