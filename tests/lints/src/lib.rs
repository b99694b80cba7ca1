//! Code with one deliberate warning per function, each instrumented: the
//! warnings must be reported at these lines, and nothing else.

#[inprof::profile]
pub fn sync_needless_return() -> u32 {
    return 1;
}

#[inprof::profile]
pub async fn async_needless_return() -> u32 {
    return 2;
}

#[inprof::profile]
pub async fn async_unused_variable() -> u32 {
    let unused = 3;
    4
}

pub struct S;

#[inprof::profile]
impl S {
    pub async fn method_needless_return(&self) -> u32 {
        return 5;
    }
}

async fn six() -> u32 {
    6
}

/// No warning: an async fn whose body only awaits one future is not a
/// redundant async block (the block the macro makes is not the user's).
#[inprof::profile]
pub async fn only_awaits_one_future() -> u32 {
    six().await
}

/// An argument the body never names: rustc's warning for it stays (the
/// function keeps its guard rather than being outlined, which would pass
/// the argument on).
#[inprof::profile]
pub fn sync_unused_argument(unused_arg: u32) -> u32 {
    8
}
