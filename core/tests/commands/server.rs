//! Server and connection commands, against a real redis-server: PING, ECHO,
//! SELECT, SWAPDB, FLUSHDB, FLUSHALL, DBSIZE, TIME (here), CONFIG, CLIENT /
//! HELLO / AUTH / RESET, INFO, COMMAND and DEBUG (submodules), and a generated
//! command sequence.

mod config;
mod connection;
mod debug;
mod dirty;
mod info;
mod introspect;

use crate::harness::{Pair, show};
use kvstore_core::cmd::table;
use kvstore_core::keyspace::{Entry, Value};
use kvstore_core::{Engine, Options, Reply};
use rand::Rng;
use std::sync::Arc;

/// Stores string `key` = `value` in `db` on both sides, with a TTL in
/// seconds when given, without changing the selected db. Uses SET when the
/// engine has it; otherwise writes the engine's keyspace directly.
pub(crate) fn seed(p: &mut Pair, db: usize, key: &str, value: &str, ttl: Option<u64>) {
    let current = p.session.db;
    let dbs = db.to_string();
    let mut set = vec!["SET", key, value];
    let ttl_s = ttl.map(|t| t.to_string());
    if let Some(t) = &ttl_s {
        set.extend(["EX", t.as_str()]);
    }
    p.redis.call(&["SELECT", dbs.as_str()]);
    assert_eq!(p.redis.call(&set), Reply::ok(), "redis: {}", show(&set));
    p.redis.call(&["SELECT", current.to_string().as_str()]);
    if table::lookup(b"set").is_some() {
        p.session.db = db;
        let r = p.engine.execute(&mut p.session, &set);
        assert_eq!(r, Reply::ok(), "{}", show(&set));
        p.session.db = current;
        return;
    }
    let now = p.engine.shared().clock.now_ms();
    insert(&p.engine, db, key, value, ttl.map(|t| now + t * 1000));
}

/// Writes a string key straight into the engine's keyspace.
pub(crate) fn insert(engine: &Engine, db: usize, key: &str, value: &str, expire_at: Option<u64>) {
    let ks = &engine.shared().keyspace;
    let mut shard = ks.lock(db, ks.shard_of(key.as_bytes()));
    let mut e = Entry::new(Value::Str(value.as_bytes().to_vec()));
    e.expire = expire_at.unwrap_or(0);
    shard.map.insert(key.as_bytes(), e);
}

/// Compares the keys (names and types) of every db, and the data itself
/// when the engine can read it back (GET and TTL are on main: the tests
/// here only store strings).
pub(crate) fn same_keys(p: &mut Pair) {
    if table::lookup(b"get").is_some() && table::lookup(b"ttl").is_some() {
        p.check_same_data();
        return;
    }
    for db in 0..16 {
        p.check(&["SELECT".to_string(), db.to_string()]);
        p.check(&["DBSIZE"]);
        if let Reply::Array(keys) = p.check_unordered(&["KEYS", "*"]) {
            for k in keys {
                if let Reply::Bulk(k) = k {
                    p.check(&[&b"TYPE"[..], &k]);
                }
            }
        }
    }
    p.check(&["SELECT", "0"]);
}

#[test]
fn ping_echo_select() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["PING"]);
        p.check(&["ping", "hello"]);
        p.check(&["PING", ""]);
        p.check(&["PING", "a", "b"]);
        p.check(&["ECHO", "x\r\ny"]);
        p.check(&["ECHO", ""]);
        p.check(&["ECHO"]);
        p.check(&["ECHO", "a", "b"]);
        for db in [
            "15",
            "16",
            "-1",
            "abc",
            "0x1",
            " 1",
            "01",
            "2147483648",
            "-2147483649",
            "",
        ] {
            p.check(&["SELECT", db]);
        }
        p.check(&["SELECT"]);
        p.check(&["SELECT", "1", "2"]);
        p.check(&["select", "3"]);
        p.check(&["NOSUCHCOMMAND", "a", "b"]);
        p.check(&["nosuch"]);
        p.check(&["NOSUCH", &"x".repeat(300)]);
    }
}

#[test]
fn select_isolates_dbs() {
    let mut p = Pair::new();
    seed(&mut p, 0, "a", "0", None);
    seed(&mut p, 3, "a", "3", None);
    seed(&mut p, 3, "b", "3", None);
    for db in ["0", "3", "5"] {
        p.check(&["SELECT", db]);
        p.check(&["DBSIZE"]);
        p.check(&["EXISTS", "a", "b"]);
    }
    same_keys(&mut p);
}

#[test]
fn dbsize_and_flushes() {
    let mut p = Pair::new();
    p.check(&["DBSIZE"]);
    p.check(&["DBSIZE", "x"]);
    for i in 0..20 {
        seed(&mut p, i % 3, &format!("k{i}"), "v", None);
    }
    for db in ["0", "1", "2", "3"] {
        p.check(&["SELECT", db]);
        p.check(&["DBSIZE"]);
    }
    p.check(&["SELECT", "1"]);
    for bad in [
        &["FLUSHDB", "x"][..],
        &["FLUSHDB", "SYNC", "ASYNC"],
        &["FLUSHDB", "sync", "x"],
    ] {
        p.check(bad);
    }
    p.check(&["DBSIZE"]);
    p.check(&["FLUSHDB", "sync"]);
    p.check(&["DBSIZE"]);
    p.check(&["FLUSHDB"]);
    same_keys(&mut p);
    p.check(&["SELECT", "0"]);
    p.check(&["FLUSHDB", "ASYNC"]);
    same_keys(&mut p);
    for bad in [&["FLUSHALL", "x"][..], &["FLUSHALL", "ASYNC", "ASYNC"]] {
        p.check(bad);
    }
    p.check(&["SELECT", "2"]);
    p.check(&["DBSIZE"]);
    p.check(&["FLUSHALL", "Async"]);
    p.check(&["DBSIZE"]);
    seed(&mut p, 4, "x", "y", None);
    p.check(&["FLUSHALL", "SYNC"]);
    p.check(&["FLUSHALL"]);
    same_keys(&mut p);
}

#[test]
fn swapdb() {
    let mut p = Pair::resp3();
    seed(&mut p, 0, "a", "0", None);
    seed(&mut p, 0, "b", "0", Some(1000));
    seed(&mut p, 1, "c", "1", None);
    for args in [
        &["SWAPDB"][..],
        &["SWAPDB", "0"],
        &["SWAPDB", "0", "1", "2"],
        &["SWAPDB", "x", "0"],
        &["SWAPDB", "0", "x"],
        &["SWAPDB", "x", "y"],
        &["SWAPDB", "0", "16"],
        &["SWAPDB", "16", "x"],
        &["SWAPDB", "-1", "0"],
        &["SWAPDB", "4294967296", "0"],
        &["SWAPDB", "0", "2147483648"],
        &["SWAPDB", "0", "1.0"],
    ] {
        p.check(args);
    }
    same_keys(&mut p);
    p.check(&["SWAPDB", "0", "1"]);
    same_keys(&mut p);
    p.check(&["SWAPDB", "1", "1"]);
    p.check(&["SWAPDB", "15", "1"]);
    same_keys(&mut p);
    // The selected db's contents change under the client.
    p.check(&["SELECT", "15"]);
    p.check(&["DBSIZE"]);
    p.check(&["TYPE", "b"]);
    p.check(&["SWAPDB", "15", "0"]);
    p.check(&["DBSIZE"]);
    same_keys(&mut p);
}

/// SWAPDB and FLUSHALL keep each shard's count of keys with a TTL right,
/// which INFO keyspace reports as `expires=`.
#[test]
fn swapdb_keeps_expiry_counts() {
    let clock = Arc::new(kvstore_core::clock::ManualClock::new(1_000_000));
    let engine = Engine::with_options(Options {
        clock: clock.clone(),
        background: false,
        ..Options::default()
    });
    let mut s = engine.session();
    for i in 0..10 {
        let at = (i % 2 == 0).then_some(1_000_000 + 60_000);
        insert(&engine, 2, &format!("k{i}"), "v", at);
    }
    let keyspace = |s: &mut kvstore_core::Session| match engine.execute(s, &["INFO", "keyspace"]) {
        Reply::Verbatim(_, t) => String::from_utf8(t).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        keyspace(&mut s),
        "# Keyspace\r\ndb2:keys=10,expires=5,avg_ttl=60000\r\n"
    );
    assert_eq!(engine.execute(&mut s, &["SWAPDB", "2", "7"]), Reply::ok());
    assert_eq!(
        keyspace(&mut s),
        "# Keyspace\r\ndb7:keys=10,expires=5,avg_ttl=60000\r\n"
    );
    clock.advance(30_000);
    assert!(keyspace(&mut s).ends_with("avg_ttl=30000\r\n"));
    engine.execute(&mut s, &["SELECT", "7"]);
    assert_eq!(engine.execute(&mut s, &["DBSIZE"]), Reply::Int(10));
    assert_eq!(engine.execute(&mut s, &["FLUSHALL"]), Reply::ok());
    assert_eq!(keyspace(&mut s), "# Keyspace\r\n");
    assert_eq!(engine.execute(&mut s, &["DBSIZE"]), Reply::Int(0));
}

/// Large flushes, ASYNC (freed by a background thread) or not.
#[test]
fn large_flushes() {
    let engine = Engine::new();
    let mut s = engine.session();
    for mode in ["ASYNC", "SYNC", ""] {
        for db in [0, 5] {
            for i in 0..10_000 {
                insert(&engine, db, &format!("key:{i}"), "v", None);
            }
        }
        let mut argv = vec!["FLUSHALL"];
        if mode.is_empty() {
            engine.execute(
                &mut s,
                &["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"],
            );
        } else {
            argv.push(mode);
        }
        assert_eq!(engine.execute(&mut s, &argv), Reply::ok());
        for db in ["0", "5"] {
            engine.execute(&mut s, &["SELECT", db]);
            assert_eq!(engine.execute(&mut s, &["DBSIZE"]), Reply::Int(0));
        }
        insert(&engine, 5, "x", "v", None);
        assert_eq!(engine.execute(&mut s, &["DBSIZE"]), Reply::Int(1));
        assert_eq!(engine.execute(&mut s, &["FLUSHDB", "ASYNC"]), Reply::ok());
        assert_eq!(engine.execute(&mut s, &["DBSIZE"]), Reply::Int(0));
    }
}

#[test]
fn time() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["TIME", "x"]);
        let (theirs, ours) = p.both(&["TIME"]);
        let secs = |r: &Reply| match r {
            Reply::Array(v) if v.len() == 2 => {
                let n: Vec<u64> = v
                    .iter()
                    .map(|x| match x {
                        Reply::Bulk(b) => std::str::from_utf8(b).unwrap().parse().unwrap(),
                        other => panic!("{other:?}"),
                    })
                    .collect();
                assert!(n[1] < 1_000_000);
                n[0]
            }
            other => panic!("TIME: {other:?}"),
        };
        assert!(secs(&theirs).abs_diff(secs(&ours)) <= 2);
    }
    // TIME reads the engine's clock.
    let clock = Arc::new(kvstore_core::clock::ManualClock::new(1_700_000_123_456));
    let engine = Engine::with_options(Options {
        clock,
        background: false,
        ..Options::default()
    });
    let mut s = engine.session();
    assert_eq!(
        engine.execute(&mut s, &["TIME"]),
        Reply::Array(vec![
            Reply::Bulk(b"1700000123".to_vec()),
            Reply::Bulk(b"456000".to_vec())
        ])
    );
}

#[test]
fn role_and_lastsave() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["ROLE"]);
        p.check(&["ROLE", "x"]);
        p.check(&["LASTSAVE", "x"]);
        let (theirs, ours) = p.both(&["LASTSAVE"]);
        let (Reply::Int(t), Reply::Int(o)) = (theirs, ours) else {
            panic!("LASTSAVE is an integer")
        };
        // Both started a moment ago and never saved.
        assert!(t.abs_diff(o) <= 5, "{t} vs {o}");
    }
}

/// A random mix of this family's commands (and the key and string commands
/// on main), with bad arguments, protocol switches and RESETs, over a few
/// dbs and keys, compared reply by reply.
#[test]
fn random_sequence() {
    let mut rng = crate::harness::rng("server::random_sequence");
    let mut p = Pair::new();
    let keys = ["a", "b", "c", "d"];
    let dbs = ["0", "1", "2", "15", "16", "-1", "x"];
    // No maxmemory or timeout here: small values would make the real
    // server refuse writes or drop the connection.
    let params = [
        "hz",
        "maxmemory-policy",
        "hash-max-listpack-entries",
        "notify-keyspace-events",
    ];
    let values = ["0", "10", "-1", "1kb", "KEA", "allkeys-lru", "x", ""];
    let names = ["app", "a b", "", "x\ny", "worker-1"];
    for _ in 0..2500 {
        let k = keys[rng.random_range(0..keys.len())];
        let db = dbs[rng.random_range(0..dbs.len())];
        let db2 = dbs[rng.random_range(0..dbs.len())];
        let argv: Vec<&str> = match rng.random_range(0..27) {
            0 => {
                let d = rng.random_range(0..3);
                seed(&mut p, d, k, "v", None);
                continue;
            }
            1 => vec!["PING"],
            2 => vec!["PING", k],
            3 => vec!["ECHO", k],
            4 | 5 => vec!["SELECT", db],
            6 => vec!["SWAPDB", db, db2],
            7 => vec!["DBSIZE"],
            8 if rng.random_ratio(1, 4) => vec!["FLUSHDB"],
            9 if rng.random_ratio(1, 10) => {
                vec!["FLUSHALL", ["ASYNC", "SYNC", "x"][rng.random_range(0..3)]]
            }
            10 => vec!["EXISTS", k, keys[rng.random_range(0..keys.len())]],
            11 => vec!["DEL", k],
            12 => vec!["TYPE", k],
            13 => vec!["CONFIG", "GET", params[rng.random_range(0..params.len())]],
            14 => vec![
                "CONFIG",
                "SET",
                params[rng.random_range(0..params.len())],
                values[rng.random_range(0..values.len())],
            ],
            15 => vec!["CLIENT", "SETNAME", names[rng.random_range(0..names.len())]],
            16 => vec!["CLIENT", "GETNAME"],
            17 => vec!["COMMAND", "GETKEYS", "DEL", k, "b"],
            18 => vec![
                "COMMAND",
                "INFO",
                ["select", "ping", "x", "config|get"][rng.random_range(0..4)],
            ],
            19 => vec!["FLUSHDB", db],
            20 => vec!["KEYS", "*"],
            21 => vec!["SET", k, db],
            22 => vec!["GET", k],
            23 if rng.random_ratio(1, 5) => vec!["RESET"],
            24 => {
                let proto = ["2", "3", "4", "x"][rng.random_range(0..4)];
                connection::check_hello(&mut p, &["HELLO", proto]);
                continue;
            }
            25 => vec!["CONFIG", "GET", "*max*-entries"],
            _ => vec!["SWAPDB", db],
        };
        if argv[0] == "SET" || argv[0] == "GET" {
            // The string family's; compared once it is on main.
            if table::lookup(argv[0].as_bytes()).is_none() {
                continue;
            }
        }
        if argv[0] == "KEYS" || argv[1..].first() == Some(&"GET") && argv[0] == "CONFIG" {
            if argv[0] == "KEYS" {
                p.check_unordered(&argv);
            } else {
                p.check_pairs(&argv);
            }
        } else {
            p.check(&argv);
        }
    }
    assert!(
        p.log.len() >= 2000,
        "only {} commands compared",
        p.log.len()
    );
    same_keys(&mut p);
}
