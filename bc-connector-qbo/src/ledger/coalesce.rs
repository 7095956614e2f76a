//! Group commit for writes the engine asks for one at a time but concurrently (`create_item`
//! from every order of a chunk, several chunks at once): each call queues its input, one
//! caller at a time is the leader and sends what has queued (up to 30, one `/batch`), and
//! every caller gets its own result. While a batch is in flight (or waits for the rate
//! budget), the next one fills; a short linger lets callers that arrive together share the
//! first one.
//!
//! No call waits for a batch that is not sent: there are as many leader turns as calls, and
//! each turn sends at least one queued input while any is queued.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use bc_core::{Error, ErrorKind, Result};
use tokio::sync::oneshot;

use super::lock;
use crate::config::BATCH_SIZE;
use crate::error::PLATFORM;

/// How long a leader waits for other calls to join its batch.
pub const LINGER: Duration = Duration::from_millis(20);

type Waiter<T, R> = (T, oneshot::Sender<Result<R>>);

/// A queue of inputs and the leader lock.
#[derive(Debug)]
pub struct Coalescer<T, R> {
    queue: Mutex<Vec<Waiter<T, R>>>,
    leader: tokio::sync::Mutex<()>,
}

impl<T, R> Default for Coalescer<T, R> {
    fn default() -> Self {
        Coalescer {
            queue: Mutex::new(Vec::new()),
            leader: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T: Clone, R> Coalescer<T, R> {
    /// Queues `input`, takes a leader turn (sending up to 30 queued inputs with `send`, one
    /// result per input in order), then returns this input's result.
    pub async fn call<F, Fut>(&self, input: T, send: F) -> Result<R>
    where
        F: FnOnce(Vec<T>) -> Fut,
        Fut: Future<Output = Vec<Result<R>>>,
    {
        let (tx, rx) = oneshot::channel();
        lock(&self.queue).push((input, tx));
        {
            let _turn = self.leader.lock().await;
            // Nothing queued (an earlier turn sent this input too): no linger.
            let queued = lock(&self.queue).len();
            if queued > 0 && queued < BATCH_SIZE {
                tokio::time::sleep(LINGER).await;
            }
            let batch: Vec<Waiter<T, R>> = {
                let mut q = lock(&self.queue);
                let n = q.len().min(BATCH_SIZE);
                q.drain(..n).collect()
            };
            if !batch.is_empty() {
                let inputs: Vec<T> = batch.iter().map(|(i, _)| i.clone()).collect();
                let mut results = send(inputs).await.into_iter();
                for (_, tx) in batch {
                    let r = results.next().unwrap_or_else(|| {
                        Err(Error::new(ErrorKind::Internal, "no result in the batch")
                            .with_platform(PLATFORM))
                    });
                    // The caller may be gone (its future dropped): nothing to tell.
                    let _ = tx.send(r);
                }
            }
        }
        rx.await.unwrap_or_else(|_| {
            // The leader that took this input was dropped mid-request: it may be written.
            Err(Error::new(
                ErrorKind::OutcomeUnknown,
                "the batch carrying this write was abandoned; search before writing again",
            )
            .with_platform(PLATFORM))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn concurrent_calls_share_batches_and_each_gets_its_own_result() {
        let c: Coalescer<u32, u32> = Coalescer::default();
        let sends = AtomicUsize::new(0);
        let sizes = Mutex::new(Vec::new());
        let calls = (0..70u32).map(|n| {
            c.call(n, |inputs: Vec<u32>| {
                sends.fetch_add(1, Ordering::SeqCst);
                lock(&sizes).push(inputs.len());
                async move { inputs.into_iter().map(|i| Ok(i * 10)).collect() }
            })
        });
        let out = futures::future::join_all(calls).await;
        for (n, r) in out.into_iter().enumerate() {
            assert_eq!(r.ok(), Some(n as u32 * 10));
        }
        // 70 inputs queued together: 30 + 30 + 10.
        assert_eq!(sends.load(Ordering::SeqCst), 3);
        assert_eq!(*lock(&sizes), vec![30, 30, 10]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_answer_is_an_error_for_the_inputs_left_without_one() {
        let c: Coalescer<u32, u32> = Coalescer::default();
        let calls = (0..3u32).map(|n| {
            c.call(n, |inputs: Vec<u32>| async move {
                inputs.into_iter().take(1).map(Ok).collect()
            })
        });
        let out = futures::future::join_all(calls).await;
        assert_eq!(out[0].as_ref().ok(), Some(&0));
        assert!(out[1..]
            .iter()
            .all(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::Internal)));
    }
}
