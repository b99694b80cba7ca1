//! The gops-style agent: the pprof endpoint on an ephemeral loopback port,
//! announced in a file named after the process id so that the `inprof` CLI
//! finds it by PID.
//!
//! Any local user can connect to a loopback port, so unlike gops the agent
//! answers only requests that carry a token: one it makes at start from the
//! system's random source and writes beside the port in its 0600 port
//! file, so that only this user (who can read the file) and root reach the
//! process's profiles, command line and thread stacks.

use crate::serve::files;
use crate::serve::http::{self, Options, Server};
use crate::Error;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Options for [`listen`].
#[derive(Debug, Clone, Default)]
pub struct AgentOptions {
    /// Where the port file goes; default [`config_dir`].
    pub config_dir: Option<PathBuf>,
    /// Require `Authorization: Bearer TOKEN` with this token, which the
    /// port file does not hold (CLI users pass it: `inprof --token T`).
    /// `None` (the default): the agent makes a random token of its own and
    /// writes it in the port file, where the CLI reads it.
    pub token: Option<String>,
}

/// The directory the agent and the CLI use for port files:
/// `$INPROF_CONFIG_DIR`, else `$XDG_CONFIG_HOME/inprof`, else
/// `~/.config/inprof` (`~` is `$HOME`, else the user's home in the
/// password database), else `inprof-UID` in the temporary directory.
/// Never under a shared directory another user could have made (such as
/// `/tmp/.config`), where they could swap the directory for another.
pub fn config_dir() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    config_dir_from(var, passwd_home)
}

fn config_dir_from(
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
    passwd_home: impl FnOnce() -> Option<PathBuf>,
) -> PathBuf {
    if let Some(d) = var("INPROF_CONFIG_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = var("XDG_CONFIG_HOME") {
        return PathBuf::from(d).join("inprof");
    }
    if let Some(home) = var("HOME").map(PathBuf::from).or_else(passwd_home) {
        return home.join(".config").join("inprof");
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[cfg(unix)]
    let uid = unsafe { libc::geteuid() };
    #[cfg(not(unix))]
    let uid = 0;
    // Straight in the (sticky) temporary directory: another user can
    // neither rename it nor, having made it first, get it used (it would
    // not be ours, and is refused).
    std::env::temp_dir().join(format!("inprof-{uid}"))
}

/// This user's home directory from the password database (a daemon
/// started without `HOME`).
#[cfg(unix)]
fn passwd_home() -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let mut buf = vec![0u8; 4096];
    loop {
        // SAFETY: `passwd` is a C struct of pointers and integers, for
        // which all zeroes is a valid value.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `pw`, `buf` (with its true length) and `found` are valid
        // for writes for the whole call; geteuid has no preconditions.
        let r = unsafe {
            libc::getpwuid_r(
                libc::geteuid(),
                &mut pw,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if r == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if r != 0 || found.is_null() || pw.pw_dir.is_null() {
            return None;
        }
        // SAFETY: on success `pw_dir` points to a NUL-terminated string
        // inside `buf`, which outlives this borrow.
        let dir = unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) };
        let dir = PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes()));
        return dir.is_absolute().then_some(dir);
    }
}

#[cfg(not(unix))]
fn passwd_home() -> Option<PathBuf> {
    None
}

/// A running agent.
pub struct Agent {
    server: Server,
    file: PathBuf,
    token: String,
}

impl Agent {
    /// The address of its endpoint.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.server.local_addr()
    }

    /// The port file.
    pub fn port_file(&self) -> &Path {
        &self.file
    }

    /// The token its endpoint requires (`Authorization: Bearer TOKEN`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Stops the agent and removes its port file.
    pub fn close(self) {
        self.server.shutdown();
        cleanup();
    }
}

/// The port file and the process that wrote it.
static PORT_FILE: Mutex<Option<(PathBuf, u32)>> = Mutex::new(None);

/// Removes the port file (at process exit), only in the process that
/// wrote it: a forked child that exits leaves its parent's file alone.
pub(crate) fn cleanup() {
    if let Ok(mut f) = PORT_FILE.lock() {
        if let Some((p, pid)) = f.take() {
            if pid == std::process::id() {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// Starts the agent, like gops' `agent.Listen`: the endpoint on
/// 127.0.0.1 with an ephemeral port, and the port in `CONFIG_DIR/PID`
/// (directory 0700, file 0600), removed at normal exit by this process (not
/// by a forked child). The directory must belong to this user and not be
/// writable by others; the file is never written through a symlink (see
/// [`files`]).
///
/// The endpoint answers only requests with `Authorization: Bearer TOKEN`
/// (else 401). With [`AgentOptions::token`] unset the agent makes the token
/// (128 bits from `/dev/urandom`) and the port file holds two lines, the
/// port and the token; with a token given it holds the port alone.
///
/// ```no_run
/// inprof::agent::listen(Default::default())?;
/// # Ok::<(), inprof::Error>(())
/// ```
pub fn listen(opts: AgentOptions) -> Result<Agent, Error> {
    let dir = opts.config_dir.clone().unwrap_or_else(config_dir);
    files::make_private_dir(&dir)
        .map_err(|e| Error::Serve(format!("agent directory {}: {e}", dir.display())))?;
    let (token, own_token) = match opts.token {
        Some(t) if !t.is_empty() => (t, false),
        Some(_) => return Err(Error::Serve("agent token: empty".into())),
        None => (
            crate::serve::server::random_token()
                .map_err(|e| Error::Serve(format!("agent token: {e}")))?,
            true,
        ),
    };
    let server = http::serve_with(
        "127.0.0.1:0",
        Options {
            token: Some(token.clone()),
            ..Options::default()
        },
    )?;
    let file = dir.join(std::process::id().to_string());
    let port = server.local_addr().port();
    let text = if own_token {
        format!("{port}\n{token}\n")
    } else {
        format!("{port}\n")
    };
    files::write_private(&file, text.as_bytes())
        .map_err(|e| Error::Serve(format!("writing {}: {e}", file.display())))?;
    if let Ok(mut f) = PORT_FILE.lock() {
        *f = Some((file.clone(), std::process::id()));
    }
    crate::serve::env::register_exit_hook();
    Ok(Agent {
        server,
        file,
        token,
    })
}

/// What an agent's port file holds: its port and, when the agent made its
/// own token, that token. `None` when the text is not a port file.
pub fn parse_port_file(text: &str) -> Option<(u16, Option<String>)> {
    let mut lines = text.lines();
    let port = lines.next()?.trim().parse().ok()?;
    let token = match lines.next().map(str::trim) {
        None | Some("") => None,
        Some(t) if t.bytes().all(|b| b.is_ascii_hexdigit()) => Some(t.to_owned()),
        Some(_) => return None,
    };
    if lines.any(|l| !l.trim().is_empty()) {
        return None;
    }
    Some((port, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(addr: std::net::SocketAddr, auth: &str) -> u16 {
        crate::serve::server::tests::request(addr, "/debug/inprof/version", auth).0
    }

    #[test]
    fn config_dirs() {
        use std::ffi::OsString;
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let home = || Some(PathBuf::from("/home/pw"));
        let dir = |vars, pw: Option<&str>| config_dir_from(env(vars), || pw.map(PathBuf::from));
        assert_eq!(
            config_dir_from(env(&[("INPROF_CONFIG_DIR", "/c"), ("HOME", "/h")]), home),
            PathBuf::from("/c")
        );
        assert_eq!(
            dir(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")], None),
            PathBuf::from("/x/inprof")
        );
        assert_eq!(
            dir(&[("HOME", "/h")], Some("/home/pw")),
            PathBuf::from("/h/.config/inprof")
        );
        assert_eq!(
            dir(&[], Some("/home/pw")),
            PathBuf::from("/home/pw/.config/inprof")
        );
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        assert_eq!(
            dir(&[], None),
            std::env::temp_dir().join(format!("inprof-{uid}"))
        );
        // The password database's home for this user, as /etc/passwd has
        // it (root's /root in CI).
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let line = passwd
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() >= 7 && f[2] == uid.to_string());
        if let Some(f) = line {
            assert_eq!(passwd_home(), Some(PathBuf::from(f[5])));
        }
    }

    #[test]
    fn port_files() {
        assert_eq!(parse_port_file("6060"), Some((6060, None)));
        assert_eq!(parse_port_file("6060\n"), Some((6060, None)));
        assert_eq!(
            parse_port_file("6060\n0aF9\n"),
            Some((6060, Some("0aF9".into())))
        );
        for bad in ["", "x", "70000", "6060\nnot hex\n", "6060\nab\ncd\n"] {
            assert_eq!(parse_port_file(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn random_tokens_are_128_bits_and_differ() {
        let (a, b) = (
            crate::serve::server::random_token().unwrap(),
            crate::serve::server::random_token().unwrap(),
        );
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, b);
    }

    /// Both agents of this test run in one process, one after the other
    /// (a port file is named after the process).
    #[test]
    fn the_agent_answers_only_with_its_token() {
        let dir = std::env::temp_dir().join(format!("inprof-agent-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let own = listen(AgentOptions {
            config_dir: Some(dir.clone()),
            ..Default::default()
        })
        .unwrap();
        let text = std::fs::read_to_string(own.port_file()).unwrap();
        let (port, token) = parse_port_file(&text).unwrap();
        assert_eq!(port, own.local_addr().port());
        assert_eq!(token.as_deref(), Some(own.token()));
        let addr = own.local_addr();
        assert_eq!(status(addr, ""), 401);
        assert_eq!(status(addr, "Authorization: Bearer wrong\r\n"), 401);
        let ok = format!("Authorization: Bearer {}\r\n", own.token());
        assert_eq!(status(addr, &ok), 200);
        own.close();

        let given = listen(AgentOptions {
            config_dir: Some(dir.clone()),
            token: Some("s3cret".into()),
        })
        .unwrap();
        let text = std::fs::read_to_string(given.port_file()).unwrap();
        assert_eq!(text, format!("{}\n", given.local_addr().port()));
        assert_eq!(status(given.local_addr(), ""), 401);
        let ok = "Authorization: Bearer s3cret\r\n";
        assert_eq!(status(given.local_addr(), ok), 200);
        given.close();

        let empty = listen(AgentOptions {
            config_dir: Some(dir.clone()),
            token: Some(String::new()),
        });
        assert!(empty.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
