//! Static callsites: one per instrumented function or scope, and the names
//! profiles give them.
//!
//! Names are the paths Rust itself gives functions (those a backtrace or a
//! debugger shows), resolved off the hot path, once per callsite and
//! `Self` type:
//!
//! - a free function: `crate::module::f`; one declared inside another:
//!   `crate::module::outer::inner`;
//! - an inherent method: `crate::module::Type::m`, with the concrete type's
//!   generic arguments (`crate::Stack<u8>::push` and
//!   `crate::Stack<alloc::string::String>::push` are two functions);
//! - a trait method, implemented or default: `<crate::S as
//!   core::fmt::Display>::fmt`, `<u8 as crate::Blanket>::blanket`, so that
//!   `Display::fmt` and `Debug::fmt` of one type are two rows;
//! - a function's own generic arguments are left out: one name for every
//!   instance of a generic function (as a flame graph wants it).
//!
//! Generated code gives each callsite a function that returns its own
//! definition path (`type_name_of_val` of a function declared in its body)
//! and, for methods, `type_name::<Self>`; the two make the name. Neither
//! shows a `{{closure}}` segment: the closure a body runs in is inprof's,
//! not the user's (see `without_closures`).

use crate::engine::mode;
use crate::engine::sysmem::{self, SysBuf};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};

/// One instrumented place in the source: a function or a `scope!`.
///
/// Each is a `static`, built in a `const` context by the `#[profile]`
/// attribute. Its state byte is the one thing an instrumented call reads
/// before anything else (see [`mode`]).
pub struct Callsite {
    kind: Kind,
    file: &'static str,
    line: u32,
    /// Never demoted (`#[profile(always)]`, label sets).
    always: bool,
    /// The directory of the crate it was compiled in (its
    /// `CARGO_MANIFEST_DIR`; empty if unknown): where a relative `file`
    /// is found.
    crate_dir: &'static str,
    /// The demoted list (`INPROF_DEMOTED`) its crate was built with, as
    /// it was then (empty if none): the functions compiled out of it.
    compiled_out: &'static [u8],
    /// `file` made absolute, on first need (profile building).
    source: std::sync::OnceLock<String>,
    /// Its frames are futures (an `async fn`): polls are counted apart
    /// from calls, and it is never demoted (its latency is the point).
    is_async: std::sync::atomic::AtomicBool,
    /// [`mode::OFF`], [`mode::DEMOTED`], [`mode::UNSEEN`] or [`mode::ON`].
    pub(crate) state: AtomicU8,
    /// Whether it was demoted (kept while recording is off).
    pub(crate) demoted: std::sync::atomic::AtomicBool,
    /// At demotion: the calls counted on the deciding path, and their mean
    /// inclusive time in ticks.
    pub(crate) demoted_calls: AtomicU64,
    pub(crate) demoted_mean_ticks: AtomicU64,
    /// The names resolved so far, one per `Self` type.
    names: AtomicPtr<Named>,
    /// The registry of callsites seen (see [`mode`]).
    pub(crate) next: AtomicPtr<Callsite>,
}

#[derive(Clone, Copy)]
enum Kind {
    /// The name is given.
    Fixed(&'static str),
    /// A function outside an impl: its definition path.
    Function(Here),
    /// A method: its definition path and the `Self` type.
    Method(Here),
    /// Not a frame: a set of labels entered by `with_labels`.
    Label,
}

/// A function that returns the name of the `Self` type of a method
/// (`__private::type_name::<Self>`, which is `core::any::type_name`),
/// passed by generated code.
pub type SelfTypeName = fn() -> &'static str;

/// A function declared in an instrumented function's body that returns
/// its own path (`core::any::type_name_of_val` of itself): the definition
/// path of the instrumented function, with `::__inprof_here` after it.
pub type Here = fn() -> &'static str;

/// The name of one callsite for one `Self` type.
pub struct Named {
    callsite: &'static Callsite,
    /// The `SelfTypeName` function (its address), 0 for none.
    self_ty: usize,
    name: &'static str,
    next: AtomicPtr<Named>,
}

impl Named {
    /// The name profiles show.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The callsite.
    pub fn callsite(&self) -> &'static Callsite {
        self.callsite
    }
}

impl Callsite {
    /// A callsite with a given name (`scope!`, `#[profile(name = "...")]`).
    pub const fn new(name: &'static str, file: &'static str, line: u32) -> Self {
        Callsite::build(Kind::Fixed(name), file, line)
    }

    /// A function's callsite, named by its definition path.
    pub const fn function(here: Here, file: &'static str, line: u32) -> Self {
        Callsite::build(Kind::Function(here), file, line)
    }

    /// A method's callsite, named by its definition path and its `Self`
    /// type.
    pub const fn method(here: Here, file: &'static str, line: u32) -> Self {
        Callsite::build(Kind::Method(here), file, line)
    }

    /// A callsite that marks a label set (not a frame of its own).
    pub(crate) const fn label() -> Self {
        Callsite::build(Kind::Label, "", 0).always()
    }

    const fn build(kind: Kind, file: &'static str, line: u32) -> Self {
        Callsite {
            kind,
            file,
            line,
            always: false,
            crate_dir: "",
            compiled_out: b"",
            source: std::sync::OnceLock::new(),
            is_async: std::sync::atomic::AtomicBool::new(false),
            state: AtomicU8::new(mode::UNSEEN),
            demoted: std::sync::atomic::AtomicBool::new(false),
            demoted_calls: AtomicU64::new(0),
            demoted_mean_ticks: AtomicU64::new(0),
            names: AtomicPtr::new(std::ptr::null_mut()),
            next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The same callsite, its relative source path found from `dir` (the
    /// crate's `CARGO_MANIFEST_DIR`, if cargo set it), so that profiles carry absolute
    /// paths (`go tool pprof -list` from any directory).
    pub const fn crate_dir(mut self, dir: Option<&'static str>) -> Self {
        if let Some(d) = dir {
            self.crate_dir = d;
        }
        self
    }

    /// The same callsite, its crate built with the demoted list `list`
    /// (`INPROF_DEMOTED`'s contents at build time), so that profiles can
    /// name the functions compiled out of it.
    pub const fn compiled_out(mut self, list: &'static [u8]) -> Self {
        self.compiled_out = list;
        self
    }

    /// The demoted list its crate was built with (empty if none).
    pub(crate) fn compiled_out_list(&self) -> &'static [u8] {
        self.compiled_out
    }

    /// The source file as an absolute path where it can be found (rustc
    /// gives paths relative to where it ran: the workspace root, an
    /// ancestor of the crate's directory), else as compiled. Cold: the
    /// first call looks in the file system.
    pub fn source_file(&self) -> &str {
        self.source.get_or_init(|| {
            let file = std::path::Path::new(self.file);
            if self.file.is_empty() || file.is_absolute() || self.crate_dir.is_empty() {
                return self.file.to_owned();
            }
            let mut dir = Some(std::path::Path::new(self.crate_dir));
            while let Some(d) = dir {
                let candidate = d.join(file);
                if candidate.is_file() {
                    return candidate.display().to_string();
                }
                dir = d.parent();
            }
            self.file.to_owned()
        })
    }

    /// The same callsite, never demoted however short its calls
    /// (`#[profile(always)]`).
    pub const fn always(mut self) -> Self {
        self.always = true;
        self
    }

    /// Whether it is never demoted.
    pub fn is_always(&self) -> bool {
        self.always || self.is_async()
    }

    /// Whether its frames are futures (seen polled).
    pub fn is_async(&self) -> bool {
        self.is_async.load(Ordering::Relaxed)
    }

    /// Marks its frames as futures (at their first poll).
    #[inline]
    pub(crate) fn mark_async(&self) {
        if !self.is_async.load(Ordering::Relaxed) {
            self.is_async.store(true, Ordering::Relaxed);
        }
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

    /// Its name for the first `Self` type it was entered with (or its
    /// definition path if none yet).
    pub fn name(&'static self) -> &'static str {
        let p = self.names.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: names are leaked, never freed.
            return unsafe { (*p).name };
        }
        match self.kind {
            Kind::Fixed(n) => n,
            Kind::Function(h) | Kind::Method(h) => match definition_path(h, &mut SysBuf::new()) {
                Some(p) => p,
                // A path made anew: kept once, as entering would.
                None => self.named(0).name,
            },
            Kind::Label => "[labels]",
        }
    }

    /// The source file.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line the function starts on.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Its name for `Self` type `self_ty` (the address of a
    /// [`SelfTypeName`], 0 for none), resolved on first need (cold path:
    /// once per callsite and type; it takes memory from [`System`](std::alloc::System), never
    /// from the global allocator: see [`sysmem`]).
    ///
    /// Without a lock: the name is made, then published by a
    /// compare-and-swap on the list's head, unless the list has one for
    /// `self_ty` by then (another thread's, or a signal handler's on this
    /// thread); the copy that lost is leaked (a few bytes, once). A lock
    /// here once hung a process for good: generator 0.8.12's coroutine
    /// overflowed its small stack inside a first call's naming, and its
    /// overflow handler, instrumented too, waited for the lock its own
    /// thread held, which the handler's jump out of the coroutine would
    /// never have given back either.
    pub(crate) fn named(&'static self, self_ty: usize) -> &'static Named {
        if let Some(n) = self.find(self_ty) {
            return n;
        }
        let ty = (self_ty != 0).then(|| {
            // SAFETY: non-zero `self_ty` values are only ever made from a
            // `SelfTypeName` function pointer (see `tree::enter`), and
            // function pointers round-trip through usize.
            let f: SelfTypeName = unsafe { std::mem::transmute::<usize, SelfTypeName>(self_ty) };
            f()
        });
        let keep = |s: &str| {
            sysmem::leak_str(s)
                .unwrap_or_else(|| std::alloc::handle_alloc_error(std::alloc::Layout::for_value(s)))
        };
        let mut buf = SysBuf::new();
        let name: &'static str = match (self.kind, ty) {
            (Kind::Fixed(n), _) => n,
            (Kind::Label, _) => "[labels]",
            (Kind::Function(h), _) | (Kind::Method(h), None) => {
                match definition_path(h, &mut buf) {
                    Some(p) => p,
                    None => keep(buf.as_str()),
                }
            }
            (Kind::Method(h), Some(ty)) => {
                let (mut ty_buf, mut out) = (SysBuf::new(), SysBuf::new());
                let def = definition_path(h, &mut buf).unwrap_or(buf.as_str());
                method_name(def, without_closures(ty, &mut ty_buf), &mut out);
                keep(out.as_str())
            }
        };
        let mut head = self.names.load(Ordering::Acquire);
        let named = Named {
            callsite: self,
            self_ty,
            name,
            next: AtomicPtr::new(head),
        };
        let n: &'static Named = sysmem::leak(named)
            .unwrap_or_else(|| std::alloc::handle_alloc_error(std::alloc::Layout::new::<Named>()));
        loop {
            if let Some(other) = Self::find_from(head, self_ty) {
                return other;
            }
            n.next.store(head, Ordering::Relaxed);
            match self.names.compare_exchange_weak(
                head,
                n as *const Named as *mut Named,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return n,
                Err(now) => head = now,
            }
        }
    }

    fn find(&self, self_ty: usize) -> Option<&'static Named> {
        Self::find_from(self.names.load(Ordering::Acquire), self_ty)
    }

    /// The name for `self_ty` in the list from `p` on.
    fn find_from(mut p: *mut Named, self_ty: usize) -> Option<&'static Named> {
        while !p.is_null() {
            // SAFETY: names are leaked, never freed.
            let n = unsafe { &*p };
            if n.self_ty == self_ty {
                return Some(n);
            }
            p = n.next.load(Ordering::Acquire);
        }
        None
    }
}

impl std::fmt::Debug for Callsite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callsite")
            .field("file", &self.file())
            .field("line", &self.line())
            .finish()
    }
}

/// The definition path the `here` function reports, without its own name
/// and without `{{closure}}` segments (see [`without_closures`]): a part
/// of `here()`'s own `'static` text where it has no such segment inside;
/// else `None`, and the path is written into `buf`.
fn definition_path(here: Here, buf: &mut SysBuf) -> Option<&'static str> {
    let mut p = here();
    p = p.strip_suffix("::__inprof_here").unwrap_or(p);
    // An `async fn`'s body, borrowed as it is.
    while let Some(q) = p.strip_suffix("::{{closure}}") {
        p = q;
    }
    if p.contains(CLOSURE_SEGMENT) {
        without_closures(p, buf);
        None
    } else {
        Some(p)
    }
}

/// A closure's path segment: always a whole one (no identifier holds a
/// `{`).
const CLOSURE_SEGMENT: &str = "::{{closure}}";

/// A path without its `::{{closure}}` segments. They name closures inprof
/// puts bodies in, not the user's (an `async fn`'s body:
/// `crate::outer::inner`, not `crate::outer::{{closure}}::inner`), and
/// the user's own. A function the user declared in a
/// closure of their own is named under the function the closure is in,
/// as a free function declared in that function's body would be.
///
/// `path` itself where it has none; else the path without them, written
/// into `buf` (emptied first).
fn without_closures<'a>(path: &'a str, buf: &'a mut SysBuf) -> &'a str {
    if !path.contains(CLOSURE_SEGMENT) {
        return path;
    }
    buf.clear();
    for part in path.split(CLOSURE_SEGMENT) {
        buf.push_str(part);
    }
    buf.as_str()
}

/// The name of a method defined at `def` (its definition path, as
/// `type_name_of_val` gives it) for the concrete `Self` type `ty`, written
/// to `out` (the global allocator is not called: see [`sysmem`]).
pub(crate) fn method_name(def: &str, ty: &str, out: &mut SysBuf) {
    // Writing to a SysBuf fails only when System has no memory left; the
    // name is then cut short.
    let _ = write_method_name(def, ty, out);
}

fn write_method_name(def: &str, ty: &str, out: &mut SysBuf) -> std::fmt::Result {
    let (prefix, method) = split_last_segment(def);
    let method = method.split('<').next().unwrap_or(method);
    if let Some(inner) = prefix.strip_prefix('<').and_then(|p| p.strip_suffix('>')) {
        // `<Type as Trait>`: an impl of a trait; the type made concrete.
        if let Some(i) = top_level_as(inner) {
            let tr = &inner[i + " as ".len()..];
            return write!(out, "<{ty} as {tr}>::{method}");
        }
    }
    // `module::<impl Trait for Type>`: how rustc names a trait impl's
    // method in some positions (e.g. an impl in another module than its
    // type); `module::<impl Type>` an inherent one.
    let (_, last) = split_last_segment(prefix);
    if let Some(inner) = last.strip_prefix("<impl").and_then(|p| p.strip_suffix('>')) {
        let inner = skip_generic_list(inner.trim_start());
        return match top_level(inner, " for ") {
            Some(i) => write!(out, "<{ty} as {}>::{method}", inner[..i].trim()),
            None => write!(out, "{ty}::{method}"),
        };
    }
    let (mut a, mut b) = (SysBuf::new(), SysBuf::new());
    if strip_generics(prefix, &mut a) == strip_generics(ty, &mut b) {
        // An inherent method: the type, concrete.
        write!(out, "{ty}::{method}")
    } else {
        // A trait's default method: `prefix` is the trait.
        write!(out, "<{ty} as {prefix}>::{method}")
    }
}

/// (`a::b`, `c`) for `a::b::c`, split at the last `::` outside `<>`.
fn split_last_segment(path: &str) -> (&str, &str) {
    let b = path.as_bytes();
    let mut depth = 0i32;
    let mut split = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => depth += 1,
            b'>' => depth -= 1,
            b':' if depth == 0 && b.get(i + 1) == Some(&b':') => {
                split = Some(i);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    match split {
        Some(i) => (&path[..i], &path[i + 2..]),
        None => ("", path),
    }
}

/// The byte index of the ` as ` at bracket depth 0 in `s`.
fn top_level_as(s: &str) -> Option<usize> {
    top_level(s, " as ")
}

/// The byte index of `needle` at bracket depth 0 in `s`.
fn top_level(s: &str, needle: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ' ' if depth == 0 && s[i..].starts_with(needle) => return Some(i),
            _ => {}
        }
    }
    None
}

/// `s` after a leading `<...>` (an impl's generic parameters), if any.
fn skip_generic_list(s: &str) -> &str {
    if !s.starts_with('<') {
        return s;
    }
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    return s[i + 1..].trim_start();
                }
            }
            _ => {}
        }
    }
    s
}

/// `alloc::vec::Vec<u8>` -> `alloc::vec::Vec` (references and `mut` too),
/// written into `buf`.
fn strip_generics<'a>(ty: &str, buf: &'a mut SysBuf) -> &'a str {
    buf.clear();
    let mut depth = 0usize;
    let mut start = 0;
    // The text at depth 0 between brackets, the brackets left out (a
    // stray `>`, as in `fn() -> u8`, too).
    for (i, c) in ty.char_indices() {
        match c {
            '<' => {
                if depth == 0 {
                    buf.push_str(&ty[start..i]);
                }
                depth += 1;
            }
            '>' => {
                if depth == 0 {
                    buf.push_str(&ty[start..i]);
                } else {
                    depth -= 1;
                }
                if depth == 0 {
                    start = i + 1;
                }
            }
            _ => {}
        }
    }
    if depth == 0 {
        buf.push_str(&ty[start..]);
    }
    let out = buf.as_str().trim_start_matches('&').trim();
    out.strip_prefix("mut ").unwrap_or(out).trim()
}

#[cfg(test)]
mod tests {
    use super::SysBuf;

    fn without_closures(p: &str) -> String {
        super::without_closures(p, &mut SysBuf::new()).to_owned()
    }

    fn strip_generics(ty: &str) -> String {
        super::strip_generics(ty, &mut SysBuf::new()).to_owned()
    }

    fn method_name(def: &str, ty: &str) -> String {
        let mut out = SysBuf::new();
        super::method_name(def, ty, &mut out);
        out.as_str().to_owned()
    }

    /// Many threads naming one callsite at once, with no lock: one name
    /// per `Self` type comes out, the same for every thread, and the list
    /// holds each type once.
    #[test]
    fn named_once_per_type_without_a_lock() {
        use super::{Callsite, Named};
        use std::sync::Barrier;
        fn here() -> &'static str {
            "tn::G<_>::work::__inprof_here"
        }
        fn ty_a() -> &'static str {
            "tn::G<u8>"
        }
        fn ty_b() -> &'static str {
            "tn::G<i32>"
        }
        static CS: Callsite = Callsite::method(here, "racing.rs", 1);
        let types = [
            0,
            ty_a as fn() -> &'static str as usize,
            ty_b as fn() -> &'static str as usize,
        ];
        let barrier = Barrier::new(8);
        let got: Vec<Vec<usize>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        types
                            .iter()
                            .map(|&t| CS.named(t) as *const Named as usize)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(got.iter().all(|g| g == &got[0]), "{got:?}");
        let names: Vec<&str> = types.iter().map(|&t| CS.named(t).name()).collect();
        assert_eq!(
            names,
            ["tn::G<_>::work", "tn::G<u8>::work", "tn::G<i32>::work"]
        );
        let mut listed = Vec::new();
        let mut p = CS.names.load(std::sync::atomic::Ordering::Acquire);
        while !p.is_null() {
            // SAFETY: names are leaked, never freed.
            let n = unsafe { &*p };
            listed.push(n.self_ty);
            p = n.next.load(std::sync::atomic::Ordering::Acquire);
        }
        listed.sort_unstable();
        let mut want = types.to_vec();
        want.sort_unstable();
        assert_eq!(listed, want);
    }

    #[test]
    fn closure_segments_left_out() {
        // A path without one is the path itself, not a copy.
        let p = "tn::outer::inner";
        assert_eq!(
            super::without_closures(p, &mut SysBuf::new()).as_ptr(),
            p.as_ptr()
        );
        assert_eq!(
            without_closures("tn::outer::{{closure}}::inner"),
            "tn::outer::inner"
        );
        assert_eq!(
            without_closures("tn::a::{{closure}}::{{closure}}::b::{{closure}}::L"),
            "tn::a::b::L"
        );
        assert_eq!(
            without_closures("alloc::vec::Vec<tn::f::{{closure}}::L>"),
            "alloc::vec::Vec<tn::f::L>"
        );
    }

    #[test]
    fn strips_generic_arguments() {
        assert_eq!(strip_generics("alloc::vec::Vec<u8>"), "alloc::vec::Vec");
        assert_eq!(
            strip_generics("my::Map<alloc::string::String, my::V<u8>>"),
            "my::Map"
        );
        assert_eq!(strip_generics("crate_a::m::Plain"), "crate_a::m::Plain");
        assert_eq!(strip_generics("&mut a::B<u8>"), "a::B");
        assert_eq!(strip_generics("a::B<u8>::C<i8>"), "a::B::C");
        // A stray `>` is left out and nothing around it lost.
        assert_eq!(strip_generics("fn(a::X<u8>) -> u8"), "fn(a::X) - u8");
        // An unclosed `<`: nothing after it.
        assert_eq!(strip_generics("a::B<u8"), "a::B");
    }

    #[test]
    fn method_names_as_rust_writes_them() {
        // Definition paths as type_name_of_val gives them.
        assert_eq!(
            method_name("<tn::S as core::fmt::Display>::fmt", "tn::S"),
            "<tn::S as core::fmt::Display>::fmt"
        );
        assert_eq!(method_name("tn::G<_>::m", "tn::G<u8>"), "tn::G<u8>::m");
        assert_eq!(
            method_name("tn::Fmt::begin", "tn::Pretty"),
            "<tn::Pretty as tn::Fmt>::begin"
        );
        assert_eq!(
            method_name("<T as tn::Blanket>::blanket", "&str"),
            "<&str as tn::Blanket>::blanket"
        );
        assert_eq!(
            method_name("<tn::S as tn::WithGen<u32>>::w", "tn::S"),
            "<tn::S as tn::WithGen<u32>>::w"
        );
        assert_eq!(
            method_name("tn::outer::L::lm", "tn::outer::L"),
            "tn::outer::L::lm"
        );
        assert_eq!(
            method_name("<alloc::vec::Vec<_> as tn::T>::m", "alloc::vec::Vec<u8>"),
            "<alloc::vec::Vec<u8> as tn::T>::m"
        );
        assert_eq!(method_name("tn::G<_>::m<_>", "tn::G<u8>"), "tn::G<u8>::m");
        // An impl rustc names by its position in a module.
        assert_eq!(
            method_name(
                "j::value::ser::<impl serde::ser::Serialize for j::value::Value>::serialize<_>",
                "j::value::Value"
            ),
            "<j::value::Value as serde::ser::Serialize>::serialize"
        );
        assert_eq!(
            method_name(
                "j::m::<impl<T> j::Tr<'_> for alloc::vec::Vec<T>>::f",
                "alloc::vec::Vec<u8>"
            ),
            "<alloc::vec::Vec<u8> as j::Tr<'_>>::f"
        );
        assert_eq!(method_name("j::m::<impl j::S>::f", "j::S"), "j::S::f");
    }
}
