//! BGSAVE under concurrent writers: the file must be the keyspace of one
//! instant, the cut. Writers change their own keys (every type, TTLs,
//! RENAME, MOVE, SELECT) while a controller runs BGSAVEs, SWAPDBs and
//! FLUSHDBs, the latter two also while the snapshot is being written.
//!
//! The oracle: writers run each command holding a shared gate (a read
//! lock) and count it there; the controller runs its commands holding the
//! gate exclusively and notes how many commands each writer had run. Its
//! commands, BGSAVE's cut included, thus fall between known prefixes of
//! every writer's log. Writers' commands touch disjoint keys, so they
//! commute: replaying each writer's prefix and the controller's commands
//! in order on a fresh engine rebuilds the exact keyspace at each cut.

use crate::common::{Picture, TempDir, assert_same, picture};
use kvstore_core::{Engine, Options, Reply};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

type Argv = Vec<Vec<u8>>;

const WRITERS: usize = 4;
/// Keys per writer: `w<t>:<i>`, of the type `i % 5` picks.
const KEYS: usize = 1500;
/// Dbs the writers and the controller use.
const DBS: usize = 4;
const ROUNDS: usize = 3;
/// A deadline far enough that nothing expires during the test.
const FAR_MS: u64 = 4_000_000_000_000;

fn argv(parts: &[&[u8]]) -> Argv {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// One random command of writer `t` on its own keys.
fn writer_command(t: usize, rng: &mut SmallRng) -> Argv {
    let i = rng.random_range(0..KEYS);
    let key = format!("w{t}:{i}").into_bytes();
    let n = rng.random_range(0..1000u32).to_string().into_bytes();
    match rng.random_range(0..10) {
        0 => argv(&[b"DEL", &key]),
        1 => {
            let at = (FAR_MS + rng.random_range(0..1000u64)).to_string();
            argv(&[b"PEXPIREAT", &key, at.as_bytes()])
        }
        2 => argv(&[b"PERSIST", &key]),
        3 => {
            // Same type family (i % 5) at the other name.
            let j = (i + 5 * rng.random_range(1..4)) % KEYS;
            argv(&[b"RENAME", &key, format!("w{t}:{j}").as_bytes()])
        }
        4 => {
            let db = rng.random_range(0..DBS).to_string();
            if rng.random_bool(0.5) {
                argv(&[b"MOVE", &key, db.as_bytes()])
            } else {
                argv(&[b"SELECT", db.as_bytes()])
            }
        }
        _ => match i % 5 {
            0 if rng.random_bool(0.3) => argv(&[b"APPEND", &key, &[b'a'; 200]]),
            0 if rng.random_bool(0.3) => argv(&[b"INCR", &key]),
            0 => argv(&[b"SET", &key, &n]),
            1 => argv(&[b"HSET", &key, format!("f{}", n.len()).as_bytes(), &n]),
            2 if rng.random_bool(0.3) => argv(&[b"RPOP", &key]),
            2 => argv(&[b"LPUSH", &key, &n]),
            3 => argv(&[b"SADD", &key, &n]),
            _ => argv(&[b"ZADD", &key, &n, &n]),
        },
    }
}

/// The commands that first fill writer `t`'s keys.
fn fill(t: usize) -> Vec<Argv> {
    let mut cmds = vec![argv(&[b"SELECT", (t % DBS).to_string().as_bytes()])];
    for i in 0..KEYS {
        let key = format!("w{t}:{i}").into_bytes();
        let v = format!("v{i}").into_bytes();
        cmds.push(match i % 5 {
            0 => argv(&[b"SET", &key, &v]),
            1 => argv(&[b"HSET", &key, b"f", &v, b"g", &v]),
            2 => argv(&[b"RPUSH", &key, &v, b"x"]),
            3 => argv(&[b"SADD", &key, &v, b"7"]),
            _ => argv(&[b"ZADD", &key, b"1", &v, b"2", b"m"]),
        });
    }
    cmds
}

/// A controller command, run with the gate held exclusively, after
/// `seen[t]` commands of each writer `t`.
struct Event {
    seen: Vec<usize>,
    /// None for a BGSAVE, whose file's picture is kept in `saved`.
    command: Option<Argv>,
}

fn run(e: &Engine, s: &mut kvstore_core::Session, cmd: &Argv) -> Reply {
    e.execute(s, cmd)
}

fn bgsave_running(e: &Engine, s: &mut kvstore_core::Session) -> bool {
    let Reply::Verbatim(_, info) = e.execute(s, &["INFO", "persistence"]) else {
        panic!("INFO persistence")
    };
    String::from_utf8_lossy(&info).contains("rdb_bgsave_in_progress:1")
}

/// The picture of the keyspace a dump file holds.
fn picture_of_file(file: &std::path::Path) -> Picture {
    let copy = TempDir::new("cow-load");
    std::fs::copy(file, copy.file("dump.rdb")).unwrap();
    let e = Engine::open(&copy.0, Options::default()).unwrap();
    let mut s = e.session();
    picture(&mut (&e, &mut s))
}

#[test]
fn bgsave_under_concurrent_writers_is_one_instant() {
    let dir = TempDir::new("cow");
    let engine = Engine::open(&dir.0, Options::default()).unwrap();
    let gate = RwLock::new(());
    let counts: Vec<AtomicUsize> = (0..WRITERS).map(|_| AtomicUsize::new(0)).collect();
    let stop = AtomicBool::new(false);
    let events: Mutex<Vec<Event>> = Mutex::new(Vec::new());
    let mut saved: Vec<Picture> = Vec::new();
    let logs: Vec<Vec<Argv>> = std::thread::scope(|sc| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|t| {
                let (engine, gate, counts, stop) = (&engine, &gate, &counts, &stop);
                sc.spawn(move || {
                    let mut s = engine.session();
                    let mut rng = SmallRng::seed_from_u64(t as u64);
                    let mut log = fill(t);
                    for c in &log {
                        let _g = gate.read().unwrap();
                        run(engine, &mut s, c);
                        counts[t].fetch_add(1, Ordering::Relaxed);
                    }
                    while !stop.load(Ordering::Relaxed) {
                        let c = writer_command(t, &mut rng);
                        let _g = gate.read().unwrap();
                        run(engine, &mut s, &c);
                        counts[t].fetch_add(1, Ordering::Relaxed);
                        log.push(c);
                    }
                    log
                })
            })
            .collect();
        let mut s = engine.session();
        let mut rng = SmallRng::seed_from_u64(99);
        // Runs `command` (None: BGSAVE) between writers' commands.
        let event = |s: &mut kvstore_core::Session, command: Option<Argv>| {
            let _g = gate.write().unwrap();
            let seen = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            let r = match &command {
                Some(c) => run(&engine, s, c),
                None => engine.execute(s, &["BGSAVE"]),
            };
            assert!(!r.is_error(), "{r:?}");
            events.lock().unwrap().push(Event { seen, command });
        };
        // The first cut comes once every writer has filled its keys.
        while counts.iter().any(|c| c.load(Ordering::Relaxed) <= KEYS) {
            std::thread::sleep(Duration::from_millis(1));
        }
        for _ in 0..ROUNDS {
            std::thread::sleep(Duration::from_millis(rng.random_range(5..30)));
            event(&mut s, None);
            // While the file is written: a SWAPDB and a FLUSHDB (of a db
            // SELECTed by the controller's session) at random moments.
            let mut left = vec![
                argv(&[b"SWAPDB", b"0", b"1"]),
                argv(&[b"SELECT", rng.random_range(0..DBS).to_string().as_bytes()]),
                argv(&[
                    b"FLUSHDB",
                    if rng.random_bool(0.5) {
                        b"ASYNC"
                    } else {
                        b"SYNC"
                    },
                ]),
            ];
            left.reverse();
            let deadline = Instant::now() + Duration::from_secs(60);
            while bgsave_running(&engine, &mut s) {
                assert!(Instant::now() < deadline, "BGSAVE did not finish");
                if rng.random_bool(0.3)
                    && let Some(c) = left.pop()
                {
                    event(&mut s, Some(c));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            saved.push(picture_of_file(&dir.file("dump.rdb")));
            for c in left.into_iter().rev() {
                event(&mut s, Some(c));
            }
        }
        stop.store(true, Ordering::Relaxed);
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    // Replay the same history on a fresh engine.
    let model = Engine::new();
    let mut sessions: Vec<_> = (0..=WRITERS).map(|_| model.session()).collect();
    let mut done = [0; WRITERS];
    let mut saves = saved.iter();
    for ev in events.into_inner().unwrap() {
        for t in 0..WRITERS {
            for c in &logs[t][done[t]..ev.seen[t]] {
                run(&model, &mut sessions[t], c);
            }
            done[t] = ev.seen[t];
        }
        match &ev.command {
            Some(c) => assert!(!run(&model, &mut sessions[WRITERS], c).is_error()),
            None => {
                let want = picture(&mut (&model, &mut model.session()));
                assert_same(
                    &want,
                    saves.next().unwrap(),
                    "the state at the cut vs the file",
                );
            }
        }
    }
    assert!(saves.next().is_none());
}
