//! Point-in-time snapshots while the engine keeps serving, without fork:
//! copy-on-write per entry.
//!
//! [`Snapshot::begin`] locks every shard at once (a few microseconds),
//! notes each db's key counts and gives every shard's [`Table`] a
//! [`Pending`]: from then on each entry of the table counts as "not yet
//! captured" (one stamp bit in its node, see the table's module doc).
//!
//! - The snapshot writer walks each table in chunks of [`CHUNK`] entries
//!   (the SCAN cursor, which survives resizes), encoding the entries not
//!   yet captured and stamping them, one short lock hold per chunk.
//! - Whoever is about to change or free an entry not yet captured first
//!   encodes its old value into the table's [`Pending`] image (every
//!   mutable access of a table goes through that one check, in
//!   `Table::find_mut`). Entries created after the cut are born stamped.
//! - A table dropped before the walk is done (FLUSHDB, FLUSHALL) encodes
//!   what is left and hands it over as an orphan image; a table moved to
//!   another db (SWAPDB) carries its `Pending` with it, and the writer
//!   finds it wherever it is.
//!
//! So the file holds every entry as it was at the cut, like Redis's forked
//! child sees it, and a command waits at most for one chunk, or for the
//! encoding of the entries it changes. LZF compression runs outside any
//! lock ([`Compress::Defer`]). The images are RDB, or the commands that
//! rebuild the data ([`Format::Commands`], a rewrite without preamble).

use super::encode::{Compress, Encoder};
use super::format::op;
use crate::keyspace::{DB_COUNT, EntryRef, Keyspace, Shard, Table};
use crate::stats::Counter;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Entries the writer visits per lock hold: 20-80 µs for small keys
/// (measured with 1 M keys), so a command never waits long behind the
/// writer; the per-chunk costs (a lock, an image to emit) stay a few
/// percent of a SAVE.
const CHUNK: usize = 256;

/// What a snapshot's images hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// RDB: the body of a snapshot file or an append-only file's preamble.
    Rdb,
    /// The commands that rebuild the data (see `persist::commands`).
    Commands,
}

/// What one snapshot shares with every table it waits for.
#[derive(Debug)]
struct Capture {
    format: Format,
    list_fill: i64,
    /// Set when the snapshot is abandoned: captures then only stamp.
    abandoned: AtomicBool,
    /// Images of tables dropped before the writer was done with them, by
    /// slot (`db * shards + shard` at the cut).
    orphans: Mutex<Vec<Option<Encoder>>>,
    /// Signalled when an orphan arrives.
    orphaned: Condvar,
}

impl Capture {
    fn orphans(&self) -> MutexGuard<'_, Vec<Option<Encoder>>> {
        self.orphans.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn image(&self) -> Encoder {
        let compress = match self.format {
            Format::Rdb => Compress::Defer(Vec::new()),
            Format::Commands => Compress::Off,
        };
        Encoder::new(compress, self.list_fill)
    }
}

/// A table's part of a snapshot in progress: the entries captured since
/// the writer last took them. It lives in the table, under its shard's
/// lock, and moves with it.
#[derive(Debug)]
pub(crate) struct Pending {
    cap: Arc<Capture>,
    /// Which db and shard the table was at the cut.
    slot: usize,
    image: Encoder,
}

impl Pending {
    /// Encodes one entry as it is now (before it changes).
    pub(crate) fn save(&mut self, key: &[u8], e: EntryRef<'_>) {
        if self.cap.abandoned.load(Ordering::Relaxed) {
            return;
        }
        match self.cap.format {
            Format::Rdb => self.image.entry(key, e),
            Format::Commands => super::commands::entry(&mut self.image.buf, key, e),
        }
    }

    /// Hands the image of a table being dropped over to the writer.
    pub(crate) fn orphan(self) {
        self.cap.orphans()[self.slot] = Some(self.image);
        self.cap.orphaned.notify_all();
    }

    /// The image so far, leaving an empty one.
    fn take(&mut self) -> Encoder {
        let fresh = self.cap.image();
        std::mem::replace(&mut self.image, fresh)
    }
}

/// One snapshot in progress over a keyspace.
pub(crate) struct Snapshot<'k> {
    ks: &'k Keyspace,
    cap: Arc<Capture>,
    shards: usize,
    /// (keys, keys with an expiry) per db at the cut.
    counts: Vec<(u64, u64)>,
    /// The change counter at the cut.
    dirty: u64,
    /// Slots below this have nothing left to capture.
    done: usize,
}

impl<'k> Snapshot<'k> {
    /// Makes the cut: every table gets its [`Pending`] while all shards
    /// are locked, and the change counter `dirty` is read then (writers
    /// count their changes while they hold their shard's lock, so the
    /// reading counts exactly the changes the snapshot holds).
    pub fn begin(ks: &'k Keyspace, list_fill: i64, dirty: &Counter) -> Snapshot<'k> {
        Snapshot::begin_with(ks, Format::Rdb, list_fill, dirty, || {})
    }

    /// [`Snapshot::begin`] in `format`, running `at_cut` while every shard
    /// is locked (the append-only file marks its own cut there).
    pub fn begin_with(
        ks: &'k Keyspace,
        format: Format,
        list_fill: i64,
        dirty: &Counter,
        at_cut: impl FnOnce(),
    ) -> Snapshot<'k> {
        let shards = ks.shard_count();
        let cap = Arc::new(Capture {
            format,
            list_fill,
            abandoned: AtomicBool::new(false),
            orphans: Mutex::new((0..DB_COUNT * shards).map(|_| None).collect()),
            orphaned: Condvar::new(),
        });
        let mut counts = vec![(0, 0); DB_COUNT];
        let mut guards = Vec::with_capacity(DB_COUNT * shards);
        for (db, count) in counts.iter_mut().enumerate() {
            for s in 0..shards {
                let mut g = ks.lock(db, s);
                count.0 += g.map.len() as u64;
                count.1 += g.map.volatile() as u64;
                g.map.begin_capture(Box::new(Pending {
                    cap: cap.clone(),
                    slot: db * shards + s,
                    image: cap.image(),
                }));
                guards.push(g);
            }
        }
        let dirty = dirty.load(Ordering::Relaxed);
        at_cut();
        drop(guards);
        Snapshot {
            ks,
            cap,
            shards,
            counts,
            dirty,
            done: 0,
        }
    }

    /// The change counter at the cut.
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// True when `t` is the table this snapshot took as `slot` at the cut.
    fn owns(&self, t: &Table, slot: usize) -> bool {
        t.pending()
            .is_some_and(|p| p.slot == slot && Arc::ptr_eq(&p.cap, &self.cap))
    }

    /// The shard now holding the table of `slot`, locked: first where it
    /// was last seen (`home`, a db), else in any db (SWAPDB moves tables
    /// between dbs). None when it is nowhere, being dropped.
    fn find(&self, slot: usize, home: &mut usize) -> Option<MutexGuard<'k, Shard>> {
        let s = slot % self.shards;
        let g = self.ks.lock(*home, s);
        if self.owns(&g.map, slot) {
            return Some(g);
        }
        drop(g);
        for db in 0..DB_COUNT {
            let g = self.ks.lock(db, s);
            if self.owns(&g.map, slot) {
                *home = db;
                return Some(g);
            }
        }
        None
    }

    /// Captures the rest of the table of `slot` chunk by chunk, giving
    /// each chunk's image to `emit` once the shard is released. The slot
    /// counts as done (`self.done`) once its table has nothing left, even
    /// if `emit` then fails.
    fn drain(
        &mut self,
        slot: usize,
        mut emit: impl FnMut(Encoder) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut home = slot / self.shards;
        let mut cursor = 0;
        loop {
            let Some(mut g) = self.find(slot, &mut home) else {
                // Not in the keyspace: dropped (its image arrives as an
                // orphan) or between two shards in a SWAPDB (then the
                // next search finds it).
                let mut orphans = self.cap.orphans();
                if let Some(img) = orphans[slot].take() {
                    drop(orphans);
                    self.done = slot + 1;
                    return emit(img);
                }
                drop(
                    self.cap
                        .orphaned
                        .wait_timeout(orphans, Duration::from_millis(1))
                        .unwrap_or_else(PoisonError::into_inner),
                );
                continue;
            };
            cursor = g.map.capture_chunk(cursor, CHUNK);
            let img = if cursor == 0 {
                self.done = slot + 1;
                g.map.end_capture().map(|mut p| p.take())
            } else {
                g.map.pending_mut().map(Pending::take)
            };
            drop(g);
            self.ks.let_waiters_in(home, slot % self.shards);
            if let Some(img) = img {
                emit(img)?;
            }
            if cursor == 0 {
                return Ok(());
            }
        }
    }

    /// Writes every non-empty db (`SELECTDB`, `RESIZEDB`, its keys; or
    /// `SELECT`, its keys' commands) to `w`.
    pub fn write_dbs(&mut self, w: &mut impl Write) -> io::Result<()> {
        for db in 0..DB_COUNT {
            let (keys, expires) = self.counts[db];
            if keys > 0 {
                let mut head = Encoder::new(Compress::Off, 0);
                match self.cap.format {
                    Format::Rdb => {
                        head.byte(op::SELECTDB);
                        head.len(db as u64);
                        head.byte(op::RESIZEDB);
                        head.len(keys);
                        head.len(expires);
                    }
                    Format::Commands => super::commands::select(&mut head.buf, db),
                }
                w.write_all(&head.buf)?;
            }
            for s in 0..self.shards {
                self.drain(db * self.shards + s, |img| img.emit(w))?;
            }
        }
        Ok(())
    }
}

impl Drop for Snapshot<'_> {
    /// A snapshot abandoned midway (an I/O error) still walks the tables
    /// it has not finished, stamping without encoding: every entry then
    /// carries its table's stamp again, as the next cut needs, and no
    /// table keeps a `Pending` that would cost its commands a check.
    fn drop(&mut self) {
        self.cap.abandoned.store(true, Ordering::Relaxed);
        for slot in self.done..DB_COUNT * self.shards {
            let drained = self.drain(slot, |_| Ok(()));
            debug_assert!(drained.is_ok(), "discarding cannot fail");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{load_into, publish};
    use super::*;
    use crate::config::Config;
    use std::collections::BTreeMap;

    /// A writer that fails once `left` bytes are written (a full disk).
    struct FailAfter {
        left: usize,
    }

    impl Write for FailAfter {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.left = self
                .left
                .checked_sub(b.len())
                .ok_or_else(|| io::Error::other("disk full"))?;
            Ok(b.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn set(ks: &Keyspace, db: usize, key: &str, value: &str) {
        let key = key.as_bytes();
        ks.lock(db, ks.shard_of(key))
            .map
            .set_str(key, value.as_bytes(), 0);
    }

    /// Every (db, key) → string value.
    fn contents(ks: &Keyspace) -> BTreeMap<(usize, Vec<u8>), Vec<u8>> {
        let mut out = BTreeMap::new();
        for db in 0..DB_COUNT {
            for s in 0..ks.shard_count() {
                for (k, e) in ks.lock(db, s).map.iter() {
                    let v = e.value().as_str().unwrap().to_vec();
                    out.insert((db, k.to_vec()), v);
                }
            }
        }
        out
    }

    /// The RDB bytes of a complete snapshot of `ks`.
    fn dump(ks: &Keyspace) -> Vec<u8> {
        let mut snap = Snapshot::begin(ks, -2, &Counter::default());
        publish::write_rdb(&mut snap, Vec::new(), 0, false).unwrap()
    }

    fn load(data: &[u8], shards: usize) -> Keyspace {
        let ks = Keyspace::new(shards);
        load_into(&ks, data, 0, false, &Config::default()).unwrap();
        ks
    }

    /// A snapshot failing midway still stamps every entry and leaves no
    /// table waiting, so the next snapshot is whole (without the stamps,
    /// the entries it never reached would look captured to the next one).
    #[test]
    fn an_abandoned_snapshot_leaves_the_tables_ready_for_the_next() {
        let ks = Keyspace::new(4);
        for i in 0..20_000 {
            set(&ks, i % 3, &format!("k{i}"), "old");
        }
        let mut snap = Snapshot::begin(&ks, -2, &Counter::default());
        for i in (0..20_000).step_by(7) {
            set(&ks, i % 3, &format!("k{i}"), "new");
        }
        let failed = publish::write_rdb(&mut snap, FailAfter { left: 50_000 }, 0, false);
        assert!(failed.is_err());
        drop(snap);
        for db in 0..DB_COUNT {
            for s in 0..ks.shard_count() {
                assert!(ks.lock(db, s).map.pending().is_none(), "{db}/{s}");
            }
        }
        assert_eq!(contents(&load(&dump(&ks), 4)), contents(&ks));
    }

    /// Changes after the cut, including whole tables dropped and new keys,
    /// stay out of the file; every key of the cut is in it exactly once.
    #[test]
    fn the_file_is_the_cut_whatever_changes_after_it() {
        let ks = Keyspace::new(2);
        for i in 0..5_000 {
            set(&ks, i % 2, &format!("k{i}"), &format!("v{i}"));
        }
        let at_cut = contents(&ks);
        let mut snap = Snapshot::begin(&ks, -2, &Counter::default());
        for i in (0..5_000).step_by(3) {
            set(&ks, i % 2, &format!("k{i}"), "changed");
            set(&ks, 1, &format!("new{i}"), "x");
            let key = format!("k{}", i + 1);
            ks.lock(0, ks.shard_of(key.as_bytes()))
                .map
                .delete(key.as_bytes());
        }
        // Db 1's first table goes away whole (as FLUSHDB drops it).
        drop(std::mem::take(&mut ks.lock(1, 0).map));
        let file = publish::write_rdb(&mut snap, Vec::new(), 0, false).unwrap();
        drop(snap);
        assert_eq!(contents(&load(&file, 2)), at_cut);
    }
}
