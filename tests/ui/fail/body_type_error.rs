// A type error in an instrumented body is reported at the user's code:
// the expression, and the return type that expects another type.
#[inprof::profile]
fn count(items: &[u32]) -> u32 {
    items.len()
}

struct Meter;

#[inprof::profile]
impl Meter {
    fn reading(&self) -> Option<&str> {
        Some(42)
    }
}

fn main() {
    let _ = count(&[1]);
    let _ = Meter.reading();
}
