//! Doc comments as rustdoc reads them, through the attribute.
//!
//! A proc macro receives each `///` line as `#[doc = r" text"]` and gives
//! it back as that attribute, which rustdoc no longer counts as a doc
//! comment. That matters where an item's docs mix the two kinds: rustdoc
//! strips the space after `///` from the comments and leaves an attribute
//! such as `#[doc = include_str!("../examples/x.rs")]` as it is; with
//! every fragment an attribute, it strips the least indentation of all,
//! often none, so that a ` ```` fence keeps its space, and CommonMark
//! then takes one space off each line of the code block (annotate-snippets
//! 0.12.18: a doc test whose raw string lost a space on each indented
//! line, and with them its annotations' byte offsets, panicked). Such
//! comments are given back with that space already stripped, which makes
//! rustdoc read every fragment as it read the item as written. (Clippy
//! sees the same attributes; `expand::doc_gap` deals with what that does
//! to its lints.)

use proc_macro2::{Group, Literal, TokenStream, TokenTree};

/// `ts` with the `///` comments of each item whose docs mix them with
/// other `#[doc]` attributes stripped as rustdoc strips them (see the
/// module's docs); anything else as it is, spans and all.
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
    /// A `/** */` comment, which rustdoc trims otherwise.
    Block,
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
            // written by hand).
            let comment = match lit.span().source_text() {
                Some(src) if src.starts_with("/**") || src.starts_with("/*!") => {
                    return Some(Doc::Block)
                }
                Some(src) => src.starts_with("///"),
                None => lit.to_string().starts_with('r'),
            };
            if !comment {
                return Some(Doc::Attr);
            }
            let text = syn::parse2::<syn::LitStr>(TokenTree::Literal(lit.clone()).into())
                .ok()?
                .value();
            Some(Doc::Line(lit.clone(), text))
        }
        _ => None,
    }
}

/// The run of attributes `attrs` (`#`, `[..]` pairs) with its `///`
/// comments stripped as rustdoc strips them, or `None` if rustdoc reads
/// it alike either way: docs of one kind, a `/** */` comment among them
/// (left alone), or a comment line without the space to strip (rustdoc
/// then strips nothing).
fn fix_docs(attrs: &[TokenTree]) -> Option<Vec<TokenTree>> {
    let docs: Vec<Option<Doc>> = attrs.chunks(2).map(|p| doc_of(&p[1])).collect();
    let texts: Vec<&str> = docs
        .iter()
        .filter_map(|d| match d {
            Some(Doc::Line(_, text)) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let attrs_too = docs.iter().any(|d| matches!(d, Some(Doc::Attr)));
    let blocks = docs.iter().any(|d| matches!(d, Some(Doc::Block)));
    let indented = |l: &str| l.starts_with(' ') || l.starts_with('\t');
    let all_indented = texts.iter().all(|t| {
        t.split('\n')
            .filter(|l| l.chars().any(|c| !c.is_whitespace()))
            .all(indented)
    });
    if blocks || !attrs_too || texts.is_empty() || !all_indented {
        return None;
    }
    let mut out = Vec::with_capacity(attrs.len());
    for (pair, doc) in attrs.chunks(2).zip(docs) {
        let (Some(Doc::Line(lit, text)), TokenTree::Group(g)) = (doc, &pair[1]) else {
            out.extend_from_slice(pair);
            continue;
        };
        let stripped: Vec<&str> = text
            .split('\n')
            .map(|l| if indented(l) { &l[1..] } else { l })
            .collect();
        let mut new = Literal::string(&stripped.join("\n"));
        new.set_span(lit.span());
        let mut inner: Vec<TokenTree> = g.stream().into_iter().collect();
        let last = inner.len() - 1;
        inner[last] = TokenTree::Literal(new);
        let mut ng = Group::new(g.delimiter(), inner.into_iter().collect());
        ng.set_span(g.span());
        out.push(pair[0].clone());
        out.push(TokenTree::Group(ng));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::as_written;
    use quote::quote;

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
