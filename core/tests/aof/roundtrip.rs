//! Round trip of the whole dataset through the append-only file
//! (RELIABILITY.md D7): a seeded random workload (see `mixed`) runs on
//! an engine with the file on, the clock moves on so that some deadlines
//! pass, a picture of every key (type, encoding, contents, deadline) is
//! taken, the engine is closed and the directory reopened, which replays
//! the file: the picture must be the same. Also with a rewrite started in
//! the middle of the workload (an RDB preamble plus the records logged
//! since its cut), and with the file turned on (CONFIG SET appendonly yes)
//! halfway through on an engine that started without it.

use crate::common::{Picture, TempDir, assert_same, picture};
use crate::mixed::{self, Workload};
use kvstore_core::clock::ManualClock;
use kvstore_core::config::Config;
use kvstore_core::{Engine, Options, Reply};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Steps per workload (Redis's D7 test uses 1,000 ops).
const STEPS: usize = 1_500;

/// An engine on `dir` driven by `clock`, with the file on or off.
pub fn open(dir: &TempDir, clock: &Arc<ManualClock>, appendonly: bool) -> Engine {
    let config = Config::default();
    config
        .set_at_startup("appendonly", if appendonly { "yes" } else { "no" })
        .unwrap();
    config.set_at_startup("save", "").unwrap();
    // The cron is off: expiry happens only when the workload says so.
    let opts = Options {
        clock: clock.clone(),
        background: false,
        ..Options::default()
    };
    Engine::open_with_config(&dir.0, opts, config).unwrap()
}

/// The picture of the whole keyspace.
pub fn snapshot(engine: &Engine) -> Picture {
    let mut s = engine.session();
    picture(&mut (engine, &mut s))
}

/// A field of INFO persistence.
pub fn persistence_field(engine: &Engine, field: &str) -> String {
    let mut s = engine.session();
    let info = match engine.execute(&mut s, &["INFO", "persistence"]) {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => b,
        other => panic!("INFO replied {other:?}"),
    };
    String::from_utf8(info)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in INFO persistence"))
}

/// Waits until no rewrite runs or is scheduled.
pub fn wait_rewrite(engine: &Engine) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while persistence_field(engine, "aof_rewrite_in_progress") != "0"
        || persistence_field(engine, "aof_rewrite_scheduled") != "0"
    {
        assert!(Instant::now() < deadline, "the rewrite did not finish");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(persistence_field(engine, "aof_last_bgrewrite_status"), "ok");
}

/// What to do halfway through the workload.
#[derive(Clone, Copy, PartialEq)]
pub enum Midway {
    Nothing,
    /// BGREWRITEAOF (the workload goes on while it runs).
    Rewrite,
    /// CONFIG SET appendonly yes (the engine started with it off).
    TurnOn,
}

/// Runs workload `w` on a fresh engine on `dir` (with `midway` halfway,
/// waiting for the rewrite it starts to end with `wait`, else going on
/// while it runs), moves the clock past some deadlines, and returns the
/// picture of the dataset and the clock; the engine is closed.
pub fn write_dataset(
    dir: &TempDir,
    mut w: Workload,
    midway: Midway,
    wait: bool,
) -> (Picture, Arc<ManualClock>) {
    let clock = w.clock();
    let engine = open(dir, &clock, midway != Midway::TurnOn);
    let mut s = mixed::session(&engine);
    for i in 0..STEPS {
        if i == STEPS / 2 {
            match midway {
                Midway::Nothing => {}
                Midway::Rewrite => {
                    let r = engine.execute(&mut s, &["BGREWRITEAOF"]);
                    assert!(!r.is_error(), "{r:?}");
                }
                Midway::TurnOn => {
                    let r = engine.execute(&mut s, &["CONFIG", "SET", "appendonly", "yes"]);
                    assert_eq!(r, Reply::ok());
                }
            }
            if wait {
                wait_rewrite(&engine);
            }
        }
        mixed::run(&engine, &mut s, &clock, w.step());
    }
    wait_rewrite(&engine);
    if midway != Midway::Nothing {
        assert_ne!(persistence_field(&engine, "aof_rewrites"), "0");
    }
    // Deadlines pass between the writes and the replay: the records after
    // a key's deadline-setting one must still apply to it as they did.
    clock.advance(5_000);
    let before = snapshot(&engine);
    drop(s);
    drop(engine);
    (before, clock)
}

/// `picture` with the encodings that replaying cannot give back made
/// the same: a string's (as in Redis, a SETBIT that changes nothing still
/// makes an `int` or `embstr` string `raw`, and propagates nothing),
/// and, with `all`, every encoding (loading an RDB preamble builds each
/// value afresh in the encoding its size gives: a hash that shrank is a
/// listpack again, as after Redis's loading).
pub fn comparable(picture: &Picture, all: bool) -> Picture {
    picture
        .iter()
        .map(|(k, v)| {
            let (ty, rest) = v.split_once(' ').unwrap();
            let (enc, rest) = rest.split_once(' ').unwrap();
            let enc = if all || ty == "string" { "*" } else { enc };
            (k.clone(), format!("{ty} {enc} {rest}"))
        })
        .collect()
}

/// One round trip; the number of keys with a deadline it compared. Even
/// seeds wait for a rewrite started midway before going on (so the
/// file's tail holds the second half), odd ones go on while it runs (so
/// its cut falls anywhere in the second half).
fn round_trip(tag: &str, seed: u64, midway: Midway) -> usize {
    let dir = TempDir::new(tag);
    let wait = seed % 2 == 0;
    let (before, clock) = write_dataset(&dir, Workload::new(seed), midway, wait);
    let data = std::fs::read(dir.file("appendonly.aof")).unwrap();
    assert!(data.starts_with(b"REDIS"), "an RDB preamble");
    if wait {
        assert!(
            data.windows(b"\r\n$".len()).any(|w| w == b"\r\n$"),
            "{tag}: commands after the preamble"
        );
    }
    let engine = open(&dir, &clock, true);
    let after = snapshot(&engine);
    // Without a snapshot midway every key is built by replayed commands,
    // as it was first.
    let all = midway != Midway::Nothing;
    assert_same(&comparable(&before, all), &comparable(&after, all), tag);
    before.values().filter(|v| !v.contains("expire=-1")).count()
}

/// Runs `round_trip` for each seed of `SEEDS` (offset by `base`).
fn round_trips(tag: &str, base: u64, midway: Midway) {
    let expiring: usize = SEEDS
        .map(|seed| round_trip(&format!("{tag}-{seed}"), base + seed, midway))
        .sum();
    assert!(expiring > 0, "{tag}: no key with a deadline was compared");
}

/// Seeds per scenario (each a workload of `STEPS` steps). 1,000 seeds of
/// each scenario pass too (about 4 minutes); CI runs these.
const SEEDS: std::ops::Range<u64> = 0..12;

#[test]
fn replay_gives_back_the_dataset() {
    round_trips("aof-rt-plain", 0, Midway::Nothing);
}

#[test]
fn replay_after_a_rewrite_midway_gives_back_the_dataset() {
    round_trips("aof-rt-rewrite", 1000, Midway::Rewrite);
}

#[test]
fn replay_after_turning_the_file_on_midway_gives_back_the_dataset() {
    round_trips("aof-rt-turn-on", 2000, Midway::TurnOn);
}

/// Runs `cmds` through a fresh session of `engine`, asserting no error.
fn run_all(engine: &Engine, cmds: &[&[&str]]) {
    let mut s = engine.session();
    for argv in cmds {
        let r = engine.execute(&mut s, argv);
        assert!(!r.is_error(), "{argv:?}: {r:?}");
    }
}

/// Deadlines pass between the run and the replay: a record logged while
/// its key was alive must find the key at replay as it was (nothing
/// expires while the file is replayed, as in Redis's loading, and the
/// preamble keeps keys whose deadline passed), and a key that expired
/// at run time was logged as deleted (`SET ... PXAT <past>` keeps the key
/// until its next access, which logs the DEL).
#[test]
fn records_after_a_deadline_apply_at_replay_as_they_did() {
    for rewrite in [false, true] {
        let dir = TempDir::new("aof-rt-deadlines");
        let clock = Workload::new(0).clock();
        let engine = open(&dir, &clock, true);
        run_all(
            &engine,
            &[
                &["SET", "k", "v", "PX", "100"],
                &["RPUSH", "l", "a"],
                &["PEXPIRE", "l", "100"],
                &["SET", "gone", "v", "PXAT", "1"],
            ],
        );
        if rewrite {
            run_all(&engine, &[&["BGREWRITEAOF"]]);
            wait_rewrite(&engine);
        }
        clock.advance(50);
        run_all(
            &engine,
            &[
                &["APPEND", "k", "x"],
                &["RPUSH", "l", "b"],
                &["INCRBYFLOAT", "gone", "1.5"],
            ],
        );
        let before = snapshot(&engine);
        assert_eq!(before.len(), 3, "{before:?}");
        drop(engine);
        // Reopened after the deadlines: k and l are gone, as they would
        // be had the engine kept running; `gone` was recreated for good.
        clock.advance(10_000);
        let engine = open(&dir, &clock, true);
        let mut s = engine.session();
        assert_eq!(engine.execute(&mut s, &["EXISTS", "k", "l"]), Reply::Int(0));
        assert_eq!(
            engine.execute(&mut s, &["GET", "gone"]),
            Reply::bulk(b"1.5"),
            "rewrite: {rewrite}"
        );
        assert_eq!(engine.execute(&mut s, &["PTTL", "gone"]), Reply::Int(-1));
    }
}
