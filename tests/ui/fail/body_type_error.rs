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

trait Width {
    fn width(&self) -> usize;
}

// The closure the body runs in says `Self` for the impl's type: the
// error still names the type and points at the user's return type.
#[inprof::profile]
impl Width for usize {
    fn width(&self) -> usize {
        "wide"
    }
}

fn main() {
    let _ = count(&[1]);
    let _ = Meter.reading();
    let _ = 3usize.width();
}
