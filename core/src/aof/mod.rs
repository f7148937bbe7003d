//! The append-only file: `appendonly.aof` in the data directory, the
//! writes of the engine as RESP commands, in the order the keyspace saw
//! them, with non-deterministic commands rewritten to deterministic ones
//! (see [`effects`]).
//!
//! - Commands append their records to an in-memory buffer while they hold
//!   their shard locks ([`Aof::append`]); the [`writer`] moves the buffer
//!   to the file and fsyncs it as `appendfsync` says: under `always` a
//!   command is answered only once the fsync covering everything it could
//!   have observed is done, and the waiting threads do that work
//!   themselves (group commit: the first waiter writes and fsyncs every
//!   record queued before it, for all of them); `everysec`
//!   writes the buffer about every millisecond and fsyncs once a second;
//!   `no` writes and leaves syncing to the OS.
//! - Crash bounds. A kill of the process loses what was still in the
//!   buffer: with `always` nothing acknowledged; otherwise the writes of
//!   the last writer cycle (about 1 ms: everysec's fsync runs on a thread
//!   of its own, so a slow disk does not stop the writes), and, during a
//!   rewrite's switch, the writes acknowledged while the writer fsyncs the
//!   new file's tail (the rewrite thread syncs the bulk of it). The crash
//!   tests (tests/aof/crash.rs) measure that window and hold it to the
//!   issue's bound: nothing acknowledged more than a second before the
//!   kill is lost. A power loss with `everysec` loses at most the writes
//!   since the last fsync began (1 s plus the fsync's own time).
//! - [`rewrite`] compacts the file (BGREWRITEAOF, growth rules, turning
//!   the file on): an RDB preamble of a snapshot plus the records appended
//!   since its cut, written to a temp file, fsynced and renamed over the
//!   old one.
//! - [`load`] replays the file when a directory is opened.
//! - I/O errors: a failed write is undone (truncated back; if that fails
//!   too, before the next write) and retried; while it fails, writes are
//!   refused with Redis's `MISCONF` error. A failed fsync is never
//!   retried and then trusted (the kernel may have dropped the pages):
//!   nothing more is written to that file, so that a power loss leaves a
//!   clean prefix, and writes are refused until a rewrite has put the
//!   whole dataset in a new file, which the cron tries every few seconds
//!   (records acknowledged under `everysec`/`no` but not yet written are
//!   lost if the engine closes before that). With `always`, a command
//!   gets `MISCONF` when a write or fsync failed after it appended, even
//!   if a retried write then made its records durable. A failed write is
//!   retried a few times when the engine closes.

pub mod effects;
pub(crate) mod load;
pub(crate) mod rewrite;
mod writer;

use crate::persist::storage::StorageRef;
use effects::Effects;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// `appendfsync` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Fsync {
    /// Leave syncing to the OS.
    No = 0,
    /// Once a second.
    Everysec = 1,
    /// Before a write is acknowledged.
    Always = 2,
}

impl Fsync {
    /// The policy an `appendfsync` value names (`everysec` otherwise).
    pub fn parse(v: &str) -> Fsync {
        match v {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::Everysec,
        }
    }
}

/// Records not yet taken by the writer.
#[derive(Debug, Default)]
struct Pending {
    buf: Vec<u8>,
    /// The db the last record ran in (a SELECT precedes a change).
    db: Option<usize>,
    /// Bytes ever appended: the logical end of the stream.
    appended: u64,
    /// While a rewrite runs: every record since its cut.
    tail: Option<Vec<u8>>,
}

/// Durability and error state, for waiters, INFO and MISCONF.
#[derive(Debug, Default)]
struct Status {
    /// Logical offset known to be written to the file.
    written: u64,
    /// Logical offset known to be durable.
    synced: u64,
    /// The last write failed (strerror); cleared by a successful write.
    write_error: Option<String>,
    /// An fsync failed (strerror); cleared only by a successful rewrite.
    fsync_error: Option<String>,
    /// The last write or fsync failure (strerror), kept once healed.
    last_error: Option<String>,
    /// Size of the file, and of its rewritten base.
    size: u64,
    base_size: u64,
    rewrite: RewriteStatus,
    /// An everysec fsync runs on its own thread (INFO's
    /// `aof_pending_bio_fsync`).
    background_sync: bool,
    /// A waiting thread is writing and fsyncing for every waiter
    /// (`always`'s group commit; see [`Aof::wait_durable`]).
    flushing: bool,
}

/// BGREWRITEAOF bookkeeping (INFO persistence).
#[derive(Debug)]
struct RewriteStatus {
    running: Option<Instant>,
    scheduled: bool,
    last_secs: i64,
    last_ok: bool,
    done: u64,
    consecutive_failures: u64,
    /// When the last failed rewrite ended (the cron waits before retrying).
    last_failure: Option<Instant>,
}

impl Default for RewriteStatus {
    fn default() -> Self {
        RewriteStatus {
            running: None,
            scheduled: false,
            last_secs: -1,
            last_ok: true,
            done: 0,
            consecutive_failures: 0,
            last_failure: None,
        }
    }
}

/// The append-only file of one engine.
#[derive(Debug)]
pub struct Aof {
    active: AtomicBool,
    /// The file is being replayed (see [`Aof::loading`]).
    loading: AtomicBool,
    /// A write or fsync failed and is not healed: `status` says which.
    failing: AtomicBool,
    /// Write and fsync failures so far (see [`Aof::wait_durable`]).
    failures: AtomicU64,
    policy: AtomicU8,
    pending: Mutex<Pending>,
    status: Mutex<Status>,
    /// Signalled when `status` changes (an fsync, an error).
    changed: Condvar,
    writer: Mutex<Option<writer::Writer>>,
    /// The writer is parked waiting for records.
    writer_idle: AtomicBool,
    storage: StorageRef,
}

/// Appends a SELECT of `db` when the last record ran in another db.
fn select(p: &mut Pending, db: usize) {
    if p.db != Some(db) {
        let n = db.to_string();
        crate::resp::encode_command(&[b"SELECT", n.as_bytes()], &mut p.buf);
        p.db = Some(db);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Aof {
    /// An inactive AOF over `storage`.
    pub(crate) fn new(storage: StorageRef) -> Aof {
        Aof {
            active: AtomicBool::new(false),
            loading: AtomicBool::new(false),
            failing: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            policy: AtomicU8::new(Fsync::Everysec as u8),
            pending: Mutex::default(),
            status: Mutex::default(),
            changed: Condvar::new(),
            writer: Mutex::new(None),
            writer_idle: AtomicBool::new(false),
            storage,
        }
    }

    /// True while commands are logged. Stable while the caller holds any
    /// shard lock: turning the file on or off locks every shard.
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// True while the file is replayed at open. Nothing expires then, as
    /// in Redis while it loads: a record was logged when its key was
    /// alive, so the records after it must find the key as it was (a key
    /// whose deadline passed since is removed once the load is over).
    #[inline]
    pub fn loading(&self) -> bool {
        self.loading.load(Ordering::Relaxed)
    }

    /// The fsync policy.
    pub fn policy(&self) -> Fsync {
        match self.policy.load(Ordering::Relaxed) {
            0 => Fsync::No,
            2 => Fsync::Always,
            _ => Fsync::Everysec,
        }
    }

    /// Takes the fsync policy from the `appendfsync` setting (at start,
    /// and after CONFIG SET).
    pub(crate) fn apply_policy(&self, config: &crate::config::Config) {
        let p = Fsync::parse(&config.get("appendfsync").unwrap_or_default());
        self.policy.store(p as u8, Ordering::Relaxed);
        self.wake_writer();
    }

    /// Where the persistence files' I/O goes (the snapshot's too).
    pub(crate) fn storage(&self) -> &StorageRef {
        &self.storage
    }

    /// Appends the records of `fx` (wrapped in MULTI/EXEC when there are
    /// several) and returns the logical end of the stream after them. The
    /// caller holds the locks of the shards the records touched.
    pub(crate) fn append(&self, fx: &Effects) -> Mark {
        self.push(fx, fx.records.len() > 1)
    }

    /// Appends the records of `fx`, inside MULTI/EXEC when `wrap`.
    fn push(&self, fx: &Effects, wrap: bool) -> Mark {
        let mut p = lock(&self.pending);
        // Before the writer can take the records: a failure counted after
        // this may be theirs.
        let mark = self.mark();
        if !self.active() {
            return mark;
        }
        let was_empty = p.buf.is_empty();
        let start = p.buf.len();
        if wrap {
            // As Redis's propagatePendingCommands: the MULTI runs in the
            // first record's db (a SELECT precedes it), the EXEC in the
            // last one's.
            select(&mut p, fx.records[0].0);
            crate::resp::encode_command(&[b"MULTI"], &mut p.buf);
        }
        let mut from = 0;
        for &(db, end) in &fx.records {
            select(&mut p, db);
            p.buf.extend_from_slice(&fx.buf[from..end]);
            from = end;
        }
        if wrap {
            crate::resp::encode_command(&[b"EXEC"], &mut p.buf);
        }
        self.finish_append(p, start, was_empty);
        mark
    }

    /// Appends a DEL (UNLINK with `lazyfree-lazy-expire`) of each of
    /// `keys` of `db` (keys the active expiry cycle removed; the caller
    /// holds their shard).
    pub(crate) fn append_dels(
        &self,
        config: &crate::config::Config,
        db: usize,
        keys: &[Box<[u8]>],
    ) {
        if keys.is_empty() {
            return;
        }
        let mut fx = Effects::default();
        let del = effects::del_command(config, "lazyfree-lazy-expire");
        for k in keys {
            fx.record(db, &[del, k]);
        }
        // Separate DELs, not one transaction: each is a change of its own.
        self.push(&fx, false);
    }

    fn finish_append(&self, mut p: MutexGuard<'_, Pending>, start: usize, was_empty: bool) {
        let added = p.buf.len() - start;
        p.appended += added as u64;
        if p.tail.is_some() {
            let Pending { buf, tail, .. } = &mut *p;
            if let Some(t) = tail {
                t.extend_from_slice(&buf[start..]);
            }
        }
        drop(p);
        // Under `always` the writer is woken by the first reply that waits
        // (`wait_durable`): it then takes every record appended by then,
        // so one write and one fsync serve the whole batch.
        if was_empty && self.writer_idle.load(Ordering::Relaxed) && self.policy() != Fsync::Always {
            self.wake_writer();
        }
    }

    /// The count of write and fsync failures so far.
    pub(crate) fn mark(&self) -> Mark {
        Mark(self.failures.load(Ordering::SeqCst))
    }

    fn wake_writer(&self) {
        if let Some(w) = lock(&self.writer).as_ref() {
            w.wake();
        }
    }

    /// With `always`, what a command's reply must wait for: the end of
    /// everything appended so far, if it is not durable yet. `since`:
    /// the mark of the command's own first record, if it appended any.
    #[inline]
    pub(crate) fn must_wait(&self, since: Option<Mark>) -> Option<Wait> {
        if !self.active() || self.policy() != Fsync::Always {
            return None;
        }
        let since = since.unwrap_or_else(|| self.mark());
        let upto = lock(&self.pending).appended;
        (lock(&self.status).synced < upto).then_some(Wait {
            upto,
            failures: since.0,
        })
    }

    /// Waits until the stream is durable up to `w.upto`; the error (the
    /// OS error text) when a write or fsync failed first. A failure since
    /// the command appended fails the wait even if a retried write then
    /// made it durable: a command whose write failed is never answered
    /// OK.
    ///
    /// Group commit: the first waiter to find nobody flushing writes and
    /// fsyncs everything buffered by then itself; the others wait for its
    /// fsync, and the first of them still not covered flushes next.
    pub(crate) fn wait_durable(&self, w: Wait) -> Result<(), String> {
        let flusher = lock(&self.writer).as_ref().map(writer::Writer::flusher);
        let mut st = lock(&self.status);
        loop {
            if !self.active() {
                return Ok(());
            }
            if self.failures.load(Ordering::SeqCst) != w.failures {
                return Err(st.last_error.clone().unwrap_or_default());
            }
            if st.synced >= w.upto {
                return Ok(());
            }
            if let Some(e) = st.fsync_error.as_ref().or(st.write_error.as_ref()) {
                return Err(e.clone());
            }
            if let (false, Some(f)) = (st.flushing, &flusher) {
                st.flushing = true;
                drop(st);
                f.flush();
                st = lock(&self.status);
                st.flushing = false;
                self.changed.notify_all();
                continue;
            }
            st = self
                .changed
                .wait_timeout(st, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Redis's MISCONF error text when the file cannot be written (a
    /// failed write, or an fsync failure not yet healed by a rewrite).
    pub fn write_denied(&self) -> Option<String> {
        if !self.active() || !self.failing.load(Ordering::Relaxed) {
            return None;
        }
        let st = lock(&self.status);
        st.write_error
            .as_ref()
            .or(st.fsync_error.as_ref())
            .map(|e| format!("MISCONF Errors writing to the AOF file: {e}"))
    }

    /// INFO persistence's AOF fields, in Redis's order.
    pub fn info(&self) -> Vec<(&'static str, String)> {
        let st = lock(&self.status);
        let rw = &st.rewrite;
        let on = self.active();
        let mut v = vec![
            ("aof_enabled", u8::from(on).to_string()),
            (
                "aof_rewrite_in_progress",
                u8::from(rw.running.is_some()).to_string(),
            ),
            ("aof_rewrite_scheduled", u8::from(rw.scheduled).to_string()),
            ("aof_last_rewrite_time_sec", rw.last_secs.to_string()),
            (
                "aof_current_rewrite_time_sec",
                rw.running
                    .map_or(-1, |t| t.elapsed().as_secs() as i64)
                    .to_string(),
            ),
            (
                "aof_last_bgrewrite_status",
                if rw.last_ok { "ok" } else { "err" }.into(),
            ),
            ("aof_rewrites", rw.done.to_string()),
            (
                "aof_rewrites_consecutive_failures",
                rw.consecutive_failures.to_string(),
            ),
            (
                "aof_last_write_status",
                if st.write_error.is_none() && st.fsync_error.is_none() {
                    "ok"
                } else {
                    "err"
                }
                .into(),
            ),
            ("aof_last_cow_size", "0".into()),
        ];
        if on {
            let buffered = lock(&self.pending).buf.len();
            v.extend([
                ("aof_current_size", st.size.to_string()),
                ("aof_base_size", st.base_size.to_string()),
                ("aof_pending_rewrite", u8::from(rw.scheduled).to_string()),
                ("aof_buffer_length", buffered.to_string()),
                (
                    "aof_pending_bio_fsync",
                    u8::from(st.background_sync).to_string(),
                ),
                ("aof_delayed_fsync", "0".into()),
            ]);
        }
        v
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        lock(&self.status)
    }

    /// Records a failed write (`fsync` false) or fsync, as strerror gives
    /// `e`, and wakes the waiters.
    fn failed(&self, mut st: MutexGuard<'_, Status>, fsync: bool, e: &std::io::Error) {
        let text = strerror(e);
        match fsync {
            true => st.fsync_error = Some(text.clone()),
            false => st.write_error = Some(text.clone()),
        }
        st.last_error = Some(text);
        self.failures.fetch_add(1, Ordering::SeqCst);
        self.notify(st);
    }

    /// Wakes the waiters after `st` changed, and keeps the `failing` flag
    /// in step with it.
    fn notify(&self, st: MutexGuard<'_, Status>) {
        let failing = st.write_error.is_some() || st.fsync_error.is_some();
        self.failing.store(failing, Ordering::Relaxed);
        drop(st);
        self.changed.notify_all();
    }
}

/// The count of write and fsync failures when a command appended its
/// first record (see [`Aof::wait_durable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark(u64);

/// What a command's reply waits for under `appendfsync always`.
#[derive(Debug, Clone, Copy)]
pub struct Wait {
    /// The logical offset that must be durable.
    upto: u64,
    /// [`Aof::failures`] when the wait began.
    failures: u64,
}

impl Wait {
    /// One wait covering both (the furthest offset, the earliest start).
    pub(crate) fn merge(self, other: Wait) -> Wait {
        Wait {
            upto: self.upto.max(other.upto),
            failures: self.failures.min(other.failures),
        }
    }
}

/// The OS error's text, as C's strerror gives it.
fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a static NUL-terminated string.
        Some(n) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(n)) }
            .to_string_lossy()
            .into_owned(),
        None => e.to_string(),
    }
}

/// The AOF file name of the engine's configuration.
pub(crate) fn file_name(config: &crate::config::Config) -> String {
    config
        .get("appendfilename")
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "appendonly.aof".into())
}

/// Starts logging to the file at `path`, which holds the dataset as it is
/// now (just loaded): records are appended to it.
pub(crate) fn resume(shared: &crate::engine::Shared, path: &Path) -> std::io::Result<()> {
    let aof = &shared.aof;
    let file = aof.storage.open_append(path)?;
    let size = file.size()?;
    {
        let mut st = aof.status();
        st.size = size;
        st.base_size = size;
    }
    aof.apply_policy(&shared.config);
    writer::start(shared.aof.clone(), Some(file), size)?;
    // Nothing runs yet: no shard needs locking to turn logging on.
    aof.active.store(true, Ordering::Relaxed);
    Ok(())
}

/// Turns logging off (CONFIG SET appendonly no, closing): the writer
/// writes and fsyncs what is buffered, then stops.
pub(crate) fn stop(shared: &crate::engine::Shared) {
    let aof = &shared.aof;
    {
        // Every shard locked: no command is between its change and its
        // append while the flag flips.
        let _all = crate::engine::lock_dbs(&shared.keyspace, 0..crate::keyspace::DB_COUNT);
        aof.active.store(false, Ordering::Relaxed);
    }
    let w = lock(&aof.writer).take();
    if let Some(w) = w {
        w.stop();
    }
    *lock(&aof.pending) = Pending::default();
    aof.notify(aof.status());
}

/// Applies `appendonly` and `appendfsync` after CONFIG SET: turning the
/// file on starts a rewrite that creates it from the dataset (as Redis's
/// `startAppendOnly`); off stops logging.
pub(crate) fn config_changed(shared: &crate::engine::Shared) -> Result<(), String> {
    let aof = &shared.aof;
    aof.apply_policy(&shared.config);
    let want = shared.config.get_bool("appendonly");
    let running = lock(&aof.writer).is_some();
    if want && !running {
        if shared.persist.dir().is_none() {
            return Err(
                "this engine is in memory: open it on a data directory to use \
                 appendonly"
                    .into(),
            );
        }
        rewrite::start(shared, true)
            .map(drop)
            .map_err(|e| e.to_string())
    } else if !want && running {
        stop(shared);
        Ok(())
    } else {
        Ok(())
    }
}

/// The cron's AOF step: a scheduled rewrite, a rewrite to heal a failed
/// fsync, or one the growth rule (`auto-aof-rewrite-percentage` of the
/// base size, at least `auto-aof-rewrite-min-size`) asks for.
pub(crate) fn cron(shared: &crate::engine::Shared) {
    let aof = &shared.aof;
    if !aof.active() {
        return;
    }
    let due = {
        let st = aof.status();
        let rw = &st.rewrite;
        let may_retry = rw
            .last_failure
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(5));
        if rw.running.is_some() {
            false
        } else if rw.scheduled || (st.fsync_error.is_some() && may_retry) {
            true
        } else {
            let pct = shared.config.get_int("auto-aof-rewrite-percentage").max(0) as u64;
            let min = shared.config.get_int("auto-aof-rewrite-min-size").max(0) as u64;
            let base = st.base_size.max(1);
            pct > 0
                && may_retry
                && st.size >= min
                && st.size.saturating_sub(base) * 100 / base >= pct
        }
    };
    if due {
        let _ = rewrite::start(shared, false);
    }
}
