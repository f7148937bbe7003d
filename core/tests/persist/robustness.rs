//! Damaged and unusual files: flipped bytes and truncations are always
//! refused (never a panic, never a silent wrong load); files in the older
//! encodings (ziplist, zipmap, quicklist v1) load; streams and modules are
//! refused by name; random keyspaces round-trip through our writer and
//! loader.

use crate::common::{Store, TempDir, apply, assert_same, dataset, ours, picture};
use kvstore_core::config::Config;
use kvstore_core::persist::crc64::crc64;
use kvstore_core::persist::decode::{self, FormatError, Limits, LoadStats};
use kvstore_core::{Engine, Options, Reply};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

/// Loads `data` with the default limits, keeping nothing.
fn load(data: &[u8]) -> Result<LoadStats, FormatError> {
    let limits = Limits::from_config(&Config::default());
    decode::load(data, 0, &limits, true, 16, |_| Ok(()))
}

/// Our RDB file of the standard dataset.
fn our_file() -> Vec<u8> {
    let dir = TempDir::new("file");
    let engine = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = engine.session();
    apply(&mut (&engine, &mut s), &dataset());
    assert_eq!(engine.execute(&mut s, &["SAVE"]), Reply::ok());
    std::fs::read(dir.file("dump.rdb")).unwrap()
}

#[test]
fn flipped_bytes_are_always_refused() {
    let file = our_file();
    assert!(load(&file).is_ok());
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let started = Instant::now();
    for trial in 0..1000 {
        let mut bad = file.clone();
        let at = rng.random_range(0..bad.len());
        bad[at] ^= rng.random_range(1..=255u8);
        let r = load(&bad);
        assert!(
            r.is_err(),
            "trial {trial}: byte {at} flipped, file still loads"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn truncations_and_bad_checksums_are_refused() {
    let dir = TempDir::new("small");
    let engine = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = engine.session();
    for argv in [
        &["SET", "a", "1"][..],
        &["RPUSH", "l", "x", "y"],
        &["HSET", "h", "f", "v"],
        &["SADD", "s", "1", "2"],
        &["ZADD", "z", "1", "m"],
        &["SET", "t", "v", "PX", "100000"],
    ] {
        engine.execute(&mut s, argv);
    }
    engine.execute(&mut s, &["SAVE"]);
    let file = std::fs::read(dir.file("dump.rdb")).unwrap();
    assert!(load(&file).is_ok());
    for cut in 0..file.len() {
        let e = load(&file[..cut]).expect_err("a truncated file must not load");
        assert!(e.offset <= cut, "cut {cut}: error at {}", e.offset);
    }
    let mut foobar = file.clone();
    let n = foobar.len();
    foobar[n - 8..].copy_from_slice(b"foobar00");
    let e = load(&foobar).unwrap_err();
    assert!(e.reason.contains("checksum"), "{e}");
    // A stored checksum of 0 means "not computed" (rdbchecksum no).
    let mut zero = file.clone();
    zero[n - 8..].copy_from_slice(&[0; 8]);
    assert!(load(&zero).is_ok());
}

/// RDB file bytes: `REDIS00vv`, `body`, EOF and the CRC.
fn rdb(version: u32, body: &[u8]) -> Vec<u8> {
    let mut f = format!("REDIS{version:04}").into_bytes();
    f.extend_from_slice(body);
    f.push(0xFF);
    let crc = crc64(0, &f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

/// A ziplist of short strings.
fn ziplist(items: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0u8;
    for it in items {
        body.push(prev);
        body.push(it.len() as u8);
        body.extend_from_slice(it);
        prev = (it.len() + 2) as u8;
    }
    let total = 10 + body.len() + 1;
    let mut zl = (total as u32).to_le_bytes().to_vec();
    zl.extend_from_slice(&0u32.to_le_bytes());
    zl.extend_from_slice(&(items.len() as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(0xFF);
    zl
}

/// A length-prefixed RDB string (short).
fn s(b: &[u8]) -> Vec<u8> {
    let mut v = vec![b.len() as u8];
    v.extend_from_slice(b);
    v
}

#[test]
fn older_encodings_load() {
    let mut body = Vec::new();
    // RDB_TYPE_LIST_ZIPLIST, RDB_TYPE_ZSET_ZIPLIST, RDB_TYPE_HASH_ZIPLIST.
    for (ty, key, items) in [
        (10u8, &b"zl-list"[..], &[&b"a"[..], b"b"][..]),
        (12, b"zl-zset", &[b"m1", b"1.5", b"m2", b"-2"]),
        (13, b"zl-hash", &[b"f", b"v", b"g", b"w"]),
    ] {
        body.push(ty);
        body.extend(s(key));
        body.extend(s(&ziplist(items)));
    }
    // RDB_TYPE_LIST_QUICKLIST (v1): one ziplist node.
    body.push(14);
    body.extend(s(b"ql"));
    body.push(1);
    body.extend(s(&ziplist(&[b"x", b"y", b"z"])));
    // RDB_TYPE_HASH_ZIPMAP.
    body.push(9);
    body.extend(s(b"zm"));
    body.extend(s(&[1, 1, b'k', 1, 0, b'v', 0xFF]));
    // RDB_TYPE_ZSET (text scores) and seconds expiry far ahead.
    body.push(0xFD);
    body.extend_from_slice(&4_102_444_800u32.to_le_bytes());
    body.push(3);
    body.extend(s(b"oldz"));
    body.push(1);
    body.extend(s(b"m"));
    body.extend(s(b"3.25"));
    let file = rdb(6, &body);
    let dir = TempDir::new("old");
    std::fs::write(dir.file("dump.rdb"), &file).unwrap();
    let engine = Engine::open(&dir.0, Options::default()).unwrap();
    let mut st = engine.session();
    let mut check = |argv: &[&str], want: &[&str]| {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        let r = ours(&engine, &mut st, &argv);
        let want = Reply::Array(
            want.iter()
                .map(|w| Reply::Bulk(w.as_bytes().to_vec()))
                .collect(),
        );
        assert_eq!(r, want, "{argv:?}");
    };
    check(&["LRANGE", "zl-list", "0", "-1"], &["a", "b"]);
    check(
        &["ZRANGE", "zl-zset", "0", "-1", "WITHSCORES"],
        &["m2", "-2", "m1", "1.5"],
    );
    check(&["HMGET", "zl-hash", "f", "g"], &["v", "w"]);
    check(&["LRANGE", "ql", "0", "-1"], &["x", "y", "z"]);
    check(&["HMGET", "zm", "k"], &["v"]);
    check(&["ZRANGE", "oldz", "0", "-1", "WITHSCORES"], &["m", "3.25"]);
    assert_eq!(
        engine.execute(&mut st, &["PEXPIRETIME", "oldz"]),
        Reply::Int(4_102_444_800_000)
    );
}

#[test]
fn streams_modules_and_functions_are_refused_by_name() {
    let stream = rdb(10, &[&[19u8][..], &s(b"events")].concat());
    let e = load(&stream).unwrap_err();
    assert!(e.reason.contains("stream") && e.offset >= 9, "{e}");
    // Module type id of "ReJSON-RL" version 3: 9 6-bit characters, 10 bits.
    let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let id = b"ReJSON-RL".iter().fold(0u64, |acc, c| {
        (acc << 6) | chars.iter().position(|x| x == c).unwrap() as u64
    }) << 10
        | 3;
    let mut body = vec![7u8];
    body.extend(s(b"doc"));
    body.push(0x81);
    body.extend_from_slice(&id.to_be_bytes());
    let e = load(&rdb(10, &body)).unwrap_err();
    assert!(e.reason.contains("ReJSON-RL"), "{e}");
    let e = load(&rdb(10, &[245, 1, b'x'])).unwrap_err();
    assert!(e.reason.contains("function"), "{e}");
    let e = load(b"REDIS0012\xff").unwrap_err();
    assert!(e.reason.contains("version"), "{e}");
}

/// Random keyspaces written by our writer load back identically.
#[test]
fn random_keyspaces_round_trip() {
    let mut rng = SmallRng::seed_from_u64(42);
    for round in 0..12 {
        let dir = TempDir::new("prop");
        let engine = Engine::open(&dir.0, Options::default()).unwrap();
        let mut s = engine.session();
        let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
        for _ in 0..300 {
            let key = format!("k{}", rng.random_range(0..60)).into_bytes();
            let member = |rng: &mut SmallRng| -> Vec<u8> {
                match rng.random_range(0..4) {
                    0 => rng.random_range(-70000i64..70000).to_string().into_bytes(),
                    1 => vec![b'x'; rng.random_range(0..200)],
                    2 => (0..rng.random_range(1..30)).map(|_| rng.random()).collect(),
                    _ => format!("m{}", rng.random_range(0..1000)).into_bytes(),
                }
            };
            let m = member(&mut rng);
            let cmd: Vec<Vec<u8>> = match rng.random_range(0..7) {
                0 => vec![b"SET".to_vec(), key, m],
                1 => vec![b"RPUSH".to_vec(), key, m],
                2 => vec![b"SADD".to_vec(), key, m],
                3 => {
                    let score = rng
                        .random_range(-1000.0..1000.0f64)
                        .to_string()
                        .into_bytes();
                    vec![b"ZADD".to_vec(), key, score, m]
                }
                4 => vec![b"HSET".to_vec(), key, member(&mut rng), m],
                5 => vec![
                    b"PEXPIRE".to_vec(),
                    key,
                    rng.random_range(100_000..10_000_000u64)
                        .to_string()
                        .into_bytes(),
                ],
                _ => vec![
                    b"SELECT".to_vec(),
                    rng.random_range(0..16u8).to_string().into_bytes(),
                ],
            };
            cmds.push(cmd);
        }
        for c in &cmds {
            let argv: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
            ours_call(&engine, &mut s, &argv);
        }
        let before = picture(&mut (&engine, &mut s));
        assert_eq!(engine.execute(&mut s, &["SAVE"]), Reply::ok());
        drop(s);
        drop(engine);
        let again = Engine::open(&dir.0, Options::default()).unwrap();
        let mut s2 = again.session();
        assert_same(
            &before,
            &picture(&mut (&again, &mut s2)),
            &format!("round {round}"),
        );
    }
}

/// Runs a generated command, which may fail (WRONGTYPE on a reused key).
fn ours_call(engine: &Engine, s: &mut kvstore_core::Session, argv: &[&[u8]]) {
    (engine, s).call(argv);
}
