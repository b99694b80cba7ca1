// The same on a method `#[profile]` names itself in an impl block.
struct S;

#[inprof::profile]
impl S {
    #[profile]
    #[rustversion::attr(since(1.83), const)]
    fn answer(&self) -> u32 {
        42
    }
}

fn main() {
    let _ = S.answer();
}
