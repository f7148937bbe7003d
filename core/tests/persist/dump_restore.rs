//! DUMP and RESTORE against redis-server: payloads move both ways, DUMP
//! output is byte-identical where Redis's encoding is deterministic, and
//! RESTORE's options and errors match.

use crate::common::{Server, Store, TempDir, apply, assert_same, dataset, ours, picture};
use crate::harness::Pair;
use kvstore_core::{Engine, Reply};

/// Keys of the dataset whose DUMP bytes do not depend on hash-table order
/// (strings, lists, intsets, sorted sets, one-element hashes and sets).
/// LZF-compressed ones are included: our compressor is liblzf's.
const DETERMINISTIC: &[&str] = &[
    "str:small",
    "str:int8",
    "str:int16",
    "str:int32",
    "str:int64",
    "str:notint",
    "str:empty",
    "str:long",
    "str:noise",
    "str:ttl",
    "str:appended",
    "list:small",
    "list:big",
    "list:wide",
    "list:ttl",
    "set:int16",
    "set:int32",
    "set:int64",
    "zset:small",
    "zset:frac",
    "zset:big",
    "zset:longmember",
    "hash:one",
    "hash:longvalue",
    "hash:ttl",
    "db3:str",
    "db3:set",
    "db15:zset",
];

fn keys_of(store: &mut dyn Store, db: usize) -> Vec<Vec<u8>> {
    store.call(&[b"SELECT", db.to_string().as_bytes()]);
    match store.call(&[b"KEYS", b"*"]) {
        Reply::Array(v) => v
            .into_iter()
            .map(|r| match r {
                Reply::Bulk(b) => b,
                other => panic!("{other:?}"),
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// DUMP of `key` and its PEXPIRETIME (0 when none) from `store`.
fn dump_of(store: &mut dyn Store, key: &[u8]) -> (Vec<u8>, i64) {
    let Reply::Bulk(payload) = store.call(&[b"DUMP", key]) else {
        panic!("DUMP {key:?}");
    };
    let Reply::Int(at) = store.call(&[b"PEXPIRETIME", key]) else {
        panic!("PEXPIRETIME");
    };
    (payload, at.max(0))
}

fn restore(store: &mut dyn Store, key: &[u8], payload: &[u8], at: i64) {
    let at = at.to_string();
    let r = store.call(&[
        b"RESTORE",
        key,
        at.as_bytes(),
        payload,
        b"ABSTTL",
        b"REPLACE",
    ]);
    assert_eq!(r, Reply::ok(), "RESTORE {:?}", String::from_utf8_lossy(key));
}

#[test]
fn payloads_move_both_ways_and_match_bytes() {
    let dir = TempDir::new("dump");
    let mut server = Server::start(&dir.0);
    let engine = Engine::new();
    let mut s = engine.session();
    let cmds = dataset();
    apply(&mut server.client, &cmds);
    apply(&mut (&engine, &mut s), &cmds);
    let theirs = picture(&mut server.client);

    // Redis → kvstore, and byte comparison.
    let copy = Engine::new();
    let mut cs = copy.session();
    let mut ours_payloads = Vec::new();
    let mut differ = Vec::new();
    for db in 0..16 {
        let keys = keys_of(&mut server.client, db);
        keys_of(&mut (&engine, &mut s), db);
        keys_of(&mut (&copy, &mut cs), db);
        for key in keys {
            let (payload, at) = dump_of(&mut server.client, &key);
            restore(&mut (&copy, &mut cs), &key, &payload, at);
            // Our copy's TTL was set a moment apart: restore Redis's deadline.
            let (mine, _) = dump_of(&mut (&engine, &mut s), &key);
            let name = String::from_utf8_lossy(&key).into_owned();
            if DETERMINISTIC.contains(&name.as_str()) && mine != payload {
                differ.push(name);
            }
            ours_payloads.push((db, key, mine, at));
        }
    }
    assert!(
        differ.is_empty(),
        "DUMP bytes differ from Redis's for {differ:?}"
    );
    assert_same(
        &theirs,
        &picture(&mut (&copy, &mut cs)),
        "Redis payloads restored in kvstore",
    );

    // kvstore → Redis.
    assert_eq!(server.client.call(&["FLUSHALL"]), Reply::ok());
    for (db, key, payload, at) in &ours_payloads {
        server.client.call(&[b"SELECT", db.to_string().as_bytes()]);
        restore(&mut server.client, key, payload, *at);
    }
    assert_same(
        &theirs,
        &picture(&mut server.client),
        "kvstore payloads restored in Redis",
    );
}

fn v<'a>(parts: &[&'a [u8]]) -> Vec<&'a [u8]> {
    parts.to_vec()
}

#[test]
fn restore_options_and_errors_match_redis() {
    let mut p = Pair::new();
    p.check(&["SET", "src", "value"]);
    p.check(&["RPUSH", "list", "a", "b"]);
    let Reply::Bulk(payload) = p.redis.call(&["DUMP", "src"]) else {
        panic!("DUMP")
    };
    let Reply::Bulk(list) = p.redis.call(&["DUMP", "list"]) else {
        panic!("DUMP")
    };
    let good = payload.as_slice();
    let mut bad_crc = payload.clone();
    *bad_crc.last_mut().unwrap() ^= 1;
    let mut newer = payload.clone();
    let at = newer.len() - 10;
    newer[at] = 11;
    let cases: Vec<Vec<&[u8]>> = vec![
        v(&[b"RESTORE", b"src", b"0", good]),
        v(&[b"RESTORE", b"src", b"x", good]),
        v(&[b"RESTORE", b"new", b"x", good]),
        v(&[b"RESTORE", b"new", b"-1", good]),
        v(&[b"RESTORE", b"new", b"0", b"short"]),
        v(&[b"RESTORE", b"new", b"0", &bad_crc]),
        v(&[b"RESTORE", b"new", b"0", &newer]),
        v(&[b"RESTORE", b"new", b"0", good, b"junk"]),
        v(&[b"RESTORE", b"new", b"0", good, b"IDLETIME"]),
        v(&[b"RESTORE", b"new", b"0", good, b"IDLETIME", b"-1"]),
        v(&[b"RESTORE", b"new", b"0", good, b"IDLETIME", b"x"]),
        v(&[b"RESTORE", b"new", b"0", good, b"FREQ", b"256"]),
        v(&[
            b"RESTORE",
            b"new",
            b"0",
            good,
            b"IDLETIME",
            b"5",
            b"FREQ",
            b"3",
        ]),
        v(&[b"RESTORE", b"new", b"0", good]),
        v(&[b"GET", b"new"]),
        v(&[b"RESTORE", b"new", b"0", &list, b"REPLACE"]),
        v(&[b"LRANGE", b"new", b"0", b"-1"]),
        v(&[b"RESTORE", b"new", b"1", good, b"ABSTTL", b"REPLACE"]),
        v(&[b"EXISTS", b"new"]),
        v(&[b"RESTORE", b"ttl", b"100000", good]),
        v(&[b"RESTORE", b"idle", b"0", good, b"IDLETIME", b"1000"]),
        v(&[b"OBJECT", b"IDLETIME", b"idle"]),
        v(&[b"RESTORE", b"freq", b"0", good, b"FREQ", b"100"]),
        v(&[b"DUMP", b"nosuchkey"]),
        v(&[b"DUMP", b"src"]),
    ];
    for argv in &cases {
        p.check(argv);
    }
    // The two servers' clocks run a moment apart: compare the TTL's range,
    // not the exact millisecond.
    let (theirs, ours) = p.both(&["PTTL", "ttl"]);
    for r in [theirs, ours] {
        let Reply::Int(ms) = r else {
            panic!("PTTL {r:?}")
        };
        assert!((99_000..=100_000).contains(&ms), "{ms}");
    }
}

/// Payloads restored into kvstore keep the values' encodings as Redis's
/// do, and DUMP honours `rdbcompression`.
#[test]
fn dump_follows_rdbcompression() {
    let engine = Engine::new();
    let mut s = engine.session();
    let long = "abcde".repeat(100);
    engine.execute(&mut s, &["SET", "k", &long]);
    let dump = |s: &mut kvstore_core::Session| match ours(&engine, s, &[b"DUMP", b"k"]) {
        Reply::Bulk(b) => b,
        other => panic!("{other:?}"),
    };
    let compressed = dump(&mut s);
    assert_eq!(compressed[1], 0xC3, "LZF-encoded");
    engine.execute(&mut s, &["CONFIG", "SET", "rdbcompression", "no"]);
    let plain = dump(&mut s);
    assert!(plain.len() > long.len() && plain.len() > compressed.len());
    for payload in [compressed, plain] {
        let r = ours(
            &engine,
            &mut s,
            &[b"RESTORE", b"copy", b"0", &payload, b"REPLACE"],
        );
        assert_eq!(r, Reply::ok());
        assert_eq!(
            engine.execute(&mut s, &["GET", "copy"]),
            Reply::Bulk(long.clone().into())
        );
    }
}
