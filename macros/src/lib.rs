//! The `#[profile]` attribute of inprof. Use it as `#[inprof::profile]`
//! through the `inprof` crate; generated code names the runtime through
//! `::inprof::__private`.

mod args;
mod demoted;
mod expand;

use proc_macro::TokenStream;

/// Instruments a function, method, `async fn`, or every method of an `impl`
/// block. See the `inprof` crate's documentation.
#[proc_macro_attribute]
pub fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.into();
    match expand::expand(args.into(), item2.clone()) {
        Ok(ts) => ts.into(),
        Err(e) => {
            // One error, and the item left intact so no cascade follows.
            let mut out = e.to_compile_error();
            out.extend(expand::intact(item2));
            out.into()
        }
    }
}
