//! Batching of verify's database work: the requests that arrive while one batch is in the
//! database share the next one, so under load a verification costs a fraction of a
//! statement instead of several, and on SQLite a fraction of a hop to sqlx's connection
//! thread (the thread switches were most of the server's time).
//!
//! One task per kind of work takes what is queued (at most [`MAX_BATCH`]) and runs it as one
//! store call: the reads as one `SELECT ... WHERE user_id IN (...)`, the step advances as
//! one conditional `UPDATE ... FROM (VALUES ...)` in one transaction. Nothing waits for a
//! batch to fill: a lone request is a batch of one. The guarantees stay the database's:
//! each advance is still conditional on `last_step < step` in that one atomic statement,
//! two advances of one device never share a batch, and if a batch fails, each of its
//! operations is retried alone so one bad operation fails only its own request. An
//! operation once queued runs even if its request goes away (like a commit whose answer is
//! lost on the way back).

use crate::store::{DeviceRow, StepAdvance, Store, UserState};
use anyhow::{Result, anyhow};
use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};

/// Most operations in one batch (each size is a cached prepared statement).
pub const MAX_BATCH: usize = 64;

/// One kind of batched work.
trait Work: Send + Sync + 'static {
    type Op: Send + Sync + 'static;
    type Out: Send + 'static;

    /// Operations with the same key never share a batch.
    fn key(op: &Self::Op) -> Option<&str>;

    /// Runs `ops` as one batch: one output per operation, in order.
    fn run<'a>(
        store: &'a Store,
        ops: &'a [Self::Op],
    ) -> impl Future<Output = Result<Vec<Self::Out>>> + Send + 'a;
}

struct Reads;

impl Work for Reads {
    type Op = String;
    type Out = (UserState, Vec<DeviceRow>);

    fn key(_: &String) -> Option<&str> {
        None
    }

    fn run<'a>(
        store: &'a Store,
        ops: &'a [String],
    ) -> impl Future<Output = Result<Vec<Self::Out>>> + Send + 'a {
        store.verify_contexts(ops)
    }
}

struct Advances;

impl Work for Advances {
    type Op = StepAdvance;
    type Out = bool;

    fn key(op: &StepAdvance) -> Option<&str> {
        Some(&op.device_id)
    }

    fn run<'a>(
        store: &'a Store,
        ops: &'a [StepAdvance],
    ) -> impl Future<Output = Result<Vec<bool>>> + Send + 'a {
        store.advance_steps(ops)
    }
}

type Job<W> = (<W as Work>::Op, oneshot::Sender<Result<<W as Work>::Out>>);

/// The queue of one kind of work; its task starts with the first operation (on the
/// runtime that submits it) and ends when the queue is dropped.
struct Queue<W: Work> {
    tx: mpsc::UnboundedSender<Job<W>>,
    idle: Mutex<Option<(Store, mpsc::UnboundedReceiver<Job<W>>)>>,
}

impl<W: Work> Queue<W> {
    fn new(store: Store) -> Queue<W> {
        let (tx, rx) = mpsc::unbounded_channel();
        Queue {
            tx,
            idle: Mutex::new(Some((store, rx))),
        }
    }

    async fn submit(&self, op: W::Op) -> Result<W::Out> {
        let idle = self.idle.lock().map(|mut i| i.take()).unwrap_or(None);
        if let Some((store, rx)) = idle {
            tokio::spawn(run::<W>(store, rx));
        }
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((op, reply))
            .map_err(|_| anyhow!("the database batch task has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow!("the database batch task has stopped"))?
    }
}

async fn run<W: Work>(store: Store, mut rx: mpsc::UnboundedReceiver<Job<W>>) {
    let mut pending: VecDeque<Job<W>> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(job) => pending.push_back(job),
                None => return,
            }
        }
        while let Ok(job) = rx.try_recv() {
            pending.push_back(job);
        }
        let mut ops = Vec::with_capacity(MAX_BATCH.min(pending.len()));
        let mut replies = Vec::with_capacity(ops.capacity());
        let mut keys = HashSet::new();
        let mut later = VecDeque::new();
        while let Some((op, reply)) = pending.pop_front() {
            if ops.len() == MAX_BATCH {
                later.push_back((op, reply));
                break;
            }
            match W::key(&op) {
                Some(key) if !keys.insert(key.to_string()) => later.push_back((op, reply)),
                _ => {
                    ops.push(op);
                    replies.push(reply);
                }
            }
        }
        later.append(&mut pending);
        pending = later;

        match W::run(&store, &ops).await {
            Ok(outs) if outs.len() == ops.len() => {
                for (reply, out) in replies.into_iter().zip(outs) {
                    let _ = reply.send(Ok(out));
                }
            }
            Ok(_) => {
                for reply in replies {
                    let _ = reply.send(Err(anyhow!("a database batch lost an answer")));
                }
            }
            Err(e) if ops.len() == 1 => {
                if let Some(reply) = replies.pop() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = ops.len(), "database batch failed; retrying one by one");
                for (op, reply) in ops.chunks(1).zip(replies) {
                    let out = W::run(&store, op)
                        .await
                        .and_then(|mut v| v.pop().ok_or_else(|| anyhow!("no answer")));
                    let _ = reply.send(out);
                }
            }
        }
    }
}

/// The batch queues of verify's reads and writes.
pub struct Batches {
    reads: Queue<Reads>,
    advances: Queue<Advances>,
}

impl std::fmt::Debug for Batches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batches").finish_non_exhaustive()
    }
}

impl Batches {
    /// Queues over `store`.
    pub fn new(store: &Store) -> Batches {
        Batches {
            reads: Queue::new(store.clone()),
            advances: Queue::new(store.clone()),
        }
    }

    /// [`Store::verify_context`], batched.
    pub async fn verify_context(&self, user_id: &str) -> Result<(UserState, Vec<DeviceRow>)> {
        self.reads.submit(user_id.to_string()).await
    }

    /// [`Store::advance_step`], batched.
    pub async fn advance_step(&self, op: StepAdvance) -> Result<bool> {
        self.advances.submit(op).await
    }
}
