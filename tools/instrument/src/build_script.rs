//! A package's build script and the files it compiles into itself.
//!
//! A build script is compiled before the package, against its
//! build-dependencies only: it cannot name inprof, so neither it nor any
//! file it compiles in may take the attribute. Cargo finds the script at
//! `build.rs`, or where the manifest's `package.build` says (rustversion
//! 1.0.23: `build = "build/build.rs"`, which declares `mod rustc;`, that
//! is `build/rustc.rs`); `build = false` says there is none.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use syn::visit::Visit;

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
        let mut files = BTreeSet::new();
        let Some(script) = script_path(package) else {
            return Ok(BuildScript { files });
        };
        let Ok(script) = std::fs::canonicalize(script) else {
            return Ok(BuildScript { files });
        };
        // Each file with the directory its `mod x;` children are found in.
        let mut todo = vec![(script.clone(), dir_of(&script))];
        while let Some((file, children)) = todo.pop() {
            if !files.insert(file.clone()) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let Some(ast) = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| syn::parse_file(s).ok())
            else {
                continue;
            };
            let mut v = Modules {
                file_dir: dir_of(&file),
                children,
                inline: Vec::new(),
                found: Vec::new(),
            };
            v.visit_file(&ast);
            for (f, d) in v.found {
                if let Ok(f) = std::fs::canonicalize(&f) {
                    todo.push((f, d));
                }
            }
        }
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

fn dir_of(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Finds the module files and included files one source file names.
struct Modules {
    /// The file's directory: `include!` and a top-level `#[path]` are
    /// relative to it.
    file_dir: PathBuf,
    /// Where the file's own `mod x;` children live: its directory for a
    /// crate root, a `mod.rs` or a file loaded by `#[path]`; `a/` beside
    /// any other `a.rs`.
    children: PathBuf,
    /// The inline modules (`mod x { .. }`) the visitor is inside.
    inline: Vec<String>,
    /// The files found, each with the directory of its own children.
    found: Vec<(PathBuf, PathBuf)>,
}

impl Modules {
    fn nested(&self, base: &Path) -> PathBuf {
        let mut d = base.to_path_buf();
        for m in &self.inline {
            d.push(m);
        }
        d
    }
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

impl<'ast> Visit<'ast> for Modules {
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if m.path.segments.last().is_some_and(|s| s.ident == "include") {
            if let Ok(lit) = m.parse_body::<syn::LitStr>() {
                let f = self.file_dir.join(lit.value());
                let d = dir_of(&f);
                self.found.push((f, d));
            }
        }
        syn::visit::visit_macro(self, m);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let name = m.ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_string();
        match (&m.content, path_attr(&m.attrs)) {
            (Some((_, items)), p) => {
                // An inline module: `#[path]` on it names the directory of
                // what it declares (rare; taken as a plain name otherwise).
                self.inline.push(p.unwrap_or(name));
                for i in items {
                    self.visit_item(i);
                }
                self.inline.pop();
            }
            (None, Some(p)) => {
                // Outside inline modules relative to the file's directory;
                // inside them, to the directory they name.
                let base = if self.inline.is_empty() {
                    self.file_dir.clone()
                } else {
                    self.nested(&self.children)
                };
                let f = base.join(p);
                let d = dir_of(&f);
                self.found.push((f, d));
            }
            (None, None) => {
                let base = self.nested(&self.children);
                let flat = base.join(format!("{name}.rs"));
                if flat.exists() {
                    self.found.push((flat, base.join(&name)));
                } else {
                    let f = base.join(&name).join("mod.rs");
                    self.found.push((f, base.join(&name)));
                }
            }
        }
    }
}
