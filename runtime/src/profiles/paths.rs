//! Call paths of one tree as pprof stacks: location ids leaf first, label
//! nodes left out (their labels go on the samples), the root frame (named
//! after the thread) only where no annotated frame is on the path.

use crate::engine::tree::{Tree, OVERFLOW};
use crate::format::pprof::{Builder, Frame, Label};
use crate::profiles::labels::{self, LabelSet};

/// Per-node locations and labels of one tree, computed once per profile.
pub(crate) struct Paths<'t> {
    tree: &'t Tree,
    /// Location of each node; 0 for label nodes (and the root).
    loc: Vec<u64>,
    /// The label set on each node's path.
    labels: Vec<Option<&'static LabelSet>>,
    root_loc: u64,
}

impl<'t> Paths<'t> {
    /// The first `n` nodes of `t`.
    pub(crate) fn new(b: &mut Builder, tree: &'t Tree, n: usize) -> Paths<'t> {
        let n = n.min(tree.len());
        let mut loc = vec![0u64; n];
        let mut lab: Vec<Option<&'static LabelSet>> = vec![None; n];
        for i in 1..n {
            let node = tree.node(i);
            let c = node.callsite();
            let p = node.parent_idx() as usize;
            if c.is_label() {
                lab[i] = labels::set_of(c);
            } else if std::ptr::eq(c, &OVERFLOW) {
                // The overflow frame says how many paths it holds; it is the
                // tree's own.
                lab[i] = if p < i { lab[p] } else { None };
                let (n, lower) = tree.dropped_paths();
                let name = format!(
                    "[inprof: {}{n} paths folded]",
                    if lower { "at least " } else { "" }
                );
                loc[i] = b.location(
                    (tree as *const Tree as u64) | 2,
                    Frame {
                        name: &name,
                        file: "",
                        line: 0,
                    },
                );
            } else {
                lab[i] = if p < i { lab[p] } else { None };
                loc[i] = b.location(
                    node.name_key() as u64,
                    Frame {
                        name: node.name(),
                        file: c.source_file(),
                        line: c.line(),
                    },
                );
            }
        }
        let root_name = format!("[{}]", tree.name());
        let root_loc = b.location(
            (tree as *const Tree as u64) | 1,
            Frame {
                name: &root_name,
                file: "",
                line: 0,
            },
        );
        Paths {
            tree,
            loc,
            labels: lab,
            root_loc,
        }
    }

    /// The annotated frames of node `i`, leaf first (may be empty).
    pub(crate) fn frames(&self, i: usize) -> Vec<u64> {
        let mut out = Vec::with_capacity(8);
        let mut k = i;
        while k != 0 && k < self.loc.len() {
            if self.loc[k] != 0 {
                out.push(self.loc[k]);
            }
            let p = self.tree.node(k).parent_idx() as usize;
            if p == k {
                break;
            }
            k = p;
        }
        out
    }

    /// The stack of node `i`, with the thread's root frame when no annotated
    /// frame is on the path.
    pub(crate) fn stack(&self, i: usize) -> Vec<u64> {
        let mut s = self.frames(i);
        if s.is_empty() {
            s.push(self.root_loc);
        }
        s
    }

    /// The label set on node `i`'s path.
    pub(crate) fn labels(&self, i: usize) -> Option<&'static LabelSet> {
        self.labels.get(i).copied().flatten()
    }

    /// String labels for a sample at node `i`: its label set plus `extra`.
    pub(crate) fn sample_labels(&self, b: &mut Builder, i: usize, extra: &[Label]) -> Vec<Label> {
        let mut out: Vec<Label> = extra.to_vec();
        if let Some(set) = self.labels(i) {
            for (k, v) in set.pairs() {
                out.push(b.label_str(k, v));
            }
        }
        out
    }
}
