//! A heap profile of a program without `inprof::Alloc` says why it is
//! empty (in the profile, where `go tool pprof` shows it), instead of
//! being silently empty.

mod common;
use common::*;

#[test]
fn heap_profile_without_the_allocator_says_so() {
    let _v: Vec<u8> = vec![1; 1000];
    let dir = tmpdir("heap-no-alloc");
    let file = dir.join("heap.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&file).unwrap()).unwrap();
    let out = pprof(&["-top"], &file);
    assert!(
        out.contains("no allocation was counted: install inprof::Alloc as the global allocator"),
        "{out}"
    );
}
