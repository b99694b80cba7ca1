//! `inprof web` started for a test, and raw requests to it.
// Each test uses some of these.
#![allow(dead_code)]

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

/// The server's `127.0.0.1:PORT` and its token, from the URL it printed
/// (`http://127.0.0.1:PORT/?token=TOKEN`).
pub fn parts(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (addr, token) = rest
        .split_once("/?token=")
        .unwrap_or_else(|| panic!("no token in {url}"));
    (addr.to_owned(), token.to_owned())
}

/// A raw `GET path` to `addr` with `Host: host` and the extra header
/// lines `headers` (each without its CRLF): the whole reply.
pub fn get(addr: &str, host: &str, path: &str, headers: &[String]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply
}
