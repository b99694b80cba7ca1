//! Shared code of the benches in `benches/` and their helper programs.

pub mod memory;
