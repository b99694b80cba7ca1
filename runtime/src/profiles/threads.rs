//! The full threads dump (Go's `goroutine?debug=2`): every live thread's
//! id, name, state (running, blocked on which inprof lock or channel and
//! for how long, or what the OS says it waits in: sleep, IO wait, futex
//! wait), its stack with file:line, and the stack that created it.

use crate::engine::tree::{self, Tree};
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
            out.push((n.name(), c.file(), c.line()));
        }
        let p = n.parent_idx() as usize;
        if p == i {
            break;
        }
        i = p;
    }
    out
}

pub(crate) fn fmt_ns(ns: u64) -> String {
    if ns >= 60_000_000_000 {
        format!("{} minutes", ns / 60_000_000_000)
    } else if ns >= 1_000_000_000 {
        format!("{:.2}s", ns as f64 / 1e9)
    } else {
        format!("{:.2}ms", ns as f64 / 1e6)
    }
}

/// What the OS says thread `tid` of this process is doing, Go's words
/// where they fit: `running` (on a CPU or ready to run), `sleep`, `IO
/// wait`, `futex wait` (a lock, condvar or park outside inprof's own
/// primitives, e.g. a parked tokio worker), or `waiting (<kernel
/// function>)`.
fn os_state(tid: u64) -> String {
    #[cfg(target_os = "linux")]
    if tid != 0 {
        let dir = format!("/proc/self/task/{tid}");
        let Ok(stat) = std::fs::read_to_string(format!("{dir}/stat")) else {
            return "running".into();
        };
        // The state letter follows the command name, which is in
        // parentheses and may hold anything.
        let letter = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .and_then(|s| s.chars().next())
            .unwrap_or('R');
        if letter == 'R' {
            return "running".into();
        }
        let wchan = std::fs::read_to_string(format!("{dir}/wchan")).unwrap_or_default();
        let w = wchan.trim();
        return match w {
            _ if w.contains("nanosleep") || w.contains("hrtimer") => "sleep".into(),
            _ if w.contains("epoll") || w.contains("poll") || w.contains("select") => {
                "IO wait".into()
            }
            _ if w.contains("futex") => "futex wait".into(),
            _ if w.contains("pipe")
                || w.contains("sk_wait")
                || w.contains("tcp")
                || w.contains("unix") =>
            {
                "IO wait".into()
            }
            "" | "0" => match letter {
                'S' => "waiting".into(),
                'D' => "waiting (uninterruptible)".into(),
                'T' | 't' => "stopped".into(),
                _ => "waiting".into(),
            },
            w => format!("waiting ({w})"),
        };
    }
    let _ = tid;
    "running".into()
}

/// Every live thread's stack, state and creation stack, then every live
/// task's await stack, state and creation stack, as text.
pub fn dump() -> String {
    let now = crate::engine::clock::mono_ns();
    let _not_counted = crate::engine::counters::Reentrant::enter();
    let lock = crate::engine::fold::read();
    let all: Vec<&'static Tree> = tree::trees(&lock).collect();
    let mut threads: Vec<&'static Tree> = all
        .iter()
        .copied()
        .filter(|t| !t.is_internal() && !t.exited())
        .collect();
    threads.sort_by_key(|t| t.id());
    let mut out = String::new();
    for t in threads {
        let kind = BlockKind::from_u8(t.ext.blocked_kind.load(Ordering::Acquire));
        let state = if kind == BlockKind::Running {
            os_state(t.os_tid())
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
        let by = t.ext.created_by_thread.load(Ordering::Relaxed);
        if by != 0 {
            let creator = all
                .iter()
                .find(|c| c.id() == by && !c.exited())
                .map(|c| format!("[{}]", c.name()))
                .unwrap_or_else(|| "[an exited thread]".to_owned());
            let cf = t.ext.creation_stack();
            match cf.first() {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "created by {} in thread {by}\n\t{}:{}",
                        c.name(),
                        c.callsite().file(),
                        c.callsite().line()
                    );
                    for c in cf.iter().skip(1) {
                        let _ = writeln!(
                            out,
                            "\t{}(...)\n\t\t{}:{}",
                            c.name(),
                            c.callsite().file(),
                            c.callsite().line()
                        );
                    }
                }
                None => {
                    let _ = writeln!(out, "created by {creator} in thread {by}");
                }
            }
        }
        out.push('\n');
    }
    drop(lock);
    // The live tasks (instrumented futures that have waited) after the
    // threads.
    out.push_str(&crate::profiles::tasks::dump());
    out
}
