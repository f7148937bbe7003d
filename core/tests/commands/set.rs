//! SETS: differential tests against a real redis-server (both protocols),
//! encoding checks (intset vs hashtable) and a generated command sequence.
//! Intsets reply in ascending order in Redis and here, so their replies are
//! compared exactly; hashtable replies are compared without order.

use crate::harness::{self, Pair, bulks, check_pick};
use kvstore_core::Reply;
use kvstore_core::keyspace::{SetValue, ValueMut};
use rand::Rng;
use rand::seq::IndexedRandom;
use std::collections::HashSet;

/// One pair per protocol.
fn pairs() -> [Pair; 2] {
    [Pair::new(), Pair::resp3()]
}

/// `SADD key members...` with members `from..to` as decimal strings.
fn sadd_range(p: &mut Pair, key: &str, prefix: &str, range: std::ops::Range<i64>) {
    let mut argv = vec!["SADD".to_string(), key.into()];
    argv.extend(range.map(|i| format!("{prefix}{i}")));
    p.check(&argv);
}

#[test]
fn add_remove_and_membership() {
    for mut p in pairs() {
        p.check(&["SADD", "s", "3", "1", "2", "1", "-7"]);
        p.check(&["SMEMBERS", "s"]);
        p.check(&["SADD", "s", "2", "3"]);
        p.check(&["SCARD", "s"]);
        p.check(&["SCARD", "nokey"]);
        p.check(&["SISMEMBER", "s", "1"]);
        p.check(&["SISMEMBER", "s", "01"]);
        p.check(&["SISMEMBER", "nokey", "1"]);
        p.check(&["SMISMEMBER", "s", "1", "9", "-7", "1"]);
        p.check(&["SMISMEMBER", "nokey", "1", "2"]);
        p.check(&["SMEMBERS", "nokey"]);
        p.check(&["SREM", "s", "1", "1", "nope"]);
        p.check(&["SREM", "nokey", "1"]);
        p.check(&["SMEMBERS", "s"]);
        p.check(&["SADD", "s", "a", "", "\x00\r\n"]);
        p.check_whole(&["SMEMBERS", "s"]);
        p.check(&["SISMEMBER", "s", ""]);
        p.check(&["SREM", "s", "3", "2", "-7", "a", "", "\x00\r\n"]);
        p.check(&["EXISTS", "s"]);
        p.check(&[
            "SADD",
            "neg",
            "-9223372036854775808",
            "9223372036854775807",
            "0",
            "-1",
        ]);
        p.check(&["SMEMBERS", "neg"]);
        p.check_same_data();
    }
}

#[test]
fn errors_arity_and_wrong_types() {
    for mut p in pairs() {
        p.check(&["HSET", "h", "f", "v"]);
        p.check(&["SADD", "s", "1"]);
        for argv in [
            &["SADD", "s"][..],
            &["SREM", "s"],
            &["SMEMBERS"],
            &["SMEMBERS", "s", "x"],
            &["SISMEMBER", "s"],
            &["SISMEMBER", "s", "a", "b"],
            &["SMISMEMBER", "s"],
            &["SCARD"],
            &["SPOP"],
            &["SRANDMEMBER"],
            &["SMOVE", "s", "t"],
            &["SMOVE", "s", "t", "a", "b"],
            &["SINTER"],
            &["SINTERCARD", "1"],
            &["SINTERSTORE", "d"],
            &["SUNION"],
            &["SUNIONSTORE", "d"],
            &["SDIFF"],
            &["SDIFFSTORE", "d"],
            &["SSCAN", "s"],
            &["SPOP", "s", "1", "2"],
            &["SRANDMEMBER", "s", "1", "2"],
        ] {
            p.check(argv);
        }
        for argv in [
            &["SADD", "h", "a"][..],
            &["SREM", "h", "a"],
            &["SMEMBERS", "h"],
            &["SISMEMBER", "h", "a"],
            &["SMISMEMBER", "h", "a"],
            &["SCARD", "h"],
            &["SPOP", "h"],
            &["SPOP", "h", "0"],
            &["SPOP", "h", "x"],
            &["SRANDMEMBER", "h"],
            &["SRANDMEMBER", "h", "0"],
            &["SRANDMEMBER", "h", "x"],
            &["SSCAN", "h", "0"],
            &["SSCAN", "h", "x"],
            &["SSCAN", "h", "0", "bad"],
            &["SINTER", "s", "h"],
            &["SINTER", "nokey", "h"],
            &["SUNION", "h", "nokey"],
            &["SDIFF", "nokey", "h"],
            &["SDIFF", "s", "h"],
            &["SINTERCARD", "2", "nokey", "h"],
            &["SINTERSTORE", "d", "nokey", "h"],
            &["SUNIONSTORE", "d", "s", "h"],
            &["SDIFFSTORE", "d", "h"],
            &["EXISTS", "d"],
        ] {
            p.check(argv);
        }
        p.check_same_data();
    }
}

#[test]
fn encodings_follow_redis_conversions() {
    let mut p = Pair::new();
    for (key, members) in [
        ("ints", &["1", "2", "3"][..]),
        ("str-first", &["a", "1"]),
        ("int-first", &["1", "a"]),
        ("zero-pad", &["01"]),
        ("neg-zero", &["-0"]),
        ("plus", &["+1"]),
        ("float", &["1.0"]),
        ("space", &[" 1"]),
        ("max", &["9223372036854775807"]),
        ("min", &["-9223372036854775808"]),
        ("over", &["9223372036854775808"]),
    ] {
        let mut argv = vec!["SADD", key];
        argv.extend(members);
        p.check(&argv);
        p.check_encoding(key);
    }
    sadd_range(&mut p, "full", "", 0..512);
    p.check_encoding("full");
    p.check(&["SADD", "full", "511"]);
    p.check_encoding("full");
    p.check(&["SADD", "full", "512"]);
    p.check_encoding("full");
    // One-way: removing never converts back.
    p.check(&["SREM", "full", "512", "0", "1"]);
    p.check_encoding("full");
    p.check(&["SREM", "str-first", "a"]);
    p.check_encoding("str-first");
    p.check(&["SMEMBERS", "str-first"]);

    p.config_set("set-max-intset-entries", "3");
    p.check(&["SADD", "t", "1", "2", "3"]);
    p.check_encoding("t");
    p.check(&["SADD", "t", "4"]);
    p.check_encoding("t");
    // Stores build a fresh set: intset when the result allows it.
    p.check(&["SADD", "x", "1", "2", "3", "4", "5"]);
    p.check(&["SADD", "y", "1", "2", "3", "4", "5", "6"]);
    p.check(&["SADD", "q", "a", "1"]);
    for argv in [
        &["SINTERSTORE", "z", "x", "y"][..],
        &["SUNIONSTORE", "z", "x", "y"],
        &["SDIFFSTORE", "z", "y", "x"],
        &["SINTERSTORE", "z", "q", "x"],
        &["SDIFFSTORE", "z", "q", "x"],
        &["SUNIONSTORE", "z", "q"],
        &["SINTERSTORE", "z", "t"],
    ] {
        p.check(argv);
        p.check_encoding("z");
        check_members(&mut p, &["SMEMBERS", "z"]);
    }
    // SMOVE creates the destination from the moved member.
    p.check(&["SMOVE", "q", "m1", "a"]);
    p.check_encoding("m1");
    p.check(&["SMOVE", "q", "m2", "1"]);
    p.check_encoding("m2");
    p.check(&["EXISTS", "q"]);
    p.check(&["SMOVE", "x", "m2", "2"]);
    p.check(&["SMOVE", "x", "m2", "3"]);
    p.check(&["SMOVE", "x", "m2", "4"]);
    p.check_encoding("m2");
    // SPOP keeping at most a fifth of what it pops rebuilds the set.
    sadd_range(&mut p, "pop", "", 0..10);
    p.check_encoding("pop");
    p.both(&["SPOP", "pop", "8"]);
    p.check_encoding("pop");
    p.check(&["DEL", "pop"]);
    sadd_range(&mut p, "pop", "", 0..10);
    p.both(&["SPOP", "pop", "9"]);
    p.check_encoding("pop");
    p.check(&["DEL", "pop"]);
    sadd_range(&mut p, "pop", "m", 0..20);
    p.both(&["SPOP", "pop", "17"]);
    p.check_encoding("pop");
    p.config_set("set-max-intset-entries", "0");
    p.check(&["SADD", "zero", "1"]);
    p.check_encoding("zero");
}

#[test]
fn intsets_list_members_in_numeric_order() {
    for mut p in pairs() {
        let whole = |p: &mut Pair, key: &str| {
            p.check_encoding(key);
            p.check(&["SMEMBERS", key]);
            p.check(&["SSCAN", key, "0"]);
            p.check(&["SRANDMEMBER", key, "1000"]);
            p.check(&["SORT", key, "BY", "nosort"]);
            p.check(&["SINTER", key]);
            p.check(&["SUNION", key]);
        };
        p.check(&[
            "SADD",
            "s",
            "100",
            "-3",
            "7",
            "9223372036854775807",
            "0",
            "-9223372036854775808",
            "-100",
            "20",
            "-2",
            "3",
        ]);
        whole(&mut p, "s");
        // Inserts land at their sorted place, removals keep the rest sorted.
        p.check(&["SADD", "s", "5", "-50", "4294967296", "-4294967297", "6"]);
        whole(&mut p, "s");
        p.check(&["SREM", "s", "0", "9223372036854775807", "-3"]);
        whole(&mut p, "s");
        // Widths: small members first, then one that needs 20 characters.
        p.check(&["SADD", "w", "3", "1", "2"]);
        whole(&mut p, "w");
        p.check(&["SADD", "w", "-9223372036854775807", "12"]);
        whole(&mut p, "w");
        // Not integers under string2ll rules: the set converts.
        p.check(&["SADD", "w", "007"]);
        p.check_encoding("w");
        p.check_whole(&["SMEMBERS", "w"]);
        // SMOVE adds at the sorted place, into a new or existing intset.
        p.check(&["SADD", "src", "42", "-1", "17"]);
        p.check(&["SADD", "dst", "50", "10"]);
        p.check(&["SMOVE", "src", "dst", "17"]);
        p.check(&["SMOVE", "src", "fresh", "42"]);
        p.check(&["SMOVE", "src", "dst", "-1"]);
        whole(&mut p, "dst");
        whole(&mut p, "fresh");
        p.check(&["EXISTS", "src"]);
        // Stores build a fresh intset (from hashtables here) when the
        // result allows it.
        p.check(&["SADD", "a", "9", "-8", "7", "-6", "5", "x"]);
        p.check(&["SADD", "b", "5", "7", "-8", "100", "y"]);
        p.check(&["SADD", "c", "x", "y", "100"]);
        p.check(&["SINTERSTORE", "i", "a", "b"]);
        whole(&mut p, "i");
        p.check(&["SDIFFSTORE", "d", "b", "c"]);
        whole(&mut p, "d");
        p.check(&["SREM", "a", "x"]);
        p.check(&["SUNIONSTORE", "u", "a", "s"]);
        whole(&mut p, "u");
        // A full SPOP replies with the whole intset, sorted.
        p.check(&["SPOP", "u", "1000"]);
        p.check(&["EXISTS", "u"]);
        p.check_same_data();
    }
}

#[test]
fn intset_order_across_the_conversion_threshold() {
    for mut p in pairs() {
        // 512 members (the default limit) are an intset, whatever the order
        // they came in.
        let mut argv = vec!["SADD".to_string(), "full".into()];
        argv.extend((0..512).map(|i| ((i * 7919) % 1024 - 512).to_string()));
        p.check(&argv);
        p.check_encoding("full");
        p.check(&["SMEMBERS", "full"]);
        p.check(&["SSCAN", "full", "0", "MATCH", "-1*"]);
        p.check(&["SADD", "full", "100000"]);
        p.check_encoding("full");
        p.check_whole(&["SMEMBERS", "full"]);
        // Lowered limit: SPOP that keeps few members rebuilds an intset.
        p.config_set("set-max-intset-entries", "4");
        p.check(&["SADD", "low", "4", "-1", "3", "2"]);
        p.check(&["SMEMBERS", "low"]);
        p.check(&["SADD", "low", "-7"]);
        p.check_encoding("low");
        p.check(&["SREM", "low", "-7", "2"]);
        p.check_encoding("low");
        p.check_whole(&["SMEMBERS", "low"]);
        p.config_set("set-max-intset-entries", "512");
        p.check_same_data();
    }
}

#[test]
fn algebra_and_stores() {
    for mut p in pairs() {
        p.check(&["SADD", "a", "1", "2", "3", "4"]);
        p.check(&["SADD", "b", "3", "4", "5"]);
        p.check(&["SADD", "c", "4", "x", "y"]);
        p.check(&["SADD", "d", "x", "y", "z"]);
        sadd_range(&mut p, "big1", "m", 0..700);
        sadd_range(&mut p, "big2", "m", 500..1200);
        sadd_range(&mut p, "ibig", "", 0..600);
        p.check(&["HSET", "str", "f", "v"]);
        p.check(&["HSET", "h", "f", "v"]);
        let groups: &[&[&str]] = &[
            &["a"],
            &["a", "b"],
            &["b", "a"],
            &["a", "b", "c"],
            &["a", "a"],
            &["a", "nokey"],
            &["nokey", "a"],
            &["nokey"],
            &["c", "d"],
            &["d", "c", "d"],
            &["big1", "big2"],
            &["big2", "big1", "d"],
            &["ibig", "a"],
            &["a", "ibig"],
            &["ibig", "big1"],
        ];
        for keys in groups {
            for op in ["SINTER", "SUNION", "SDIFF"] {
                let mut argv = vec![op];
                argv.extend(*keys);
                check_algebra(&mut p, &argv);
                let mut store = vec![format!("{op}STORE"), "dest".into()];
                store.extend(keys.iter().map(|k| k.to_string()));
                p.check(&store);
                p.check_whole(&["SMEMBERS", "dest"]);
                p.check_encoding("dest");
            }
            let mut argv = vec!["SINTERCARD".to_string(), keys.len().to_string()];
            argv.extend(keys.iter().map(|k| k.to_string()));
            p.check(&argv);
        }
        // Intset results come sorted, in Redis and here.
        p.check(&["SINTER", "a", "b"]);
        p.check(&["SUNION", "b", "a"]);
        p.check(&["SDIFF", "a", "b"]);
        // The destination is replaced whatever its type; an empty result deletes it.
        p.check(&["SINTERSTORE", "str", "a", "b"]);
        p.check(&["TYPE", "str"]);
        p.check(&["SUNIONSTORE", "h", "d"]);
        p.check_whole(&["SMEMBERS", "h"]);
        p.check(&["SINTERSTORE", "h", "a", "d"]);
        p.check(&["EXISTS", "h"]);
        p.check(&["SDIFFSTORE", "nokey2", "a", "a"]);
        p.check(&["EXISTS", "nokey2"]);
        p.check(&["SUNIONSTORE", "a", "a", "d"]);
        p.check_whole(&["SMEMBERS", "a"]);
        p.check(&["SDIFFSTORE", "a", "a", "d"]);
        p.check(&["SMEMBERS", "a"]);
        p.check(&["SINTERSTORE", "a", "nokey", "a"]);
        p.check(&["EXISTS", "a"]);
        p.check_same_data();
    }
}

#[test]
fn sintercard_options() {
    for mut p in pairs() {
        p.check(&["SADD", "a", "1", "2", "3", "4", "x"]);
        p.check(&["SADD", "b", "2", "3", "4", "x", "y"]);
        p.check(&["HSET", "h", "f", "v"]);
        for argv in [
            &["SINTERCARD", "1", "a"][..],
            &["SINTERCARD", "2", "a", "b"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "0"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
            &["SINTERCARD", "2", "a", "b", "limit", "3"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "100"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "9"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "9223372036854775807"],
            &["SINTERCARD", "2", "a", "nokey"],
            &["SINTERCARD", "2", "a", "a"],
            &["SINTERCARD", "1", "nokey", "LIMIT", "5"],
            &["SINTERCARD", "0", "a"],
            &["SINTERCARD", "-1", "a"],
            &["SINTERCARD", "x", "a"],
            &["SINTERCARD", "9223372036854775807", "a"],
            &["SINTERCARD", "9223372036854775808", "a"],
            &["SINTERCARD", "3", "a", "b"],
            &["SINTERCARD", "2", "a", "b", "LIMIT"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "-1"],
            &["SINTERCARD", "2", "a", "b", "LIMIT", "x"],
            &["SINTERCARD", "2", "a", "b", "FOO", "1"],
            &["SINTERCARD", "1", "a", "b"],
            &["SINTERCARD", "1", "h"],
            &["SINTERCARD", "2", "a", "h", "LIMIT", "x"],
            &["SINTERCARD", "2", "nokey", "h"],
        ] {
            p.check(argv);
        }
    }
}

#[test]
fn smove_edges() {
    for mut p in pairs() {
        p.check(&["SADD", "src", "1", "2", "a"]);
        p.check(&["SADD", "dst", "2"]);
        p.check(&["HSET", "h", "f", "v"]);
        for argv in [
            &["SMOVE", "src", "dst", "1"][..],
            &["SMOVE", "src", "dst", "2"],
            &["SMOVE", "src", "dst", "nope"],
            &["SMOVE", "src", "src", "a"],
            &["SMOVE", "src", "src", "nope"],
            &["SMOVE", "nokey", "dst", "1"],
            &["SMOVE", "nokey", "h", "1"],
            &["SMOVE", "h", "dst", "1"],
            &["SMOVE", "src", "h", "a"],
            &["SMOVE", "src", "new", "a"],
            &["SMEMBERS", "src"],
            &["SMEMBERS", "new"],
            &["SMOVE", "src", "new", "2"],
        ] {
            p.check(argv);
        }
        p.check_whole(&["SMEMBERS", "dst"]);
        p.check_whole(&["SMEMBERS", "new"]);
        p.check(&["EXISTS", "src"]);
        p.check_same_data();
    }
}

/// The members of the set at `key` on one side (empty when absent).
fn members(reply: &Reply) -> HashSet<Vec<u8>> {
    bulks(reply).into_iter().collect()
}

/// Makes our copy of `key` equal to Redis's (members and encoding) after a
/// random SPOP left the two sides with different members.
fn adopt_redis_set(p: &mut Pair, key: &str) {
    let theirs = members(&p.redis.call(&["SMEMBERS", key]));
    let big = p.redis.call(&["OBJECT", "ENCODING", key]) == Reply::Bulk(b"hashtable".to_vec());
    let ks = &p.engine.shared().keyspace;
    let mut shard = ks.lock(p.session.db, ks.shard_of(key.as_bytes()));
    match shard.map.get_mut(key.as_bytes()) {
        Some(mut entry) => {
            let ValueMut::Set(s) = entry.value_mut() else {
                panic!("{key} is not a set")
            };
            let theirs: Vec<&[u8]> = theirs.iter().map(Vec::as_slice).collect();
            // A max of 0 forces a hashtable; with no max, integers make an intset.
            *s = SetValue::build(&theirs, if big { 0 } else { usize::MAX });
        }
        None => assert!(theirs.is_empty(), "{key} exists only in redis"),
    }
}

/// Runs `SPOP key [count]` on both sides and checks the properties: popped
/// members were members, distinct, as many as asked; what is left is the
/// rest; the encoding is the one Redis's rules give. Then resyncs.
fn check_spop(p: &mut Pair, key: &str, count: Option<i64>, max_intset: usize) {
    let before = members(&p.redis.call(&["SMEMBERS", key]));
    let enc_before = p.our_encoding(key.as_bytes());
    let mut argv = vec!["SPOP".to_string(), key.into()];
    argv.extend(count.map(|c| c.to_string()));
    let (theirs, ours) = p.check_shape(&argv);
    if theirs.is_error() {
        return;
    }
    let n = count.unwrap_or(1);
    for (side, popped) in [theirs, ours].iter().enumerate() {
        let popped = match popped {
            Reply::Nil => Vec::new(),
            Reply::Bulk(m) => vec![m.clone()],
            other => bulks(other),
        };
        check_pick(&popped, &before, n);
        let rest_reply = if side == 0 {
            p.redis.call(&["SMEMBERS", key])
        } else {
            p.engine.execute(&mut p.session, &["SMEMBERS", key])
        };
        let rest = members(&rest_reply);
        let expected: HashSet<Vec<u8>> = before
            .difference(&popped.into_iter().collect())
            .cloned()
            .collect();
        assert_eq!(
            rest, expected,
            "side {side}: SPOP must remove exactly what it returns"
        );
        let enc = if side == 0 {
            match p.redis.call(&["OBJECT", "ENCODING", key]) {
                Reply::Bulk(e) => Some(String::from_utf8(e).unwrap()),
                _ => None,
            }
        } else {
            p.our_encoding(key.as_bytes()).map(String::from)
        };
        let rebuilt = count.is_some() && rest.len() * 5 <= n as usize;
        let expected_enc = if rest.is_empty() {
            None
        } else if rebuilt {
            let intset = rest.len() <= max_intset
                && rest
                    .iter()
                    .all(|m| kvstore_core::num::parse_i64(m).is_some());
            Some(if intset { "intset" } else { "hashtable" }.to_string())
        } else {
            enc_before.map(String::from)
        };
        assert_eq!(enc, expected_enc, "side {side}: encoding after {argv:?}");
    }
    adopt_redis_set(p, key);
}

#[test]
fn spop_properties() {
    for mut p in pairs() {
        p.check(&["SPOP", "nokey"]);
        p.check(&["SPOP", "nokey", "3"]);
        p.check(&["SPOP", "nokey", "0"]);
        for argv in [
            &["SPOP", "nokey", "-1"][..],
            &["SPOP", "nokey", "x"],
            &["SPOP", "nokey", "1.5"],
        ] {
            p.check(argv);
        }
        p.check(&["SADD", "one", "x"]);
        p.check(&["SPOP", "one"]);
        p.check(&["EXISTS", "one"]);
        p.check(&["SADD", "ints", "5", "-1", "3"]);
        p.check(&["SPOP", "ints", "0"]);
        // Popping everything replies with the whole set, sorted for an intset.
        p.check(&["SPOP", "ints", "3"]);
        p.check(&["EXISTS", "ints"]);
        p.check(&["SADD", "ints", "5", "-1", "3"]);
        p.check(&["SPOP", "ints", "9223372036854775807"]);
        p.config_set("set-max-intset-entries", "8");
        let shapes: &[(&str, std::ops::Range<i64>)] = &[
            ("", 0..6),
            ("", 0..30),
            ("m", 0..30),
            ("", 0..600),
            ("m", 0..600),
        ];
        for (prefix, range) in shapes {
            for count in [
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(5),
                Some(6),
                Some(20),
                Some(25),
                Some(500),
                Some(700),
            ] {
                p.check(&["DEL", "s"]);
                sadd_range(&mut p, "s", prefix, range.clone());
                if prefix.is_empty() && range.end == 30 {
                    p.check(&["SADD", "s", "mixed"]);
                }
                check_spop(&mut p, "s", count, 8);
                p.check_same_data();
            }
        }
    }
}

/// Runs `SRANDMEMBER key count` on both sides and checks the properties.
fn check_srandmember(p: &mut Pair, key: &str, count: i64) {
    let universe = members(&p.redis.call(&["SMEMBERS", key]));
    let (theirs, ours) = p.check_shape(&["SRANDMEMBER", key, &count.to_string()]);
    for reply in [theirs, ours] {
        check_pick(&bulks(&reply), &universe, count);
    }
}

#[test]
fn srandmember_properties() {
    for mut p in pairs() {
        p.check(&["SRANDMEMBER", "nokey"]);
        p.check(&["SRANDMEMBER", "nokey", "5"]);
        p.check(&["SRANDMEMBER", "nokey", "-5"]);
        p.check(&["SRANDMEMBER", "nokey", "-9223372036854775807"]);
        p.check(&["SADD", "one", "x"]);
        p.check(&["SRANDMEMBER", "one"]);
        p.check(&["SRANDMEMBER", "one", "-3"]);
        p.check(&["SRANDMEMBER", "one", "0"]);
        p.check(&["SADD", "ints", "10", "-2", "7", "3"]);
        // The whole intset comes in order.
        p.check(&["SRANDMEMBER", "ints", "4"]);
        p.check(&["SRANDMEMBER", "ints", "9223372036854775807"]);
        sadd_range(&mut p, "small", "m", 0..10);
        sadd_range(&mut p, "big", "", 0..1000);
        for key in ["ints", "small", "big"] {
            let (theirs, ours) = p.check_shape(&["SRANDMEMBER", key]);
            let universe = members(&p.redis.call(&["SMEMBERS", key]));
            check_pick(&[harness::bulk(&theirs)], &universe, 1);
            check_pick(&[harness::bulk(&ours)], &universe, 1);
            for count in [
                1, 2, 3, 4, 5, 9, 10, 11, 333, 334, 999, 1000, 5000, -1, -2, -20, -3000,
            ] {
                check_srandmember(&mut p, key, count);
            }
        }
        for argv in [
            &["SRANDMEMBER", "small", "x"][..],
            &["SRANDMEMBER", "small", "-9223372036854775808"],
            &["SRANDMEMBER", "small", "1", "2"],
        ] {
            p.check(argv);
        }
        // Redis would stream 2^63-1 members until the OS kills it: our side
        // alone runs it, and must refuse without allocating.
        let ours = p.engine.execute(
            &mut p.session,
            &["SRANDMEMBER", "small", "-9223372036854775807"],
        );
        assert_eq!(ours, Reply::Error("ERR value is out of range".into()));
        p.check_same_data();
    }
}

#[test]
fn intset_repeated_picks_are_uniform() {
    let mut p = Pair::new();
    sadd_range(&mut p, "s", "", -5..5);
    p.check_encoding("s");
    let universe = members(&p.redis.call(&["SMEMBERS", "s"]));
    let (theirs, ours) = p.check_shape(&["SRANDMEMBER", "s", "-5000"]);
    for reply in [theirs, ours] {
        check_pick(&bulks(&reply), &universe, -5000);
        harness::check_uniform(&bulks(&reply), &universe);
    }
}

#[test]
fn sscan_small_and_big() {
    for mut p in pairs() {
        p.check(&["SSCAN", "nokey", "0"]);
        p.check(&["SSCAN", "nokey", "0", "bad"]);
        p.check(&["SADD", "ints", "30", "-4", "12", "100", "1"]);
        // An intset comes whole, sorted, cursor 0, whatever the cursor and COUNT.
        for argv in [
            &["SSCAN", "ints", "0"][..],
            &["SSCAN", "ints", "77"],
            &["SSCAN", "ints", "-1"],
            &["SSCAN", "ints", "0", "COUNT", "1"],
            &["SSCAN", "ints", "0", "MATCH", "1*"],
            &["SSCAN", "ints", "0", "MATCH", "-*", "COUNT", "2"],
            &["SSCAN", "ints", "0", "MATCH", "x*"],
        ] {
            p.check(argv);
        }
        for argv in [
            &["SSCAN", "ints", "x"][..],
            &["SSCAN", "ints", "-"],
            &["SSCAN", "ints", "0", "COUNT", "0"],
            &["SSCAN", "ints", "0", "COUNT", "x"],
            &["SSCAN", "ints", "0", "MATCH"],
            &["SSCAN", "ints", "0", "TYPE", "set"],
        ] {
            p.check(argv);
        }
        p.check(&["SADD", "strs", "a", "b", "c"]);
        p.check_whole(&["SSCAN", "strs", "0", "COUNT", "100"]);
        sadd_range(&mut p, "big", "m", 0..2000);
        for opts in [
            &[][..],
            &["COUNT", "5"],
            &["COUNT", "3000"],
            &["MATCH", "m1*", "COUNT", "20"],
        ] {
            let mut argv: Vec<&[u8]> = vec![b"SSCAN", b"big", b"0"];
            argv.extend(opts.iter().map(|o| o.as_bytes()));
            let (theirs, ours) = p.scan_all(&argv, 2);
            let (theirs, ours): (HashSet<_>, HashSet<_>) =
                (theirs.into_iter().collect(), ours.into_iter().collect());
            assert_eq!(theirs, ours, "{opts:?}");
        }
    }
}

/// A random member: small integers (intset material) and a few strings.
fn random_member(rng: &mut impl Rng) -> String {
    let strings = ["a", "b", "c", "01", "-0", "x y"];
    if rng.random_bool(0.75) {
        rng.random_range(-3..9).to_string()
    } else {
        strings.choose(rng).unwrap().to_string()
    }
}

/// A random element of `from`, owned.
fn one(rng: &mut impl Rng, from: &[&str]) -> String {
    from.choose(rng).unwrap().to_string()
}

/// One to three random elements of `from`.
fn several(rng: &mut impl Rng, from: &[&str]) -> Vec<String> {
    (0..rng.random_range(1..=3))
        .map(|_| one(rng, from))
        .collect()
}

/// Compares a reply exactly when it lists an intset (both sides sort it),
/// else without order.
fn check_members<A: AsRef<[u8]>>(p: &mut Pair, argv: &[A]) {
    if p.our_encoding(argv[1].as_ref()) == Some("intset") {
        p.check(argv);
    } else {
        p.check_unordered(argv);
    }
}

/// Compares SINTER/SUNION/SDIFF exactly when every existing input is an
/// intset on the real server and the result fits one: Redis then walks an
/// intset (SINTER) or builds one (SUNION, SDIFF), so the reply is in
/// ascending order. Otherwise its order follows a hashtable, and the reply
/// is compared without order.
fn check_algebra<A: AsRef<[u8]>>(p: &mut Pair, argv: &[A]) {
    let all_intsets = argv[1..].iter().all(|k| {
        let encoding = p.redis.call(&[&b"OBJECT"[..], b"ENCODING", k.as_ref()]);
        matches!(&encoding, Reply::Nil) || encoding == Reply::Bulk(b"intset".to_vec())
    });
    let max_intset = match p.redis.call(&["CONFIG", "GET", "set-max-intset-entries"]) {
        Reply::Array(kv) => String::from_utf8(harness::bulk(&kv[1])).unwrap(),
        Reply::Map(kv) => String::from_utf8(harness::bulk(&kv[0].1)).unwrap(),
        other => panic!("CONFIG GET: {other:?}"),
    };
    // A read-only command: asking the server once more for its size is harmless.
    let size = match p.redis.call(argv) {
        Reply::Set(v) | Reply::Array(v) => v.len(),
        _ => 0,
    };
    if all_intsets && size <= max_intset.parse().unwrap() {
        p.check(argv);
    } else {
        p.check_unordered(argv);
    }
}

/// One random set command (sometimes malformed, sometimes on the hash key
/// `h`); SPOP and SRANDMEMBER are checked by properties.
fn random_step(p: &mut Pair, rng: &mut impl Rng) {
    let keys = ["s0", "s1", "s2", "s3", "h", "nokey"];
    let key = one(rng, &keys);
    let cmd = rng.random_range(0..17);
    let argv: Vec<String> = match cmd {
        0..=2 => {
            let mut argv = vec!["SADD".to_string(), key.clone()];
            argv.extend((0..rng.random_range(1..5)).map(|_| random_member(rng)));
            argv
        }
        3 => {
            let mut argv = vec!["SREM".to_string(), key.clone()];
            argv.extend((0..rng.random_range(1..4)).map(|_| random_member(rng)));
            argv
        }
        4 => {
            check_members(p, &["SMEMBERS", &key]);
            return;
        }
        5 => vec!["SISMEMBER".into(), key.clone(), random_member(rng)],
        6 => vec![
            "SMISMEMBER".into(),
            key.clone(),
            random_member(rng),
            random_member(rng),
        ],
        7 => vec!["SCARD".into(), key.clone()],
        8 => {
            if p.redis.call(&["TYPE", &key]) == Reply::Status("set".into()) {
                let count = rng.random_bool(0.7).then(|| rng.random_range(0..12));
                check_spop(p, &key, count, 6);
            } else {
                p.check(&["SPOP", &key, "2"]);
            }
            return;
        }
        9 => {
            if p.redis.call(&["TYPE", &key]) == Reply::Status("set".into()) {
                check_srandmember(p, &key, rng.random_range(-12..12));
            } else {
                p.check(&["SRANDMEMBER", &key, "2"]);
            }
            return;
        }
        10 => vec![
            "SMOVE".into(),
            key.clone(),
            one(rng, &keys),
            random_member(rng),
        ],
        11 | 12 => {
            let op = one(rng, &["SINTER", "SUNION", "SDIFF"]);
            let mut argv = vec![op];
            argv.extend(several(rng, &keys));
            check_algebra(p, &argv);
            return;
        }
        13 | 14 => {
            let op = one(rng, &["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
            let mut argv = vec![op, key.clone()];
            argv.extend(several(rng, &keys));
            argv
        }
        15 => {
            let sources = several(rng, &keys);
            let mut argv = vec!["SINTERCARD".to_string(), sources.len().to_string()];
            argv.extend(sources);
            if rng.random_bool(0.5) {
                argv.extend(["LIMIT".to_string(), rng.random_range(-1..4).to_string()]);
            }
            argv
        }
        _ => {
            let pattern = one(rng, &["*", "1*", "-*", "?"]);
            let argv = [
                "SSCAN".to_string(),
                key.clone(),
                "0".into(),
                "MATCH".into(),
                pattern,
                "COUNT".into(),
                "100".into(),
            ];
            check_members(p, &argv);
            return;
        }
    };
    p.check(&argv);
    if key.starts_with('s') && matches!(cmd, 0..=3 | 10 | 13 | 14) {
        p.check_encoding(&key);
    }
}

#[test]
fn random_set_sequence() {
    let mut rng = harness::rng("random_set_sequence");
    for mut p in pairs() {
        p.config_set("set-max-intset-entries", "6");
        p.check(&["HSET", "h", "f", "v"]);
        for _ in 0..2500 {
            random_step(&mut p, &mut rng);
        }
        p.check_same_data();
    }
}
