//! The part every workload shares: run the phases several times in the
//! mode asked on the command line, and print what was measured.
//!
//! `WORKLOAD MODE ROUNDS`, MODE one of `time` (a time profile around the
//! measured rounds), `track` (nothing asked for: inprof's default), `off`
//! (`inprof::set_enabled(false)`), `plain` (whatever the build is: used
//! for the uninstrumented and the feature-off builds). The first two
//! rounds warm up (and let adaptive instrumentation decide); the rest are
//! measured. Prints one `round` line per measured round with each phase's
//! wall time, and with `time` the phases' cum from the profile: exact wall
//! (`cum_`) and sampled CPU at 1 kHz (`cpucum_`).

use std::time::Duration;

pub fn run(mut round: impl FnMut() -> Vec<(&'static str, Duration)>) {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "plain".into());
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    if mode == "off" {
        inprof::set_enabled(false);
    }
    // Enough CPU samples in a short round (the kernel's tick limits the
    // signals; each carries its overruns).
    inprof::set_cpu_profile_rate(1000);
    // Two warm-up rounds, in `time` mode each under a profile built and
    // dropped as the measured rounds are: the process then has every
    // cache of inprof's filled (the first profile names its frames) and
    // its heap grown to what a round needs, so that with the allocator
    // told to keep it (`GLIBC_TUNABLES`, set by the bench) the measured
    // rounds take next to no page faults in any build (serde_json: about
    // 50 a round, against 5 000 to 11 000 with glibc left to trim).
    for _ in 0..2 {
        let iv = (mode == "time").then(inprof::begin_interval);
        round();
        drop(iv.map(|iv| iv.profile()));
    }
    for _ in 0..rounds {
        let iv = (mode == "time").then(inprof::begin_interval);
        let t = round();
        let mut line = String::from("round");
        for (name, d) in &t {
            line.push_str(&format!(" {name}={}", d.as_nanos()));
        }
        if let Some(iv) = iv {
            let p = iv.profile();
            // Each phase's cum: exact wall (`cum_`), and the sampled CPU
            // (`cpucum_`) where this platform samples it.
            for (index, key) in [("wall", "cum_"), ("cpu", "cpucum_")] {
                let Some(idx) = inprof::report::sample_index(&p, Some(index)) else {
                    continue;
                };
                let rows = inprof::report::top(&p, idx);
                for (name, _) in &t {
                    let want = format!("::phase_{name}");
                    let cum = rows
                        .iter()
                        .find(|r| r.name.ends_with(&want))
                        .map_or(0, |r| r.cum);
                    line.push_str(&format!(" {key}{name}={cum}"));
                }
            }
            let demoted = inprof::demoted().len();
            line.push_str(&format!(" demoted={demoted}"));
        }
        println!("{line}");
    }
}
