//! `inprof web` started for a test.

use crate::common::KillOnDrop;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// Serves `file` with `inprof web` on a free loopback port: the server
/// (killed when dropped) and the URL it printed (`http://127.0.0.1:PORT/`).
pub fn serve(file: &Path) -> (KillOnDrop, String) {
    let mut server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_inprof"))
            .args(["web", file.to_str().unwrap(), "--port", "0", "--no-browser"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    (server, url)
}
