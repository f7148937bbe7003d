//! The writer: moves the records commands buffered to the file, fsyncs
//! per `appendfsync`, and swaps in a rewritten file when a rewrite asks it
//! to. Its state (the open file) sits behind one mutex: the writer thread
//! works it under `everysec`/`no`; under `always` the threads whose
//! replies wait do the write and fsync themselves (see [`Flusher::flush`]),
//! sparing two thread hand-offs per group commit.

use super::{Aof, Fsync, lock};
use crate::persist::storage::StorageFile;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

/// Pause after a write under `everysec`/`no`, so that records gather into
/// batches instead of one write(2) each.
const BATCH_PAUSE: Duration = Duration::from_millis(1);
/// Pause before retrying a failed write.
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// Attempts at writing the buffer when stopping (a transient error should
/// not lose what `everysec`/`no` acknowledged), and the pause between.
const STOP_ATTEMPTS: u32 = 3;
const STOP_RETRY_PAUSE: Duration = Duration::from_millis(10);

/// A rewritten file, ready to replace the current one.
#[derive(Debug)]
pub(crate) struct Switch {
    /// The temp file, holding the preamble (already synced).
    pub file: Box<dyn StorageFile>,
    pub temp: PathBuf,
    pub target: PathBuf,
    /// Where the outcome goes (the new file's size).
    pub done: Sender<io::Result<u64>>,
}

#[derive(Debug, Default)]
struct Control {
    stop: bool,
    switch: Option<Switch>,
}

/// The running writer.
#[derive(Debug)]
pub(crate) struct Writer {
    thread: Thread,
    join: JoinHandle<()>,
    control: Arc<Mutex<Control>>,
    state: Arc<Mutex<State>>,
}

/// The writer's state, for a thread that flushes in its place.
#[derive(Debug, Clone)]
pub(crate) struct Flusher(Arc<Mutex<State>>);

impl Flusher {
    /// Writes and fsyncs every record buffered now (the `always` group
    /// commit, run by a waiting thread). Does nothing while an fsync
    /// failure is unhealed: that file takes no more records.
    pub(crate) fn flush(&self) {
        let mut st = lock(&self.0);
        if st.aof.status().fsync_error.is_none() && st.write_batch().is_ok() {
            st.sync();
        }
    }
}

impl Writer {
    pub(crate) fn wake(&self) {
        self.thread.unpark();
    }

    /// A handle to flush in the writer's place.
    pub(crate) fn flusher(&self) -> Flusher {
        Flusher(self.state.clone())
    }

    /// Hands `sw` to the writer.
    pub(crate) fn switch(&self, sw: Switch) {
        lock(&self.control).switch = Some(sw);
        self.wake();
    }

    /// Writes and fsyncs what is buffered, then ends the thread.
    pub(crate) fn stop(self) {
        lock(&self.control).stop = true;
        self.wake();
        let _ = self.join.join();
    }
}

/// Starts the writer of `aof` over `file` (`None` while the file is being
/// created by a first rewrite), whose length is `len`.
pub(crate) fn start(aof: Arc<Aof>, file: Option<Box<dyn StorageFile>>, len: u64) -> io::Result<()> {
    let control = Arc::new(Mutex::new(Control::default()));
    let state = Arc::new(Mutex::new(State {
        aof: aof.clone(),
        file,
        len,
        last_sync: Instant::now(),
        background: None,
        spare: Vec::new(),
        torn: false,
    }));
    let join = std::thread::Builder::new()
        .name("kvstore-aof".into())
        .spawn({
            let (state, control, aof) = (state.clone(), control.clone(), aof.clone());
            move || run(&state, &control, &aof)
        })?;
    let w = Writer {
        thread: join.thread().clone(),
        join,
        control,
        state,
    };
    *lock(&aof.writer) = Some(w);
    Ok(())
}

#[derive(Debug)]
struct State {
    aof: Arc<Aof>,
    file: Option<Box<dyn StorageFile>>,
    /// The file's length (to undo a partial write).
    len: u64,
    /// When the last fsync began.
    last_sync: Instant,
    /// An everysec fsync running on its own thread, and the offset it
    /// covers: the writer goes on writing meanwhile, so a slow disk does
    /// not hold records in memory (where a crash of the process would
    /// lose them) while it syncs.
    background: Option<(JoinHandle<io::Result<()>>, u64)>,
    /// The previous batch's buffer, reused for the next one.
    spare: Vec<u8>,
    /// A failed write left part of a batch after `len` and cutting it
    /// off failed too: it is cut before anything else is written.
    torn: bool,
}

/// The writer thread's loop. The state is locked for each step and
/// released while the thread waits.
fn run(state: &Mutex<State>, control: &Mutex<Control>, aof: &Aof) {
    let mut stop_attempts = 0;
    loop {
        let (stop, switch) = {
            let mut c = lock(control);
            (c.stop, c.switch.take())
        };
        let mut st = lock(state);
        if let Some(sw) = switch {
            st.switch(sw);
        }
        if aof.status().fsync_error.is_some() {
            // After a failed fsync the file is not trusted (the kernel
            // may have dropped the pages, and a later fsync would not
            // say so): nothing more is written or synced to it, so a
            // power loss leaves a clean prefix, never records after a
            // hole. The records wait in the buffer for the rewrite
            // that heals this, which writes them to a new file.
            drop(st);
            if stop {
                return;
            }
            std::thread::park_timeout(RETRY_PAUSE);
            continue;
        }
        let wrote = st.write_batch();
        let policy = aof.policy();
        st.reap_sync(false);
        if policy == Fsync::Always || stop {
            st.sync();
        } else if policy == Fsync::Everysec && st.last_sync.elapsed() >= Duration::from_secs(1) {
            st.start_sync();
        }
        let last_sync = st.last_sync;
        drop(st);
        match wrote {
            Err(()) if !stop => std::thread::park_timeout(RETRY_PAUSE),
            Err(()) if stop_attempts + 1 < STOP_ATTEMPTS => {
                stop_attempts += 1;
                std::thread::sleep(STOP_RETRY_PAUSE);
            }
            Err(()) => return,
            Ok(false) if stop => return,
            // Under `always` the waiting threads flush; this thread only
            // looks now and then for records nobody waits for.
            Ok(_) if policy == Fsync::Always => std::thread::park_timeout(Duration::from_secs(1)),
            Ok(false) => idle(aof, policy, last_sync),
            Ok(true) => std::thread::park_timeout(BATCH_PAUSE),
        }
    }
}

/// Parks until records arrive (or the next everysec fsync is due).
fn idle(aof: &Aof, policy: Fsync, last_sync: Instant) {
    aof.writer_idle.store(true, Ordering::SeqCst);
    // A record appended before the flag was visible found the writer
    // busy and did not wake it: look once more.
    if lock(&aof.pending).buf.is_empty() {
        let wait = match policy {
            Fsync::Everysec => Duration::from_secs(1).saturating_sub(last_sync.elapsed()),
            _ => Duration::from_secs(1),
        };
        std::thread::park_timeout(wait.max(Duration::from_millis(1)));
    }
    aof.writer_idle.store(false, Ordering::SeqCst);
}

impl State {
    /// Takes the buffered records and writes them to the file. `Ok(false)`:
    /// nothing was buffered; `Err`: the write failed (the records are
    /// back in the buffer, the file as it was).
    fn write_batch(&mut self) -> Result<bool, ()> {
        let (batch, end) = {
            let mut p = lock(&self.aof.pending);
            if p.buf.is_empty() {
                return Ok(false);
            }
            self.spare.clear();
            (
                std::mem::replace(&mut p.buf, std::mem::take(&mut self.spare)),
                p.appended,
            )
        };
        self.write_out(batch, end)
    }

    fn write_out(&mut self, batch: Vec<u8>, end: u64) -> Result<bool, ()> {
        let result = match &mut self.file {
            Some(f) => {
                let cut = match self.torn {
                    true => f.truncate(self.len),
                    false => Ok(()),
                };
                cut.and_then(|()| f.write_all(&batch))
                    .and_then(|()| f.flush())
            }
            // The file is being created: the rewrite's tail holds these.
            None => Ok(()),
        };
        match result {
            Ok(()) => {
                self.torn = false;
                if self.file.is_some() {
                    self.len += batch.len() as u64;
                }
                let mut st = self.aof.status();
                st.written = end;
                st.size = self.len;
                st.write_error = None;
                if self.aof.policy() == Fsync::No && self.file.is_some() {
                    // Nothing waits for an fsync under `no`.
                    st.synced = st.synced.max(end);
                }
                self.aof.notify(st);
                self.spare = batch;
                Ok(true)
            }
            Err(e) => {
                // Undo a partial write (or remember to), and keep the
                // records for a retry: the file never keeps half a record.
                if let Some(f) = &mut self.file {
                    self.torn = f.truncate(self.len).is_err();
                }
                self.requeue(batch);
                self.aof.failed(self.aof.status(), false, &e);
                Err(())
            }
        }
    }

    /// Puts records taken from the buffer back in front of it.
    fn requeue(&self, batch: Vec<u8>) {
        let mut p = lock(&self.aof.pending);
        let newer = std::mem::replace(&mut p.buf, batch);
        p.buf.extend_from_slice(&newer);
    }

    /// Fsyncs what was written, if anything is not yet durable.
    fn sync(&mut self) {
        self.reap_sync(true);
        let Some(written) = self.unsynced() else {
            return;
        };
        let Some(f) = &mut self.file else { return };
        self.last_sync = Instant::now();
        let result = f.sync();
        self.synced(result, written);
    }

    /// The offset written and not yet durable, if any.
    fn unsynced(&self) -> Option<u64> {
        let st = self.aof.status();
        (st.synced < st.written).then_some(st.written)
    }

    /// Starts an fsync of what was written on a thread of its own (the
    /// everysec fsync), unless one runs.
    fn start_sync(&mut self) {
        if self.background.is_some() {
            return;
        }
        let (Some(written), Some(f)) = (self.unsynced(), &self.file) else {
            return;
        };
        self.last_sync = Instant::now();
        let started = f.syncer().and_then(|job| {
            std::thread::Builder::new()
                .name("kvstore-aof-fsync".into())
                .spawn(job)
        });
        match started {
            Ok(join) => {
                self.background = Some((join, written));
                self.aof.status().background_sync = true;
            }
            Err(e) => self.synced(Err(e), written),
        }
    }

    /// Takes the outcome of the background fsync if it ended (or, with
    /// `wait`, once it ends).
    fn reap_sync(&mut self, wait: bool) {
        let Some((join, upto)) = self
            .background
            .take_if(|(join, _)| wait || join.is_finished())
        else {
            return;
        };
        let result = join
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the fsync thread panicked")));
        self.synced(result, upto);
    }

    /// Records the outcome of an fsync that covered the stream up to `upto`.
    fn synced(&self, result: io::Result<()>, upto: u64) {
        let mut st = self.aof.status();
        st.background_sync = self.background.is_some();
        match result {
            Ok(()) => {
                st.synced = st.synced.max(upto);
                self.aof.notify(st);
            }
            // Never retried and then trusted: only a rewrite heals this.
            Err(e) => self.aof.failed(st, true, &e),
        }
    }

    /// Replaces the file by the rewritten one: the records buffered now go
    /// to the old file (which stays complete if anything below fails) and
    /// the rewrite's tail (every record since its cut) to the new one,
    /// which is fsynced and renamed over the old. After a failed fsync
    /// the old file takes nothing more: the records are kept aside and
    /// go back to the buffer if the new file does not replace it (the new
    /// file holds them all: those before the cut in its snapshot).
    fn switch(&mut self, sw: Switch) {
        // The old file's fsync in flight decides whether it is trusted.
        self.reap_sync(true);
        let (batch, tail, end) = {
            let mut p = lock(&self.aof.pending);
            let tail = p.tail.take().unwrap_or_default();
            (std::mem::take(&mut p.buf), tail, p.appended)
        };
        let trusted = self.aof.status().fsync_error.is_none();
        let mut aside = None;
        let outcome = if batch.is_empty() {
            self.install(sw.file, &tail, end, &sw.temp, &sw.target)
        } else if !trusted {
            aside = Some(batch);
            self.install(sw.file, &tail, end, &sw.temp, &sw.target)
        } else if self.write_out(batch, end).is_err() {
            Err(io::Error::other("writing the current AOF failed"))
        } else {
            self.install(sw.file, &tail, end, &sw.temp, &sw.target)
        };
        if outcome.is_err() {
            let _ = self.aof.storage.remove(&sw.temp);
            if let Some(batch) = aside {
                self.requeue(batch);
            }
        }
        let _ = sw.done.send(outcome);
    }

    fn install(
        &mut self,
        mut file: Box<dyn StorageFile>,
        tail: &[u8],
        end: u64,
        temp: &std::path::Path,
        target: &std::path::Path,
    ) -> io::Result<u64> {
        let storage = self.aof.storage.clone();
        file.write_all(tail)?;
        file.flush()?;
        file.sync()?;
        let len = file.size()?;
        storage.rename(temp, target)?;
        // Renamed: from here on the new file is the file, even if the
        // directory's fsync fails (that failure then counts as an fsync's).
        self.file = Some(file);
        self.len = len;
        self.torn = false;
        self.last_sync = Instant::now();
        let dir_synced = storage.sync_dir(target.parent().unwrap_or(std::path::Path::new(".")));
        let mut st = self.aof.status();
        st.written = end;
        st.size = len;
        st.base_size = len;
        match &dir_synced {
            Ok(()) => {
                // Everything is durable in the new file: every error healed.
                st.synced = end;
                st.fsync_error = None;
                st.write_error = None;
                self.aof.notify(st);
            }
            Err(e) => self.aof.failed(st, true, e),
        }
        dir_synced.map(|()| len)
    }
}
