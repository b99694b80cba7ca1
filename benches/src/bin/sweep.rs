//! The leaf sweep (examples/sweep.rs) as a program of the bench package, so
//! that `benches/sweep.rs` can run it in several processes.
#[path = "../../../examples/sweep.rs"]
mod sweep;

fn main() {
    let rows = sweep::sweep(9);
    // One machine-readable line per K after the table.
    sweep::print(&rows);
    for r in &rows {
        println!(
            "row k={} plain_ns={} adaptive_ns={} timed_ns={} adaptive_ratio={} timed_ratio={} demoted={}",
            r.k,
            r.plain_ns,
            r.adaptive_ns,
            r.timed_ns,
            r.adaptive_ratio,
            r.timed_ratio,
            r.leaf_demoted
        );
    }
}
