//! The full threads dump (Go's `goroutine?debug=2`): every live thread's
//! id, name, state (running, or blocked on what and for how long), its
//! stack with file:line, and the stack that created it.

use crate::engine::tree::{self, Node, Tree};
use crate::profiles::contention::BlockKind;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

/// The stack of node `idx` of `t` as (name, file, line), leaf first, label
/// nodes left out.
fn frames(t: &Tree, idx: usize) -> Vec<(&'static str, &'static str, u32)> {
    let mut out = Vec::new();
    let mut i = idx;
    while i != 0 && i < t.len() {
        let n = t.node(i);
        let c = n.callsite();
        if !c.is_label() {
            out.push((c.name(), c.file(), c.line()));
        }
        let p = n.parent_idx() as usize;
        if p == i {
            break;
        }
        i = p;
    }
    out
}

/// The tree that owns `n` and the index of `n` in it.
fn locate(n: *const Node) -> Option<(&'static Tree, usize)> {
    if n.is_null() {
        return None;
    }
    // SAFETY: nodes are never freed.
    let n = unsafe { &*n };
    let owner = n.ext.owner.load(Ordering::Relaxed);
    if owner.is_null() {
        return None;
    }
    // SAFETY: trees are never freed.
    let t: &'static Tree = unsafe { &*owner };
    Some((t, n.ext.idx.load(Ordering::Relaxed) as usize))
}

fn fmt_ns(ns: u64) -> String {
    if ns >= 60_000_000_000 {
        format!("{} minutes", ns / 60_000_000_000)
    } else if ns >= 1_000_000_000 {
        format!("{:.2}s", ns as f64 / 1e9)
    } else {
        format!("{:.2}ms", ns as f64 / 1e6)
    }
}

/// Every live thread's stack, state and creation stack, as text.
pub fn dump() -> String {
    let now = crate::engine::clock::mono_ns();
    let mut threads: Vec<&'static Tree> = tree::trees()
        .filter(|t| !t.is_internal() && !t.exited())
        .collect();
    threads.sort_by_key(|t| t.id());
    let mut out = String::new();
    for t in threads {
        let kind = BlockKind::from_u8(t.ext.blocked_kind.load(Ordering::Acquire));
        let state = if kind == BlockKind::Running {
            "running".to_string()
        } else {
            let obj = t.ext.blocked_obj.load(Ordering::Relaxed);
            let since = t.ext.blocked_since.load(Ordering::Relaxed);
            format!(
                "blocked on {} {obj:#x}, {}",
                kind.describe(),
                fmt_ns(now.saturating_sub(since))
            )
        };
        let labels = crate::profiles::labels::labels_at(t, t.current_idx() as usize);
        let _ = write!(out, "thread {} \"{}\"", t.id(), t.name());
        if t.os_tid() != 0 {
            let _ = write!(out, " tid={}", t.os_tid());
        }
        let _ = writeln!(out, " [{state}]:");
        if let Some(l) = labels {
            let pairs: Vec<String> = l
                .pairs()
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            let _ = writeln!(out, "labels: {{{}}}", pairs.join(", "));
        }
        let fr = frames(t, t.current_idx() as usize);
        if fr.is_empty() {
            let _ = writeln!(out, "[no annotated frame]");
        }
        for (name, file, line) in fr {
            let _ = writeln!(out, "{name}(...)\n\t{file}:{line}");
        }
        if let Some((ct, ci)) = locate(t.ext.created_by.load(Ordering::Relaxed)) {
            let cf = frames(ct, ci);
            match cf.first() {
                Some((name, file, line)) => {
                    let _ = writeln!(
                        out,
                        "created by {name} in thread {}\n\t{file}:{line}",
                        ct.id()
                    );
                    for (name, file, line) in cf.iter().skip(1) {
                        let _ = writeln!(out, "\t{name}(...)\n\t\t{file}:{line}");
                    }
                }
                None => {
                    let _ = writeln!(out, "created by [{}] in thread {}", ct.name(), ct.id());
                }
            }
        }
        out.push('\n');
    }
    out
}
