//! A simulated disk behind the engine's `Storage` trait: what a power loss
//! keeps and what it drops, and injected I/O errors.
//!
//! One directory is modelled (files are named by their last path
//! component). Each file (an inode) has a `live` image (what reads see)
//! and a `durable` one (what survives a power loss); `sync` applies the
//! writes made since the last sync to the durable image. Directory entries
//! (create, rename, remove) change the live directory at once and the
//! durable one only at `sync_dir`.
//!
//! - Crash images ([`Image`]): the disk is captured just before each
//!   operation of the kinds asked for, and [`Image::damaged`] builds the
//!   files a power loss at that moment could leave: the durable state plus
//!   a [`Damage`] of the unsynced part.
//! - A failed `sync` loses the writes it covered (Linux marks the pages
//!   clean after a writeback error): they stay in the live image but never
//!   reach the durable one, as in the "fsyncgate" reports.
//! - Faults ([`Fault`]): the n-th operation (of a kind, on a file, or any)
//!   fails with an errno, once or from then on; a write fault can first
//!   write part of the buffer (a short write).
//! - A logical clock ([`SimDisk::now`]) orders test events against disk
//!   events; every operation ticks it.

use kvstore_core::persist::storage::{Storage, StorageFile, SyncJob};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The kinds of operation the disk counts, fails and captures at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `open_append` or `create`.
    Open,
    Read,
    Write,
    Sync,
    SyncDir,
    Rename,
    Remove,
    Truncate,
    List,
}

/// An injected I/O error.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The kind of operation counted (`None`: every kind).
    pub op: Option<Op>,
    /// Only operations on files whose name starts with this.
    pub file: Option<&'static str>,
    /// The matching operation that fails first (1-based).
    pub nth: u64,
    /// The OS error returned.
    pub errno: i32,
    /// Every later matching operation fails too (else only the n-th).
    pub forever: bool,
    /// A failing write first writes half its buffer (a short write), and
    /// the error comes with the call for the rest.
    pub short: bool,
}

/// What a power loss does to the writes not yet synced. Every damage but
/// `DropUnsynced` also keeps a random prefix of the directory changes
/// not yet synced (a metadata journal commits them in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Damage {
    /// All of them are lost, and the directory changes too.
    DropUnsynced,
    /// A random subset reached the disk (a lost one inside the kept
    /// region reads as zeros).
    Reorder,
    /// All but the last reached the disk; the last is torn at a random
    /// byte or at a 512-byte boundary of the file.
    Tear,
    /// The file grew but the new region is zeros.
    Zeros,
}

impl Damage {
    /// Every kind, for cycling seeds through them.
    pub const ALL: [Damage; 4] = [
        Damage::DropUnsynced,
        Damage::Reorder,
        Damage::Tear,
        Damage::Zeros,
    ];
}

/// A file's identity (it keeps it across renames).
pub type Ino = u64;

#[derive(Debug, Clone)]
enum Change {
    Write { at: usize, data: Arc<[u8]> },
    Truncate(usize),
}

impl Change {
    fn apply(&self, to: &mut Vec<u8>) {
        match self {
            Change::Write { at, data } => {
                if to.len() < at + data.len() {
                    to.resize(at + data.len(), 0);
                }
                to[*at..at + data.len()].copy_from_slice(data);
            }
            Change::Truncate(len) => to.resize(*len, 0),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Inode {
    live: Vec<u8>,
    durable: Arc<Vec<u8>>,
    /// Changes since the last sync, in order.
    unsynced: Vec<Change>,
    /// The next write fails with this errno (the rest of a short write).
    fail_next_write: Option<i32>,
}

#[derive(Debug, Clone)]
enum DirChange {
    Link(String, Ino),
    Rename(String, String),
    Unlink(String),
}

impl DirChange {
    fn apply(&self, dir: &mut BTreeMap<String, Ino>) {
        match self {
            DirChange::Link(name, ino) => {
                dir.insert(name.clone(), *ino);
            }
            DirChange::Rename(from, to) => {
                if let Some(ino) = dir.remove(from) {
                    dir.insert(to.clone(), ino);
                }
            }
            DirChange::Unlink(name) => {
                dir.remove(name);
            }
        }
    }
}

/// A completed `sync` of a file.
#[derive(Debug, Clone, Copy)]
pub struct SyncEvent {
    /// The file.
    pub ino: Ino,
    /// The clock reading when it returned.
    pub end: u64,
    /// The durable length after it.
    pub len: usize,
}

#[derive(Debug)]
struct Armed {
    fault: Fault,
    seen: u64,
}

#[derive(Debug, Default)]
struct Disk {
    inodes: HashMap<Ino, Inode>,
    next_ino: Ino,
    live_dir: BTreeMap<String, Ino>,
    durable_dir: BTreeMap<String, Ino>,
    /// Directory changes since the last `sync_dir`, in order.
    dir_changes: Vec<DirChange>,
    faults: Vec<Armed>,
    /// Every operation so far, in order.
    trace: Vec<Op>,
    failed: u64,
    capture: Vec<Op>,
    /// Capture one matching operation in this many.
    capture_every: u64,
    capture_seen: u64,
    images: Vec<Image>,
    syncs: Vec<SyncEvent>,
    /// Each sync sleeps a random time in this range (ms).
    sync_delay: Option<(u64, u64)>,
    rng: Option<SmallRng>,
}

#[derive(Debug, Default)]
struct Inner {
    disk: Mutex<Disk>,
    clock: AtomicU64,
    handles: AtomicUsize,
}

/// The simulated disk (cheap to clone: clones share it).
#[derive(Debug, Clone, Default)]
pub struct SimDisk(Arc<Inner>);

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{name}: no such file"))
}

impl SimDisk {
    /// An empty disk.
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    /// A disk holding `files` (name, content), all durable (the state
    /// after a reboot).
    pub fn with_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> SimDisk {
        let disk = SimDisk::new();
        {
            let mut d = disk.lock();
            for (name, data) in files {
                let ino = d.new_inode();
                let node = d.inodes.get_mut(&ino).expect("new inode");
                node.durable = Arc::new(data.clone());
                node.live = data;
                d.live_dir.insert(name, ino);
            }
            d.durable_dir = d.live_dir.clone();
        }
        disk
    }

    fn lock(&self) -> MutexGuard<'_, Disk> {
        self.0.disk.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads and ticks the clock.
    pub fn now(&self) -> u64 {
        self.0.clock.fetch_add(1, Ordering::SeqCst)
    }

    /// Adds a fault (faults are matched independently).
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(Armed { fault, seen: 0 });
    }

    /// Removes every fault (the disk recovered).
    pub fn heal(&self) {
        self.lock().faults.clear();
    }

    /// Captures a crash image before one in `every` operations of the
    /// kinds `ops`.
    pub fn capture_at(&self, ops: &[Op], every: u64) {
        let mut d = self.lock();
        d.capture = ops.to_vec();
        d.capture_every = every.max(1);
    }

    /// The images captured so far (taken out of the disk).
    pub fn take_images(&self) -> Vec<Image> {
        std::mem::take(&mut self.lock().images)
    }

    /// A crash image of the disk as it is now.
    pub fn image_now(&self) -> Image {
        let time = self.now();
        self.lock().image(time, None)
    }

    /// Makes every sync sleep a random time in `[min_ms, max_ms]`.
    pub fn slow_syncs(&self, min_ms: u64, max_ms: u64, seed: u64) {
        let mut d = self.lock();
        d.sync_delay = Some((min_ms, max_ms));
        d.rng = Some(SmallRng::seed_from_u64(seed));
    }

    /// The successful syncs so far.
    pub fn syncs(&self) -> Vec<SyncEvent> {
        self.lock().syncs.clone()
    }

    /// The kinds of the operations so far, in order (failed ones
    /// included).
    pub fn trace(&self) -> Vec<Op> {
        self.lock().trace.clone()
    }

    /// Operations that failed by a fault.
    pub fn failed(&self) -> u64 {
        self.lock().failed
    }

    /// Waits (at most 2 s) until no engine uses the disk: no file is
    /// open and nothing else holds the disk (every thread of an engine
    /// holds its state, which holds the storage); panics naming `what`
    /// when something leaked.
    pub fn assert_released(&self, what: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        loop {
            let handles = self.0.handles.load(Ordering::SeqCst);
            let holders = Arc::strong_count(&self.0) - 1;
            if handles == 0 && holders == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: {handles} files open and {holders} holders of the disk after close"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The live files, by name.
    pub fn live_files(&self) -> BTreeMap<String, Vec<u8>> {
        let d = self.lock();
        d.live_dir
            .iter()
            .map(|(n, ino)| (n.clone(), d.inodes[ino].live.clone()))
            .collect()
    }

    /// The length of live file `name` (0 when missing).
    pub fn live_len(&self, name: &str) -> usize {
        let d = self.lock();
        d.live_dir
            .get(name)
            .map_or(0, |ino| d.inodes[ino].live.len())
    }

    /// The inode `name` has in the live directory.
    pub fn live_ino(&self, name: &str) -> Option<Ino> {
        self.lock().live_dir.get(name).copied()
    }

    /// Counts operation `op` on `name`, applies the faults and captures
    /// an image when asked; the errno of a fault that fires, with whether
    /// it asks for a short write.
    fn begin(&self, op: Op, name: &str) -> Result<(), (i32, bool)> {
        let time = self.now();
        let mut d = self.lock();
        d.trace.push(op);
        if d.capture.contains(&op) {
            d.capture_seen += 1;
            if d.capture_seen % d.capture_every == 0 {
                let image = d.image(time, Some(op));
                d.images.push(image);
            }
        }
        let mut fired = None;
        for armed in &mut d.faults {
            let f = &armed.fault;
            if f.op.is_some_and(|o| o != op) || f.file.is_some_and(|p| !name.starts_with(p)) {
                continue;
            }
            armed.seen += 1;
            if armed.seen == f.nth || (f.forever && armed.seen > f.nth) {
                fired.get_or_insert((f.errno, f.short));
            }
        }
        if fired.is_some() {
            d.failed += 1;
        }
        fired.map_or(Ok(()), Err)
    }

    fn check(&self, op: Op, name: &str) -> io::Result<()> {
        self.begin(op, name)
            .map_err(|(errno, _)| io::Error::from_raw_os_error(errno))
    }

    fn open(&self, path: &Path, replace: bool) -> io::Result<Box<dyn StorageFile>> {
        let name = name_of(path);
        self.check(Op::Open, &name)?;
        let ino = {
            let mut d = self.lock();
            match d.live_dir.get(&name) {
                Some(&ino) if !replace => ino,
                _ => {
                    let ino = d.new_inode();
                    d.link(&name, ino);
                    ino
                }
            }
        };
        self.0.handles.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(SimFile {
            disk: self.clone(),
            ino,
        }))
    }
}

impl Disk {
    fn new_inode(&mut self) -> Ino {
        self.next_ino += 1;
        self.inodes.insert(self.next_ino, Inode::default());
        self.next_ino
    }

    fn link(&mut self, name: &str, ino: Ino) {
        let change = DirChange::Link(name.to_string(), ino);
        change.apply(&mut self.live_dir);
        self.dir_changes.push(change);
    }

    /// The current name of `ino` (for fault filters).
    fn name(&self, ino: Ino) -> String {
        self.live_dir
            .iter()
            .find(|(_, i)| **i == ino)
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    }

    fn image(&self, time: u64, op: Option<Op>) -> Image {
        let mut inos: Vec<Ino> = self.durable_dir.values().copied().collect();
        inos.extend(self.dir_changes.iter().filter_map(|c| match c {
            DirChange::Link(_, ino) => Some(*ino),
            _ => None,
        }));
        let files = inos
            .into_iter()
            .map(|ino| {
                let node = &self.inodes[&ino];
                (ino, (node.durable.clone(), node.unsynced.clone()))
            })
            .collect();
        Image {
            time,
            op,
            files,
            durable_dir: self.durable_dir.clone(),
            dir_changes: self.dir_changes.clone(),
        }
    }
}

impl Storage for SimDisk {
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn StorageFile>> {
        self.open(path, false)
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn StorageFile>> {
        self.open(path, true)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let name = name_of(path);
        self.check(Op::Read, &name)?;
        let d = self.lock();
        let ino = d.live_dir.get(&name).ok_or_else(|| not_found(&name))?;
        Ok(d.inodes[ino].live.clone())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let (from, to) = (name_of(from), name_of(to));
        self.check(Op::Rename, &from)?;
        let mut d = self.lock();
        if !d.live_dir.contains_key(&from) {
            return Err(not_found(&from));
        }
        let change = DirChange::Rename(from, to);
        change.apply(&mut d.live_dir);
        d.dir_changes.push(change);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.check(Op::SyncDir, &name_of(dir))?;
        let mut d = self.lock();
        d.durable_dir = d.live_dir.clone();
        d.dir_changes.clear();
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let name = name_of(path);
        self.check(Op::Remove, &name)?;
        let mut d = self.lock();
        if !d.live_dir.contains_key(&name) {
            return Err(not_found(&name));
        }
        let change = DirChange::Unlink(name);
        change.apply(&mut d.live_dir);
        d.dir_changes.push(change);
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        self.check(Op::List, &name_of(dir))?;
        Ok(self.lock().live_dir.keys().map(OsString::from).collect())
    }
}

/// An open file of the simulated disk.
#[derive(Debug)]
struct SimFile {
    disk: SimDisk,
    ino: Ino,
}

impl SimFile {
    fn name(&self) -> String {
        self.disk.lock().name(self.ino)
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        self.disk.0.handles.fetch_sub(1, Ordering::SeqCst);
    }
}

impl io::Write for SimFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let name = self.name();
        let short = match self.disk.begin(Op::Write, &name) {
            Ok(()) => None,
            Err((errno, true)) if buf.len() > 1 => Some(errno),
            Err((errno, _)) => return Err(io::Error::from_raw_os_error(errno)),
        };
        let mut d = self.disk.lock();
        let node = d.inodes.get_mut(&self.ino).expect("open inode");
        if let Some(errno) = node.fail_next_write.take() {
            return Err(io::Error::from_raw_os_error(errno));
        }
        node.fail_next_write = short;
        let n = if short.is_some() {
            buf.len() / 2
        } else {
            buf.len()
        };
        let change = Change::Write {
            at: node.live.len(),
            data: buf[..n].into(),
        };
        change.apply(&mut node.live);
        node.unsynced.push(change);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl StorageFile for SimFile {
    fn sync(&mut self) -> io::Result<()> {
        let name = self.name();
        let failed = self.disk.check(Op::Sync, &name);
        let delay = {
            let mut d = self.disk.lock();
            let range = d.sync_delay;
            match (range, d.rng.as_mut()) {
                (Some((lo, hi)), Some(rng)) => Some(rng.random_range(lo..=hi)),
                _ => None,
            }
        };
        if let Some(ms) = delay {
            std::thread::sleep(Duration::from_millis(ms));
        }
        let mut d = self.disk.lock();
        let node = d.inodes.get_mut(&self.ino).expect("open inode");
        // Synced or lost: the pages are clean either way.
        let changes = std::mem::take(&mut node.unsynced);
        failed?;
        let durable = Arc::make_mut(&mut node.durable);
        for c in &changes {
            c.apply(durable);
        }
        let len = durable.len();
        let end = self.disk.now();
        d.syncs.push(SyncEvent {
            ino: self.ino,
            end,
            len,
        });
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let name = self.name();
        self.disk.check(Op::Truncate, &name)?;
        let mut d = self.disk.lock();
        let node = d.inodes.get_mut(&self.ino).expect("open inode");
        let change = Change::Truncate(len as usize);
        change.apply(&mut node.live);
        node.unsynced.push(change);
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.disk.lock().inodes[&self.ino].live.len() as u64)
    }

    fn syncer(&self) -> io::Result<SyncJob> {
        self.disk.0.handles.fetch_add(1, Ordering::SeqCst);
        let mut twin = SimFile {
            disk: self.disk.clone(),
            ino: self.ino,
        };
        Ok(Box::new(move || twin.sync()))
    }
}

/// The disk as a power loss at one moment finds it.
#[derive(Debug, Clone)]
pub struct Image {
    /// The clock reading when it was captured.
    pub time: u64,
    /// The operation about to run (`None`: captured by a test).
    pub op: Option<Op>,
    files: HashMap<Ino, (Arc<Vec<u8>>, Vec<Change>)>,
    durable_dir: BTreeMap<String, Ino>,
    dir_changes: Vec<DirChange>,
}

/// The files a damaged image holds: name → (inode, content).
pub type Files = BTreeMap<String, (Ino, Vec<u8>)>;

impl Image {
    /// True when a power loss here can lose nothing (all synced).
    pub fn is_clean(&self) -> bool {
        self.dir_changes.is_empty() && self.files.values().all(|(_, c)| c.is_empty())
    }

    /// The files a power loss that drops every unsynced change leaves:
    /// name → content.
    pub fn durable(&self) -> Vec<(String, Vec<u8>)> {
        let dir = &self.durable_dir;
        dir.iter()
            .map(|(name, ino)| (name.clone(), self.files[ino].0.to_vec()))
            .collect()
    }

    /// The files after a power loss with `damage` (random choices from
    /// `rng`).
    pub fn damaged(&self, damage: Damage, rng: &mut SmallRng) -> Files {
        let mut dir = self.durable_dir.clone();
        if damage != Damage::DropUnsynced {
            // Journaled metadata reaches the disk in order: a prefix.
            let kept = rng.random_range(0..=self.dir_changes.len());
            for c in &self.dir_changes[..kept] {
                c.apply(&mut dir);
            }
        }
        dir.into_iter()
            .map(|(name, ino)| {
                let (durable, changes) = &self.files[&ino];
                let data = damage_file(durable, changes, damage, rng);
                (name, (ino, data))
            })
            .collect()
    }
}

fn damage_file(durable: &[u8], changes: &[Change], damage: Damage, rng: &mut SmallRng) -> Vec<u8> {
    let mut out = durable.to_vec();
    let last_write = changes
        .iter()
        .rposition(|c| matches!(c, Change::Write { .. }));
    for (i, c) in changes.iter().enumerate() {
        match (damage, c) {
            (Damage::DropUnsynced, _) => return out,
            (_, Change::Truncate(_)) => c.apply(&mut out),
            (Damage::Reorder, _) => {
                if rng.random_bool(0.5) {
                    c.apply(&mut out);
                }
            }
            (Damage::Tear, Change::Write { at, data }) if Some(i) == last_write => {
                let cut = tear_point(*at, data.len(), rng);
                Change::Write {
                    at: *at,
                    data: data[..cut].into(),
                }
                .apply(&mut out);
            }
            (Damage::Tear, _) => c.apply(&mut out),
            (Damage::Zeros, Change::Write { at, data }) => Change::Write {
                at: *at,
                data: vec![0; data.len()].into(),
            }
            .apply(&mut out),
        }
    }
    out
}

/// How many bytes of a write of `len` bytes at file offset `at` a tear
/// keeps: a random count, or up to a 512-byte boundary of the file.
fn tear_point(at: usize, len: usize, rng: &mut SmallRng) -> usize {
    let first = at.div_ceil(512) * 512;
    let boundaries: Vec<usize> = (first..at + len).step_by(512).map(|b| b - at).collect();
    if !boundaries.is_empty() && rng.random_bool(0.5) {
        boundaries[rng.random_range(0..boundaries.len())]
    } else {
        rng.random_range(0..len.max(1))
    }
}
