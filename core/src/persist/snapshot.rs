//! Point-in-time snapshots while the engine keeps serving, without fork.
//!
//! [`Snapshot::begin`] locks every shard at once (a few microseconds),
//! notes each db's key counts and marks every shard "to capture". From
//! then on the first lock of a marked shard, by anyone, encodes its
//! entries before handing it out (the hook in `Keyspace::lock`): a writer
//! therefore always meets the shard as it was at the cut, so the file is
//! one consistent instant, like Redis's forked child sees. The snapshot
//! writer visits the shards in order, capturing the ones nobody touched,
//! and writes each image outside any lock (LZF runs there too: the
//! capture defers it). A command stalls at most for the encoding of the
//! shards it locks, once. The images are RDB, or the commands that
//! rebuild the data ([`Format::Commands`], a rewrite without preamble).

use super::encode::{Compress, Encoder};
use super::format::op;
use crate::keyspace::{DB_COUNT, Keyspace, Shard};
use crate::stats::Counter;
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

/// What a snapshot's images hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// RDB: the body of a snapshot file or an append-only file's preamble.
    Rdb,
    /// The commands that rebuild the data (see `persist::commands`).
    Commands,
}

/// The shared part of one snapshot: where captured shard images go.
#[derive(Debug)]
pub struct Capture {
    format: Format,
    list_fill: i64,
    shards: usize,
    images: Vec<Mutex<Option<Encoder>>>,
}

impl Capture {
    fn slot(&self, db: usize, idx: usize) -> &Mutex<Option<Encoder>> {
        &self.images[db * self.shards + idx]
    }
}

/// Encodes shard `idx` of `db` into its snapshot's image if the shard
/// still waits to be captured. Called with the shard locked.
pub(crate) fn capture(shard: &mut Shard, db: usize, idx: usize) {
    let Some(cap) = shard.capture.take() else {
        return;
    };
    let mut e = match cap.format {
        Format::Rdb => Encoder::new(Compress::Defer(Vec::new()), cap.list_fill),
        Format::Commands => Encoder::new(Compress::Off, cap.list_fill),
    };
    // Small keys take about 32 bytes each: one allocation, no regrowth.
    e.buf.reserve(shard.map.len() * 32);
    for (key, entry) in shard.map.iter() {
        match cap.format {
            Format::Rdb => e.entry(key, entry),
            Format::Commands => super::commands::entry(&mut e.buf, key, entry),
        }
    }
    *cap.slot(db, idx)
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(e);
}

/// One snapshot in progress over a keyspace.
pub(crate) struct Snapshot<'k> {
    ks: &'k Keyspace,
    cap: Arc<Capture>,
    /// (keys, keys with an expiry) per db at the cut.
    counts: Vec<(u64, u64)>,
    /// The change counter at the cut.
    dirty: u64,
    /// Shards below this flat index are written (or drained).
    done: usize,
}

impl<'k> Snapshot<'k> {
    /// Makes the cut: every shard is marked for capture while all are
    /// locked, and the change counter `dirty` is read then (writers count
    /// their changes while they hold their shard's lock, so the reading
    /// counts exactly the changes the snapshot holds).
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
            shards,
            images: (0..DB_COUNT * shards).map(|_| Mutex::new(None)).collect(),
        });
        let mut counts = vec![(0, 0); DB_COUNT];
        let mut guards = Vec::with_capacity(DB_COUNT * shards);
        for (db, count) in counts.iter_mut().enumerate() {
            for s in 0..shards {
                let mut g = ks.lock_raw(db, s);
                count.0 += g.map.len() as u64;
                count.1 += g.map.volatile() as u64;
                g.capture = Some(cap.clone());
                guards.push(g);
            }
        }
        let dirty = dirty.load(Ordering::Relaxed);
        at_cut();
        drop(guards);
        Snapshot {
            ks,
            cap,
            counts,
            dirty,
            done: 0,
        }
    }

    /// The change counter at the cut.
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// The image of shard `s` of `db`, capturing it now if nobody did.
    fn image(&mut self, db: usize, s: usize) -> Option<Encoder> {
        drop(self.ks.lock(db, s));
        self.done = db * self.cap.shards + s + 1;
        self.cap
            .slot(db, s)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
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
            for s in 0..self.cap.shards {
                if let Some(img) = self.image(db, s) {
                    img.emit(w)?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for Snapshot<'_> {
    /// A snapshot abandoned midway (an I/O error) unmarks the shards not
    /// yet captured, so nobody encodes them for nothing.
    fn drop(&mut self) {
        for i in self.done..DB_COUNT * self.cap.shards {
            let (db, s) = (i / self.cap.shards, i % self.cap.shards);
            let mut g = self.ks.lock_raw(db, s);
            if g.capture
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(c, &self.cap))
            {
                g.capture = None;
            }
        }
    }
}
