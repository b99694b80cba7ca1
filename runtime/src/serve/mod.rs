//! Serving: getting profiles out of a running process.
//!
//! It owns the net/http/pprof endpoint ([`http`]), the gops-style agent
//! ([`agent`]), profiles named by `INPROF_*` variables and the start-up and
//! exit hooks ([`env`](mod@env)), and the private files they write ([`files`]).
//!
//! It is the top layer: it may use `engine`, `format` and `profiles`, and
//! nothing below may use it (checked by `.ci/layers`). It installs the
//! engine's start-up hook when the program is loaded.

pub mod agent;
pub mod env;
pub mod files;
pub mod http;
mod server;
