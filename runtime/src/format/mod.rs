//! The output format: profiles as data, independent of how they were
//! recorded.
//!
//! It owns the pprof messages and the one builder every profile is written
//! with ([`pprof`]), flat/cum reports and value formatting ([`report`]),
//! delta profiles ([`delta`]) and Go's legacy text formats ([`text`]).
//!
//! It may use std and the crates it encodes with; nothing from `engine`,
//! `profiles` or `serve` (checked by `.ci/layers`). The CLI reads profiles
//! through this layer too.

pub mod delta;
pub mod pprof;
pub(crate) mod proto;
pub mod report;
pub mod text;
