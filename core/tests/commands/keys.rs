//! The generic key commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN,
//! RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, TOUCH, OBJECT, the EXPIRE and TTL
//! families and PERSIST.
//!
//! Time-dependent behaviour (lazy and active expiry, TTL countdown, OBJECT
//! IDLETIME) is tested on engines driven by a `ManualClock` (no test
//! sleeps); everything else differentially against redis-server.

use crate::harness::{Pair, bulk, rng};
use kvstore_core::clock::ManualClock;
use kvstore_core::keyspace::{Entry, Value};
use kvstore_core::{Engine, Options, Reply, Session};
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
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
        .insert(key.as_bytes(), Entry::new(Value::Str(val.into())));
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
    (0..ks.shard_count())
        .map(|s| ks.lock(db, s).map.volatile())
        .sum()
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
    // As Redis, a key lives through its deadline millisecond.
    clock.advance(1);
    int(&e, &mut s, "PTTL k", 0);
    int(&e, &mut s, "EXISTS k", 1);
    assert_eq!(stored(&e, 0), 1);
    clock.advance(1);
    // Past the deadline: gone for every command, and deleted on access.
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
    int(&e, &mut s, "EXISTS k", 1);
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
    clock.advance(10_001);
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
    clock.advance(11);
    let before = stored(&e, 0);
    assert_eq!(bulk(&run(&e, &mut s, "RANDOMKEY")), b"k7");
    // Every expired key it drew on the way was deleted.
    assert!(stored(&e, 0) < before);
    for _ in 0..20 {
        assert_eq!(bulk(&run(&e, &mut s, "RANDOMKEY")), b"k7");
    }
    int(&e, &mut s, "PEXPIRE k7 10", 1);
    clock.advance(11);
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
    clock.advance(6);
    assert_eq!(stored(&e, 0), 20);
    let keys = scan_all(&e, &mut s, " COUNT 3");
    assert_eq!(keys.len(), 15);
    assert_eq!(stored(&e, 0), 15);
    assert_eq!(scan_all(&e, &mut s, " TYPE string").len(), 15);
    // Redis quirk: with TYPE, the type lookup deletes an expired key and
    // calls it "none", so `TYPE none` lists keys that just expired, once.
    int(&e, &mut s, "PEXPIRE k5 5", 1);
    int(&e, &mut s, "PEXPIRE k6 5", 1);
    clock.advance(6);
    let mut none = scan_all(&e, &mut s, " TYPE none");
    none.sort();
    assert_eq!(none, vec![b"k5".to_vec(), b"k6".to_vec()]);
    assert_eq!(stored(&e, 0), 13);
    assert!(scan_all(&e, &mut s, " TYPE NONE").is_empty());
    // A key filtered out by MATCH is not looked at, so not deleted.
    int(&e, &mut s, "PEXPIRE k7 5", 1);
    clock.advance(6);
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

// ---------------------------------------------------------------------------
// Differential tests against redis-server.
// ---------------------------------------------------------------------------

/// Runs each command (space-separated words) through `check`.
fn check_all(p: &mut Pair, cmds: &[&str]) {
    for c in cmds {
        let argv: Vec<&str> = c.split(' ').collect();
        p.check(&argv);
    }
}

/// Both protocols.
fn both_protocols() -> [Pair; 2] {
    [Pair::new(), Pair::resp3()]
}

/// One key of each type in the selected db.
fn one_of_each(p: &mut Pair) {
    check_all(
        p,
        &[
            "SET s hello",
            "SET n 42",
            "HSET h f v",
            "RPUSH l a b c",
            "SADD set x y",
            "SADD iset 1 2 3",
            "ZADD z 1 a 2 b",
        ],
    );
}

#[test]
fn del_unlink_exists_type_touch() {
    for mut p in both_protocols() {
        one_of_each(&mut p);
        check_all(
            &mut p,
            &[
                "EXISTS s",
                "EXISTS s s s nokey",
                "EXISTS nokey",
                "EXISTS",
                "TYPE s",
                "TYPE n",
                "TYPE h",
                "TYPE l",
                "TYPE set",
                "TYPE z",
                "TYPE nokey",
                "TYPE",
                "TYPE a b",
                "TOUCH s h l nokey s",
                "TOUCH nokey",
                "TOUCH",
                "DEL s h nokey",
                "DEL s",
                "DEL",
                "EXISTS s h",
                "UNLINK l set l nokey",
                "UNLINK",
                "UNLINK z iset n",
                "EXISTS l set z iset n",
                "DBSIZE",
            ],
        );
        p.check_same_data();
    }
}

#[test]
fn keys_patterns() {
    let mut p = Pair::new();
    one_of_each(&mut p);
    check_all(&mut p, &["MSET a1 1 a2 2 b1 3 ab 4 a*b 5 a?b 6 [x] 7"]);
    for pat in [
        "*", "a*", "a?", "*1", "a[12]", "a[^1]", "a[1-2]", "\\[x\\]", "a\\*b", "a\\?b", "[a-b]*",
        "nomatch", "", "s", "?", "*[", "[", "a**", "A*",
    ] {
        p.check_unordered(&["KEYS", pat]);
    }
    check_all(&mut p, &["KEYS", "KEYS a b"]);
}

#[test]
fn rename_and_renamenx() {
    for mut p in both_protocols() {
        one_of_each(&mut p);
        check_all(
            &mut p,
            &[
                "RENAME s s2",
                "GET s2",
                "EXISTS s",
                "RENAME s s2",
                "RENAME nokey nokey",
                "RENAME s2 s2",
                "RENAMENX s2 s2",
                "RENAMENX nokey nokey",
                "RENAMENX nokey x",
                "RENAME h l",
                "TYPE l",
                "HGETALL l",
                "RENAMENX l z",
                "RENAMENX l fresh",
                "TYPE fresh",
                "EXPIRE fresh 100",
                "RENAME fresh withttl",
                "TTL withttl",
                "RENAMENX withttl ttl2",
                "TTL ttl2",
                "SET over x",
                "EXPIRE over 100",
                "RENAME n over",
                "TTL over",
                "GET over",
                "RENAME",
                "RENAME a",
                "RENAME a b c",
                "RENAMENX a",
            ],
        );
        p.check_same_data();
    }
}

#[test]
fn copy_and_move() {
    for mut p in both_protocols() {
        one_of_each(&mut p);
        check_all(
            &mut p,
            &[
                "COPY s s",
                "COPY s s DB 0",
                "COPY s s db 1",
                "COPY nokey nokey",
                "COPY nokey x",
                "COPY s s2",
                "COPY s s2",
                "COPY n s2",
                "COPY n s2 REPLACE",
                "GET s2",
                "COPY h h2",
                "COPY l l2",
                "COPY set set2",
                "COPY iset iset2",
                "COPY z z2 REPLACE",
                "LPUSH l2 zz",
                "LRANGE l LRANGE",
                "LRANGE l 0 -1",
                "LRANGE l2 0 -1",
                "COPY s x DB",
                "COPY s x DB 16",
                "COPY s x DB -1",
                "COPY s x DB abc",
                "COPY s x DB 99999999999",
                "COPY s x REPLACE FOO",
                "COPY s x REPLACE REPLACE DB 2 DB 3",
                "COPY s x db 3",
                "COPY s x db 3 replace",
                "EXPIRE z 100",
                "COPY z zt db 4",
                "COPY",
                "COPY s",
                "MOVE s 0",
                "MOVE s 16",
                "MOVE s -1",
                "MOVE s x",
                "MOVE s 99999999999",
                "MOVE s 1.5",
                "MOVE nokey 1",
                "MOVE nokey 0",
                "MOVE s 1",
                "MOVE s 1",
                "MOVE n 1",
                "MOVE z 5",
                "MOVE",
                "MOVE s",
                "SELECT 1",
                "MOVE s 0",
                "MOVE n 0",
                "GET n",
                "SELECT 5",
                "TTL z",
                "SELECT 4",
                "TTL zt",
                "SELECT 3",
                "GET x",
                "SELECT 0",
            ],
        );
        p.check_same_data();
    }
}

#[test]
fn expire_family() {
    for mut p in both_protocols() {
        one_of_each(&mut p);
        check_all(
            &mut p,
            &[
                "EXPIRE s 100",
                "TTL s",
                "EXPIRE s 100 NX",
                "EXPIRE s 200 XX",
                "TTL s",
                "EXPIRE s 100 GT",
                "EXPIRE s 300 gt",
                "EXPIRE s 300 LT",
                "EXPIRE s 150 lt",
                "TTL s",
                "EXPIRE h 100 XX",
                "EXPIRE h 100 GT",
                "EXPIRE h 100 LT",
                "TTL h",
                "PERSIST h",
                "EXPIRE h 100 NX",
                "EXPIRE nokey 100",
                "EXPIRE nokey 100 NX",
                "EXPIRE s 100 NX XX",
                "EXPIRE s 100 NX GT",
                "EXPIRE s 100 nx lt",
                "EXPIRE s 100 GT LT",
                "EXPIRE s 100 XX GT",
                "EXPIRE s 100 XX LT XX",
                "EXPIRE s 100 FOO",
                "EXPIRE s 100 NX FOO",
                "EXPIRE s abc",
                "EXPIRE s 1.5",
                "EXPIRE s abc FOO",
                "EXPIRE nokey abc",
                "EXPIRE s 9223372036854775807",
                "EXPIRE s 9223372036854776",
                "EXPIRE s 9223372036854775",
                "EXPIRE s -9223372036854776",
                "PEXPIRE s 9223372036854775807",
                "PEXPIRE nokey 9223372036854775807",
                "EXPIREAT s 9223372036854776",
                "EXPIREAT s 9223372036854775807",
                "PEXPIREAT s 9223372036854775807",
                "PEXPIRETIME s",
                "EXPIRETIME s",
                "TTL s",
                "PERSIST s",
                "EXPIREAT s 4102444800",
                "EXPIRETIME s",
                "PEXPIRETIME s",
                "PEXPIREAT s 4102444800123",
                "PEXPIRETIME s",
                "EXPIRETIME s",
                "PEXPIREAT s 4102444800499",
                "EXPIRETIME s",
                "PEXPIREAT s 4102444800500",
                "EXPIRETIME s",
                "EXPIRETIME h",
                "PEXPIRETIME nokey",
                "TTL nokey",
                "PTTL nokey",
                "PTTL h",
                "PERSIST nokey",
                "PERSIST s",
                "PERSIST s",
                "EXPIRE s -1",
                "EXISTS s",
                "PEXPIRE n 0",
                "EXISTS n",
                "EXPIREAT l 1",
                "EXISTS l",
                "PEXPIREAT z -9223372036854775808",
                "EXISTS z",
                "SET s v",
                "EXPIRE s 100",
                "EXPIRE s -9223372036854775 LT",
                "EXISTS s",
                "SET s v",
                "EXPIRE s -5 GT",
                "EXISTS s",
                "EXPIRE",
                "EXPIRE s",
                "TTL",
                "TTL a b",
                "PERSIST",
                "EXPIRETIME",
                "SET s v EX 100",
                "SET s v2",
                "TTL s",
            ],
        );
        let (ours, theirs) = p.both(&["PTTL", "set"]);
        assert_eq!((ours, theirs), (Reply::Int(-1), Reply::Int(-1)));
        p.check(&["PEXPIRE", "set", "100000"]);
        let (theirs, ours) = p.both(&["PTTL", "set"]);
        let near = |r: &Reply| matches!(r, Reply::Int(n) if (99_000..=100_000).contains(n));
        assert!(near(&theirs) && near(&ours), "{theirs:?} {ours:?}");
        p.check_same_data();
    }
}

#[test]
fn object_subcommands() {
    for mut p in both_protocols() {
        one_of_each(&mut p);
        let long = "x".repeat(45);
        let emb = "x".repeat(44);
        p.check(&["SET", "long", &long]);
        p.check(&["SET", "emb", &emb]);
        p.check(&["HSET", "hlong", "f", &"v".repeat(65)]);
        p.check(&["ZADD", "zlong", "1", &"m".repeat(65)]);
        check_all(
            &mut p,
            &[
                "SET neg -5",
                "SET big 10000",
                "SET small 9999",
                "SET zero 0",
                "SET lead 007",
                "SET huge 99999999999999999999",
                "SET fl 1.5",
                "SADD mixed 1 a",
                "APPEND app x",
                "SET app2 12",
                "APPEND app2 3",
                "INCR ctr",
                "INCRBYFLOAT fctr 3",
            ],
        );
        for key in [
            "s", "n", "h", "l", "set", "iset", "z", "long", "emb", "hlong", "zlong", "neg", "big",
            "small", "zero", "lead", "huge", "fl", "mixed", "app", "app2", "ctr", "fctr", "nokey",
        ] {
            p.check(&["OBJECT", "ENCODING", key]);
            p.check(&["OBJECT", "REFCOUNT", key]);
            p.check(&["OBJECT", "FREQ", key]);
            p.check(&["object", "encoding", key]);
        }
        let (theirs, ours) = p.both(&["OBJECT", "IDLETIME", "s"]);
        let fresh = |r: &Reply| matches!(r, Reply::Int(0..=2));
        assert!(fresh(&theirs) && fresh(&ours), "{theirs:?} {ours:?}");
        // Growing past the listpack/intset limits converts for good.
        for i in 0..130 {
            let f = i.to_string();
            p.check(&["HSET", "hgrow", &f, "v"]);
            p.check(&["ZADD", "zgrow", &f, &f]);
        }
        for i in 0..513 {
            p.check(&["SADD", "sgrow", &i.to_string()]);
        }
        check_all(
            &mut p,
            &[
                "OBJECT ENCODING hgrow",
                "OBJECT ENCODING zgrow",
                "OBJECT ENCODING sgrow",
                "HDEL hgrow 0 1 2 3 4 5 6 7 8 9",
                "OBJECT ENCODING hgrow",
                "COPY n ncopy",
                "OBJECT ENCODING ncopy",
                "RENAME small smallr",
                "OBJECT REFCOUNT smallr",
                "OBJECT IDLETIME nokey",
                "OBJECT HELP",
                "object help",
                "OBJECT HELP x",
                "OBJECT",
                "OBJECT ENCODING",
                "OBJECT ENCODING a b",
                "OBJECT REFCOUNT",
                "OBJECT FREQ",
                "OBJECT IDLETIME",
                "OBJECT NOSUCH",
                "OBJECT NOSUCH x",
                // Under an LFU policy IDLETIME errors and FREQ works; a key
                // not read since it was written has the initial counter 5.
                "CONFIG SET maxmemory-policy allkeys-lfu",
                "OBJECT IDLETIME s",
                "OBJECT IDLETIME nokey",
                "SET fk v",
                "OBJECT FREQ fk",
                "OBJECT FREQ nokey",
                "CONFIG SET maxmemory-policy volatile-lru",
                "OBJECT FREQ fk",
                "CONFIG SET maxmemory-policy noeviction",
            ],
        );
    }
}

/// A full SCAN iteration on the server (its own cursors); the keys seen.
fn redis_scan_all(p: &mut Pair, opts: &[&str]) -> HashSet<Vec<u8>> {
    let mut cursor = b"0".to_vec();
    let mut out = HashSet::new();
    loop {
        let mut argv: Vec<&[u8]> = vec![b"SCAN", &cursor];
        argv.extend(opts.iter().map(|o| o.as_bytes()));
        let Reply::Array(r) = p.redis.call(&argv) else {
            panic!("SCAN")
        };
        cursor = bulk(&r[0]);
        let Reply::Array(keys) = &r[1] else { panic!() };
        out.extend(keys.iter().map(bulk));
        if cursor == b"0" {
            return out;
        }
    }
}

#[test]
fn scan_matches_redis() {
    for mut p in both_protocols() {
        one_of_each(&mut p);
        for i in 0..300 {
            p.check(&["SET", &format!("key:{i}"), "x"]);
            if i % 3 == 0 {
                p.check(&["RPUSH", &format!("list:{i}"), "x"]);
            }
        }
        let opts: &[&[&str]] = &[
            &[],
            &["COUNT", "1"],
            &["COUNT", "1000"],
            &["MATCH", "key:1*"],
            &["MATCH", "*"],
            &["MATCH", "nomatch"],
            &["TYPE", "list"],
            &["TYPE", "LIST", "MATCH", "list:2*"],
            &["TYPE", "string", "COUNT", "7"],
            &["TYPE", "hash"],
            &["TYPE", "set"],
            &["TYPE", "zset"],
            &["TYPE", "nosuchtype"],
            &["MATCH", "a", "MATCH", "key:5*", "COUNT", "3", "COUNT", "50"],
        ];
        for o in opts {
            let theirs = redis_scan_all(&mut p, o);
            let opts: String = o.iter().map(|w| format!(" {w}")).collect();
            let ours: HashSet<Vec<u8>> = scan_all(&p.engine, &mut p.session, &opts)
                .into_iter()
                .collect();
            assert_eq!(theirs, ours, "SCAN ... {opts}");
        }
        check_all(
            &mut p,
            &[
                "SCAN",
                "SCAN x",
                "SCAN 1.5",
                "SCAN 18446744073709551616",
                "SCAN 0 COUNT",
                "SCAN 0 COUNT 0",
                "SCAN 0 COUNT -1",
                "SCAN 0 COUNT x",
                "SCAN 0 MATCH",
                "SCAN 0 TYPE",
                "SCAN 0 FOO bar",
                "SCAN 0 COUNT 9223372036854775808",
                "SCAN x COUNT 0",
                "SCAN 0 COUNT 0 FOO",
            ],
        );
        // A huge COUNT walks everything in one call (Redis's budget
        // arithmetic overflows; ours saturates): same keys, cursor 0.
        p.check_unordered(&["SCAN", "0", "COUNT", "9223372036854775807"]);
        p.check(&["SCAN", " 1"]);
        p.check(&["SCAN", "1 "]);
        p.check(&["SCAN", "0x1"]);
        // On an empty db every cursor completes at once.
        p.check(&["SELECT", "9"]);
        for c in ["0", "", "+0", "-0", "-1", "17", "18446744073709551615"] {
            p.check(&["SCAN", c]);
        }
    }
}

#[test]
fn randomkey_properties() {
    for mut p in both_protocols() {
        p.check(&["RANDOMKEY"]);
        p.check(&["RANDOMKEY", "x"]);
        one_of_each(&mut p);
        let keys = ["s", "n", "h", "l", "set", "iset", "z"];
        let mut seen = HashSet::new();
        for _ in 0..300 {
            let (theirs, ours) = p.check_shape(&["RANDOMKEY"]);
            for r in [theirs, ours.clone()] {
                let k = bulk(&r);
                assert!(keys.iter().any(|w| w.as_bytes() == k), "{k:?}");
            }
            seen.insert(bulk(&ours));
        }
        assert_eq!(seen.len(), keys.len(), "RANDOMKEY never returned some keys");
        p.check(&["SELECT", "3"]);
        p.check(&["SET", "only", "1"]);
        for _ in 0..5 {
            p.check(&["RANDOMKEY"]);
        }
    }
}

/// Keys of the random sequences, across types.
const KEYS: &[&str] = &["a", "b", "c", "d", "e"];

/// A random generic-key command over `KEYS` (or a bad one).
fn random_key_command(r: &mut SmallRng) -> Vec<String> {
    let k = |r: &mut SmallRng| KEYS.choose(r).unwrap().to_string();
    let mut argv: Vec<String> = match r.random_range(0..26) {
        0 => vec!["SET".into(), k(r), r.random_range(0..20).to_string()],
        1 => vec!["RPUSH".into(), k(r), "x".into(), "y".into()],
        2 => vec!["SADD".into(), k(r), r.random_range(0..5).to_string()],
        3 => vec!["HSET".into(), k(r), "f".into(), "v".into()],
        4 => vec!["ZADD".into(), k(r), "1".into(), "m".into()],
        5 => vec!["DEL".into(), k(r), k(r)],
        6 => vec!["UNLINK".into(), k(r)],
        7 => vec!["EXISTS".into(), k(r), k(r), k(r)],
        8 => vec!["TYPE".into(), k(r)],
        9 => vec!["RENAME".into(), k(r), k(r)],
        10 => vec!["RENAMENX".into(), k(r), k(r)],
        11 => {
            let mut v = vec!["COPY".into(), k(r), k(r)];
            if r.random_bool(0.4) {
                v.extend(["DB".into(), r.random_range(0..3).to_string()]);
            }
            if r.random_bool(0.4) {
                v.push("REPLACE".into());
            }
            v
        }
        12 => vec!["MOVE".into(), k(r), r.random_range(-1..3).to_string()],
        13 => vec!["TOUCH".into(), k(r), k(r)],
        14 => {
            // Deadlines are either past (immediate delete) or far enough
            // ahead that no key expires between the two servers' clocks.
            let (cmd, unit) = *[("EXPIRE", 1), ("PEXPIRE", 1000)].choose(r).unwrap();
            let t = match r.random_bool(0.2) {
                true => r.random_range(-10..=0),
                false => r.random_range(100..200) * unit,
            };
            let mut v = vec![cmd.to_string(), k(r), t.to_string()];
            if r.random_bool(0.5) {
                v.push(
                    ["NX", "XX", "GT", "LT", "nx", "BAD"]
                        .choose(r)
                        .unwrap()
                        .to_string(),
                );
            }
            v
        }
        15 => {
            let at = 4_102_444_800u64 + r.random_range(0..1000);
            vec!["EXPIREAT".into(), k(r), at.to_string()]
        }
        16 => vec!["TTL".into(), k(r)],
        17 => vec!["EXPIRETIME".into(), k(r)],
        18 => vec!["PERSIST".into(), k(r)],
        19 => vec!["OBJECT".into(), "ENCODING".into(), k(r)],
        20 => vec!["OBJECT".into(), "REFCOUNT".into(), k(r)],
        21 => vec!["SELECT".into(), r.random_range(0..3).to_string()],
        22 => vec!["EXPIRE".into(), k(r), "-1".into()],
        23 => vec!["INCR".into(), k(r)],
        24 => vec!["APPEND".into(), k(r), "z".into()],
        _ => vec![
            ["RENAME", "COPY", "MOVE", "EXPIRE", "TTL", "OBJECT"]
                .choose(r)
                .unwrap()
                .to_string(),
        ],
    };
    if r.random_bool(0.02) {
        argv.push("extra".into());
    }
    argv
}

#[test]
fn random_key_sequences() {
    let mut r = rng("random_key_sequences");
    for mut p in both_protocols() {
        for _ in 0..1200 {
            let argv = random_key_command(&mut r);
            let refcount = argv.get(1).is_some_and(|a| a == "REFCOUNT");
            if argv[0] == "TTL" || argv[0] == "EXPIRETIME" || refcount {
                // TTLs set with EXPIRE/PEXPIRE count down in real time; a
                // COPY of a small integer is unshared in Redis (refcount 1),
                // which the engine does not track (see `object_subcommands`).
                p.check_shape(&argv);
            } else {
                p.check(&argv);
            }
        }
        p.check_same_data();
    }
}
