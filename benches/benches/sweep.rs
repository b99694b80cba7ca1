//! The leaf sweep in five processes in a row: for each K (multiply-adds per
//! leaf), `root`'s cum against the uninstrumented wall time, adaptive (the
//! default) and always timed, with the spread across processes.
//!
//! `cargo bench -p inprof-benches --bench sweep`

use std::collections::BTreeMap;
use std::process::Command;

fn main() {
    let exe = env!("CARGO_BIN_EXE_sweep");
    let mut by_k: BTreeMap<u32, Vec<(f64, f64, bool)>> = BTreeMap::new();
    for run in 0..5 {
        let out = Command::new(exe).output().expect("running the sweep");
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("adaptive_ns=0 ") {
            eprintln!(
                "run {run} measured nothing:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if run == 0 {
            for l in text.lines().filter(|l| !l.starts_with("row ")) {
                println!("{l}");
            }
            println!();
        }
        for l in text.lines().filter_map(|l| l.strip_prefix("row ")) {
            let kv: BTreeMap<&str, &str> = l.split(' ').filter_map(|p| p.split_once('=')).collect();
            let num = |k: &str| kv[k].parse::<f64>().unwrap();
            by_k.entry(num("k") as u32).or_default().push((
                (num("adaptive_ratio") - 1.0) * 100.0,
                (num("timed_ratio") - 1.0) * 100.0,
                kv["demoted"] == "true",
            ));
        }
    }
    println!("root cum vs uninstrumented wall, 5 processes: mean [min, max] (spread)");
    println!(
        "{:>5} {:>32} {:>34}  leaf",
        "K", "adaptive (default)", "always timed"
    );
    for (k, v) in by_k {
        let stats = |f: &dyn Fn(&(f64, f64, bool)) -> f64| {
            let xs: Vec<f64> = v.iter().map(f).collect();
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            let lo = xs.iter().cloned().fold(f64::MAX, f64::min);
            let hi = xs.iter().cloned().fold(f64::MIN, f64::max);
            format!("{mean:+7.2}% [{lo:+7.2}, {hi:+7.2}] ({:.2})", hi - lo)
        };
        let demoted = v.iter().filter(|r| r.2).count();
        println!(
            "{k:>5} {:>32} {:>34}  demoted in {demoted}/5",
            stats(&|r| r.0),
            stats(&|r| r.1)
        );
    }
}
