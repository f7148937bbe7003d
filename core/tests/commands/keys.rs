//! The generic key commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN,
//! RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, TOUCH, OBJECT, the EXPIRE and TTL
//! families and PERSIST.
//!
//! Time-dependent behaviour (lazy and active expiry, TTL countdown, OBJECT
//! IDLETIME) is tested on engines driven by a `ManualClock` (no test
//! sleeps); everything else differentially against redis-server.

use crate::harness::bulk;
use kvstore_core::clock::ManualClock;
use kvstore_core::keyspace::{Entry, Value};
use kvstore_core::{Engine, Options, Reply, Session};
use std::collections::HashSet;
use std::sync::Arc;

/// Start of the manual clocks: a plausible Unix time in ms.
const T0: u64 = 1_700_000_000_000;

/// An engine without the background cron, on a manual clock.
fn clock_engine() -> (Engine, Arc<ManualClock>, Session) {
    let clock = Arc::new(ManualClock::new(T0));
    let engine = Engine::with_options(Options {
        clock: clock.clone(),
        background: false,
        ..Default::default()
    });
    let session = engine.session();
    (engine, clock, session)
}

/// Runs a command given as space-separated words.
fn run(e: &Engine, s: &mut Session, cmd: &str) -> Reply {
    let argv: Vec<&str> = cmd.split(' ').collect();
    e.execute(s, &argv)
}

/// Asserts the integer reply of `cmd`.
fn int(e: &Engine, s: &mut Session, cmd: &str, want: i64) {
    assert_eq!(run(e, s, cmd), Reply::Int(want), "{cmd}");
}

/// Stores a string directly in the keyspace (no dependency on SET).
fn seed(e: &Engine, db: usize, key: &str, val: &str) {
    let ks = &e.shared().keyspace;
    let mut shard = ks.lock(db, ks.shard_of(key.as_bytes()));
    shard
        .map
        .insert(key.as_bytes().into(), Entry::new(Value::Str(val.into())));
}

/// Keys physically present in `db`, expired or not (what memory holds).
fn stored(e: &Engine, db: usize) -> usize {
    let ks = &e.shared().keyspace;
    (0..ks.shard_count())
        .map(|s| ks.lock(db, s).map.len())
        .sum()
}

/// Keys with a deadline in `db`, from the per-shard counters.
fn volatile(e: &Engine, db: usize) -> usize {
    let ks = &e.shared().keyspace;
    (0..ks.shard_count()).map(|s| ks.lock(db, s).volatile).sum()
}

#[test]
fn expiry_is_exact_and_lazy() {
    let (e, clock, mut s) = clock_engine();
    seed(&e, 0, "k", "v");
    int(&e, &mut s, "PEXPIRE k 1500", 1);
    int(&e, &mut s, "PTTL k", 1500);
    int(&e, &mut s, "TTL k", 2);
    int(&e, &mut s, "PEXPIRETIME k", (T0 + 1500) as i64);
    int(
        &e,
        &mut s,
        "EXPIRETIME k",
        ((T0 + 1500 + 500) / 1000) as i64,
    );
    clock.advance(1000);
    int(&e, &mut s, "PTTL k", 500);
    int(&e, &mut s, "TTL k", 1);
    clock.advance(499);
    int(&e, &mut s, "PTTL k", 1);
    int(&e, &mut s, "TTL k", 0);
    int(&e, &mut s, "EXISTS k", 1);
    assert_eq!(stored(&e, 0), 1);
    clock.advance(1);
    // The deadline is reached: gone for every command, and deleted on access.
    int(&e, &mut s, "PTTL k", -2);
    assert_eq!(stored(&e, 0), 0);
    assert_eq!(volatile(&e, 0), 0);
    int(&e, &mut s, "EXISTS k", 0);
    assert_eq!(run(&e, &mut s, "TYPE k"), Reply::Status("none".into()));
    int(&e, &mut s, "PERSIST k", 0);
    int(&e, &mut s, "EXPIRE k 10", 0);
}

#[test]
fn expire_variants_and_conditions() {
    let (e, clock, mut s) = clock_engine();
    seed(&e, 0, "k", "v");
    let now_s = T0 / 1000;
    int(&e, &mut s, &format!("EXPIREAT k {}", now_s + 100), 1);
    int(&e, &mut s, "PTTL k", 100_000);
    int(&e, &mut s, &format!("PEXPIREAT k {}", T0 + 5000), 1);
    int(&e, &mut s, "PTTL k", 5000);
    int(&e, &mut s, "EXPIRE k 50 NX", 0);
    int(&e, &mut s, "EXPIRE k 50 XX", 1);
    int(&e, &mut s, "EXPIRE k 40 GT", 0);
    int(&e, &mut s, "EXPIRE k 60 gt", 1);
    int(&e, &mut s, "EXPIRE k 60 LT", 0);
    int(&e, &mut s, "EXPIRE k 30 lt xx", 1);
    int(&e, &mut s, "TTL k", 30);
    int(&e, &mut s, "PERSIST k", 1);
    int(&e, &mut s, "PERSIST k", 0);
    int(&e, &mut s, "TTL k", -1);
    int(&e, &mut s, "EXPIRETIME k", -1);
    // A persistent key: GT never applies (infinite TTL), LT always does.
    int(&e, &mut s, "EXPIRE k 30 GT", 0);
    int(&e, &mut s, "EXPIRE k 30 XX", 0);
    int(&e, &mut s, "EXPIRE k 30 LT", 1);
    int(&e, &mut s, "PERSIST k", 1);
    int(&e, &mut s, "EXPIRE k 30 NX", 1);
    assert_eq!(volatile(&e, 0), 1);
    // A deadline at or before now deletes at once and replies 1.
    int(&e, &mut s, &format!("PEXPIREAT k {T0}"), 1);
    int(&e, &mut s, "EXISTS k", 0);
    assert_eq!(volatile(&e, 0), 0);
    seed(&e, 0, "k", "v");
    int(&e, &mut s, "EXPIRE k -1", 1);
    int(&e, &mut s, "EXISTS k", 0);
    seed(&e, 0, "k", "v");
    int(&e, &mut s, "PEXPIRE k 0", 1);
    int(&e, &mut s, "EXISTS k", 0);
    seed(&e, 0, "k", "v");
    int(&e, &mut s, "PEXPIRE k 1", 1);
    clock.advance(1);
    int(&e, &mut s, "EXISTS k", 0);
    assert_eq!(volatile(&e, 0), 0);
}

#[test]
fn rename_copy_move_carry_the_deadline() {
    let (e, clock, mut s) = clock_engine();
    seed(&e, 0, "a", "1");
    int(&e, &mut s, "PEXPIRE a 10000", 1);
    assert_eq!(run(&e, &mut s, "RENAME a b"), Reply::ok());
    int(&e, &mut s, "PTTL b", 10_000);
    int(&e, &mut s, "RENAMENX b c", 1);
    int(&e, &mut s, "PTTL c", 10_000);
    int(&e, &mut s, "COPY c d", 1);
    int(&e, &mut s, "PTTL d", 10_000);
    int(&e, &mut s, "COPY c d2 DB 3", 1);
    int(&e, &mut s, "MOVE c 2", 1);
    assert_eq!(volatile(&e, 0), 1);
    s.db = 2;
    int(&e, &mut s, "PTTL c", 10_000);
    s.db = 3;
    int(&e, &mut s, "PTTL d2", 10_000);
    // Renaming over a key with a deadline drops that one's deadline.
    s.db = 0;
    seed(&e, 0, "p", "x");
    assert_eq!(run(&e, &mut s, "RENAME p d"), Reply::ok());
    int(&e, &mut s, "TTL d", -1);
    assert_eq!(volatile(&e, 0), 0);
    // A source that expired is gone for RENAME, COPY and MOVE alike.
    s.db = 2;
    clock.advance(10_000);
    assert_eq!(
        run(&e, &mut s, "RENAME c x"),
        Reply::Error("ERR no such key".into())
    );
    s.db = 3;
    int(&e, &mut s, "COPY d2 y", 0);
    int(&e, &mut s, "MOVE d2 0", 0);
    assert_eq!(volatile(&e, 2) + volatile(&e, 3), 0);
}

#[test]
fn active_cycle_frees_memory_of_keys_nobody_reads() {
    let (e, clock, mut s) = clock_engine();
    for i in 0..3000 {
        seed(&e, 0, &format!("v{i}"), "x");
        int(&e, &mut s, &format!("PEXPIRE v{i} {}", 100 + i % 50), 1);
    }
    for i in 0..200 {
        seed(&e, 0, &format!("p{i}"), "x");
    }
    for i in 0..100 {
        seed(&e, 5, &format!("w{i}"), "x");
        s.db = 5;
        int(&e, &mut s, &format!("PEXPIRE w{i} 1000"), 1);
        s.db = 0;
    }
    // Nothing is due yet: the cycle removes nothing.
    assert_eq!(e.active_expire_cycle(), 0);
    assert_eq!(stored(&e, 0), 3200);
    clock.advance(200);
    let mut removed = 0;
    for _ in 0..100 {
        removed += e.active_expire_cycle();
        if stored(&e, 0) == 200 {
            break;
        }
    }
    assert_eq!(removed, 3000);
    assert_eq!(stored(&e, 0), 200, "expired keys left in memory");
    assert_eq!(volatile(&e, 0), 0);
    // Keys of other dbs not yet due are kept.
    assert_eq!(stored(&e, 5), 100);
    assert_eq!(volatile(&e, 5), 100);
}

#[test]
fn randomkey_deletes_and_skips_expired_keys() {
    let (e, clock, mut s) = clock_engine();
    assert_eq!(run(&e, &mut s, "RANDOMKEY"), Reply::Nil);
    for i in 0..50 {
        seed(&e, 0, &format!("k{i}"), "x");
        if i != 7 {
            int(&e, &mut s, &format!("PEXPIRE k{i} 10"), 1);
        }
    }
    let mut seen = HashSet::new();
    for _ in 0..200 {
        seen.insert(bulk(&run(&e, &mut s, "RANDOMKEY")));
    }
    assert!(seen.len() > 10, "RANDOMKEY is not random: {}", seen.len());
    clock.advance(10);
    let before = stored(&e, 0);
    assert_eq!(bulk(&run(&e, &mut s, "RANDOMKEY")), b"k7");
    // Every expired key it drew on the way was deleted.
    assert!(stored(&e, 0) < before);
    for _ in 0..20 {
        assert_eq!(bulk(&run(&e, &mut s, "RANDOMKEY")), b"k7");
    }
    int(&e, &mut s, "PEXPIRE k7 10", 1);
    clock.advance(10);
    assert_eq!(run(&e, &mut s, "RANDOMKEY"), Reply::Nil);
    assert_eq!(stored(&e, 0), 0);
}

/// Runs a full SCAN iteration with `opts`; returns every key returned.
fn scan_all(e: &Engine, s: &mut Session, opts: &str) -> Vec<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    loop {
        let cmd = format!("SCAN {cursor}{opts}");
        let Reply::Array(r) = run(e, s, &cmd) else {
            panic!("{cmd}")
        };
        cursor = String::from_utf8(bulk(&r[0])).unwrap();
        let Reply::Array(keys) = &r[1] else { panic!() };
        out.extend(keys.iter().map(bulk));
        if cursor == "0" {
            return out;
        }
    }
}

#[test]
fn scan_skips_and_deletes_expired_keys() {
    let (e, clock, mut s) = clock_engine();
    for i in 0..20 {
        seed(&e, 0, &format!("k{i}"), "x");
    }
    for i in 0..5 {
        int(&e, &mut s, &format!("PEXPIRE k{i} 5"), 1);
    }
    clock.advance(5);
    assert_eq!(stored(&e, 0), 20);
    let keys = scan_all(&e, &mut s, " COUNT 3");
    assert_eq!(keys.len(), 15);
    assert_eq!(stored(&e, 0), 15);
    assert_eq!(scan_all(&e, &mut s, " TYPE string").len(), 15);
    // Redis quirk: with TYPE, the type lookup deletes an expired key and
    // calls it "none", so `TYPE none` lists keys that just expired, once.
    int(&e, &mut s, "PEXPIRE k5 5", 1);
    int(&e, &mut s, "PEXPIRE k6 5", 1);
    clock.advance(5);
    let mut none = scan_all(&e, &mut s, " TYPE none");
    none.sort();
    assert_eq!(none, vec![b"k5".to_vec(), b"k6".to_vec()]);
    assert_eq!(stored(&e, 0), 13);
    assert!(scan_all(&e, &mut s, " TYPE NONE").is_empty());
    // A key filtered out by MATCH is not looked at, so not deleted.
    int(&e, &mut s, "PEXPIRE k7 5", 1);
    clock.advance(5);
    assert_eq!(scan_all(&e, &mut s, " MATCH zz*").len(), 0);
    assert_eq!(stored(&e, 0), 13);
}

#[test]
fn scan_returns_every_key_present_throughout_despite_resizes() {
    let (e, _clock, mut s) = clock_engine();
    for i in 0..1000 {
        seed(&e, 0, &format!("k{i}"), "x");
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let Reply::Array(r) = run(&e, &mut s, &format!("SCAN {cursor} COUNT 7")) else {
            panic!()
        };
        cursor = String::from_utf8(bulk(&r[0])).unwrap();
        let Reply::Array(keys) = &r[1] else { panic!() };
        seen.extend(keys.iter().map(bulk));
        round += 1;
        // Grow every shard's table a lot, later shrink it back, mid-walk.
        if round == 10 {
            for i in 0..8000 {
                seed(&e, 0, &format!("x{i}"), "x");
            }
        }
        if round == 60 {
            for i in 0..8000 {
                let key = format!("x{i}");
                e.execute(&mut s, &["DEL", key.as_str()]);
            }
        }
        if cursor == "0" {
            break;
        }
    }
    for i in 0..1000 {
        assert!(seen.contains(format!("k{i}").as_bytes()), "k{i} missed");
    }
}

#[test]
fn scan_count_and_cursor_layout() {
    let (e, _clock, mut s) = clock_engine();
    assert!(scan_all(&e, &mut s, "").is_empty());
    for i in 0..500 {
        seed(&e, 0, &format!("k{i}"), "x");
    }
    seed(&e, 1, "other", "x");
    let all = scan_all(&e, &mut s, " COUNT 1");
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), 500);
    // A table that did not resize returns each key exactly once.
    assert_eq!(all.len(), 500);
    assert_eq!(scan_all(&e, &mut s, " COUNT 100000").len(), 500);
    let mut matched = scan_all(&e, &mut s, " MATCH k4? COUNT 5");
    matched.sort();
    let mut want: Vec<Vec<u8>> = (40..50).map(|i| format!("k{i}").into_bytes()).collect();
    want.sort();
    assert_eq!(matched, want);
    // Any cursor is valid; huge ones just walk what they name.
    for c in ["18446744073709551615", "-1", "123456789", ""] {
        let r = run(&e, &mut s, &format!("SCAN {c}"));
        assert!(matches!(r, Reply::Array(_)), "{c}: {r:?}");
    }
}

#[test]
fn object_idletime_follows_access() {
    let (e, clock, mut s) = clock_engine();
    e.active_expire_cycle();
    seed(&e, 0, "k", "v");
    run(&e, &mut s, "TOUCH k");
    int(&e, &mut s, "OBJECT IDLETIME k", 0);
    clock.advance(10_000);
    e.active_expire_cycle();
    int(&e, &mut s, "OBJECT IDLETIME k", 10);
    // Inspecting a key does not count as an access ...
    for cmd in ["TYPE k", "EXISTS k", "TTL k", "PTTL k", "OBJECT ENCODING k"] {
        run(&e, &mut s, cmd);
    }
    run(&e, &mut s, "SCAN 0 TYPE string");
    int(&e, &mut s, "OBJECT IDLETIME k", 10);
    // ... reading or writing it does.
    int(&e, &mut s, "TOUCH k nokey k", 2);
    int(&e, &mut s, "OBJECT IDLETIME k", 0);
    clock.advance(3_000);
    e.active_expire_cycle();
    int(&e, &mut s, "EXPIRE k 100", 1);
    int(&e, &mut s, "OBJECT IDLETIME k", 0);
    // RENAME keeps the value's access time; COPY makes a new one.
    clock.advance(5_000);
    e.active_expire_cycle();
    assert_eq!(run(&e, &mut s, "RENAME k r"), Reply::ok());
    clock.advance(2_000);
    e.active_expire_cycle();
    int(&e, &mut s, "OBJECT IDLETIME r", 2);
    int(&e, &mut s, "COPY r c", 1);
    int(&e, &mut s, "OBJECT IDLETIME c", 0);
    assert_eq!(run(&e, &mut s, "OBJECT IDLETIME nokey"), Reply::Nil);
}
