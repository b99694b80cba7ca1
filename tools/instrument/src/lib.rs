//! Puts `#[inprof::profile]` on every `impl` block, every trait with
//! default methods and every free function of a crate's sources, the way a user would do it by hand: the attribute
//! is inserted as text right before the item's keywords (after its other
//! attributes and doc comments; above a function's `#[test_case]`
//! attributes, where ntest needs it), and nothing else in the file changes,
//! so lines, formatting and comments stay as they were.
//!
//! Left alone: `const fn` (they may run at compile time) and functions an
//! attribute may make `const` (`#[rustversion::attr(since(1.83), const)]`,
//! which the macro refuses as it refuses a `const fn`), items already
//! annotated, traits without default methods, items inside macro
//! invocations (not parsed), and files that do not parse.

use std::path::{Path, PathBuf};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// What instrumenting a directory did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Files changed.
    pub files: usize,
    /// `impl` blocks annotated.
    pub impls: usize,
    /// Traits annotated (their default methods).
    pub traits: usize,
    /// Free functions annotated.
    pub fns: usize,
    /// Files that did not parse (left as they were).
    pub skipped: Vec<PathBuf>,
}

/// Instruments every `.rs` file under `dir` in place.
pub fn instrument_dir(dir: &Path) -> std::io::Result<Report> {
    let mut report = Report::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let src = std::fs::read_to_string(&p)?;
                match instrument_source(&src) {
                    Some((out, c)) => {
                        if c.impls + c.traits + c.fns > 0 {
                            std::fs::write(&p, out)?;
                            report.files += 1;
                            report.impls += c.impls;
                            report.traits += c.traits;
                            report.fns += c.fns;
                        }
                    }
                    None => report.skipped.push(p),
                }
            }
        }
    }
    Ok(report)
}

/// How many items of each kind one file had annotated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// `impl` blocks.
    pub impls: usize,
    /// Traits with default methods.
    pub traits: usize,
    /// Free functions (and functions declared inside functions).
    pub fns: usize,
}

/// What kind of item an insertion point annotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Impl,
    Trait,
    Fn,
}

/// The source with the attribute inserted, and how many items of each
/// kind were annotated; None if it does not parse.
pub fn instrument_source(src: &str) -> Option<(String, Counts)> {
    let file = syn::parse_file(src).ok()?;
    let mut v = Finder::default();
    v.visit_file(&file);
    // Insert from the end so earlier positions stay valid.
    let mut points: Vec<(usize, usize, Kind)> = v.points;
    points.sort_by_key(|p| std::cmp::Reverse((p.0, p.1)));
    points.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = src.to_owned();
    let mut counts = Counts::default();
    for (line, col, kind) in points {
        let Some(&start) = line_starts.get(line.wrapping_sub(1)) else {
            continue;
        };
        // Columns are in characters.
        let off = src[start..]
            .char_indices()
            .nth(col)
            .map_or(src.len(), |(i, _)| start + i);
        out.insert_str(off, "#[inprof::profile] ");
        match kind {
            Kind::Impl => counts.impls += 1,
            Kind::Trait => counts.traits += 1,
            Kind::Fn => counts.fns += 1,
        }
    }
    Some((out, counts))
}

#[derive(Default)]
struct Finder {
    /// (line, column, kind) where to insert.
    points: Vec<(usize, usize, Kind)>,
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
    fn has_const(ts: proc_macro2::TokenStream) -> bool {
        ts.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == "const",
            proc_macro2::TokenTree::Group(g) => has_const(g.stream()),
            _ => false,
        })
    }
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::List(l) => has_const(l.tokens.clone()),
        _ => false,
    })
}

/// The first `#[test_case(..)]` attribute, if any. ntest's `test_case`
/// (0.10.0) stops the build where an attribute below it has a path of
/// more than one segment (`custom attribute panicked: Expected
/// identifier!`: wildmatch 2.7.0's tests), so the attribute goes above
/// the test cases there, as a user would write it: it then runs first,
/// and each test the cases make runs its instrumented body.
fn test_case(attrs: &[syn::Attribute]) -> Option<&syn::Attribute> {
    attrs.iter().find(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "test_case")
    })
}

impl Finder {
    fn at(&mut self, span: proc_macro2::Span, kind: Kind) {
        let s = span.start();
        self.points.push((s.line, s.column, kind));
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if f.sig.constness.is_none() && !may_be_const(&f.attrs) && !annotated(&f.attrs) {
            let first = match (test_case(&f.attrs), &f.vis) {
                (Some(a), _) => a.span(),
                (None, syn::Visibility::Inherited) => f.sig.span(),
                (None, vis) => vis.span(),
            };
            self.at(first, Kind::Fn);
        }
        // Items declared inside the body.
        syn::visit::visit_block(self, &f.block);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !annotated(&i.attrs) {
            let first = i
                .defaultness
                .map(|d| d.span())
                .or(i.unsafety.map(|u| u.span()))
                .unwrap_or(i.impl_token.span());
            self.at(first, Kind::Impl);
        }
        // Items declared inside method bodies.
        for item in &i.items {
            if let syn::ImplItem::Fn(m) = item {
                syn::visit::visit_block(self, &m.block);
            }
        }
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let defaults = t.items.iter().any(|i| {
            matches!(i, syn::TraitItem::Fn(m) if m.default.is_some() && m.sig.constness.is_none())
        });
        if defaults && !annotated(&t.attrs) {
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
                    syn::visit::visit_block(self, b);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::instrument_source;

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
}
