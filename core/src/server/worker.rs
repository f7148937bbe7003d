//! The threads: one acceptor, which applies the admission rules (maxclients,
//! protected mode) and hands each connection to a worker in turn, and the
//! workers, each an event loop (mio, edge-triggered) owning many
//! connections. A worker can be woken from any thread through its inbox:
//! new connections, clients to look at again (CLIENT KILL, and later
//! pushes and unblocking), the end of a pause, or stop.

use super::conn::{Close, Conn, Env, Scratch};
use super::net::{Listening, Stream, is_loopback};
use super::{Level, Log};
use crate::Engine;
use crate::clients::ConnFacts;
use mio::{Events, Interest, Poll, Token, Waker};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The waker's token in every poll; connections use 1.. and listeners
/// `LISTENER_BASE..` in the acceptor.
const WAKE: Token = Token(0);
const LISTENER_BASE: usize = 1;
/// How often a worker runs its cron (idle timeouts, buffer trimming).
const CRON: Duration = Duration::from_millis(1000);
/// After a turn that served events, the worker polls without sleeping for
/// this long: a client answered just now often sends its next request
/// within it, which then costs no wake-up of a sleeping thread. Not under
/// `appendfsync always`: a turn there ends in an fsync anyway, and a
/// spinning worker takes the CPU the clients of the others need (SET
/// with `always`: 56 k requests/s with the spin, 66 k without).
const SPIN: Duration = Duration::from_micros(50);
/// A connection idle this long gives its buffers back.
const TRIM_IDLE_MS: u64 = 2000;

/// The message a client gets when maxclients is reached.
const MAXCLIENTS_ERR: &[u8] = b"-ERR max number of clients reached\r\n";
/// Redis's protected-mode refusal, word for word.
const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// A connection on its way from the acceptor to a worker.
struct NewConn {
    stream: Stream,
    facts: ConnFacts,
}

/// What other threads hand a thread, and how they wake it.
pub(super) struct Inbox {
    waker: Waker,
    new: Mutex<Vec<NewConn>>,
    woken: Mutex<Vec<Token>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inbox {
    fn new(poll: &Poll) -> io::Result<Arc<Inbox>> {
        Ok(Arc::new(Inbox {
            waker: Waker::new(poll.registry(), WAKE)?,
            new: Mutex::new(Vec::new()),
            woken: Mutex::new(Vec::new()),
        }))
    }

    /// Wakes the thread (a failed wake means the thread is gone).
    pub(super) fn wake(&self) {
        let _ = self.waker.wake();
    }
}

/// State every thread of one listener shares.
pub(super) struct Common {
    pub(super) engine: Engine,
    pub(super) log: Log,
    pub(super) stop: AtomicBool,
    /// Connections open (accepted and not yet closed): maxclients counts them.
    live: AtomicUsize,
}

impl Common {
    pub(super) fn new(engine: Engine, log: Log) -> Common {
        Common {
            engine,
            log,
            stop: AtomicBool::new(false),
            live: AtomicUsize::new(0),
        }
    }
}

/// A worker before it runs: its poll and inbox.
pub(super) struct Worker {
    poll: Poll,
    pub(super) inbox: Arc<Inbox>,
}

impl Worker {
    pub(super) fn new() -> io::Result<Worker> {
        let poll = Poll::new()?;
        let inbox = Inbox::new(&poll)?;
        Ok(Worker { poll, inbox })
    }
}

/// The acceptor before it runs.
pub(super) struct Acceptor {
    poll: Poll,
    pub(super) inbox: Arc<Inbox>,
    listeners: Vec<Listening>,
}

impl Acceptor {
    pub(super) fn new(mut listeners: Vec<Listening>) -> io::Result<Acceptor> {
        let poll = Poll::new()?;
        let inbox = Inbox::new(&poll)?;
        for (i, l) in listeners.iter_mut().enumerate() {
            let token = Token(LISTENER_BASE + i);
            match l {
                Listening::Tcp(t) => poll.registry().register(t, token, Interest::READABLE)?,
                Listening::Unix(u, _) => poll.registry().register(u, token, Interest::READABLE)?,
            }
        }
        Ok(Acceptor {
            poll,
            inbox,
            listeners,
        })
    }

    /// Accepts until stopped, handing connections to `workers` in turn.
    pub(super) fn run(mut self, common: &Common, workers: &[Arc<Inbox>]) {
        let mut events = Events::with_capacity(64);
        let mut next = 0;
        // After an accept error (out of file descriptors, say) the
        // listener is retried on a timer: edge-triggered readiness would
        // not report the connections still queued.
        let mut retry = false;
        while !common.stop.load(Ordering::Acquire) {
            let timeout = retry.then_some(Duration::from_millis(100));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    (common.log)(Level::Warning, &format!("Event loop error: {e}"));
                    return;
                }
            }
            retry = false;
            for l in &self.listeners {
                loop {
                    let accepted = match l {
                        Listening::Tcp(t) => t.accept().map(|(s, peer)| {
                            let facts = tcp_facts(&s, peer);
                            (Stream::Tcp(s), facts, Some(peer))
                        }),
                        Listening::Unix(u, path) => u.accept().map(|(s, _)| {
                            let facts = ConnFacts {
                                addr: format!("{path}:0"),
                                laddr: format!("{path}:0"),
                                fd: s.as_raw_fd(),
                                unix: true,
                            };
                            (Stream::Unix(s), facts, None)
                        }),
                    };
                    match accepted {
                        Ok((stream, facts, peer)) => {
                            if let Some(conn) = admit(common, stream, facts, peer) {
                                let inbox = &workers[next % workers.len()];
                                next += 1;
                                lock(&inbox.new).push(conn);
                                inbox.wake();
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            (common.log)(
                                Level::Warning,
                                &format!("Accepting client connection: {e}"),
                            );
                            retry = true;
                            break;
                        }
                    }
                }
            }
        }
    }
}

fn tcp_facts(s: &mio::net::TcpStream, peer: SocketAddr) -> ConnFacts {
    let laddr = s
        .local_addr()
        .map_or_else(|_| "?:0".into(), |a| a.to_string());
    ConnFacts {
        addr: peer.to_string(),
        laddr,
        fd: s.as_raw_fd(),
        unix: false,
    }
}

/// Redis's admission rules: maxclients, then protected mode. A refused
/// client gets the error line (best effort) and is closed.
fn admit(
    common: &Common,
    mut stream: Stream,
    facts: ConnFacts,
    peer: Option<SocketAddr>,
) -> Option<NewConn> {
    let shared = common.engine.shared();
    let live = common.live.load(Ordering::Acquire);
    if let Some(line) = refusal(&shared.config, live, peer) {
        let _ = stream.write(line);
        shared.clients.rejected.fetch_add(1, Ordering::Relaxed);
        return None;
    }
    if let Stream::Tcp(s) = &stream {
        // Replies go out at once, as Redis's TCP_NODELAY.
        let _ = s.set_nodelay(true);
    }
    common.live.fetch_add(1, Ordering::AcqRel);
    (common.log)(Level::Verbose, &format!("Accepted {}", facts.addr));
    Some(NewConn { stream, facts })
}

/// The line a new client is refused with, if it is: maxclients reached
/// (`live` connections open), or protected mode (no password, a peer that
/// is not on this machine; unix sockets are local).
fn refusal(
    config: &crate::config::Config,
    live: usize,
    peer: Option<SocketAddr>,
) -> Option<&'static [u8]> {
    let max = usize::try_from(config.get_int("maxclients")).unwrap_or(usize::MAX);
    if live >= max {
        Some(MAXCLIENTS_ERR)
    } else if peer.is_some_and(|p| !is_loopback(p.ip()))
        && config.get_bool("protected-mode")
        && !config.get_bool("requirepass")
    {
        Some(DENIED.as_bytes())
    } else {
        None
    }
}

/// A worker's connections: slot `i` is token `i + 1`.
struct Slab {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
}

impl Slab {
    fn token_for_next(&self) -> Token {
        Token(self.free.last().copied().unwrap_or(self.slots.len()) + 1)
    }

    fn insert(&mut self, conn: Conn) -> Token {
        match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(conn);
                Token(i + 1)
            }
            None => {
                self.slots.push(Some(conn));
                Token(self.slots.len())
            }
        }
    }

    fn get(&mut self, t: Token) -> Option<&mut Conn> {
        self.slots.get_mut(t.0.checked_sub(1)?)?.as_mut()
    }

    fn remove(&mut self, t: Token) -> Option<Conn> {
        let i = t.0.checked_sub(1)?;
        let conn = self.slots.get_mut(i)?.take()?;
        self.free.push(i);
        Some(conn)
    }

    fn tokens(&self) -> Vec<Token> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some())
            .map(|(i, _)| Token(i + 1))
            .collect()
    }
}

/// A running worker's loop state.
struct Loop<'a> {
    common: &'a Common,
    poll: Poll,
    inbox: Arc<Inbox>,
    conns: Slab,
    /// Connections to serve again without waiting for an event.
    ready: Vec<Token>,
    /// Connections suspended by a pause.
    parked: Vec<Token>,
    output_limits: [crate::config::OutputLimit; 3],
    /// Connections waiting in a blocking command (their deadlines bound
    /// the poll timeout).
    blocked: Vec<Token>,
    /// Connections whose replies wait for an fsync (`appendfsync always`).
    awaiting: Vec<Token>,
    /// Connections with replies to send (or a close to carry out) at the
    /// end of the turn: writing them all after all the reading, as
    /// redis-server does, wakes a client once for the replies of all its
    /// connections (redis-benchmark's 50 share one event loop) rather than
    /// once per reply; the wake-ups were 12 % of the worker's time.
    writes: Vec<Token>,
    /// Buffers lent to the connection being served.
    scratch: Scratch,
}

impl Worker {
    /// Serves connections until stopped; closes them all on the way out.
    pub(super) fn run(self, common: &Common) {
        let clients = &common.engine.shared().clients;
        let inbox = self.inbox.clone();
        let waker: Arc<dyn Fn() + Send + Sync> = Arc::new(move || inbox.wake());
        clients.add_waker(waker.clone());
        let mut l = Loop {
            common,
            poll: self.poll,
            inbox: self.inbox,
            conns: Slab {
                slots: Vec::new(),
                free: Vec::new(),
            },
            ready: Vec::new(),
            parked: Vec::new(),
            output_limits: [(0, 0, 0); 3],
            blocked: Vec::new(),
            awaiting: Vec::new(),
            writes: Vec::new(),
            scratch: Scratch::default(),
        };
        l.run();
        clients.remove_waker(&waker);
        for t in l.conns.tokens() {
            l.close(t, Close::AfterReply);
        }
    }
}

impl Loop<'_> {
    fn now(&self) -> u64 {
        self.common.engine.shared().clock.now_ms()
    }

    fn run(&mut self) {
        let mut events = Events::with_capacity(256);
        let mut last_cron = 0;
        let mut spin_until = None;
        self.cron();
        while !self.common.stop.load(Ordering::Acquire) {
            let now = self.now();
            let mut timeout = CRON.as_millis() as u64;
            if let Some(ms) = self.next_deadline() {
                timeout = timeout.min(ms);
            }
            if !self.ready.is_empty() || spin_until.is_some_and(|t| Instant::now() < t) {
                timeout = 0;
            } else if !self.parked.is_empty() {
                let clients = &self.common.engine.shared().clients;
                match clients.paused(now) {
                    Some((end, _)) => timeout = timeout.min(end - now),
                    None => timeout = 0,
                }
            }
            if let Err(e) = self
                .poll
                .poll(&mut events, Some(Duration::from_millis(timeout)))
            {
                if e.kind() != io::ErrorKind::Interrupted {
                    (self.common.log)(Level::Warning, &format!("Event loop error: {e}"));
                    return;
                }
            }
            if !events.is_empty() && !self.syncs_each_turn() {
                spin_until = Some(Instant::now() + SPIN);
            }
            for ev in events.iter() {
                if ev.token() == WAKE {
                    self.take_inbox();
                } else {
                    self.serve(ev.token());
                }
            }
            for t in std::mem::take(&mut self.ready) {
                self.serve(t);
            }
            self.expire_blocked();
            let now = self.now();
            if !self.parked.is_empty() && self.common.engine.shared().clients.paused(now).is_none()
            {
                for t in std::mem::take(&mut self.parked) {
                    self.serve(t);
                }
            }
            self.settle_awaiting();
            self.send_replies();
            if now.saturating_sub(last_cron) >= CRON.as_millis() as u64 {
                last_cron = now;
                self.cron();
            }
        }
    }

    /// Whether replies wait for an fsync each turn (`appendfsync always`).
    fn syncs_each_turn(&self) -> bool {
        let aof = &self.common.engine.shared().aof;
        aof.active() && aof.policy() == crate::aof::Fsync::Always
    }

    /// Milliseconds until the nearest deadline of a blocked connection.
    fn next_deadline(&mut self) -> Option<u64> {
        let now = std::time::Instant::now();
        let conns = &mut self.conns;
        self.blocked
            .iter()
            .filter_map(|&t| conns.get(t)?.blocked.as_ref()?.0.deadline())
            .min()
            .map(|d| {
                // Rounded up: waking before the deadline would find nothing to do.
                let left = d.saturating_duration_since(now);
                left.as_millis() as u64 + u64::from(left.subsec_nanos() % 1_000_000 != 0)
            })
    }

    /// Serves the blocked connections whose deadline passed (they answer
    /// their timeout reply) and forgets those no longer blocked.
    fn expire_blocked(&mut self) {
        let now = std::time::Instant::now();
        for t in std::mem::take(&mut self.blocked) {
            let due = match self.conns.get(t).and_then(|c| c.blocked.as_ref()) {
                None => continue,
                Some((wait, _)) => wait.deadline().is_some_and(|d| d <= now),
            };
            if due {
                self.serve(t);
            } else {
                self.blocked.push(t);
            }
        }
    }

    /// New connections and wake-ups from other threads.
    fn take_inbox(&mut self) {
        let new = std::mem::take(&mut *lock(&self.inbox.new));
        for c in new {
            self.adopt(c);
        }
        let woken = std::mem::take(&mut *lock(&self.inbox.woken));
        self.ready.extend(woken);
    }

    fn adopt(&mut self, c: NewConn) {
        let engine = &self.common.engine;
        let shared = engine.shared();
        let mut session = engine.session();
        session.conn.remote = true;
        session.conn.authenticated = !shared.config.get_bool("requirepass");
        let token = self.conns.token_for_next();
        let inbox = self.inbox.clone();
        let wake: crate::pubsub::Waker = Arc::new(move || {
            lock(&inbox.woken).push(token);
            inbox.wake();
        });
        // Pushes and served waits wake the connection; a blocking command
        // parks the connection, never this thread.
        session.set_waker(Some(wake.clone()));
        session.defer_blocking(true);
        session.defer_durability(true);
        let now = self.now();
        let entry = shared
            .clients
            .register(session.id, c.facts, now, Box::new(move || wake()));
        let mut stream = c.stream;
        let registered = self.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        );
        let conn = Conn::new(stream, session, entry, now);
        let inserted = self.conns.insert(conn);
        debug_assert_eq!(inserted, token);
        if registered.is_err() {
            self.close(token, Close::Peer);
        }
    }

    fn env(&self) -> Env<'_> {
        Env {
            engine: &self.common.engine,
            log: &self.common.log,
            output_limits: self.output_limits,
        }
    }

    fn serve(&mut self, t: Token) {
        let common = self.common;
        let env = Env {
            engine: &common.engine,
            log: &common.log,
            output_limits: self.output_limits,
        };
        let Some(conn) = self.conns.get(t) else {
            return;
        };
        match conn.service(&env, &mut self.scratch) {
            Ok(more) => {
                if more {
                    self.ready.push(t);
                }
                if conn.parked && !self.parked.contains(&t) {
                    self.parked.push(t);
                }
                if conn.blocked.is_some() && !self.blocked.contains(&t) {
                    self.blocked.push(t);
                }
                if conn.awaiting_durable && !self.awaiting.contains(&t) {
                    self.awaiting.push(t);
                }
                if conn.wants_send() && !conn.write_queued {
                    conn.write_queued = true;
                    self.writes.push(t);
                }
            }
            Err(why) => self.close(t, why),
        }
    }

    /// Sends the replies held for `appendfsync always`: the first settle
    /// waits for the fsync, which covers the others' writes too.
    fn settle_awaiting(&mut self) {
        let common = self.common;
        let env = Env {
            engine: &common.engine,
            log: &common.log,
            output_limits: self.output_limits,
        };
        for t in std::mem::take(&mut self.awaiting) {
            let Some(conn) = self.conns.get(t) else {
                continue;
            };
            if let Err(why) = conn.settle(&env) {
                self.close(t, why);
            }
        }
    }

    /// Sends the replies of the connections served this turn.
    fn send_replies(&mut self) {
        let common = self.common;
        let env = Env {
            engine: &common.engine,
            log: &common.log,
            output_limits: self.output_limits,
        };
        for t in std::mem::take(&mut self.writes) {
            let Some(conn) = self.conns.get(t) else {
                continue;
            };
            conn.write_queued = false;
            if let Err(why) = conn.send_replies(&env, &mut self.scratch) {
                self.close(t, why);
            }
        }
    }

    fn close(&mut self, t: Token, why: Close) {
        let Some(mut conn) = self.conns.remove(t) else {
            return;
        };
        if why == Close::AfterReply {
            // Best effort: a stopping listener still sends what is pending.
            let _ = conn.flush(&self.env());
        }
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.common
            .engine
            .shared()
            .clients
            .unregister(conn.entry.id);
        self.common.live.fetch_sub(1, Ordering::AcqRel);
        self.parked.retain(|p| *p != t);
        self.blocked.retain(|b| *b != t);
        self.awaiting.retain(|a| *a != t);
        let msg = match why {
            Close::Peer => format!("Client closed connection {}", conn.describe()),
            Close::Idle => "Closing idle client".to_string(),
            _ => format!("Closing client {}", conn.describe()),
        };
        (self.common.log)(Level::Verbose, &msg);
    }

    /// Once a second: idle timeouts, idle buffers given back, limits reread.
    fn cron(&mut self) {
        self.scratch.trim();
        let config = &self.common.engine.shared().config;
        let limits = config.get("client-output-buffer-limit").unwrap_or_default();
        self.output_limits = crate::config::output_limits(&limits);
        let timeout_ms = config.get_int("timeout").max(0) as u64 * 1000;
        let now = self.now();
        for t in self.conns.tokens() {
            let Some(conn) = self.conns.get(t) else {
                continue;
            };
            let idle = now.saturating_sub(conn.last_ms);
            // Redis never times out blocked or subscribed clients.
            let waiting = conn.parked || conn.blocked.is_some() || conn.session.subscribed();
            if timeout_ms > 0 && idle > timeout_ms && !waiting {
                self.close(t, Close::Idle);
            } else if idle >= TRIM_IDLE_MS {
                conn.shrink_idle();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn admission_rules() {
        let c = Config::default();
        let remote: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(refusal(&c, 0, Some(remote)), Some(DENIED.as_bytes()));
        assert_eq!(refusal(&c, 0, Some(local)), None);
        assert_eq!(refusal(&c, 0, None), None);
        c.set("maxclients", "3").unwrap();
        assert_eq!(refusal(&c, 3, Some(local)), Some(MAXCLIENTS_ERR));
        // A password, or protected mode off, lets remote peers in.
        c.set("requirepass", "pw").unwrap();
        assert_eq!(refusal(&c, 0, Some(remote)), None);
        c.set("requirepass", "").unwrap();
        c.set("protected-mode", "no").unwrap();
        assert_eq!(refusal(&c, 0, Some(remote)), None);
    }
}
