//! `inprof web` started for a test, and raw requests to it.
// Each test uses some of these.
#![allow(dead_code)]

use crate::common::KillOnDrop;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// Serves `file` with `inprof web` on a free loopback port: the server
/// (killed when dropped) and the URL it printed
/// (`http://127.0.0.1:PORT/?token=TOKEN`).
pub fn serve(file: &Path) -> (KillOnDrop, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inprof"));
    cmd.args(["web", file.to_str().unwrap(), "--port", "0", "--no-browser"]);
    start(cmd)
}

/// Runs `cmd` (an `inprof web`) and reads the URL it prints.
fn start(mut cmd: Command) -> (KillOnDrop, String) {
    let mut server = KillOnDrop(
        cmd.stdout(Stdio::piped())
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

/// An `xdg-open` in `scratch/bin` that writes the argument it is given
/// to `scratch/argv` and opens nothing: the `PATH` that finds it first,
/// and that file.
pub fn fake_opener(scratch: &Path) -> (String, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = scratch.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let argv = scratch.join("argv");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > {0}.tmp && mv {0}.tmp {0}\n",
            argv.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, argv)
}

/// What [`serve_opened`] saw of the browser `inprof web` opened.
pub struct Opened {
    /// The server, killed when dropped.
    pub server: KillOnDrop,
    /// The URL it printed.
    pub url: String,
    /// The one argument the browser opener (`xdg-open`) was given.
    pub arg: String,
}

/// Serves `file` with `inprof web` as on a desktop (`DISPLAY` set), its
/// config directory `scratch/config`, with an `xdg-open` of the test's
/// in `scratch/bin` that writes down the argument it is given and opens
/// nothing.
pub fn serve_opened(file: &Path, scratch: &Path) -> Opened {
    let (path, argv) = fake_opener(scratch);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inprof"));
    cmd.args(["web", file.to_str().unwrap(), "--port", "0"])
        .env("DISPLAY", ":99")
        .env("PATH", path)
        .env("INPROF_CONFIG_DIR", scratch.join("config"));
    let (server, url) = start(cmd);
    let t0 = std::time::Instant::now();
    while !argv.exists() {
        assert!(t0.elapsed().as_secs() < 10, "xdg-open never ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let arg = std::fs::read_to_string(&argv).unwrap();
    Opened { server, url, arg }
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
