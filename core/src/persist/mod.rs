//! Persistence: RDB snapshots in Redis 7.0's format, and the data
//! directory an engine opened with a path owns.
//!
//! - [`format`], [`encode`], [`decode`]: the RDB format both ways, with
//!   [`crc64`], [`lzf`], [`listpack`], [`intset`] and the older
//!   encodings in [`legacy`]; [`dump`]: DUMP/RESTORE payloads.
//! - [`snapshot`]: point-in-time snapshots while serving; `publish`:
//!   the atomic write of `dump.rdb`; `dir`: the directory lock;
//!   `commands`: the dataset as commands (a rewrite without preamble).
//! - This module: [`Persistence`] (per-engine state: SAVE/BGSAVE
//!   bookkeeping for INFO and LASTSAVE), opening a directory, the
//!   `save <seconds> <changes>` rules run by the cron, and the final save
//!   when the last handle of an engine is dropped.
//!
//! An engine without a directory is in memory: SAVE and BGSAVE refuse,
//! and no rule ever writes a file.

pub(crate) mod commands;
pub mod crc64;
pub mod decode;
mod dir;
pub mod dump;
pub mod encode;
pub mod format;
pub mod intset;
pub mod legacy;
pub mod listpack;
pub mod lzf;
pub(crate) mod publish;
pub(crate) mod snapshot;
pub mod storage;

use crate::engine::{Engine, Options, Shared};
use crate::keyspace::{DB_COUNT, Entry, Keyspace};
use decode::{Limits, LoadStats};
use dir::DirLock;
use snapshot::Snapshot;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Instant;
use storage::Storage;

/// Seconds a failed background save waits before a save rule retries it
/// (Redis's `CONFIG_BGSAVE_RETRY_DELAY`).
const RETRY_DELAY_SECS: u64 = 5;

/// Why a data directory could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// A file or directory could not be created, read or locked.
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another engine (in this or another process) owns the directory.
    Locked {
        /// The directory.
        dir: PathBuf,
        /// The holder's pid, when it has written it.
        pid: Option<u32>,
    },
    /// The append-only file is damaged before its end (or cut, with
    /// `aof-load-truncated no`); the engine was not opened.
    CorruptAof {
        /// The file.
        path: PathBuf,
        /// Byte offset of the bad record.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// The snapshot file is not valid RDB data; nothing was loaded.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the bad item.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            OpenError::Locked { dir, pid } => {
                write!(f, "data directory {} is in use by ", dir.display())?;
                match pid {
                    Some(p) if *p == std::process::id() => {
                        write!(f, "another engine in this process (pid {p})")?
                    }
                    Some(p) => write!(f, "process {p}")?,
                    None => write!(f, "another process (pid not yet recorded)")?,
                }
                write!(f, " (lock file {})", dir.join(dir::LOCK_FILE).display())
            }
            OpenError::CorruptAof {
                path,
                offset,
                reason,
            } => write!(f, "{}: at offset {offset}: {reason}", path.display()),
            OpenError::Corrupt {
                path,
                offset,
                reason,
            } => write!(
                f,
                "{}: bad RDB data at offset {offset}: {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why SAVE or BGSAVE did not save.
#[derive(Debug)]
pub enum SaveError {
    /// A save is already running.
    InProgress,
    /// An append-only file rewrite is running (BGSAVE without SCHEDULE).
    RewriteRunning,
    /// The engine has no data directory.
    InMemory,
    /// Writing the file failed.
    Io(std::io::Error),
}

/// What a BGSAVE request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BgStart {
    /// The save runs now.
    Started,
    /// The save starts at the next cron tick.
    Scheduled,
}

/// A job that writes a snapshot of the keyspace (one at a time: a
/// snapshot marks every shard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Job {
    /// SAVE, or a final save.
    Save,
    /// BGSAVE or a save rule.
    Bgsave,
    /// An append-only file rewrite.
    Rewrite,
}

#[derive(Debug)]
struct Running {
    job: Job,
    started: Instant,
}

#[derive(Debug)]
struct State {
    /// The last handle is gone: no save starts any more.
    closed: bool,
    running: Option<Running>,
    scheduled: bool,
    /// Unix seconds of the last successful save (the start time before).
    last_save: u64,
    last_bgsave_ok: bool,
    last_bgsave_secs: i64,
    /// Unix seconds of the last background save attempt.
    last_try: u64,
    saves: u64,
    loaded: LoadStats,
    /// What loading the data found worth a warning (a truncated tail).
    warnings: Vec<String>,
}

/// One engine's persistence state.
#[derive(Debug)]
pub struct Persistence {
    dir: Option<PathBuf>,
    /// The last background save failed (read by every write command for
    /// `stop-writes-on-bgsave-error`, so kept outside the state's lock).
    bgsave_failed: AtomicBool,
    lock: Mutex<Option<DirLock>>,
    /// The engine itself, for background saves (set once it exists).
    me: OnceLock<Weak<Shared>>,
    state: Mutex<State>,
}

impl Persistence {
    /// State of an engine started at `start_unix` (seconds), owning `dir`
    /// (locked by `lock`) or in memory.
    pub(crate) fn new(start_unix: u64, dir: Option<(PathBuf, DirLock)>) -> Persistence {
        let (dir, lock) = dir.map_or((None, None), |(d, l)| (Some(d), Some(l)));
        Persistence {
            dir,
            bgsave_failed: AtomicBool::new(false),
            lock: Mutex::new(lock),
            me: OnceLock::new(),
            state: Mutex::new(State {
                closed: false,
                running: None,
                scheduled: false,
                last_save: start_unix,
                last_bgsave_ok: true,
                last_bgsave_secs: -1,
                last_try: 0,
                saves: 0,
                loaded: LoadStats::default(),
                warnings: Vec::new(),
            }),
        }
    }

    /// Records the engine these are the state of (for background saves).
    pub(crate) fn bind(&self, me: Weak<Shared>) {
        let _ = self.me.set(me);
    }

    /// The engine, for a background job (none once it is gone).
    pub(crate) fn engine(&self) -> Option<std::sync::Arc<Shared>> {
        self.me.get().and_then(Weak::upgrade)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The data directory, `None` in memory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The warnings loading the data gave (a truncated append-only file's
    /// tail), for the front to log.
    pub fn load_warnings(&self) -> Vec<String> {
        self.state().warnings.clone()
    }

    /// Unix seconds of the last successful save (LASTSAVE).
    pub fn last_save(&self) -> u64 {
        self.state().last_save
    }

    /// INFO persistence's RDB fields, in Redis's order; `dirty` is the
    /// count of changes since the last save.
    pub fn info_rdb(&self, dirty: u64) -> Vec<(&'static str, String)> {
        let st = self.state();
        let bg = st.running.as_ref().filter(|r| r.job == Job::Bgsave);
        vec![
            ("rdb_changes_since_last_save", dirty.to_string()),
            ("rdb_bgsave_in_progress", u8::from(bg.is_some()).to_string()),
            ("rdb_last_save_time", st.last_save.to_string()),
            (
                "rdb_last_bgsave_status",
                if st.last_bgsave_ok { "ok" } else { "err" }.into(),
            ),
            ("rdb_last_bgsave_time_sec", st.last_bgsave_secs.to_string()),
            (
                "rdb_current_bgsave_time_sec",
                bg.map_or(-1, |r| r.started.elapsed().as_secs() as i64)
                    .to_string(),
            ),
            ("rdb_saves", st.saves.to_string()),
            ("rdb_last_cow_size", "0".into()),
            ("rdb_last_load_keys_expired", st.loaded.expired.to_string()),
            ("rdb_last_load_keys_loaded", st.loaded.keys.to_string()),
        ]
    }

    /// Claims the right to snapshot for `job`; `InProgress` when a
    /// snapshot is being written.
    pub(crate) fn claim(&self, job: Job) -> Result<PathBuf, SaveError> {
        let dir = self.dir.clone().ok_or(SaveError::InMemory)?;
        let mut st = self.state();
        if st.running.is_some() {
            return Err(SaveError::InProgress);
        }
        st.running = Some(Running {
            job,
            started: Instant::now(),
        });
        if job == Job::Bgsave {
            st.scheduled = false;
        }
        Ok(dir)
    }

    /// Ends the job claimed by [`Persistence::claim`] (a rewrite's).
    pub(crate) fn release(&self) {
        self.state().running = None;
    }

    /// The job writing a snapshot now, if any.
    pub(crate) fn running(&self) -> Option<Job> {
        self.state().running.as_ref().map(|r| r.job)
    }

    /// True when the last background save failed.
    pub(crate) fn bgsave_failed(&self) -> bool {
        self.bgsave_failed.load(Ordering::Relaxed)
    }
}

/// The Unix time of the engine clock, in seconds.
fn now_unix(shared: &Shared) -> u64 {
    shared.clock.now_ms() / 1000
}

/// Writes the snapshot `snap` of `shared` into its directory and records
/// the outcome.
fn finish_save(
    shared: &Shared,
    dir: &Path,
    mut snap: Snapshot<'_>,
    background: bool,
) -> std::io::Result<()> {
    let dirty = snap.dirty();
    let name = shared
        .config
        .get("dbfilename")
        .unwrap_or_else(|| "dump.rdb".into());
    let storage = shared.aof.storage();
    let result = publish::write_file(&**storage, &mut snap, &dir.join(name), now_unix(shared));
    drop(snap);
    let mut st = shared.persist.state();
    let started = st.running.take().map(|r| r.started);
    if result.is_ok() {
        // Subtract (the counter sums its stripes wrapping) rather than
        // store: writers keep counting while the file is written.
        shared
            .stats
            .dirty
            .fetch_add(dirty.wrapping_neg(), Ordering::Relaxed);
        st.last_save = now_unix(shared);
        st.saves += 1;
        st.last_bgsave_ok = true;
        shared.persist.bgsave_failed.store(false, Ordering::Relaxed);
    }
    if background {
        st.last_bgsave_ok = result.is_ok();
        shared
            .persist
            .bgsave_failed
            .store(result.is_err(), Ordering::Relaxed);
        st.last_bgsave_secs = started.map_or(0, |s| s.elapsed().as_secs() as i64);
    }
    result
}

fn list_fill(shared: &Shared) -> i64 {
    shared.config.get_int("list-max-listpack-size")
}

/// SAVE: a snapshot written by the calling thread (other clients keep
/// being served).
pub fn save(shared: &Shared) -> Result<(), SaveError> {
    let dir = shared.persist.claim(Job::Save)?;
    let snap = Snapshot::begin(&shared.keyspace, list_fill(shared), &shared.stats.dirty);
    finish_save(shared, &dir, snap, false).map_err(SaveError::Io)
}

/// BGSAVE: the cut is made before this returns; a thread writes the file.
/// `schedule` defers the start to the next cron tick (used when the
/// caller holds shard locks, as inside EXEC).
pub fn bgsave(shared: &Shared, schedule: bool) -> Result<BgStart, SaveError> {
    if schedule {
        shared.persist.dir.as_ref().ok_or(SaveError::InMemory)?;
        let mut st = shared.persist.state();
        if st.running.as_ref().is_some_and(|r| r.job == Job::Bgsave) {
            return Err(SaveError::InProgress);
        }
        st.scheduled = true;
        return Ok(BgStart::Scheduled);
    }
    let dir = match shared.persist.claim(Job::Bgsave) {
        Err(SaveError::InProgress) if shared.persist.running() == Some(Job::Rewrite) => {
            return Err(SaveError::RewriteRunning);
        }
        other => other?,
    };
    shared.persist.state().last_try = now_unix(shared);
    let me = shared.persist.me.get().and_then(Weak::upgrade);
    let Some(me) = me else {
        shared.persist.state().running = None;
        return Err(SaveError::InMemory);
    };
    let (cut_tx, cut_rx) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("kvstore-bgsave".into())
        .spawn(move || {
            let snap = Snapshot::begin(&me.keyspace, list_fill(&me), &me.stats.dirty);
            let _ = cut_tx.send(());
            // The outcome is recorded for INFO (rdb_last_bgsave_status).
            let _ = finish_save(&me, &dir, snap, true);
        });
    if let Err(e) = spawned {
        let mut st = shared.persist.state();
        st.running = None;
        st.last_bgsave_ok = false;
        shared.persist.bgsave_failed.store(true, Ordering::Relaxed);
        return Err(SaveError::Io(e));
    }
    // A closed channel means the thread died before the cut; the state
    // then shows the failure through INFO.
    let _ = cut_rx.recv();
    Ok(BgStart::Started)
}

/// The cron's persistence step: a scheduled BGSAVE, or the first `save`
/// rule that is due (at least `changes` changes and more than `seconds`
/// since the last save; after a failed background save, not before
/// [`RETRY_DELAY_SECS`]).
pub(crate) fn cron(shared: &Shared) {
    if shared.persist.dir.is_none() {
        return;
    }
    let now = now_unix(shared);
    let due = {
        let st = shared.persist.state();
        if st.running.is_some() || st.closed {
            return;
        }
        let dirty = shared.stats.dirty.load(Ordering::Relaxed);
        let may_retry = st.last_bgsave_ok || now.saturating_sub(st.last_try) > RETRY_DELAY_SECS;
        st.scheduled
            || (may_retry
                && save_rules(shared).iter().any(|&(secs, changes)| {
                    dirty >= changes && now.saturating_sub(st.last_save) > secs
                }))
    };
    if due {
        let _ = bgsave(shared, false);
    } else {
        crate::aof::cron(shared);
    }
}

/// Redis's MISCONF refusal of writes (and PING) when persistence is
/// failing: the append-only file cannot be written, or the last background
/// save failed with save rules set and `stop-writes-on-bgsave-error yes`.
#[inline]
pub(crate) fn write_denied(shared: &Shared) -> Option<crate::error::CmdError> {
    if let Some(e) = shared.aof.write_denied() {
        return Some(crate::error::CmdError::Raw(e));
    }
    if !shared.persist.bgsave_failed()
        || !shared.config.get_bool("stop-writes-on-bgsave-error")
        || save_rules(shared).is_empty()
    {
        return None;
    }
    Some(crate::error::CmdError::Raw(
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to \
         persist to disk. Commands that may modify the data set are disabled, because this \
         instance is configured to report errors during writes if RDB snapshotting fails \
         (stop-writes-on-bgsave-error option). Please check the Redis logs for details about \
         the RDB error."
            .into(),
    ))
}

/// The `save` parameter's (seconds, changes) pairs.
fn save_rules(shared: &Shared) -> Vec<(u64, u64)> {
    let text = shared.config.get("save").unwrap_or_default();
    let nums: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    nums.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}

/// Called when the last handle of an engine goes: waits for a running
/// save or rewrite, writes and fsyncs the append-only file's buffer, then,
/// with save rules set and changes since the last save, saves (as Redis
/// saves on SHUTDOWN), and releases the directory lock.
pub(crate) fn close(shared: &Shared) {
    let Some(lock) = take_lock(shared) else {
        return;
    };
    shared.persist.state().closed = true;
    while shared.persist.state().running.is_some() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    crate::aof::stop(shared);
    let dirty = shared.stats.dirty.load(Ordering::Relaxed);
    if dirty > 0 && !save_rules(shared).is_empty() {
        // No one can report a failure now; the previous file stays intact.
        let _ = save(shared);
    }
    drop(lock);
}

/// Releases the directory of an engine that failed to open, writing
/// nothing (its partial dataset must never reach a file).
fn abandon(shared: &Shared) {
    shared.persist.state().closed = true;
    let lock = take_lock(shared);
    crate::aof::stop(shared);
    drop(lock);
}

/// The directory lock, taken out of the state (once: later calls get none).
fn take_lock(shared: &Shared) -> Option<DirLock> {
    shared
        .persist
        .lock
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

/// Opens the data directory `dir` (creating it if missing) for an engine
/// with `config`: takes its lock, removes temp files a crashed save left,
/// and loads the data. With `appendonly yes` that is the append-only file
/// (its RDB preamble, then its commands replayed) when it exists; else
/// the snapshot named by `dbfilename` (`dump.rdb` by default), after which
/// the append-only file is created from it (Redis would start empty
/// there; we keep the snapshot's data). A missing or empty file starts an
/// empty store; an unreadable or corrupt one is an error and nothing is
/// loaded or written.
pub(crate) fn open(
    dir: &Path,
    opts: Options,
    config: crate::config::Config,
) -> Result<Engine, OpenError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OpenError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let dir = dir.canonicalize().map_err(io(dir))?;
    let lock = DirLock::acquire(&dir)?;
    let storage = opts.storage.clone();
    // Through the storage, where the persistence files live.
    for name in storage.list(&dir).map_err(io(&dir))? {
        if name.to_str().is_some_and(publish::is_temp_name) {
            let path = dir.join(name);
            storage.remove(&path).map_err(io(&path))?;
        }
    }
    let aof_path = dir.join(crate::aof::file_name(&config));
    let aof = match config.get_bool("appendonly") {
        false => None,
        true => match storage.read(&aof_path) {
            Ok(data) => Some(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(None),
            Err(e) => return Err(io(&aof_path)(e)),
        },
    };
    let keyspace = Keyspace::new(opts.shards);
    let now = opts.clock.now_ms();
    let loaded = match &aof {
        Some(Some(data)) if data.starts_with(b"REDIS") => {
            load_into(&keyspace, data, now, false, &config).map_err(|e| OpenError::CorruptAof {
                path: aof_path.clone(),
                offset: e.offset,
                reason: format!("bad RDB preamble: {}", e.reason),
            })?
        }
        Some(Some(_)) => LoadStats::default(),
        Some(None) | None => load_rdb(&*storage, &keyspace, &dir, now, &config)?,
    };
    config.force("dir", &dir.to_string_lossy());
    let persist = Persistence::new(now / 1000, Some((dir, lock)));
    let preamble = loaded.bytes;
    persist.state().loaded = loaded;
    let engine = Engine::assemble(opts, keyspace, config, persist);
    if let Some(data) = aof {
        if let Err(e) = start_aof(&engine, data, preamble, &aof_path) {
            abandon(engine.shared());
            return Err(e);
        }
    }
    Ok(engine)
}

/// Loads `dbfilename` of `dir` on `storage`, if present, into `keyspace`.
fn load_rdb(
    storage: &dyn Storage,
    keyspace: &Keyspace,
    dir: &Path,
    now: u64,
    config: &crate::config::Config,
) -> Result<LoadStats, OpenError> {
    let file = dir.join(config.get("dbfilename").unwrap_or_default());
    match storage.read(&file) {
        Ok(data) if data.is_empty() => Ok(LoadStats::default()),
        Ok(data) => load_into(keyspace, &data, now, true, config).map_err(|e| OpenError::Corrupt {
            path: file.clone(),
            offset: e.offset,
            reason: e.reason,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LoadStats::default()),
        Err(source) => Err(OpenError::Io { path: file, source }),
    }
}

/// Starts the append-only file of a just-opened engine: replays `data`
/// (the file's content, its commands from `from`) and appends to it, or
/// creates the file from the loaded dataset when there was none.
fn start_aof(
    engine: &Engine,
    data: Option<Vec<u8>>,
    from: usize,
    path: &Path,
) -> Result<(), OpenError> {
    let shared = engine.shared();
    let io = |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let Some(data) = data else {
        crate::aof::rewrite::start(shared, true)
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
        while shared.persist.running().is_some() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        return match shared.aof.active() {
            true => Ok(()),
            false => Err(io(std::io::Error::other(
                "creating the append only file failed",
            ))),
        };
    };
    let truncate = shared.config.get_bool("aof-load-truncated");
    let storage = shared.aof.storage();
    let replayed = crate::aof::load::replay(engine, &data, from, path, &**storage, truncate)?;
    // The replayed commands are no changes since the last save.
    let dirty = shared.stats.dirty.load(Ordering::Relaxed);
    shared
        .stats
        .dirty
        .fetch_add(dirty.wrapping_neg(), Ordering::Relaxed);
    if let Some(w) = replayed.warning {
        shared.persist.state().warnings.push(w);
    }
    crate::aof::resume(shared, path).map_err(io)
}

/// Loads the RDB `data` into the empty `keyspace` at Unix ms `now_ms`.
/// With `skip_expired` keys whose deadline passed are left out (a
/// snapshot, as a Redis master loads one); without (the preamble of an
/// append-only file) they are loaded as they were, since the commands
/// logged after the preamble ran against them (Redis's
/// `RDBFLAGS_AOF_PREAMBLE`): they expire once the file is replayed.
pub(crate) fn load_into(
    keyspace: &Keyspace,
    data: &[u8],
    now_ms: u64,
    skip_expired: bool,
    config: &crate::config::Config,
) -> Result<LoadStats, decode::FormatError> {
    let limits = Limits::from_config(config);
    let check = config.get_bool("rdbchecksum");
    let clock = (now_ms / 1000) as u32;
    let expire_before = if skip_expired { now_ms } else { 0 };
    decode::load(data, expire_before, &limits, check, DB_COUNT, |item| {
        let mut shard = keyspace.lock(item.db, keyspace.shard_of(&item.key));
        if shard.map.get(&item.key).is_some() {
            return Err(format!(
                "duplicate key '{}' in db {}",
                String::from_utf8_lossy(&item.key),
                item.db
            ));
        }
        let mut entry = Entry::new(item.value);
        entry.expire = item.expire;
        entry.access = clock.wrapping_sub(item.idle.unwrap_or(0) as u32);
        shard.map.insert(&item.key, entry);
        Ok(())
    })
}
