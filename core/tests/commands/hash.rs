//! HASHES: differential tests against a real redis-server (both protocols),
//! encoding checks (listpack vs hashtable) and a generated command sequence.
//! A listpack hash lists its fields in insertion order in Redis and here, so
//! its replies are compared exactly, order included; a hashtable's order
//! differs between any two servers, so those are compared without order.

use crate::harness::{self, Pair, bulks, check_pick};
use kvstore_core::Reply;
use rand::Rng;
use rand::seq::IndexedRandom;
use std::collections::HashSet;

/// One pair per protocol.
fn pairs() -> [Pair; 2] {
    [Pair::new(), Pair::resp3()]
}

#[test]
fn set_get_and_friends() {
    for mut p in pairs() {
        p.check(&["HSET", "h", "a", "1", "b", "2"]);
        p.check(&["HSET", "h", "a", "10", "c", "3"]);
        p.check(&["HSET", "h", "a", "1", "a", "2"]);
        p.check(&["HGET", "h", "a"]);
        p.check(&["HGET", "h", "nope"]);
        p.check(&["HGET", "nokey", "a"]);
        p.check(&["HMGET", "h", "a", "nope", "b", "a"]);
        p.check(&["HMGET", "nokey", "a", "b"]);
        p.check(&["HMSET", "h", "d", "4", "e", ""]);
        p.check(&["HGET", "h", "e"]);
        p.check(&["HSETNX", "h", "a", "new"]);
        p.check(&["HSETNX", "h", "z", "new"]);
        p.check(&["HSETNX", "fresh", "f", "v"]);
        p.check(&["HLEN", "h"]);
        p.check(&["HLEN", "nokey"]);
        p.check(&["HEXISTS", "h", "a"]);
        p.check(&["HEXISTS", "h", "nope"]);
        p.check(&["HEXISTS", "nokey", "a"]);
        p.check(&["HSTRLEN", "h", "a"]);
        p.check(&["HSTRLEN", "h", "e"]);
        p.check(&["HSTRLEN", "h", "nope"]);
        p.check(&["HSTRLEN", "nokey", "a"]);
        p.check(&["HSET", "h", "n", "-12345"]);
        p.check(&["HSTRLEN", "h", "n"]);
        p.check(&["HDEL", "h", "a", "a", "nope", "b"]);
        p.check(&["HDEL", "nokey", "a"]);
        p.check(&["HDEL", "fresh", "f"]);
        p.check(&["EXISTS", "fresh"]);
        p.check(&["hset", "bin", "\x00\r\n", "\u{1}\u{2}"]);
        p.check(&["HGET", "bin", "\x00\r\n"]);
        p.check(&["HSET", "h", "", ""]);
        p.check(&["HGET", "h", ""]);
        p.check_same_data();
    }
}

#[test]
fn errors_arity_and_wrong_types() {
    for mut p in pairs() {
        p.check(&["SADD", "s", "x"]);
        p.check(&["HSET", "h", "a", "1"]);
        for argv in [
            &["HSET", "h"][..],
            &["HSET", "h", "a"],
            &["HSET", "h", "a", "1", "b"],
            &["HMSET", "h", "a"],
            &["HMSET", "h", "a", "1", "b"],
            &["HSETNX", "h", "a"],
            &["HSETNX", "h", "a", "1", "2"],
            &["HGET", "h"],
            &["HGET", "h", "a", "b"],
            &["HMGET", "h"],
            &["HGETALL"],
            &["HGETALL", "h", "x"],
            &["HKEYS"],
            &["HVALS", "h", "x"],
            &["HLEN"],
            &["HEXISTS", "h"],
            &["HDEL", "h"],
            &["HINCRBY", "h", "a"],
            &["HINCRBYFLOAT", "h", "a", "1", "2"],
            &["HSTRLEN", "h"],
            &["HRANDFIELD"],
            &["HSCAN", "h"],
        ] {
            p.check(argv);
        }
        for argv in [
            &["HSET", "s", "a", "1"][..],
            &["HMSET", "s", "a", "1"],
            &["HSETNX", "s", "a", "1"],
            &["HGET", "s", "a"],
            &["HMGET", "s", "a"],
            &["HGETALL", "s"],
            &["HKEYS", "s"],
            &["HVALS", "s"],
            &["HLEN", "s"],
            &["HEXISTS", "s", "a"],
            &["HDEL", "s", "a"],
            &["HINCRBY", "s", "a", "1"],
            &["HINCRBY", "s", "a", "x"],
            &["HINCRBYFLOAT", "s", "a", "1"],
            &["HINCRBYFLOAT", "s", "a", "x"],
            &["HINCRBYFLOAT", "s", "a", "inf"],
            &["HSTRLEN", "s", "a"],
            &["HRANDFIELD", "s"],
            &["HRANDFIELD", "s", "0"],
            &["HRANDFIELD", "s", "x"],
            &["HRANDFIELD", "s", "1", "bad"],
            &["HSCAN", "s", "0"],
            &["HSCAN", "s", "x"],
            &["HSCAN", "s", "0", "bad"],
        ] {
            p.check(argv);
        }
        p.check_same_data();
    }
}

#[test]
fn whole_hash_replies() {
    for mut p in pairs() {
        p.check_pairs(&["HGETALL", "nokey"]);
        p.check(&["HKEYS", "nokey"]);
        p.check(&["HVALS", "nokey"]);
        p.check(&["HSET", "one", "f", "v"]);
        p.check(&["HGETALL", "one"]);
        p.check(&["HKEYS", "one"]);
        p.check(&["HVALS", "one"]);
        let mut argv = vec!["HSET".to_string(), "h".into()];
        for i in 0..300 {
            argv.extend([format!("field:{i}"), format!("value:{}", i * 7)]);
        }
        p.check(&argv);
        p.check_encoding("h");
        // 300 short fields are still a listpack: insertion order.
        p.check(&["HGETALL", "h"]);
        p.check(&["HKEYS", "h"]);
        p.check(&["HVALS", "h"]);
        p.check(&["HLEN", "h"]);
    }
}

#[test]
fn hincrby_edges() {
    for mut p in pairs() {
        for argv in [
            &["HINCRBY", "h", "n", "5"][..],
            &["HINCRBY", "h", "n", "-7"],
            &["HINCRBY", "h", "n", "0"],
            &["HINCRBY", "h", "n", "x"],
            &["HINCRBY", "h", "n", "1.5"],
            &["HINCRBY", "h", "n", " 1"],
            &["HINCRBY", "h", "n", "+1"],
            &["HINCRBY", "h", "n", "9223372036854775808"],
            &["HINCRBY", "h", "n", ""],
            &[
                "HSET",
                "h",
                "max",
                "9223372036854775807",
                "min",
                "-9223372036854775808",
            ],
            &["HINCRBY", "h", "max", "1"],
            &["HINCRBY", "h", "max", "-1"],
            &["HINCRBY", "h", "min", "-1"],
            &["HINCRBY", "h", "min", "1"],
            &["HINCRBY", "h", "min", "9223372036854775807"],
            &[
                "HSET", "h", "s", "abc", "f", "1.5", "z", "01", "sp", " 1", "neg0", "-0",
            ],
            &["HINCRBY", "h", "s", "1"],
            &["HINCRBY", "h", "f", "1"],
            &["HINCRBY", "h", "z", "1"],
            &["HINCRBY", "h", "sp", "1"],
            &["HINCRBY", "h", "neg0", "1"],
            &["HINCRBY", "new", "f", "-9223372036854775808"],
        ] {
            p.check(argv);
        }
        p.check(&["HGETALL", "h"]);
        p.check_same_data();
    }
}

#[test]
fn hincrbyfloat_edges() {
    for mut p in pairs() {
        for argv in [
            &["HINCRBYFLOAT", "h", "f", "1.5"][..],
            &["HINCRBYFLOAT", "h", "f", "0.1"],
            &["HINCRBYFLOAT", "h", "f", "-0.1"],
            &["HINCRBYFLOAT", "h", "f", "-1.5"],
            &["HINCRBYFLOAT", "h", "f", "5.0e3"],
            &["HINCRBYFLOAT", "h", "f", "0x10"],
            &["HINCRBYFLOAT", "h", "f", "1e4000"],
            &["HINCRBYFLOAT", "h", "f", "-1e4000"],
            &["HINCRBYFLOAT", "h", "f", "inf"],
            &["HINCRBYFLOAT", "h", "f", "-inf"],
            &["HINCRBYFLOAT", "h", "f", "nan"],
            &["HINCRBYFLOAT", "h", "f", "abc"],
            &["HINCRBYFLOAT", "h", "f", ""],
            &["HINCRBYFLOAT", "h", "f", " 1"],
            &["HINCRBYFLOAT", "h", "f", "1 "],
            &["HINCRBYFLOAT", "h", "f", "1e-400"],
            &[
                "HSET", "h", "s", "abc", "i", "10", "big", "1e4932", "sp", " 2",
            ],
            &["HINCRBYFLOAT", "h", "s", "1"],
            &["HINCRBYFLOAT", "h", "i", "0.25"],
            &["HINCRBYFLOAT", "h", "big", "1e4932"],
            &["HINCRBYFLOAT", "h", "sp", "1"],
            &["HINCRBYFLOAT", "h", "i", "3"],
            &["HINCRBYFLOAT", "h", "i", "-3.25"],
            &["HINCRBYFLOAT", "h", "i", "1e30"],
            &["HINCRBYFLOAT", "h", "i", "1e70"],
            &["HINCRBY", "h", "i", "1"],
            &["HINCRBYFLOAT", "new", "f", "-0"],
        ] {
            p.check(argv);
        }
        // A long result (1e70 in full) made it a hashtable.
        p.check_whole(&["HGETALL", "h"]);
        p.check_same_data();
    }
}

#[test]
fn encodings_follow_redis_conversions() {
    let mut p = Pair::new();
    let long = "x".repeat(65);
    // Defaults (compiled in, no redis.conf): 512 entries, 64 bytes.
    p.check(&["HSET", "small", "a", "1"]);
    p.check_encoding("small");
    p.check(&["HSET", "longval", "a", &long]);
    p.check_encoding("longval");
    p.check(&["HSET", "longfield", &long, "1"]);
    p.check_encoding("longfield");
    p.check(&["HSET", "exact", "a", &long[..64]]);
    p.check_encoding("exact");
    // HSETNX on an existing field converts nothing; on a new one it does.
    p.check(&["HSETNX", "small", "a", &long]);
    p.check_encoding("small");
    p.check(&["HSETNX", "nx", &long, "1"]);
    p.check_encoding("nx");
    // HINCRBY/HINCRBYFLOAT check the field and the new value.
    p.check(&["HINCRBY", "small", &long, "1"]);
    p.check_encoding("small");
    p.check(&["HSET", "f", "a", "1"]);
    p.check(&["HINCRBYFLOAT", "f", "a", "1e70"]);
    p.check_encoding("f");
    let mut argv = vec!["HSET".to_string(), "many".into()];
    for i in 0..512 {
        argv.extend([format!("f{i}"), "v".into()]);
    }
    p.check(&argv);
    p.check_encoding("many");
    p.check(&["HSET", "many", "f0", "again"]);
    p.check_encoding("many");
    p.check(&["HSET", "many", "one-more", "v"]);
    p.check_encoding("many");
    // One-way: deleting never converts back.
    p.check(&["HDEL", "many", "one-more", "f1", "f2"]);
    p.check_encoding("many");

    p.config_set("hash-max-listpack-entries", "2");
    p.config_set("hash-max-listpack-value", "3");
    p.check(&["HSET", "t", "a", "1", "b", "2"]);
    p.check_encoding("t");
    p.check(&["HSET", "t", "a", "1", "b", "2", "a", "3"]);
    p.check_encoding("t");
    p.check(&["HSET", "t", "c", "3"]);
    p.check_encoding("t");
    p.check(&["HSET", "u", "a", "1"]);
    p.check(&["HINCRBY", "u", "a", "999"]);
    p.check_encoding("u");
    p.check(&["HINCRBY", "u", "a", "1"]);
    p.check_encoding("u");
    p.check(&["HMSET", "v", "abcd", "1"]);
    p.check_encoding("v");
    p.config_set("hash-max-listpack-entries", "0");
    p.check(&["HSET", "w", "a", "1"]);
    p.check_encoding("w");
    p.check_same_data();
}

#[test]
fn listpack_keeps_insertion_order() {
    for mut p in pairs() {
        let whole = |p: &mut Pair, key: &str| {
            for cmd in ["HKEYS", "HVALS", "HGETALL"] {
                p.check(&[cmd, key]);
            }
            p.check(&["HSCAN", key, "0"]);
            p.check(&["HRANDFIELD", key, "1000", "WITHVALUES"]);
        };
        p.check(&["HSET", "h", "task1", "a"]);
        p.check(&["HSET", "h", "task2", "b"]);
        p.check(&["HSET", "h", "task3", "c"]);
        whole(&mut p, "h");
        // Updates keep a field where it is, whatever the new value's length.
        for argv in [
            &["HSET", "h", "task1", "a much longer value than before"][..],
            &["HSET", "h", "task2", ""],
            &["HMSET", "h", "task3", "7", "task1", "x"],
            &["HSETNX", "h", "task2", "ignored"],
            &["HINCRBY", "h", "task3", "5"],
            &["HINCRBYFLOAT", "h", "task3", "0.5"],
        ] {
            p.check(argv);
            whole(&mut p, "h");
        }
        // Deleting closes the gap; a re-inserted field goes last.
        p.check(&["HDEL", "h", "task2"]);
        whole(&mut p, "h");
        p.check(&["HSET", "h", "task2", "back", "task0", "new"]);
        whole(&mut p, "h");
        p.check(&["HDEL", "h", "task1", "task0", "nope"]);
        whole(&mut p, "h");
        // A field repeated in one HSET keeps its first position, last value.
        p.check(&[
            "HSET", "dup", "b", "1", "a", "2", "b", "3", "c", "4", "a", "5",
        ]);
        whole(&mut p, "dup");
        // A new field through HSETNX/HINCRBY/HINCRBYFLOAT is appended.
        p.check(&["HSETNX", "dup", "nx", "1"]);
        p.check(&["HINCRBY", "dup", "inc", "1"]);
        p.check(&["HINCRBYFLOAT", "dup", "flt", "1.5"]);
        whole(&mut p, "dup");
        // An emptied hash is gone; a new one starts a new order.
        p.check(&["HDEL", "h", "task3", "task2"]);
        p.check(&["EXISTS", "h"]);
        p.check(&["HSET", "h", "z", "1", "y", "2"]);
        whole(&mut p, "h");
        // Binary and empty fields are ordinary entries.
        p.check(&["HSET", "bin", "\x00\r\n", "1", "", "2", "\u{ff}", ""]);
        whole(&mut p, "bin");
        p.check_same_data();
    }
}

#[test]
fn order_across_the_conversion_thresholds() {
    for mut p in pairs() {
        // 512 fields (the default limit) are a listpack: insertion order,
        // here the reverse of the fields' names.
        let mut argv = vec!["HSET".to_string(), "many".into()];
        for i in (0..512).rev() {
            argv.extend([format!("f{i}"), format!("v{i}")]);
        }
        p.check(&argv);
        p.check_encoding("many");
        p.check(&["HKEYS", "many"]);
        p.check(&["HGETALL", "many"]);
        p.check(&["HSET", "many", "f300", "updated"]);
        p.check(&["HVALS", "many"]);
        // The 513th converts to a hashtable: same contents, order unchecked.
        p.check(&["HSET", "many", "f512", "v"]);
        p.check_encoding("many");
        p.check_whole(&["HGETALL", "many"]);
        p.check_whole(&["HKEYS", "many"]);
        // A 64-byte value fits a listpack; 65 bytes convert.
        let long = "x".repeat(65);
        p.check(&["HSET", "val", "b", "1", "a", &long[..64], "c", "3"]);
        p.check_encoding("val");
        p.check(&["HGETALL", "val"]);
        p.check(&["HSET", "val", "d", &long]);
        p.check_encoding("val");
        p.check_whole(&["HGETALL", "val"]);
        // Lowered limits: the order holds up to the new limit.
        p.config_set("hash-max-listpack-entries", "3");
        p.check(&["HSET", "low", "c", "1", "a", "2", "b", "3"]);
        p.check_encoding("low");
        p.check(&["HKEYS", "low"]);
        p.check(&["HSCAN", "low", "0", "MATCH", "[ab]"]);
        p.check(&["HSET", "low", "d", "4"]);
        p.check_encoding("low");
        p.check_whole(&["HKEYS", "low"]);
        // Conversion is one-way: shrinking a hashtable keeps it one.
        p.check(&["HDEL", "low", "a", "b", "c"]);
        p.check_encoding("low");
        p.config_set("hash-max-listpack-entries", "512");
        p.check_same_data();
    }
}

/// Field → value of the hash at `key`, read from the real server.
fn contents(p: &mut Pair, key: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    match p.redis.call(&["HGETALL", key]) {
        Reply::Array(v) => v
            .chunks(2)
            .map(|c| (harness::bulk(&c[0]), harness::bulk(&c[1])))
            .collect(),
        Reply::Map(m) => m
            .iter()
            .map(|(f, v)| (harness::bulk(f), harness::bulk(v)))
            .collect(),
        other => panic!("HGETALL: {other:?}"),
    }
}

/// Runs HRANDFIELD on both sides and checks each reply's properties, and
/// for a listpack what Redis makes deterministic: a count of at least the
/// size is the whole hash in order; a count of at most a third of it picks
/// fields in listpack order (`lpRandomPairsUnique`).
fn check_hrandfield(p: &mut Pair, key: &str, count: i64, withvalues: bool) {
    let hash = contents(p, key);
    let fields: HashSet<Vec<u8>> = hash.iter().map(|(f, _)| f.clone()).collect();
    let listpack = p.redis.call(&["OBJECT", "ENCODING", key]) == Reply::Bulk(b"listpack".to_vec());
    let mut argv = vec!["HRANDFIELD".to_string(), key.into(), count.to_string()];
    if withvalues {
        argv.push("WITHVALUES".into());
    }
    let resp3 = p.session.proto == 3;
    let (theirs, ours) = p.check_shape(&argv);
    let size = hash.len() as i64;
    if listpack && count >= size {
        assert_eq!(theirs, ours, "the whole listpack, in order: {argv:?}");
    }
    let in_order = listpack && count > 0 && count.saturating_mul(3) <= size;
    for reply in [theirs, ours] {
        let Reply::Array(items) = &reply else {
            panic!("{reply:?}")
        };
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = match (withvalues, resp3) {
            (false, _) => items
                .iter()
                .map(|f| (harness::bulk(f), Vec::new()))
                .collect(),
            (true, true) => items
                .iter()
                .map(|pair| {
                    let fv = bulks(pair);
                    assert_eq!(fv.len(), 2, "{reply:?}");
                    (fv[0].clone(), fv[1].clone())
                })
                .collect(),
            (true, false) => {
                assert_eq!(items.len() % 2, 0);
                items
                    .chunks(2)
                    .map(|c| (harness::bulk(&c[0]), harness::bulk(&c[1])))
                    .collect()
            }
        };
        let picked: Vec<Vec<u8>> = pairs.iter().map(|(f, _)| f.clone()).collect();
        check_pick(&picked, &fields, count);
        if in_order {
            let mut order = hash.iter().map(|(f, _)| f);
            let kept = picked.iter().all(|f| order.any(|g| g == f));
            assert!(kept, "not in listpack order: {reply:?}");
        }
        if withvalues {
            for pair in &pairs {
                assert!(hash.contains(pair), "wrong value in {reply:?}");
            }
        }
    }
}

#[test]
fn hrandfield_properties() {
    for mut p in pairs() {
        p.check(&["HRANDFIELD", "nokey"]);
        p.check(&["HRANDFIELD", "nokey", "5"]);
        p.check(&["HRANDFIELD", "nokey", "-5", "WITHVALUES"]);
        p.check(&["HSET", "one", "f", "v"]);
        p.check(&["HRANDFIELD", "one"]);
        p.check(&["HRANDFIELD", "one", "1", "withvalues"]);
        p.check(&["HRANDFIELD", "one", "-3", "WithValues"]);
        p.check(&["HRANDFIELD", "one", "0"]);
        p.check(&["HRANDFIELD", "one", "0", "WITHVALUES"]);
        let mut small = vec!["HSET".to_string(), "small".into()];
        let mut big = vec!["HSET".to_string(), "big".into()];
        for i in 0..10 {
            small.extend([format!("f{i}"), format!("v{i}")]);
        }
        for i in 0..600 {
            big.extend([format!("f{i}"), format!("v{i}")]);
        }
        p.check(&small);
        p.check(&big);
        for key in ["small", "big"] {
            let (theirs, ours) = p.check_shape(&["HRANDFIELD", key]);
            let universe: HashSet<Vec<u8>> =
                contents(&mut p, key).into_iter().map(|(f, _)| f).collect();
            check_pick(&[harness::bulk(&theirs)], &universe, 1);
            check_pick(&[harness::bulk(&ours)], &universe, 1);
            for count in [
                1, 2, 3, 5, 9, 10, 11, 99, 100, 101, 199, 200, 201, 599, 600, 1000, -1, -2, -10,
                -700,
            ] {
                check_hrandfield(&mut p, key, count, false);
                check_hrandfield(&mut p, key, count, true);
            }
        }
        for argv in [
            &["HRANDFIELD", "small", "x"][..],
            &["HRANDFIELD", "small", "1.5"],
            &["HRANDFIELD", "small", "1", "WITHVALUE"],
            &["HRANDFIELD", "small", "1", "WITHVALUES", "x"],
            &["HRANDFIELD", "small", "-9223372036854775808"],
            &["HRANDFIELD", "small", "-9223372036854775808", "WITHVALUES"],
            &["HRANDFIELD", "small", "-9223372036854775807", "WITHVALUES"],
            &["HRANDFIELD", "small", "9223372036854775807", "WITHVALUES"],
            &["HRANDFIELD", "small", "-4611686018427387904", "WITHVALUES"],
            &["HRANDFIELD", "nokey", "-9223372036854775807"],
        ] {
            p.check(argv);
        }
        check_hrandfield(&mut p, "small", 4611686018427387903, true);
        check_hrandfield(&mut p, "small", i64::MAX, false);
        // Redis would stream 2^63-1 fields here until the OS kills it, so only
        // our side runs it: it must refuse without allocating.
        let ours = p.engine.execute(
            &mut p.session,
            &["HRANDFIELD", "small", "-9223372036854775807"],
        );
        assert_eq!(ours, Reply::Error("ERR value is out of range".into()));
        let ours = p.engine.execute(
            &mut p.session,
            &["HRANDFIELD", "small", "-4611686018427387903", "WITHVALUES"],
        );
        assert_eq!(ours, Reply::Error("ERR value is out of range".into()));
        p.check_same_data();
    }
}

#[test]
fn listpack_repeated_picks_are_uniform() {
    let mut p = Pair::new();
    let mut argv = vec!["HSET".to_string(), "h".into()];
    for i in 0..10 {
        argv.extend([format!("f{i}"), format!("v{i}")]);
    }
    p.check(&argv);
    p.check_encoding("h");
    let universe: HashSet<Vec<u8>> = contents(&mut p, "h").into_iter().map(|(f, _)| f).collect();
    let (theirs, ours) = p.check_shape(&["HRANDFIELD", "h", "-5000"]);
    for reply in [theirs, ours] {
        check_pick(&bulks(&reply), &universe, -5000);
        harness::check_uniform(&bulks(&reply), &universe);
    }
}

/// Compares HSCAN iterations as field → value pairs.
fn scan_pairs(items: &[Vec<u8>]) -> HashSet<(Vec<u8>, Vec<u8>)> {
    assert_eq!(items.len() % 2, 0);
    items
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect()
}

#[test]
fn hscan_small_and_big() {
    for mut p in pairs() {
        p.check(&["HSCAN", "nokey", "0"]);
        p.check(&["HSCAN", "nokey", "0", "bad", "options"]);
        p.check(&["HSET", "h", "a", "1", "b", "2", "c", "3", "ab", "4"]);
        // A listpack hash comes whole, in insertion order, cursor 0,
        // whatever the cursor and COUNT.
        for argv in [
            &["HSCAN", "h", "0"][..],
            &["HSCAN", "h", "12345"],
            &["HSCAN", "h", "-1"],
            &["HSCAN", "h", ""],
            &["HSCAN", "h", "0", "COUNT", "1"],
            &["HSCAN", "h", "0", "MATCH", "a*"],
            &["HSCAN", "h", "0", "match", "*", "count", "2"],
            &["HSCAN", "h", "0", "MATCH", "nothing*"],
            &["HSCAN", "h", "0", "MATCH", "a", "MATCH", "b"],
        ] {
            p.check(argv);
        }
        for argv in [
            &["HSCAN", "h", "x"][..],
            &["HSCAN", "h", "18446744073709551616"],
            &["HSCAN", "h", " 1"],
            &["HSCAN", "h", "0", "COUNT"],
            &["HSCAN", "h", "0", "COUNT", "0"],
            &["HSCAN", "h", "0", "COUNT", "-1"],
            &["HSCAN", "h", "0", "COUNT", "x"],
            &["HSCAN", "h", "0", "MATCH"],
            &["HSCAN", "h", "0", "TYPE", "string"],
            &["HSCAN", "h", "0", "bad"],
        ] {
            p.check(argv);
        }
        let mut argv = vec!["HSET".to_string(), "big".into()];
        for i in 0..1000 {
            argv.extend([format!("f{i}"), format!("{i}")]);
        }
        p.check(&argv);
        for opts in [
            &[][..],
            &["COUNT", "7"],
            &["COUNT", "1000"],
            &["MATCH", "f1*", "COUNT", "3"],
        ] {
            let mut argv: Vec<&[u8]> = vec![b"HSCAN", b"big", b"0"];
            argv.extend(opts.iter().map(|o| o.as_bytes()));
            let (theirs, ours) = p.scan_all(&argv, 2);
            let (theirs, ours) = (scan_pairs(&theirs), scan_pairs(&ours));
            assert_eq!(theirs, ours, "{opts:?}");
            assert!(ours.len() == 1000 || opts.contains(&"MATCH"));
        }
        // A few fields per call, like Redis (COUNT counts fields and values).
        let Reply::Array(first) = p
            .engine
            .execute(&mut p.session, &["HSCAN", "big", "0", "COUNT", "10"])
        else {
            panic!()
        };
        assert!(bulks(&first[1]).len() < 100);
    }
}

/// A random value: small integers, floats, text, and strings longer than
/// the lowered listpack value limit.
fn random_value(rng: &mut impl Rng) -> String {
    let choices = [
        "1",
        "-5",
        "0",
        "42",
        "9223372036854775807",
        "1.5",
        "1e3",
        "abc",
        "",
        "long-value-1",
    ];
    if rng.random_bool(0.2) {
        rng.random_range(-1000..1000).to_string()
    } else {
        choices.choose(rng).unwrap().to_string()
    }
}

/// A random element of `from`, owned.
fn one(rng: &mut impl Rng, from: &[&str]) -> String {
    from.choose(rng).unwrap().to_string()
}

/// One random hash command (sometimes malformed, sometimes on the set key
/// `s`); HRANDFIELD is checked by properties, everything else exactly or
/// order-insensitively.
fn random_step(p: &mut Pair, rng: &mut impl Rng) {
    let keys = ["h0", "h1", "h2", "s", "nokey"];
    let fields = ["a", "b", "c", "d", "e", "f", "long-field-x"];
    let key = *keys.choose(rng).unwrap();
    let cmd = rng.random_range(0..17);
    let argv: Vec<String> = match cmd {
        0 | 1 => {
            let mut argv = vec!["HSET".into(), key.into()];
            for _ in 0..rng.random_range(1..4) {
                argv.extend([one(rng, &fields), random_value(rng)]);
            }
            if rng.random_bool(0.05) {
                argv.pop();
            }
            argv
        }
        2 => vec![
            "HSETNX".into(),
            key.into(),
            one(rng, &fields),
            random_value(rng),
        ],
        3 => vec!["HGET".into(), key.into(), one(rng, &fields)],
        4 => {
            let mut argv = vec!["HMGET".into(), key.into()];
            argv.extend((0..rng.random_range(1..4)).map(|_| one(rng, &fields)));
            argv
        }
        5 => vec![
            "HMSET".into(),
            key.into(),
            one(rng, &fields),
            random_value(rng),
        ],
        6 => vec!["HLEN".into(), key.into()],
        7 => vec!["HEXISTS".into(), key.into(), one(rng, &fields)],
        8 => {
            let mut argv = vec!["HDEL".into(), key.into()];
            argv.extend((0..rng.random_range(1..4)).map(|_| one(rng, &fields)));
            argv
        }
        9 => {
            let incr = [
                "1",
                "-3",
                "100",
                "9223372036854775807",
                "-9223372036854775808",
                "x",
                "1.5",
            ];
            vec![
                "HINCRBY".into(),
                key.into(),
                one(rng, &fields),
                one(rng, &incr),
            ]
        }
        10 => {
            let incr = ["1", "-0.5", "2.5e2", "0.1", "inf", "abc", "1e4000", "-3"];
            vec![
                "HINCRBYFLOAT".into(),
                key.into(),
                one(rng, &fields),
                one(rng, &incr),
            ]
        }
        11 => vec!["HSTRLEN".into(), key.into(), one(rng, &fields)],
        12 => {
            p.check_whole(&["HGETALL", key]);
            return;
        }
        13 => {
            let which = if rng.random_bool(0.5) {
                "HKEYS"
            } else {
                "HVALS"
            };
            p.check_whole(&[which, key]);
            return;
        }
        14 => {
            if p.redis.call(&["TYPE", key]) == Reply::Status("hash".into()) {
                let count = rng.random_range(-8..9);
                check_hrandfield(p, key, count, rng.random_bool(0.5));
            } else {
                p.check(&["HRANDFIELD", key, "3"]);
            }
            return;
        }
        15 => {
            // Big hashes here hold at most 7 fields: one COUNT 100 call covers them.
            let pattern = ["*", "a*", "long*", "?"].choose(rng).unwrap();
            let argv = ["HSCAN", key, "0", "MATCH", pattern, "COUNT", "100"];
            if p.our_encoding(key.as_bytes()) == Some("listpack") {
                p.check(&argv);
                return;
            }
            let (theirs, ours) = p.both(&argv);
            let split = |r: &Reply| match r {
                Reply::Array(v) => (v[0].clone(), scan_pairs(&bulks(&v[1]))),
                other => (other.clone(), HashSet::new()),
            };
            assert_eq!(split(&theirs), split(&ours), "HSCAN {key}");
            return;
        }
        _ => vec!["DEL".into(), key.into()],
    };
    p.check(&argv);
    if matches!(cmd, 0..=2 | 5 | 8..=10) && key.starts_with('h') {
        p.check_encoding(key);
    }
}

#[test]
fn random_hash_sequence() {
    let mut rng = harness::rng("random_hash_sequence");
    for mut p in pairs() {
        p.config_set("hash-max-listpack-entries", "4");
        p.config_set("hash-max-listpack-value", "8");
        p.check(&["SADD", "s", "member"]);
        for _ in 0..2500 {
            random_step(&mut p, &mut rng);
        }
        p.check_same_data();
    }
}
