//! Allocate on one thread, free on another: the allocating path's inuse
//! returns to 0, and its alloc counts stay.

mod common;
use common::*;

#[global_allocator]
static ALLOC: inprof::Alloc = inprof::Alloc::system();

#[inprof::profile]
fn producer() -> Vec<Box<[u8; 4096]>> {
    (0..10).map(|_| Box::new([7u8; 4096])).collect()
}

#[inprof::profile]
fn consumer(v: Vec<Box<[u8; 4096]>>) {
    drop(v);
}

fn producer_values(file: &std::path::Path) -> (f64, f64, f64) {
    let a = top(file, &["-sample_index=alloc_space", "-unit=B"]);
    let i = top(file, &["-sample_index=inuse_space", "-unit=B"]);
    let o = top(file, &["-sample_index=inuse_objects"]);
    let get = |rows: &[Row]| {
        rows.iter()
            .find(|r| r.name == "heap_cross_thread::producer")
            .map_or(0.0, |r| r.flat)
    };
    (get(&a), get(&i), get(&o))
}

#[test]
fn free_on_another_thread_returns_inuse_to_zero() {
    let dir = tmpdir("cross");
    let v = std::thread::Builder::new()
        .name("alloc-side".into())
        .spawn(producer)
        .unwrap()
        .join()
        .unwrap();

    let f1 = dir.join("before.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&f1).unwrap()).unwrap();
    let (alloc, inuse, objs) = producer_values(&f1);
    // 10 boxes of 4096 plus the Vec of 10 pointers.
    assert_eq!(alloc, 40_960.0 + 80.0);
    assert_eq!(inuse, 40_960.0 + 80.0);
    assert_eq!(objs, 11.0);

    std::thread::Builder::new()
        .name("free-side".into())
        .spawn(move || consumer(v))
        .unwrap()
        .join()
        .unwrap();
    let f2 = dir.join("after.pb.gz");
    inprof::write_heap_profile(std::fs::File::create(&f2).unwrap()).unwrap();
    let (alloc, inuse, objs) = producer_values(&f2);
    assert_eq!(alloc, 40_960.0 + 80.0);
    assert_eq!(inuse, 0.0);
    assert_eq!(objs, 0.0);
    // The consumer allocated nothing.
    let a = top(&f2, &["-sample_index=alloc_space", "-unit=B"]);
    assert!(
        !a.iter()
            .any(|r| r.name == "heap_cross_thread::consumer" && r.flat != 0.0),
        "{a:#?}"
    );
}
