//! A thread panics while holding a lock: like parking_lot's, the lock is
//! released (no poisoning) and every profile stays readable.

mod common;
use common::*;
use inprof::sync::{Mutex, RwLock};

static M: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static RW: RwLock<u32> = RwLock::new(0);

#[inprof::profile]
fn panics_holding() {
    let mut g = M.lock();
    g.push(1);
    let _w = RW.write();
    panic!("boom while holding");
}

#[test]
fn panic_while_holding_a_lock() {
    inprof::set_block_profile_rate(1);
    inprof::set_mutex_profile_fraction(1);
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"boom while holding") {
            default(info);
        }
    }));
    let h = inprof::thread::spawn(panics_holding);
    assert!(h.join().is_err());
    // Not poisoned: usable at once, data as the panicking thread left it.
    assert_eq!(*M.lock(), vec![1]);
    *RW.write() += 1;
    assert_eq!(*RW.read(), 1);
    assert!(M.try_lock().is_some());
    assert!(M
        .try_lock_for(std::time::Duration::from_millis(1))
        .is_some());

    let dir = tmpdir("cpanic");
    for name in [
        "block",
        "mutex",
        "goroutine",
        "threadcreate",
        "heap",
        "allocs",
    ] {
        let f = dir.join(format!("{name}.pb.gz"));
        inprof::lookup(name)
            .unwrap()
            .write_to(std::fs::File::create(&f).unwrap(), 0)
            .unwrap();
        raw(&f);
    }
    let tc = top(&dir.join("threadcreate.pb.gz"), &[]);
    assert!(tc.iter().any(|r| r.name.starts_with('[')), "{tc:#?}");
}
