//! The gops-style agent: the pprof endpoint on an ephemeral loopback port,
//! announced in a file named after the process id so that the `inprof` CLI
//! finds it by PID.

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
    /// Require `Authorization: Bearer TOKEN`.
    pub token: Option<String>,
}

/// The directory the agent and the CLI use for port files:
/// `$INPROF_CONFIG_DIR`, else `$XDG_CONFIG_HOME/inprof`, else
/// `~/.config/inprof`.
pub fn config_dir() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("INPROF_CONFIG_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = var("XDG_CONFIG_HOME") {
        return PathBuf::from(d).join("inprof");
    }
    let home = var("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".config").join("inprof")
}

/// A running agent.
pub struct Agent {
    server: Server,
    file: PathBuf,
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
/// 127.0.0.1 with an ephemeral port, and the port (decimal, no newline)
/// in `CONFIG_DIR/PID` (directory 0700, file 0600), removed at normal exit
/// by this process (not by a forked child). The directory must belong to
/// this user and not be writable by others; the file is never written
/// through a symlink (see [`files`]).
///
/// ```no_run
/// inprof::agent::listen(Default::default())?;
/// # Ok::<(), inprof::Error>(())
/// ```
pub fn listen(opts: AgentOptions) -> Result<Agent, Error> {
    let dir = opts.config_dir.clone().unwrap_or_else(config_dir);
    files::make_private_dir(&dir)
        .map_err(|e| Error::Serve(format!("agent directory {}: {e}", dir.display())))?;
    let server = http::serve_with(
        "127.0.0.1:0",
        Options {
            token: opts.token.clone(),
            ..Options::default()
        },
    )?;
    let file = dir.join(std::process::id().to_string());
    let port = server.local_addr().port();
    files::write_private(&file, port.to_string().as_bytes())
        .map_err(|e| Error::Serve(format!("writing {}: {e}", file.display())))?;
    if let Ok(mut f) = PORT_FILE.lock() {
        *f = Some((file.clone(), std::process::id()));
    }
    crate::serve::env::register_exit_hook();
    Ok(Agent { server, file })
}
