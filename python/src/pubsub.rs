//! `PubSubConnection`: the native half of `kvstore.PubSub`, standing in for
//! the dedicated connection a redis-py `PubSub` holds. It owns an engine
//! session whose inbox queues, in order, the subscription confirmations,
//! the messages, and the replies of the other commands sent on it (PING),
//! exactly what a redis-py `PubSub` reads from its socket. Reading waits
//! on the inbox with the GIL released, and wakes every 100 ms to let
//! Python handle signals (Ctrl-C), as a socket read would.

use crate::encode;
use crate::errors;
use crate::reply::Decoder;
use kvstore_core::pubsub::Inbox;
use kvstore_core::{Engine, Session};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a waiting read sleeps before it lets Python check signals.
pub(crate) const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// One Pub/Sub "connection" to an in-process store.
#[pyclass(frozen, module = "kvstore._kvstore")]
pub struct PubSubConnection {
    engine: Engine,
    session: Mutex<Session>,
    inbox: Arc<Inbox>,
    dec: Decoder,
    db: usize,
    /// Bumped by `close`: a read waiting across it returns nothing.
    closes: AtomicU64,
}

impl PubSubConnection {
    /// A connection on `engine` with a fresh session on `db`.
    pub(crate) fn new(engine: Engine, db: usize, dec: Decoder) -> PubSubConnection {
        let mut session = crate::client::session_on(&engine, db, &dec);
        let inbox = session.inbox();
        PubSubConnection {
            engine,
            session: Mutex::new(session),
            inbox,
            dec,
            db,
            closes: AtomicU64::new(0),
        }
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl PubSubConnection {
    /// Sends a command. SUBSCRIBE and friends answer through the inbox;
    /// any other command's reply is queued there after what came before
    /// it, to be read like a message.
    #[pyo3(signature = (*args))]
    fn execute(&self, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        let argv = encode::args(&items, &self.dec.enc)?;
        let mut s = self.session();
        let reply = self.engine.execute(&mut s, &argv);
        // `pushed`: the reply already went through the inbox.
        if !std::mem::take(&mut s.conn.pushed) {
            self.inbox.push_reply(reply);
        }
        Ok(())
    }

    /// The next confirmation, message or reply: waits up to `timeout`
    /// seconds (forever with `None`, not at all with 0) with the GIL
    /// released; `None` when nothing came. A consumer that fell behind
    /// the `pubsub` output-buffer limit gets `ConnectionError`, as Redis
    /// disconnects it.
    #[pyo3(signature = (timeout=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let deadline = match timeout {
            Some(t) if t.is_finite() && t > 0.0 => {
                Some(Instant::now() + Duration::from_secs_f64(t.min(1e9)))
            }
            Some(_) => Some(Instant::now()),
            None => None,
        };
        let closes = self.closes.load(Ordering::Acquire);
        loop {
            if let Some(r) = self.inbox.pop() {
                return self.dec.reply(py, r).map(Some);
            }
            if self.inbox.overflowed() {
                return Err(errors::connection(
                    py,
                    "Connection closed by server: the subscriber fell behind the \
                     'client-output-buffer-limit pubsub' limit.",
                ));
            }
            let now = Instant::now();
            let slice = match deadline {
                Some(d) if d <= now => return Ok(None),
                Some(d) => (d - now).min(SIGNAL_CHECK),
                None => SIGNAL_CHECK,
            };
            if let Some(r) = py.detach(|| self.inbox.pop_wait(Some(slice))) {
                return self.dec.reply(py, r).map(Some);
            }
            if self.closes.load(Ordering::Acquire) != closes {
                return Ok(None);
            }
            py.check_signals()?;
        }
    }

    /// Leaves every subscription and wakes a thread waiting in `read`.
    /// The connection can be used again (as redis-py reconnects).
    fn close(&self) {
        let mut s = self.session();
        self.engine.execute(&mut s, &["RESET"]);
        s.proto = self.dec.proto();
        s.db = self.db;
        self.inbox.drain();
        self.closes.fetch_add(1, Ordering::AcqRel);
        self.inbox.interrupt();
    }
}
