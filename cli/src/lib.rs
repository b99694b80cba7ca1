//! The library behind the `inprof` command: reading profiles and reporting
//! on them ([`view`]), the web UI ([`web`]), and talking to running
//! processes ([`remote`]).

pub mod remote;
pub mod view;
pub mod web;
