//! Blocking commands' waits (BLPOP, BLMOVE, BZPOPMIN, ...): the registry
//! of waiting clients by key ([`Blocking`]), the handle a front holds
//! while its client waits ([`Blocked`]), and serving waiters once a write
//! made their key ready ([`serve`]).
//!
//! A blocking handler that finds nothing to pop registers a waiter while
//! it still holds its keys' shard locks, so a push cannot slip in between
//! the check and the registration. Every write signals its key
//! (`Ctx::signal_modified_in`); a key with waiters is recorded in the
//! command's context, and once the command is over (after EXEC for a
//! transaction, after a script), still holding its locks, the engine
//! serves that key's waiters in the order they blocked, each with the
//! non-blocking form of its command run on its behalf, until the key runs
//! dry; as in Redis, no other command can take the elements first. A
//! served waiter's reply is stored in it and its client is woken: an
//! in-process thread parked on the waiter's condition variable, or a
//! listener connection through the session's [`Waker`]. Nothing polls:
//! waiting threads sleep until woken or until their deadline.
//!
//! Lock order: shard locks, then a waiter's state, then the registry.

mod serve;

pub(crate) use serve::{cover_move_targets, serve_held, serve_ready};

use crate::cmd::{list, zset};
use crate::ctx::Ctx;
use crate::error::CmdError;
use crate::pubsub::Waker;
use crate::reply::Reply;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a waiter runs once one of its keys is ready: the non-blocking
/// form of its command, on that key.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// BLPOP/BRPOP: `[key, element]`.
    Pop {
        /// From the head.
        left: bool,
    },
    /// BLMOVE/BRPOPLPUSH: the element moved to `dst`.
    Move {
        /// Destination list.
        dst: Vec<u8>,
        /// Pop from the head.
        from_left: bool,
        /// Push at the head.
        to_left: bool,
        /// BRPOPLPUSH (propagated as RPOPLPUSH, BLMOVE as LMOVE).
        rpoplpush: bool,
    },
    /// BLMPOP: `[key, [elements]]`.
    MPop {
        /// From the head.
        left: bool,
        /// At most this many.
        count: usize,
    },
    /// BZPOPMIN/BZPOPMAX: `[key, member, score]`.
    ZPop {
        /// The highest score.
        max: bool,
    },
    /// BZMPOP: `[key, [[member, score], ...]]`.
    ZMPop {
        /// The highest scores.
        max: bool,
        /// At most this many.
        count: usize,
    },
}

impl Op {
    /// The keys besides the awaited one that serving touches.
    fn other_key(&self) -> Option<&[u8]> {
        match self {
            Op::Move { dst, .. } => Some(dst),
            _ => None,
        }
    }

    /// True when the op pops from sorted sets (else lists).
    fn zset(&self) -> bool {
        matches!(self, Op::ZPop { .. } | Op::ZMPop { .. })
    }
}

/// Runs `op` on `key` if it holds something to pop: `Ok(None)` when the
/// key is absent (or, with `strict` off, holds another type: a waiter is
/// then not served). With `strict` (the command's own first attempt) a key
/// of another type is WRONGTYPE, as Redis checks each key in order.
/// What it did propagates as the non-blocking command that does it (see
/// [`propagate`]): as the call's own propagation with `strict`, else (a
/// waiter served after another client's command) besides it, as Redis's
/// `alsoPropagate`; `ends` are the words a BLMOVE served at once was given
/// for its ends, which Redis propagates as they came.
pub(crate) fn try_op(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    op: &Op,
    strict: bool,
    ends: Option<[&[u8]; 2]>,
) -> Result<Option<Reply>, CmdError> {
    let present = if op.zset() {
        ctx.get_for_write(key).map(|v| v.as_zset_mut().is_ok())
    } else {
        ctx.get_for_write(key).map(|v| v.as_list_mut().is_ok())
    };
    match present {
        None => return Ok(None),
        Some(false) if strict => return Err(CmdError::WrongType),
        Some(false) => return Ok(None),
        Some(true) => {}
    }
    // The reply, and how many elements went.
    let done = match op {
        Op::Pop { left } => list::pop_one(ctx, key, *left)?
            .map(|v| (Reply::Array(vec![Reply::bulk(key), Reply::Bulk(v)]), 1)),
        Op::Move {
            dst,
            from_left,
            to_left,
            ..
        } => list::move_element(ctx, key, dst, *from_left, *to_left)?.map(|v| (Reply::Bulk(v), 1)),
        Op::MPop { left, count } => list::pop(ctx, key, *left, *count)?.map(|elems| {
            let n = elems.len();
            (list::mpop_reply(Some((key, elems))), n)
        }),
        Op::ZPop { max } => {
            let popped = zset::pop_from(ctx, key, *max, 1);
            popped.first().map(|(m, s)| {
                let reply = Reply::Array(vec![Reply::bulk(key), Reply::bulk(m), Reply::Double(*s)]);
                (reply, 1)
            })
        }
        Op::ZMPop { max, count } => {
            let popped = zset::pop_from(ctx, key, *max, *count);
            (!popped.is_empty()).then(|| {
                let reply = Reply::Array(vec![Reply::bulk(key), zset::pairs_reply(&popped, true)]);
                (reply, popped.len())
            })
        }
    };
    Ok(done.map(|(reply, n)| {
        if ctx.propagating() {
            let count = n.to_string();
            let argv = propagated(key, op, &count, ends);
            if strict {
                ctx.propagate_as(&argv);
            } else {
                ctx.propagate_also(&argv);
            }
        }
        reply
    }))
}

/// The non-blocking command that did what `op` did on `key` (popping
/// `count` elements), as Redis 7.0 propagates a blocking command:
/// BLPOP → LPOP key, BZPOPMIN → ZPOPMIN key, BLMPOP → LPOP key n,
/// BZMPOP → ZPOPMIN key n, BRPOPLPUSH → RPOPLPUSH src dst, BLMOVE →
/// LMOVE src dst with its ends as the client gave them (`ends`) when
/// served at once, else as Redis's shared `left`/`right`.
fn propagated<'a>(
    key: &'a [u8],
    op: &'a Op,
    count: &'a str,
    ends: Option<[&'a [u8]; 2]>,
) -> Vec<&'a [u8]> {
    let side = |left: bool| if left { &b"left"[..] } else { b"right" };
    let count = count.as_bytes();
    match op {
        Op::Pop { left } => vec![if *left { b"LPOP" } else { b"RPOP" }, key],
        Op::Move {
            dst,
            rpoplpush: true,
            ..
        } => vec![b"RPOPLPUSH", key, dst],
        Op::Move {
            dst,
            from_left,
            to_left,
            ..
        } => {
            let [from, to] = ends.unwrap_or([side(*from_left), side(*to_left)]);
            vec![b"LMOVE", key, dst, from, to]
        }
        Op::MPop { left, .. } => vec![if *left { b"LPOP" } else { b"RPOP" }, key, count],
        Op::ZPop { max } => vec![if *max { b"ZPOPMAX" } else { b"ZPOPMIN" }, key],
        Op::ZMPop { max, .. } => vec![if *max { b"ZPOPMAX" } else { b"ZPOPMIN" }, key, count],
    }
}

/// What a blocking handler asks for when nothing was ready.
#[derive(Debug)]
pub(crate) struct Wait {
    /// The keys to wait on, in the command's order.
    pub keys: Vec<Vec<u8>>,
    /// What to run for the client once a key is ready.
    pub op: Op,
    /// How long to wait; `None`: forever.
    pub timeout: Option<Duration>,
    /// The reply when the wait times out.
    pub timeout_reply: Reply,
}

#[derive(Debug)]
enum State {
    Waiting,
    Done(Reply),
    Taken,
}

/// One waiting client.
struct Waiter {
    client: u64,
    db: usize,
    proto: u8,
    keys: Vec<Vec<u8>>,
    op: Op,
    /// For a BLMOVE whose destination is in another shard than its source:
    /// (source shard, destination shard), in `db`.
    link: Option<(usize, usize)>,
    timeout_reply: Reply,
    deadline: Option<Instant>,
    state: Mutex<State>,
    done: Condvar,
    waker: Option<Waker>,
}

impl Waiter {
    /// Stores the final reply and wakes the client; `st` must be Waiting.
    fn finish(&self, mut st: MutexGuard<'_, State>, reply: Reply) {
        *st = State::Done(reply);
        drop(st);
        self.done.notify_all();
        if let Some(w) = &self.waker {
            w();
        }
    }
}

#[derive(Default)]
struct Registry {
    /// (db, key) → its waiters, in the order they blocked.
    keys: HashMap<(usize, Vec<u8>), VecDeque<Arc<Waiter>>>,
    /// Client id → its waiter (CLIENT UNBLOCK).
    clients: HashMap<u64, Arc<Waiter>>,
    /// (db, shard) → the destination shards of the BLMOVE waiters whose
    /// source key is there (once per waiter): serving them needs those
    /// shards too (see [`cover_move_targets`]).
    links: HashMap<(usize, usize), Vec<usize>>,
}

/// Every waiting client of one engine.
#[derive(Default)]
pub struct Blocking {
    registry: Mutex<Registry>,
    /// Waiters registered: writes skip the registry lock while it is 0.
    waiting: AtomicUsize,
    /// Waiters with a link (BLMOVE across shards): commands lock only
    /// their own shards while it is 0. Changed under the source shard's
    /// lock when a waiter registers.
    linked: AtomicUsize,
}

impl std::fmt::Debug for Blocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocking")
            .field("waiting", &self.count())
            .finish_non_exhaustive()
    }
}

impl Blocking {
    /// Clients waiting (INFO's `blocked_clients`).
    pub fn count(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Clients waiting with a timeout (INFO's `clients_in_timeout_table`).
    pub fn count_with_timeout(&self) -> usize {
        lock(&self.registry)
            .clients
            .values()
            .filter(|w| w.deadline.is_some())
            .count()
    }

    /// True when a client waits on `key` of `db`. Called for every write,
    /// with the key's shard locked.
    #[inline]
    pub(crate) fn has_waiters(&self, db: usize, key: &[u8]) -> bool {
        self.count() > 0 && lock(&self.registry).keys.contains_key(&(db, key.to_vec()))
    }

    fn add(&self, w: &Arc<Waiter>) {
        let mut reg = lock(&self.registry);
        for k in &w.keys {
            let q = reg.keys.entry((w.db, k.clone())).or_default();
            if !q.iter().any(|o| Arc::ptr_eq(o, w)) {
                q.push_back(w.clone());
            }
        }
        reg.clients.insert(w.client, w.clone());
        if let Some((src, dst)) = w.link {
            reg.links.entry((w.db, src)).or_default().push(dst);
            self.linked.fetch_add(1, Ordering::AcqRel);
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
    }

    /// Removes `w` from every key it waits on (once; later calls do nothing).
    fn remove(&self, w: &Arc<Waiter>) {
        let mut reg = lock(&self.registry);
        if !reg
            .clients
            .get(&w.client)
            .is_some_and(|o| Arc::ptr_eq(o, w))
        {
            return;
        }
        reg.clients.remove(&w.client);
        for k in &w.keys {
            let slot = (w.db, k.clone());
            if let Some(q) = reg.keys.get_mut(&slot) {
                q.retain(|o| !Arc::ptr_eq(o, w));
                if q.is_empty() {
                    reg.keys.remove(&slot);
                }
            }
        }
        if let Some((src, dst)) = w.link {
            if let Some(dsts) = reg.links.get_mut(&(w.db, src)) {
                if let Some(at) = dsts.iter().position(|&d| d == dst) {
                    dsts.swap_remove(at);
                }
                if dsts.is_empty() {
                    reg.links.remove(&(w.db, src));
                }
            }
            self.linked.fetch_sub(1, Ordering::AcqRel);
        }
        self.waiting.fetch_sub(1, Ordering::AcqRel);
    }

    /// Adds to `shards` (sorted (db, shard) pairs) the destination shards
    /// of the BLMOVE waiters whose source is in one of them, transitively;
    /// true when it added any.
    fn close_over_links(&self, shards: &mut Vec<(usize, usize)>) -> bool {
        let reg = lock(&self.registry);
        let mut added = false;
        loop {
            let mut grew = false;
            for (&(db, src), dsts) in &reg.links {
                if shards.binary_search(&(db, src)).is_err() {
                    continue;
                }
                for &dst in dsts {
                    if let Err(at) = shards.binary_search(&(db, dst)) {
                        shards.insert(at, (db, dst));
                        grew = true;
                    }
                }
            }
            if !grew {
                return added;
            }
            added = true;
        }
    }

    /// The waiters on `key` of `db`, in the order they blocked.
    fn waiters(&self, db: usize, key: &[u8]) -> Vec<Arc<Waiter>> {
        lock(&self.registry)
            .keys
            .get(&(db, key.to_vec()))
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// CLIENT UNBLOCK: ends client `id`'s wait with its timeout reply, or
    /// with an `UNBLOCKED` error when `error`; false when it was not
    /// waiting.
    pub fn unblock(&self, id: u64, error: bool) -> bool {
        let Some(w) = lock(&self.registry).clients.get(&id).cloned() else {
            return false;
        };
        let st = lock(&w.state);
        if !matches!(*st, State::Waiting) {
            return false;
        }
        self.remove(&w);
        let reply = if error {
            Reply::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK".into())
        } else {
            w.timeout_reply.clone()
        };
        w.finish(st, reply);
        true
    }
}

/// A session's blocking state.
#[derive(Debug, Default)]
pub(crate) struct SessionBlock {
    /// The wait the last command started, until the front takes it.
    pub blocked: Option<Blocked>,
    /// The front takes waits itself ([`Session::take_blocked`](crate::Session::take_blocked)) instead of
    /// `execute` parking the calling thread.
    pub defer: bool,
}

/// A client's wait, held by its front: poll it, wait on it, or drop it
/// (which cancels the wait, as a client disconnecting does).
pub struct Blocked {
    waiter: Arc<Waiter>,
    registry: Arc<Blocking>,
}

impl std::fmt::Debug for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocked")
            .field("client", &self.waiter.client)
            .field("deadline", &self.waiter.deadline)
            .finish_non_exhaustive()
    }
}

impl Blocked {
    /// When the wait times out (`None`: never).
    pub fn deadline(&self) -> Option<Instant> {
        self.waiter.deadline
    }

    /// The command's reply once it is final: served, unblocked, or timed
    /// out (the deadline passed); `None` while still waiting.
    pub fn poll(&self) -> Option<Reply> {
        let st = lock(&self.waiter.state);
        self.settle(st, Instant::now())
    }

    /// Waits up to `max` (until the deadline with `None`) for the final
    /// reply, asleep on a condition variable; `None` if `max` ran out first.
    pub fn wait(&self, max: Option<Duration>) -> Option<Reply> {
        let until = max.map(|d| Instant::now() + d);
        let mut st = lock(&self.waiter.state);
        loop {
            let now = Instant::now();
            if let Some(r) = self.settle_ref(&mut st, now) {
                return Some(r);
            }
            let limit = match (self.waiter.deadline, until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            st = match limit {
                None => self.waiter.done.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(l) if l <= now => return None,
                Some(l) => {
                    self.waiter
                        .done
                        .wait_timeout(st, l - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    fn settle(&self, mut st: MutexGuard<'_, State>, now: Instant) -> Option<Reply> {
        self.settle_ref(&mut st, now)
    }

    /// Takes the final reply if there is one, timing the wait out when its
    /// deadline passed.
    fn settle_ref(&self, st: &mut State, now: Instant) -> Option<Reply> {
        match st {
            State::Done(_) => match std::mem::replace(st, State::Taken) {
                State::Done(r) => Some(r),
                _ => unreachable!("matched Done"),
            },
            State::Waiting if self.waiter.deadline.is_some_and(|d| now >= d) => {
                *st = State::Taken;
                self.registry.remove(&self.waiter);
                Some(self.waiter.timeout_reply.clone())
            }
            _ => None,
        }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        let mut st = lock(&self.waiter.state);
        if matches!(*st, State::Waiting) {
            *st = State::Taken;
            self.registry.remove(&self.waiter);
        }
    }
}

impl Ctx<'_> {
    /// True when a blocking command may wait: not inside MULTI/EXEC and
    /// not in a script (whose session has id 0), where it behaves as its
    /// non-blocking form, as in Redis.
    pub(crate) fn may_block(&self) -> bool {
        !self.session.in_multi() && self.session.id != 0
    }

    /// Starts a wait for the calling client (the keys' shards are locked,
    /// so no write to them can come between the handler's check and this).
    /// The command's reply comes from the wait; the returned placeholder
    /// is its timeout reply.
    pub(crate) fn block(&mut self, wait: Wait) -> Reply {
        let shared = self.shared();
        let placeholder = wait.timeout_reply.clone();
        let ks = &shared.keyspace;
        let link = match (&wait.op, wait.keys.first()) {
            (Op::Move { dst, .. }, Some(src)) => {
                Some((ks.shard_of(src), ks.shard_of(dst))).filter(|(a, b)| a != b)
            }
            _ => None,
        };
        let waiter = Arc::new(Waiter {
            client: self.session.id,
            db: self.session.db,
            proto: self.session.proto,
            keys: wait.keys,
            op: wait.op,
            link,
            timeout_reply: wait.timeout_reply,
            deadline: wait.timeout.and_then(|t| Instant::now().checked_add(t)),
            state: Mutex::new(State::Waiting),
            done: Condvar::new(),
            waker: self.session.waker.0.clone(),
        });
        shared.blocking.add(&waiter);
        self.session.block.blocked = Some(Blocked {
            waiter,
            registry: shared.blocking.clone(),
        });
        placeholder
    }
}
