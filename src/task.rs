//! Async tasks: where they were spawned (the `taskcreate` profile, and the
//! "created by" of each task in the thread dump), and the runtime's worker
//! threads registered under their names.
//!
//! With the `tokio` feature, `spawn` is `tokio::spawn` that records the
//! spawner's call path:
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! #[inprof::profile]
//! async fn handle(n: u64) -> u64 { n * 2 }
//!
//! #[inprof::profile]
//! async fn accept_loop() -> u64 {
//!     let mut total = 0;
//!     for n in 0..3 {
//!         total += inprof::task::spawn(handle(n)).await.unwrap();
//!     }
//!     total
//! }
//!
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! assert_eq!(rt.block_on(accept_loop()), 6);
//! // taskcreate: 3 at accept_loop.
//! assert_eq!(inprof::lookup("taskcreate").unwrap().count(), 3);
//! # }
//! ```
//!
//! Any other executor: wrap the future with [`spawned`] before handing it
//! over. Worker threads are registered when they first run annotated code
//! or allocate through `inprof::Alloc`; to have them named in every profile
//! from their start, register them in the runtime's start hook:
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! let rt = tokio::runtime::Builder::new_multi_thread()
//!     .on_thread_start(|| inprof::thread::register_current("tokio-worker"))
//!     .build()
//!     .unwrap();
//! ```
//!
//! and for rayon: `rayon::ThreadPoolBuilder::new().start_handler(|i|
//! inprof::thread::register_current(&format!("rayon-{i}")))`.

pub use inprof_runtime::tasks::{spawned, Spawned};

/// Spawns `fut` on the current tokio runtime (`tokio::spawn`), recording
/// the calling call path as the task's origin: one `taskcreate` count
/// there, and "created by" it in the thread dump.
///
/// # Panics
/// Outside a tokio runtime, as `tokio::spawn` does.
#[cfg(feature = "tokio")]
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(spawned(fut))
}
