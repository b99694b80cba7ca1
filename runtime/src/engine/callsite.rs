//! Static callsites: one per instrumented function or scope.

use crate::engine::mode;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::OnceLock;

/// One instrumented place in the source: a function or a `scope!`.
///
/// Each is a `static`, built in a `const` context by the `#[profile]`
/// attribute; its full name is resolved once, lazily, on the cold path that
/// first adds it to a call tree. Its state byte is the one thing an
/// instrumented call reads before anything else (see [`mode`]).
pub struct Callsite {
    name: &'static str,
    file: &'static str,
    line: u32,
    kind: Kind,
    /// Never demoted (`#[profile(always)]`, label sets).
    always: bool,
    resolved: OnceLock<&'static str>,
    /// [`mode::OFF`], [`mode::DEMOTED`], [`mode::UNSEEN`] or [`mode::ON`].
    pub(crate) state: AtomicU8,
    /// Whether it was demoted (kept while recording is off).
    pub(crate) demoted: std::sync::atomic::AtomicBool,
    /// At demotion: the calls counted on the deciding path, and their mean
    /// inclusive time in ticks.
    pub(crate) demoted_calls: AtomicU64,
    pub(crate) demoted_mean_ticks: AtomicU64,
    /// The registry of callsites seen (see [`mode`]).
    pub(crate) next: AtomicPtr<Callsite>,
}

#[derive(Clone, Copy)]
enum Kind {
    /// `name` is the full name.
    Plain,
    /// `name` is a method name; the full name is `Self`'s path + `::` + name.
    Method,
    /// Not a frame: a set of labels entered by `with_labels`.
    Label,
}

/// A function that returns the name of the `Self` type of a method
/// (`core::any::type_name::<Self>`), passed by generated code.
pub type SelfTypeName = fn() -> &'static str;

impl Callsite {
    /// A callsite whose name is complete (`crate::module::function`).
    pub const fn new(name: &'static str, file: &'static str, line: u32) -> Self {
        Callsite::build(name, file, line, Kind::Plain)
    }

    /// A callsite of a method; its name gets the `Self` type's path in front
    /// when it is first entered.
    pub const fn method(name: &'static str, file: &'static str, line: u32) -> Self {
        Callsite::build(name, file, line, Kind::Method)
    }

    /// A callsite that marks a label set (not a frame of its own).
    pub(crate) const fn label() -> Self {
        Callsite::build("[labels]", "", 0, Kind::Label).always()
    }

    const fn build(name: &'static str, file: &'static str, line: u32, kind: Kind) -> Self {
        Callsite {
            name,
            file,
            line,
            kind,
            always: false,
            resolved: OnceLock::new(),
            state: AtomicU8::new(mode::UNSEEN),
            demoted: std::sync::atomic::AtomicBool::new(false),
            demoted_calls: AtomicU64::new(0),
            demoted_mean_ticks: AtomicU64::new(0),
            next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The same callsite, never demoted however short its calls
    /// (`#[profile(always)]`).
    pub const fn always(mut self) -> Self {
        self.always = true;
        self
    }

    /// Whether it is never demoted.
    pub fn is_always(&self) -> bool {
        self.always
    }

    /// Whether it has been demoted: too short to time honestly, its later
    /// calls run untimed and uncounted, their time in their caller.
    pub fn is_demoted(&self) -> bool {
        self.demoted.load(Ordering::Relaxed)
    }

    /// Whether this callsite marks labels rather than a frame.
    pub(crate) fn is_label(&self) -> bool {
        matches!(self.kind, Kind::Label)
    }

    /// The function's full name, as it appears in profiles.
    pub fn name(&self) -> &'static str {
        self.resolved.get().copied().unwrap_or(self.name)
    }

    /// The source file.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line the function starts on.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Resolves the full name (cold path: called when a call-path node is
    /// first created for this callsite).
    pub(crate) fn resolve(&'static self, self_ty: Option<SelfTypeName>) {
        if self.resolved.get().is_some() {
            return;
        }
        let full: &'static str = match (self.kind, self_ty) {
            (Kind::Method, Some(f)) => {
                let ty = strip_generics(f());
                Box::leak(format!("{ty}::{}", self.name).into_boxed_str())
            }
            _ => self.name,
        };
        let _ = self.resolved.set(full);
    }
}

impl std::fmt::Debug for Callsite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callsite")
            .field("name", &self.name())
            .field("file", &self.file())
            .field("line", &self.line())
            .finish()
    }
}

/// `alloc::vec::Vec<u8>` -> `alloc::vec::Vec`; `<a::B as c::D>` kept readable.
pub(crate) fn strip_generics(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut depth = 0usize;
    for c in ty.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.trim_start_matches('&').trim();
    out.strip_prefix("mut ").unwrap_or(out).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::strip_generics;

    #[test]
    fn strips_generic_arguments() {
        assert_eq!(strip_generics("alloc::vec::Vec<u8>"), "alloc::vec::Vec");
        assert_eq!(
            strip_generics("my::Map<alloc::string::String, my::V<u8>>"),
            "my::Map"
        );
        assert_eq!(strip_generics("crate_a::m::Plain"), "crate_a::m::Plain");
    }
}
