// An attribute that makes the function `const` after `#[profile]` expands:
// the same error as on a written `const fn`, at that attribute.
#[inprof::profile]
#[rustversion::attr(since(1.83), const)]
fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
