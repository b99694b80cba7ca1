#[inprof::profile(skip)]
fn f() {}

fn main() {
    f();
}
