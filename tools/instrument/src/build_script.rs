//! A package's build script and the files it compiles into itself.
//!
//! A build script is compiled before the package, against its
//! build-dependencies only: it cannot name inprof, so neither it nor any
//! file it compiles in may take the attribute. Cargo finds the script at
//! `build.rs`, or where the manifest's `package.build` says (rustversion
//! 1.0.23: `build = "build/build.rs"`, which declares `mod rustc;`, that
//! is `build/rustc.rs`); `build = false` says there is none.

use crate::modules::{dir_of, reach};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A package's build script and every file it compiles in: its modules
/// (`mod x;`, `#[path = ".."] mod x;`, followed file to file the way rustc
/// finds them) and the files it includes (`include!("..")`), canonical.
/// Empty where the package has no build script.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BuildScript {
    files: BTreeSet<PathBuf>,
}

impl BuildScript {
    /// The build script of the package at `package` (the directory of its
    /// `Cargo.toml`) and the files it compiles in. A file that does not
    /// parse is counted without its modules; a path that does not exist is
    /// left out. A manifest that does not parse is taken to say nothing
    /// (the script is then `build.rs`, as Cargo's default).
    pub fn of(package: &Path) -> std::io::Result<Self> {
        let script = script_path(package).and_then(|s| std::fs::canonicalize(s).ok());
        let files = match script {
            Some(script) => {
                let children = dir_of(&script);
                reach(vec![(script, children, false)])
                    .into_iter()
                    .map(|(f, _)| f)
                    .collect()
            }
            None => BTreeSet::new(),
        };
        Ok(BuildScript { files })
    }

    /// Whether `path` is the build script or a file it compiles in (`path`
    /// is made canonical first; a path that does not exist is not).
    pub fn contains(&self, path: &Path) -> bool {
        !self.files.is_empty() && std::fs::canonicalize(path).is_ok_and(|c| self.files.contains(&c))
    }

    /// The files, canonical: the build script and those it compiles in.
    pub fn files(&self) -> &BTreeSet<PathBuf> {
        &self.files
    }
}

/// Where the manifest at `package` puts the build script: `package.build`
/// if a path, none if `false`, else `build.rs`.
fn script_path(package: &Path) -> Option<PathBuf> {
    let manifest = manifest(package);
    let build = manifest
        .as_ref()
        .and_then(|m| m.get("package"))
        .and_then(|p| p.get("build"));
    match build {
        Some(toml::Value::String(s)) => Some(package.join(s)),
        Some(toml::Value::Boolean(false)) => None,
        _ => Some(package.join("build.rs")),
    }
}

/// The manifest (`Cargo.toml`) of the package at `package`, parsed; `None`
/// where it is missing or does not parse.
pub fn manifest(package: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(package.join("Cargo.toml"))
        .ok()?
        .parse()
        .ok()
}
