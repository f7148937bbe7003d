//! The string commands, differential against redis-server: hand-written
//! cases for every command and option (RESP2 and RESP3), TTL checks with a
//! tolerance, deterministic expiry with a manual clock, and a generated
//! sequence of colliding commands compared reply by reply.

use crate::harness::{Pair, rng};
use kvstore_core::clock::{Clock, ManualClock};
use kvstore_core::keyspace::{Entry, Value};
use kvstore_core::{Engine, Options, Reply};
use rand::Rng;
use rand::rngs::SmallRng;
use std::collections::VecDeque;
use std::sync::Arc;

/// Checks every argv on `p`.
pub fn run(p: &mut Pair, cases: &[&[&str]]) {
    for argv in cases {
        p.check(argv);
    }
}

/// Runs `cases` on a fresh RESP2 pair and a fresh RESP3 pair, after
/// `setup` (which may create wrong-type keys).
pub fn run_both(setup: fn(&mut Pair), cases: &[&[&str]]) {
    for mut p in [Pair::new(), Pair::resp3()] {
        setup(&mut p);
        run(&mut p, cases);
    }
}

/// Creates the list `key` (a wrong-type key for string commands) on both
/// sides. The engine's list commands belong to another family, so the entry
/// is put straight into the keyspace.
pub fn put_list(p: &mut Pair, key: &str) {
    p.redis.call(&["DEL", key]);
    p.redis.call(&["RPUSH", key, "x"]);
    p.engine.execute(&mut p.session, &["DEL", key]);
    let ks = &p.engine.shared().keyspace;
    let list = Value::List(Box::new(VecDeque::from([b"x".to_vec()])));
    ks.lock(p.session.db, ks.shard_of(key.as_bytes()))
        .map
        .insert(key.as_bytes(), Entry::new(list));
}

/// The standard setup: `list` is a list on both sides.
pub fn with_list(p: &mut Pair) {
    put_list(p, "list");
}

fn no_setup(_: &mut Pair) {}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The engine's PTTL of `key` in the selected db, read from the keyspace
/// (-2 absent, -1 persistent).
pub fn our_pttl(p: &Pair, key: &[u8]) -> i64 {
    let ks = &p.engine.shared().keyspace;
    let shard = ks.lock(p.session.db, ks.shard_of(key));
    match shard.map.get(key) {
        None => -2,
        Some(e) if e.expire() == 0 => -1,
        Some(e) if (e.expire() as i64) <= now_ms() => -2,
        Some(e) => e.expire() as i64 - now_ms(),
    }
}

/// Asserts that `key` has the same TTL on both sides: same absence or
/// persistence, or remaining times within 1.5 s of each other.
pub fn check_ttl(p: &mut Pair, key: &str) {
    let Reply::Int(theirs) = p.redis.call(&["PTTL", key]) else {
        panic!("PTTL failed")
    };
    let ours = our_pttl(p, key.as_bytes());
    let same = if theirs < 0 || ours < 0 {
        theirs == ours
    } else {
        (theirs - ours).abs() < 1500
    };
    assert!(
        same,
        "TTL of {key}: redis {theirs} ms, kvstore {ours} ms\nlast: {:?}",
        p.log.last()
    );
}

/// Removes every TTL (GETEX PERSIST, compared) and the wrong-type keys,
/// then compares whole keyspaces.
pub fn finish(p: &mut Pair, keys: &[String], wrong: &[&str]) {
    for k in keys {
        check_ttl(p, k);
        p.check(&["GETEX", k.as_str(), "PERSIST"]);
    }
    for w in wrong {
        p.check(&["DEL", w]);
    }
    p.check_same_data();
}

#[test]
fn get_and_set() {
    run_both(
        with_list,
        &[
            &["GET", "k"],
            &["SET", "k", "v"],
            &["GET", "k"],
            &["SET", "k", ""],
            &["GET", "k"],
            &["SET", "k", "a\0b\r\nc"],
            &["GET", "k"],
            &["GET", "list"],
            &["SET", "list", "now a string"],
            &["GET", "list"],
            &["get", "k"],
            &["GET"],
            &["GET", "a", "b"],
            &["SET", "k"],
            &["SET"],
            &["STRLEN", "k"],
        ],
    );
}

#[test]
fn set_options() {
    run_both(
        with_list,
        &[
            &["SET", "k", "1", "NX"],
            &["SET", "k", "2", "NX"],
            &["GET", "k"],
            &["SET", "k", "3", "XX"],
            &["SET", "nokey", "3", "XX"],
            &["GET", "nokey"],
            &["SET", "k", "4", "GET"],
            &["SET", "new", "4", "GET"],
            &["SET", "k", "5", "NX", "GET"],
            &["SET", "k", "6", "XX", "GET"],
            &["SET", "absent", "6", "XX", "GET"],
            &["SET", "absent2", "6", "NX", "GET"],
            &["GET", "k"],
            &["SET", "list", "v", "GET"],
            &["SET", "list", "v", "NX", "GET"],
            &["SET", "list", "v", "XX"],
            &["SET", "k", "v", "nx", "xx"],
            &["SET", "k", "v", "xx", "nx"],
            &["SET", "k", "v", "NX", "NX"],
            &["SET", "k", "v", "GET", "GET"],
            &["SET", "k", "v", "KEEPTTL", "KEEPTTL"],
            &["SET", "k", "v", "EX", "10", "PX", "10"],
            &["SET", "k", "v", "PX", "10", "EXAT", "10"],
            &["SET", "k", "v", "EXAT", "10", "PXAT", "10"],
            &["SET", "k", "v", "PXAT", "10", "EX", "10"],
            &["SET", "k", "v", "EX", "10", "KEEPTTL"],
            &["SET", "k", "v", "KEEPTTL", "PX", "10"],
            &["SET", "k", "v", "PERSIST"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "PX"],
            &["SET", "k", "v", "EXAT"],
            &["SET", "k", "v", "PXAT"],
            &["SET", "k", "v", "FOO"],
            &["SET", "k", "v", "NX\0junk"],
            &["SET", "k", "v", "EX", "abc"],
            &["SET", "k", "v", "EX", "1.5"],
            &["SET", "k", "v", "EX", "0"],
            &["SET", "k", "v", "EX", "-1"],
            &["SET", "k", "v", "PX", "0"],
            &["SET", "k", "v", "EXAT", "0"],
            &["SET", "k", "v", "PXAT", "-5"],
            &["SET", "k", "v", "EX", "9223372036854775"],
            &["SET", "k", "v", "EX", "9223372036854776"],
            &["SET", "k", "v", "PX", "9223372036854775807"],
            &["SET", "k", "v", "EXAT", "9223372036854776"],
            &["SET", "k", "v", "EX", "9223372036854775808"],
            // The expiry is checked before GET's type check.
            &["SET", "list", "v", "GET", "EX", "0"],
            &["SET", "list", "v", "GET", "EX", "abc"],
            // A deadline in the past stores a key that reads as gone at
            // once; it stays (DBSIZE counts it) until an access removes it.
            &["SET", "past", "v", "EXAT", "1"],
            &["DBSIZE"],
            &["GET", "past"],
            &["DBSIZE"],
            &["SET", "past", "v", "PXAT", "1000"],
            &["GET", "past"],
            &["SET", "k", "v", "PXAT", "9223372036854775807"],
            &["SET", "k", "v", "EXAT", "9223372036854775"],
            &["GET", "k"],
            &["set", "k", "w", "ex", "100", "Get", "xX"],
            &["GET", "k"],
        ],
    );
}

#[test]
fn set_expiry_and_keepttl() {
    let mut p = Pair::new();
    put_list(&mut p, "list");
    p.check(&["SET", "k", "v", "EX", "100"]);
    check_ttl(&mut p, "k");
    p.check(&["SET", "k", "v2", "KEEPTTL"]);
    check_ttl(&mut p, "k");
    p.check(&["SET", "k", "v3", "KEEPTTL", "GET", "XX"]);
    check_ttl(&mut p, "k");
    p.check(&["SET", "k", "v4"]);
    check_ttl(&mut p, "k");
    p.check(&["SET", "k", "v", "PX", "50000"]);
    check_ttl(&mut p, "k");
    p.check(&["SET", "k", "v", "NX", "EX", "5"]);
    check_ttl(&mut p, "k");
    let at = ((now_ms() + 200_000) / 1000).to_string();
    p.check(&["SET", "k", "v", "EXAT", &at]);
    check_ttl(&mut p, "k");
    let at = (now_ms() + 300_000).to_string();
    p.check(&["SET", "k", "v", "PXAT", &at]);
    check_ttl(&mut p, "k");
    p.check(&["SET", "k", "v", "EX", "9223372036854"]);
    check_ttl(&mut p, "k");
    p.check(&["SETEX", "k", "30", "v"]);
    check_ttl(&mut p, "k");
    p.check(&["PSETEX", "k", "30000", "v"]);
    check_ttl(&mut p, "k");
    // Counters and in-place edits keep the TTL; GETSET drops it.
    p.check(&["SET", "n", "1", "EX", "100"]);
    for argv in [
        &["INCR", "n"][..],
        &["INCRBYFLOAT", "n", "0.5"],
        &["APPEND", "n", "0"],
        &["SETRANGE", "n", "0", "9"],
        &["SETBIT", "n", "3", "1"],
        &["BITFIELD", "n", "SET", "u8", "0", "65"],
        &["GETSET", "n", "x"],
    ] {
        p.check(argv);
        check_ttl(&mut p, "n");
    }
    // BITOP's destination loses its TTL; an empty result deletes it.
    p.check(&["SET", "d", "x", "EX", "100"]);
    p.check(&["BITOP", "NOT", "d", "n"]);
    check_ttl(&mut p, "d");
    p.check(&["SET", "d", "x", "EX", "100"]);
    p.check(&["BITOP", "AND", "d", "nokey"]);
    check_ttl(&mut p, "d");
    p.check(&["SET", "d", "x", "PX", "100000"]);
    p.check(&["GETDEL", "d"]);
    check_ttl(&mut p, "d");
    p.check(&["MSET", "d", "1", "n", "2"]);
    check_ttl(&mut p, "d");
    finish(&mut p, &["k".into(), "n".into(), "d".into()], &["list"]);
}

#[test]
fn setnx_setex_psetex() {
    run_both(
        with_list,
        &[
            &["SETNX", "k", "1"],
            &["SETNX", "k", "2"],
            &["GET", "k"],
            &["SETNX", "list", "2"],
            &["SETNX", "k"],
            &["SETEX", "k", "100", "v"],
            &["GET", "k"],
            &["SETEX", "list", "100", "v"],
            &["GET", "list"],
            &["SETEX", "k", "0", "v"],
            &["SETEX", "k", "-10", "v"],
            &["SETEX", "k", "abc", "v"],
            &["SETEX", "k", "9223372036854775", "v"],
            &["SETEX", "k", "100"],
            &["PSETEX", "k", "100000", "v2"],
            &["GET", "k"],
            &["PSETEX", "k", "0", "v"],
            &["PSETEX", "k", "-1", "v"],
            &["PSETEX", "k", "x", "v"],
            &["PSETEX", "k", "9223372036854775807", "v"],
            &["GET", "k"],
            &["setex", "k", "10", "v", "extra"],
        ],
    );
}

#[test]
fn mget_mset_msetnx() {
    run_both(
        with_list,
        &[
            &["MSET", "a", "1", "b", "2", "c", "3"],
            &["MGET", "a", "b", "c", "list", "nokey", "a"],
            &["MSET", "a", "x", "a", "y"],
            &["GET", "a"],
            &["MSET", "a"],
            &["MSET", "a", "1", "b"],
            &["MSET"],
            &["MGET"],
            &["MSETNX", "a", "1", "z", "2"],
            &["GET", "z"],
            &["MSETNX", "y", "1", "z", "2"],
            &["MGET", "y", "z"],
            &["MSETNX", "list", "1"],
            &["MSETNX", "q", "1", "q", "2"],
            &["GET", "q"],
            &["MSETNX", "a", "1", "b"],
            &["MSET", "list", "now string"],
            &["MGET", "list"],
        ],
    );
}

#[test]
fn getset_getdel_getex() {
    run_both(
        with_list,
        &[
            &["GETSET", "k", "1"],
            &["GETSET", "k", "2"],
            &["GET", "k"],
            &["GETSET", "list", "x"],
            &["GETDEL", "k"],
            &["GETDEL", "k"],
            &["GET", "k"],
            &["GETDEL", "list"],
            &["SET", "k", "v"],
            &["GETEX", "k"],
            &["GETEX", "nokey"],
            &["GETEX", "nokey", "EX", "0"],
            &["GETEX", "nokey", "EX"],
            &["GETEX", "nokey", "FOO"],
            &["GETEX", "k", "EX", "100"],
            &["GETEX", "k", "PX", "100000"],
            &["GETEX", "k", "PERSIST"],
            &["GETEX", "k", "PERSIST", "PERSIST"],
            &["GETEX", "k", "EX", "0"],
            &["GETEX", "k", "EX", "-1"],
            &["GETEX", "k", "EX", "abc"],
            &["GETEX", "k", "EX", "9223372036854775"],
            &["GETEX", "k", "PX", "9223372036854775807"],
            &["GETEX", "k", "EXAT", "9223372036854776"],
            &["GETEX", "k", "PXAT", "9223372036854775807"],
            &["GETEX", "k", "EX", "10", "PX", "10"],
            &["GETEX", "k", "PERSIST", "EX", "10"],
            &["GETEX", "k", "EX", "10", "PERSIST"],
            &["GETEX", "k", "EX", "10", "EX", "20"],
            &["GETEX", "k", "KEEPTTL"],
            &["GETEX", "k", "NX"],
            &["GETEX", "k", "GET"],
            &["GETEX", "k", "EX"],
            &["GETEX", "list"],
            &["GETEX", "list", "EX", "0"],
            &["GETEX", "list", "FOO"],
            &["GETEX", "k", "EXAT", "1"],
            &["GET", "k"],
            &["SET", "k", "v"],
            &["GETEX", "k", "PXAT", "1"],
            &["GET", "k"],
            &["GETEX"],
            &["GETDEL"],
            &["GETSET", "k"],
        ],
    );
}

#[test]
fn getex_ttls() {
    let mut p = Pair::new();
    p.check(&["SET", "k", "v"]);
    for opts in [
        &["EX", "100"][..],
        &["PX", "200000"],
        &["PERSIST"],
        &["EXAT", &((now_ms() / 1000 + 300).to_string())],
        &[],
        &["PXAT", &((now_ms() + 400_000).to_string())],
        &["persist"],
    ] {
        let mut argv = vec!["GETEX", "k"];
        argv.extend_from_slice(opts);
        p.check(&argv);
        check_ttl(&mut p, "k");
    }
    finish(&mut p, &["k".into()], &[]);
}

#[test]
fn append_strlen_ranges() {
    run_both(
        with_list,
        &[
            &["APPEND", "k", "hello"],
            &["APPEND", "k", " world"],
            &["APPEND", "k", ""],
            &["APPEND", "e", ""],
            &["EXISTS", "e"],
            &["GET", "k"],
            &["APPEND", "list", "x"],
            &["STRLEN", "k"],
            &["STRLEN", "nokey"],
            &["STRLEN", "list"],
            &["GETRANGE", "k", "0", "4"],
            &["GETRANGE", "k", "-5", "-1"],
            &["GETRANGE", "k", "-1", "-5"],
            &["GETRANGE", "k", "5", "2"],
            &["GETRANGE", "k", "0", "-1"],
            &["GETRANGE", "k", "-100", "100"],
            &["GETRANGE", "k", "100", "200"],
            &[
                "GETRANGE",
                "k",
                "-9223372036854775808",
                "9223372036854775807",
            ],
            &["GETRANGE", "k", "a", "1"],
            &["GETRANGE", "k", "0", "b"],
            &["GETRANGE", "k", "0"],
            &["GETRANGE", "nokey", "0", "-1"],
            &["GETRANGE", "nokey", "x", "-1"],
            &["GETRANGE", "list", "0", "-1"],
            &["GETRANGE", "e", "0", "-1"],
            &["GETRANGE", "e", "-1", "0"],
            &["SUBSTR", "k", "1", "3"],
            &["SUBSTR", "k", "-3", "-1"],
            &["SUBSTR", "list", "0", "1"],
            &["SET", "n", "12345"],
            &["GETRANGE", "n", "1", "2"],
            &["SETRANGE", "k", "6", "WORLD"],
            &["GET", "k"],
            &["SETRANGE", "k", "20", "!"],
            &["GET", "k"],
            &["SETRANGE", "k", "0", ""],
            &["SETRANGE", "k", "100", ""],
            &["SETRANGE", "new", "3", "x"],
            &["GET", "new"],
            &["SETRANGE", "new2", "0", ""],
            &["EXISTS", "new2"],
            &["SETRANGE", "new2", "9223372036854775807", ""],
            &["SETRANGE", "k", "-1", "x"],
            &["SETRANGE", "k", "x", "x"],
            &["SETRANGE", "list", "0", "x"],
            &["SETRANGE", "list", "0", ""],
            &["SETRANGE", "list", "-1", "x"],
            &["SETRANGE", "k", "9223372036854775807", "x"],
            &["SETRANGE", "nokey", "9223372036854775807", "x"],
            &["SETRANGE", "k", "536870912", "x"],
            &["SETRANGE", "k", "536870911", "xy"],
            &["SETRANGE", "nokey", "536870912", "x"],
            &["EXISTS", "nokey"],
            &["SETRANGE", "k", "9223372036854775808", "x"],
            &["SETRANGE", "k", "1"],
            &["APPEND", "k"],
            &["STRLEN"],
        ],
    );
}

#[test]
fn counters() {
    run_both(
        with_list,
        &[
            &["INCR", "n"],
            &["INCR", "n"],
            &["DECR", "n"],
            &["DECR", "m"],
            &["INCRBY", "n", "100"],
            &["INCRBY", "n", "-300"],
            &["DECRBY", "n", "-5"],
            &["DECRBY", "n", "5"],
            &["GET", "n"],
            &["SET", "n", "9223372036854775806"],
            &["INCR", "n"],
            &["INCR", "n"],
            &["GET", "n"],
            &["SET", "n", "-9223372036854775807"],
            &["DECR", "n"],
            &["DECR", "n"],
            &["INCRBY", "n", "-1"],
            &["SET", "n", "5"],
            &["INCRBY", "n", "9223372036854775807"],
            &["INCRBY", "n", "9223372036854775808"],
            &["INCRBY", "n", "-9223372036854775808"],
            &["DECRBY", "n", "-9223372036854775808"],
            &["DECRBY", "nokey", "-9223372036854775808"],
            &["DECRBY", "list", "-9223372036854775808"],
            &["DECRBY", "n", "9223372036854775807"],
            &["INCRBY", "n", "abc"],
            &["INCRBY", "n", "1.5"],
            &["INCRBY", "n", ""],
            &["INCRBY", "n", " 1"],
            &["INCRBY", "n", "+1"],
            &["INCRBY", "n", "01"],
            &["INCR", "list"],
            &["INCRBY", "list", "x"],
            &["DECR", "list"],
            &["SET", "s", "abc"],
            &["INCR", "s"],
            &["SET", "s", " 1"],
            &["INCR", "s"],
            &["SET", "s", "1 "],
            &["INCR", "s"],
            &["SET", "s", "1.0"],
            &["INCR", "s"],
            &["SET", "s", "-0"],
            &["INCR", "s"],
            &["SET", "s", "007"],
            &["DECR", "s"],
            &["SET", "s", ""],
            &["INCR", "s"],
            &["SET", "s", "99999999999999999999"],
            &["INCR", "s"],
            &["SET", "s", "-9223372036854775808"],
            &["INCR", "s"],
            &["GET", "s"],
            &["APPEND", "s", "0"],
            &["INCR", "s"],
            &["INCR"],
            &["INCRBY", "n"],
            &["DECR", "a", "b"],
        ],
    );
}

#[test]
fn incrbyfloat() {
    run_both(
        with_list,
        &[
            &["INCRBYFLOAT", "f", "10.5"],
            &["INCRBYFLOAT", "f", "0.1"],
            &["INCRBYFLOAT", "f", "-5"],
            &["INCRBYFLOAT", "f", "5.0e3"],
            &["INCRBYFLOAT", "f", "2.0e2"],
            &["INCRBYFLOAT", "f", "-5200.6"],
            &["GET", "f"],
            &["SET", "g", "0.1"],
            &["INCRBYFLOAT", "g", "0.2"],
            &["INCRBYFLOAT", "g", "1e-20"],
            &["INCRBYFLOAT", "g", "0x10"],
            &["INCRBYFLOAT", "g", "1e30"],
            &["INCRBYFLOAT", "g", "-1e30"],
            &["INCRBYFLOAT", "g", "inf"],
            &["INCRBYFLOAT", "g", "-inf"],
            &["INCRBYFLOAT", "g", "+inf"],
            &["INCRBYFLOAT", "g", "nan"],
            &["INCRBYFLOAT", "g", "abc"],
            &["INCRBYFLOAT", "g", ""],
            &["INCRBYFLOAT", "g", " 1"],
            &["INCRBYFLOAT", "g", "1 "],
            &["INCRBYFLOAT", "g", "1e400"],
            &["INCRBYFLOAT", "g", "1.5\0"],
            &["GET", "g"],
            &["INCRBYFLOAT", "h", "1e4000"],
            &["STRLEN", "h"],
            &["INCRBYFLOAT", "h", "-1e4000"],
            &["INCRBYFLOAT", "i", "-0.0"],
            &["INCRBYFLOAT", "i", "3"],
            &["INCRBYFLOAT", "i", "-3"],
            &["SET", "s", "abc"],
            &["INCRBYFLOAT", "s", "1"],
            &["SET", "s", "1e5"],
            &["INCRBYFLOAT", "s", "1"],
            &["SET", "s", "  5"],
            &["INCRBYFLOAT", "s", "1"],
            &["INCRBYFLOAT", "list", "1"],
            &["INCRBYFLOAT", "list", "x"],
            &["SET", "n", "17"],
            &["INCRBYFLOAT", "n", "0.25"],
            &["INCR", "n"],
            &["INCRBYFLOAT", "f"],
        ],
    );
}

#[test]
fn incrbyfloat_random() {
    let mut p = Pair::new();
    let mut r = rng("incrbyfloat_random");
    for i in 0..300 {
        let by = match r.random_range(0..5) {
            0 => format!("{}", r.random_range(-1000.0..1000.0f64)),
            1 => format!("{:e}", r.random_range(-1e30..1e30f64)),
            2 => format!("{}.{}", r.random_range(-99..99), r.random_range(0..99999)),
            3 => format!("{}e-{}", r.random_range(1..9), r.random_range(1..30)),
            _ => pick(
                &mut r,
                &["0.1", "-0.1", "1e17", "-1e17", "3.0000000000000000001"],
            )
            .to_string(),
        };
        let key = ["f0", "f1"][i % 2];
        p.check(&["INCRBYFLOAT", key, &by]);
        if r.random_bool(0.05) {
            p.check(&["SET", key, &r.random_range(-5i64..5).to_string()]);
        }
    }
    p.check_same_data();
}

#[test]
fn lcs() {
    run_both(
        with_list,
        &[
            &["MSET", "a", "ohmytext", "b", "mynewtext"],
            &["LCS", "a", "b"],
            &["LCS", "a", "b", "LEN"],
            &["LCS", "a", "b", "IDX"],
            &["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
            &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
            &["LCS", "a", "b", "IDX", "MINMATCHLEN", "-4"],
            &[
                "LCS",
                "a",
                "b",
                "idx",
                "minmatchlen",
                "2",
                "minmatchlen",
                "0",
            ],
            &["LCS", "a", "b", "LEN", "WITHMATCHLEN", "MINMATCHLEN", "3"],
            &["LCS", "a", "b", "LEN", "IDX"],
            &["LCS", "a", "b", "IDX", "LEN"],
            &["LCS", "a", "b", "LEN", "LEN"],
            &["LCS", "a", "b", "MINMATCHLEN"],
            &["LCS", "a", "b", "MINMATCHLEN", "x"],
            &["LCS", "a", "b", "FOO"],
            &["LCS", "a", "nokey"],
            &["LCS", "a", "nokey", "IDX"],
            &["LCS", "nokey", "nokey2", "LEN"],
            &["LCS", "a", "a", "IDX", "WITHMATCHLEN"],
            &["LCS", "a", "list"],
            &["LCS", "list", "a", "FOO"],
            &["LCS", "list", "nokey", "LEN", "IDX"],
            &["MSET", "x", "abcabcabcabc", "y", "cbacbacbacba"],
            &["LCS", "x", "y"],
            &["LCS", "x", "y", "IDX", "WITHMATCHLEN"],
            &["LCS", "y", "x", "IDX"],
            &["MSET", "n1", "12345", "n2", "1234"],
            &["LCS", "n1", "n2", "IDX"],
            &["LCS", "a"],
        ],
    );
}

#[test]
fn lcs_random_strings() {
    let mut p = Pair::new();
    let mut r = rng("lcs_random_strings");
    for _ in 0..60 {
        let a = random_text(&mut r, 0..25, b"abc");
        let b = random_text(&mut r, 0..25, b"abc");
        p.check(&[&b"MSET"[..], b"a", &a, b"b", &b]);
        p.check(&["LCS", "a", "b"]);
        p.check(&["LCS", "a", "b", "LEN"]);
        p.check(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"]);
        p.check(&["LCS", "b", "a", "IDX", "MINMATCHLEN", "2"]);
    }
}

#[test]
fn other_databases() {
    let mut p = Pair::new();
    run(
        &mut p,
        &[
            &["SELECT", "3"],
            &["SET", "k", "v", "EX", "100"],
            &["MSET", "a", "1", "b", "2"],
            &["INCR", "a"],
            &["APPEND", "b", "x"],
            &["SETBIT", "c", "9", "1"],
            &["SELECT", "0"],
            &["MGET", "k", "a", "b", "c"],
            &["SET", "k", "db0"],
            &["SELECT", "3"],
            &["GETEX", "k", "PERSIST"],
            &["GET", "k"],
        ],
    );
    p.check_same_data();
}

#[test]
fn arity_errors() {
    run_both(
        no_setup,
        &[
            &["SET", "k"],
            &["SETNX", "k"],
            &["SETEX", "k", "1"],
            &["PSETEX", "k", "1"],
            &["MGET"],
            &["MSET", "k"],
            &["MSETNX", "k"],
            &["GETSET", "k"],
            &["GETDEL"],
            &["GETEX"],
            &["APPEND", "k"],
            &["STRLEN"],
            &["GETRANGE", "k", "0"],
            &["SUBSTR", "k", "0"],
            &["SETRANGE", "k", "0"],
            &["INCR"],
            &["INCRBY", "k"],
            &["DECR"],
            &["DECRBY", "k"],
            &["INCRBYFLOAT", "k"],
            &["LCS", "k"],
        ],
    );
}

/// Expiry with a manual clock: exact deadlines, no sleeping. Checks stay
/// clear of the exact deadline millisecond (Redis keeps a key alive at
/// `now == deadline`).
#[test]
fn expiry_with_manual_clock() {
    let clock = Arc::new(ManualClock::new(1_000_000_000));
    let engine = Engine::with_options(Options {
        clock: clock.clone(),
        background: false,
        ..Default::default()
    });
    let mut s = engine.session();
    let mut run = |argv: &[&str]| engine.execute(&mut s, argv);
    let bulk = |v: &str| Reply::Bulk(v.as_bytes().to_vec());
    assert_eq!(run(&["SET", "k", "v", "PX", "100"]), Reply::ok());
    clock.advance(99);
    assert_eq!(run(&["GET", "k"]), bulk("v"));
    clock.advance(2);
    assert_eq!(run(&["GET", "k"]), Reply::Nil);
    // EX counts seconds; KEEPTTL keeps the deadline, a plain SET drops it.
    run(&["SET", "k", "v", "EX", "2"]);
    clock.advance(1500);
    run(&["SET", "k", "w", "KEEPTTL"]);
    clock.advance(499);
    assert_eq!(run(&["GET", "k"]), bulk("w"));
    clock.advance(2);
    assert_eq!(run(&["GET", "k"]), Reply::Nil);
    run(&["SET", "k", "v", "EX", "1"]);
    run(&["SET", "k", "v"]);
    clock.advance(5000);
    assert_eq!(run(&["GET", "k"]), bulk("v"));
    // Absolute deadlines.
    let now = clock.now_ms();
    let b_at = (now / 1000 + 1) * 1000;
    run(&["SET", "a", "1", "PXAT", &(now + 10).to_string()]);
    run(&["SET", "b", "1", "EXAT", &(b_at / 1000).to_string()]);
    clock.advance(9);
    assert_eq!(
        run(&["MGET", "a", "b"]),
        Reply::Array(vec![bulk("1"), bulk("1")])
    );
    clock.advance(2);
    assert_eq!(
        run(&["MGET", "a", "b"]),
        Reply::Array(vec![Reply::Nil, bulk("1")])
    );
    clock.set(b_at + 1);
    assert_eq!(run(&["GET", "b"]), Reply::Nil);
    // GETEX sets and removes deadlines; INCR keeps them.
    run(&["SET", "c", "5"]);
    assert_eq!(run(&["GETEX", "c", "PX", "50"]), bulk("5"));
    assert_eq!(run(&["INCR", "c"]), Reply::Int(6));
    clock.advance(49);
    assert_eq!(run(&["GETEX", "c", "PERSIST"]), bulk("6"));
    clock.advance(10_000);
    assert_eq!(run(&["GET", "c"]), bulk("6"));
    run(&["SETEX", "d", "1", "x"]);
    run(&["PSETEX", "e", "1", "x"]);
    run(&["SET", "f", "x"]);
    let at = (clock.now_ms() + 1).to_string();
    assert_eq!(run(&["GETEX", "f", "PXAT", &at]), bulk("x"));
    clock.advance(2);
    let expected = Reply::Array(vec![bulk("x"), Reply::Nil, Reply::Nil]);
    assert_eq!(run(&["MGET", "d", "e", "f"]), expected);
    clock.advance(999);
    assert_eq!(run(&["GET", "d"]), Reply::Nil);
    // A GETEX deadline already past deletes the key at once.
    run(&["SET", "g", "x"]);
    let past = (clock.now_ms() - 1).to_string();
    assert_eq!(run(&["GETEX", "g", "PXAT", &past]), bulk("x"));
    assert_eq!(run(&["GET", "g"]), Reply::Nil);
}

/// Binary-safe values from `alphabet` with a length in `len`.
pub fn random_text(r: &mut SmallRng, len: std::ops::Range<usize>, alphabet: &[u8]) -> Vec<u8> {
    let n = r.random_range(len);
    (0..n)
        .map(|_| alphabet[r.random_range(0..alphabet.len())])
        .collect()
}

/// Picks one of `items`.
pub fn pick<'a>(r: &mut SmallRng, items: &[&'a str]) -> &'a str {
    items[r.random_range(0..items.len())]
}

const KEYS: &[&str] = &["k0", "k1", "k2", "k3", "list"];

/// Values that exercise the integer, float and plain string paths.
fn random_value(r: &mut SmallRng) -> Vec<u8> {
    const VALUES: &[&str] = &[
        "",
        "0",
        "1",
        "-1",
        "10",
        "99",
        "abc",
        "hello world",
        "1.5",
        "-0.25",
        "1e3",
        "0x10",
        " 1",
        "9223372036854775807",
        "-9223372036854775808",
        "123456789012345678901",
        "007",
        "inf",
    ];
    if r.random_bool(0.3) {
        random_text(r, 0..12, b"ab\0\xff1")
    } else {
        pick(r, VALUES).as_bytes().to_vec()
    }
}

/// A random SET option list, sometimes invalid.
fn random_set_opts(r: &mut SmallRng, getex: bool) -> Vec<String> {
    let choices: &[&str] = if getex {
        &["EX", "PX", "EXAT", "PXAT", "PERSIST", "NX"]
    } else {
        &["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT"]
    };
    let mut out = Vec::new();
    for _ in 0..r.random_range(0..3) {
        let o = pick(r, choices);
        out.push(o.to_string());
        let t = now_ms();
        let v = match o {
            "EX" => pick(r, &["1000", "0", "-1", "abc", "9223372036854775"]).to_string(),
            "PX" => pick(r, &["1000000", "0", "x"]).to_string(),
            "EXAT" => [(t / 1000 + 2000).to_string(), "1".into()][r.random_range(0..2)].clone(),
            "PXAT" => [(t + 3_000_000).to_string(), "100".into()][r.random_range(0..2)].clone(),
            _ => continue,
        };
        if r.random_bool(0.95) {
            out.push(v);
        }
    }
    out
}

/// One random string command over a few colliding keys.
fn random_command(r: &mut SmallRng) -> Vec<Vec<u8>> {
    let key = |r: &mut SmallRng| pick(r, KEYS).as_bytes().to_vec();
    let int = |r: &mut SmallRng| {
        pick(
            r,
            &[
                "0",
                "1",
                "-1",
                "3",
                "-3",
                "7",
                "100",
                "-100",
                "x",
                "9223372036854775807",
                "-9223372036854775808",
            ],
        )
        .as_bytes()
        .to_vec()
    };
    let name = pick(
        r,
        &[
            "GET",
            "SET",
            "SETNX",
            "SETEX",
            "PSETEX",
            "MGET",
            "MSET",
            "MSETNX",
            "GETSET",
            "GETDEL",
            "GETEX",
            "APPEND",
            "STRLEN",
            "GETRANGE",
            "SUBSTR",
            "SETRANGE",
            "INCR",
            "DECR",
            "INCRBY",
            "DECRBY",
            "INCRBYFLOAT",
            "LCS",
        ],
    );
    let mut argv: Vec<Vec<u8>> = vec![name.as_bytes().to_vec(), key(r)];
    match name {
        "SET" => {
            argv.push(random_value(r));
            argv.extend(
                random_set_opts(r, false)
                    .into_iter()
                    .map(String::into_bytes),
            );
        }
        "GETEX" => argv.extend(random_set_opts(r, true).into_iter().map(String::into_bytes)),
        "SETNX" | "GETSET" | "APPEND" => argv.push(random_value(r)),
        "SETEX" => {
            argv.push(pick(r, &["1000", "0", "-5", "x"]).into());
            argv.push(random_value(r));
        }
        "PSETEX" => {
            argv.push(pick(r, &["1000000", "0", "y"]).into());
            argv.push(random_value(r));
        }
        "MGET" => (0..r.random_range(0..4)).for_each(|_| argv.push(key(r))),
        "MSET" | "MSETNX" => {
            argv.push(random_value(r));
            for _ in 0..r.random_range(0..3) {
                argv.push(key(r));
                argv.push(random_value(r));
            }
            if r.random_bool(0.05) {
                argv.pop();
            }
        }
        "GETRANGE" | "SUBSTR" => {
            argv.push(int(r));
            argv.push(int(r));
        }
        "SETRANGE" => {
            let off = pick(
                r,
                &[
                    "0",
                    "1",
                    "3",
                    "10",
                    "-1",
                    "x",
                    "9223372036854775807",
                    "536870912",
                ],
            );
            argv.push(off.into());
            argv.push(random_value(r));
        }
        "INCRBY" | "DECRBY" => argv.push(int(r)),
        "INCRBYFLOAT" => argv.push(
            pick(
                r,
                &[
                    "1",
                    "-1",
                    "0.5",
                    "1e2",
                    "abc",
                    "inf",
                    "-2.25",
                    "0x1p3",
                    "100000000000000000000",
                ],
            )
            .into(),
        ),
        "LCS" => {
            argv.push(key(r));
            let opt = pick(
                r,
                &[
                    "",
                    "LEN",
                    "IDX",
                    "IDX WITHMATCHLEN",
                    "IDX MINMATCHLEN 2",
                    "LEN IDX",
                    "BAD",
                ],
            );
            argv.extend(opt.split_whitespace().map(|w| w.as_bytes().to_vec()));
        }
        _ => {}
    }
    argv
}

fn random_sequence(mut p: Pair, seed_name: &str, count: usize) {
    put_list(&mut p, "list");
    let mut r = rng(seed_name);
    for i in 0..count {
        let argv = random_command(&mut r);
        p.check(&argv);
        if i % 50 == 0 {
            let k = pick(&mut r, KEYS);
            check_ttl(&mut p, k);
        }
        // The list may have been overwritten by a string: recreate it now and then.
        if i % 400 == 399 {
            put_list(&mut p, "list");
        }
    }
    let keys: Vec<String> = KEYS[..4].iter().map(|k| k.to_string()).collect();
    finish(&mut p, &keys, &["list"]);
}

#[test]
fn random_string_commands_resp2() {
    random_sequence(Pair::new(), "random_string_commands_resp2", 2500);
}

#[test]
fn random_string_commands_resp3() {
    random_sequence(Pair::resp3(), "random_string_commands_resp3", 1000);
}
