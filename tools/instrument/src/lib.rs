//! Puts `#[inprof::profile]` on every `impl` block, every trait with
//! default methods and every free function of a crate's sources, the way a user would do it by hand: the attribute
//! is inserted as text right before the item's keywords (after its other
//! attributes and doc comments; above a function's attribute macro that
//! refuses attributes it does not know, see [`REFUSES`]), and nothing else
//! in the file changes, so lines, formatting and comments stay as they
//! were.
//!
//! Left alone: `const fn` (they may run at compile time), naked functions
//! (their body is assembly only), and functions an
//! attribute may make `const` (`#[rustversion::attr(since(1.83), const)]`,
//! which the macro refuses as it refuses a `const fn`), items already
//! annotated, traits without default methods, items inside macro
//! invocations (not parsed), files that do not parse, functions whose
//! body declares a module in another file (and impl blocks and traits
//! with such a method: rustc refuses such a module in an attribute
//! macro's input), and a package's build script and the files it
//! compiles in ([`BuildScript`]), the free functions of a module under
//! one of the [`REFUSES`] macros, and an annotated impl's methods under
//! `#[unsafe_target_feature]` (they are given `#[inprof::profile(skip)]`). Under
//! `#[no_implicit_prelude]` (a
//! file's, a module's, or one a file's parent module says: see
//! [`PreludeLess`]) the attribute is written `#[::inprof::profile]`.
//!
//! One more attribute where a user needs it: a trait declared in the
//! crate that declares a method `#[track_caller]` makes every impl's
//! method so without a word in the impl, which the attribute on the impl
//! cannot see (README, "Known limits"); the README asks a user to say
//! `#[track_caller]` on the impl's method as well, and so does this tool
//! (see [`CallerTracked`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::spanned::Spanned;
use syn::visit::Visit;

mod build_script;
mod modules;
pub use build_script::{manifest, BuildScript};
pub use modules::PreludeLess;

/// What instrumenting a directory did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Files changed.
    pub files: usize,
    /// What was annotated, summed over the files.
    pub counts: Counts,
    /// Files that did not parse, or are not UTF-8 (left as they were).
    pub skipped: Vec<PathBuf>,
    /// Files the package's build script compiles into itself (left as
    /// they were: see [`BuildScript`]).
    pub build_script: Vec<PathBuf>,
}

/// The `.rs` files under `dir`, in a stable order.
pub(crate) fn rust_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    Ok(files)
}

/// Instruments every `.rs` file under `dir` in place, but for the build
/// script of the package `dir` is (or whose `src` it is) and the files
/// that script compiles into itself ([`BuildScript`]).
pub fn instrument_dir(dir: &Path) -> std::io::Result<Report> {
    let mut report = Report::default();
    let tracked = CallerTracked::from_dir(dir)?;
    let package = if dir.join("Cargo.toml").exists() {
        Some(dir)
    } else {
        dir.parent()
            .filter(|p| dir.ends_with("src") && p.join("Cargo.toml").exists())
    };
    let script = match package {
        Some(p) => BuildScript::of(p)?,
        None => BuildScript::default(),
    };
    let prelude_less = PreludeLess::of(dir)?;
    for p in rust_files(dir)? {
        if script.contains(&p) {
            report.build_script.push(p);
            continue;
        }
        let Ok(src) = String::from_utf8(std::fs::read(&p)?) else {
            report.skipped.push(p);
            continue;
        };
        match instrument_module(&src, &tracked, prelude_less.contains(&p)) {
            Some((out, c)) => {
                if c.annotated() > 0 {
                    std::fs::write(&p, out)?;
                    report.files += 1;
                    report.counts += c;
                }
            }
            None => report.skipped.push(p),
        }
    }
    Ok(report)
}

/// The methods a crate's own traits declare `#[track_caller]`, gathered
/// from all its sources before any is instrumented ([`instrument_dir`]
/// does it; a caller of [`instrument_source_with`] uses
/// [`CallerTracked::from_dir`] or feeds each file to
/// [`CallerTracked::add_source`] first).
///
/// Rust makes an impl's method `#[track_caller]` where the trait's
/// declaration of it is, required or provided, without a word in the
/// impl; the attribute on the impl cannot see the declaration and would
/// run the body in a closure, so that a panic in it reported a line inside
/// the impl instead of the caller's. The tool says `#[track_caller]` on
/// such an impl method as well (allowed, and the same meaning), as the
/// README asks a user to. An impl names its trait by path, which the tool
/// does not resolve: it goes by the path's last name, and only where the
/// crate declares one trait of that name (two traits of one name in
/// different modules: neither is followed). Core's `Index` and
/// `IndexMut` are known to the attribute itself.
#[derive(Debug, Default, Clone)]
pub struct CallerTracked {
    /// Trait name → its `#[track_caller]` methods; None where the crate
    /// declares more than one trait of that name.
    by_trait: BTreeMap<String, Option<BTreeSet<String>>>,
}

impl CallerTracked {
    /// Gathers the traits of every `.rs` file under `dir` (a file that
    /// is not UTF-8, such as a test's data, adds nothing).
    pub fn from_dir(dir: &Path) -> std::io::Result<Self> {
        let mut tracked = Self::default();
        for p in rust_files(dir)? {
            if let Ok(src) = String::from_utf8(std::fs::read(p)?) {
                tracked.add_source(&src);
            }
        }
        Ok(tracked)
    }

    /// Gathers the traits one source file declares (at any depth: in
    /// modules and in function bodies). A file that does not parse adds
    /// nothing.
    pub fn add_source(&mut self, src: &str) {
        let Ok(file) = syn::parse_file(src) else {
            return;
        };
        struct Traits<'a>(&'a mut CallerTracked);
        impl<'ast> Visit<'ast> for Traits<'_> {
            fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
                let methods: BTreeSet<String> = t
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        syn::TraitItem::Fn(m) if says_attr(&m.attrs, "track_caller") => {
                            Some(m.sig.ident.to_string())
                        }
                        _ => None,
                    })
                    .collect();
                self.0
                    .by_trait
                    .entry(t.ident.to_string())
                    .and_modify(|seen| *seen = None)
                    .or_insert(Some(methods));
                syn::visit::visit_item_trait(self, t);
            }
        }
        Traits(self).visit_file(&file);
    }

    /// The `#[track_caller]` methods of the trait an impl names by
    /// `path`, if the crate declares exactly one trait of that name.
    fn methods(&self, path: &syn::Path) -> Option<&BTreeSet<String>> {
        let name = path.segments.last()?.ident.to_string();
        self.by_trait.get(&name)?.as_ref()
    }
}

use modules::{has_attr, names, says_attr};

/// How many items of each kind one file had annotated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// `impl` blocks.
    pub impls: usize,
    /// Traits with default methods.
    pub traits: usize,
    /// Free functions (and functions declared inside functions).
    pub fns: usize,
    /// Impl methods given `#[track_caller]` (see [`CallerTracked`]).
    pub track_caller: usize,
    /// Methods of annotated impls given `#[inprof::profile(skip)]` (see
    /// [`REFUSES`]).
    pub methods_skipped: usize,
}

impl Counts {
    /// Items annotated with `#[inprof::profile]` (impl blocks, traits and
    /// functions; not the `#[track_caller]` insertions, which only go
    /// where an impl block is annotated).
    pub fn annotated(&self) -> usize {
        self.impls + self.traits + self.fns
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, c: Counts) {
        self.impls += c.impls;
        self.traits += c.traits;
        self.fns += c.fns;
        self.track_caller += c.track_caller;
        self.methods_skipped += c.methods_skipped;
    }
}

/// What kind of item an insertion point annotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Impl,
    Trait,
    Fn,
    /// `#[track_caller]` on an impl's method.
    TrackCaller,
    /// `#[inprof::profile(skip)]` on an impl's method.
    Skip,
}

/// The source with the attribute inserted, and how many items of each
/// kind were annotated; None if it does not parse. Knows no trait of the
/// crate's (see [`instrument_source_with`]).
pub fn instrument_source(src: &str) -> Option<(String, Counts)> {
    instrument_source_with(src, &CallerTracked::default())
}

/// [`instrument_source`], giving an impl's method `#[track_caller]` where
/// `tracked` says its trait declares it so.
pub fn instrument_source_with(src: &str, tracked: &CallerTracked) -> Option<(String, Counts)> {
    instrument_module(src, tracked, false)
}

/// [`instrument_source_with`] for a file rustc reads under
/// `#[no_implicit_prelude]` where `prelude_less` says so (its parent
/// module's word: see [`PreludeLess`]); a file that says
/// `#![no_implicit_prelude]` itself is seen either way.
pub fn instrument_module(
    src: &str,
    tracked: &CallerTracked,
    prelude_less: bool,
) -> Option<(String, Counts)> {
    let file = syn::parse_file(src).ok()?;
    let mut v = Finder {
        points: Vec::new(),
        tracked,
        no_prelude: prelude_less || has_attr(&file.attrs, "no_implicit_prelude"),
        refusing: false,
    };
    v.visit_file(&file);
    // Insert from the end so earlier positions stay valid.
    let mut points: Vec<(usize, usize, Kind, bool)> = v.points;
    points.sort_by_key(|p| std::cmp::Reverse((p.0, p.1)));
    points.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = src.to_owned();
    let mut counts = Counts::default();
    for (line, col, kind, no_prelude) in points {
        let Some(&start) = line_starts.get(line.wrapping_sub(1)) else {
            continue;
        };
        // Columns are in characters.
        let off = src[start..]
            .char_indices()
            .nth(col)
            .map_or(src.len(), |(i, _)| start + i);
        match kind {
            Kind::TrackCaller => out.insert_str(off, "#[track_caller] "),
            Kind::Skip if no_prelude => out.insert_str(off, "#[::inprof::profile(skip)] "),
            Kind::Skip => out.insert_str(off, "#[inprof::profile(skip)] "),
            // Under `#[no_implicit_prelude]` no crate is in scope by name
            // (rustix 1.1.6's `cstr!` hygiene test): the path from the
            // root. Not elsewhere: an edition-2015 crate reads `::inprof`
            // as its own root.
            _ if no_prelude => out.insert_str(off, "#[::inprof::profile] "),
            _ => out.insert_str(off, "#[inprof::profile] "),
        }
        match kind {
            Kind::Impl => counts.impls += 1,
            Kind::Trait => counts.traits += 1,
            Kind::Fn => counts.fns += 1,
            Kind::TrackCaller => counts.track_caller += 1,
            Kind::Skip => counts.methods_skipped += 1,
        }
    }
    Some((out, counts))
}

struct Finder<'a> {
    /// (line, column, kind, under `#[no_implicit_prelude]`) where to
    /// insert.
    points: Vec<(usize, usize, Kind, bool)>,
    /// The crate's traits' `#[track_caller]` methods.
    tracked: &'a CallerTracked,
    /// Inside a module (or file) with `#[no_implicit_prelude]`.
    no_prelude: bool,
    /// Inside a module under one of the [`REFUSES`] macros.
    refusing: bool,
}

/// Whether `block` declares a module whose contents are in another file
/// (`#[path = ".."] mod lazy;` in a function body: getrandom 0.4.3), at
/// any depth. rustc refuses such a module in an attribute macro's input
/// ("file modules in proc macro input are unstable"), so the item around
/// it is left unannotated, as a user would have to.
fn declares_file_module(block: &syn::Block) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
            self.0 |= m.content.is_none();
            syn::visit::visit_item_mod(self, m);
        }
    }
    let mut f = Find(false);
    f.visit_block(block);
    f.0
}

fn annotated(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segs: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        segs.last().is_some_and(|l| l == "profile")
            || segs.first().is_some_and(|f| {
                f == "proc_macro" || f == "proc_macro_attribute" || f == "proc_macro_derive"
            })
    })
}

/// Whether an attribute may make the function `const` as it expands: the
/// `const` keyword among its arguments (the macro's rule too).
fn may_be_const(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::List(l) => names(l.tokens.clone(), "const"),
        _ => false,
    })
}

/// Whether the function is naked (`#[unsafe(naked)]`, `#[naked]`, or
/// either under `cfg_attr`): its body is one `naked_asm!`, and the
/// attribute refuses it as it refuses a `const fn` (an annotated impl
/// leaves such a method as written).
fn naked(attrs: &[syn::Attribute]) -> bool {
    says_attr(attrs, "naked")
        || attrs.iter().any(|a| {
            matches!(&a.meta, syn::Meta::List(l)
                if l.path.is_ident("unsafe") && names(l.tokens.clone(), "naked"))
        })
}

/// rustc's built-in attributes that may stand on an `impl` block.
const IMPL_BUILTIN: &[&str] = &[
    "allow",
    "automatically_derived",
    "cfg",
    "cfg_attr",
    "deny",
    "deprecated",
    "doc",
    "expect",
    "forbid",
    "must_use",
    "warn",
];

/// The first attribute macro on an `impl` block, if any (an attribute
/// that is neither built in nor in a tool's namespace: `rustfmt::`,
/// `clippy::`, `diagnostic::`). The attribute goes above it, so that
/// inprof's runs first and the macro is handed the instrumented impl: a
/// macro that rewrites an impl may not accept an attribute it does not
/// know in its input (musli 0.2.1's `#[crate::trait_defaults(crate)]`
/// stops the build at one: `expected `impl``). inprof on an impl, above
/// or below a macro, measures the same (tests/attribute_order.rs:
/// `#[async_trait]` in either order).
fn impl_macro(attrs: &[syn::Attribute]) -> Option<&syn::Attribute> {
    attrs.iter().find(|a| {
        let path = a.path();
        let tool = path.segments.len() > 1
            && path.leading_colon.is_none()
            && path.segments.first().is_some_and(|s| {
                ["rustfmt", "clippy", "diagnostic"]
                    .iter()
                    .any(|t| s.ident == t)
            });
        let builtin = path.leading_colon.is_none()
            && path.segments.len() == 1
            && IMPL_BUILTIN.iter().any(|b| path.segments[0].ident == b);
        !tool && !builtin
    })
}

/// Attribute macros that refuse, in the function they are handed, an
/// attribute they do not know (by the last segment of their path).
/// Functions keep `#[inprof::profile]` innermost, below their other
/// attribute macros, but for these:
/// - ntest's `test_case` (0.10.0) stops the build where an attribute below
///   it has a path of more than one segment (`custom attribute panicked:
///   Expected identifier!`: wildmatch 2.7.0's tests);
/// - curve25519-dalek-derive's `unsafe_target_feature` (0.1.1) takes only
///   `inline`, `test`, `doc`, `cfg`, `allow`, `deny` and `rustfmt::skip`
///   (`unsupported by #[unsafe_target_feature(...)]`: curve25519-dalek
///   5.0.0), and `unsafe_target_feature_specialize` does the same to
///   every function of the module it stands on.
///
/// On a function the attribute goes above the first of them, as a user
/// would write it: it then runs first, and the macro is handed the
/// instrumented function (each test ntest's cases make runs the
/// instrumented body; curve25519-dalek's function calls an inner one,
/// compiled for the target feature, that holds it). A method of an
/// annotated impl under `unsafe_target_feature` is given
/// `#[inprof::profile(skip)]`: the impl's attribute runs first, and the
/// macro moves the instrumented body into a function inside the method,
/// where the `Self` it names is out of reach (E0401). A module's macro runs before
/// any attribute on what it holds, so the free functions of a module under
/// one of them are left as written.
pub const REFUSES: &[&str] = &[
    "test_case",
    "unsafe_target_feature",
    "unsafe_target_feature_specialize",
];

/// The `#[unsafe_target_feature(..)]` among a method's `attrs`, if any:
/// the one of the [`REFUSES`] macros that moves the body it is handed
/// into a function of its own (see there).
fn moves_body(attrs: &[syn::Attribute]) -> Option<&syn::Attribute> {
    last_segment_in(attrs, &["unsafe_target_feature"])
}

/// The first of the [`REFUSES`] macros among `attrs`, if any.
fn refusing(attrs: &[syn::Attribute]) -> Option<&syn::Attribute> {
    last_segment_in(attrs, REFUSES)
}

/// The first attribute whose path ends in one of `names`.
fn last_segment_in<'a>(attrs: &'a [syn::Attribute], names: &[&str]) -> Option<&'a syn::Attribute> {
    attrs.iter().find(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| names.iter().any(|n| s.ident == n))
    })
}

impl Finder<'_> {
    fn at(&mut self, span: proc_macro2::Span, kind: Kind) {
        let s = span.start();
        self.points.push((s.line, s.column, kind, self.no_prelude));
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        // What a body declares is not handed to its module's macro.
        let refused = std::mem::replace(&mut self.refusing, false);
        syn::visit::visit_block(self, b);
        self.refusing = refused;
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let outer = self.no_prelude;
        self.no_prelude |= has_attr(&m.attrs, "no_implicit_prelude");
        let refused = self.refusing;
        self.refusing |= refusing(&m.attrs).is_some();
        syn::visit::visit_item_mod(self, m);
        self.no_prelude = outer;
        self.refusing = refused;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if f.sig.constness.is_none()
            && !may_be_const(&f.attrs)
            && !annotated(&f.attrs)
            && !declares_file_module(&f.block)
            && !self.refusing
            && !naked(&f.attrs)
        {
            let first = match (refusing(&f.attrs), &f.vis) {
                (Some(a), _) => a.span(),
                (None, syn::Visibility::Inherited) => f.sig.span(),
                (None, vis) => vis.span(),
            };
            self.at(first, Kind::Fn);
        }
        // Items declared inside the body.
        self.visit_block(&f.block);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let file_module = i
            .items
            .iter()
            .any(|it| matches!(it, syn::ImplItem::Fn(m) if declares_file_module(&m.block)));
        if !annotated(&i.attrs) && !file_module {
            let first = impl_macro(&i.attrs).map_or_else(
                || {
                    i.defaultness
                        .map(|d| d.span())
                        .or(i.unsafety.map(|u| u.span()))
                        .unwrap_or(i.impl_token.span())
                },
                Spanned::span,
            );
            self.at(first, Kind::Impl);
            // Methods the trait declares `#[track_caller]` say so too.
            let tracked = i
                .trait_
                .as_ref()
                .and_then(|(_, p, _)| self.tracked.methods(p));
            for item in &i.items {
                if let syn::ImplItem::Fn(m) = item {
                    if let Some(a) = moves_body(&m.attrs).filter(|_| !annotated(&m.attrs)) {
                        self.at(a.span(), Kind::Skip);
                    }
                    if tracked.is_some_and(|t| t.contains(&m.sig.ident.to_string()))
                        && !says_attr(&m.attrs, "track_caller")
                    {
                        let first = match (&m.vis, m.defaultness) {
                            (syn::Visibility::Inherited, Some(d)) => d.span(),
                            (syn::Visibility::Inherited, None) => m.sig.span(),
                            (vis, _) => vis.span(),
                        };
                        self.at(first, Kind::TrackCaller);
                    }
                }
            }
        }
        // Items declared inside method bodies.
        for item in &i.items {
            if let syn::ImplItem::Fn(m) = item {
                self.visit_block(&m.block);
            }
        }
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let defaults = t.items.iter().any(|i| {
            matches!(i, syn::TraitItem::Fn(m) if m.default.is_some() && m.sig.constness.is_none())
        });
        let file_module = t.items.iter().any(|it| {
            matches!(it, syn::TraitItem::Fn(m) if m.default.as_ref().is_some_and(declares_file_module))
        });
        if defaults && !annotated(&t.attrs) && !file_module {
            let first = match &t.vis {
                syn::Visibility::Inherited => t
                    .unsafety
                    .map(|u| u.span())
                    .or(t.auto_token.map(|a| a.span()))
                    .unwrap_or(t.trait_token.span()),
                vis => vis.span(),
            };
            self.at(first, Kind::Trait);
        }
        // Items declared inside default bodies.
        for item in &t.items {
            if let syn::TraitItem::Fn(m) = item {
                if let Some(b) = &m.default {
                    self.visit_block(b);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{
        instrument_dir, instrument_source, instrument_source_with, BuildScript, CallerTracked,
        Counts, PreludeLess,
    };

    #[test]
    fn annotates_impls_and_free_fns_where_a_user_would() {
        let src = "\
/// Docs.
#[inline]
pub fn a() -> u32 { 1 }

const fn c() -> u32 { 2 }

#[rustversion::attr(since(1.83), const)]
fn maybe_const() -> u32 { 3 }

impl S {
    fn m(&self) {
        fn nested() {}
    }
}

#[inprof::profile]
fn already() {}

unsafe impl Send for S {}

pub trait WithDefault {
    fn required(&self);
    fn provided(&self) {}
}

trait OnlyRequired {
    fn required(&self);
}
";
        let (out, c) = instrument_source(src).unwrap();
        assert_eq!((c.impls, c.traits, c.fns), (2, 1, 2), "{out}");
        assert!(
            out.contains("#[inline]\n#[inprof::profile] pub fn a()"),
            "{out}"
        );
        assert!(out.contains("const fn c()"), "{out}");
        assert!(!out.contains("#[inprof::profile] const"), "{out}");
        assert!(out.contains("const)]\nfn maybe_const()"), "{out}");
        assert!(out.contains("#[inprof::profile] impl S {"), "{out}");
        assert!(out.contains("#[inprof::profile] fn nested() {}"), "{out}");
        assert!(
            out.contains("#[inprof::profile] unsafe impl Send for S {}"),
            "{out}"
        );
        assert!(
            out.contains("#[inprof::profile] pub trait WithDefault {"),
            "{out}"
        );
        assert!(out.contains("\ntrait OnlyRequired {"), "{out}");
        assert_eq!(out.matches("#[inprof::profile]").count(), 6, "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn above_the_test_cases() {
        let src = "\
/// Docs.
#[test_case(\"*\")]
#[ntest::test_case(\"?\")]
#[timeout(100)]
fn is_match(pattern: &str) {}
";
        let (out, c) = instrument_source(src).unwrap();
        assert_eq!(c.fns, 1, "{out}");
        assert!(
            out.contains("/// Docs.\n#[inprof::profile] #[test_case(\"*\")]\n"),
            "{out}"
        );
        assert!(out.contains("#[timeout(100)]\nfn is_match("), "{out}");
        assert_eq!(out.matches("#[inprof::profile]").count(), 1, "{out}");
    }

    #[test]
    fn leaves_naked_functions_as_written() {
        let src = "\
#[unsafe(naked)]
extern \"sysv64\" fn a() -> u64 { core::arch::naked_asm!(\"mov rax, 7\", \"ret\") }
#[cfg_attr(target_arch = \"x86_64\", unsafe(naked))]
extern \"sysv64\" fn b() { core::arch::naked_asm!(\"ret\") }
#[naked]
extern \"C\" fn c() {}
#[unsafe(no_mangle)]
extern \"C\" fn d() {}
";
        let (out, c) = instrument_source(src).unwrap();
        assert_eq!(c.fns, 1, "{out}");
        assert!(
            out.contains("#[unsafe(no_mangle)]\n#[inprof::profile] extern \"C\" fn d()"),
            "{out}"
        );
    }

    #[test]
    fn around_macros_that_refuse_unknown_attributes() {
        // curve25519-dalek 5.0.0's shapes.
        let src = "\
#[unsafe_target_feature(\"avx2\")]
#[inline(always)]
fn unpack(src: u32) -> u32 { src }

#[allow(dead_code)]
impl U64x4 {
    pub const fn new_const() -> Self { Self }
    #[unsafe_target_feature(\"avx2\")]
    #[inline]
    pub fn splat(x: u64) -> U64x4 { U64x4 }
    pub fn lanes(&self) -> usize { 4 }
}

#[curve25519_dalek_derive::unsafe_target_feature_specialize(\"avx2\")]
pub mod spec {
    pub fn mul(p: &P) -> P {
        fn inner() {}
        P
    }
    impl Straus {
        fn m(&self) {}
    }
    mod test {
        #[test]
        fn t() {}
    }
}

fn after() {}

impl Cases {
    #[test_case(1)]
    fn case(x: u32) {}
}
";
        let (out, c) = instrument_source(src).unwrap();
        // unpack, inner and after; U64x4's, Straus's and Cases' impls;
        // splat skipped (not `case`: ntest's macro keeps the body where it
        // is); mul and t left as written.
        assert_eq!((c.impls, c.fns, c.methods_skipped), (3, 3, 1), "{out}");
        assert!(out.contains("    #[test_case(1)]\n    fn case("), "{out}");
        assert!(
            out.contains("#[inprof::profile] #[unsafe_target_feature(\"avx2\")]\n#[inline(always)]\nfn unpack("),
            "{out}"
        );
        assert!(
            out.contains("#[inprof::profile(skip)] #[unsafe_target_feature(\"avx2\")]\n    #[inline]\n    pub fn splat("),
            "{out}"
        );
        assert!(out.contains("#[inprof::profile] impl U64x4 {"), "{out}");
        assert!(out.contains("    pub fn mul(p: &P)"), "{out}");
        assert!(out.contains("#[inprof::profile] fn inner() {}"), "{out}");
        assert!(out.contains("#[inprof::profile] impl Straus {"), "{out}");
        assert!(out.contains("#[test]\n        fn t() {}"), "{out}");
        assert!(out.contains("#[inprof::profile] fn after() {}"), "{out}");
    }

    #[test]
    fn above_an_impls_attribute_macros() {
        let src = "\
/// Docs.
#[allow(dead_code)]
#[crate::trait_defaults(crate)]
#[cfg_attr(test, derive_nothing)]
impl<C> Visitor<C> for V {}
#[doc(hidden)]
#[diagnostic::do_not_recommend]
#[clippy::msrv = \"1.70\"]
unsafe impl Send for V {}
#[async_trait]
impl Serve for V {}
#[::pin_project::pinned_drop]
impl PinnedDrop for V {}
";
        let (out, c) = instrument_source(src).unwrap();
        assert_eq!(c.impls, 4, "{out}");
        assert!(
            out.contains(
                "#[allow(dead_code)]\n#[inprof::profile] #[crate::trait_defaults(crate)]\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("#[clippy::msrv = \"1.70\"]\n#[inprof::profile] unsafe impl Send"),
            "{out}"
        );
        assert!(
            out.contains("#[inprof::profile] #[async_trait]\nimpl Serve"),
            "{out}"
        );
        assert!(
            out.contains("#[inprof::profile] #[::pin_project::pinned_drop]\n"),
            "{out}"
        );
        assert_eq!(out.matches("#[inprof::profile]").count(), 4, "{out}");
    }

    #[test]
    fn impl_methods_say_track_caller_where_the_crates_trait_declares_it() {
        // Declared in one file (required and provided methods, in a
        // module), implemented in another.
        let traits = "\
pub mod grid {
    pub trait Cells {
        #[track_caller]
        fn cell(&self, i: usize) -> u32;
        #[track_caller]
        fn first(&self) -> u32 { self.cell(0) }
        fn len(&self) -> usize;
    }
}
trait Twice { #[track_caller] fn get(&self); }
mod other { pub trait Twice { fn get(&self); } }
pub trait WrapErr { #[cfg_attr(track_caller, track_caller)] fn wrap(self) -> u32; }
";
        let impls = "\
impl grid::Cells for Grid {
    /// Docs stay above.
    #[inline]
    fn cell(&self, i: usize) -> u32 { self.v[i] }
    pub(crate) fn first(&self) -> u32 { self.v[0] }
    fn len(&self) -> usize { self.v.len() }
}
impl Cells for Other {
    #[track_caller]
    fn cell(&self, i: usize) -> u32 { self.v[i] }
}
impl Twice for Grid { fn get(&self) {} }
impl Grid { fn cell(&self) {} }
impl WrapErr for u32 { fn wrap(self) -> u32 { self } }
impl WrapErr for u8 { #[cfg_attr(track_caller, track_caller)] fn wrap(self) -> u32 { 0 } }
";
        let mut tracked = CallerTracked::default();
        tracked.add_source(traits);
        tracked.add_source(impls);
        tracked.add_source("not rust {");
        let (out, c) = instrument_source_with(impls, &tracked).unwrap();
        assert_eq!((c.impls, c.track_caller), (6, 3), "{out}");
        assert!(
            out.contains("#[inline]\n    #[track_caller] fn cell(&self, i: usize) -> u32 { self.v[i] }\n    #[track_caller] pub(crate) fn first"),
            "{out}"
        );
        assert!(out.contains("    fn len(&self)"), "{out}");
        // Said already: not twice.
        assert!(
            out.contains(
                "    #[track_caller]\n    fn cell(&self, i: usize) -> u32 { self.v[i] }\n}"
            ),
            "{out}"
        );
        assert_eq!(out.matches("#[track_caller]").count(), 4, "{out}");
        // Declared under `cfg_attr` (eyre 0.6.14): followed, and not said
        // twice where the impl says it under `cfg_attr` too.
        assert!(
            out.contains("impl WrapErr for u32 { #[track_caller] fn wrap(self)"),
            "{out}"
        );
        assert!(
            out.contains("impl WrapErr for u8 { #[cfg_attr(track_caller, track_caller)] fn wrap"),
            "{out}"
        );
        // Two traits named `Twice`: neither is followed; an inherent
        // method of the same name is left alone.
        assert!(
            out.contains("#[inprof::profile] impl Twice for Grid { fn get"),
            "{out}"
        );
        assert!(
            out.contains("#[inprof::profile] impl Grid { fn cell"),
            "{out}"
        );
        assert_eq!(out.lines().count(), impls.lines().count());
        // Without the crate's traits, nothing but the attribute.
        let (plain, c) = instrument_source(impls).unwrap();
        assert_eq!((c.impls, c.track_caller), (6, 0), "{plain}");
        assert_eq!(plain.matches("#[track_caller]").count(), 1, "{plain}");
    }

    #[test]
    fn a_directory_is_instrumented_in_place_and_summed() {
        let dir = std::env::temp_dir().join(format!("inprof-instrument-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let write = |name: &str, text: &[u8]| std::fs::write(dir.join(name), text).unwrap();
        write(
            "traits.rs",
            b"pub trait T { #[track_caller] fn f(&self); }\nfn a() {}\n",
        );
        write(
            "sub/impls.rs",
            b"impl T for S { fn f(&self) {} }\nimpl S {}\nfn b() {}\n",
        );
        write("sub/none.rs", b"const fn c() {}\n");
        write("broken.rs", b"fn {");
        write("latin1.rs", b"// caf\xe9\nfn d() {}\n");
        write("notes.txt", b"fn e() {}\n");
        let r = instrument_dir(&dir).unwrap();
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        let kept = [read("sub/none.rs"), read("notes.txt"), read("latin1.rs")];
        let changed = [read("traits.rs"), read("sub/impls.rs")];
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(r.files, 2, "{r:?}");
        assert_eq!(
            r.counts,
            Counts {
                impls: 2,
                traits: 0,
                fns: 2,
                track_caller: 1,
                methods_skipped: 0,
            }
        );
        assert_eq!(r.skipped, [dir.join("broken.rs"), dir.join("latin1.rs")]);
        assert_eq!(kept[0], b"const fn c() {}\n");
        assert_eq!(kept[1], b"fn e() {}\n");
        assert_eq!(kept[2], b"// caf\xe9\nfn d() {}\n");
        // The trait in one file makes the impl's method in another say
        // `#[track_caller]`.
        assert_eq!(
            String::from_utf8_lossy(&changed[0]),
            "pub trait T { #[track_caller] fn f(&self); }\n#[inprof::profile] fn a() {}\n"
        );
        assert_eq!(
            String::from_utf8_lossy(&changed[1]),
            "#[inprof::profile] impl T for S { #[track_caller] fn f(&self) {} }\n\
             #[inprof::profile] impl S {}\n#[inprof::profile] fn b() {}\n"
        );
    }

    #[test]
    fn files_the_build_script_compiles_in_are_left_as_they_were() {
        // target-lexicon 0.13.6's shape: build.rs includes library files.
        let pkg = std::env::temp_dir().join(format!("inprof-build-rs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&pkg);
        std::fs::create_dir_all(pkg.join("src/data")).unwrap();
        let write = |name: &str, text: &str| std::fs::write(pkg.join(name), text).unwrap();
        write("Cargo.toml", "[package]\nname = \"p\"\n");
        write(
            "build.rs",
            "mod triple { include!(\"src/triple.rs\"); }\n\
             #[path = \"src/data/model.rs\"]\nmod model;\n\
             fn main() { let _ = std::include!(\"src/gone.rs\"); }\n",
        );
        for f in [
            "src/lib.rs",
            "src/triple.rs",
            "src/data/model.rs",
            "src/other.rs",
        ] {
            write(f, "pub fn f() {}\n");
        }
        let script = BuildScript::of(&pkg).unwrap();
        let canon = |f: &str| std::fs::canonicalize(pkg.join(f)).unwrap();
        assert_eq!(
            script.files(),
            &[
                canon("build.rs"),
                canon("src/triple.rs"),
                canon("src/data/model.rs")
            ]
            .into()
        );
        assert!(script.contains(&pkg.join("src/../src/triple.rs")));
        assert!(!script.contains(&pkg.join("src/other.rs")));
        assert!(!script.contains(&pkg.join("src/gone.rs")));
        // From the package's `src`, and from the package itself (which
        // leaves the build script too).
        let r = instrument_dir(&pkg.join("src")).unwrap();
        let mut left = r.build_script.clone();
        left.sort();
        assert_eq!(
            left,
            [pkg.join("src/data/model.rs"), pkg.join("src/triple.rs")]
        );
        assert_eq!(r.files, 2, "{r:?}");
        let r2 = instrument_dir(&pkg).unwrap();
        let read = |f: &str| std::fs::read_to_string(pkg.join(f)).unwrap();
        let texts = [
            read("src/lib.rs"),
            read("src/other.rs"),
            read("src/triple.rs"),
            read("src/data/model.rs"),
            read("build.rs"),
        ];
        let _ = std::fs::remove_dir_all(&pkg);
        assert!(r2.build_script.contains(&pkg.join("build.rs")), "{r2:?}");
        assert_eq!(r2.build_script.len(), 3, "{r2:?}");
        assert_eq!(texts[0], "#[inprof::profile] pub fn f() {}\n");
        assert_eq!(texts[1], "#[inprof::profile] pub fn f() {}\n");
        assert_eq!(texts[2], "pub fn f() {}\n");
        assert_eq!(texts[3], "pub fn f() {}\n");
        assert!(!texts[4].contains("inprof"), "{}", texts[4]);
    }

    #[test]
    fn a_build_script_the_manifest_names_is_left_with_its_modules() {
        // rustversion 1.0.23's shape: `build = "build/build.rs"`, which
        // declares `mod rustc;` (build/rustc.rs); instrumented, the build
        // script did not compile. Also: modules of modules, a module file
        // `x/mod.rs`, `#[path]` inside an inline module, an inline module.
        let pkg = std::env::temp_dir().join(format!("inprof-build-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&pkg);
        for d in ["src", "build/rustc", "build/gen", "build/inl/deep"] {
            std::fs::create_dir_all(pkg.join(d)).unwrap();
        }
        let write = |name: &str, text: &str| std::fs::write(pkg.join(name), text).unwrap();
        write(
            "Cargo.toml",
            "[package]\nname = \"p\"\nbuild = \"build/build.rs\"\n",
        );
        write(
            "build/build.rs",
            "mod rustc;\nmod gen;\nmod inl { #[path = \"deep/x.rs\"] mod x; }\nfn main() {}\n",
        );
        write("build/rustc.rs", "mod version;\npub fn f() {}\n");
        write("build/rustc/version.rs", "pub fn f() {}\n");
        write("build/gen/mod.rs", "mod table;\npub fn f() {}\n");
        write("build/gen/table.rs", "pub fn f() {}\n");
        write("build/inl/deep/x.rs", "pub fn f() {}\n");
        write("build.rs", "fn main() {}\n");
        write("src/lib.rs", "pub fn f() {}\n");
        let script = BuildScript::of(&pkg).unwrap();
        let canon = |f: &str| std::fs::canonicalize(pkg.join(f)).unwrap();
        let want = [
            "build/build.rs",
            "build/rustc.rs",
            "build/rustc/version.rs",
            "build/gen/mod.rs",
            "build/gen/table.rs",
            "build/inl/deep/x.rs",
        ];
        assert_eq!(script.files(), &want.iter().map(|f| canon(f)).collect());
        let r = instrument_dir(&pkg).unwrap();
        let read = |f: &str| std::fs::read_to_string(pkg.join(f)).unwrap();
        let left: Vec<String> = want.iter().map(|f| read(f)).collect();
        let (lib, root_build) = (read("src/lib.rs"), read("build.rs"));
        // `build = false`: no build script, `build.rs` is a plain file.
        write("Cargo.toml", "[package]\nname = \"p\"\nbuild = false\n");
        let none = BuildScript::of(&pkg).unwrap();
        let _ = std::fs::remove_dir_all(&pkg);
        assert_eq!(r.build_script.len(), want.len(), "{r:?}");
        for (f, text) in want.iter().zip(&left) {
            assert!(!text.contains("inprof"), "{f}: {text}");
        }
        assert_eq!(lib, "#[inprof::profile] pub fn f() {}\n");
        // Not the script here (the manifest names another), so instrumented.
        assert_eq!(root_build, "#[inprof::profile] fn main() {}\n");
        assert!(none.files().is_empty());
    }

    #[test]
    fn no_implicit_prelude_gets_the_root_path_and_file_modules_are_left() {
        let src = "\
#[no_implicit_prelude]
mod hygiene {
    fn a() {}
    mod inner { fn b() {} }
}
fn c() {}
fn d() {
    #[path = \"x.rs\"]
    mod lazy;
}
impl S {
    fn e() { { mod m; } }
}
fn f() { mod inline {} }
";
        let (out, c) = instrument_source(src).unwrap();
        assert!(out.contains("    #[::inprof::profile] fn a() {}"), "{out}");
        assert!(
            out.contains("mod inner { #[::inprof::profile] fn b() {} }"),
            "{out}"
        );
        assert!(out.contains("\n#[inprof::profile] fn c() {}"), "{out}");
        assert!(out.contains("\nfn d() {"), "{out}");
        assert!(out.contains("\nimpl S {"), "{out}");
        assert!(
            out.contains("\n#[inprof::profile] fn f() { mod inline {} }"),
            "{out}"
        );
        assert_eq!((c.impls, c.fns), (0, 4), "{out}");
        let (out, _) = instrument_source("#![no_implicit_prelude]\nfn a() {}\n").unwrap();
        assert_eq!(
            out,
            "#![no_implicit_prelude]\n#[::inprof::profile] fn a() {}\n"
        );
    }

    #[test]
    fn module_files_under_no_implicit_prelude_get_the_root_path() {
        let pkg = std::env::temp_dir().join(format!("inprof-prelude-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&pkg);
        let write = |name: &str, text: &str| {
            let p = pkg.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("Cargo.toml", "[package]\nname = \"p\"\n");
        write(
            "src/lib.rs",
            "#[no_implicit_prelude]\nmod hygiene;\nmod normal;\n\
             #[no_implicit_prelude]\nmod inl {\n    #[path = \"../elsewhere/p.rs\"]\n    \
             mod via_path;\n    mod nested_file;\n}\nmod said;\nfn root() {}\n",
        );
        write(
            "src/hygiene.rs",
            "fn a() {}\nmod deeper;\nmod inc { include!(\"inc.rs\"); }\n",
        );
        write("src/hygiene/deeper.rs", "fn b() {}\n");
        write("src/inc.rs", "fn i() {}\n");
        write("src/normal.rs", "fn c() {}\nmod kid;\n");
        write("src/normal/kid.rs", "fn d() {}\n");
        write("src/elsewhere/p.rs", "fn e() {}\n");
        write("src/inl/nested_file.rs", "fn f() {}\n");
        write(
            "src/said.rs",
            "#![no_implicit_prelude]\nfn g() {}\nmod below;\n",
        );
        write("src/said/below.rs", "fn h() {}\n");
        write("tests/t.rs", "#[no_implicit_prelude]\nmod common;\n");
        write("tests/common.rs", "fn j() {}\n");
        let less = PreludeLess::of(&pkg).unwrap();
        let canon = |f: &str| std::fs::canonicalize(pkg.join(f)).unwrap();
        let want: std::collections::BTreeSet<_> = [
            "src/hygiene.rs",
            "src/hygiene/deeper.rs",
            "src/inc.rs",
            "src/elsewhere/p.rs",
            "src/inl/nested_file.rs",
            "src/said/below.rs",
            "tests/common.rs",
        ]
        .map(canon)
        .into();
        assert_eq!(less.files(), &want);
        assert!(less.contains(&pkg.join("src/normal/../hygiene.rs")));
        assert!(!less.contains(&pkg.join("src/normal.rs")));
        let r = instrument_dir(&pkg).unwrap();
        let read = |f: &str| std::fs::read_to_string(pkg.join(f)).unwrap();
        let rooted = |f: &str| read(f).contains("#[::inprof::profile] fn ");
        let named = |f: &str| read(f).contains("#[inprof::profile] fn ") && !rooted(f);
        let (yes, no) = (
            [
                "src/hygiene.rs",
                "src/hygiene/deeper.rs",
                "src/inc.rs",
                "src/elsewhere/p.rs",
                "src/inl/nested_file.rs",
                "src/said.rs",
                "src/said/below.rs",
                "tests/common.rs",
            ]
            .map(|f| (f, rooted(f))),
            ["src/lib.rs", "src/normal.rs", "src/normal/kid.rs"].map(|f| (f, named(f))),
        );
        let _ = std::fs::remove_dir_all(&pkg);
        assert!(yes.iter().all(|(_, r)| *r), "{yes:?}");
        assert!(no.iter().all(|(_, n)| *n), "{no:?}");
        assert_eq!(r.counts.fns, 11, "{r:?}");
    }
}
