//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP against redis-server,
//! over every parameter of kvstore's table.

use crate::harness::Pair;
use kvstore_core::Reply;
use kvstore_core::config::{Kind, PARAMS};

/// Parameters the harness's redis-server gets on its command line, or
/// whose value is the machine's: their values differ by setup.
const SETUP: &[&str] = &["port", "bind", "save", "loglevel"];

/// Parameters never changed on the real server by these tests: it would
/// move its listener, resolve host names, write files or resize its event
/// loop to billions of slots.
const UNSAFE_TO_SET: &[&str] = &["port", "bind", "appendonly", "maxclients"];

fn names() -> impl Iterator<Item = (&'static str, &'static Kind)> {
    PARAMS
        .iter()
        .flat_map(|p| std::iter::once((p.name, &p.kind)).chain(p.alias.map(|a| (a, &p.kind))))
}

#[test]
fn get_each_parameter() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for (name, _) in names() {
            if !SETUP.contains(&name) {
                p.check(&["CONFIG", "GET", name]);
                p.check(&["CONFIG", "GET", &name.to_uppercase()]);
            }
        }
        p.check(&["CONFIG", "GET", "nosuch"]);
        p.check(&["CONFIG", "GET"]);
        p.check(&["CONFIG", "GET", ""]);
        p.check(&["CONFIG", "GET", "maxmemory", "MAXMEMORY", "Maxmemory"]);
        p.check_pairs(&["CONFIG", "GET", "maxmemory", "nosuch", "timeout"]);
        p.check_pairs(&[
            "CONFIG",
            "GET",
            "hash-max-ziplist-entries",
            "hash-max-listpack-entries",
        ]);
        // Patterns whose every match is in our table compare exactly.
        for pat in [
            "hash-max-*",
            "zset-max-*",
            "*-max-*-entries",
            "HASH-MAX-*",
            "lazyfree-*",
            "appendf*",
            "hash-max-list?ack-[ve]*",
            "nosuch*",
        ] {
            p.check_pairs(&["CONFIG", "GET", pat]);
        }
        p.check_pairs(&["CONFIG", "GET", "HASH-MAX-LISTPACK-ENTRIES", "hash-max-*"]);
        p.check_pairs(&[
            "CONFIG",
            "GET",
            "hash-max-*",
            "HASH-MAX-LISTPACK-ENTRIES",
            "zset-*",
        ]);
    }
}

/// Broad patterns: every pair we report, Redis reports too, identically.
#[test]
fn get_patterns_subset() {
    let mut p = Pair::new();
    for pat in ["*", "*max*", "m*", "*e", "*-*-*", "[a-l]*"] {
        let (theirs, ours) = p.both(&["CONFIG", "GET", pat]);
        let (theirs, ours) = (text_pairs(&theirs), text_pairs(&ours));
        assert!(!ours.is_empty(), "{pat}");
        for pair in &ours {
            let setup = SETUP.contains(&pair.0.as_str());
            assert!(
                setup || theirs.contains(pair),
                "{pat}: {pair:?} not in redis's reply"
            );
        }
    }
}

/// A CONFIG GET reply (flat array or map) as text pairs.
fn text_pairs(r: &Reply) -> Vec<(String, String)> {
    let text = |r: &Reply| match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("{other:?}"),
    };
    match r {
        Reply::Array(v) => v.chunks(2).map(|c| (text(&c[0]), text(&c[1]))).collect(),
        Reply::Map(m) => m.iter().map(|(k, v)| (text(k), text(v))).collect(),
        other => panic!("{other:?}"),
    }
}

/// Candidate values for a parameter of `kind`.
fn candidates(kind: &Kind) -> Vec<String> {
    let v: &[&str] = match kind {
        Kind::Int { .. } => &[
            "0",
            "1",
            "-1",
            "100",
            "600",
            "2147483647",
            "2147483648",
            "4294967295",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "abc",
            "1k",
            "",
            "01",
            " 1",
            "+1",
            "-0",
            "1.5",
        ],
        Kind::Memory { .. } => &[
            "0",
            "1",
            "1k",
            "1KB",
            "1mb",
            "5m",
            "1gb",
            "2G",
            "-1",
            "abc",
            "1.5mb",
            "",
            "kb",
            "99999999999999999999",
            "18446744073709551615",
            "9223372036854775808",
            "1024b",
            "1tb",
            "+1",
            "01",
            "1 kb",
            "1048576",
            "100mb",
        ],
        Kind::Bool => &["yes", "no", "YES", "No", "maybe", "1", ""],
        Kind::Enum(words) => {
            let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            v.push(words[0].to_uppercase());
            v.extend(["nosuch".into(), String::new()]);
            return v;
        }
        Kind::Events => &[
            "KEA",
            "Ex",
            "",
            "g$lshzxetdmn",
            "A",
            "AKE",
            "nm",
            "Q",
            "KEAQ",
            "$",
            "AK",
            "Am",
            "gx",
            "KEA ",
            "k",
        ],
        Kind::Save => &[
            "",
            "3600 1",
            "3600 1 300 100",
            "0 1",
            "10",
            "1 -1",
            "x 1",
            "100 0",
            "0100 5",
            "3600  1",
            "-1 1",
            "1 1.5",
            "3600 ",
            " 3600 1",
            "3600\t1",
            " ",
            "-",
            "1 +",
            "1 +2",
        ],
        Kind::Text | Kind::Password => &["x"],
        Kind::OutputLimits => &[
            "normal 1mb 2 3",
            "replica 1 2 3",
            "pubsub 0 0 0 normal 1kb 1kb 5",
            "NORMAL 1 2 3",
            "normal 1 2",
            "foo 1 2 3",
            "normal x 1 2",
            "normal 1 1 -1",
            "normal 1 1 1x",
            "",
        ],
        Kind::Immutable | Kind::Protected | Kind::FixedEnum(_) => &["x", ""],
    };
    v.iter().map(|s| s.to_string()).collect()
}

/// CONFIG SET of each candidate value of every parameter, then CONFIG GET;
/// after a successful set each side gets its previous value back.
#[test]
fn set_each_parameter() {
    let mut p = Pair::new();
    for (name, kind) in names() {
        let before = |p: &mut Pair| {
            let (theirs, ours) = p.both(&["CONFIG", "GET", name]);
            let last = |r: Reply| match r {
                Reply::Array(mut v) => v.pop().unwrap(),
                other => panic!("{other:?}"),
            };
            (last(theirs), last(ours))
        };
        let (theirs0, ours0) = before(&mut p);
        for value in candidates(kind) {
            // Only values that do not parse, for those: no listener moves,
            // no name lookups, no files written.
            if UNSAFE_TO_SET.contains(&name)
                && !["maybe", "1", "abc", "-1"].contains(&value.as_str())
            {
                continue;
            }
            let reply = p.check(&["CONFIG", "SET", name, &value]);
            if reply == Reply::ok() {
                p.check(&["CONFIG", "GET", name]);
                let restore = |v: &Reply| match v {
                    Reply::Bulk(b) => b.clone(),
                    other => panic!("{other:?}"),
                };
                let r = p.redis.call(&[
                    b"CONFIG".to_vec(),
                    b"SET".to_vec(),
                    name.into(),
                    restore(&theirs0),
                ]);
                assert_eq!(r, Reply::ok());
                let argv = [
                    b"CONFIG".to_vec(),
                    b"SET".to_vec(),
                    name.into(),
                    restore(&ours0),
                ];
                assert_eq!(p.engine.execute(&mut p.session, &argv), Reply::ok());
            }
        }
    }
}

#[test]
fn set_several_at_once() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for args in [
            &["CONFIG", "SET"][..],
            &["CONFIG", "SET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", "1gb", "timeout"],
            &["CONFIG", "SET", "nosuch", "1"],
            &["CONFIG", "SET", "maxmemory", "x", "nosuch", "1"],
            &["CONFIG", "SET", "nosuch", "1", "maxmemory", "x"],
            &["CONFIG", "SET", "maxmemory", "5", "maxmemory", "x"],
            &["CONFIG", "SET", "maxmemory", "x", "MAXMEMORY", "5"],
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "5",
                "maxmemory",
                "6",
                "nosuch",
                "1",
            ],
            &["CONFIG", "SET", "maxmemory", "5", "dir", "x", "nosuch", "1"],
            &[
                "CONFIG",
                "SET",
                "dir",
                "x",
                "maxmemory",
                "5",
                "maxmemory",
                "6",
            ],
            &["CONFIG", "SET", "databases", "3", "dbfilename", "x"],
            &["CONFIG", "SET", "maxmemory", "2gb", "timeout", "x"],
            &["CONFIG", "SET", "timeout", "x", "maxmemory", "y"],
            &["CONFIG", "SET", "hz", "5", "maxmemory", "x"],
        ] {
            p.check(args);
        }
        // Nothing above succeeded: the values are untouched.
        p.check_pairs(&["CONFIG", "GET", "maxmemory", "timeout", "hz"]);
        p.check(&[
            "CONFIG",
            "SET",
            "maxmemory",
            "2gb",
            "HZ",
            "20",
            "timeout",
            "300",
        ]);
        p.check_pairs(&["CONFIG", "GET", "maxmemory", "timeout", "hz"]);
        // A name and its alias are different entries, not duplicates.
        p.check(&[
            "CONFIG",
            "SET",
            "hash-max-listpack-entries",
            "5",
            "hash-max-ziplist-entries",
            "6",
        ]);
        p.check_pairs(&["CONFIG", "GET", "hash-max-*"]);
        p.check(&[
            "CONFIG",
            "SET",
            "maxmemory",
            "0",
            "hz",
            "10",
            "timeout",
            "0",
        ]);
        p.check(&["CONFIG", "SET", "hash-max-ziplist-entries", "512"]);
        p.check_pairs(&["CONFIG", "GET", "maxmemory", "timeout", "hz", "hash-max-*"]);
    }
}

#[test]
fn other_subcommands() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["CONFIG"]);
        p.check(&["CONFIG", "nosuch"]);
        p.check(&["CONFIG", "HELP"]);
        p.check(&["config", "help", "x"]);
        p.check(&["CONFIG", "RESETSTAT"]);
        p.check(&["CONFIG", "RESETSTAT", "x"]);
        p.check(&["CONFIG", "REWRITE"]);
        p.check(&["CONFIG", "REWRITE", "x"]);
    }
}

/// CONFIG RESETSTAT zeroes the counters INFO stats shows.
#[test]
fn resetstat_zeroes_counters() {
    let engine = kvstore_core::Engine::new();
    let mut s = engine.session();
    for _ in 0..3 {
        engine.execute(&mut s, &["EXISTS", "nosuch"]);
    }
    let stat = |s: &mut kvstore_core::Session, field: &str| -> u64 {
        let Reply::Verbatim(_, text) = engine.execute(s, &["INFO", "stats"]) else {
            panic!()
        };
        let text = String::from_utf8(text).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap();
        line[field.len() + 1..].parse().unwrap()
    };
    assert_eq!(stat(&mut s, "keyspace_misses"), 3);
    assert!(stat(&mut s, "total_commands_processed") >= 4);
    assert_eq!(
        engine.execute(&mut s, &["CONFIG", "RESETSTAT"]),
        Reply::ok()
    );
    assert_eq!(stat(&mut s, "keyspace_misses"), 0);
    // The two INFO calls since.
    assert_eq!(stat(&mut s, "total_commands_processed"), 2);
}

/// Values set through CONFIG SET reach the engine's typed accessors.
#[test]
fn set_reaches_accessors() {
    let engine = kvstore_core::Engine::new();
    let mut s = engine.session();
    let cfg = &engine.shared().config;
    assert_eq!(cfg.get_int("hash-max-listpack-entries"), 512);
    let r = engine.execute(
        &mut s,
        &[
            "CONFIG",
            "SET",
            "hash-max-ziplist-entries",
            "7",
            "maxmemory",
            "1mb",
        ],
    );
    assert_eq!(r, Reply::ok());
    assert_eq!(cfg.get_int("hash-max-listpack-entries"), 7);
    assert_eq!(cfg.get_int("maxmemory"), 1 << 20);
    assert_eq!(cfg.get("MAXMEMORY").as_deref(), Some("1048576"));
    engine.execute(
        &mut s,
        &["CONFIG", "SET", "lazyfree-lazy-user-flush", "YES"],
    );
    assert!(cfg.get_bool("lazyfree-lazy-user-flush"));
    assert_eq!(cfg.get_int("nosuch"), 0);
}
