//! Doc comments as rustdoc reads them, through the attribute.
//!
//! A proc macro receives each doc comment as a `#[doc = r"..."]`
//! attribute and gives it back as that attribute, which rustdoc no longer
//! counts as a doc comment. Two things rustdoc does to comments alone are
//! then lost, and this pass does them before giving the item back:
//!
//! - **`/** */` comments.** rustdoc trims a block comment's text: its
//!   opening and closing lines, and the column of `*` that starts each
//!   line of a comment written in that style. An attribute it trims only
//!   by the rules for lines, which leave the stars (the text's last line,
//!   the spaces before `*/`, has none), and markdown then reads each
//!   `* ` line as a list item: a doc test inside becomes two empty ones,
//!   and the example is not run. Such a comment is given back trimmed as
//!   rustdoc trims it, one attribute a line as `///` lines come (an
//!   attribute of one line rustdoc trims no further).
//! - **Comments beside `#[doc]` attributes.** Where an item's docs mix
//!   the two kinds, rustdoc strips the space after `///` from the
//!   comments and leaves an attribute such as `#[doc =
//!   include_str!("../examples/x.rs")]` as it is; with every fragment an
//!   attribute, it strips the least indentation of all, often none, so
//!   that a ` ```` fence keeps its space, and CommonMark then takes one
//!   space off each line of the code block (annotate-snippets 0.12.18: a
//!   doc test whose raw string lost a space on each indented line, and
//!   with them its annotations' byte offsets, panicked). Such comments
//!   are given back with that space already stripped.
//!
//! Either way rustdoc then reads every fragment as it read the item as
//! written. (Clippy sees the same attributes; `expand::doc_gap` deals
//! with what that does to its lints.)

use proc_macro2::{Group, Literal, TokenStream, TokenTree};

/// `ts` with its `/** */` comments trimmed, and the comments of each
/// item whose docs mix them with other `#[doc]` attributes stripped, as
/// rustdoc trims and strips them (see the module's docs); anything else
/// as it is, spans and all.
pub fn as_written(ts: TokenStream) -> TokenStream {
    walk(ts.clone()).unwrap_or(ts)
}

/// The rewritten stream, or `None` where nothing changed (so that groups
/// keep their delimiters' own spans).
fn walk(ts: TokenStream) -> Option<TokenStream> {
    let tokens: Vec<TokenTree> = ts.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut changed = false;
    let mut i = 0;
    while i < tokens.len() {
        let start = i;
        while i + 1 < tokens.len() && is_pound(&tokens[i]) && is_bracketed(&tokens[i + 1]) {
            i += 2;
        }
        if i > start {
            match fix_docs(&tokens[start..i]) {
                Some(run) => {
                    out.extend(run);
                    changed = true;
                }
                None => out.extend_from_slice(&tokens[start..i]),
            }
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(g) => match walk(g.stream()) {
                Some(inner) => {
                    let mut ng = Group::new(g.delimiter(), inner);
                    ng.set_span(g.span());
                    out.push(TokenTree::Group(ng));
                    changed = true;
                }
                None => out.push(tokens[i].clone()),
            },
            t => out.push(t.clone()),
        }
        i += 1;
    }
    changed.then(|| out.into_iter().collect())
}

fn is_pound(t: &TokenTree) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == '#')
}

fn is_bracketed(t: &TokenTree) -> bool {
    matches!(t, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Bracket)
}

/// What a `#[doc ..]` attribute was written as.
enum Doc {
    /// A `///` comment: its literal and text.
    Line(Literal, String),
    /// A `/** */` comment: its literal and text.
    Block(Literal, String),
    /// An attribute (`#[doc = "..."]`, `#[doc = include_str!(..)]`).
    Attr,
}

/// The kind of the attribute in `group` (`[doc = ...]`), if it is a doc.
fn doc_of(group: &TokenTree) -> Option<Doc> {
    let TokenTree::Group(g) = group else {
        return None;
    };
    let tokens: Vec<TokenTree> = g.stream().into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Ident(d), TokenTree::Punct(eq), value @ ..]
            if d == "doc" && eq.as_char() == '=' && !value.is_empty() =>
        {
            let [TokenTree::Literal(lit)] = value else {
                return Some(Doc::Attr);
            };
            // The comment's own text where the compiler has it; a raw
            // string otherwise (how a comment reaches a macro; rarely
            // written by hand), of more than one line from a block.
            let text = || {
                syn::parse2::<syn::LitStr>(TokenTree::Literal(lit.clone()).into())
                    .ok()
                    .map(|l| l.value())
            };
            match lit.span().source_text() {
                Some(src) if src.starts_with("/**") => Some(Doc::Block(lit.clone(), text()?)),
                Some(src) if src.starts_with("///") => Some(Doc::Line(lit.clone(), text()?)),
                Some(_) => Some(Doc::Attr),
                None if lit.to_string().starts_with('r') => {
                    let text = text()?;
                    Some(if text.contains('\n') {
                        Doc::Block(lit.clone(), text)
                    } else {
                        Doc::Line(lit.clone(), text)
                    })
                }
                None => Some(Doc::Attr),
            }
        }
        _ => None,
    }
}

/// The run of attributes `attrs` (`#`, `[..]` pairs) with its comments
/// trimmed and stripped as rustdoc trims and strips them, or `None` if
/// rustdoc reads it alike either way: no `/** */` comment of more than
/// one line, and docs of one kind or a comment line without the space
/// to strip (rustdoc then strips nothing).
fn fix_docs(attrs: &[TokenTree]) -> Option<Vec<TokenTree>> {
    let docs: Vec<Option<Doc>> = attrs.chunks(2).map(|p| doc_of(&p[1])).collect();
    // Each comment's lines as rustdoc reads them, and whether they must
    // be given back one attribute a line: a block comment of more than
    // one line, which rustdoc would otherwise trim again by the rules for
    // attributes (a first line of `*` only, for one, would go).
    let texts: Vec<Option<(&Literal, Vec<String>, bool)>> = docs
        .iter()
        .map(|d| match d {
            Some(Doc::Line(lit, text)) => Some((lit, vec![text.clone()], false)),
            Some(Doc::Block(lit, text)) if text.contains('\n') => {
                let trimmed = trim_block(text).unwrap_or_else(|| text.clone());
                let mut lines: Vec<String> = trimmed.lines().map(str::to_owned).collect();
                if lines.is_empty() {
                    lines.push(String::new());
                }
                Some((lit, lines, true))
            }
            Some(Doc::Block(lit, text)) => Some((lit, vec![text.clone()], false)),
            _ => None,
        })
        .collect();
    let attrs_too = docs.iter().any(|d| matches!(d, Some(Doc::Attr)));
    let indented = |l: &str| l.starts_with(' ') || l.starts_with('\t');
    let comments = texts.iter().flatten().flat_map(|(_, lines, _)| lines);
    let strip = attrs_too
        && comments.clone().next().is_some()
        && comments
            .flat_map(|t| t.split('\n'))
            .filter(|l| l.chars().any(|c| !c.is_whitespace()))
            .all(indented);
    let split = texts.iter().flatten().any(|(_, _, split)| *split);
    if !strip && !split {
        return None;
    }
    let mut out = Vec::with_capacity(attrs.len());
    for (pair, text) in attrs.chunks(2).zip(texts) {
        let (Some((lit, lines, split)), TokenTree::Group(g)) = (text, &pair[1]) else {
            out.extend_from_slice(pair);
            continue;
        };
        if !strip && !split {
            out.extend_from_slice(pair);
            continue;
        }
        for line in lines {
            let line = if strip {
                let parts: Vec<&str> = line
                    .split('\n')
                    .map(|l| if indented(l) { &l[1..] } else { l })
                    .collect();
                parts.join("\n")
            } else {
                line
            };
            let mut new = Literal::string(&line);
            new.set_span(lit.span());
            let mut inner: Vec<TokenTree> = g.stream().into_iter().collect();
            let last = inner.len() - 1;
            inner[last] = TokenTree::Literal(new);
            let mut ng = Group::new(g.delimiter(), inner.into_iter().collect());
            ng.set_span(g.span());
            out.push(pair[0].clone());
            out.push(TokenTree::Group(ng));
        }
    }
    Some(out)
}

/// A `/** */` comment's text trimmed as rustdoc trims a block comment (and
/// not an attribute), or `None` where that changes nothing:
/// - a first line, and a last line that is not empty, made only of `*`
///   (none at all, for the first: the line `/**` ends) are dropped;
/// - where every line but blank ones at either end (and the first line,
///   unless it starts with `*` after spaces) starts with spaces and tabs
///   up to a `*` in one column, that prefix is taken off every line that
///   has it, and then the `*` of a line that is `*`, or starts with `* `
///   or `**`.
fn trim_block(text: &str) -> Option<String> {
    if !text.contains('\n') {
        return None;
    }
    let all: Vec<&str> = text.lines().collect();
    let stars = |l: &str| l.chars().all(|c| c == '*');
    let start = usize::from(all.first().is_some_and(|l| stars(l)));
    let mut end = all.len();
    if end > start && !all[end - 1].is_empty() && stars(all[end - 1]) {
        end -= 1;
    }
    let mut lines: Vec<&str> = all[start..end].to_vec();
    let vertical = start != 0 || end != all.len();
    let prefix = star_column(&lines);
    if let Some(prefix) = prefix {
        for line in &mut lines {
            if let Some(rest) = line.strip_prefix(prefix) {
                *line = if rest == "*" || rest.starts_with("* ") || rest.starts_with("**") {
                    &rest[1..]
                } else {
                    rest
                };
            }
        }
    }
    (vertical || prefix.is_some()).then(|| lines.join("\n"))
}

/// The spaces and tabs before the column of `*` that starts every line
/// that counts (see [`trim_block`]), of the first such line; `None` if
/// there is no such column. A line that counts must have its `*` in that
/// column after nothing but spaces and tabs, or be only spaces and tabs
/// reaching just past that column (rustdoc's rule, to the character).
fn star_column<'a>(lines: &[&'a str]) -> Option<&'a str> {
    let blank = |l: &&str| l.trim().is_empty();
    let skip_first = lines
        .first()
        .is_some_and(|l| !l.trim_start().starts_with('*'));
    let mut counted = &lines[usize::from(skip_first).min(lines.len())..];
    while counted.first().is_some_and(blank) {
        counted = &counted[1..];
    }
    while counted.last().is_some_and(blank) {
        counted = &counted[..counted.len() - 1];
    }
    let mut column: Option<usize> = None;
    for line in counted {
        for (j, c) in line.chars().enumerate() {
            if column.is_some_and(|i| j > i) || !matches!(c, '*' | ' ' | '\t') {
                return None;
            }
            if c == '*' {
                match column {
                    None => column = Some(j),
                    Some(i) if i != j => return None,
                    Some(_) => {}
                }
                break;
            }
        }
        if column.is_none_or(|i| i >= line.len()) {
            return None;
        }
    }
    // Spaces and tabs are one byte each: the column is a byte offset.
    Some(&counted.first()?[..column?])
}

#[cfg(test)]
mod tests {
    use super::{as_written, trim_block};
    use quote::quote;

    #[test]
    fn block_comments_are_trimmed_as_rustdoc_trims_them() {
        // The star column, and the lines `/**` and ` */` leave.
        assert_eq!(
            trim_block("\n * Adds one.\n *\n * ```\n * f(1);\n * ```\n ").as_deref(),
            Some(" Adds one.\n\n ```\n f(1);\n ```\n")
        );
        // No stars: only the empty first line goes.
        assert_eq!(
            trim_block("\n   Adds.\n\n   ```\n   f();\n   ```\n").as_deref(),
            Some("   Adds.\n\n   ```\n   f();\n   ```")
        );
        // Stars out of line, or a line without one: no column.
        assert_eq!(trim_block(" x\n  * a\n * b\n ").as_deref(), None);
        assert_eq!(trim_block(" x\n * a\n\n * b\n ").as_deref(), None);
        // `**` keeps one star; a line of stars alone at either end goes.
        assert_eq!(trim_block("***\n ** a\n ***").as_deref(), Some("* a\n**"));
        // One line: as it is.
        assert_eq!(trim_block(" one line ").as_deref(), None);
    }

    #[test]
    fn block_comments_come_back_one_attribute_a_line() {
        // How a `/** */` comment reaches the macro: a raw string of
        // several lines.
        let out = as_written(quote! {
            #[doc = r"
 * Adds one.
 *
 * ```
 * f(1);
 * ```
 "]
            pub fn f() {}
        })
        .to_string();
        assert_eq!(
            out,
            quote! {
                #[doc = " Adds one."]
                #[doc = ""]
                #[doc = " ```"]
                #[doc = " f(1);"]
                #[doc = " ```"]
                pub fn f() {}
            }
            .to_string()
        );
        // Beside an attribute, its lines lose their space as `///` lines
        // do.
        let out = as_written(quote! {
            #[doc = r"
 * before
 "]
            #[doc = include_str!("x.md")]
            fn g() {}
        })
        .to_string();
        assert_eq!(
            out,
            quote! {
                #[doc = "before"]
                #[doc = include_str!("x.md")]
                fn g() {}
            }
            .to_string()
        );
    }

    #[test]
    fn comments_beside_a_doc_attribute_lose_their_space() {
        // How `///` lines reach the macro: raw strings.
        let out = as_written(quote! {
            #[doc = r" Example:"]
            #[doc = r""]
            #[doc = r" ```"]
            #[doc = include_str!("../examples/x.rs")]
            #[doc = r" ```"]
            #[inline]
            pub fn f() {}
        })
        .to_string();
        assert_eq!(
            out,
            quote! {
                #[doc = "Example:"]
                #[doc = ""]
                #[doc = "```"]
                #[doc = include_str!("../examples/x.rs")]
                #[doc = "```"]
                #[inline]
                pub fn f() {}
            }
            .to_string()
        );
        // Methods inside an impl block too, each item apart.
        let out = as_written(quote! {
            impl S {
                #[doc = r"  two"]
                #[doc = "attr"]
                fn a() {}
                #[doc = r" only comments"]
                fn b() {}
            }
        })
        .to_string();
        assert!(
            out.contains(r#"# [doc = " two"] # [doc = "attr"]"#),
            "{out}"
        );
        assert!(out.contains(r#"# [doc = r" only comments"]"#), "{out}");
    }

    #[test]
    fn docs_rustdoc_reads_alike_stay_as_they_are() {
        for item in [
            // Comments only, attributes only.
            quote! { #[doc = r" a"] #[doc = r" b"] fn f() {} },
            quote! { #[doc = "a"] #[doc = include_str!("x.md")] fn f() {} },
            // A comment line with no space to strip: rustdoc strips none.
            quote! { #[doc = r"tight"] #[doc = include_str!("x.md")] fn f() {} },
            // Inner attributes are not an item's.
            quote! { fn f() { #![doc = r" a"] } },
        ] {
            assert_eq!(as_written(item.clone()).to_string(), item.to_string());
        }
    }
}
