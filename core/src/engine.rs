//! `Engine`: the shared, thread-safe handle every front holds, and
//! `Session`: one client's state. [`Engine::execute`] is the one command
//! path: look the command up, check arity, lock the shards its keys live in
//! (in ascending order), run the handler, and turn errors into replies.
//! Inside MULTI it queues the command instead (see `multi`).

use crate::clock::{Clock, SystemClock};
use crate::cmd::table::{self, Command, Keys};
use crate::ctx::{Ctx, Guards};
use crate::error::CmdError;
use crate::keyspace::{DB_COUNT, Keyspace};
use crate::reply::Reply;
use crate::stats::Counter;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How to build an engine.
#[derive(Debug, Clone)]
pub struct Options {
    /// Shards per db; rounded up to a power of two. Default: 2 × cores, at least 16.
    pub shards: usize,
    /// The clock (a `ManualClock` in tests).
    pub clock: Arc<dyn Clock>,
    /// Run the background cron (active expiry, cached clock) every 100 ms.
    pub background: bool,
    /// Where the persistence files' I/O goes, the append-only file's and
    /// the snapshot's (the file system; a simulated disk in crash tests).
    pub storage: crate::persist::storage::StorageRef,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Options {
            shards: (cores * 2).max(16),
            clock: Arc::new(SystemClock),
            background: true,
            storage: Arc::new(crate::persist::storage::Os),
        }
    }
}

/// Counters reported by INFO stats.
#[derive(Debug, Default)]
pub struct Stats {
    /// Commands run.
    pub commands: Counter,
    /// Lookups that found their key.
    pub keyspace_hits: Counter,
    /// Lookups that missed.
    pub keyspace_misses: Counter,
    /// Keys removed because they expired.
    pub expired_keys: Counter,
    /// Changes since the last save.
    pub dirty: Counter,
    /// Clients ever created.
    pub connections: Counter,
}

/// State shared by every handle and session of one engine.
#[derive(Debug)]
pub struct Shared {
    /// The data.
    pub keyspace: Keyspace,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// Counters.
    pub stats: Stats,
    /// Configuration parameters (CONFIG GET/SET).
    pub config: crate::config::Config,
    /// Unix ms when the engine started.
    pub start_ms: u64,
    /// Snapshot state and the data directory, if any.
    pub persist: crate::persist::Persistence,
    /// The append-only file.
    pub aof: Arc<crate::aof::Aof>,
    /// The keys sessions WATCH.
    pub(crate) watches: Arc<crate::watch::Watches>,
    /// Clients connected through a network front (CLIENT LIST, KILL, PAUSE).
    pub clients: crate::clients::Clients,
    /// What the process serving this engine does on SHUTDOWN.
    pub lifecycle: crate::lifecycle::Lifecycle,
    /// The Lua interpreter, the script cache, and the running script's state.
    pub scripts: crate::script::Scripts,
    /// Pub/Sub subscriptions (PUBLISH, keyspace notifications).
    pub pubsub: Arc<crate::pubsub::PubSub>,
    /// Clients waiting in blocking commands (BLPOP, ...).
    pub blocking: Arc<crate::blocking::Blocking>,
    lru: AtomicU32,
    next_client_id: AtomicU64,
}

impl Shared {
    /// Seconds of the engine clock, cached by the cron (OBJECT IDLETIME).
    #[inline]
    pub fn lru_clock(&self) -> u32 {
        self.lru.load(Ordering::Relaxed)
    }

    fn tick(&self) {
        self.lru
            .store((self.clock.now_ms() / 1000) as u32, Ordering::Relaxed);
    }
}

/// A cheap, cloneable, thread-safe handle to one engine.
#[derive(Debug, Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    /// Shared by the handles only (the engine's own threads hold `shared`):
    /// dropped with the last handle, it closes the data directory.
    _owner: Arc<Owner>,
}

/// Closes the engine's data directory when the last handle goes.
#[derive(Debug)]
struct Owner(Arc<Shared>);

impl Drop for Owner {
    /// A final save if the data directory's rules ask for one, then the
    /// directory is released, before the drop of the last handle returns.
    fn drop(&mut self) {
        crate::persist::close(&self.0);
    }
}

/// One client's state: selected db, protocol version, name.
#[derive(Debug)]
pub struct Session {
    /// The selected db.
    pub db: usize,
    /// RESP protocol version (2 or 3).
    pub proto: u8,
    /// Unique client id (CLIENT ID).
    pub id: u64,
    /// CLIENT SETNAME name.
    pub name: Option<Vec<u8>>,
    /// CLIENT SETINFO lib-name.
    pub lib_name: Option<Vec<u8>>,
    /// CLIENT SETINFO lib-ver.
    pub lib_ver: Option<Vec<u8>>,
    /// Connection-level state (auth, reply mode, close after reply).
    pub conn: crate::clients::ConnState,
    /// The last command this client ran: clients repeat commands, and a
    /// case-insensitive compare with it is cheaper than the table lookup.
    last_cmd: Option<&'static Command>,
    /// MULTI queue and WATCHed keys.
    pub(crate) tx: crate::multi::Tx,
    /// The command being run or last run: (top-level row, the row itself,
    /// a subcommand's for containers).
    pub(crate) last_run: Option<(&'static Command, &'static Command)>,
    /// Pub/Sub subscriptions and the inbox of their messages.
    pub(crate) subs: crate::pubsub::Subs,
    /// Keys made ready by the running command, and this client's wait.
    pub(crate) block: crate::blocking::SessionBlock,
    /// How the front hears of pushes and served waits (`None`: in-process
    /// consumers wait on condition variables).
    pub(crate) waker: crate::pubsub::FrontWaker,
    /// Replies wait for durability at [`Engine::settle`], not in each call.
    defer_durable: bool,
    /// With `defer_durable`: what the replies since the last settle wait
    /// for, and whether one of them wrote.
    pending_durable: Option<(crate::aof::Wait, bool)>,
}

impl Session {
    /// True between MULTI and EXEC/DISCARD: commands sent through
    /// [`Engine::execute`] are queued. Typed fast paths (`Engine::get`, ...)
    /// run at once, so fronts must send commands through `execute` then.
    pub fn in_multi(&self) -> bool {
        self.tx.in_multi()
    }

    /// With `on`, a command's reply no longer waits for `appendfsync
    /// always` in [`Engine::execute`]: the front sends the replies of a
    /// batch of commands only after one [`Engine::settle`] (the listener
    /// does this, so one fsync serves every connection's writes, as
    /// Redis's event loop does).
    pub fn defer_durability(&mut self, on: bool) {
        self.defer_durable = on;
    }

    /// True when replies produced since the last [`Engine::settle`] wait
    /// for an fsync.
    pub fn durability_pending(&self) -> bool {
        self.pending_durable.is_some()
    }

    /// The command being run or last run (CLIENT LIST `cmd`): its top-level
    /// row and the row itself (a subcommand's for containers).
    pub fn last_command(&self) -> Option<(&'static Command, &'static Command)> {
        self.last_run
    }

    /// A session for work the engine does on a client's behalf (serving a
    /// blocked client, a script's `redis.call`s): db `db`, protocol
    /// `proto`, id 0, not counted, never in MULTI.
    pub(crate) fn detached(db: usize, proto: u8) -> Session {
        Session {
            db,
            proto,
            id: 0,
            name: None,
            lib_name: None,
            lib_ver: None,
            conn: crate::clients::ConnState::local(),
            last_cmd: None,
            tx: crate::multi::Tx::default(),
            last_run: None,
            subs: crate::pubsub::Subs::default(),
            block: crate::blocking::SessionBlock::default(),
            waker: crate::pubsub::FrontWaker::default(),
            defer_durable: false,
            pending_durable: None,
        }
    }

    /// Sets how the front hears that something arrived for this session:
    /// `waker` is called (from the publishing or writing thread) when its
    /// inbox stops being empty and when its wait ends. Set it before the
    /// first SUBSCRIBE or blocking command.
    pub fn set_waker(&mut self, waker: Option<crate::pubsub::Waker>) {
        self.waker = crate::pubsub::FrontWaker(waker);
    }

    /// With `on`, a blocking command that has to wait makes
    /// [`Engine::execute`] return at once (with a placeholder reply), and
    /// the front takes the wait with [`Session::take_blocked`]; otherwise
    /// (the default) `execute` parks the calling thread until the wait
    /// ends.
    pub fn defer_blocking(&mut self, on: bool) {
        self.block.defer = on;
    }

    /// The wait the last command started, if it is waiting (see
    /// [`Session::defer_blocking`]). Dropping it cancels the wait.
    pub fn take_blocked(&mut self) -> Option<crate::blocking::Blocked> {
        self.block.blocked.take()
    }

    /// The inbox where this session's Pub/Sub messages and subscription
    /// confirmations queue up (created on first use, with the waker).
    /// (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE reply through it: `execute`
    /// returns a placeholder for them and, over a connection, sends nothing.
    pub fn inbox(&mut self) -> Arc<crate::pubsub::Inbox> {
        self.subs.inbox(self.waker.0.as_ref()).clone()
    }

    /// The inbox, if this session ever subscribed (fronts drain it).
    pub fn inbox_if_any(&self) -> Option<&Arc<crate::pubsub::Inbox>> {
        self.subs.existing_inbox()
    }

    /// True while subscribed to a channel, pattern or shard channel.
    pub fn subscribed(&self) -> bool {
        self.subs.active()
    }

    /// Subscriptions by kind: (channels, patterns, shard channels).
    pub fn subscription_counts(&self) -> (usize, usize, usize) {
        self.subs.counts()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// An in-memory engine with default options.
    pub fn new() -> Engine {
        Engine::with_options(Options::default())
    }

    /// An in-memory engine with `opts`.
    pub fn with_options(opts: Options) -> Engine {
        let start = opts.clock.now_ms() / 1000;
        let keyspace = Keyspace::new(opts.shards);
        let persist = crate::persist::Persistence::new(start, None);
        Engine::assemble(opts, keyspace, crate::config::Config::default(), persist)
    }

    /// An engine that owns the data directory `dir` (created if missing):
    /// it holds the directory's lock file until its last handle is
    /// dropped, loads `dump.rdb` if there is one, and saves there (SAVE,
    /// BGSAVE, the `save` rules, and a final save on close when anything
    /// changed). When the directory has an `appendonly.aof`, that file is
    /// replayed instead and logging goes on (`appendonly yes`). A directory
    /// another engine holds, or an unreadable or corrupt file, is an error;
    /// nothing is ever half loaded.
    pub fn open(
        dir: impl AsRef<std::path::Path>,
        opts: Options,
    ) -> Result<Engine, crate::persist::OpenError> {
        let config = crate::config::Config::default();
        // A directory that has an append-only file was last used with
        // `appendonly yes`: it holds the newest data, so it is loaded and
        // kept up (the library has no configuration file to say so).
        let aof = dir.as_ref().join(crate::aof::file_name(&config));
        if aof.exists() {
            let _ = config.set_at_startup("appendonly", "yes");
        }
        Engine::open_with_config(dir, opts, config)
    }

    /// [`Engine::open`] with the configuration parameters already set (as
    /// a server's configuration file sets them): the snapshot loaded and
    /// written is `config`'s `dbfilename`, loading honours its limits, and
    /// its `save` rules apply from the start. `dir` replaces `config`'s.
    pub fn open_with_config(
        dir: impl AsRef<std::path::Path>,
        opts: Options,
        config: crate::config::Config,
    ) -> Result<Engine, crate::persist::OpenError> {
        crate::persist::open(dir.as_ref(), opts, config)
    }

    /// Closes the data directory now rather than when the last handle
    /// drops: waits for a running BGSAVE, saves if anything changed and the
    /// `save` rules are set, and releases the directory's lock. Later calls,
    /// and calls on an in-memory engine, do nothing; the data stays usable
    /// in memory.
    pub fn close(&self) {
        crate::persist::close(&self.shared);
    }

    /// An engine over `keyspace` (already loaded, for [`Engine::open`]).
    pub(crate) fn assemble(
        opts: Options,
        keyspace: Keyspace,
        config: crate::config::Config,
        persist: crate::persist::Persistence,
    ) -> Engine {
        let shared = Arc::new(Shared {
            keyspace,
            start_ms: opts.clock.now_ms(),
            clock: opts.clock,
            stats: Stats::default(),
            config,
            persist,
            aof: Arc::new(crate::aof::Aof::new(opts.storage)),
            watches: Arc::default(),
            clients: crate::clients::Clients::default(),
            lifecycle: crate::lifecycle::Lifecycle::default(),
            scripts: crate::script::Scripts::default(),
            pubsub: Arc::default(),
            blocking: Arc::default(),
            lru: AtomicU32::new(0),
            next_client_id: AtomicU64::new(1),
        });
        shared.persist.bind(Arc::downgrade(&shared));
        shared.tick();
        if opts.background {
            spawn_cron(Arc::downgrade(&shared));
        }
        Engine {
            _owner: Arc::new(Owner(shared.clone())),
            shared,
        }
    }

    /// The shared state (for fronts and tests).
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// A new client session on db 0, RESP2.
    pub fn session(&self) -> Session {
        self.shared
            .stats
            .connections
            .fetch_add(1, Ordering::Relaxed);
        Session {
            id: self.shared.next_client_id.fetch_add(1, Ordering::Relaxed),
            ..Session::detached(0, 2)
        }
    }

    /// Runs one command. `argv[0]` is the command name.
    pub fn execute<A: AsRef<[u8]>>(&self, session: &mut Session, argv: &[A]) -> Reply {
        let mut stack: [&[u8]; 8] = [&[]; 8];
        let heap: Vec<&[u8]>;
        let args: &[&[u8]] = if argv.len() <= stack.len() {
            for (d, a) in stack.iter_mut().zip(argv) {
                *d = a.as_ref();
            }
            &stack[..argv.len()]
        } else {
            heap = argv.iter().map(AsRef::as_ref).collect();
            &heap
        };
        match self.run(session, args) {
            Ok(r) => r,
            Err(e) => e.into(),
        }
    }

    /// While a script runs, `cmd` waits for it (or gets BUSY) rather than
    /// block on its locks; every command passes here before its locks
    /// (the typed fast paths too).
    #[inline]
    pub(crate) fn admit(&self, cmd: &Command) -> Result<(), CmdError> {
        if self.shared.scripts.active() {
            self.shared
                .scripts
                .admit(cmd.has(table::flags::ALLOW_BUSY))?;
        }
        Ok(())
    }

    fn run(&self, session: &mut Session, args: &[&[u8]]) -> Result<Reply, CmdError> {
        let cmd = match resolve(args, &mut session.last_cmd) {
            Ok(cmd) => cmd,
            // An empty argv has no name (and must not panic).
            Err(e) => {
                return Err(session
                    .tx
                    .refused(args.first().copied().unwrap_or_default(), e));
            }
        };
        // As Redis's processCommand, a command is the client's last one
        // (CLIENT LIST `cmd`) as soon as it is named, even if refused.
        session.last_run = session.last_cmd.map(|top| (top, cmd));
        // A protected command (DEBUG) comes before AUTH, as in Redis.
        if cmd.has(table::flags::PROTECTED) {
            crate::cmd::debug::check_allowed(&self.shared, session)
                .map_err(|e| session.tx.refused(args[0], e))?;
        }
        // Redis's authRequired: only a client that connected while a
        // password was set, and has not passed AUTH since, is refused.
        if !session.conn.authenticated
            && !cmd.has(crate::cmd::table::flags::NO_AUTH)
            && self.shared.config.get_bool("requirepass")
        {
            return Err(CmdError::Raw("NOAUTH Authentication required.".into()));
        }
        self.admit(cmd)
            .map_err(|e| session.tx.refused(args[0], e))?;
        if session.proto == 2 && session.subs.active() {
            crate::cmd::pubsub::check_subscribed(session.last_cmd, cmd)
                .map_err(|e| session.tx.refused(args[0], e))?;
        }
        let writes =
            cmd.has(table::flags::WRITE) || (cmd.name == "exec" && session.tx.queues_writes());
        if writes || cmd.name == "ping" {
            if let Some(e) = crate::persist::write_denied(&self.shared) {
                return Err(session.tx.refused(args[0], e));
            }
        }
        if session.tx.in_multi() && !crate::multi::runs_in_multi(args[0]) {
            return session.tx.queue(cmd, args);
        }
        self.shared.stats.commands.fetch_add(1, Ordering::Relaxed);
        let (guards, single) = self.lock_for(cmd.keys, session.db, args);
        let mut ctx = Ctx::new(&self.shared, session, guards);
        if let Some(key) = single {
            ctx.hint(key);
        }
        let out = call(cmd, &mut ctx, args);
        ctx.end_call(args);
        let wrote = conclude(&self.shared, ctx);
        if !session.block.defer {
            if let Some(wait) = session.block.blocked.take() {
                let reply = wait.wait(None).unwrap_or(Reply::NilArray);
                // The serving client appended the op's records.
                let mark = self.shared.aof.mark();
                return self.finish(session, Ok(reply), Some(mark));
            }
        }
        self.finish(session, out, wrote)
    }

    /// [`Engine::durable`], or, for a session that defers durability, the
    /// wait noted for its next [`Engine::settle`].
    #[inline]
    fn finish(
        &self,
        session: &mut Session,
        out: Result<Reply, CmdError>,
        wrote: Option<crate::aof::Mark>,
    ) -> Result<Reply, CmdError> {
        if !session.defer_durable {
            return self.durable(out, wrote);
        }
        self.note_durable(session, wrote);
        out
    }

    fn note_durable(&self, session: &mut Session, wrote: Option<crate::aof::Mark>) {
        if let Some(w) = self.shared.aof.must_wait(wrote) {
            let merged = match session.pending_durable {
                Some((p, pw)) => (p.merge(w), pw || wrote.is_some()),
                None => (w, wrote.is_some()),
            };
            session.pending_durable = Some(merged);
        }
    }

    /// For a session that defers durability: a reply about to be sent
    /// that the engine produced outside [`Engine::execute`] (a blocked
    /// command served by another client's write) waits too.
    pub fn note_served(&self, session: &mut Session) {
        let mark = self.shared.aof.mark();
        self.note_durable(session, Some(mark));
    }

    /// Waits once for everything the session's deferred replies need to be
    /// durable. The error (the OS error text) when a write or fsync failed
    /// first and one of those replies was a write's: the front must not
    /// send them (the client then sees its connection close, never an OK
    /// for a write that is not on disk).
    pub fn settle(&self, session: &mut Session) -> Result<(), String> {
        match session.pending_durable.take() {
            None => Ok(()),
            Some((w, wrote)) => match self.shared.aof.wait_durable(w) {
                Err(e) if wrote => Err(e),
                _ => Ok(()),
            },
        }
    }

    /// With `appendfsync always`, holds `out` back until everything the
    /// command could have written or observed is durable. When a write or
    /// fsync failed first (or since the command `wrote`, at that mark), a
    /// command that wrote gets Redis's MISCONF error instead of its reply
    /// (a read still gets its reply).
    #[inline]
    pub(crate) fn durable<T>(
        &self,
        out: Result<T, CmdError>,
        wrote: Option<crate::aof::Mark>,
    ) -> Result<T, CmdError> {
        match self.shared.aof.must_wait(wrote) {
            None => out,
            Some(wait) => match self.shared.aof.wait_durable(wait) {
                Err(e) if wrote.is_some() => Err(CmdError::Raw(format!(
                    "MISCONF Errors writing to the AOF file: {e}"
                ))),
                _ => out,
            },
        }
    }

    /// Takes the shard locks `keys` asks for, in ascending (db, shard) order,
    /// and those needed to serve the BLMOVE waiters its writes may wake
    /// (see `blocking::cover_move_targets`). For a single-key command it
    /// also hands back that key, whose shard the one guard holds (so
    /// lookups of it need not hash it again).
    fn lock_for<'k>(
        &self,
        keys: Keys,
        db: usize,
        args: &[&'k [u8]],
    ) -> (Guards<'_>, Option<&'k [u8]>) {
        let ks = &self.shared.keyspace;
        let (guards, single) = match need(ks, keys, args) {
            Need::Nothing => (Guards::None, None),
            Need::One(s, key) => (Guards::One(db, s, ks.lock(db, s)), key),
            Need::Shards(idx) => {
                let many = idx.into_iter().map(|s| ((db, s), ks.lock(db, s))).collect();
                (Guards::Many(many), None)
            }
            Need::Db => (lock_dbs(ks, db..db + 1), None),
            Need::All => (lock_dbs(ks, 0..DB_COUNT), None),
        };
        (
            crate::blocking::cover_move_targets(&self.shared, guards),
            single,
        )
    }

    /// Runs one cron step now (the background cron does this every 100 ms):
    /// refreshes the cached LRU clock and runs one active expiry pass over
    /// every db; returns the number of keys removed.
    pub fn active_expire_cycle(&self) -> usize {
        self.shared.tick();
        crate::expire::active_cycle(&self.shared)
    }
}

/// Ends a command run on `ctx` (its calls ended): appends its records to
/// the append-only file, serves the clients blocked on keys it made ready
/// while its locks are held (their pops logged after it, each as a
/// command of its own, as Redis propagates them), releases the locks and
/// serves any waiter that needed more than them. The mark of its first
/// append, if it appended anything.
pub(crate) fn conclude(shared: &Shared, mut ctx: Ctx<'_>) -> Option<crate::aof::Mark> {
    ctx.flush_effects();
    crate::blocking::serve_held(&mut ctx);
    let wrote = ctx.flush_effects();
    let ready = std::mem::take(&mut ctx.ready);
    drop(ctx);
    if !ready.is_empty() {
        crate::blocking::serve_ready(shared, ready);
    }
    wrote
}

/// Runs `cmd`'s handler on a context holding the locks it needs; a panic
/// becomes an error reply.
#[inline(always)]
pub(crate) fn call(cmd: &Command, ctx: &mut Ctx<'_>, args: &[&[u8]]) -> Result<Reply, CmdError> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| (cmd.handler)(ctx, args))) {
        Ok(r) => r,
        Err(p) => Err(CmdError::internal(&*p)),
    }
}

/// The shards a command's key spec asks for, in the db it runs in.
pub(crate) enum Need<'k> {
    /// Nothing (keyless commands).
    Nothing,
    /// One shard; with its key when the spec names exactly one key.
    One(usize, Option<&'k [u8]>),
    /// Several shards, ascending, each once.
    Shards(Vec<usize>),
    /// Every shard of the db.
    Db,
    /// Every shard of every db.
    All,
}

/// What `keys` asks to lock for `args`.
#[inline(always)]
pub(crate) fn need<'k>(ks: &Keyspace, keys: Keys, args: &[&'k [u8]]) -> Need<'k> {
    let mut idx: Vec<usize> = match keys {
        Keys::None => return Need::Nothing,
        Keys::Db => return Need::Db,
        Keys::All => return Need::All,
        Keys::Custom(f) => return need_computed(ks, f(args), args),
        Keys::Range { first, last, step } => {
            let n = args.len() as i32;
            let last = if last < 0 { n + last } else { last.min(n - 1) };
            if first == last && (first as usize) < args.len() {
                let key = args[first as usize];
                return Need::One(ks.shard_of(key), Some(key));
            }
            (first..=last)
                .step_by(step.max(1) as usize)
                .filter_map(|i| args.get(i as usize).map(|k| ks.shard_of(k)))
                .collect()
        }
        Keys::NumKeys { count_at, dest } => {
            let n = args.get(count_at).and_then(|a| crate::num::parse_i64(a));
            match n {
                Some(n) if n > 0 && count_at + (n as usize) < args.len() => {
                    let mut v: Vec<usize> = args[count_at + 1..=count_at + n as usize]
                        .iter()
                        .map(|k| ks.shard_of(k))
                        .collect();
                    if let Some(d) = dest {
                        v.push(ks.shard_of(args[d]));
                    }
                    v
                }
                // A bad count: the handler replies with the error; lock
                // the whole db so that any access it makes is safe.
                _ => return Need::Db,
            }
        }
    };
    idx.sort_unstable();
    idx.dedup();
    if let [s] = idx[..] {
        return Need::One(s, None);
    }
    Need::Shards(idx)
}

/// [`need`] for key positions computed from the arguments: out of line, so
/// that `need` inlines into the command path.
#[inline(never)]
fn need_computed<'k>(ks: &Keyspace, keys: Keys, args: &[&'k [u8]]) -> Need<'k> {
    need(ks, keys, args)
}

/// Locks every shard of `dbs`, in ascending (db, shard) order.
pub(crate) fn lock_dbs(ks: &Keyspace, dbs: std::ops::Range<usize>) -> Guards<'_> {
    let mut v = Vec::with_capacity(dbs.len() * ks.shard_count());
    for d in dbs {
        for s in 0..ks.shard_count() {
            v.push(((d, s), ks.lock(d, s)));
        }
    }
    Guards::Many(v)
}

/// Resolves argv to its command row (a subcommand for containers) and
/// checks arity, with Redis's error texts.
/// `last` caches the top-level row of the client's previous command.
pub(crate) fn resolve(
    args: &[&[u8]],
    last: &mut Option<&'static Command>,
) -> Result<&'static Command, CmdError> {
    let Some(name) = args.first() else {
        return Err(CmdError::UnknownCommand(
            "'', with args beginning with: ".into(),
        ));
    };
    let cached = last.filter(|c| c.name.as_bytes().eq_ignore_ascii_case(name));
    let Some(mut cmd) = cached.or_else(|| table::lookup(name)) else {
        // Redis prints the name and arguments with `%.*s`: bytes, up to a NUL.
        let mut list = Vec::new();
        for a in &args[1..] {
            if list.len() >= 128 {
                break;
            }
            let a = crate::cmd::args::cstr(a);
            list.push(b'\'');
            list.extend_from_slice(&a[..a.len().min(128 - (list.len() - 1))]);
            list.extend_from_slice(b"' ");
        }
        let name = crate::cmd::args::cstr(name);
        let shown = String::from_utf8_lossy(&name[..name.len().min(128)]);
        let list = String::from_utf8_lossy(&list);
        let msg = format!("'{shown}', with args beginning with: {list}").replace(['\r', '\n'], " ");
        return Err(CmdError::UnknownCommand(msg));
    };
    *last = Some(cmd);
    let parent = cmd;
    if !cmd.subcommands.is_empty() && args.len() >= 2 {
        match table::lookup_sub(cmd, args[1]) {
            Some(sub) => cmd = sub,
            None => {
                let sub = crate::cmd::args::cstr(args[1]);
                let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
                return Err(CmdError::err(
                    format!(
                        "unknown subcommand '{sub}'. Try {} HELP.",
                        cmd.name.to_uppercase()
                    )
                    .replace(['\r', '\n'], " "),
                ));
            }
        }
    }
    let n = args.len() as i32;
    if (cmd.arity > 0 && n != cmd.arity) || n < -cmd.arity {
        let full = if std::ptr::eq(parent, cmd) {
            cmd.name.to_string()
        } else {
            format!("{}|{}", parent.name, cmd.name)
        };
        return Err(CmdError::Arity(full));
    }
    Ok(cmd)
}

fn spawn_cron(shared: Weak<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("kvstore-cron".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(100));
                // The last engine handle gone, the upgrade fails: stop.
                let Some(s) = shared.upgrade() else { return };
                s.tick();
                crate::expire::active_cycle(&s);
                crate::persist::cron(&s);
            }
        });
    // Without the thread, expiry is still exact (lazy); only memory of
    // never-read expired keys waits for the next access.
    drop(spawned);
}
