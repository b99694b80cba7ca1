#[inprof::profile]
#[inprof::profile(always)]
fn work() -> u32 {
    1
}

fn main() {
    let _ = work();
}
