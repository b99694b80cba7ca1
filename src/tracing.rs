//! A `tracing_subscriber::Layer` that turns spans into inprof frames, so
//! code already annotated with `#[tracing::instrument]` (or entering spans
//! by hand) appears in inprof's profiles without re-annotation. A span's
//! frame is named `target::name` (for `#[instrument]`: `crate::module::fn`).
//!
//! ```no_run
//! use tracing_subscriber::prelude::*;
//! tracing_subscriber::registry().with(inprof::tracing::Layer::new()).init();
//! ```
//!
//! Each enter and exit of a span is one call of its frame, on the thread
//! that entered it.

use crate::__private::{enter, Callsite, Guard};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;
use tracing_core::span::Id;
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::layer::Context;

/// The layer; see the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Layer {
    _priv: (),
}

impl Layer {
    /// A new layer.
    pub fn new() -> Layer {
        Layer::default()
    }
}

static CALLSITES: Mutex<Vec<(usize, &'static Callsite)>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's cache of callsites by metadata address.
    static CACHE: RefCell<HashMap<usize, &'static Callsite>> = RefCell::new(HashMap::new());
    /// The frames of spans this thread has entered, innermost last.
    static OPEN: RefCell<Vec<(u64, Guard)>> = const { RefCell::new(Vec::new()) };
}

fn callsite_for(meta: &'static Metadata<'static>) -> &'static Callsite {
    let key = meta as *const Metadata<'static> as usize;
    if let Ok(Some(cs)) = CACHE.try_with(|c| c.borrow().get(&key).copied()) {
        return cs;
    }
    let cs = {
        let mut all = CALLSITES.lock().unwrap_or_else(|e| e.into_inner());
        match all.iter().find(|(k, _)| *k == key) {
            Some((_, cs)) => *cs,
            None => {
                let name: &'static str =
                    Box::leak(format!("{}::{}", meta.target(), meta.name()).into_boxed_str());
                let cs: &'static Callsite = Box::leak(Box::new(Callsite::new(
                    name,
                    meta.file().unwrap_or(""),
                    meta.line().unwrap_or(0),
                )));
                all.push((key, cs));
                cs
            }
        }
    };
    let _ = CACHE.try_with(|c| c.borrow_mut().insert(key, cs));
    cs
}

impl<S> tracing_subscriber::Layer<S> for Layer
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let cs = callsite_for(span.metadata());
        let g = enter(cs, None);
        let _ = OPEN.try_with(|o| o.borrow_mut().push((id.into_u64(), g)));
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        let _ = OPEN.try_with(|o| {
            let mut o = o.borrow_mut();
            if let Some(pos) = o.iter().rposition(|(i, _)| *i == id.into_u64()) {
                // Spans left out of order: leave the inner frames first.
                while o.len() > pos {
                    drop(o.pop());
                }
            }
        });
    }
}
