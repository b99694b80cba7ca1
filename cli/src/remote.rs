//! Talking to a process: finding its endpoint by PID (the agent's port
//! file) or `host:port`, and fetching from it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The address of the endpoint of `target` (a PID or `host:port`).
pub fn resolve(target: &str) -> Result<String, String> {
    if target.contains(':') {
        return Ok(target.to_owned());
    }
    let pid: u32 = target
        .parse()
        .map_err(|_| format!("{target:?} is neither a PID nor host:port"))?;
    let dir = inprof_runtime::agent::config_dir();
    let file = dir.join(pid.to_string());
    if !alive(pid) {
        if file.exists() {
            let _ = std::fs::remove_file(&file);
        }
        return Err(format!("no process with PID {pid}"));
    }
    let port = std::fs::read_to_string(&file)
        .map_err(|_| format!("process {pid} has no inprof agent (no {})", file.display()))?;
    let port: u16 = port
        .trim()
        .parse()
        .map_err(|_| format!("bad port file {}", file.display()))?;
    Ok(format!("127.0.0.1:{port}"))
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn get(addr: &str, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    http_get(&format!("http://{addr}{path}"), timeout)
}

/// GETs `url`: the body, or a one-line error (pprof's `server response:
/// STATUS - BODY` for HTTP errors, `could not connect to ...` otherwise).
pub fn http_get(url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    match agent.get(url).call() {
        Ok(r) => {
            let mut body = Vec::new();
            r.into_reader()
                .take(1 << 30)
                .read_to_end(&mut body)
                .map_err(|e| format!("reading {url}: {e}"))?;
            Ok(body)
        }
        Err(ureq::Error::Status(code, r)) => {
            let msg = r.into_string().unwrap_or_default();
            Err(format!("{url}: server response: {code} - {}", msg.trim()))
        }
        Err(ureq::Error::Transport(t)) => {
            let host = url
                .split("//")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or(url);
            let why = t.to_string();
            let why = if why.contains("Connection refused") {
                "connection refused".to_owned()
            } else {
                why
            };
            Err(format!("could not connect to {host}: {why}"))
        }
    }
}

/// Prints the text at `path` of `target`.
pub fn print_text(target: &str, path: &str) -> Result<(), String> {
    let addr = resolve(target)?;
    let body = get(&addr, path, Duration::from_secs(30))?;
    std::io::stdout()
        .write_all(&body)
        .map_err(|e| format!("writing output: {e}"))
}

/// Fetches a binary profile and writes it to `output`.
pub fn fetch_profile(
    target: &str,
    name: &str,
    path: &str,
    seconds: Option<u64>,
    output: Option<String>,
) -> Result<(), String> {
    let addr = resolve(target)?;
    let timeout = Duration::from_secs(seconds.unwrap_or(0) + 30);
    let body = match seconds {
        Some(s) if s > 0 => with_progress(s, || get(&addr, path, timeout))?,
        _ => get(&addr, path, timeout)?,
    };
    let out = output.unwrap_or_else(|| format!("inprof-{}-{name}.pb.gz", target.replace(':', "_")));
    if out == "-" {
        return std::io::stdout()
            .write_all(&body)
            .map_err(|e| e.to_string());
    }
    inprof_runtime::serve::files::write_private(Path::new(&out), &body)
        .map_err(|e| format!("writing {out}: {e}"))?;
    eprintln!(
        "wrote {out} ({} bytes); read it with: go tool pprof -top {out}",
        body.len()
    );
    Ok(())
}

/// Runs `f` while a progress bar counts `seconds` (only on a terminal).
fn with_progress<T>(seconds: u64, f: impl FnOnce() -> T + Send) -> T
where
    T: Send,
{
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return f();
    }
    let pb = indicatif::ProgressBar::new(seconds);
    pb.set_style(
        indicatif::ProgressStyle::with_template("profiling {bar:40} {pos}/{len}s")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    std::thread::scope(|s| {
        let h = s.spawn(f);
        while !h.is_finished() {
            std::thread::sleep(Duration::from_millis(200));
            let el = pb.elapsed().as_secs().min(seconds);
            pb.set_position(el);
        }
        pb.finish_and_clear();
        h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Lists processes with an agent (and removes port files of dead ones).
pub fn ps() -> Result<(), String> {
    let dir = inprof_runtime::agent::config_dir();
    let mut rows = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(_) => {
            println!(
                "{:>7} {:>7} {:<16} {:<14} PATH",
                "PID", "PPID", "NAME", "VERSION"
            );
            return Ok(());
        }
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if !alive(pid) {
            let _ = std::fs::remove_file(e.path());
            continue;
        }
        let (ppid, name) = stat(pid);
        let exe =
            std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_else(|_| PathBuf::from("?"));
        let version = resolve(&pid.to_string())
            .and_then(|a| get(&a, "/debug/inprof/version", Duration::from_secs(2)))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .trim()
                    .trim_start_matches("inprof ")
                    .to_owned()
            });
        let (mark, version) = match version {
            Ok(v) => ("*", v),
            Err(_) => (" ", "?".to_owned()),
        };
        rows.push((pid, ppid, name, mark, version, exe));
    }
    rows.sort_by_key(|r| r.0);
    println!(
        "{:>7} {:>7} {:<16} {:<14} PATH",
        "PID", "PPID", "NAME", "VERSION"
    );
    for (pid, ppid, name, mark, version, exe) in rows {
        println!(
            "{pid:>7} {ppid:>7} {name:<16} {mark}{version:<13} {}",
            exe.display()
        );
    }
    Ok(())
}

/// (PPID, name) from /proc/PID/stat.
fn stat(pid: u32) -> (u32, String) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let name = s
        .find('(')
        .zip(s.rfind(')'))
        .map(|(a, b)| s[a + 1..b].to_owned())
        .unwrap_or_default();
    let ppid = s
        .rfind(')')
        .and_then(|i| s[i + 1..].split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (ppid, name)
}
