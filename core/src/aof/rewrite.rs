//! Rewriting the append-only file (BGREWRITEAOF, the growth rule, turning
//! the file on): a thread makes a snapshot cut, at which the buffer starts
//! keeping a copy of every later record (the tail), writes the snapshot as
//! an RDB preamble (or, with `aof-use-rdb-preamble no`, as the commands
//! that rebuild it) to `temp-rewriteaof-bg-<pid>.aof`, and hands it to the
//! writer, which appends the tail, fsyncs, renames it over the old file
//! and fsyncs the directory. A crash at any step leaves the old file or
//! the new one; the old one stays complete until the rename (records keep
//! going to it meanwhile), and a leftover temp file is removed at the next
//! open. Only one snapshot job runs at a time: a rewrite asked for while a
//! save runs is scheduled, and the cron starts it.

use super::writer::Switch;
use super::{Aof, lock};
use crate::engine::Shared;
use crate::persist::snapshot::{Format, Snapshot};
use crate::persist::{Job, SaveError, publish};
use std::fmt;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Why a rewrite did not start.
#[derive(Debug)]
pub enum RewriteError {
    /// A rewrite is already running.
    InProgress,
    /// The engine has no data directory.
    InMemory,
    /// `appendonly` is off: there is no file to rewrite.
    Off,
    /// The rewrite thread could not start.
    Io(io::Error),
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RewriteError::InProgress => {
                f.write_str("Background append only file rewriting already in progress")
            }
            RewriteError::InMemory => f.write_str(
                "this engine is in memory: open it on a data directory to use an append only file",
            ),
            RewriteError::Off => f.write_str(
                "appendonly is off: turn it on (CONFIG SET appendonly yes) to create the file",
            ),
            RewriteError::Io(e) => write!(
                f,
                "Can't execute an AOF background rewriting. Please check the server logs for \
                 more information. ({e})"
            ),
        }
    }
}

/// What a rewrite request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// The rewrite runs now.
    Started,
    /// It starts when the running snapshot job ends.
    Scheduled,
}

/// Asks for a rewrite. `enable`: the file is being turned on, and this
/// rewrite creates it (logging starts at its cut).
pub(crate) fn start(shared: &Shared, enable: bool) -> Result<Started, RewriteError> {
    let aof = &shared.aof;
    if aof.status().rewrite.running.is_some() {
        return Err(RewriteError::InProgress);
    }
    if !enable && !aof.active() {
        return Err(match shared.persist.dir() {
            None => RewriteError::InMemory,
            Some(_) => RewriteError::Off,
        });
    }
    let dir = match shared.persist.claim(Job::Rewrite) {
        Ok(dir) => dir,
        Err(SaveError::InMemory) => return Err(RewriteError::InMemory),
        Err(_) => {
            aof.status().rewrite.scheduled = true;
            return Ok(Started::Scheduled);
        }
    };
    let Some(me) = shared.persist.engine() else {
        shared.persist.release();
        return Err(RewriteError::InMemory);
    };
    let target = dir.join(super::file_name(&shared.config));
    {
        let mut st = aof.status();
        st.rewrite.running = Some(Instant::now());
        st.rewrite.scheduled = false;
    }
    let begun = if enable && lock(&aof.writer).is_none() {
        // Opening a directory without the file starts here, not in
        // `resume`: the policy must be set here too.
        aof.apply_policy(&shared.config);
        super::writer::start(me.aof.clone(), None, 0)
    } else {
        Ok(())
    };
    let spawned = begun.and_then(|()| {
        std::thread::Builder::new()
            .name("kvstore-aofrw".into())
            .spawn(move || run(&me, enable, &dir, &target))
    });
    match spawned {
        Ok(_) => Ok(Started::Started),
        Err(e) => {
            aof.status().rewrite.running = None;
            shared.persist.release();
            Err(RewriteError::Io(e))
        }
    }
}

/// Schedules a rewrite for the next cron tick (BGREWRITEAOF inside EXEC).
pub(crate) fn schedule(shared: &Shared) -> Result<Started, RewriteError> {
    let aof = &shared.aof;
    if aof.status().rewrite.running.is_some() {
        return Err(RewriteError::InProgress);
    }
    if !aof.active() {
        return Err(RewriteError::Off);
    }
    aof.status().rewrite.scheduled = true;
    Ok(Started::Scheduled)
}

/// The rewrite thread: writes, switches, records the outcome.
fn run(shared: &Arc<Shared>, enable: bool, dir: &Path, target: &Path) {
    let aof = &shared.aof;
    let started = Instant::now();
    let result = write(shared, enable, dir, target);
    if result.is_err() {
        lock(&aof.pending).tail = None;
        if enable {
            // The file could not be created: logging stops, and the
            // setting says so.
            super::stop(shared);
            shared.config.force("appendonly", "no");
        }
    }
    let mut st = aof.status();
    let rw = &mut st.rewrite;
    rw.running = None;
    rw.last_secs = started.elapsed().as_secs() as i64;
    rw.last_ok = result.is_ok();
    if result.is_ok() {
        rw.done += 1;
        rw.consecutive_failures = 0;
        rw.last_failure = None;
    } else {
        rw.consecutive_failures += 1;
        rw.last_failure = Some(Instant::now());
    }
    drop(st);
    // Last: whoever waits for the job (an open, a close) finds it done.
    shared.persist.release();
}

fn write(shared: &Shared, enable: bool, dir: &Path, target: &Path) -> io::Result<u64> {
    let aof: &Aof = &shared.aof;
    let temp: PathBuf = dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    let fill = shared.config.get_int("list-max-listpack-size");
    let preamble = shared.config.get_bool("aof-use-rdb-preamble");
    let format = if preamble {
        Format::Rdb
    } else {
        Format::Commands
    };
    let mut snap =
        Snapshot::begin_with(&shared.keyspace, format, fill, &shared.stats.dirty, || {
            let mut p = lock(&aof.pending);
            p.tail = Some(Vec::new());
            // The tail starts with a SELECT of its first record's db.
            p.db = None;
            if enable {
                aof.active.store(true, Ordering::Relaxed);
            }
        });
    let written = aof.storage.create(&temp).and_then(|file| {
        let now = shared.clock.now_ms() / 1000;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        // An RDB preamble, or (as Redis without one) the commands that
        // rebuild the data.
        if preamble {
            w = publish::write_rdb(&mut snap, w, now, true)?;
        } else {
            snap.write_dbs(&mut w)?;
        }
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        // The bulk of the new file is made durable here, not by the
        // writer at the switch: while the writer waits on an fsync no
        // record reaches the file, and under everysec/no the commands
        // acknowledged meanwhile are what a kill would lose.
        file.sync()?;
        Ok(file)
    });
    drop(snap);
    let file = match written {
        Ok(f) => f,
        Err(e) => {
            let _ = aof.storage.remove(&temp);
            return Err(e);
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let sw = Switch {
        file,
        temp: temp.clone(),
        target: target.to_path_buf(),
        done: tx,
    };
    match lock(&aof.writer).as_ref() {
        Some(w) => w.switch(sw),
        None => {
            let _ = aof.storage.remove(&temp);
            return Err(io::Error::other("the append only file was turned off"));
        }
    }
    rx.recv()
        .unwrap_or_else(|_| Err(io::Error::other("the AOF writer stopped")))
}
