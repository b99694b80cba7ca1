//! The `#[profile]` attribute of inprof. Use it as `#[inprof::profile]`
//! through the `inprof` crate; generated code names the runtime through
//! `::inprof::__private`.

mod args;
mod demoted;
mod docs;
mod expand;

use proc_macro::TokenStream;

/// Instruments a function, method, `async fn`, or every method of an `impl`
/// block. See the `inprof` crate's documentation.
#[proc_macro_attribute]
pub fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.into();
    // Whatever comes out, its doc comments read as written (see `docs`).
    match expand::expand(args.into(), item2.clone()) {
        Ok(ts) => docs::as_written(ts).into(),
        Err(e) => {
            // One error, and the item left intact so no cascade follows.
            let mut out = expand::compile_errors(e);
            out.extend(docs::as_written(expand::intact(item2)));
            out.into()
        }
    }
}
