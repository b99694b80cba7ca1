//! Expansion of `#[profile]` on functions and impl blocks.
//!
//! The item comes back as written, apart from the instrumentation: its
//! attributes (inner ones stay inside the body), signature and statements
//! are the user's tokens with the user's spans, so lints keep firing on
//! them and errors point at them; what is added is a check at the top of
//! the body (or, for an `async fn`, a wrapper future) and the statics it
//! needs, with hygienic names.
//!
//! A sync function's body becomes a closure, `#[inline(always)]` where
//! optimized, handed to `run_body(&CS, .., move || { body })`: where the
//! call is off or demoted, one load and one predictable branch, then the
//! body inlined as written; where it is recorded, the body runs inside
//! `record_body`, which holds the frame. Every call of inprof's there is known not to
//! unwind, so a function whose body cannot panic on its own still cannot
//! once instrumented. Where a closure could differ from the body
//! (`#[track_caller]`, `#[target_feature]`, `unsafe fn`, ...) the body
//! gets a guard statement instead, dropped when the body ends.
//!
//! Other attributes may run before or after this one with the same
//! result: after `#[tokio::main]` / `#[tokio::test]` (a sync function that
//! drives `let body = async {..}`) the `body` future is instrumented, not
//! the runtime's idle time; after `#[async_trait]` (a sync method that
//! returns `Box::pin(async move {..})`) the boxed future is instrumented.

use crate::args::Args;
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{
    Attribute, Block, Expr, ImplItem, Item, ItemImpl, ItemTrait, Signature, Stmt, TraitItem,
};

/// Whether instrumentation is compiled in (the `enable` feature).
const ENABLED: bool = cfg!(feature = "enable");

/// `::inprof::__private`, for generated code. Spanned mixed-site, which
/// carries this crate's edition: with the call site's span an
/// edition-2015 crate reads `::inprof` (and `::core`) as paths from its
/// own root, where there is no `inprof` without an `extern crate` (glob
/// 0.3.2 instrumented wholesale did not build).
pub(crate) fn private() -> TokenStream {
    let s = Span::mixed_site();
    quote_spanned! {s=> ::inprof::__private }
}

/// The item as written, for the error path: without the `#[profile]`
/// attributes on its methods, which have no meaning outside an
/// instrumented impl block or trait and would add a "cannot find
/// attribute" error to the one given.
pub fn intact(item: TokenStream) -> TokenStream {
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Impl(mut imp)) => {
            for it in &mut imp.items {
                if let ImplItem::Fn(m) = it {
                    m.attrs.retain(|a| !is_profile_attr(a));
                }
            }
            imp.into_token_stream()
        }
        Ok(Item::Trait(mut tr)) => {
            for it in &mut tr.items {
                if let TraitItem::Fn(m) = it {
                    m.attrs.retain(|a| !is_profile_attr(a));
                }
            }
            tr.into_token_stream()
        }
        _ => item,
    }
}

pub fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let written = args.to_string();
    let args: Args = syn::parse2(args)?;
    let mut parsed: Item = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(e) => return Err(unreadable(&item, &e)),
    };
    let item = if drop_repeats(&mut parsed, &written)? {
        parsed.to_token_stream()
    } else {
        item
    };
    match parsed {
        Item::Fn(mut f) => {
            let method = f.sig.receiver().is_some() || mentions_self(&f.sig);
            if let Some(s) = &args.skip {
                return if method {
                    Ok(item)
                } else {
                    Err(syn::Error::new(
                        s.span,
                        "`skip` belongs on a method inside a #[inprof::profile] impl block",
                    ))
                };
            }
            if let Some(c) = &f.sig.constness {
                return Err(const_error(c.span));
            }
            if let Some(a) = const_by_attr(&f.attrs) {
                return Err(const_by_attr_error(a));
            }
            if let Some(a) = naked(&f.attrs) {
                return Err(naked_error(a));
            }
            if doc_gap(&f.attrs, || {
                let (vis, sig) = (&f.vis, &f.sig);
                quote! { #vis #sig }
            }) {
                allow_doc_gap(&mut f.attrs);
                if !ENABLED {
                    return Ok(f.into_token_stream());
                }
            }
            if !ENABLED {
                // The item exactly as written.
                return Ok(item);
            }
            let block = std::mem::replace(&mut *f.block, syn::parse_quote!({}));
            let small = is_small(&block);
            let shape = shape(&f.sig, &f.attrs, &block, false);
            *f.block = instrument(&f.sig, block, &args, method, shape, None)?;
            keep_inlinable(&mut f.attrs, &f.sig, small);
            Ok(f.into_token_stream())
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
            if let Some(a) = &args.always {
                return Err(syn::Error::new(
                    a.span,
                    "`always` on an impl block: put it on the methods that must stay timed",
                ));
            }
            expand_impl(imp)
        }
        Item::Trait(tr) => {
            if let Some(s) = &args.skip {
                return Err(syn::Error::new(
                    s.span,
                    "`skip` belongs on a method, not on a trait",
                ));
            }
            if let Some(n) = &args.name {
                return Err(syn::Error::new(
                    n.span(),
                    "`name` on a trait would give every method one name; put it on a method",
                ));
            }
            if let Some(a) = &args.always {
                return Err(syn::Error::new(
                    a.span,
                    "`always` on a trait: put it on the methods that must stay timed",
                ));
            }
            expand_trait(tr)
        }
        other => Err(syn::Error::new(
            item_keyword_span(&other),
            "#[inprof::profile] applies to functions, methods, impl blocks and traits",
        )),
    }
}

/// Whether a doc attribute in `attrs` is followed by an empty line (before
/// the next attribute, or before the item, whose tokens after its
/// attributes are `rest`). Re-emitted by an attribute macro, a `///`
/// comment is a `#[doc]` attribute to clippy, and such a gap gets
/// `empty_line_after_outer_attr`, which the published code does not get
/// (url 2.5.4's `Url::join`); the item then gets an `allow` for it (the
/// gap's own `empty_line_after_doc_comments`, if the user's code had it,
/// is not repeated). Outside a proc macro (unit tests), no line numbers:
/// false.
fn doc_gap(attrs: &[Attribute], rest: impl FnOnce() -> TokenStream) -> bool {
    if !proc_macro::is_available() || !attrs.iter().any(|a| a.path().is_ident("doc")) {
        return false;
    }
    let start = |s: Span| s.unwrap().line();
    let end = |s: Span| s.unwrap().end().line();
    let mut item_line = None;
    let mut rest = Some(rest);
    for (i, a) in attrs.iter().enumerate() {
        if !a.path().is_ident("doc") {
            continue;
        }
        let next = match attrs.get(i + 1) {
            Some(b) => start(b.pound_token.span),
            None => {
                if item_line.is_none() {
                    let first = rest.take().and_then(|r| r().into_iter().next());
                    item_line = first.map(|t| start(t.span()));
                }
                match item_line {
                    Some(l) => l,
                    None => continue,
                }
            }
        };
        if next > end(a.bracket_token.span.close()) + 1 {
            return true;
        }
    }
    false
}

/// `#[allow(clippy::empty_line_after_outer_attr)]` (see [`doc_gap`]).
fn allow_doc_gap(attrs: &mut Vec<Attribute>) {
    attrs.push(syn::parse_quote!(#[allow(clippy::empty_line_after_outer_attr)]));
}

/// An impl's or trait's item (method, constant, type, macro): its
/// attributes, and its first tokens after them.
trait ItemAttrs {
    fn attrs_mut(&mut self) -> Option<&mut Vec<Attribute>>;
    fn head(&self) -> TokenStream;
}

impl ItemAttrs for ImplItem {
    fn attrs_mut(&mut self) -> Option<&mut Vec<Attribute>> {
        match self {
            ImplItem::Fn(i) => Some(&mut i.attrs),
            ImplItem::Const(i) => Some(&mut i.attrs),
            ImplItem::Type(i) => Some(&mut i.attrs),
            ImplItem::Macro(i) => Some(&mut i.attrs),
            _ => None,
        }
    }
    fn head(&self) -> TokenStream {
        match self {
            ImplItem::Fn(i) => {
                let (vis, d, sig) = (&i.vis, &i.defaultness, &i.sig);
                quote! { #vis #d #sig }
            }
            ImplItem::Const(i) => {
                let (vis, c) = (&i.vis, &i.const_token);
                quote! { #vis #c }
            }
            ImplItem::Type(i) => {
                let (vis, t) = (&i.vis, &i.type_token);
                quote! { #vis #t }
            }
            ImplItem::Macro(i) => i.mac.path.to_token_stream(),
            _ => TokenStream::new(),
        }
    }
}

impl ItemAttrs for TraitItem {
    fn attrs_mut(&mut self) -> Option<&mut Vec<Attribute>> {
        match self {
            TraitItem::Fn(i) => Some(&mut i.attrs),
            TraitItem::Const(i) => Some(&mut i.attrs),
            TraitItem::Type(i) => Some(&mut i.attrs),
            TraitItem::Macro(i) => Some(&mut i.attrs),
            _ => None,
        }
    }
    fn head(&self) -> TokenStream {
        match self {
            TraitItem::Fn(i) => i.sig.to_token_stream(),
            TraitItem::Const(i) => i.const_token.to_token_stream(),
            TraitItem::Type(i) => i.type_token.to_token_stream(),
            TraitItem::Macro(i) => i.mac.path.to_token_stream(),
            _ => TokenStream::new(),
        }
    }
}

/// [`allow_doc_gap`] on an impl's or trait's item where [`doc_gap`] says.
fn quiet_doc_gap<T: ItemAttrs>(item: &mut T) {
    let head = item.head();
    if let Some(attrs) = item.attrs_mut() {
        if doc_gap(attrs, || head) {
            allow_doc_gap(attrs);
        }
    }
}

/// Drops the item's other `#[inprof::profile]` attributes with the same
/// arguments as the one being expanded (returns whether there were any):
/// an attribute copied onto a function by another macro (rstest_reuse's
/// `#[apply(template)]` gives the function the template's attributes) must
/// not instrument it twice. With other arguments it is an error: which
/// ones were meant is not ours to guess.
fn drop_repeats(item: &mut Item, written: &str) -> syn::Result<bool> {
    let attrs = match item {
        Item::Fn(f) => &mut f.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Trait(t) => &mut t.attrs,
        _ => return Ok(false),
    };
    let before = attrs.len();
    let mut error = None;
    attrs.retain(|a| {
        if !is_profile_attr(a) {
            return true;
        }
        let same = match &a.meta {
            syn::Meta::Path(_) => written.is_empty(),
            syn::Meta::List(l) => l.tokens.to_string() == written,
            syn::Meta::NameValue(_) => false,
        };
        if !same && error.is_none() {
            error = Some(syn::Error::new_spanned(
                a,
                "#[inprof::profile] is on this item twice, with different arguments: keep one",
            ));
        }
        false
    });
    match error {
        Some(e) => Err(e),
        None => Ok(attrs.len() != before),
    }
}

/// The error for an item rustc parsed and syn does not: syn's own
/// message, where syn stopped, and what to write instead where the item
/// has an edition-2015 bare `Fn` trait object (`Box<Fn(u8)>`, `&Fn()`),
/// which syn 2 does not read (it was an "applies to functions, methods,
/// impl blocks and traits" at the item's first token, on an impl block).
fn unreadable(item: &TokenStream, e: &syn::Error) -> syn::Error {
    let hint = if bare_fn_trait(item.clone()) {
        "; an edition-2015 bare trait object such as `Box<Fn(u8)>` is not \
         read: write `Box<dyn Fn(u8)>`"
    } else {
        ""
    };
    syn::Error::new(
        e.span(),
        format!("#[inprof::profile] cannot read this item ({e}){hint}"),
    )
}

/// Whether `ts` has `Fn`, `FnMut` or `FnOnce` with parenthesized
/// arguments where a type goes, without `dyn` or `impl` (not after `:`
/// or `+`, where it is a bound), at any depth.
fn bare_fn_trait(ts: TokenStream) -> bool {
    let mut prev: Option<TokenTree> = None;
    let mut iter = ts.into_iter().peekable();
    while let Some(t) = iter.next() {
        match &t {
            TokenTree::Group(g) if bare_fn_trait(g.stream()) => return true,
            TokenTree::Ident(i)
                if (i == "Fn" || i == "FnMut" || i == "FnOnce")
                    && matches!(iter.peek(), Some(TokenTree::Group(g))
                        if g.delimiter() == proc_macro2::Delimiter::Parenthesis) =>
            {
                let bound = match &prev {
                    Some(TokenTree::Ident(p)) => p == "dyn" || p == "impl",
                    Some(TokenTree::Punct(p)) => p.as_char() == ':' || p.as_char() == '+',
                    _ => false,
                };
                if !bound {
                    return true;
                }
            }
            _ => {}
        }
        prev = Some(t);
    }
    false
}

/// `errors` as `compile_error!` invocations, as syn writes them (spanned
/// from the first to the last token of what each error is about) but by
/// the name every edition's prelude has: syn's `::core::compile_error!`
/// is read by an edition-2015 crate as a path from its own root (`cannot
/// find core in the crate root`, in place of the message).
pub fn compile_errors(errors: syn::Error) -> TokenStream {
    errors
        .into_iter()
        .flat_map(|e| {
            e.to_compile_error()
                .into_iter()
                .skip_while(|t| !matches!(t, TokenTree::Ident(i) if i == "compile_error"))
        })
        .collect()
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
    let is_self = |i: &proc_macro2::Ident| i == "Self";
    has_ident(sig.inputs.to_token_stream(), &is_self)
        || has_ident(sig.output.to_token_stream(), &is_self)
}

/// Whether a token anywhere in `ts`, inside groups too, satisfies `pred`
/// (which sees every token but a group's delimiters).
fn any_token(ts: TokenStream, pred: &dyn Fn(&TokenTree) -> bool) -> bool {
    ts.into_iter().any(|t| match t {
        TokenTree::Group(g) => any_token(g.stream(), pred),
        t => pred(&t),
    })
}

/// Whether an identifier in `ts` (in groups too; not in literals, such as
/// an inlined format argument) satisfies `pred`.
fn has_ident(ts: TokenStream, pred: &dyn Fn(&proc_macro2::Ident) -> bool) -> bool {
    any_token(ts, &|t| matches!(t, TokenTree::Ident(i) if pred(i)))
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

/// Every method of the impl block, but `const fn`s (they may run at
/// compile time) and those marked `#[profile(skip)]`. A method's own
/// `#[profile(...)]` sets its arguments.
fn expand_impl(mut imp: ItemImpl) -> syn::Result<TokenStream> {
    if doc_gap(&imp.attrs, || {
        let (d, u, i) = (&imp.defaultness, &imp.unsafety, &imp.impl_token);
        quote! { #d #u #i }
    }) {
        allow_doc_gap(&mut imp.attrs);
    }
    // The type a trait impl's methods' closures may call `Self` (see
    // [`self_for`]): not in an inherent impl, where clippy's use_self
    // fires on the signature anyway (and on the closure's copy, at the
    // same place, with the same words: one warning); not a type whose
    // lifetimes or trait objects may be elided (`&str`, `Foo<'_>`, `dyn
    // Trait`), which written again in a method's signature may be
    // another type.
    let renamable = match &imp.trait_ {
        Some(_) if !elides(imp.self_ty.to_token_stream()) => Some(&*imp.self_ty),
        _ => None,
    };
    let tracked = caller_tracked_by_trait(&imp);
    for it in &mut imp.items {
        quiet_doc_gap(it);
        if let ImplItem::Fn(m) = it {
            let tracked = tracked.is_some_and(|name| m.sig.ident == name);
            expand_method(&mut m.attrs, &m.sig, &mut m.block, renamable, tracked)?;
        }
    }
    Ok(imp.into_token_stream())
}

/// The method of a trait impl that is `#[track_caller]` without saying
/// so, because the trait's declaration of it is: core declares
/// `Index::index` and `IndexMut::index_mut` so (the only ones among 49
/// methods of the standard operator, comparison, conversion, formatting,
/// hashing, iterator and I/O traits probed under Rust 1.95), and a panic
/// in an impl of them reports the location of the `container[i]` that
/// called it (tokio-util 0.7.20's `DelayQueue::remove` tests that its
/// panic names the test's line, through its own `Index` impl). Such a method keeps the guard
/// form, where its body stays in the function: in a closure, its calls
/// would report the closure's location. A trait of the user's that
/// declares a method `#[track_caller]` is not seen from its impls (see
/// the README's "Known limits"); an impl that says `#[track_caller]` on
/// the method itself keeps the guard form.
fn caller_tracked_by_trait(imp: &ItemImpl) -> Option<&'static str> {
    let (_, path, _) = imp.trait_.as_ref()?;
    let last = path.segments.last()?;
    if last.ident == "Index" {
        Some("index")
    } else if last.ident == "IndexMut" {
        Some("index_mut")
    } else {
        None
    }
}

/// Every default method of the trait (those with a body), with the same
/// rules as an impl block's methods; each is named per implementing type,
/// `<Type as Trait>::method`.
fn expand_trait(mut tr: ItemTrait) -> syn::Result<TokenStream> {
    let mut errors = TokenStream::new();
    if doc_gap(&tr.attrs, || {
        let (vis, u, t) = (&tr.vis, &tr.unsafety, &tr.trait_token);
        quote! { #vis #u #t }
    }) {
        allow_doc_gap(&mut tr.attrs);
    }
    for it in &mut tr.items {
        quiet_doc_gap(it);
        if let TraitItem::Fn(m) = it {
            if let Some(block) = &mut m.default {
                expand_method(&mut m.attrs, &m.sig, block, None, false)?;
            } else if m.attrs.iter().any(is_profile_attr) {
                // One error, and the attribute taken off so that it does
                // not expand on its own and give another.
                m.attrs.retain(|a| !is_profile_attr(a));
                errors.extend(compile_errors(syn::Error::new(
                    m.sig.ident.span(),
                    "#[inprof::profile] on a trait method without a body: put it on the impls' methods",
                )));
            }
        }
    }
    errors.extend(tr.into_token_stream());
    Ok(errors)
}

/// One method of an instrumented impl block or trait: its own
/// `#[profile(...)]` removed and read, then instrumented unless skipped or
/// `const`. `impl_ty`: the type of the trait impl the method is in, where
/// its closure may say `Self` for it (see [`expand_impl`]). `tracked`:
/// the trait declares the method `#[track_caller]` (see
/// [`caller_tracked_by_trait`]).
fn expand_method(
    attrs: &mut Vec<Attribute>,
    sig: &Signature,
    block: &mut Block,
    impl_ty: Option<&syn::Type>,
    tracked: bool,
) -> syn::Result<()> {
    let mut args = Args::default();
    let mut explicit = false;
    let mut kept = Vec::with_capacity(attrs.len());
    for a in attrs.drain(..) {
        if is_profile_attr(&a) {
            explicit = true;
            if !matches!(a.meta, syn::Meta::Path(_)) {
                args = a.parse_args()?;
            }
        } else {
            kept.push(a);
        }
    }
    *attrs = kept;
    if args.skip.is_some() {
        return Ok(());
    }
    if let Some(c) = &sig.constness {
        if explicit {
            return Err(const_error(c.span));
        }
        return Ok(());
    }
    if let Some(a) = const_by_attr(attrs) {
        if explicit {
            return Err(const_by_attr_error(a));
        }
        return Ok(());
    }
    if let Some(a) = naked(attrs) {
        if explicit {
            return Err(naked_error(a));
        }
        return Ok(());
    }
    if !ENABLED || (!explicit && canonical_body(sig, block)) {
        return Ok(());
    }
    let taken = std::mem::replace(block, syn::parse_quote!({}));
    let small = is_small(&taken);
    let shape = shape(sig, attrs, &taken, tracked);
    *block = instrument(sig, taken, &args, true, shape, impl_ty)?;
    keep_inlinable(attrs, sig, small);
    Ok(())
}

/// Whether a method's body is the canonical one clippy asks for, which it
/// checks by the body's shape (`non_canonical_clone_impl`,
/// `non_canonical_partial_ord_impl`): `clone` as `*self` (a copy: nothing
/// to time) and `partial_cmp` as a call of `cmp` in `Some(..)` or
/// `.into()`: `self.cmp(other)`, or `Ord::cmp(a, b)` with any two
/// arguments, as clippy accepts them (inlinable_string 0.1.15's
/// `Some(Ord::cmp(&self[..], &rhs[..]))`). Its time is `cmp`'s. An impl
/// block's attribute leaves these as written; instrumented, they would get
/// clippy's warning the user's code does not deserve. `#[profile]` on the
/// method itself still instruments it.
fn canonical_body(sig: &Signature, block: &Block) -> bool {
    let is_self = |e: &Expr| matches!(e, Expr::Path(p) if p.path.is_ident("self"));
    let [Stmt::Expr(e, None)] = block.stmts.as_slice() else {
        return false;
    };
    if sig.ident == "clone" {
        return matches!(e, Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) && is_self(&u.expr));
    }
    if sig.ident != "partial_cmp" {
        return false;
    }
    let is_cmp = |e: &Expr| match e {
        Expr::MethodCall(m) => m.method == "cmp" && is_self(&m.receiver) && m.args.len() == 1,
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "cmp"))
                && c.args.len() == 2
        }
        _ => false,
    };
    match e {
        Expr::Call(some) => {
            matches!(&*some.func, Expr::Path(f) if f.path.is_ident("Some"))
                && some.args.len() == 1
                && is_cmp(&some.args[0])
        }
        Expr::MethodCall(into) => {
            into.method == "into" && into.args.is_empty() && is_cmp(&into.receiver)
        }
        _ => false,
    }
}

/// Whether a body is small enough that the compiler would inline the
/// function as written (a handful of tokens: an accessor, a forwarding
/// call, a comparison).
fn is_small(block: &Block) -> bool {
    /// Tokens (identifiers, punctuation, literals; a group's contents
    /// counted) up to which a body is small.
    const SMALL: usize = 48;
    fn count(ts: TokenStream, n: &mut usize) {
        for t in ts {
            if *n > SMALL {
                return;
            }
            *n += 1;
            if let TokenTree::Group(g) = t {
                count(g.stream(), n);
            }
        }
    }
    let mut n = 0;
    for s in &block.stmts {
        count(s.to_token_stream(), &mut n);
    }
    n <= SMALL
}

/// An instrumented sync function grows by the calls of its recorded path
/// (cold on an off or demoted callsite, but counted by the inliner): a
/// small function without an inline attribute of its own gets `#[inline]`
/// (not with `#[cold]`), so that it stays inlinable where it was, also
/// across crates (rustc makes small leaf functions inlinable across crates
/// by itself; an instrumented one is no longer a leaf).
fn keep_inlinable(attrs: &mut Vec<Attribute>, sig: &Signature, small: bool) {
    if !small || sig.asyncness.is_some() || sig.ident == "main" {
        return;
    }
    let decided = |a: &Attribute| a.path().is_ident("inline") || a.path().is_ident("cold");
    if attrs.iter().any(decided) {
        return;
    }
    attrs.push(syn::parse_quote!(#[inline]));
}

/// How a recorded call of a sync function runs its body.
enum Outline {
    /// The body as an `#[inline(always)]` closure: inlined into the
    /// function where the call is off or demoted (one load and one
    /// predictable branch before it), run inside `record_body` where it is
    /// recorded. Only where optimized (`debug_assertions` off): an
    /// unoptimized build inlines nothing but `#[inline(always)]`, and
    /// inlining the closure there kept every local of both copies of the
    /// body in the function's frame and `record_body`'s: with
    /// `run_body`'s slot for a wide
    /// result (now only up to eight words), a large value returned by
    /// value took six times the stack it took uninstrumented
    /// (tests/large_results.rs), and heapless's tests, whose maps of
    /// 115 KB are returned so, overflowed their threads' 2 MiB.
    ///
    /// Every sync function's shape but [`Outline::Guard`]'s: it is the
    /// same body whatever the function's signature, and every call
    /// of inprof's it makes is known not to unwind, so a function whose
    /// body cannot panic on its own still cannot (`no_panic` holds on its
    /// callers; not where only a caller's checks, once the body is inlined
    /// there, rule a panic out: the recorded copy is compiled apart).
    /// The body is compiled twice (inline, and in `record_body`).
    Body,
    /// A guard at the top of the body: `#[track_caller]`, written or
    /// implied by the trait (a closure would take the caller's location),
    /// `#[target_feature]` (an inlined closure drops the features), `unsafe` and variadic functions, `impl
    /// Trait` and `!` returns, `main`, `async`; a body with an array
    /// repeat count rustc judges generic inside a closure (see
    /// [`closure_generic_count`]); a body that, moved into a closure,
    /// would change a name the program can see (see
    /// [`renames_in_closure`]); one that assigns to a parameter it
    /// holds by value (see [`assigns_to_parameter`]); one that
    /// returns a `fold` from 0 or 1 (see [`returns_summing_fold`]); and a
    /// function that expects a lint (see [`expects_lint`]).
    Guard,
}

/// How `sig` runs its body when recorded (see [`Outline`]). `tracked`:
/// `#[track_caller]` by its trait's declaration.
fn shape(sig: &Signature, attrs: &[Attribute], block: &Block, tracked: bool) -> Outline {
    // Written, or under `cfg_attr` (eyre 0.6.14's
    // `#[cfg_attr(track_caller, track_caller)]`, its build script's cfg):
    // the guard form is right whether the condition holds or not.
    let has_attr = |n: &str| says_attr(attrs, n);
    if closure_generic_count(block.to_token_stream())
        || renames_in_closure(block)
        || assigns_to_parameter(sig, block)
        || returns_summing_fold(block)
    {
        return Outline::Guard;
    }
    if sig.unsafety.is_some()
        || sig.variadic.is_some()
        || sig.asyncness.is_some()
        || sig.ident == "main"
        || tracked
        || has_attr("track_caller")
        || has_attr("target_feature")
        || expects_lint(attrs)
    {
        return Outline::Guard;
    }
    if let syn::ReturnType::Type(_, t) = &sig.output {
        if matches!(**t, syn::Type::Never(_)) || names_impl(t.to_token_stream()) {
            return Outline::Guard;
        }
    }
    Outline::Body
}

/// Whether the function expects a lint (`#[expect(..)]`, also under
/// `cfg_attr`). A lint that judges a whole body (clippy's
/// `unnecessary_wraps` looks at what the function returns,
/// `cognitive_complexity` at its branches) sees the closure's body apart
/// from the function's, and an expectation it no longer meets is itself
/// a warning, `unfulfilled_lint_expectations` (sqlparser 0.64.0's
/// `Tokenizer::consume_and_return` and `Statement`'s `fmt`). Such
/// functions keep the guard form, where the body is the function's.
fn expects_lint(attrs: &[Attribute]) -> bool {
    says_attr(attrs, "expect")
}

/// Whether `attrs` has the attribute `name`, written or under `cfg_attr`
/// (any `cfg_attr` that names it: where it names it only in its
/// condition, the answer is yes too, which errs towards the guard form).
fn says_attr(attrs: &[Attribute], name: &str) -> bool {
    fn names(ts: TokenStream, name: &str) -> bool {
        ts.into_iter().any(|t| match t {
            TokenTree::Ident(i) => i == name,
            TokenTree::Group(g) => names(g.stream(), name),
            _ => false,
        })
    }
    attrs.iter().any(|a| {
        a.path().is_ident(name)
            || (a.path().is_ident("cfg_attr") && names(a.meta.to_token_stream(), name))
    })
}

/// Whether the body returns (as its value or by `return`) a `fold` whose
/// first argument is the integer `0` or `1`. Clippy's `unnecessary_fold`
/// suggests `sum()` or `product()` for it, and names the type
/// (`product::<usize>()`) unless it is known from where the value goes:
/// a function's declared return type counts, a closure's does not, so in
/// the closure form the user's warning would change
/// (permutohedron 0.2.4's `factorial`, `(1..n + 1).fold(1, |a, b| a * b)`).
/// Such bodies keep the guard form. Tails through blocks, `if` and
/// `match` count; a `return` inside a closure or an item of the body is
/// theirs.
fn returns_summing_fold(block: &Block) -> bool {
    fn is_fold(e: &Expr) -> bool {
        match e {
            Expr::MethodCall(m) => {
                m.method == "fold"
                    && m.args.len() == 2
                    && matches!(&m.args[0], Expr::Lit(l)
                        if matches!(&l.lit, syn::Lit::Int(i)
                            if matches!(i.base10_digits(), "0" | "1")))
            }
            Expr::Paren(p) => is_fold(&p.expr),
            Expr::Block(b) => tail_is_fold(&b.block),
            Expr::Unsafe(u) => tail_is_fold(&u.block),
            Expr::If(i) => {
                tail_is_fold(&i.then_branch)
                    || i.else_branch.as_ref().is_some_and(|(_, e)| is_fold(e))
            }
            Expr::Match(m) => m.arms.iter().any(|a| is_fold(&a.body)),
            _ => false,
        }
    }
    fn tail_is_fold(b: &Block) -> bool {
        matches!(b.stmts.last(), Some(Stmt::Expr(e, None)) if is_fold(e))
    }
    struct Returns(bool);
    impl<'ast> Visit<'ast> for Returns {
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            self.0 |= r.expr.as_deref().is_some_and(is_fold);
            syn::visit::visit_expr_return(self, r);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast Item) {}
    }
    let mut v = Returns(false);
    v.visit_block(block);
    tail_is_fold(block) || v.0
}

/// Whether the body, moved into a closure, would change what the program
/// sees: `std::any::type_name` of a closure or an async block of the
/// body's own gains a `{{closure}}` segment inside the closure
/// (tower-layer 0.3.3 tests that its `LayerFn`'s `Debug` prints
/// `..::layer_fn_has_useful_debug_impl::{{closure}}`). The closure form
/// moves the body's items out of the closure, which keeps their names,
/// and which a body may not allow: one that defines a macro (it may name
/// a local, and items may use it), one whose items sit beside a macro
/// call in statement position that may define items of its own (see
/// [`may_define_items`]: an `impl` it makes must sit beside the trait or
/// type it names), and one that ends with items (clippy judges a body by
/// what comes last: `return x;` before a helper `fn` is no needless
/// return; async-trait 0.1.92's `visit_token_stream`). Such bodies keep
/// the guard form, where nothing moves. A body that calls such a macro
/// but declares no item of its own keeps the closure form (serde_json's
/// `tri!(..);` statements: the guard form ran 3.4 % more instructions
/// there off at run time); the names of items that macro declares gain
/// the `{{closure}}` (profile names leave it out). Closures and async
/// blocks inside nested items do not count (their names are the item's),
/// those inside macro arguments do (where the arguments do not parse as
/// expressions, any `|` or `async` counts). A closure or an async block
/// passed straight to a method does not: that is where the hot loops of
/// real code keep theirs (`.map(|x| ..)`, `.fold(a, |a, x| ..)`), and
/// there the guard form costs a demoted call its state across the body
/// (the leaf sweep's demoted `mid`, `(0..10).fold(x, |a, _| leaf(a))`:
/// root cum +12.4 % over the uninstrumented wall at K = 0 in the guard
/// form); such a closure's `type_name` gains the `{{closure}}`.
fn renames_in_closure(block: &Block) -> bool {
    let ends_with_items = block
        .stmts
        .iter()
        .rposition(|s| !matches!(s, Stmt::Item(_)))
        .is_some_and(|last| last + 1 < block.stmts.len());
    // A body that defines a macro has an item (the `macro_rules!`), and
    // [`may_define_items`] holds for it.
    let has_items = block.stmts.iter().any(|s| matches!(s, Stmt::Item(_)));
    if ends_with_items || (has_items && block.stmts.iter().any(may_define_items)) {
        return true;
    }
    let mut v = NamesClosures(false);
    v.visit_block(block);
    v.0
}

/// Finds a closure or an async block (see [`renames_in_closure`]).
struct NamesClosures(bool);

impl<'ast> Visit<'ast> for NamesClosures {
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {
        self.0 = true;
    }
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {
        self.0 = true;
    }
    fn visit_item(&mut self, _: &'ast Item) {}
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // A closure or async block passed straight to a method (an
        // iterator adaptor's `.map(|x| ..)`, `.fold(a, |a, x| ..)`) does
        // not count, only what is inside it: see [`renames_in_closure`].
        self.visit_expr(&m.receiver);
        for a in &m.args {
            match a {
                Expr::Closure(c) => self.visit_expr(&c.body),
                Expr::Async(b) => self.visit_block(&b.block),
                _ => self.visit_expr(a),
            }
        }
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match macro_args(m) {
            Some(args) => args.iter().for_each(|e| self.visit_expr(e)),
            None => self.0 |= closure_tokens(m.tokens.clone()),
        }
    }
}

/// A macro call's arguments, where they parse as expressions separated by
/// commas (`format!`, `assert_eq!`, most users' macros).
fn macro_args(m: &syn::Macro) -> Option<Punctuated<Expr, syn::Token![,]>> {
    m.parse_body_with(Punctuated::parse_terminated).ok()
}

/// Whether the body assigns to a parameter it holds by value (`mut this:
/// Self`, `mut self`, `(mut a, b): (u8, u8)`), or to a part of one
/// (`this.removed = true`, `t.0 += 1`). Moved into the closure, the
/// parameter is the closure's captured value, and rustc's liveness lints
/// judge an assignment to it that the body does not read again: `value
/// assigned to `this` is never read`, `value captured by `t.0` is never
/// read`, where the function as written gets neither (heapless 0.9.4's
/// `PeekMutInner::pop`, whose `Drop` reads the field the body sets). Such
/// bodies keep the guard form. Names shadowed inside the body count too
/// (the guard form is right for every body).
fn assigns_to_parameter(sig: &Signature, block: &Block) -> bool {
    let mut names = MutBindings(Vec::new());
    for arg in &sig.inputs {
        match arg {
            syn::FnArg::Receiver(r) => {
                if r.reference.is_none() && r.mutability.is_some() {
                    names.0.push("self".to_owned());
                }
            }
            syn::FnArg::Typed(t) => names.visit_pat(&t.pat),
        }
    }
    if names.0.is_empty() {
        return false;
    }
    let mut v = AssignsTo {
        names: &names.0,
        found: false,
    };
    v.visit_block(block);
    v.found
}

/// The names a parameter's pattern binds by value and `mut` (see
/// [`assigns_to_parameter`]).
struct MutBindings(Vec<String>);

impl<'ast> Visit<'ast> for MutBindings {
    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        if p.by_ref.is_none() && p.mutability.is_some() {
            self.0.push(p.ident.to_string());
        }
        if let Some((_, sub)) = &p.subpat {
            self.visit_pat(sub);
        }
    }
}

/// Finds an assignment to one of `names` or to a part of it (see
/// [`assigns_to_parameter`]).
struct AssignsTo<'n> {
    names: &'n [String],
    found: bool,
}

impl AssignsTo<'_> {
    /// Whether a place is one of the names, or a field or an element of
    /// one (not what it points to: `*p = x` writes through the value).
    fn rooted(&self, mut e: &Expr) -> bool {
        loop {
            match e {
                Expr::Field(f) => e = &f.base,
                Expr::Index(i) => e = &i.expr,
                Expr::Paren(p) => e = &p.expr,
                Expr::Path(p) => {
                    return p.qself.is_none()
                        && p.path
                            .get_ident()
                            .is_some_and(|i| self.names.contains(&i.to_string()))
                }
                _ => return false,
            }
        }
    }
}

impl<'ast> Visit<'ast> for AssignsTo<'_> {
    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        self.found |= self.rooted(&a.left);
        syn::visit::visit_expr_assign(self, a);
    }
    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        use syn::BinOp::*;
        let compound = matches!(
            b.op,
            AddAssign(_)
                | SubAssign(_)
                | MulAssign(_)
                | DivAssign(_)
                | RemAssign(_)
                | BitXorAssign(_)
                | BitAndAssign(_)
                | BitOrAssign(_)
                | ShlAssign(_)
                | ShrAssign(_)
        );
        self.found |= compound && self.rooted(&b.left);
        syn::visit::visit_expr_binary(self, b);
    }
    fn visit_item(&mut self, _: &'ast Item) {}
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match macro_args(m) {
            Some(args) => args.iter().for_each(|e| self.visit_expr(e)),
            // Arguments that are not expressions: any mention counts.
            None => {
                self.found |= has_ident(m.tokens.clone(), &|i| self.names.iter().any(|n| i == n))
            }
        }
    }
}

/// Whether tokens that do not parse as expressions may hold a closure or
/// an async block: a `|` or an `async` anywhere in them.
fn closure_tokens(ts: TokenStream) -> bool {
    any_token(ts, &|t| match t {
        TokenTree::Punct(p) => p.as_char() == '|',
        TokenTree::Ident(i) => i == "async",
        _ => false,
    })
}

/// Whether `ts` (a body, macro arguments included) has an array repeat
/// count (`[x; count]`) with `offset_of` or an inline `const { .. }` block
/// in it. Inside a closure, a generic context even in a function that is
/// not, rustc warns on such a count (`const_evaluatable_unchecked`, "cannot
/// use constants which depend on generic parameters in types", a future
/// error: memoffset 0.9.1's `[0; offset_of!(Foo, b)]` in a test); other
/// counts (literals, paths, `size_of::<T>()`, arithmetic, const fn calls)
/// it evaluates as in the function. Such a body keeps the guard shape.
fn closure_generic_count(ts: TokenStream) -> bool {
    fn risky(ts: TokenStream) -> bool {
        let mut prev_const = false;
        ts.into_iter().any(|t| {
            let hit = match &t {
                TokenTree::Ident(i) => i == "offset_of",
                TokenTree::Group(g) => {
                    (prev_const && g.delimiter() == Delimiter::Brace) || risky(g.stream())
                }
                _ => false,
            };
            prev_const = matches!(&t, TokenTree::Ident(i) if i == "const");
            hit
        })
    }
    ts.into_iter().any(|t| {
        let TokenTree::Group(g) = t else {
            return false;
        };
        // The count: what follows the first `;` of a `[..]` group.
        let count = (g.delimiter() == Delimiter::Bracket).then(|| {
            g.stream()
                .into_iter()
                .skip_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
                .skip(1)
                .collect::<TokenStream>()
        });
        count.is_some_and(risky) || closure_generic_count(g.stream())
    })
}

/// Whether tokens (a type) use `impl Trait`.
fn names_impl(ts: TokenStream) -> bool {
    has_ident(ts, &|i| i == "impl")
}

fn const_error(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "#[inprof::profile] cannot instrument a `const fn`: it may run at compile time, where there is no clock",
    )
}

/// An attribute of the function that may make it a `const fn` when it
/// expands, after this one: one with the `const` keyword among its
/// arguments (`#[rustversion::attr(since(1.83), const)]`, generic-array
/// 1.4.5's methods). Such a function is left as written in an impl block
/// or trait, as a `const fn` is.
fn const_by_attr(attrs: &[Attribute]) -> Option<&Attribute> {
    attrs.iter().find(|a| match &a.meta {
        syn::Meta::List(l) => has_ident(l.tokens.clone(), &|i| i == "const"),
        _ => false,
    })
}

fn const_by_attr_error(a: &Attribute) -> syn::Error {
    syn::Error::new_spanned(
        a,
        "#[inprof::profile] cannot instrument a function this attribute may make a `const fn`: it may run at compile time, where there is no clock",
    )
}

/// The attribute that makes the function naked, if any: `#[unsafe(naked)]`
/// (Rust 1.88), `#[naked]` (its nightly spelling before), or either under
/// `cfg_attr`. A naked function's body is one `naked_asm!` and nothing
/// else, and rustc refuses most attributes beside it (`#[inline]`:
/// E0736), so such a method is left exactly as written in an impl block
/// or trait, as a `const fn` is.
fn naked(attrs: &[Attribute]) -> Option<&Attribute> {
    attrs.iter().find(|a| {
        let p = a.path();
        p.is_ident("naked")
            || ((p.is_ident("unsafe") || p.is_ident("cfg_attr"))
                && has_ident(a.meta.to_token_stream(), &|i| i == "naked"))
    })
}

fn naked_error(a: &Attribute) -> syn::Error {
    syn::Error::new_spanned(
        a,
        "#[inprof::profile] cannot instrument a naked function: its body is one `naked_asm!`, with no place for a clock read",
    )
}

/// The new body of an instrumented function: the statics it needs, then
/// a guard and the user's statements (sync), or the user's body as a
/// future wrapped so that each poll is timed (async, and the futures other
/// macros made out of an async body). `impl_ty`: the type of the trait
/// impl the function is a method of, where the expansion sees it and may
/// call it `Self` (see [`expand_impl`]).
fn instrument(
    sig: &Signature,
    block: Block,
    args: &Args,
    method: bool,
    outline: Outline,
    impl_ty: Option<&syn::Type>,
) -> syn::Result<Block> {
    let ident = &sig.ident;
    let span = ident.span();
    let tracking = crate::demoted::tracking(ident.span());
    if args.always.is_none() && crate::demoted::is_demoted(span) {
        // Demoted in an earlier run (INPROF_DEMOTED): as written.
        let stmts = &block.stmts;
        return syn::parse2(quote! {{ #tracking #(#stmts)* }});
    }
    let here = syn::Ident::new("__inprof_here", Span::mixed_site());
    let cs = syn::Ident::new("__INPROF_CALLSITE", Span::mixed_site());
    let p = private();
    // The function's file and line: `file!()` and `line!()` at its name
    // (for a function a `macro_rules!` makes, where the macro expands).
    // Not through `#p` (mixed-site, for edition 2015: those would give the
    // attribute's line) nor `::core` (an edition-2015 crate's own root):
    // by the names every edition's prelude has, in a module of their own
    // (declared with the callsite, below), which the imports of the
    // function's module do not reach: `use snapbox::file;` there named
    // snapbox's `file!` (anstyle-parse 1.0.1's tests: "unexpected end of
    // macro invocation"). Their names start with `_`, as the callsite's
    // do: in a function nobody calls, rustc's `dead_code` judges them dead
    // too, and it does not warn of an item whose name starts with `_`
    // (bitcode 0.6.9: two new warnings for each such function).
    let at = syn::Ident::new("__inprof_at", span);
    let file_line = quote_spanned! {span=> #at::__FILE, #at::__LINE };
    let (callsite, self_ty) = if let Some(n) = &args.name {
        (
            quote! { #p::Callsite::new(#n, #file_line) },
            quote! { #p::core::option::Option::None },
        )
    } else if method {
        (
            quote! { #p::Callsite::method(#here, #file_line) },
            quote! { #p::core::option::Option::Some(#p::type_name::<Self> as #p::SelfTypeName) },
        )
    } else {
        (
            quote! { #p::Callsite::function(#here, #file_line) },
            quote! { #p::core::option::Option::None },
        )
    };
    // The crate's directory: profiles carry absolute source paths.
    let compiled_out = crate::demoted::compiled_out();
    let callsite =
        quote! { #callsite.crate_dir(#p::core::option_env!("CARGO_MANIFEST_DIR")) #compiled_out };
    let callsite = if args.always.is_some() {
        quote! { #callsite.always() }
    } else {
        callsite
    };
    // The callsite, and the function whose path names it: declared in the
    // instrumented function's body, so its path is that function's.
    // These items at the function's name, inside the function's span:
    // clippy's arithmetic_side_effects remembers the span of the const or
    // static body it last entered and skips what lies within (how a
    // `#[test]` function goes unlinted: the harness's `const` spans it),
    // and forgets it when a body outside that span ends. At the
    // attribute's span, outside the function's, `fn #here` made it forget,
    // and every instrumented test function's arithmetic was linted
    // (typed-index-collections 3.5.0: 23 new warnings).
    let statics = quote_spanned! {span=>
        #tracking
        fn #here() -> &'static str {
            #p::name_of(&#here)
        }
        #[allow(clippy::redundant_pub_crate)]
        mod #at {
            pub(super) const __FILE: &str = file!();
            pub(super) const __LINE: u32 = line!();
        }
        static #cs: #p::Callsite = #callsite;
    };
    let wrap = |fut: TokenStream| {
        quote! { #p::Instrumented::new(&#cs, #self_ty, #fut) }
    };
    let body = if sig.asyncness.is_some() {
        // The user's block as an async block, with the block's own span, so
        // that lints and errors in it are the user's.
        let fut = quote_spanned! {block.span()=> async move #block };
        let fut_ident = syn::Ident::new("__inprof_fut", Span::mixed_site());
        let wrapped = wrap(fut_ident.to_token_stream());
        // The async block is ours, not the user's: an `async fn` whose body
        // only awaits one future must not get clippy's
        // redundant_async_block, which the same fn without `#[profile]`
        // does not get.
        quote! {{
            #statics
            #[allow(clippy::redundant_async_block)]
            let #fut_ident = #fut;
            #wrapped.await
        }}
    } else if let Some(b) = drives_body_future(&block) {
        // `#[tokio::main]` / `#[tokio::test]` ran first: the `body` future
        // is the function's work; the runtime that drives it is not.
        let (before, init, after) = b;
        let wrapped = wrap(init.to_token_stream());
        quote! {{
            #statics
            #(#before)*
            let body = #wrapped;
            #(#after)*
        }}
    } else if let Some((before, inner)) = returns_boxed_future(&block) {
        // `#[async_trait]` ran first: the boxed future is the method's
        // work; boxing it is not.
        let wrapped = wrap(inner.to_token_stream());
        quote! {{
            #statics
            #(#before)*
            #p::Box::pin(#wrapped)
        }}
    } else {
        // The user's block itself, its braces and spans kept (lints that
        // look at the function's body, such as clippy's needless_return,
        // keep seeing the user's), with the instrumentation first.
        if let (Outline::Body, None) = (outline, &args.always) {
            // The body as a closure, inlined where the call is off or
            // demoted, run by `record_body` where it is recorded; its
            // return type is the function's (so `?` and `return` in it
            // mean what they meant).
            // Items declared in the body stay in the function's own
            // body, so that their `type_name` paths do not gain a
            // `{{closure}}`; they see no local either way. (A body whose
            // items must stay where they are, or that names a closure,
            // keeps the guard form: see [`renames_in_closure`].)
            let (items, rest): (Vec<Stmt>, Vec<Stmt>) = block
                .stmts
                .into_iter()
                .partition(|s| matches!(s, Stmt::Item(_)));
            let braces = block.brace_token;
            let body = Block {
                brace_token: braces,
                stmts: rest,
            };
            // The closure returns the function's type, written out:
            // a value coerced where it is returned (`Some(s)` of a
            // `&String` for an `Option<&str>`) needs the type known
            // while the body is checked, which the call's expected
            // type alone does not give. Elided lifetimes in it are
            // inferred, as they are in any closure's return type.
            // Where it names the impl block's type, the copy says `Self`
            // (see [`self_for`]): clippy's use_self, which leaves a trait
            // impl's signature alone, must not fire on this copy of what
            // the user wrote once (winnow 1.0.5's `impl HexUint for
            // usize`, whose method returns `usize`).
            let ret = match &sig.output {
                syn::ReturnType::Default => TokenStream::new(),
                syn::ReturnType::Type(arrow, ty) => {
                    let ty = match impl_ty {
                        Some(it) if !shadows(&sig.generics, it) => {
                            let it: Vec<TokenTree> = it.to_token_stream().into_iter().collect();
                            self_for(ty.to_token_stream(), &it)
                        }
                        _ => ty.to_token_stream(),
                    };
                    quote! { #arrow #ty }
                }
            };
            // clippy's result_large_err and type_complexity look at
            // closures too: the function has the user's warning
            // already, or none where it implements a trait, whose
            // signature clippy leaves alone (itertools'
            // `coalesce_pair`). The allows also cover closures inside
            // the body: warnings lost there.
            // The closure itself with the span of the user's block,
            // so that clippy lints its body as the user's code
            // (needless_return), as it would the function's.
            let closure = quote_spanned! {body.span()=> move || #ret #body };
            // An empty body names nothing; the function's type
            // parameters are then named here, as clippy's
            // extra_unused_type_parameters, which leaves empty bodies
            // alone, would fire on the function with a closure in it
            // (`fn assert_send_sync<T: Send + Sync>() {}`: memchr,
            // either, indexmap wholesale). Each behind a pointer: a
            // parameter may be `?Sized`, which a tuple holds only last
            // (pin-project-lite 0.2.19's `verify_drop<T: ?Sized + ..>`).
            let named = if body.stmts.is_empty() {
                let types = sig.generics.params.iter().filter_map(|g| match g {
                    syn::GenericParam::Type(t) => Some(&t.ident),
                    _ => None,
                });
                quote! { let _: #p::core::marker::PhantomData<(#(*const #types,)*)>; }
            } else {
                TokenStream::new()
            };
            let mut out: Block = syn::parse2(quote! {{
                #statics
                #named
                #(#items)*
                return #p::run_body(
                    &#cs,
                    #self_ty,
                    #[allow(clippy::result_large_err, clippy::type_complexity)]
                    #[cfg_attr(not(debug_assertions), inline(always))]
                    #closure,
                );
            }})?;
            // The function's own braces: its span stays the user's, so
            // that clippy, which skips what it finds came from a macro
            // by the item's source text, keeps linting the function
            // (result_large_err, ...) as written.
            out.brace_token = braces;
            return Ok(out);
        }
        // The guard's record goes into a slot of this function's stack,
        // written only when the call is recorded (see `enter_scope`).
        let guard = syn::Ident::new("__inprof_guard", Span::mixed_site());
        let slot = syn::Ident::new("__inprof_slot", Span::mixed_site());
        let prefix: Block = syn::parse2(quote! {{
            #statics
            let mut #slot: #p::ScopeSlot = #p::ScopeSlot::uninit();
            let #guard = #p::enter_scope(&#cs, #self_ty, &mut #slot);
        }})?;
        // The guard's statements after the body's leading items (a `use`,
        // a helper `fn`), not before: clippy's items_after_statements
        // would fire on the user's items (simdutf8 0.1.5, which turns
        // clippy's pedantic lints on). Items run nothing: the same time
        // is recorded.
        let mut out = block;
        let (statics, lets): (Vec<Stmt>, Vec<Stmt>) = prefix
            .stmts
            .into_iter()
            .partition(|s| matches!(s, Stmt::Item(_)));
        let lead = out
            .stmts
            .iter()
            .position(|s| !matches!(s, Stmt::Item(_)))
            .unwrap_or(out.stmts.len());
        out.stmts.splice(lead..lead, lets);
        out.stmts.splice(0..0, statics);
        return Ok(out);
    };
    syn::parse2(body)
}

/// `ts` (a type) with each whole type in it that is written as `impl_ty`
/// is (token for token) replaced by `Self`, spanned as the first token it
/// replaces: the same type inside the impl block. Not where the tokens
/// are part of a longer path (`x::T`, `T::Assoc`) or take generic
/// arguments (`T<u8>`, a type whose parameters have defaults), which may
/// be another type. A type alias of `impl_ty` is left as written.
fn self_for(ts: TokenStream, impl_ty: &[TokenTree]) -> TokenStream {
    let toks: Vec<TokenTree> = ts.into_iter().collect();
    let colon =
        |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == ':');
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let end = i + impl_ty.len();
        let same = !impl_ty.is_empty()
            && end <= toks.len()
            && toks[i..end]
                .iter()
                .zip(impl_ty)
                .all(|(a, b)| a.to_string() == b.to_string());
        let in_path = (i > 0 && colon(toks.get(i - 1))) || colon(toks.get(end));
        let has_args = matches!(toks.get(end), Some(TokenTree::Punct(p)) if p.as_char() == '<');
        if same && !in_path && !has_args {
            out.push(TokenTree::Ident(proc_macro2::Ident::new(
                "Self",
                toks[i].span(),
            )));
            i = end;
            continue;
        }
        out.push(match &toks[i] {
            TokenTree::Group(g) => {
                let mut n = proc_macro2::Group::new(g.delimiter(), self_for(g.stream(), impl_ty));
                n.set_span(g.span());
                TokenTree::Group(n)
            }
            t => t.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

/// Whether a type's tokens hold a reference, a lifetime, a trait object
/// or an `impl Trait`.
fn elides(ts: TokenStream) -> bool {
    any_token(ts, &|t| match t {
        TokenTree::Punct(p) => matches!(p.as_char(), '&' | '\'' | '+'),
        TokenTree::Ident(i) => i == "dyn" || i == "impl",
        _ => false,
    })
}

/// Whether the method's own generic parameters reuse a name that
/// `impl_ty` is written with (`fn f<T>() -> T` in `impl X for T`): there
/// the written type is not the impl block's.
fn shadows(generics: &syn::Generics, impl_ty: &syn::Type) -> bool {
    // Lifetimes cannot be shadowed (E0496).
    let names: Vec<String> = generics
        .params
        .iter()
        .filter_map(|g| match g {
            syn::GenericParam::Type(t) => Some(t.ident.to_string()),
            syn::GenericParam::Const(c) => Some(c.ident.to_string()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    !names.is_empty() && has_ident(impl_ty.to_token_stream(), &|i| names.iter().any(|n| i == n))
}

/// `let body = async { .. };` as the first statement of a sync function's
/// body (what `#[tokio::main]` and `#[tokio::test]` generate): the
/// statements before it, the async block, and the statements after it.
fn drives_body_future(block: &Block) -> Option<(Vec<&Stmt>, &Expr, Vec<&Stmt>)> {
    for (i, s) in block.stmts.iter().enumerate() {
        if let Stmt::Local(l) = s {
            let is_body = matches!(&l.pat, syn::Pat::Ident(p) if p.ident == "body");
            if let (true, Some(init)) = (is_body, &l.init) {
                if matches!(&*init.expr, Expr::Async(_)) && init.diverge.is_none() {
                    let before = block.stmts[..i].iter().collect();
                    let after = block.stmts[i + 1..].iter().collect();
                    return Some((before, &init.expr, after));
                }
            }
        }
        // Only items may come before it.
        if !matches!(s, Stmt::Item(_)) {
            return None;
        }
    }
    None
}

/// A body that ends in `Box::pin(async move { .. })` (what `#[async_trait]`
/// generates): the statements before, and the async block.
fn returns_boxed_future(block: &Block) -> Option<(Vec<&Stmt>, &Expr)> {
    let (last, before) = block.stmts.split_last()?;
    let Stmt::Expr(Expr::Call(call), None) = last else {
        return None;
    };
    let Expr::Path(p) = &*call.func else {
        return None;
    };
    let segs: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if segs.len() < 2 || segs[segs.len() - 2..] != ["Box", "pin"] || call.args.len() != 1 {
        return None;
    }
    let arg = call.args.first()?;
    matches!(arg, Expr::Async(_)).then(|| (before.iter().collect(), arg))
}

/// The standard library's macros that expand to an expression or a `let`
/// statement, never to an item.
const EXPRESSION_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "dbg",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "matches",
    "panic",
    "print",
    "println",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
];

/// Whether a statement of a body may define items that must stay beside
/// the body's other items: a macro defined in the body (`macro_rules!`
/// may name a local, and items may use the macro), or a macro called in
/// statement position that is not one of the standard library's
/// expression macros. Such a macro may expand to an `impl` of a trait the
/// body declares (erased-serde 0.4.11's `serialize_trait_object!(Trait)`:
/// an `impl` one body deeper than its trait fires rustc's
/// `non_local_definitions`), or to a type the body's own `impl` names
/// (which, moved out of the closure, would no longer see it).
fn may_define_items(s: &Stmt) -> bool {
    let called = match s {
        Stmt::Item(Item::Macro(_)) => return true,
        Stmt::Macro(m) => &m.mac,
        Stmt::Expr(Expr::Macro(m), _) => &m.mac,
        _ => return false,
    };
    let name = called.path.segments.last().map(|s| s.ident.to_string());
    !name.is_some_and(|n| EXPRESSION_MACROS.contains(&n.as_str()))
}

#[cfg(all(test, feature = "enable"))]
mod tests {
    use super::expand;
    use proc_macro2::TokenStream;
    use quote::quote;

    /// Which form `#[profile]` gave the item.
    fn form_of(out: &str) -> &'static str {
        let has = |w: &str| out.contains(w);
        match (has("run_body"), has("enter_scope")) {
            (true, false) => "body",
            (false, true) => "guard",
            _ => panic!("no one form: {out}"),
        }
    }

    fn form(args: TokenStream, item: TokenStream) -> &'static str {
        form_of(&expand(args, item).unwrap().to_string())
    }

    /// A statement that makes a body more than small (see `is_small`).
    fn pad() -> TokenStream {
        quote! { let _pad = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]; }
    }

    #[test]
    fn every_sync_body_runs_as_a_closure() {
        let pad = pad();
        for item in [
            quote! { fn f(a: u32) -> u32 { a } },
            quote! { fn f(a: u32) -> u32 { #pad a } },
            quote! { fn f<T: Default>(n: usize) -> Vec<T> { #pad let mut v = Vec::with_capacity(n); v.push(T::default()); v } },
            quote! { fn f<'a>(a: &'a str, _b: &str) -> &'a str { #pad a } },
            quote! { fn f(xs: impl Iterator<Item = u8>) -> usize { #pad xs.count() } },
            quote! { fn f() -> u32 { #pad fn g() -> u32 { 1 } use m::{h, k as j}; g() + h() + j() } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "body", "{item}");
        }
        for imp in [
            quote! { impl S { fn f(&mut self, i: usize) -> &mut u32 { #pad &mut self.v[i] } } },
            quote! { impl Tr for S { fn f(&self) -> u32 { #pad 1 } } },
            quote! { trait Tr<T> { fn f(&self, t: T) -> T { #pad t } } },
        ] {
            let out = expand(quote! {}, imp.clone()).unwrap().to_string();
            assert_eq!(form_of(&out), "body", "{imp}");
        }
        let imp = quote! {
            impl S {
                fn f(&mut self, i: usize) -> &mut u32 { &mut self.v[i] }
            }
        };
        let out = expand(quote! {}, imp).unwrap().to_string();
        assert!(
            out.contains("# [cfg_attr (not (debug_assertions) , inline (always))] move | | -> & mut u32 { & mut self . v [i] }"),
            "{out}"
        );
        // Shapes that keep a guard keep it, small or not.
        let item = quote! { #[track_caller] fn f(a: u32) -> u32 { a } };
        assert_eq!(form(quote! {}, item), "guard");
        // Repeat counts rustc judges generic inside a closure (memoffset
        // 0.9.1), in macro arguments too; other counts, and `offset_of` or
        // a `const` block outside a count, keep the closure.
        for item in [
            quote! { fn f() -> usize { [0u8; core::mem::offset_of!(S, b)].len() } },
            quote! { fn f() { assert_eq!([0; offset_of!(Foo, b)].len(), 4); } },
            quote! { fn f() -> usize { let v = [[(); const { 1 + 1 }]; 2]; v.len() } },
            quote! { fn f() -> usize { { [1u8; 2 * const { 3 }].len() } } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "guard", "{item}");
        }
        // A `fold` from 0 or 1 the function returns (clippy's
        // unnecessary_fold names the type in a closure: permutohedron
        // 0.2.4); one a closure or a nested item returns, a `let` takes,
        // or that starts elsewhere, keeps the closure.
        for item in [
            quote! { fn f(n: usize) -> usize { (1..n + 1).fold(1, |a, b| a * b) } },
            quote! { fn f(n: usize) -> usize { if n > 2 { 0 } else { v.iter().fold(0usize, Add::add) } } },
            quote! { fn f(n: Option<usize>) -> usize { if let Some(n) = n { return (0..n).fold(0, |a, b| a + b); } 0 } },
            quote! { fn f(n: u8) -> u64 { match n { 0 => 1, _ => { (x).fold(1, |a, b| a * b) } } } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "guard", "{item}");
        }
        for item in [
            quote! { fn f(n: usize) -> usize { let t: usize = (0..n).fold(0, |a, b| a + b); t } },
            quote! { fn f(n: usize) -> usize { (0..n).fold(2, |a, b| a * b) } },
            quote! { fn f(v: &[u8]) -> Vec<u8> { v.iter().map(|x| { return (0..*x).fold(1, |a, b| a * b); }).collect() } },
            quote! { fn f() -> u32 { fn g() -> u32 { (0..3).fold(0, |a, b| a + b) } g() } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "body", "{item}");
        }
        // A function that expects a lint (sqlparser 0.64.0: clippy's
        // unnecessary_wraps and cognitive_complexity judge the function's
        // body, and an unmet expectation is a warning); `allow` keeps the
        // closure.
        for item in [
            quote! { #[expect(clippy::unnecessary_wraps)] fn f() -> Option<u32> { Some(1) } },
            quote! { #[cfg_attr(feature = "x", expect(dead_code))] fn f() -> u32 { 1 } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "guard", "{item}");
        }
        let imp = quote! {
            impl S {
                #[expect(clippy::cognitive_complexity, reason = "a long match")]
                fn f(&self) -> u32 { 1 }
            }
        };
        let out = expand(quote! {}, imp.clone()).unwrap().to_string();
        assert_eq!(form_of(&out), "guard", "{imp}");
        for item in [
            quote! { #[allow(clippy::unnecessary_wraps)] fn f() -> Option<u32> { Some(1) } },
            quote! { #[allow(clippy::expect_used)] fn f(x: Option<u32>) -> u32 { x.expect("x") } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "body", "{item}");
        }
        for item in [
            quote! { fn f() -> usize { [0u8; N * 2].len() + [0u8; 32].len() } },
            quote! { fn f() -> usize { [0u8; std::mem::size_of::<S>()].len() } },
            quote! { fn f() -> usize { let a: [u8; 4] = [0; 4]; a.len() + offset_of!(S, b) } },
            quote! { fn f() -> usize { let y = const { 2 }; y + [x, offset_of!(S, b)].len() } },
            quote! { fn f() -> Vec<u8> { vec![0; n] } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "body", "{item}");
        }
        // An empty body names its type parameters (clippy's
        // extra_unused_type_parameters leaves empty bodies alone).
        let item = quote! { fn assert_send<T: Send, U, const N: usize>() {} };
        let out = expand(quote! {}, item).unwrap().to_string();
        assert_eq!(form_of(&out), "body", "{out}");
        assert!(
            out.contains("PhantomData < (* const T , * const U ,) >"),
            "{out}"
        );
        let out = expand(quote! {}, quote! { fn f<T>() -> u32 { 1 } })
            .unwrap()
            .to_string();
        assert!(!out.contains("PhantomData"), "{out}");
    }

    #[test]
    fn the_body_as_a_closure_whatever_the_signature() {
        for item in [
            // An argument the body does not name keeps its warning.
            quote! { fn f(a: u32) -> u32 { 1 } },
            // Pattern arguments cannot be passed on by name.
            quote! { fn f((a, b): (u32, u32)) -> u32 { a + b } },
            // Generics an `impl Trait` argument keeps from being named.
            quote! { fn f<T: Clone>(t: T, u: impl Clone) -> T { let _ = u; t } },
            // The argument would hide the function from its own body.
            quote! { fn len(len: usize) -> usize { len * 2 } },
            // A method on its own: its impl (inherent or a trait's) unknown.
            quote! { fn f(&self) -> u32 { 1 } },
            // An item of the body named as the function hides it.
            quote! { fn f() { fn f<T>() {} f::<u8>() } },
            quote! { fn f() -> u32 { use other::f; f() } },
            quote! { fn f() -> u32 { use other::{g as f}; f() } },
            quote! { fn f() -> u32 { use other::*; g() } },
            quote! { fn f() -> u32 { const f: u32 = 1; f } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "body", "{item}");
        }
        // `Drop::drop` cannot be called explicitly; a trait impl's generic
        // method may be more general than the trait's.
        for (imp, closure) in [
            (
                quote! { impl Drop for S { fn drop(&mut self) { self.0 = 1; } } },
                "# [cfg_attr (not (debug_assertions) , inline (always))] move | | {",
            ),
            (
                quote! { impl Tr for S { fn visit<E>(self, v: bool) -> Result<u32, E> { Ok(v as u32) } } },
                "# [cfg_attr (not (debug_assertions) , inline (always))] move | | -> Result < u32 , E > {",
            ),
            (
                quote! { impl Tr for S { fn name(&self, n: &str) -> Option<&str> { Some(n) } } },
                "# [cfg_attr (not (debug_assertions) , inline (always))] move | | -> Option < & str > {",
            ),
        ] {
            let out = expand(quote! {}, imp.clone()).unwrap().to_string();
            assert_eq!(form_of(&out), "body", "{imp}");
            // The user's block, braces and all, is the closure's body,
            // inlined where the call is not recorded; it returns the
            // function's own type, written out.
            assert!(out.contains(closure), "{out}");
        }
        // Items in the body stay out of the closure (their paths unchanged).
        let out = expand(
            quote! {},
            quote! { fn f((a, b): (u32, u32)) -> u32 { let c = a; struct In; fn g() -> u32 { 1 } c + b + g() } },
        )
        .unwrap()
        .to_string();
        let closure = out.find("move | |").unwrap();
        assert!(out.find("struct In").unwrap() < closure, "{out}");
        assert!(out.find("fn g ()").unwrap() < closure, "{out}");
        assert!(out.find("let c = a").unwrap() > closure, "{out}");
        // A body whose closure form would rename something keeps the
        // guard form, its statements where they were: one that defines a
        // macro (it may name a local), ...
        let guarded = |body: TokenStream| {
            let item = quote! { fn f(a: u32) -> u32 { #body } };
            let out = expand(quote! {}, item).unwrap().to_string();
            assert_eq!(form_of(&out), "guard", "{body}: {out}");
            out
        };
        let out = guarded(quote! { let c = a; macro_rules! m { () => { c } } struct In; m!() });
        assert!(
            out.find("let c = a").unwrap() < out.find("struct In").unwrap(),
            "{out}"
        );
        // ... one with items beside a macro called in statement position
        // that may define items (erased-serde's
        // `serialize_trait_object!(Trait)`), with or without a semicolon,
        // ...
        for call in [
            quote! { implement!(Tr); },
            quote! { my::implement! { Tr } },
            quote! { thread_local! { static X: u8 = 0; } },
        ] {
            guarded(quote! { trait Tr {} #call a });
        }
        // ... one that ends with items (clippy's needless_return would see
        // the `return` last), ...
        guarded(quote! { struct In; return g(a); fn g(a: u32) -> u32 { a } });
        // ... and one with a closure or an async block of its own (their
        // `type_name`s would gain a `{{closure}}`: tower-layer 0.3.3), in
        // macro arguments too, and where those do not parse as
        // expressions.
        for body in [
            quote! { let f = |x: u32| x + 1; f(a) },
            quote! { let _ = async { 1 }; a },
            quote! { let _ = async move || 1; a },
            quote! { assert_eq!(format!("{:?}", Some(|| 1).is_some()), "true"); a },
            quote! { my_dsl!(a => |x| x); a },
            quote! { let l = layer_fn(|svc| Wrapped { inner: svc }); a },
            quote! { xs.iter().map(|x| { let f = move || x; f() }).count() as u32 },
        ] {
            guarded(body);
        }
        // The standard library's expression macros define no item; `|` of
        // a pattern or a bit-or is no closure, nor are closures of an item
        // in the body (named by the item's path).
        for body in [
            quote! { trait Tr {} assert!(a > 0); println!("{a}"); debug_assert_eq!(a, 1); std::assert_ne!(a, 2); a },
            quote! { match a { 1 | 2 => 0, _ => a | 1 } },
            quote! { assert!(matches!(a, 1 | 2)); a },
            quote! { fn g(a: u32) -> u32 { (0..a).map(|x| x).sum() } g(a) },
            // Closures and async blocks passed straight to a method (the
            // leaf sweep's `mid`).
            quote! { (0..10).fold(a, |b, _| leaf(b)) },
            quote! { let v = [1, 2].iter().copied().map(|x| x).count() as u32; a + v },
            quote! { rt.block_on(async { 1 }) + a },
            // Without items of its own, a macro call stays in the closure.
            quote! { implement!(Tr); tri!(check(a)); a },
        ] {
            let item = quote! { fn f(a: u32) -> u32 { #body } };
            let out = expand(quote! {}, item).unwrap().to_string();
            assert_eq!(form_of(&out), "body", "{body}: {out}");
        }
    }

    #[test]
    fn the_guard_goes_after_leading_items() {
        // clippy's items_after_statements (simdutf8 0.1.5): the user's
        // items come before the guard's `let`s, the statics before both.
        let item = quote! { unsafe fn f(a: u32) -> u32 { use core::mem; static S: u8 = 0; let b = a; fn g() {} b } };
        let out = expand(quote! {}, item).unwrap().to_string();
        assert_eq!(form_of(&out), "guard", "{out}");
        let at = |w: &str| out.find(w).unwrap_or_else(|| panic!("{w}: {out}"));
        assert!(
            at("static __INPROF_CALLSITE") < at("use core :: mem"),
            "{out}"
        );
        assert!(at("static S") < at("let mut __inprof_slot"), "{out}");
        assert!(at("let __inprof_guard") < at("let b = a"), "{out}");
        assert!(at("let b = a") < at("fn g ()"), "{out}");
    }

    #[test]
    fn instrumented_once_however_often_the_attribute_is_repeated() {
        // rstest_reuse's `#[apply]` copies a template's attributes.
        let once = expand(quote! {}, quote! { fn f(a: u32) -> u32 { a } })
            .unwrap()
            .to_string();
        let twice = expand(
            quote! {},
            quote! { #[inprof::profile] #[profile] fn f(a: u32) -> u32 { a } },
        )
        .unwrap()
        .to_string();
        assert_eq!(once, twice);
        let always = expand(
            quote! { always },
            quote! { #[inprof::profile(always)] fn f(a: u32) -> u32 { a } },
        )
        .unwrap()
        .to_string();
        assert_eq!(always.matches("__INPROF_CALLSITE :").count(), 1, "{always}");
        let e = expand(
            quote! {},
            quote! { #[inprof::profile(always)] fn f(a: u32) -> u32 { a } },
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("twice, with different arguments"),
            "{e}"
        );
    }

    #[test]
    fn canonical_clone_and_partial_cmp_left_as_written() {
        for imp in [
            quote! { impl Clone for P { fn clone(&self) -> Self { *self } } },
            quote! { impl PartialOrd for P { fn partial_cmp(&self, o: &Self) -> Option<Ordering> { Some(self.cmp(o)) } } },
            quote! { impl PartialOrd for P { fn partial_cmp(&self, o: &Self) -> Option<Ordering> { Some(Ord::cmp(self, o)) } } },
            quote! { impl PartialOrd for P { fn partial_cmp(&self, o: &Self) -> Option<Ordering> { Some(Ord::cmp(&self[..], &o[..])) } } },
            quote! { impl PartialOrd for P { fn partial_cmp(&self, o: &Self) -> Option<Ordering> { self.cmp(o).into() } } },
        ] {
            let out = expand(quote! {}, imp.clone()).unwrap().to_string();
            assert!(!out.contains("__INPROF_CALLSITE"), "{out}");
        }
        // Other bodies are timed; so is a canonical one annotated itself.
        for imp in [
            quote! { impl Clone for P { fn clone(&self) -> Self { P(self.0) } } },
            quote! { impl PartialOrd for P { fn partial_cmp(&self, o: &Self) -> Option<Ordering> { self.0.partial_cmp(&o.0) } } },
            quote! { impl PartialOrd for P { fn partial_cmp(&self, o: &Self) -> Option<Ordering> { Some(o.cmp(self)) } } },
            quote! { impl PartialOrd for P { fn partial_cmp(&self, o: &Self) -> Option<Ordering> { self.0.partial_cmp(&o.0).into() } } },
            quote! { impl Clone for P { #[profile] fn clone(&self) -> Self { *self } } },
        ] {
            let out = expand(quote! {}, imp.clone()).unwrap().to_string();
            assert!(out.contains("__INPROF_CALLSITE"), "{out}");
        }
    }

    #[test]
    fn a_guard_where_a_closure_could_differ() {
        for item in [
            quote! { #[track_caller] fn f() -> u32 { 1 } },
            quote! { #[target_feature(enable = "avx2")] fn f() -> u32 { 1 } },
            quote! { unsafe fn f() -> u32 { 1 } },
            quote! { fn f() -> ! { loop {} } },
            quote! { fn f() -> impl Clone { 1 } },
            quote! { fn main() {} },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "guard", "{item}");
        }
        assert_eq!(
            form(quote! { always }, quote! { fn f() -> u32 { 1 } }),
            "guard"
        );
    }

    #[test]
    fn a_guard_where_the_trait_tracks_the_caller() {
        // core declares `Index::index` and `IndexMut::index_mut`
        // `#[track_caller]`: their impls are so without saying it.
        for imp in [
            quote! { impl Index<usize> for S { type Output = u8; fn index(&self, i: usize) -> &u8 { &self.v[i] } } },
            quote! { impl core::ops::IndexMut<K> for S { fn index_mut(&mut self, k: K) -> &mut u8 { &mut self.v[k.0] } } },
        ] {
            assert_eq!(form(quote! {}, imp.clone()), "guard", "{imp}");
        }
        // Other methods of the block, and `index` elsewhere, keep the
        // closure.
        let out = expand(
            quote! {},
            quote! { impl Index<usize> for S { type Output = u8; fn index(&self, i: usize) -> &u8 { &self.v[i] } fn other(&self) -> u8 { 1 } } },
        )
        .unwrap()
        .to_string();
        assert!(
            out.contains("enter_scope") && out.contains("run_body"),
            "{out}"
        );
        for imp in [
            quote! { impl S { fn index(&self, i: usize) -> &u8 { &self.v[i] } } },
            quote! { impl Lookup for S { fn index(&self, i: usize) -> &u8 { &self.v[i] } } },
        ] {
            let out = expand(quote! {}, imp.clone()).unwrap().to_string();
            assert!(out.contains("run_body"), "{imp}");
        }
    }

    #[test]
    fn a_guard_where_the_body_assigns_to_a_parameter_it_owns() {
        for item in [
            quote! { fn pop(mut this: P) -> u8 { let v = this.v; this.removed = true; v } },
            quote! { fn take(mut self) -> u8 { self.removed = true; 1 } },
            quote! { fn f(mut t: (u8, u8)) -> u8 { t.0 += 1; t.1 } },
            quote! { fn f(mut a: [u8; 2]) -> u8 { (a[0]) = 1; a[1] } },
            quote! { fn f((mut a, b): (u8, u8)) -> u8 { a = 2; a + b } },
            quote! { fn f(mut n: u32) -> u32 { if n > 3 { n -= 1; } n } },
            quote! { fn f(mut n: u32) -> u32 { m!(n = 2); n } },
            quote! { fn f(mut n: u32) -> u32 { m!(n; 2) } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "guard", "{item}");
        }
        // A binding by reference or not `mut`, a write through a
        // pointer, reads only, an item's own locals: the closure.
        for item in [
            quote! { fn f(&mut self) { self.x = 1; } },
            quote! { fn f(p: &mut P) { p.x = 1; } },
            quote! { fn f(mut p: &mut u8) { *p = 1; } },
            quote! { fn f(mut n: u32) -> u32 { n.min(3) } },
            quote! { fn f(mut n: u32) -> u32 { let mut m = n; m += 1; m } },
            quote! { fn f(mut n: u32) -> u32 { fn g(mut n: u32) -> u32 { n += 1; n } g(n) } },
        ] {
            assert_eq!(form(quote! {}, item.clone()), "body", "{item}");
        }
    }

    #[test]
    fn an_item_syn_does_not_read_gets_its_own_error_without_core() {
        use super::{bare_fn_trait, compile_errors};
        // Bare `Fn` trait objects where a type goes.
        for ts in [
            quote! { fn f(g: Box<Fn(u8) -> u8>) {} },
            quote! { fn f(g: &Fn()) {} },
            quote! { fn f(g: Box<FnMut() + Send>) {} },
            quote! { impl S { fn f(&self) -> Option<&FnOnce()> { None } } },
        ] {
            assert!(bare_fn_trait(ts.clone()), "{ts}");
        }
        // Bounds, `dyn`, `impl`, and a name without arguments.
        for ts in [
            quote! { fn f<F: Fn(u8)>(g: F) {} },
            quote! { fn f<F>(g: F) where F: Send + FnOnce() {} },
            quote! { fn f(g: &dyn Fn()) -> impl FnMut() { || () } },
            quote! { fn f(g: Box<dyn Fn() + Send>) {} },
            quote! { fn f() { let Fn = 1; } },
        ] {
            assert!(!bare_fn_trait(ts.clone()), "{ts}");
        }
        let e = expand(quote! {}, quote! { fn f(g: Box<Fn(u8) -> u8>) {} }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "#[inprof::profile] cannot read this item (expected `,`); an edition-2015 bare \
             trait object such as `Box<Fn(u8)>` is not read: write `Box<dyn Fn(u8)>`"
        );
        let two = {
            let mut e = syn::Error::new(proc_macro2::Span::call_site(), "one");
            e.combine(syn::Error::new(proc_macro2::Span::call_site(), "two"));
            e
        };
        assert_eq!(
            compile_errors(two).to_string(),
            "compile_error ! { \"one\" } compile_error ! { \"two\" }"
        );
    }
}
