//! Puts `#[inprof::profile]` on every `impl` block and every free function
//! of a crate's sources, the way a user would do it by hand: the attribute
//! is inserted as text right before the item's keywords (after its other
//! attributes and doc comments), and nothing else in the file changes, so
//! lines, formatting and comments stay as they were.
//!
//! Left alone: `const fn` (they may run at compile time), items already
//! annotated, items inside macro invocations (not parsed), trait
//! declarations (their default methods; see the README), and files that do
//! not parse.

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
                    Some((out, impls, fns)) => {
                        if impls + fns > 0 {
                            std::fs::write(&p, out)?;
                            report.files += 1;
                            report.impls += impls;
                            report.fns += fns;
                        }
                    }
                    None => report.skipped.push(p),
                }
            }
        }
    }
    Ok(report)
}

/// The source with the attribute inserted, and the number of impl blocks
/// and functions annotated; None if it does not parse.
pub fn instrument_source(src: &str) -> Option<(String, usize, usize)> {
    let file = syn::parse_file(src).ok()?;
    let mut v = Finder::default();
    v.visit_file(&file);
    // Insert from the end so earlier positions stay valid.
    let mut points: Vec<(usize, usize, bool)> = v.points;
    points.sort_by_key(|p| std::cmp::Reverse((p.0, p.1)));
    points.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out = src.to_owned();
    let (mut impls, mut fns) = (0, 0);
    for (line, col, is_impl) in points {
        let Some(&start) = line_starts.get(line.wrapping_sub(1)) else {
            continue;
        };
        // Columns are in characters.
        let off = src[start..]
            .char_indices()
            .nth(col)
            .map_or(src.len(), |(i, _)| start + i);
        out.insert_str(off, "#[inprof::profile] ");
        if is_impl {
            impls += 1;
        } else {
            fns += 1;
        }
    }
    Some((out, impls, fns))
}

#[derive(Default)]
struct Finder {
    /// (line, column, is an impl) where to insert.
    points: Vec<(usize, usize, bool)>,
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

impl Finder {
    fn at(&mut self, span: proc_macro2::Span, is_impl: bool) {
        let s = span.start();
        self.points.push((s.line, s.column, is_impl));
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if f.sig.constness.is_none() && !annotated(&f.attrs) {
            let first = match &f.vis {
                syn::Visibility::Inherited => f.sig.span(),
                vis => vis.span(),
            };
            self.at(first, false);
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
            self.at(first, true);
        }
        // Items declared inside method bodies.
        for item in &i.items {
            if let syn::ImplItem::Fn(m) = item {
                syn::visit::visit_block(self, &m.block);
            }
        }
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        // Trait declarations are left alone, but items in default bodies
        // are visited.
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

impl S {
    fn m(&self) {
        fn nested() {}
    }
}

#[inprof::profile]
fn already() {}

unsafe impl Send for S {}
";
        let (out, impls, fns) = instrument_source(src).unwrap();
        assert_eq!((impls, fns), (2, 2), "{out}");
        assert!(
            out.contains("#[inline]\n#[inprof::profile] pub fn a()"),
            "{out}"
        );
        assert!(out.contains("const fn c()"), "{out}");
        assert!(!out.contains("#[inprof::profile] const"), "{out}");
        assert!(out.contains("#[inprof::profile] impl S {"), "{out}");
        assert!(out.contains("#[inprof::profile] fn nested() {}"), "{out}");
        assert!(
            out.contains("#[inprof::profile] unsafe impl Send for S {}"),
            "{out}"
        );
        assert_eq!(out.matches("#[inprof::profile]").count(), 5, "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
    }
}
