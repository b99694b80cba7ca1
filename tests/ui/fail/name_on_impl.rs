struct S;

#[inprof::profile(name = "all")]
impl S {
    fn a(&self) {}
}

fn main() {
    S.a();
}
