//! Pub/Sub for C, poll style: a `kvstore_subscriber` is a client of its own
//! (an engine session, like a connection that sent SUBSCRIBE), whose
//! subscription commands run through `Engine::execute` and whose
//! confirmations and messages queue, in order, in the session's inbox
//! (kvstore-core's `Inbox`, which Python's `PubSub` and the listener's
//! connections use too). `kvstore_subscriber_next` takes them one at a
//! time, waiting on the inbox's condition variable: no polling loop.
//!
//! Messages published anywhere reach it: by the generic call's PUBLISH on
//! any thread, by a Python client of the same engine, by a client of a
//! listener (`kvstore_listen`), and by keyspace notifications.
//!
//! Freeing while another thread waits: the waiting call holds its own
//! reference to the subscriber's state, so `kvstore_subscriber_free` only
//! marks it closing and interrupts the waiters; the state goes (leaving
//! every subscription) when the last of them returns.

use crate::args;
use crate::error::{Fail, kvstore_result};
use crate::handle::kvstore;
use crate::reply::kvstore_reply;
use kvstore_core::pubsub::{Inbox, Popped};
use kvstore_core::{Engine, Session};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A Pub/Sub subscriber of one store (opaque): create it with
/// `kvstore_subscriber_new`, subscribe with `kvstore_subscribe` and
/// friends, read with `kvstore_subscriber_next`, free it with
/// `kvstore_subscriber_free`.
///
/// Thread safety: a subscriber may be used from several threads at once
/// (one thread waiting in `kvstore_subscriber_next` while others subscribe
/// or interrupt it); each message is returned once, to one caller.
#[derive(Debug)]
pub struct kvstore_subscriber {
    /// Shared with the calls waiting in `kvstore_subscriber_next`.
    state: Arc<State>,
}

/// A subscriber's session and where its pushes arrive.
#[derive(Debug)]
struct State {
    engine: Engine,
    /// Its own session: the subscriptions are its, as a connection's.
    session: Mutex<Session>,
    /// The session's inbox, waited on without the session's lock.
    inbox: Arc<Inbox>,
    /// The session's protocol is 3: messages are PUSH replies.
    resp3: bool,
    /// Calls inside `next`: `close` interrupts each of them.
    waiting: AtomicUsize,
    /// Set by `kvstore_subscriber_free`.
    closing: AtomicBool,
}

impl State {
    /// Runs `verb name` (SUBSCRIBE and friends), whose confirmation goes
    /// to the inbox.
    fn send(&self, verb: &str, name: &[u8]) -> Result<kvstore_result, Fail> {
        let mut s = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let reply = self.engine.execute(&mut s, &[verb.as_bytes(), name]);
        if std::mem::take(&mut s.conn.pushed) {
            return Ok(kvstore_result::KVSTORE_OK);
        }
        Err(match reply {
            kvstore_core::Reply::Error(msg) => crate::typed::redis_error(msg),
            other => crate::typed::unexpected(&other),
        })
    }

    /// The next push, or why there is none, waiting up to `timeout`.
    fn next(&self, timeout: Option<Duration>) -> Popped {
        // Counted before `closing` is read, and `close` sets `closing`
        // before it counts (both SeqCst): either this call sees it closing
        // or `close` sees this call and interrupts it.
        self.waiting.fetch_add(1, SeqCst);
        let popped = if self.closing.load(SeqCst) {
            Popped::Interrupted
        } else {
            self.inbox.wait(timeout)
        };
        self.waiting.fetch_sub(1, SeqCst);
        popped
    }

    /// Ends every wait in progress (the subscriber is being freed).
    fn close(&self) {
        self.closing.store(true, SeqCst);
        for _ in 0..self.waiting.load(SeqCst) {
            self.inbox.interrupt();
        }
    }
}

/// Creates a subscriber of the store `db` and writes it to `*out`. It is a
/// client of its own (CLIENT LIST shows it), subscribed to nothing yet.
/// Its messages are reply trees in the handle's protocol at this moment
/// (see `kvstore_options.protocol`): arrays in RESP2, PUSH replies in
/// RESP3.
///
/// Ownership: free it with `kvstore_subscriber_free`, before or after
/// `kvstore_close(db)`: it keeps the store's memory alive until then
/// (after the close, nothing publishes to it any more).
///
/// Returns `KVSTORE_OK`, `KVSTORE_ERR_NULL` (NULL `db` or `out`),
/// `KVSTORE_ERR_PANIC`. `*out` is written only on success.
/// Thread safety: any thread, concurrently with other calls on `db`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_subscriber_new(
    db: *mut kvstore,
    out: *mut *mut kvstore_subscriber,
) -> kvstore_result {
    crate::panic::call("kvstore_subscriber_new", || {
        // SAFETY: NULL or a live handle, per the contract.
        let db = unsafe { args::req(db, "db") }?;
        let out = args::out(out, "out")?;
        let mut session = db.own_session();
        let inbox = session.inbox();
        let state = State {
            engine: db.engine().clone(),
            resp3: session.proto >= 3,
            session: Mutex::new(session),
            inbox,
            waiting: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
        };
        let sub = Box::new(kvstore_subscriber {
            state: Arc::new(state),
        });
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { out.write(Box::into_raw(sub)) };
        Ok(kvstore_result::KVSTORE_OK)
    })
}

/// The body of the four subscription calls: `verb name` on `sub`.
///
/// # Safety
/// `sub` is NULL or a live subscriber; `name` is NULL or `len` readable
/// bytes.
unsafe fn send(
    sub: *mut kvstore_subscriber,
    verb: &str,
    name: *const u8,
    len: usize,
    what: &str,
) -> Result<kvstore_result, Fail> {
    // SAFETY: the contract of each caller.
    let sub = unsafe { args::req(sub, "sub") }?;
    // SAFETY: as above.
    let name = unsafe { args::bytes(name, len, what) }?;
    sub.state.send(verb, name)
}

/// SUBSCRIBE `channel` (binary safe, `len` bytes): messages PUBLISHed to
/// it from then on reach `sub`. The confirmation is queued for
/// `kvstore_subscriber_next`, as Redis sends it: `["subscribe", channel,
/// count]` (count: the channels and patterns `sub` is now subscribed to).
/// A message is `["message", channel, payload]`. Subscribing twice to one
/// channel is one subscription (confirmed again).
///
/// Returns `KVSTORE_OK`; `KVSTORE_ERR_NULL` (NULL `sub`, NULL `channel`
/// with `len > 0`); `KVSTORE_ERR_COMMAND` with Redis's text if the command
/// is refused; `KVSTORE_ERR_PANIC`. Thread safety: any thread, also while
/// another thread waits in `kvstore_subscriber_next` on `sub`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_subscribe(
    sub: *mut kvstore_subscriber,
    channel: *const u8,
    len: usize,
) -> kvstore_result {
    crate::panic::call("kvstore_subscribe", || {
        // SAFETY: the public contract above.
        unsafe { send(sub, "SUBSCRIBE", channel, len, "channel") }
    })
}

/// PSUBSCRIBE `pattern` (a Redis glob: `*`, `?`, `[a-z]`, `\` escapes;
/// binary safe, `len` bytes): messages to every matching channel reach
/// `sub`, as `["pmessage", pattern, channel, payload]`. The confirmation
/// `["psubscribe", pattern, count]` is queued for
/// `kvstore_subscriber_next`.
///
/// Returns and thread safety as `kvstore_subscribe` (NULL `pattern` with
/// `len > 0`: `KVSTORE_ERR_NULL`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_psubscribe(
    sub: *mut kvstore_subscriber,
    pattern: *const u8,
    len: usize,
) -> kvstore_result {
    crate::panic::call("kvstore_psubscribe", || {
        // SAFETY: the public contract above.
        unsafe { send(sub, "PSUBSCRIBE", pattern, len, "pattern") }
    })
}

/// UNSUBSCRIBE `channel`: its messages stop reaching `sub` (those already
/// queued stay). The confirmation `["unsubscribe", channel, count]` is
/// queued for `kvstore_subscriber_next`, also when `sub` was not
/// subscribed to it.
///
/// Returns and thread safety as `kvstore_subscribe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_unsubscribe(
    sub: *mut kvstore_subscriber,
    channel: *const u8,
    len: usize,
) -> kvstore_result {
    crate::panic::call("kvstore_unsubscribe", || {
        // SAFETY: the public contract above.
        unsafe { send(sub, "UNSUBSCRIBE", channel, len, "channel") }
    })
}

/// PUNSUBSCRIBE `pattern`: as `kvstore_unsubscribe`, for a pattern; the
/// confirmation is `["punsubscribe", pattern, count]`.
///
/// Returns and thread safety as `kvstore_subscribe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_punsubscribe(
    sub: *mut kvstore_subscriber,
    pattern: *const u8,
    len: usize,
) -> kvstore_result {
    crate::panic::call("kvstore_punsubscribe", || {
        // SAFETY: the public contract above.
        unsafe { send(sub, "PUNSUBSCRIBE", pattern, len, "pattern") }
    })
}

/// Takes the oldest confirmation or message queued for `sub`, waiting for
/// one up to `timeout_ms` milliseconds (0: do not wait; negative: wait
/// until one arrives or the wait is interrupted), and writes it to `*out`
/// as a reply tree: an array (RESP2) or a PUSH reply (RESP3) of bulk
/// strings, and an integer count for confirmations, exactly what Redis
/// sends a subscribed connection (see `kvstore_subscribe`). Free it with
/// `kvstore_reply_free`. Messages come in the order they were published.
///
/// Returns `KVSTORE_OK` with `*out` written; `KVSTORE_TIMEOUT` when nothing
/// came in time; `KVSTORE_INTERRUPTED` when `kvstore_subscriber_interrupt`
/// or `kvstore_subscriber_free` ended the wait; `KVSTORE_ERR_OVERFLOW` once
/// `sub` fell behind the `client-output-buffer-limit pubsub` hard limit
/// and what was queued has been read; `KVSTORE_ERR_NULL` (NULL `sub` or
/// `out`); `KVSTORE_ERR_PANIC`. `*out` is written only with `KVSTORE_OK`.
///
/// Thread safety: any thread. The thread sleeps while it waits (no
/// polling). `kvstore_subscriber_free` may be called from another thread
/// while this call waits: this call then returns (`KVSTORE_INTERRUPTED`, or
/// a message that arrived first) without touching `sub` again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_subscriber_next(
    sub: *mut kvstore_subscriber,
    timeout_ms: i64,
    out: *mut *mut kvstore_reply,
) -> kvstore_result {
    crate::panic::call("kvstore_subscriber_next", || {
        // SAFETY: NULL or a live subscriber, per the contract.
        let sub = unsafe { args::req(sub, "sub") }?;
        let out = args::out(out, "out")?;
        // This call's own reference: a concurrent free cannot pull the
        // state from under the wait.
        let state = Arc::clone(&sub.state);
        let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
        match state.next(timeout) {
            Popped::Item(reply) => {
                let tree = kvstore_reply::from_reply(reply, state.resp3);
                // SAFETY: `out` is non-NULL and writable per the contract.
                unsafe { out.write(Box::into_raw(Box::new(tree))) };
                Ok(kvstore_result::KVSTORE_OK)
            }
            Popped::TimedOut => Ok(kvstore_result::KVSTORE_TIMEOUT),
            Popped::Interrupted => Ok(kvstore_result::KVSTORE_INTERRUPTED),
            Popped::Overflowed => Err(Fail::new(
                kvstore_result::KVSTORE_ERR_OVERFLOW,
                "the subscriber fell behind the 'client-output-buffer-limit pubsub' \
                 limit and receives nothing more: free it and subscribe anew",
            )),
        }
    })
}

/// Ends one `kvstore_subscriber_next` waiting on `sub` (in another thread)
/// with `KVSTORE_INTERRUPTED`. If none is waiting, the next call to wait
/// on `sub` returns `KVSTORE_INTERRUPTED` at once instead (unless a message
/// is already queued, which it returns), so an interrupt sent just before
/// the other thread starts waiting is not lost.
///
/// Returns `KVSTORE_OK`, `KVSTORE_ERR_NULL` (NULL `sub`),
/// `KVSTORE_ERR_PANIC`. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_subscriber_interrupt(
    sub: *mut kvstore_subscriber,
) -> kvstore_result {
    crate::panic::call("kvstore_subscriber_interrupt", || {
        // SAFETY: NULL or a live subscriber, per the contract.
        let sub = unsafe { args::req(sub, "sub") }?;
        sub.state.inbox.interrupt();
        Ok(kvstore_result::KVSTORE_OK)
    })
}

/// Frees `sub`: leaves all its channels and patterns, drops what is still
/// queued, and ends every `kvstore_subscriber_next` waiting on it in other
/// threads (they return `KVSTORE_INTERRUPTED`). Replies already returned
/// stay valid until freed.
///
/// NULL: a no-op. Thread safety: may be called while other threads wait in
/// `kvstore_subscriber_next` on `sub`, but no other call on `sub` may
/// overlap it or follow it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_subscriber_free(sub: *mut kvstore_subscriber) {
    crate::panic::boundary("kvstore_subscriber_free", || {
        if !sub.is_null() {
            // SAFETY: a non-NULL `sub` came from kvstore_subscriber_new
            // and is freed once, per the contract.
            let sub = unsafe { Box::from_raw(sub) };
            sub.state.close();
        }
    })
}
