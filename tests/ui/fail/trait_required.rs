// A required trait method has no body to instrument.
#[inprof::profile]
trait Sink {
    #[inprof::profile]
    fn put(&self);
}

fn main() {}
