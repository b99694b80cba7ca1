//! Channels that record blocking: crossbeam-channel's, wrapped. A send that
//! waits on a full channel and a receive that waits on an empty one go to
//! the block profile at the waiting thread's call path.
//!
//! For `select!`, use crossbeam's macro on the wrapped ends
//! ([`Sender::inner`], [`Receiver::inner`]).
//!
//! ```
//! let (tx, rx) = inprof::channel::bounded::<u64>(1);
//! let t = inprof::thread::spawn(move || {
//!     for i in 0..3 {
//!         tx.send(i).unwrap(); // waits when full: in the block profile
//!     }
//! });
//! let got: Vec<u64> = rx.iter().collect();
//! t.join().unwrap();
//! assert_eq!(got, [0, 1, 2]);
//! ```

use crate::profiles::contention::{BlockKind, Wait};
pub use crossbeam_channel::{
    select, RecvError, RecvTimeoutError, Select, SendError, SendTimeoutError, TryRecvError,
    TrySendError,
};
use std::time::{Duration, Instant};

/// The sending end of a channel.
#[derive(Debug)]
pub struct Sender<T> {
    inner: crossbeam_channel::Sender<T>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
        }
    }
}

/// The receiving end of a channel.
#[derive(Debug)]
pub struct Receiver<T> {
    inner: crossbeam_channel::Receiver<T>,
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver {
            inner: self.inner.clone(),
        }
    }
}

/// A channel of capacity `cap` (0: rendezvous).
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let (s, r) = crossbeam_channel::bounded(cap);
    (Sender { inner: s }, Receiver { inner: r })
}

/// A channel without a capacity bound.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let (s, r) = crossbeam_channel::unbounded();
    (Sender { inner: s }, Receiver { inner: r })
}

impl<T> Sender<T> {
    fn id(&self) -> usize {
        // Every end of one channel compares equal through `same_channel`;
        // the address of the shared counter is not public, so name the
        // channel by this end.
        self as *const Self as usize
    }

    /// Sends, blocking while the channel is full.
    #[inline]
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        match self.inner.try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(m)) => Err(SendError(m)),
            Err(TrySendError::Full(m)) => self.send_slow(m),
        }
    }

    #[cold]
    fn send_slow(&self, msg: T) -> Result<(), SendError<T>> {
        let w = Wait::begin(BlockKind::ChanSend, self.id());
        let r = self.inner.send(msg);
        w.end();
        r
    }

    /// Sends without blocking.
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.inner.try_send(msg)
    }

    /// Sends, blocking up to `timeout` while the channel is full.
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_deadline(msg, Instant::now() + timeout)
    }

    /// Sends, blocking until `deadline` while the channel is full.
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        match self.inner.try_send(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(m)) => Err(SendTimeoutError::Disconnected(m)),
            Err(TrySendError::Full(m)) => {
                let w = Wait::begin(BlockKind::ChanSend, self.id());
                let r = self.inner.send_deadline(m, deadline);
                w.end();
                r
            }
        }
    }

    /// Messages waiting in the channel.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the channel is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether the channel is full.
    pub fn is_full(&self) -> bool {
        self.inner.is_full()
    }

    /// The channel's capacity (None: unbounded).
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }

    /// The wrapped crossbeam sender (for `select!`; its waits are not
    /// recorded).
    pub fn inner(&self) -> &crossbeam_channel::Sender<T> {
        &self.inner
    }
}

impl<T> Receiver<T> {
    fn id(&self) -> usize {
        self as *const Self as usize
    }

    /// Receives, blocking while the channel is empty.
    #[inline]
    pub fn recv(&self) -> Result<T, RecvError> {
        match self.inner.try_recv() {
            Ok(m) => Ok(m),
            Err(TryRecvError::Disconnected) => Err(RecvError),
            Err(TryRecvError::Empty) => self.recv_slow(),
        }
    }

    #[cold]
    fn recv_slow(&self) -> Result<T, RecvError> {
        let w = Wait::begin(BlockKind::ChanRecv, self.id());
        let r = self.inner.recv();
        w.end();
        r
    }

    /// Receives without blocking.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.inner.try_recv()
    }

    /// Receives, blocking up to `timeout` while the channel is empty.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_deadline(Instant::now() + timeout)
    }

    /// Receives, blocking until `deadline` while the channel is empty.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        match self.inner.try_recv() {
            Ok(m) => Ok(m),
            Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {
                let w = Wait::begin(BlockKind::ChanRecv, self.id());
                let r = self.inner.recv_deadline(deadline);
                w.end();
                r
            }
        }
    }

    /// A blocking iterator over messages until the channel is disconnected.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { r: self }
    }

    /// An iterator over the messages available now.
    pub fn try_iter(&self) -> crossbeam_channel::TryIter<'_, T> {
        self.inner.try_iter()
    }

    /// Messages waiting in the channel.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the channel is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The channel's capacity (None: unbounded).
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }

    /// The wrapped crossbeam receiver (for `select!`; its waits are not
    /// recorded).
    pub fn inner(&self) -> &crossbeam_channel::Receiver<T> {
        &self.inner
    }
}

/// A blocking iterator over a [`Receiver`].
#[derive(Debug)]
pub struct Iter<'a, T> {
    r: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.r.recv().ok()
    }
}

/// An owning blocking iterator over a [`Receiver`].
#[derive(Debug)]
pub struct IntoIter<T> {
    r: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.r.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { r: self }
    }
}
