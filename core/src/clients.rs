//! Clients: the connection-level state of one session ([`ConnState`]: auth,
//! reply mode, close-after-reply, eviction/touch flags) and the registry of
//! connected clients ([`Clients`]) that a network front fills and the CLIENT
//! and INFO commands read: CLIENT LIST/KILL/PAUSE, `connected_clients`,
//! network byte counters.
//!
//! A connection's [`Session`](crate::Session) belongs to the thread serving
//! it; other threads see it through its [`ClientEntry`], a snapshot the
//! front refreshes after each batch of commands (one uncontended lock), and
//! reach it through [`ClientEntry::wake`], which asks the owning thread to
//! look at the client again (to close it after CLIENT KILL; later to deliver
//! pushes or unblock it). In-process sessions are not registered: CLIENT
//! LIST shows the calling session and the registered clients.

use crate::cmd::table::Command;
use crate::stats::Counter;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Connection-level state of a session: what connection commands (AUTH,
/// QUIT, CLIENT REPLY, ...) set and the front that owns the connection acts
/// on. An in-process session is local and authenticated; the fields that
/// only make sense for a socket are ignored by in-process fronts.
#[derive(Debug, Clone, Default)]
pub struct ConnState {
    /// Served over a network front (not trusted by default: AUTH applies).
    pub remote: bool,
    /// Redis's `c->authenticated`: a client connected while no password is
    /// set, or one that passed AUTH, is authenticated.
    pub authenticated: bool,
    /// CLIENT REPLY OFF: no replies until ON.
    pub reply_off: bool,
    /// CLIENT REPLY SKIP was just run: it sends no reply, and neither does
    /// the command after it.
    pub skip_next: bool,
    /// The reply of the running command is skipped.
    pub skip: bool,
    /// Close the connection once this command's reply is written (QUIT).
    pub close: bool,
    /// CLIENT NO-EVICT ON.
    pub no_evict: bool,
    /// CLIENT NO-TOUCH ON: commands other than TOUCH leave access times alone.
    pub no_touch: bool,
    /// The command replied through the session's inbox (SUBSCRIBE and
    /// friends): there is no reply of its own to send.
    pub pushed: bool,
}

impl ConnState {
    /// The state of an in-process session: local and authenticated.
    pub fn local() -> ConnState {
        ConnState {
            authenticated: true,
            ..ConnState::default()
        }
    }

    /// Call before running a command: whether its reply is skipped (CLIENT
    /// REPLY SKIP given by the command before).
    pub fn begin_command(&mut self) {
        self.skip = std::mem::take(&mut self.skip_next);
    }

    /// Call after running a command: true when its reply is to be sent.
    /// (CLIENT REPLY OFF and SKIP send none themselves; ON does.)
    pub fn end_command(&mut self) -> bool {
        let pushed = std::mem::take(&mut self.pushed);
        !(self.reply_off || self.skip_next || std::mem::take(&mut self.skip) || pushed)
    }

    /// Back to a fresh connection's state (RESET): replies on, flags off;
    /// a remote client must authenticate again if a password is set.
    pub fn reset(&mut self, password_set: bool) {
        *self = ConnState {
            remote: self.remote,
            authenticated: !self.remote || !password_set,
            ..ConnState::default()
        };
    }
}

/// What CLIENT PAUSE suspends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    /// Commands that may write (and EXEC, whose queue may).
    Write,
    /// Every command.
    All,
}

/// Network facts of a registered client, fixed at accept time.
#[derive(Debug, Clone)]
pub struct ConnFacts {
    /// Peer address, `ip:port` (or `path:0` on a unix socket).
    pub addr: String,
    /// Local address, `ip:port` (or `path:0`).
    pub laddr: String,
    /// The socket's file descriptor.
    pub fd: i32,
    /// Accepted on a unix socket.
    pub unix: bool,
}

impl ConnFacts {
    /// Connected through a unix socket or from 127.0.0.1 or ::1 (Redis's
    /// `islocalClient`, which the `local` setting of
    /// `enable-debug-command` allows).
    pub fn local(&self) -> bool {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
        self.unix
            || self.addr.parse::<SocketAddr>().is_ok_and(|a| {
                a.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST)
                    || a.ip() == IpAddr::V6(Ipv6Addr::LOCALHOST)
            })
    }
}

/// What other threads may read of a client: refreshed by its owner.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// CLIENT SETNAME.
    pub name: Option<Vec<u8>>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Vec<u8>>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Vec<u8>>,
    /// Selected db.
    pub db: usize,
    /// Protocol version.
    pub resp: u8,
    /// The last command run: (top-level row, the row itself).
    pub cmd: Option<(&'static Command, &'static Command)>,
    /// Flags shown by CLIENT LIST.
    pub no_evict: bool,
    /// CLIENT NO-TOUCH.
    pub no_touch: bool,
    /// Bytes in the query buffer not yet parsed.
    pub qbuf: usize,
    /// Free bytes of the query buffer.
    pub qbuf_free: usize,
    /// Bytes of replies waiting to be written.
    pub omem: usize,
    /// Waiting for writability.
    pub writing: bool,
    /// MULTI/WATCH flags (`x`, `d`) and the MULTI queue length (-1 outside).
    pub multi: (&'static str, i64),
    /// Subscriptions: (channels, patterns, shard channels).
    pub subs: (usize, usize, usize),
    /// Waiting in a blocking command (set by the front that holds the wait).
    pub blocked: bool,
}

impl Snapshot {
    /// Copies what CLIENT LIST shows of `session` (cloning names only when
    /// they changed).
    pub fn refresh(&mut self, session: &crate::Session) {
        if self.name != session.name {
            self.name.clone_from(&session.name);
        }
        if self.lib_name != session.lib_name {
            self.lib_name.clone_from(&session.lib_name);
        }
        if self.lib_ver != session.lib_ver {
            self.lib_ver.clone_from(&session.lib_ver);
        }
        self.db = session.db;
        self.resp = session.proto;
        self.cmd = session.last_command();
        self.no_evict = session.conn.no_evict;
        self.no_touch = session.conn.no_touch;
        self.multi = session.tx.client_info();
        self.subs = session.subscription_counts();
    }
}

/// A registered client.
pub struct ClientEntry {
    /// Client id (the session's).
    pub id: u64,
    /// Where it is connected.
    pub facts: ConnFacts,
    /// Unix ms when it connected.
    pub created_ms: u64,
    last_ms: AtomicU64,
    snapshot: Mutex<Snapshot>,
    killed: AtomicBool,
    wake: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for ClientEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientEntry")
            .field("id", &self.id)
            .field("facts", &self.facts)
            .finish_non_exhaustive()
    }
}

impl ClientEntry {
    /// The snapshot, for reading or refreshing.
    pub fn snapshot(&self) -> MutexGuard<'_, Snapshot> {
        self.snapshot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an interaction at `now_ms` (CLIENT LIST `idle`).
    pub fn touch(&self, now_ms: u64) {
        self.last_ms.store(now_ms, Ordering::Relaxed);
    }

    /// Unix ms of the last interaction.
    pub fn last_ms(&self) -> u64 {
        self.last_ms.load(Ordering::Relaxed)
    }

    /// Marks the client for closing and wakes its owner (CLIENT KILL).
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.wake();
    }

    /// True once killed.
    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Asks the thread serving the client to look at it again.
    pub fn wake(&self) {
        (self.wake)();
    }
}

/// The clients a network front serves, and state shared by all of them.
#[derive(Default)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<ClientEntry>>>,
    pause: Mutex<Option<(u64, PauseKind)>>,
    /// True while a pause may be in force: every command of a network
    /// client asks, and this spares them the lock when none is.
    pause_hint: AtomicBool,
    /// Wake each serving thread: called when a pause ends early.
    wakers: Mutex<Vec<Arc<dyn Fn() + Send + Sync>>>,
    /// Connections refused (maxclients, protected mode).
    pub rejected: Counter,
    /// Bytes read from clients.
    pub net_input: Counter,
    /// Bytes written to clients.
    pub net_output: Counter,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("connected", &self.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Clients {
    /// Registers a connected client; `wake` asks its serving thread to look
    /// at it again.
    pub fn register(
        &self,
        id: u64,
        facts: ConnFacts,
        now_ms: u64,
        wake: Box<dyn Fn() + Send + Sync>,
    ) -> Arc<ClientEntry> {
        let entry = Arc::new(ClientEntry {
            id,
            facts,
            created_ms: now_ms,
            last_ms: AtomicU64::new(now_ms),
            snapshot: Mutex::new(Snapshot {
                resp: 2,
                multi: ("", -1),
                ..Snapshot::default()
            }),
            killed: AtomicBool::new(false),
            wake,
        });
        lock(&self.map).insert(id, entry.clone());
        entry
    }

    /// Removes a client (it disconnected).
    pub fn unregister(&self, id: u64) {
        lock(&self.map).remove(&id);
    }

    /// Number of registered clients.
    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }

    /// True when no client is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The client with `id`, if registered.
    pub fn get(&self, id: u64) -> Option<Arc<ClientEntry>> {
        lock(&self.map).get(&id).cloned()
    }

    /// Every registered client, by id.
    pub fn all(&self) -> Vec<Arc<ClientEntry>> {
        lock(&self.map).values().cloned().collect()
    }

    /// Adds a function that wakes a serving thread (called on CLIENT
    /// UNPAUSE, so that suspended clients resume).
    pub fn add_waker(&self, wake: Arc<dyn Fn() + Send + Sync>) {
        lock(&self.wakers).push(wake);
    }

    /// Removes a waker added by [`Clients::add_waker`] (same `Arc`).
    pub fn remove_waker(&self, wake: &Arc<dyn Fn() + Send + Sync>) {
        lock(&self.wakers).retain(|w| !Arc::ptr_eq(w, wake));
    }

    /// CLIENT PAUSE: suspends `kind` commands until `until_ms`. A pause
    /// already on keeps the later end and the stronger kind.
    pub fn pause(&self, until_ms: u64, kind: PauseKind, now_ms: u64) {
        let mut p = lock(&self.pause);
        self.pause_hint.store(true, Ordering::Release);
        *p = match *p {
            Some((end, k)) if end > now_ms => Some((end.max(until_ms), k.max(kind))),
            _ => Some((until_ms, kind)),
        };
    }

    /// CLIENT UNPAUSE: ends a pause and wakes the serving threads.
    pub fn unpause(&self) {
        lock(&self.pause).take();
        self.pause_hint.store(false, Ordering::Release);
        let wakers = lock(&self.wakers).clone();
        for w in wakers {
            w();
        }
    }

    /// The pause in force at `now_ms`: its end and kind.
    pub fn paused(&self, now_ms: u64) -> Option<(u64, PauseKind)> {
        if !self.pause_hint.load(Ordering::Acquire) {
            return None;
        }
        let mut p = lock(&self.pause);
        match *p {
            Some((end, kind)) if end > now_ms => Some((end, kind)),
            _ => {
                *p = None;
                self.pause_hint.store(false, Ordering::Release);
                None
            }
        }
    }
}

/// One client as CLIENT LIST shows it.
#[derive(Debug)]
pub struct ClientLine<'a> {
    /// Client id.
    pub id: u64,
    /// Network facts (None for an in-process session).
    pub facts: Option<&'a ConnFacts>,
    /// Seconds connected.
    pub age: u64,
    /// Seconds since the last interaction.
    pub idle: u64,
    /// What the client last published (or the live session's state).
    pub snap: &'a Snapshot,
    /// Closing after the current reply.
    pub closing: bool,
}

impl ClientLine<'_> {
    /// The line, newline included, in Redis 7.2's field order (7.0's plus
    /// `lib-name` and `lib-ver`).
    pub fn render(&self) -> String {
        fn text(v: &Option<Vec<u8>>) -> std::borrow::Cow<'_, str> {
            v.as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
        }
        let s = self.snap;
        let (tx_flags, multi) = s.multi;
        // Redis's order: P x b d c U e T (of the flags we have).
        let mut flags = String::new();
        let (sub, psub, ssub) = s.subs;
        if sub + psub + ssub > 0 {
            flags.push('P');
        }
        if tx_flags.contains('x') {
            flags.push('x');
        }
        if s.blocked {
            flags.push('b');
        }
        if tx_flags.contains('d') {
            flags.push('d');
        }
        if self.closing {
            flags.push('c');
        }
        if self.facts.is_some_and(|f| f.unix) {
            flags.push('U');
        }
        if s.no_evict {
            flags.push('e');
        }
        if s.no_touch {
            flags.push('T');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let (addr, laddr, fd) = self
            .facts
            .map_or(("?:0", "?:0", -1), |f| (&f.addr, &f.laddr, f.fd));
        let cmd = match s.cmd {
            Some((parent, row)) if !std::ptr::eq(parent, row) => {
                format!("{}|{}", parent.name, row.name)
            }
            Some((_, row)) => row.name.to_string(),
            None => "NULL".to_string(),
        };
        let rbs = if self.facts.is_some() {
            s.qbuf + s.qbuf_free
        } else {
            0
        };
        format!(
            "id={} addr={addr} laddr={laddr} fd={fd} name={} age={} idle={} flags={flags} db={} \
             sub={sub} psub={psub} ssub={ssub} multi={multi} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={rbs} \
             rbp=0 obl=0 oll=0 omem={} tot-mem={} events={} cmd={cmd} user=default redir=-1 \
             resp={} lib-name={} lib-ver={}\n",
            self.id,
            text(&s.name),
            self.age,
            self.idle,
            s.db,
            s.qbuf,
            s.qbuf_free,
            s.omem,
            rbs + s.omem,
            if s.writing { "rw" } else { "r" },
            s.resp,
            text(&s.lib_name),
            text(&s.lib_ver),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_modes() {
        let mut c = ConnState::local();
        c.begin_command();
        assert!(c.end_command());
        // CLIENT REPLY SKIP: no reply for it, nor for the next command.
        c.begin_command();
        c.skip_next = true;
        assert!(!c.end_command());
        c.begin_command();
        assert!(!c.end_command());
        c.begin_command();
        assert!(c.end_command());
        // OFF until ON; ON replies.
        c.begin_command();
        c.reply_off = true;
        assert!(!c.end_command());
        c.begin_command();
        assert!(!c.end_command());
        c.begin_command();
        c.reply_off = false;
        assert!(c.end_command());
    }

    #[test]
    fn pause_keeps_the_later_end_and_stronger_kind() {
        let c = Clients::default();
        c.pause(1000, PauseKind::All, 0);
        c.pause(500, PauseKind::Write, 0);
        assert_eq!(c.paused(10), Some((1000, PauseKind::All)));
        assert_eq!(c.paused(1000), None);
        c.pause(2000, PauseKind::Write, 1000);
        assert_eq!(c.paused(1500), Some((2000, PauseKind::Write)));
        c.unpause();
        assert_eq!(c.paused(1500), None);
    }

    #[test]
    fn local_clients_as_redis_tells_them() {
        let facts = |addr: &str, unix| ConnFacts {
            addr: addr.into(),
            laddr: "?:0".into(),
            fd: 3,
            unix,
        };
        assert!(facts("127.0.0.1:5000", false).local());
        assert!(facts("[::1]:5000", false).local());
        assert!(facts("/tmp/redis.sock:0", true).local());
        // Redis compares the address text with 127.0.0.1 and ::1 only.
        assert!(!facts("127.0.0.2:5000", false).local());
        assert!(!facts("10.1.2.3:5000", false).local());
        assert!(!facts("[::ffff:127.0.0.1]:5000", false).local());
    }

    #[test]
    fn registry_kill_wakes_the_owner() {
        let c = Clients::default();
        let woken = Arc::new(AtomicBool::new(false));
        let w = woken.clone();
        let facts = ConnFacts {
            addr: "127.0.0.1:5".into(),
            laddr: "127.0.0.1:6379".into(),
            fd: 7,
            unix: false,
        };
        let e = c.register(
            3,
            facts,
            0,
            Box::new(move || w.store(true, Ordering::SeqCst)),
        );
        assert_eq!(c.len(), 1);
        c.get(3).unwrap().kill();
        assert!(e.killed() && woken.load(Ordering::SeqCst));
        c.unregister(3);
        assert!(c.is_empty());
    }
}
