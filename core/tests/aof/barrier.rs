//! The `appendfsync always` barrier (RELIABILITY.md D13): with every fsync
//! of the simulated disk sleeping 50–200 ms, a writer sets values of
//! random sizes (up to 256 KiB) while a reader in another thread polls
//! them, through `Engine::execute` and the typed `Engine::get`. Neither
//! the writer's reply nor any read may show a value before the fsync that
//! made its record durable returned: the disk's clock orders each fsync's
//! return against the moments the test saw replies (10 iterations).

use crate::common::TempDir;
use crate::harness::rng;
use crate::sim::disk::SimDisk;
use crate::sim::{AOF, open};
use kvstore_core::{Engine, Reply};
use rand::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The value number `i` of `len` bytes: `val:<i>:` then padding.
fn value(i: usize, len: usize) -> Vec<u8> {
    let mut v = format!("val:{i}:").into_bytes();
    v.resize(len.max(v.len()), b'x');
    v
}

/// The number of a value made by [`value`].
fn number(v: &[u8]) -> usize {
    let text = std::str::from_utf8(&v[4..]).expect("a value");
    text[..text.find(':').expect("a value")]
        .parse()
        .expect("a value number")
}

/// Polls `k` until `stop`; every value seen, with the clock after it.
fn reader(engine: Engine, disk: SimDisk, stop: Arc<AtomicBool>) -> Vec<(usize, u64)> {
    let mut s = engine.session();
    let mut seen = Vec::new();
    let mut typed = false;
    while !stop.load(Ordering::SeqCst) {
        typed = !typed;
        let v = match typed {
            true => engine.get(&mut s, b"k").expect("GET"),
            false => match engine.execute(&mut s, &["GET", "k"]) {
                Reply::Bulk(v) => Some(v),
                Reply::Nil => None,
                other => panic!("GET gave {other:?}"),
            },
        };
        if let Some(v) = v {
            seen.push((number(&v), disk.now()));
        }
    }
    seen
}

#[test]
fn always_shows_nothing_before_its_fsync() {
    let mut rng = rng("always_barrier");
    let dir = TempDir::new("barrier");
    let mut reads = 0;
    for iteration in 0..10 {
        let disk = SimDisk::new();
        let engine = open(&dir.0, &disk, "always", &[]).expect("open");
        disk.slow_syncs(50, 200, rng.random());
        let stop = Arc::new(AtomicBool::new(false));
        let polling = {
            let (e, d, st) = (engine.clone(), disk.clone(), stop.clone());
            std::thread::spawn(move || reader(e, d, st))
        };
        let mut s = engine.session();
        // (value number, its length, the clock after the reply)
        let mut acked = Vec::new();
        for i in 1..=3 {
            let len = rng.random_range(1..=256 * 1024);
            let v = value(i, len);
            if i % 2 == 0 {
                engine.set(&mut s, b"k", &v).expect("SET");
            } else {
                let argv: [&[u8]; 3] = [b"SET", b"k", &v];
                assert_eq!(engine.execute(&mut s, &argv), Reply::ok());
            }
            acked.push((i, v.len(), disk.now()));
        }
        stop.store(true, Ordering::SeqCst);
        let seen = polling.join().expect("the reader");
        reads += seen.len();
        let file = disk.live_files().remove(AOF).expect("the file");
        let ino = disk.live_ino(AOF);
        let syncs: Vec<_> = disk
            .syncs()
            .into_iter()
            .filter(|e| Some(e.ino) == ino)
            .collect();
        // When value i became durable: the first fsync covering the end
        // of its record.
        let durable_at = |i: usize, len: usize| {
            let head = format!("val:{i}:");
            let at = file
                .windows(head.len())
                .position(|w| w == head.as_bytes())
                .expect("the value's record");
            let end = at + len + 2;
            syncs
                .iter()
                .find(|e| e.len >= end)
                .map_or(u64::MAX, |e| e.end)
        };
        for &(i, len, at) in &acked {
            let durable = durable_at(i, len);
            assert!(
                at > durable,
                "{iteration}: SET {i} answered before its fsync"
            );
            for &(_, seen_at) in seen.iter().filter(|(n, _)| *n == i) {
                assert!(
                    seen_at > durable,
                    "{iteration}: value {i} read before its fsync"
                );
            }
        }
        drop(s);
        drop(engine);
    }
    eprintln!("always barrier: 10 iterations, 30 writes, {reads} reads checked");
    assert!(reads > 0);
}
