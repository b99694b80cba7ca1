//! The profiles: what is recorded beside the engine's call paths, and how
//! each recording becomes a pprof profile.
//!
//! - time: sampled CPU ([`cpu`]) on the call paths, exact wall time and
//!   calls per call path ([`time`]);
//! - heap: the tracking allocator ([`alloc`]) and sampled native stacks
//!   below annotated frames ([`native`]);
//! - contention: block and mutex events ([`contention`]) from inprof's
//!   locks ([`sync`]) and channels ([`channel`]);
//! - threads: spawning ([`thread`]), the live-thread dump ([`threads`]);
//! - labels ([`labels`]), and call paths as pprof stacks (`paths`);
//! - the registry of named profiles, like Go's `pprof.Lookup` ([`named`]).
//!
//! It may use `engine` and `format`; nothing from `serve` (checked by
//! `.ci/layers`): serving profiles is the layer above's business.

pub mod alloc;
pub mod channel;
pub mod contention;
pub mod cpu;
pub mod labels;
pub mod named;
pub mod native;
pub(crate) mod paths;
pub mod sync;
pub mod tasks;
pub mod thread;
pub mod threads;
pub mod time;
pub(crate) mod unwind;
