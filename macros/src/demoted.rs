//! Functions demoted in an earlier run, compiled without instrumentation.
//!
//! A run with `INPROF_DEMOTED=FILE` writes the functions adaptive
//! instrumentation demoted (too short to time honestly) to FILE at exit,
//! as `FILE:LINE NAME` lines. A build with the same variable reads it here
//! and leaves those functions as they were written: a demoted function
//! then costs nothing at all, not even its one-byte check. Every
//! instrumented function carries `include_bytes!(FILE)` and
//! `option_env!("INPROF_DEMOTED")`, so cargo rebuilds when the list or the
//! variable changes; a missing FILE is created empty, so that it is
//! tracked from the first build.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The list: its absolute path and its (file, line) entries.
type List = (String, HashSet<(String, usize)>);

fn list() -> Option<&'static List> {
    static LIST: OnceLock<Option<List>> = OnceLock::new();
    LIST.get_or_init(|| {
        let path = std::env::var("INPROF_DEMOTED").ok()?;
        // Created empty if missing, so that the build tracks it from the
        // start: a variable set once (`[env]` in `.cargo/config.toml`)
        // then makes the build after the first run compile out what that
        // run demoted. Opened to append: never truncates a list.
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        let path = std::fs::canonicalize(&path).ok()?;
        let text = std::fs::read_to_string(&path).ok()?;
        let set = text
            .lines()
            .filter_map(|l| {
                let loc = l.split_whitespace().next()?;
                let (file, line) = loc.rsplit_once(':')?;
                Some((file.to_owned(), line.parse().ok()?))
            })
            .collect();
        Some((path.to_str()?.to_owned(), set))
    })
    .as_ref()
}

/// Whether the function whose name is at `ident` was demoted in the run
/// that wrote the list.
pub fn is_demoted(ident: Span) -> bool {
    let Some((_, set)) = list() else {
        return false;
    };
    if !proc_macro::is_available() {
        return false;
    }
    let s = ident.unwrap();
    set.contains(&(s.file(), s.line()))
}

/// Statements that make cargo rebuild the crate when the list or the
/// variable changes (nothing at run time).
pub fn tracking(span: Span) -> TokenStream {
    let p = crate::expand::private();
    // At `span` (the function's name), as the callsite's `static`: see
    // `expand::instrument`.
    match list() {
        Some((path, _)) => quote_spanned! {span=>
            const _: &[u8] = #p::core::include_bytes!(#path);
            const _: #p::core::option::Option<&str> = #p::core::option_env!("INPROF_DEMOTED");
        },
        None => quote_spanned! {span=>
            const _: #p::core::option::Option<&str> = #p::core::option_env!("INPROF_DEMOTED");
        },
    }
}

/// `.compiled_out(include_bytes!(FILE))` for a callsite, when the build has
/// a list: the running program can then name what was compiled out.
pub fn compiled_out() -> TokenStream {
    let p = crate::expand::private();
    match list() {
        Some((path, _)) => {
            quote! { .compiled_out(#p::core::include_bytes!(#path)) }
        }
        None => TokenStream::new(),
    }
}
