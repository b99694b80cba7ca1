#[inprof::profile(level = "debug")]
fn f() {}

fn main() {
    f();
}
