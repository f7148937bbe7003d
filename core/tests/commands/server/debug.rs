//! DEBUG against redis-server: refused unless `enable-debug-command`
//! allows it (at queueing time inside MULTI, before AUTH), SLEEP, OBJECT
//! (every field but the address, for every encoding) and the errors.

use crate::harness::Pair;
use kvstore_core::Reply;
use std::time::{Duration, Instant};

/// The refusal, in and out of MULTI and before AUTH, as Redis's
/// `allowProtectedAction` with the default `no`.
#[test]
fn refused_by_default() {
    let mut p = Pair::new();
    p.check(&["CONFIG", "GET", "enable-debug-command"]);
    p.check(&["CONFIG", "SET", "enable-debug-command", "yes"]);
    for argv in [
        &["DEBUG", "SLEEP", "0"][..],
        &["DEBUG", "OBJECT", "k"],
        &["DEBUG", "HELP"],
        &["debug", "nosuch"],
        // Arity comes first.
        &["DEBUG"],
    ] {
        p.check(argv);
    }
    p.check(&["MULTI"]);
    p.check(&["DEBUG", "SLEEP", "0"]);
    p.check(&["SET", "k", "v"]);
    p.check(&["EXEC"]);
    p.check(&["EXISTS", "k"]);
}

/// With a password set, an unauthenticated client gets the DEBUG refusal,
/// not NOAUTH (the protected check comes first).
#[test]
fn refused_before_auth() {
    let mut p = Pair::new().served(false);
    p.config_set("requirepass", "pw");
    let mut fresh = p.socket_client(false);
    fresh.check(&["DEBUG", "SLEEP", "0"]);
    fresh.check(&["GET", "k"]);
}

/// `Value at:<address> ...` with the address replaced, and the `lru`
/// field apart (the two servers' clocks are a moment apart).
fn object_fields(r: &Reply) -> (String, i64) {
    let Reply::Status(s) = r else {
        return (format!("{r:?}"), 0);
    };
    let mut lru = 0;
    let fields: Vec<String> = s
        .split(' ')
        .map(|f| {
            if let Some(v) = f.strip_prefix("lru:") {
                lru = v.parse().unwrap();
                "lru:_".to_string()
            } else if f.starts_with("at:0x") {
                "at:_".to_string()
            } else {
                f.to_string()
            }
        })
        .collect();
    (fields.join(" "), lru)
}

/// DEBUG OBJECT on a key of every encoding: refcount, encoding, the RDB
/// length (compressed or not), idle time and, for lists, the quicklist
/// layout Redis would have.
#[test]
fn object_of_every_encoding() {
    for local in ["yes", "local"] {
        let mut p = Pair::with_config(&[("enable-debug-command", local)]).served(false);
        let long = "x".repeat(100);
        let random: String = (0..200)
            .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
            .collect();
        let many: Vec<String> = (0..1000).map(|i| format!("element-{i:05}")).collect();
        let mut rpush = vec!["RPUSH".to_string(), "biglist".into()];
        rpush.extend(many.iter().cloned());
        let mut hset = vec!["HSET".to_string(), "bighash".into()];
        hset.extend((0..200).flat_map(|i| [format!("f{i}"), format!("v{i}")]));
        let mut zadd = vec!["ZADD".to_string(), "bigz".into()];
        zadd.extend((0..200).flat_map(|i| [i.to_string(), format!("m{i}")]));
        let mut sadd = vec!["SADD".to_string(), "bigset".into()];
        sadd.extend((0..600).map(|i| i.to_string()));
        for argv in [
            vec!["SET".to_string(), "small".into(), "5".into()],
            vec!["SET".into(), "int".into(), "12345678901".into()],
            vec!["SET".into(), "emb".into(), "hello".into()],
            vec!["SET".into(), "long".into(), long.clone()],
            vec!["SET".into(), "random".into(), random],
            vec!["APPEND".into(), "appended".into(), "abc".into()],
            vec![
                "RPUSH".into(),
                "list".into(),
                "a".into(),
                "b".into(),
                "1".into(),
            ],
            rpush,
            vec!["SADD".into(), "ints".into(), "1".into(), "2".into()],
            vec!["SADD".into(), "strs".into(), "a".into(), "b".into()],
            sadd,
            vec!["HSET".into(), "hash".into(), "f".into(), "v".into()],
            hset,
            vec![
                "ZADD".into(),
                "z".into(),
                "1".into(),
                "a".into(),
                "2.5".into(),
                "b".into(),
            ],
            zadd,
        ] {
            p.check(&argv);
        }
        let keys = [
            "small", "int", "emb", "long", "random", "appended", "list", "biglist", "ints", "strs",
            "bigset", "hash", "bighash", "z", "bigz",
        ];
        let compare = |p: &mut Pair, keys: &[&str]| {
            for &key in keys {
                let (theirs, ours) = p.both(&["DEBUG", "OBJECT", key]);
                let ((t, t_lru), (o, o_lru)) = (object_fields(&theirs), object_fields(&ours));
                assert_eq!(t, o, "DEBUG OBJECT {key}");
                assert!((t_lru - o_lru).abs() <= 1, "lru {t_lru} / {o_lru}");
            }
        };
        compare(&mut p, &keys);
        // Uncompressed lengths, and smaller list nodes. A list keeps the
        // node settings it was created with in Redis, so only lists
        // created after the change are compared.
        p.check(&["CONFIG", "SET", "rdbcompression", "no"]);
        p.check(&["CONFIG", "SET", "list-max-listpack-size", "5"]);
        p.check(&["DEL", "biglist"]);
        let mut rpush = vec!["RPUSH".to_string(), "biglist".into()];
        rpush.extend(many.iter().take(23).cloned());
        p.check(&rpush);
        let keys: Vec<&str> = keys.into_iter().filter(|k| *k != "list").collect();
        compare(&mut p, &keys);
        for argv in [
            &["DEBUG", "OBJECT", "nokey"][..],
            &["DEBUG", "OBJECT"],
            &["DEBUG", "OBJECT", "a", "b"],
            &["DEBUG", "SLEEP"],
            &["DEBUG", "SLEEP", "0", "1"],
            &["DEBUG", "HELP", "x"],
            &["DEBUG", "nosuch"],
            &["DEBUG", "nosuch\0more", "x"],
        ] {
            p.check(argv);
        }
    }
}

/// DEBUG SLEEP waits the seconds given (decimals allowed); what does not
/// read as a positive number does not wait.
#[test]
fn sleep() {
    let mut p = Pair::with_config(&[("enable-debug-command", "yes")]);
    for t in ["0", "abc", "-1", "0.0001x", "inf", "-inf", "1e300", ""] {
        let started = Instant::now();
        p.check(&["DEBUG", "SLEEP", t]);
        assert!(started.elapsed() < Duration::from_secs(2), "{t}");
    }
    let started = Instant::now();
    assert_eq!(
        p.engine.execute(&mut p.session, &["DEBUG", "SLEEP", "0.2"]),
        Reply::ok()
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    // An in-process session is local.
    let mut local = Pair::with_config(&[("enable-debug-command", "local")]);
    local.check(&["DEBUG", "SLEEP", "0"]);
}
