//! Following a crate's module tree file to file, the way rustc finds
//! module files: for a build script's files ([`crate::BuildScript`]) and
//! for the files rustc reads under `#[no_implicit_prelude]`
//! ([`PreludeLess`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The files under a directory that rustc reads under
/// `#[no_implicit_prelude]` without saying so themselves: a module file
/// whose declaration says it (`#[no_implicit_prelude] mod hygiene;`), or
/// that an inline module saying it declares, or a module or included file
/// of such a file, at any depth. There no crate is in scope by name, so
/// the attribute is written `#[::inprof::profile]` (a file saying
/// `#![no_implicit_prelude]` itself is seen by
/// [`crate::instrument_source`] alone).
///
/// Every `.rs` file of the directory is followed, each from the
/// directory of its own children as rustc has it: a crate root (`lib.rs`,
/// `main.rs`, a `build.rs`, a file directly in `src/bin/`, `tests/`,
/// `examples/` or `benches/`) and a `mod.rs` declare their children
/// beside them, any other `x.rs` in `x/`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PreludeLess {
    files: BTreeSet<PathBuf>,
}

impl PreludeLess {
    /// The files under `dir` read under `#[no_implicit_prelude]` by their
    /// parent module's word (canonical). Files that do not parse name no
    /// modules; paths that do not exist are left out.
    pub fn of(dir: &Path) -> std::io::Result<Self> {
        let mut starts = Vec::new();
        for f in crate::rust_files(dir)? {
            let children = natural_children(&f);
            if let Ok(f) = std::fs::canonicalize(&f) {
                starts.push((f, children, false));
            }
        }
        let files = reach(starts)
            .into_iter()
            .filter_map(|(f, no_prelude)| no_prelude.then_some(f))
            .collect();
        Ok(PreludeLess { files })
    }

    /// Whether rustc reads `path` under `#[no_implicit_prelude]` by its
    /// parent module's word (`path` is made canonical first).
    pub fn contains(&self, path: &Path) -> bool {
        !self.files.is_empty() && std::fs::canonicalize(path).is_ok_and(|c| self.files.contains(&c))
    }

    /// The files, canonical.
    pub fn files(&self) -> &BTreeSet<PathBuf> {
        &self.files
    }
}

/// Every file reached from `starts` through the modules and includes each
/// names, file to file, `starts` included: each start is a canonical file,
/// the directory of its `mod x;` children, and whether rustc reads it
/// under `#[no_implicit_prelude]`; each file reached comes with that flag
/// (a file reached both ways, twice). A file that does not parse names
/// nothing; a path that does not exist is left out.
pub(crate) fn reach(starts: Vec<(PathBuf, PathBuf, bool)>) -> BTreeSet<(PathBuf, bool)> {
    let mut seen = BTreeSet::new();
    let mut reached = BTreeSet::new();
    let mut todo = starts;
    while let Some((file, children, no_prelude)) = todo.pop() {
        if !seen.insert((file.clone(), children.clone(), no_prelude)) {
            continue;
        }
        reached.insert((file.clone(), no_prelude));
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let Some(ast) = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| syn::parse_file(s).ok())
        else {
            continue;
        };
        for (f, d, np) in Modules::of(&file, children, no_prelude, &ast) {
            if let Ok(f) = std::fs::canonicalize(&f) {
                todo.push((f, d, np));
            }
        }
    }
    reached
}

/// Where a file's `mod x;` children live when it is not reached from its
/// parent module: beside a crate root or a `mod.rs`, else in `x/` beside
/// `x.rs`.
fn natural_children(file: &Path) -> PathBuf {
    let dir = dir_of(file);
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let package = dir.parent().is_some_and(|p| p.join("Cargo.toml").exists());
    let bin = parent == "bin" && dir.parent().is_some_and(|p| p.ends_with("src"));
    let root = matches!(name, "lib.rs" | "main.rs" | "mod.rs" | "build.rs")
        || bin
        || (package && matches!(parent, "tests" | "examples" | "benches"));
    if root {
        dir
    } else {
        let stem = file.file_stem().and_then(|n| n.to_str()).unwrap_or("");
        dir.join(stem)
    }
}

pub(crate) fn dir_of(file: &Path) -> PathBuf {
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
    /// Whether the visitor is under `#[no_implicit_prelude]` (the file's,
    /// one its parent module said, or an inline module's around it).
    no_prelude: bool,
    /// The files found, each with the directory of its own children and
    /// whether rustc reads it under `#[no_implicit_prelude]`.
    found: Vec<(PathBuf, PathBuf, bool)>,
}

impl Modules {
    /// The files `ast` (the file `file`, whose `mod x;` children live in
    /// `children`, read under `#[no_implicit_prelude]` where `no_prelude`)
    /// names: each with the directory of its own children and whether it
    /// is read under `#[no_implicit_prelude]`.
    fn of(
        file: &Path,
        children: PathBuf,
        no_prelude: bool,
        ast: &syn::File,
    ) -> Vec<(PathBuf, PathBuf, bool)> {
        let mut v = Modules {
            file_dir: dir_of(file),
            children,
            inline: Vec::new(),
            no_prelude: no_prelude || has_attr(&ast.attrs, "no_implicit_prelude"),
            found: Vec::new(),
        };
        v.visit_file(ast);
        v.found
    }

    fn nested(&self, base: &Path) -> PathBuf {
        let mut d = base.to_path_buf();
        for m in &self.inline {
            d.push(m);
        }
        d
    }
}

/// Whether one of `attrs` is `#[name]` (a path of one segment).
pub(crate) fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name))
}

/// Whether `attrs` say `#[name]`, written or under `cfg_attr` (eyre
/// 0.6.14 declares its traits' methods
/// `#[cfg_attr(track_caller, track_caller)]`, its build script's cfg): a
/// `cfg_attr` that names it anywhere counts.
pub(crate) fn says_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        has_attr(std::slice::from_ref(a), name)
            || matches!(&a.meta, syn::Meta::List(l)
                if l.path.is_ident("cfg_attr") && names(l.tokens.clone(), name))
    })
}

/// Whether the identifier `name` occurs in `ts`, at any depth.
pub(crate) fn names(ts: proc_macro2::TokenStream, name: &str) -> bool {
    ts.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => names(g.stream(), name),
        _ => false,
    })
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
                // Expanded in place: read as the code around it is.
                let f = self.file_dir.join(lit.value());
                let d = dir_of(&f);
                self.found.push((f, d, self.no_prelude));
            }
        }
        syn::visit::visit_macro(self, m);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let name = m.ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_string();
        let no_prelude = self.no_prelude || has_attr(&m.attrs, "no_implicit_prelude");
        match (&m.content, path_attr(&m.attrs)) {
            (Some((_, items)), p) => {
                // An inline module: `#[path]` on it names the directory of
                // what it declares (rare; taken as a plain name otherwise).
                self.inline.push(p.unwrap_or(name));
                let outer = std::mem::replace(&mut self.no_prelude, no_prelude);
                for i in items {
                    self.visit_item(i);
                }
                self.no_prelude = outer;
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
                self.found.push((f, d, no_prelude));
            }
            (None, None) => {
                let base = self.nested(&self.children);
                let flat = base.join(format!("{name}.rs"));
                if flat.exists() {
                    self.found.push((flat, base.join(&name), no_prelude));
                } else {
                    let f = base.join(&name).join("mod.rs");
                    self.found.push((f, base.join(&name), no_prelude));
                }
            }
        }
    }
}
