//! HyperLogLog commands, differential against redis-server: replies AND the
//! exact bytes of every HLL string (sparse and dense), corrupted and
//! non-HLL strings, PFMERGE of mixed encodings, a mutation fuzzer and a
//! random command sequence.
//!
//! Strings are written and read through SET/GET when the engine has them;
//! until then the tests write and read the engine's keyspace directly (the
//! server side always goes through SET/GET), so they run either way.

use crate::harness::{Pair, rng};
use kvstore_core::cmd::table;
use kvstore_core::keyspace::{Entry, Value, ValueRef};
use kvstore_core::{Engine, Reply};
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use std::collections::VecDeque;

/// True when the engine has command `name`.
fn engine_has(name: &str) -> bool {
    table::lookup(name.as_bytes()).is_some()
}

/// The string at `key` in the engine's db 0, read without any command.
fn engine_bytes(engine: &Engine, key: &str) -> Option<Vec<u8>> {
    let ks = &engine.shared().keyspace;
    let shard = ks.lock(0, ks.shard_of(key.as_bytes()));
    shard.map.get(key.as_bytes()).map(|e| match e.value() {
        ValueRef::Str(s) => s.to_vec(),
        other => panic!("{key} is a {}", other.type_name()),
    })
}

/// Replaces `key` in the engine's db 0 with `value`, without any command.
fn engine_insert(engine: &Engine, key: &str, value: Value) {
    let ks = &engine.shared().keyspace;
    let mut shard = ks.lock(0, ks.shard_of(key.as_bytes()));
    shard.map.insert(key.as_bytes(), Entry::new(value));
}

/// Asserts that `GET key` gives the same bytes on both sides.
fn check_bytes(p: &mut Pair, key: &str) {
    if engine_has("get") {
        p.check(&["GET", key]);
        return;
    }
    let theirs = match p.redis.call(&["GET", key]) {
        Reply::Bulk(b) => Some(b),
        Reply::Nil => None,
        other => panic!("GET {key} on redis: {other:?}"),
    };
    let ours = engine_bytes(&p.engine, key);
    if theirs != ours {
        let (a, b) = (theirs.unwrap_or_default(), ours.unwrap_or_default());
        let at = a.iter().zip(&b).position(|(x, y)| x != y);
        let tail: Vec<&String> = p.log.iter().rev().take(10).collect();
        panic!(
            "bytes of {key} differ: redis {} bytes, kvstore {} bytes, first difference at {at:?}\n\
             redis head {:02x?}\nours  head {:02x?}\nlast commands (newest first): {tail:#?}",
            a.len(),
            b.len(),
            &a[..a.len().min(48)],
            &b[..b.len().min(48)],
        );
    }
}

/// Stores the string `val` at `key` on both sides.
fn set_both(p: &mut Pair, key: &str, val: &[u8]) {
    if engine_has("set") {
        p.check(&[b"SET", key.as_bytes(), val]);
    } else {
        p.log.push(format!("SET {key} <{} bytes>", val.len()));
        assert_eq!(p.redis.call(&[b"SET", key.as_bytes(), val]), Reply::ok());
        engine_insert(&p.engine, key, Value::Str(val.to_vec()));
    }
}

/// Stores a one-element list at `key` on both sides (a wrong-type key).
fn list_both(p: &mut Pair, key: &str) {
    if engine_has("rpush") {
        p.check(&["DEL", key]);
        p.check(&["RPUSH", key, "x"]);
    } else {
        p.log.push(format!("RPUSH {key} x"));
        p.redis.call(&["DEL", key]);
        p.redis.call(&["RPUSH", key, "x"]);
        engine_insert(
            &p.engine,
            key,
            Value::List(Box::new(VecDeque::from([b"x".to_vec()]))),
        );
    }
}

/// Compares the keyspaces: with every reader command available, the
/// harness's full comparison; otherwise KEYS, TYPE and the string bytes.
fn check_same_hll_data(p: &mut Pair) {
    let readers = [
        "get", "lrange", "hgetall", "smembers", "zrange", "ttl", "select",
    ];
    if readers.iter().all(|c| engine_has(c)) {
        p.check_same_data();
        return;
    }
    let Reply::Array(keys) = p.check_unordered(&["KEYS", "*"]) else {
        panic!("KEYS")
    };
    for k in keys {
        let Reply::Bulk(k) = k else {
            panic!("key {k:?}")
        };
        let k = String::from_utf8(k).expect("test keys are text");
        if p.check(&["TYPE", &k]) == Reply::Status("string".into()) {
            check_bytes(p, &k);
        }
    }
}

/// The elements `prefix0..prefixN` as argv after `cmd key`.
fn pfadd_argv(key: &str, prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    let mut argv = vec!["PFADD".to_string(), key.to_string()];
    argv.extend(range.map(|i| format!("{prefix}{i}")));
    argv
}

/// An HLL built on both sides from `n` elements, returned as its bytes.
fn build(p: &mut Pair, key: &str, n: usize) -> Vec<u8> {
    p.check(&["DEL", key]);
    for start in (0..n).step_by(1000) {
        p.check(&pfadd_argv(key, key, start..(start + 1000).min(n)));
    }
    p.check(&["PFADD", key]);
    check_bytes(p, key);
    engine_bytes(&p.engine, key).expect("built")
}

/// Header of an HLL string: encoding byte and cached cardinality.
fn header(encoding: u8, card: u64) -> Vec<u8> {
    let mut h = b"HYLL".to_vec();
    h.extend_from_slice(&[encoding, 0, 0, 0]);
    h.extend_from_slice(&card.to_le_bytes());
    h
}

/// A stale cached cardinality (top bit set).
const STALE: u64 = 1 << 63;

#[test]
fn pfadd_pfcount_basics() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["PFCOUNT", "h"]);
        p.check(&["PFADD", "h"]);
        check_bytes(&mut p, "h");
        p.check(&["PFADD", "h"]);
        p.check(&["PFCOUNT", "h"]);
        p.check(&["PFADD", "h", "a", "b", "c"]);
        check_bytes(&mut p, "h");
        p.check(&["PFADD", "h", "a", "b", "c"]);
        p.check(&["PFADD", "h", "c", "a"]);
        check_bytes(&mut p, "h");
        // The first PFCOUNT stores the cache in the value, the second reads it.
        p.check(&["PFCOUNT", "h"]);
        check_bytes(&mut p, "h");
        p.check(&["PFCOUNT", "h"]);
        p.check(&["PFADD", "h", "d", "", "\0", "é", &"long".repeat(100)]);
        check_bytes(&mut p, "h");
        p.check(&["PFCOUNT", "h"]);
        p.check(&["pfadd", "h2", "a"]);
        p.check(&["pfcount", "h2", "h", "nokey"]);
        p.check(&["TYPE", "h"]);
        for bad in [
            &["PFADD"][..],
            &["PFCOUNT"],
            &["PFMERGE"],
            &["PFDEBUG", "getreg"],
        ] {
            p.check(bad);
        }
        p.check(&["PFDEBUG", "getreg", "h", "x"]);
        p.check(&["PFSELFTEST", "x"]);
    }
}

#[test]
fn element_hashing_edge_lengths() {
    // Every tail length of MurmurHash64A, and long and binary elements.
    let mut p = Pair::new();
    let ele: Vec<u8> = (0u8..=255).collect();
    for n in 0..=40 {
        p.check(&[&b"PFADD"[..], b"h", &ele[..n], &ele[256 - n..]]);
    }
    p.check(&[&b"PFADD"[..], b"h", &[0xffu8; 100_000][..]]);
    check_bytes(&mut p, "h");
    p.check(&["PFDEBUG", "DECODE", "h"]);
    p.check(&["PFCOUNT", "h"]);
}

#[test]
fn sparse_to_dense_step_by_step() {
    // One element at a time until well past the promotion, comparing the
    // bytes after every PFADD and the count after every few.
    let mut p = Pair::new();
    let mut i = 0;
    let mut dense_since = None;
    while dense_since.is_none_or(|d| i < d + 50) {
        p.check(&["PFADD", "h", &format!("el:{i}")]);
        check_bytes(&mut p, "h");
        if i % 7 == 0 {
            p.check(&["PFCOUNT", "h"]);
            check_bytes(&mut p, "h");
        }
        if dense_since.is_none()
            && p.check(&["PFDEBUG", "ENCODING", "h"]) == Reply::Status("dense".into())
        {
            dense_since = Some(i);
        }
        i += 1;
        assert!(i < 10_000, "never promoted");
    }
    assert!(dense_since.unwrap() > 1000);
}

#[test]
fn large_cardinalities() {
    let mut p = Pair::new();
    let mut n = 0;
    for batch in [
        10, 90, 400, 500, 1000, 3000, 5000, 10_000, 30_000, 50_000, 60_000,
    ] {
        p.check(&pfadd_argv("big", "x", n..n + batch));
        n += batch;
        p.check(&["PFCOUNT", "big"]);
        check_bytes(&mut p, "big");
        p.check(&["PFADD", "big", "x0", "x1"]);
        p.check(&["PFCOUNT", "big"]);
    }
    assert!(n >= 100_000);
    p.check(&["PFDEBUG", "ENCODING", "big"]);
}

#[test]
fn error_within_five_standard_errors() {
    // Redis's standard error is 0.81%; allow 5x for each cardinality.
    let mut p = Pair::new();
    let mut n = 0;
    for target in [1_000usize, 10_000, 50_000, 150_000] {
        while n < target {
            let end = (n + 5000).min(target);
            p.check(&pfadd_argv("card", "u", n..end));
            n = end;
        }
        let Reply::Int(est) = p.check(&["PFCOUNT", "card"]) else {
            panic!("PFCOUNT")
        };
        let err = (est as f64 - n as f64).abs() / n as f64;
        assert!(
            err <= 0.0081 * 5.0,
            "cardinality {n}: estimate {est}, error {err}"
        );
    }
}

#[test]
fn pfcount_many_keys() {
    let mut p = Pair::new();
    build(&mut p, "s1", 50);
    build(&mut p, "s2", 500);
    build(&mut p, "d1", 20_000);
    build(&mut p, "d2", 3_000);
    p.check(&["PFADD", "s1", "zz"]);
    let keys = ["s1", "s2", "d1", "d2"];
    let before: Vec<_> = keys.iter().map(|k| engine_bytes(&p.engine, k)).collect();
    p.check(&["PFCOUNT", "s1", "s2"]);
    p.check(&["PFCOUNT", "s1", "d1"]);
    p.check(&["PFCOUNT", "d1", "d2"]);
    p.check(&["PFCOUNT", "s1", "s2", "d1", "d2", "missing"]);
    p.check(&["PFCOUNT", "s1", "s1"]);
    p.check(&["PFCOUNT", "missing", "missing2"]);
    // Multi-key PFCOUNT never updates the caches.
    for (k, b) in keys.iter().zip(before) {
        assert_eq!(engine_bytes(&p.engine, k), b);
        check_bytes(&mut p, k);
    }
    list_both(&mut p, "l");
    p.check(&["PFCOUNT", "s1", "l"]);
    p.check(&["PFCOUNT", "missing", "l"]);
    set_both(&mut p, "str", b"not an hll at all");
    p.check(&["PFCOUNT", "s1", "str", "l"]);
}

#[test]
fn pfmerge_mixed_encodings() {
    let mut p = Pair::new();
    build(&mut p, "s1", 100);
    build(&mut p, "s2", 300);
    build(&mut p, "d1", 10_000);
    build(&mut p, "d2", 12_000);
    let cases: &[&[&str]] = &[
        &["PFMERGE", "dest"],
        &["PFMERGE", "m1", "s1", "s2"],
        &["PFMERGE", "m2", "s1", "d1"],
        &["PFMERGE", "m3", "d1", "d2"],
        &["PFMERGE", "m1", "d2"],
        &["PFMERGE", "s2", "s1"],
        &["PFMERGE", "s2", "s2"],
        &["PFMERGE", "m4", "missing", "s1"],
        &["PFMERGE", "m5", "s1", "s1", "s2"],
        &["PFMERGE", "d1", "s1"],
    ];
    for c in cases {
        p.check(c);
        check_bytes(&mut p, c[1]);
        p.check(&["PFCOUNT", c[1]]);
        p.check(&["PFDEBUG", "ENCODING", c[1]]);
        check_bytes(&mut p, c[1]);
    }
    // Two sparse HLLs whose union outgrows hll-sparse-max-bytes.
    build(&mut p, "a", 1200);
    build(&mut p, "b", 1200);
    p.check(&["PFMERGE", "ab", "a", "b"]);
    check_bytes(&mut p, "ab");
    p.check(&["PFDEBUG", "ENCODING", "ab"]);
    // Wrong types, as destination or as source.
    list_both(&mut p, "l");
    p.check(&["PFMERGE", "l", "s1"]);
    p.check(&["PFMERGE", "m6", "s1", "l"]);
    p.check(&["EXISTS", "m6"]);
    set_both(&mut p, "str", b"hello");
    p.check(&["PFMERGE", "str", "s1"]);
    p.check(&["PFMERGE", "s1", "str"]);
    check_bytes(&mut p, "str");
    check_same_hll_data(&mut p);
}

#[test]
fn sparse_max_bytes_config() {
    for max in ["0", "20", "100", "1000", "6000", "20000"] {
        let mut p = Pair::new();
        p.redis
            .call(&["CONFIG", "SET", "hll-sparse-max-bytes", max]);
        p.engine
            .shared()
            .config
            .set("hll-sparse-max-bytes", max)
            .unwrap();
        for i in 0..40 {
            p.check(&pfadd_argv("h", &format!("{i}:"), 0..i * 10));
            check_bytes(&mut p, "h");
        }
        build(&mut p, "a", 400);
        build(&mut p, "b", 700);
        p.check(&["PFMERGE", "ab", "a", "b"]);
        check_bytes(&mut p, "ab");
    }
}

#[test]
fn wrong_types_and_non_hll_strings() {
    let mut p = Pair::new();
    list_both(&mut p, "l");
    for cmd in [
        &["PFADD", "l", "a"][..],
        &["PFADD", "l"],
        &["PFCOUNT", "l"],
        &["PFDEBUG", "ENCODING", "l"],
    ] {
        p.check(cmd);
    }
    let mut dense = build(&mut p, "d", 5000);
    let sparse = build(&mut p, "s", 10);
    let mut cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"hello".to_vec(),
        b"HYLL".to_vec(),
        sparse[..15].to_vec(),
        b"hyll\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff".to_vec(),
        b"123456789012345678".to_vec(),
        [&b"HYLL\x02"[..], &sparse[5..]].concat(),
        [&b"HYLL\xff"[..], &sparse[5..]].concat(),
        dense[..dense.len() - 1].to_vec(),
        [&dense[..], b"x"].concat(),
        [&b"HYLL\x00"[..], &sparse[5..]].concat(),
    ];
    dense[4] = 1;
    cases.push(dense); // Dense registers read as sparse opcodes.
    for (i, c) in cases.iter().enumerate() {
        set_both(&mut p, "x", c);
        for cmd in [
            &["PFCOUNT", "x"][..],
            &["PFADD", "x", "a", &i.to_string()],
            &["PFADD", "x"],
            &["PFCOUNT", "x", "s"],
            &["PFCOUNT", "s", "x"],
            &["PFMERGE", "x", "s"],
            &["PFMERGE", "s2", "s", "x"],
            &["PFDEBUG", "DECODE", "x"],
            &["PFDEBUG", "ENCODING", "x"],
        ] {
            p.check(cmd);
            check_bytes(&mut p, "x");
        }
    }
}

/// Sparse strings with malformed opcode streams, each with a stale and a
/// valid cache.
fn corrupt_sparse_bodies() -> Vec<Vec<u8>> {
    vec![
        vec![],                       // no opcodes
        vec![0x7f],                   // XZERO cut by the end (terminator byte)
        vec![0x7f, 0xfe],             // 16383 registers
        vec![0x7f, 0xff, 0x00],       // 16385 registers
        vec![0x7f, 0xff, 0x80],       // a VAL after all registers
        vec![0x7f, 0xfd, 0x80],       // exactly 16384 via VAL
        vec![0x7f, 0xfd, 0x83],       // VAL overflows the end
        vec![0x83, 0x7f, 0xff],       // overflow after a VAL
        vec![0xff, 0xff, 0x7f, 0xf7], // VALs of 32
        vec![0x7f, 0xff, 0x7f, 0xff], // twice the registers
        vec![0x00; 300],              // 300 ZEROs of 1
        vec![0x3f; 256],              // 256 ZEROs of 64 = 16384
        [vec![0x3f; 255], vec![0x3e, 0x80]].concat(),
        [vec![0x80; 16], vec![0x7f, 0xef]].concat(), // 16 + 16368
        [vec![0x83; 4], vec![0x40, 0x00], vec![0x7f, 0xef]].concat(),
        vec![0x40, 0x00, 0x40, 0x00, 0x7f, 0xfd], // XZERO runs of 1
    ]
}

#[test]
fn corrupted_hll_strings() {
    let mut p = Pair::new();
    build(&mut p, "good", 30);
    build(&mut p, "dense", 4000);
    for body in corrupt_sparse_bodies() {
        for card in [STALE, 12345] {
            let s = [header(1, card), body.clone()].concat();
            for cmd in [
                &["PFCOUNT", "c"][..],
                &["PFCOUNT", "c"],
                &["PFCOUNT", "c", "good"],
                &["PFADD", "c"],
                &["PFADD", "c", "a", "b", "c", "d", "e"],
                &["PFADD", "c", "foo"],
                &["PFMERGE", "m", "c"],
                &["PFMERGE", "c", "good"],
                &["PFMERGE", "c", "dense"],
                &["PFDEBUG", "DECODE", "c"],
                &["PFDEBUG", "TODENSE", "c"],
                &["PFDEBUG", "GETREG", "c"],
                &["PFCOUNT", "c"],
            ] {
                set_both(&mut p, "c", &s);
                p.check(cmd);
                check_bytes(&mut p, "c");
                p.check(&["DEL", "m"]);
            }
        }
    }
    // Dense strings with extreme registers: all 63 (the estimate overflows
    // into Redis's -2^63), all 51, and the cache byte patterns around it.
    for fill in [0xffu8, 0x00, 0xaa, 0x55] {
        for card in [STALE, 0, 1 << 62] {
            let s = [header(0, card), vec![fill; 12288]].concat();
            set_both(&mut p, "c", &s);
            p.check(&["PFCOUNT", "c"]);
            check_bytes(&mut p, "c");
            p.check(&["PFCOUNT", "c"]);
            p.check(&["PFCOUNT", "c", "good"]);
            p.check(&["PFADD", "c", "x", "y"]);
            p.check(&["PFMERGE", "m", "c", "good"]);
            check_bytes(&mut p, "m");
            p.check(&["PFDEBUG", "GETREG", "c"]);
        }
    }
    let all51: Vec<u8> = (0..4096).flat_map(|_| [0x33, 0xcf, 0xcc]).collect();
    set_both(&mut p, "c", &[header(0, STALE), all51].concat());
    p.check(&["PFCOUNT", "c"]);
    check_bytes(&mut p, "c");
}

/// True when `s` is a sparse HLL whose last opcode is an XZERO cut by the
/// end of the string, so that its second byte is the one past the end.
///
/// Redis reads that byte from the sds buffer: a fresh string has its zero
/// terminator there, but when PFADD splits such a cut XZERO, Redis's
/// `memcpy` of the new opcodes writes one byte past the new end, and later
/// commands read that hidden byte. We model the terminator only (the value
/// is a plain byte string), so the tests keep such strings away from
/// multi-step updates; they are covered with fresh copies in
/// `corrupted_hll_strings`.
fn ends_with_cut_xzero(s: &[u8]) -> bool {
    if s.len() < 16 || s[4] != 1 {
        return false;
    }
    let mut p = 16;
    while p < s.len() {
        if s[p] & 0xc0 == 0x40 {
            if p + 1 == s.len() {
                return true;
            }
            p += 2;
        } else {
            p += 1;
        }
    }
    false
}

/// A random mutation of `base` (see [`mutate_raw`]) that does not end with
/// a cut XZERO.
fn mutate(base: &[u8], rng: &mut SmallRng) -> Vec<u8> {
    let mut s = mutate_raw(base, rng);
    while ends_with_cut_xzero(&s) {
        s.push(rng.random());
    }
    s
}

/// A random mutation of `base`: flipped bits, random bytes, truncation,
/// appended bytes or a rewritten cache.
fn mutate_raw(base: &[u8], rng: &mut SmallRng) -> Vec<u8> {
    let mut s = base.to_vec();
    for _ in 0..rng.random_range(1..=3) {
        match rng.random_range(0..6) {
            0 | 1 => {
                let i = rng.random_range(16.min(s.len() - 1)..s.len());
                s[i] ^= 1 << rng.random_range(0..8);
            }
            2 => {
                let i = rng.random_range(16.min(s.len() - 1)..s.len());
                s[i] = rng.random();
            }
            3 => {
                let n = rng.random_range(16..=s.len());
                s.truncate(n);
            }
            4 => {
                for _ in 0..rng.random_range(1..5) {
                    s.push(rng.random());
                }
            }
            _ => s[15] = if rng.random() { 0x80 } else { 0 },
        }
        if s.len() <= 16 {
            break;
        }
    }
    s
}

#[test]
fn mutated_hll_fuzz() {
    let mut p = Pair::new();
    let mut r = rng("mutated_hll_fuzz");
    let bases = [
        build(&mut p, "b1", 5),
        build(&mut p, "b2", 200),
        build(&mut p, "b3", 1300),
        build(&mut p, "b4", 20_000),
    ];
    build(&mut p, "other", 100);
    for i in 0..1500 {
        let s = mutate(bases.choose(&mut r).unwrap(), &mut r);
        set_both(&mut p, "f", &s);
        let e = format!("e{i}");
        let cmds: &[&[&str]] = &[
            &["PFCOUNT", "f"],
            &["PFCOUNT", "f", "other"],
            &["PFADD", "f", &e, "a", "b"],
            &["PFMERGE", "f", "other"],
            &["PFMERGE", "m", "other", "f"],
            &["PFDEBUG", "DECODE", "f"],
            &["PFDEBUG", "TODENSE", "f"],
        ];
        for _ in 0..3 {
            let cmd = cmds.choose(&mut r).unwrap();
            p.check(cmd);
            check_bytes(&mut p, "f");
        }
        if i % 50 == 0 {
            p.check(&["PFDEBUG", "GETREG", "f"]);
            check_bytes(&mut p, "m");
        }
    }
}

#[test]
fn pfdebug_subcommands() {
    let mut p = Pair::new();
    p.check(&["PFDEBUG", "ENCODING", "nokey"]);
    p.check(&["PFDEBUG", "nosuch", "nokey"]);
    build(&mut p, "s", 40);
    build(&mut p, "d", 9000);
    for k in ["s", "d"] {
        for sub in [
            "nosuch", "DECODE", "encoding", "Encoding", "GETREG", "decode", "todense", "TODENSE",
        ] {
            p.check(&["PFDEBUG", sub, k]);
            check_bytes(&mut p, k);
        }
    }
    p.check(&[&b"PFDEBUG"[..], b"a\0b\r\nc", b"s"]);
    build(&mut p, "s", 40);
    p.check(&["PFDEBUG", "TODENSE", "s"]);
    check_bytes(&mut p, "s");
    p.check(&["PFADD", "s", "more"]);
    check_bytes(&mut p, "s");
    let mut p3 = Pair::resp3();
    build(&mut p3, "s", 40);
    p3.check(&["PFDEBUG", "GETREG", "s"]);
    p3.check(&["PFDEBUG", "ENCODING", "s"]);
    p3.check(&["PFDEBUG", "DECODE", "s"]);
}

#[test]
/// PFSELFTEST adds 10 million elements (about 12 s in a debug build): worth
/// it, as it checks the register encodings and the estimator end to end.
fn pfselftest_passes() {
    let mut p = Pair::new();
    p.check(&["PFSELFTEST"]);
}

#[test]
fn random_command_sequence() {
    let mut p = Pair::new();
    let mut r = rng("hll random_command_sequence");
    let keys = ["h0", "h1", "h2", "h3", "h4", "l", "str"];
    list_both(&mut p, "l");
    set_both(&mut p, "str", b"plain string");
    let mut commands = 0;
    while commands < 2500 {
        let argv = random_command(&p, &mut r, &keys);
        if let Some((key, bytes)) = argv.corrupt {
            set_both(&mut p, key, &bytes);
        }
        p.check(&argv.argv);
        commands += 1;
        if commands % 100 == 0 {
            for k in &keys[..5] {
                check_bytes(&mut p, k);
            }
        }
    }
    check_same_hll_data(&mut p);
}

/// A generated command, possibly preceded by overwriting a key with a
/// corrupted copy of an HLL.
struct Generated {
    argv: Vec<String>,
    corrupt: Option<(&'static str, Vec<u8>)>,
}

fn random_command(p: &Pair, r: &mut SmallRng, keys: &[&'static str]) -> Generated {
    let key = |r: &mut SmallRng| *keys.choose(r).unwrap();
    let ele = |r: &mut SmallRng| format!("m{}", r.random_range(0..8000));
    let mut corrupt = None;
    let argv: Vec<String> = match r.random_range(0..100) {
        0..=34 => {
            let n = r.random_range(0..8);
            let mut v = vec!["PFADD".into(), key(r).into()];
            v.extend((0..n).map(|_| ele(r)));
            v
        }
        35..=39 => {
            let n = r.random_range(50..400);
            let mut v = vec!["PFADD".into(), key(r).into()];
            v.extend((0..n).map(|_| ele(r)));
            v
        }
        40..=59 => vec!["PFCOUNT".into(), key(r).into()],
        60..=69 => {
            let mut v = vec!["PFCOUNT".into()];
            v.extend((0..r.random_range(2..5)).map(|_| key(r).to_string()));
            v
        }
        70..=79 => {
            let mut v = vec!["PFMERGE".into()];
            v.extend((0..r.random_range(1..5)).map(|_| key(r).to_string()));
            v
        }
        80..=84 => {
            let sub = ["ENCODING", "DECODE", "TODENSE", "GETREG", "bogus"]
                .choose(r)
                .unwrap();
            vec!["PFDEBUG".into(), sub.to_string(), key(r).into()]
        }
        85..=89 => vec!["DEL".into(), keys[r.random_range(0..5)].into()],
        90..=92 => {
            let k = keys[r.random_range(0..5)];
            if let Some(b) = engine_bytes(&p.engine, k).filter(|b| b.len() > 16) {
                corrupt = Some((k, mutate(&b, r)));
            }
            vec!["PFCOUNT".into(), k.into()]
        }
        _ => {
            let bad: &[&[&str]] = &[
                &["PFADD"],
                &["PFCOUNT"],
                &["PFMERGE"],
                &["PFDEBUG", "x"],
                &["PFSELFTEST", "a"],
            ];
            bad.choose(r)
                .unwrap()
                .iter()
                .map(|s| s.to_string())
                .collect()
        }
    };
    Generated { argv, corrupt }
}

#[test]
fn corrupted_hll_engine_never_panics() {
    // Engine only, so many more cases: raw mutations (cut XZEROs included)
    // and random opcode streams, with every command that reads or writes
    // an HLL. The engine turns a handler panic into an "internal error"
    // reply: none may appear, and every reply must be a value or an error.
    let engine = Engine::new();
    let mut s = engine.session();
    let mut r = rng("corrupted_hll_engine_never_panics");
    let mut bases = Vec::new();
    for (k, n) in [("b1", 3), ("b2", 300), ("b3", 1500), ("b4", 9000)] {
        let argv: Vec<String> = pfadd_argv(k, k, 0..n);
        engine.execute(&mut s, &argv);
        bases.push(engine_bytes(&engine, k).unwrap());
    }
    engine.execute(&mut s, &pfadd_argv("other", "o", 0..100));
    for i in 0..2000 {
        let bytes = if i % 3 == 0 {
            let mut g = header(1, if r.random() { STALE } else { 7 });
            g.extend((0..r.random_range(0..64)).map(|_| r.random::<u8>()));
            g
        } else {
            mutate_raw(bases.choose(&mut r).unwrap(), &mut r)
        };
        engine_insert(&engine, "f", Value::Str(bytes));
        let e = format!("e{i}");
        let cmds: [&[&str]; 9] = [
            &["PFADD", "f", &e, "a", "b", "c"],
            &["PFCOUNT", "f"],
            &["PFCOUNT", "f", "other"],
            &["PFMERGE", "f", "other"],
            &["PFMERGE", "m", "other", "f"],
            &["PFDEBUG", "DECODE", "f"],
            &["PFDEBUG", "GETREG", "f"],
            &["PFDEBUG", "TODENSE", "f"],
            &["PFADD", "f", "x", "y"],
        ];
        for _ in 0..4 {
            let reply = engine.execute(&mut s, cmds.choose(&mut r).unwrap());
            match reply {
                Reply::Error(e) => assert!(
                    e.starts_with("INVALIDOBJ")
                        || e.starts_with("WRONGTYPE")
                        || e.starts_with("ERR HLL encoding"),
                    "unexpected error {e}"
                ),
                Reply::Int(_) | Reply::Status(_) | Reply::Bulk(_) | Reply::Array(_) => {}
                other => panic!("unexpected reply {other:?}"),
            }
        }
    }
}

/// Gives `key` a deadline `ms` from now on both sides.
fn pexpire_both(p: &mut Pair, key: &str, ms: u64) {
    if engine_has("pexpire") {
        p.check(&["PEXPIRE", key, &ms.to_string()]);
        return;
    }
    p.log.push(format!("PEXPIRE {key} {ms}"));
    assert_eq!(
        p.redis.call(&["PEXPIRE", key, &ms.to_string()]),
        Reply::Int(1)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let ks = &p.engine.shared().keyspace;
    let mut shard = ks.lock(0, ks.shard_of(key.as_bytes()));
    let mut e = shard.map.get_mut(key.as_bytes()).expect("key to expire");
    e.set_expire(now + ms);
}

#[test]
fn expired_keys_count_as_missing() {
    let mut p = Pair::new();
    for k in ["a", "b", "c", "d"] {
        p.check(&["PFADD", k, k, "x", "y"]);
    }
    for k in ["a", "b", "d"] {
        pexpire_both(&mut p, k, 30);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    p.check(&["PFCOUNT", "a"]);
    p.check(&["PFCOUNT", "b", "c"]);
    p.check(&["PFMERGE", "b", "c"]);
    check_bytes(&mut p, "b");
    p.check(&["PFADD", "a"]);
    check_bytes(&mut p, "a");
    p.check(&["PFMERGE", "e", "d"]);
    check_bytes(&mut p, "e");
    p.check(&["EXISTS", "d"]);
    check_same_hll_data(&mut p);
}

/// Asserts that OBJECT ENCODING of the string `key` agrees: through the
/// command when the engine has it, otherwise from the entry's `raw` flag
/// (Redis: `raw` when modified in place or longer than 44 bytes).
fn check_encoding(p: &mut Pair, key: &str) {
    if engine_has("object") {
        p.check(&["OBJECT", "ENCODING", key]);
        return;
    }
    let theirs = p.redis.call(&["OBJECT", "ENCODING", key]);
    let ks = &p.engine.shared().keyspace;
    let shard = ks.lock(0, ks.shard_of(key.as_bytes()));
    let e = shard.map.get(key.as_bytes()).expect("key");
    let ValueRef::Str(s) = e.value() else {
        panic!("{key} is not a string")
    };
    let ours = if e.raw() || s.len() > 44 {
        "raw"
    } else {
        "embstr"
    };
    assert_eq!(theirs, Reply::Bulk(ours.into()), "OBJECT ENCODING {key}");
}

#[test]
fn hll_commands_make_strings_raw() {
    // Redis unshares the value (dbUnshareStringValue): an embstr HLL written
    // with SET becomes raw once a PF command validates it, even read-only.
    let mut p = Pair::new();
    p.check(&["PFADD", "new"]);
    check_encoding(&mut p, "new");
    let empty = engine_bytes(&p.engine, "new").unwrap();
    let cases: &[&[&str]] = &[
        &["PFCOUNT", "k"],
        &["PFCOUNT", "k", "new"],
        &["PFADD", "k"],
        &["PFADD", "k", "a"],
        &["PFMERGE", "k"],
        &["PFMERGE", "other", "k"],
        &["PFDEBUG", "ENCODING", "k"],
    ];
    for cmd in cases {
        set_both(&mut p, "k", &empty);
        check_encoding(&mut p, "k");
        p.check(cmd);
        check_encoding(&mut p, "k");
    }
    set_both(&mut p, "k", b"HYLL");
    p.check(&["PFCOUNT", "k"]);
    check_encoding(&mut p, "k");
}
