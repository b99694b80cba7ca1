#[inprof::profile(name = 42)]
fn f() {}

fn main() {
    f();
}
