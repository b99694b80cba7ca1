//! The allocator memory bench's workload with `inprof::Alloc`.
#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

fn main() {
    inprof_benches::memory::run();
}
