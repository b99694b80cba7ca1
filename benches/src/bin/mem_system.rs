//! The allocator memory bench's workload with the system allocator.
fn main() {
    inprof_benches::memory::run();
}
