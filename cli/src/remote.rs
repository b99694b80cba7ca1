//! Talking to a process: finding its endpoint by PID (the agent's port
//! file) or `host:port`, and fetching from it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where to reach a process: its endpoint's address and the token to send
/// (the agent's own, from its port file, else `--token`).
pub struct Endpoint {
    addr: String,
    token: Option<String>,
}

/// The endpoint of `target` (a PID or `host:port`). A PID's port file must
/// be a regular file of this user's in a private config directory, and the
/// process listening there must answer as the inprof agent of that PID.
pub fn resolve(target: &str) -> Result<Endpoint, String> {
    if target.contains(':') {
        return Ok(Endpoint {
            addr: target.to_owned(),
            token: None,
        });
    }
    let pid: u32 = target
        .parse()
        .map_err(|_| format!("{target:?} is neither a PID nor host:port"))?;
    let dir = inprof_runtime::agent::config_dir();
    inprof_runtime::serve::files::check_private_dir(&dir)
        .map_err(|e| format!("agent directory: {e}"))?;
    let file = dir.join(pid.to_string());
    if !alive(pid) {
        remove_stale(&file);
        return Err(format!("no process with PID {pid}"));
    }
    match agent_at(&file, pid) {
        Agent::Verified(addr) => Ok(addr),
        Agent::NeedsToken(addr) => Err(format!(
            "the agent of process {pid} at {addr} requires a token (--token or INPROF_TOKEN)"
        )),
        Agent::NotOurs(why) | Agent::Stale(why) => {
            Err(format!("process {pid} has no inprof agent ({why})"))
        }
    }
}

/// What a port file says about a live process.
enum Agent {
    /// An agent answered with this PID at this address.
    Verified(Endpoint),
    /// An agent answered 401: it needs a token we do not have.
    NeedsToken(String),
    /// The file is not one we may trust (not ours, not a regular file, ...).
    NotOurs(String),
    /// Nothing answers as that PID's agent (the PID was reused, ...).
    Stale(String),
}

fn agent_at(file: &Path, pid: u32) -> Agent {
    if !inprof_runtime::serve::files::is_own_regular_file(file) {
        return Agent::NotOurs(format!("no port file of this user at {}", file.display()));
    }
    let Some((port, token)) = std::fs::read_to_string(file)
        .ok()
        .and_then(|s| inprof_runtime::agent::parse_port_file(&s))
    else {
        return Agent::NotOurs(format!("{} does not hold a port", file.display()));
    };
    let at = Endpoint {
        addr: format!("127.0.0.1:{port}"),
        token,
    };
    match get(&at, "/debug/inprof/stats", Duration::from_secs(2)) {
        Ok(body) => {
            let text = String::from_utf8_lossy(&body);
            let answered = text
                .lines()
                .find_map(|l| l.strip_prefix("pid: "))
                .and_then(|v| v.trim().parse::<u32>().ok());
            if answered == Some(pid) {
                Agent::Verified(at)
            } else {
                Agent::Stale(format!("{} is not the agent of process {pid}", at.addr))
            }
        }
        Err(e) if e.contains("server response: 401") => Agent::NeedsToken(at.addr),
        Err(e) => Agent::Stale(e),
    }
}

/// Removes a port file left by a process that is gone, if it is ours.
fn remove_stale(file: &Path) {
    if inprof_runtime::serve::files::is_own_regular_file(file) {
        let _ = std::fs::remove_file(file);
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn get(at: &Endpoint, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let token = at.token.as_deref().or(TOKEN.get().map(String::as_str));
    fetch(&format!("http://{}{path}", at.addr), timeout, token)
}

static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sends `Authorization: Bearer TOKEN` with every request from now on (the
/// `--token` option, or `INPROF_TOKEN`).
pub fn set_token(token: String) {
    let _ = TOKEN.set(token);
}

/// GETs `url` with the `--token` if one was given: the body, or a
/// one-line error (pprof's `server response: STATUS - BODY` for HTTP
/// errors, `could not connect to ...` otherwise).
pub fn http_get(url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    fetch(url, timeout, TOKEN.get().map(String::as_str))
}

fn fetch(url: &str, timeout: Duration, token: Option<&str>) -> Result<Vec<u8>, String> {
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let mut req = agent.get(url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    match req.call() {
        Ok(r) => {
            let mut body = Vec::new();
            r.into_reader()
                .take(crate::view::max_bytes() as u64 + 1)
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
    let at = resolve(target)?;
    let body = get(&at, path, Duration::from_secs(30))?;
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
    let at = resolve(target)?;
    let timeout = Duration::from_secs(seconds.unwrap_or(0) + 30);
    let body = match seconds {
        Some(s) if s > 0 => with_progress(s, || get(&at, path, timeout))?,
        _ => get(&at, path, timeout)?,
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

/// Lists processes with a verified agent (and removes this user's port
/// files of processes that are gone).
pub fn ps() -> Result<(), String> {
    let dir = inprof_runtime::agent::config_dir();
    let header = || {
        println!(
            "{:>7} {:>7} {:<16} {:<14} PATH",
            "PID", "PPID", "NAME", "VERSION"
        )
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(_) => {
            header();
            return Ok(());
        }
    };
    inprof_runtime::serve::files::check_private_dir(&dir)
        .map_err(|e| format!("agent directory: {e}"))?;
    let mut rows = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let file = e.path();
        if !alive(pid) {
            remove_stale(&file);
            continue;
        }
        let at = match agent_at(&file, pid) {
            Agent::Verified(a) => a,
            Agent::NeedsToken(_) => {
                rows.push((pid, "?".to_owned(), "(token needed)".to_owned()));
                continue;
            }
            Agent::NotOurs(_) | Agent::Stale(_) => continue,
        };
        let version = get(&at, "/debug/inprof/version", Duration::from_secs(2))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .trim()
                    .trim_start_matches("inprof ")
                    .to_owned()
            })
            .unwrap_or_else(|_| "?".to_owned());
        rows.push((pid, "*".to_owned(), version));
    }
    rows.sort_by_key(|r| r.0);
    header();
    for (pid, mark, version) in rows {
        let (ppid, name) = stat(pid);
        let exe =
            std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_else(|_| PathBuf::from("?"));
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
