//! Parsing of `#[profile(...)]` arguments.

use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(always);
}

/// The arguments of one `#[profile(...)]`.
#[derive(Default)]
pub struct Args {
    /// `name = "..."`: the frame's name.
    pub name: Option<LitStr>,
    /// `skip`: leave this method out of an instrumented impl block.
    pub skip: Option<kw::skip>,
    /// `always`: never demoted, however short its calls.
    pub always: Option<kw::always>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let la = input.lookahead1();
            if la.peek(kw::name) {
                let k: kw::name = input.parse()?;
                if args.name.is_some() {
                    return Err(syn::Error::new(k.span, "`name` given more than once"));
                }
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(lit.span(), "`name` must not be empty"));
                }
                args.name = Some(lit);
            } else if la.peek(kw::always) {
                let k: kw::always = input.parse()?;
                if args.always.is_some() {
                    return Err(syn::Error::new(k.span, "`always` given more than once"));
                }
                args.always = Some(k);
            } else if la.peek(kw::skip) {
                let k: kw::skip = input.parse()?;
                if args.skip.is_some() {
                    return Err(syn::Error::new(k.span, "`skip` given more than once"));
                }
                args.skip = Some(k);
            } else {
                return Err(la.error());
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}
