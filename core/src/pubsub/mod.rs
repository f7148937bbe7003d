//! Pub/Sub: the engine-wide registry of subscriptions ([`PubSub`]), the
//! [`Inbox`] where a subscribed session's messages queue up, and a
//! session's own record of what it is subscribed to ([`Subs`]).
//!
//! PUBLISH looks the channel's subscribers (and the matching patterns')
//! up under a read lock and appends the message to each one's inbox: it
//! never waits for a consumer. A consumer is told through its inbox's
//! waker (the listener's: the connection is queued on its worker) or a
//! condition variable (in-process consumers wait on [`Inbox::pop_wait`]).
//! Subscription confirmations go through the same inbox, appended while
//! the registry is write-locked, so a consumer reads them in the order
//! Redis would write them relative to the messages.
//!
//! An inbox whose backlog passes the hard `client-output-buffer-limit`
//! of the `pubsub` class is marked overflowed and takes nothing more: the
//! listener then closes the connection, as Redis does; an in-process
//! consumer sees [`Inbox::overflowed`].
//!
//! Lock order: the registry lock, then an inbox's lock (publishers and
//! subscribers both nest them so); shard locks, when held, come first.

pub mod notify;

use crate::glob;
use crate::reply::Reply;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

/// Tells a front that something arrived for one of its sessions (a
/// message, a served blocking command). Called from the publishing or
/// writing thread; it must be cheap and must not call into the engine.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The waker a session's front set, if any.
#[derive(Clone, Default)]
pub(crate) struct FrontWaker(pub Option<Waker>);

impl std::fmt::Debug for FrontWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Some(waker)"
        } else {
            "None"
        })
    }
}

/// Approximate bytes a queued message costs beyond its strings (what the
/// output-buffer limit counts).
const MESSAGE_OVERHEAD: usize = 48;

/// The three kinds of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE: a channel by name.
    Channel,
    /// PSUBSCRIBE: channels matching a glob pattern.
    Pattern,
    /// SSUBSCRIBE: a shard channel (Redis 7.0 without cluster: a channel
    /// space of its own).
    Shard,
}

impl Kind {
    /// The confirmation words: (subscribe, unsubscribe).
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Kind::Channel => ("subscribe", "unsubscribe"),
            Kind::Pattern => ("psubscribe", "punsubscribe"),
            Kind::Shard => ("ssubscribe", "sunsubscribe"),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What [`Inbox::wait`] found.
#[derive(Debug)]
pub enum Popped {
    /// The oldest queued push.
    Item(Reply),
    /// Nothing arrived before the timeout.
    TimedOut,
    /// [`Inbox::interrupt`] was called.
    Interrupted,
    /// The backlog passed the output-buffer limit: nothing more arrives.
    Overflowed,
}

/// Where one session's pushes queue up until its front takes them.
pub struct Inbox {
    queue: Mutex<Queue>,
    arrived: Condvar,
    waker: Option<Waker>,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Reply>,
    /// Approximate size of `items` (the output-buffer limit counts it).
    bytes: usize,
    /// The backlog passed the hard limit: nothing more is queued.
    overflowed: bool,
    /// Threads in `pop_wait` (only then is the condition variable signalled).
    waiting: usize,
    /// Interruptions asked by [`Inbox::interrupt`] not yet seen by a waiter.
    interrupts: usize,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q = lock(&self.queue);
        f.debug_struct("Inbox")
            .field("queued", &q.items.len())
            .field("bytes", &q.bytes)
            .field("overflowed", &q.overflowed)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// An empty inbox; `waker` (if any) is called when it stops being empty.
    pub fn new(waker: Option<Waker>) -> Arc<Inbox> {
        Arc::new(Inbox {
            queue: Mutex::new(Queue::default()),
            arrived: Condvar::new(),
            waker,
        })
    }

    /// Appends a push; `limit` is the hard backlog limit in bytes (0:
    /// none). Wakes the consumer when the inbox was empty (it drains
    /// everything it finds, so one wake per batch).
    pub(crate) fn push(&self, msg: Reply, limit: u64) {
        let size = size_of(&msg);
        let mut q = lock(&self.queue);
        if q.overflowed {
            return;
        }
        if limit > 0 && (q.bytes + size) as u64 > limit {
            q.overflowed = true;
        } else {
            q.items.push_back(msg);
            q.bytes += size;
        }
        let first = q.items.len() == 1 || q.overflowed;
        let signal = q.waiting > 0;
        drop(q);
        if signal {
            self.arrived.notify_all();
        }
        if first {
            if let Some(w) = &self.waker {
                w();
            }
        }
    }

    /// Appends a reply the front produced itself for this session (a
    /// command's own reply), for a consumer that reads replies and pushes
    /// from one queue, in order, as a connection does.
    pub fn push_reply(&self, reply: Reply) {
        self.push(reply, 0);
    }

    /// The oldest queued push, if any.
    pub fn pop(&self) -> Option<Reply> {
        let mut q = lock(&self.queue);
        let item = q.items.pop_front()?;
        q.bytes = if q.items.is_empty() {
            0
        } else {
            q.bytes.saturating_sub(size_of(&item))
        };
        Some(item)
    }

    /// The oldest queued push, waiting up to `timeout` (forever with
    /// `None`) for one; `None` on timeout, overflow or [`Inbox::interrupt`]
    /// (see [`Inbox::wait`] to tell them apart).
    pub fn pop_wait(&self, timeout: Option<Duration>) -> Option<Reply> {
        match self.wait(timeout) {
            Popped::Item(item) => Some(item),
            Popped::TimedOut | Popped::Interrupted | Popped::Overflowed => None,
        }
    }

    /// The oldest queued push, waiting up to `timeout` (forever with
    /// `None`, or when the deadline is past what the clock can hold) for
    /// one, or why there is none. Queued pushes come first, then overflow,
    /// then a pending interrupt. The thread sleeps on a condition variable
    /// meanwhile.
    pub fn wait(&self, timeout: Option<Duration>) -> Popped {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut q = lock(&self.queue);
        q.waiting += 1;
        let out = loop {
            if let Some(item) = q.items.pop_front() {
                q.bytes = if q.items.is_empty() {
                    0
                } else {
                    q.bytes.saturating_sub(size_of(&item))
                };
                break Popped::Item(item);
            }
            if q.overflowed {
                break Popped::Overflowed;
            }
            if q.interrupts > 0 {
                q.interrupts -= 1;
                break Popped::Interrupted;
            }
            q = match deadline {
                None => self.arrived.wait(q).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break Popped::TimedOut;
                    }
                    self.arrived
                        .wait_timeout(q, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        };
        q.waiting -= 1;
        out
    }

    /// Wakes one thread waiting in [`Inbox::pop_wait`] (or the next one to
    /// wait) with nothing: a consumer closing its subscription from
    /// another thread uses it.
    pub fn interrupt(&self) {
        lock(&self.queue).interrupts += 1;
        self.arrived.notify_all();
    }

    /// Takes every queued push, oldest first.
    pub fn drain(&self) -> VecDeque<Reply> {
        let mut q = lock(&self.queue);
        q.bytes = 0;
        std::mem::take(&mut q.items)
    }

    /// Number of queued pushes.
    pub fn len(&self) -> usize {
        lock(&self.queue).items.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True once the backlog passed the `pubsub` output-buffer limit (the
    /// consumer fell too far behind; Redis would have disconnected it).
    pub fn overflowed(&self) -> bool {
        lock(&self.queue).overflowed
    }
}

/// The size a push is accounted at.
fn size_of(r: &Reply) -> usize {
    match r {
        Reply::Push(items) | Reply::Array(items) => {
            MESSAGE_OVERHEAD
                + items
                    .iter()
                    .map(|i| match i {
                        Reply::Bulk(b) => b.len(),
                        _ => 8,
                    })
                    .sum::<usize>()
        }
        _ => MESSAGE_OVERHEAD,
    }
}

/// Subscribers of one name, in subscription order.
type Subscribers = Vec<Arc<Inbox>>;

#[derive(Default)]
struct Registry {
    channels: HashMap<Vec<u8>, Subscribers>,
    shard: HashMap<Vec<u8>, Subscribers>,
    /// Patterns in the order they were first subscribed (Redis walks its
    /// pattern dict in hash order; any fixed order is as good).
    patterns: Vec<(Vec<u8>, Subscribers)>,
}

impl Registry {
    fn names(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, Subscribers> {
        match kind {
            Kind::Shard => &mut self.shard,
            _ => &mut self.channels,
        }
    }

    /// Adds `inbox` under `name`; the caller knows it was not there.
    fn add(&mut self, kind: Kind, name: &[u8], inbox: &Arc<Inbox>) {
        match kind {
            Kind::Pattern => match self.patterns.iter_mut().find(|(p, _)| p == name) {
                Some((_, subs)) => subs.push(inbox.clone()),
                None => self.patterns.push((name.to_vec(), vec![inbox.clone()])),
            },
            _ => self
                .names(kind)
                .entry(name.to_vec())
                .or_default()
                .push(inbox.clone()),
        }
    }

    /// Removes `inbox` from `name`, dropping names left without subscribers.
    fn remove(&mut self, kind: Kind, name: &[u8], inbox: &Arc<Inbox>) {
        let gone = |subs: &mut Subscribers| {
            subs.retain(|s| !Arc::ptr_eq(s, inbox));
            subs.is_empty()
        };
        match kind {
            Kind::Pattern => {
                if let Some(i) = self.patterns.iter().position(|(p, _)| p == name) {
                    if gone(&mut self.patterns[i].1) {
                        self.patterns.remove(i);
                    }
                }
            }
            _ => {
                let names = self.names(kind);
                if names.get_mut(name).is_some_and(gone) {
                    names.remove(name);
                }
            }
        }
    }
}

/// Every subscription of one engine.
#[derive(Default)]
pub struct PubSub {
    registry: RwLock<Registry>,
}

impl std::fmt::Debug for PubSub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSub")
            .field("channels", &self.count(Kind::Channel))
            .field("patterns", &self.count(Kind::Pattern))
            .finish_non_exhaustive()
    }
}

impl PubSub {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Delivers `payload` on `channel` (a shard channel when `shard`) to
    /// every subscriber, and to the subscribers of every matching pattern
    /// (not for shard channels); returns how many received it. `limit` is
    /// the inboxes' hard backlog limit (0: none).
    pub fn publish(&self, channel: &[u8], payload: &[u8], shard: bool, limit: u64) -> usize {
        let reg = self.read();
        let mut receivers = 0;
        let (subs, word) = if shard {
            (reg.shard.get(channel), "smessage")
        } else {
            (reg.channels.get(channel), "message")
        };
        for inbox in subs.into_iter().flatten() {
            let msg = Reply::Push(vec![
                Reply::Bulk(word.into()),
                Reply::bulk(channel),
                Reply::bulk(payload),
            ]);
            inbox.push(msg, limit);
            receivers += 1;
        }
        if shard {
            return receivers;
        }
        for (pattern, subs) in &reg.patterns {
            if !glob::matches(pattern, channel, false) {
                continue;
            }
            for inbox in subs {
                let msg = Reply::Push(vec![
                    Reply::Bulk(b"pmessage".to_vec()),
                    Reply::bulk(pattern),
                    Reply::bulk(channel),
                    Reply::bulk(payload),
                ]);
                inbox.push(msg, limit);
                receivers += 1;
            }
        }
        receivers
    }

    /// Active channels (shard channels for `Kind::Shard`) matching
    /// `pattern` (all without one): PUBSUB CHANNELS / SHARDCHANNELS.
    pub fn channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let reg = self.read();
        let names = match kind {
            Kind::Shard => &reg.shard,
            _ => &reg.channels,
        };
        names
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob::matches(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of channel `name` (PUBSUB NUMSUB / SHARDNUMSUB).
    pub fn numsub(&self, kind: Kind, name: &[u8]) -> usize {
        let reg = self.read();
        match kind {
            Kind::Shard => reg.shard.get(name).map_or(0, Vec::len),
            _ => reg.channels.get(name).map_or(0, Vec::len),
        }
    }

    /// Number of channels, shard channels or patterns with subscribers
    /// (INFO's `pubsub_channels`, PUBSUB NUMPAT, ...).
    pub fn count(&self, kind: Kind) -> usize {
        let reg = self.read();
        match kind {
            Kind::Channel => reg.channels.len(),
            Kind::Shard => reg.shard.len(),
            Kind::Pattern => reg.patterns.len(),
        }
    }
}

/// One session's subscriptions and its inbox. Dropping it (the session
/// went away) removes its subscriptions from the registry.
#[derive(Default)]
pub(crate) struct Subs {
    registry: Option<Arc<PubSub>>,
    inbox: Option<Arc<Inbox>>,
    channels: BTreeSet<Vec<u8>>,
    /// In subscription order, as Redis keeps a client's patterns.
    patterns: Vec<Vec<u8>>,
    shard: BTreeSet<Vec<u8>>,
}

impl std::fmt::Debug for Subs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subs")
            .field("channels", &self.channels.len())
            .field("patterns", &self.patterns.len())
            .field("shard", &self.shard.len())
            .finish_non_exhaustive()
    }
}

/// A subscription confirmation: `[word, name | nil, count]`.
fn confirmation(word: &str, name: Option<&[u8]>, count: usize) -> Reply {
    Reply::Push(vec![
        Reply::Bulk(word.into()),
        Reply::opt_bulk(name),
        Reply::Int(count as i64),
    ])
}

impl Subs {
    /// The session's inbox, created on first use with `waker`.
    pub(crate) fn inbox(&mut self, waker: Option<&Waker>) -> &Arc<Inbox> {
        self.inbox.get_or_insert_with(|| Inbox::new(waker.cloned()))
    }

    /// The inbox, if the session ever had one.
    pub(crate) fn existing_inbox(&self) -> Option<&Arc<Inbox>> {
        self.inbox.as_ref()
    }

    /// Channels plus patterns (the count SUBSCRIBE and PSUBSCRIBE report).
    pub(crate) fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Counts by kind: (channels, patterns, shard channels).
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        (self.channels.len(), self.patterns.len(), self.shard.len())
    }

    /// The count a confirmation of `kind` reports.
    fn count_for(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.shard.len(),
            _ => self.count(),
        }
    }

    /// True while subscribed to anything (Redis's `CLIENT_PUBSUB`).
    pub(crate) fn active(&self) -> bool {
        self.count() + self.shard.len() > 0
    }

    fn has(&self, kind: Kind, name: &[u8]) -> bool {
        match kind {
            Kind::Channel => self.channels.contains(name),
            Kind::Shard => self.shard.contains(name),
            Kind::Pattern => self.patterns.iter().any(|p| p == name),
        }
    }

    fn record(&mut self, kind: Kind, name: &[u8], on: bool) {
        match (kind, on) {
            (Kind::Channel, true) => drop(self.channels.insert(name.to_vec())),
            (Kind::Channel, false) => drop(self.channels.remove(name)),
            (Kind::Shard, true) => drop(self.shard.insert(name.to_vec())),
            (Kind::Shard, false) => drop(self.shard.remove(name)),
            (Kind::Pattern, true) => self.patterns.push(name.to_vec()),
            (Kind::Pattern, false) => self.patterns.retain(|p| p != name),
        }
    }

    /// The names subscribed as `kind`, in the order UNSUBSCRIBE without
    /// arguments goes through them.
    fn names(&self, kind: Kind) -> Vec<Vec<u8>> {
        match kind {
            Kind::Channel => self.channels.iter().cloned().collect(),
            Kind::Shard => self.shard.iter().cloned().collect(),
            Kind::Pattern => self.patterns.clone(),
        }
    }

    /// (P|S)SUBSCRIBE `names`: registers each one not yet subscribed and
    /// queues one confirmation per name in the inbox.
    pub(crate) fn subscribe(
        &mut self,
        registry: &Arc<PubSub>,
        waker: Option<&Waker>,
        kind: Kind,
        names: &[&[u8]],
    ) {
        self.registry.get_or_insert_with(|| registry.clone());
        let inbox = self.inbox(waker).clone();
        let mut reg = registry.write();
        for name in names {
            if !self.has(kind, name) {
                self.record(kind, name, true);
                reg.add(kind, name, &inbox);
            }
            inbox.push(
                confirmation(kind.words().0, Some(name), self.count_for(kind)),
                0,
            );
        }
    }

    /// (P|S)UNSUBSCRIBE `names` (every name of `kind` when empty): queues
    /// one confirmation per name, or one with a nil name when there was
    /// nothing to leave. With `confirm` false (RESET, a closing session)
    /// nothing is queued.
    pub(crate) fn unsubscribe(
        &mut self,
        registry: &Arc<PubSub>,
        waker: Option<&Waker>,
        kind: Kind,
        names: &[&[u8]],
        confirm: bool,
    ) {
        let all;
        let names: Vec<&[u8]> = if names.is_empty() {
            all = self.names(kind);
            all.iter().map(Vec::as_slice).collect()
        } else {
            names.to_vec()
        };
        let word = kind.words().1;
        let inbox = match (confirm, &self.inbox) {
            (true, _) => Some(self.inbox(waker).clone()),
            (false, Some(i)) => Some(i.clone()),
            (false, None) => None,
        };
        let mut reg = registry.write();
        for name in &names {
            if self.has(kind, name) {
                self.record(kind, name, false);
                if let Some(i) = &inbox {
                    reg.remove(kind, name, i);
                }
            }
            if confirm {
                let inbox = inbox.as_ref().expect("created above");
                inbox.push(confirmation(word, Some(name), self.count_for(kind)), 0);
            }
        }
        if confirm && names.is_empty() {
            let inbox = inbox.as_ref().expect("created above");
            inbox.push(confirmation(word, None, self.count_for(kind)), 0);
        }
    }

    /// Leaves every subscription without confirmations (RESET, drop).
    pub(crate) fn clear(&mut self) {
        let Some(registry) = self.registry.clone() else {
            return;
        };
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            self.unsubscribe(&registry, None, kind, &[], false);
        }
    }
}

impl Drop for Subs {
    fn drop(&mut self) {
        if self.active() {
            self.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn words(r: &Reply) -> Vec<String> {
        let Reply::Push(items) = r else {
            panic!("{r:?}")
        };
        items
            .iter()
            .map(|i| match i {
                Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                Reply::Int(n) => n.to_string(),
                Reply::Nil => "nil".into(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn publish_reaches_channels_then_patterns() {
        let reg = Arc::new(PubSub::default());
        let mut a = Subs::default();
        a.subscribe(&reg, None, Kind::Channel, &[b"news"]);
        a.subscribe(&reg, None, Kind::Pattern, &[b"n*"]);
        let inbox = a.existing_inbox().unwrap().clone();
        assert_eq!(words(&inbox.pop().unwrap()), ["subscribe", "news", "1"]);
        assert_eq!(words(&inbox.pop().unwrap()), ["psubscribe", "n*", "2"]);
        assert_eq!(reg.publish(b"news", b"hi", false, 0), 2);
        assert_eq!(words(&inbox.pop().unwrap()), ["message", "news", "hi"]);
        assert_eq!(
            words(&inbox.pop().unwrap()),
            ["pmessage", "n*", "news", "hi"]
        );
        assert_eq!(reg.publish(b"news", b"x", true, 0), 0);
        drop(a);
        assert_eq!(reg.count(Kind::Channel) + reg.count(Kind::Pattern), 0);
    }

    #[test]
    fn unsubscribe_without_subscriptions_confirms_nil() {
        let reg = Arc::new(PubSub::default());
        let mut a = Subs::default();
        a.unsubscribe(&reg, None, Kind::Pattern, &[], true);
        let inbox = a.existing_inbox().unwrap();
        assert_eq!(words(&inbox.pop().unwrap()), ["punsubscribe", "nil", "0"]);
    }

    #[test]
    fn waker_fires_once_per_batch_and_limit_overflows() {
        let woken = Arc::new(AtomicUsize::new(0));
        let w = woken.clone();
        let inbox = Inbox::new(Some(Arc::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        })));
        for _ in 0..3 {
            inbox.push(Reply::Push(vec![Reply::Bulk(vec![0; 52])]), 1000);
        }
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        assert_eq!(inbox.drain().len(), 3);
        for _ in 0..20 {
            inbox.push(Reply::Push(vec![Reply::Bulk(vec![0; 52])]), 1000);
        }
        assert!(inbox.overflowed());
        assert_eq!(inbox.len(), 10);
    }

    #[test]
    fn pop_wait_times_out_and_is_interrupted() {
        let inbox = Inbox::new(None);
        let t = Instant::now();
        assert!(inbox.pop_wait(Some(Duration::from_millis(30))).is_none());
        assert!(t.elapsed() >= Duration::from_millis(30));
        inbox.interrupt();
        assert!(inbox.pop_wait(None).is_none());
        inbox.interrupt();
        assert!(matches!(inbox.wait(None), Popped::Interrupted));
        let t = Instant::now();
        assert!(matches!(
            inbox.wait(Some(Duration::from_millis(20))),
            Popped::TimedOut
        ));
        assert!(t.elapsed() >= Duration::from_millis(20));
        // A deadline past the clock's range is no deadline: a push ends it.
        inbox.push_reply(Reply::Int(1));
        assert!(matches!(
            inbox.wait(Some(Duration::MAX)),
            Popped::Item(Reply::Int(1))
        ));
    }
}
