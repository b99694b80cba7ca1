//! Expansion of `#[profile]` on functions and impl blocks.

use crate::args::Args;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, Block, ImplItem, Item, ItemFn, ItemImpl, ReturnType, Signature};

/// Whether instrumentation is compiled in (the `enable` feature).
const ENABLED: bool = cfg!(feature = "enable");

pub fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(args)?;
    let item: Item = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            return Err(syn::Error::new(
                first_span(&item),
                "#[inprof::profile] applies to functions, methods and impl blocks",
            ))
        }
    };
    match item {
        Item::Fn(f) => {
            if let Some(s) = &args.skip {
                return if f.sig.receiver().is_some() || mentions_self(&f.sig) {
                    Ok(f.into_token_stream())
                } else {
                    Err(syn::Error::new(
                        s.span,
                        "`skip` belongs on a method inside a #[inprof::profile] impl block",
                    ))
                };
            }
            let in_impl = f.sig.receiver().is_some() || mentions_self(&f.sig);
            let ItemFn {
                attrs,
                vis,
                sig,
                block,
            } = f;
            let block = instrument(&sig, *block, &args, in_impl)?;
            Ok(quote! { #(#attrs)* #vis #sig #block })
        }
        Item::Impl(imp) => {
            if let Some(s) = &args.skip {
                return Err(syn::Error::new(
                    s.span,
                    "`skip` belongs on a method, not on an impl block",
                ));
            }
            if let Some(n) = &args.name {
                return Err(syn::Error::new(
                    n.span(),
                    "`name` on an impl block would give every method one name; put it on a method",
                ));
            }
            expand_impl(imp)
        }
        other => Err(syn::Error::new(
            item_keyword_span(&other),
            "#[inprof::profile] applies to functions, methods and impl blocks",
        )),
    }
}

fn first_span(ts: &TokenStream) -> Span {
    ts.clone()
        .into_iter()
        .next()
        .map(|t| t.span())
        .unwrap_or_else(Span::call_site)
}

fn item_keyword_span(item: &Item) -> Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Const(c) => c.const_token.span,
        Item::Static(s) => s.static_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Mod(m) => m.mod_token.span,
        Item::Type(t) => t.type_token.span,
        Item::Union(u) => u.union_token.span,
        Item::Use(u) => u.use_token.span,
        other => other.span(),
    }
}

/// Whether the signature names `Self` (so the fn is inside an impl).
fn mentions_self(sig: &Signature) -> bool {
    fn walk(ts: TokenStream) -> bool {
        ts.into_iter().any(|t| match t {
            TokenTree::Ident(i) => i == "Self",
            TokenTree::Group(g) => walk(g.stream()),
            _ => false,
        })
    }
    walk(sig.inputs.to_token_stream()) || walk(sig.output.to_token_stream())
}

fn is_profile_attr(a: &Attribute) -> bool {
    let segs: Vec<String> = a
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    matches!(segs.as_slice(), [p] if p == "profile")
        || matches!(segs.as_slice(), [c, p] if c == "inprof" && p == "profile")
}

fn expand_impl(mut imp: ItemImpl) -> syn::Result<TokenStream> {
    for it in &mut imp.items {
        let ImplItem::Fn(m) = it else { continue };
        let mut args = Args::default();
        let mut explicit = None;
        let mut kept = Vec::with_capacity(m.attrs.len());
        for a in m.attrs.drain(..) {
            if is_profile_attr(&a) {
                explicit = Some(a.path().span());
                if !matches!(a.meta, syn::Meta::Path(_)) {
                    args = a.parse_args()?;
                }
            } else {
                kept.push(a);
            }
        }
        m.attrs = kept;
        if args.skip.is_some() {
            continue;
        }
        if let Some(c) = &m.sig.constness {
            if let Some(sp) = explicit {
                let _ = sp;
                return Err(const_error(c.span));
            }
            continue;
        }
        let block = std::mem::replace(&mut m.block, syn::parse_quote!({}));
        m.block = instrument(&m.sig, block, &args, true)?;
    }
    Ok(imp.into_token_stream())
}

fn const_error(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "#[inprof::profile] cannot instrument a `const fn`: it may run at compile time, where there is no clock",
    )
}

/// Wraps a function body with the enter/exit guard.
fn instrument(sig: &Signature, block: Block, args: &Args, in_impl: bool) -> syn::Result<Block> {
    if let Some(c) = &sig.constness {
        return Err(const_error(c.span));
    }
    if !ENABLED {
        return Ok(block);
    }
    let ident = &sig.ident;
    let span = ident.span();
    let tracking = crate::demoted::tracking();
    if args.always.is_none() && crate::demoted::is_demoted(span) {
        // Demoted in an earlier run (INPROF_DEMOTED): as written.
        let stmts = &block.stmts;
        return syn::parse2(quote! {{ #tracking #(#stmts)* }});
    }
    let fname = ident.to_string();
    let fname = fname.strip_prefix("r#").unwrap_or(&fname);
    let file_line = quote_spanned! {span=> ::core::file!(), ::core::line!() };
    let (callsite, self_ty) = if let Some(n) = &args.name {
        (
            quote! { ::inprof::__private::Callsite::new(#n, #file_line) },
            quote! { ::core::option::Option::None },
        )
    } else if in_impl {
        (
            quote! { ::inprof::__private::Callsite::method(#fname, #file_line) },
            quote! { ::core::option::Option::Some(::core::any::type_name::<Self> as ::inprof::__private::SelfTypeName) },
        )
    } else {
        (
            quote! { ::inprof::__private::Callsite::new(::core::concat!(::core::module_path!(), "::", #fname), #file_line) },
            quote! { ::core::option::Option::None },
        )
    };
    let callsite = if args.always.is_some() {
        quote! { #callsite.always() }
    } else {
        callsite
    };
    let cs = syn::Ident::new("__INPROF_CALLSITE", Span::mixed_site());
    let static_cs = quote! {
        static #cs: ::inprof::__private::Callsite = #callsite;
    };
    let stmts = &block.stmts;
    let body = if sig.asyncness.is_some() {
        let ret = syn::Ident::new("__inprof_ret", Span::mixed_site());
        let inner = match &sig.output {
            ReturnType::Type(_, ty) if !contains_impl(ty) => quote! {
                async move {
                    let #ret: #ty = { #(#stmts)* };
                    #ret
                }
            },
            _ => quote! { async move { #(#stmts)* } },
        };
        quote! {{
            #tracking
            #static_cs
            ::inprof::__private::Instrumented::new(&#cs, #self_ty, #inner).await
        }}
    } else {
        let guard = syn::Ident::new("__inprof_guard", Span::mixed_site());
        quote! {{
            #tracking
            let #guard = {
                #static_cs
                ::inprof::__private::enter(&#cs, #self_ty)
            };
            #(#stmts)*
        }}
    };
    syn::parse2(body)
}

fn contains_impl(ty: &syn::Type) -> bool {
    fn walk(ts: TokenStream) -> bool {
        ts.into_iter().any(|t| match t {
            TokenTree::Ident(i) => i == "impl",
            TokenTree::Group(g) => walk(g.stream()),
            _ => false,
        })
    }
    walk(ty.to_token_stream())
}
