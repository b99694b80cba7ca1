//! Files that expose the process (profiles, the agent's port file):
//! readable by this user only, and never written through a path someone
//! else prepared.
//!
//! A file is written to a temporary file created next to its destination
//! with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600 (so it is private
//! before a byte is written, and a planted file or symlink makes the
//! creation fail rather than be followed), then renamed over the
//! destination: a symlink at the destination is replaced, never followed,
//! and in a sticky shared directory another user's file is left alone
//! (the rename fails). Directories are created 0700; an existing directory
//! is never chmod-ed, and one owned by another user or writable by group
//! or others is refused.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A private file being written; [`PrivateFile::commit`] puts it in place.
/// Dropped without a commit, it leaves nothing behind.
pub struct PrivateFile {
    file: std::fs::File,
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

static NEXT_TMP: AtomicU64 = AtomicU64::new(0);

impl PrivateFile {
    /// Starts writing `dest` (created readable and writable by this user
    /// only once committed).
    pub fn create(dest: &Path) -> io::Result<PrivateFile> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut last = None;
        for _ in 0..16 {
            let n = NEXT_TMP.fetch_add(1, Ordering::Relaxed);
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".inprof-{}-{n}.tmp", std::process::id()));
            let tmp = dir.join(tmp_name);
            match create_new_private(&tmp) {
                Ok(file) => {
                    return Ok(PrivateFile {
                        file,
                        tmp,
                        dest: dest.to_path_buf(),
                        committed: false,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no temporary file name left")))
    }

    /// Flushes the data and renames the file over the destination.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.sync_all()?;
        std::fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        Ok(())
    }
}

impl Write for PrivateFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Creates `path`, which must not exist (not even as a symlink), with
/// mode 0600 from the start.
fn create_new_private(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    o.open(path)
}

/// Writes `data` to `path` as a private file (see the module docs).
pub fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut f = PrivateFile::create(path)?;
    f.write_all(data)?;
    f.commit()
}

/// Creates (or truncates) the file at `path` for a profile, readable and
/// writable by this user only: the private counterpart of
/// `std::fs::File::create` (Go's `os.Create`). Profiles show a process's
/// code, call paths and labels, so a file a program writes them to should
/// be as private as inprof's own files are.
///
/// The file is 0600 before a byte is written: a new one is created with
/// that mode, and an existing one of this user's is chmod-ed to it before
/// it is truncated. A symlink at `path` is refused (never followed), and
/// so is a file that belongs to another user or is not a regular file;
/// either is left as it was. (`path` is opened in place, so a writer that
/// fails midway leaves a partial file, as `File::create` does.)
///
/// ```
/// let file = std::env::temp_dir().join(format!("doc-private-{}.pb.gz", std::process::id()));
/// let guard = inprof::start_cpu_profile(inprof::create_private_file(&file)?)?;
/// guard.stop()?;
/// # #[cfg(unix)]
/// # {
/// use std::os::unix::fs::PermissionsExt;
/// assert_eq!(std::fs::metadata(&file)?.permissions().mode() & 0o777, 0o600);
/// # }
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create_private_file<P: AsRef<Path>>(path: P) -> io::Result<std::fs::File> {
    let path = path.as_ref();
    let mut o = std::fs::OpenOptions::new();
    // Not truncated at open: a file that turns out not to be ours must be
    // left as it was.
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK);
    }
    let not_regular = || {
        io::Error::other(format!(
            "{} is not a regular file (a FIFO, device or directory): refusing to write a profile to it",
            path.display()
        ))
    };
    let file = o.open(path).map_err(|e| match e.raw_os_error() {
        // O_NOFOLLOW on a symlink.
        #[cfg(unix)]
        Some(libc::ELOOP) => io::Error::new(
            e.kind(),
            format!(
                "{} is a symlink: refusing to follow it for a profile",
                path.display()
            ),
        ),
        // A FIFO with no reader, opened non-blocking for writing.
        #[cfg(unix)]
        Some(libc::ENXIO) => not_regular(),
        _ => io::Error::new(e.kind(), format!("{}: {e}", path.display())),
    })?;
    let md = file.metadata()?;
    if !md.is_file() {
        return Err(not_regular());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        check_owner(&md, path, "write a profile to it")?;
        if md.mode() & 0o7777 != 0o600 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        // Blocking from here on (O_NONBLOCK only kept a FIFO planted at
        // the path from hanging the open; it is refused above).
        // SAFETY: fcntl on a descriptor this `File` owns, with flags
        // read from that same descriptor just before.
        unsafe {
            use std::os::fd::AsRawFd;
            let fd = file.as_raw_fd();
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    file.set_len(0)?;
    Ok(file)
}

/// Creates `dir` and its missing parents with mode 0700 (an existing
/// directory is not changed), then checks it is private
/// ([`check_private_dir`]).
pub fn make_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    check_private_dir(dir)
}

/// Checks that `dir` is a directory owned by this user and not writable by
/// group or others: a place where nobody else can plant or swap files.
pub fn check_private_dir(dir: &Path) -> io::Result<()> {
    let md = std::fs::metadata(dir)?;
    if !md.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        check_owner(&md, dir, "use it")?;
        if md.mode() & 0o022 != 0 {
            return Err(io::Error::other(format!(
                "{} is writable by group or others (mode {:o}): refusing to use it",
                dir.display(),
                md.mode() & 0o7777
            )));
        }
    }
    Ok(())
}

/// Refuses `path` (whose metadata is `md`) unless this user owns it; the
/// error names the owner and what was refused (`refusing`, e.g. "use it").
#[cfg(unix)]
fn check_owner(md: &std::fs::Metadata, path: &Path, refusing: &str) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if md.uid() == me {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "{} belongs to uid {}, not to this user ({me}): refusing to {refusing}",
            path.display(),
            md.uid()
        ),
    ))
}

/// Whether `path` is a regular file (not a symlink) owned by this user.
pub fn is_own_regular_file(path: &Path) -> bool {
    let Ok(md) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !md.file_type().is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        md.uid() == unsafe { libc::geteuid() }
    }
    #[cfg(not(unix))]
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("inprof-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        make_private_dir(&d).unwrap();
        d
    }

    /// A 0644 file `victim` holding "precious" in `d`, and a symlink
    /// `name` to it planted where a file is to be written.
    fn planted_symlink(d: &Path, name: &str) -> (PathBuf, PathBuf) {
        let victim = d.join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = d.join(name);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        (victim, link)
    }

    #[test]
    fn written_private_from_the_start_and_a_planted_symlink_is_replaced_not_followed() {
        let d = scratch("symlink");
        let (victim, dest) = planted_symlink(&d, "123");
        write_private(&dest, b"4242").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        let vmode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
        assert_eq!(vmode, 0o644, "the victim was chmod-ed");
        let md = std::fs::symlink_metadata(&dest).unwrap();
        assert!(md.file_type().is_file());
        assert_eq!(md.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&dest).unwrap(), b"4242");
        // Nothing left over.
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing() {
        let d = scratch("uncommitted");
        let f = PrivateFile::create(&d.join("x")).unwrap();
        drop(f);
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_shared_directory_is_refused_and_never_chmod_ed() {
        let d = scratch("shared");
        let shared = d.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let e = make_private_dir(&shared).unwrap_err();
        assert!(e.to_string().contains("writable by group or others"), "{e}");
        let mode = std::fs::metadata(&shared).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o1777, "an existing directory was chmod-ed");
        // Another user's directory (testable when the tests run as root).
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let theirs = d.join("theirs");
            std::fs::create_dir(&theirs).unwrap();
            std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            let e = make_private_dir(&theirs).unwrap_err();
            assert!(e.to_string().contains("belongs to uid 65534"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_profile_file_is_private_new_or_rewritten() {
        let d = scratch("profile-file");
        let new = d.join("new.pb.gz");
        let mut f = create_private_file(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        f.write_all(b"profile").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&new).unwrap(), b"profile");
        // An existing file of ours, world-readable: private before it is
        // emptied and written.
        let old = d.join("old.pb.gz");
        std::fs::write(&old, b"an older, longer profile").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = create_private_file(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read(&old).unwrap(), b"", "not truncated");
        f.write_all(b"new").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&old).unwrap(), b"new");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_profile_file_refuses_a_symlink_a_fifo_and_another_users_file_and_leaves_them() {
        let d = scratch("profile-refused");
        let (victim, link) = planted_symlink(&d, "link.pb.gz");
        let e = create_private_file(&link).unwrap_err();
        assert!(e.to_string().contains("is a symlink"), "{e}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(mode(&victim), 0o644, "the symlink's target was chmod-ed");
        // A FIFO: refused at once, not waited on for a reader.
        let fifo = d.join("fifo.pb.gz");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = create_private_file(&fifo).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // Another user's file (testable when the tests run as root).
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let theirs = d.join("theirs.pb.gz");
            std::fs::write(&theirs, b"theirs").unwrap();
            std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o666)).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            let e = create_private_file(&theirs).unwrap_err();
            assert!(e.to_string().contains("belongs to uid 65534"), "{e}");
            assert_eq!(std::fs::read(&theirs).unwrap(), b"theirs");
            assert_eq!(mode(&theirs), 0o666);
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
