//! `inprof-instrument DIR...`: puts `#[inprof::profile]` on every impl
//! block, trait with default methods and free function of the `.rs` files
//! under each DIR, in place.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: inprof-instrument DIR...");
        return ExitCode::from(2);
    }
    for d in dirs {
        match inprof_instrument::instrument_dir(std::path::Path::new(&d)) {
            Ok(r) => {
                println!(
                    "{d}: {} files, {} impl blocks, {} traits, {} functions annotated",
                    r.files, r.counts.impls, r.counts.traits, r.counts.fns
                );
                if r.counts.track_caller > 0 {
                    println!(
                        "{d}: {} impl methods say #[track_caller], as their trait declares",
                        r.counts.track_caller
                    );
                }
                if r.counts.methods_skipped > 0 {
                    println!(
                        "{d}: {} impl methods say #[inprof::profile(skip)], under a macro that refuses it",
                        r.counts.methods_skipped
                    );
                }
                for s in r.build_script {
                    println!(
                        "{d}: left as it was (the build script, or a file it compiles in): {}",
                        s.display()
                    );
                }
                for s in r.skipped {
                    println!(
                        "{d}: left as it was (does not parse, or is not UTF-8): {}",
                        s.display()
                    );
                }
            }
            Err(e) => {
                eprintln!("inprof-instrument: {d}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
