//! Files that expose the process (profiles, the agent's port file):
//! readable by this user only.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (and parents) readable by this user only.
pub fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Writes `data` to `path`, created readable and writable by this user only.
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = open_private(path)?;
    f.write_all(data)?;
    f.flush()
}

/// Creates (truncating) `path` with mode 0600.
pub fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        o.mode(0o600);
        let f = o.open(path)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    {
        o.open(path)
    }
}
