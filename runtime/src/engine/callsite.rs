//! Static callsites: one per instrumented function or scope.

use std::sync::OnceLock;

/// One instrumented place in the source: a function or a `scope!`.
///
/// Each is a `static`, built in a `const` context by the `#[profile]`
/// attribute; its full name is resolved once, lazily, on the cold path that
/// first adds it to a call tree.
pub struct Callsite {
    name: &'static str,
    file: &'static str,
    line: u32,
    kind: Kind,
    resolved: OnceLock<&'static str>,
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
        Callsite {
            name,
            file,
            line,
            kind: Kind::Plain,
            resolved: OnceLock::new(),
        }
    }

    /// A callsite of a method; its name gets the `Self` type's path in front
    /// when it is first entered.
    pub const fn method(name: &'static str, file: &'static str, line: u32) -> Self {
        Callsite {
            name,
            file,
            line,
            kind: Kind::Method,
            resolved: OnceLock::new(),
        }
    }

    /// A callsite that marks a label set (not a frame of its own).
    pub(crate) const fn label() -> Self {
        Callsite {
            name: "[labels]",
            file: "",
            line: 0,
            kind: Kind::Label,
            resolved: OnceLock::new(),
        }
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
