//! `aof-use-rdb-preamble no`: a rewrite writes the dataset as commands,
//! as Redis 7.0's `rewriteAppendOnlyFileRio`. The dataset of every type
//! and encoding (and TTLs, several dbs) goes into a redis-server started
//! with `--aof-use-rdb-preamble no` and into our engine (the parameter set
//! by CONFIG SET); both rewrite, and:
//!
//! - the two files hold the same commands: per key, the same command
//!   names with the same argument counts in the same order (SET, RPUSH,
//!   SADD, ZADD, HMSET in batches of 64 elements, then PEXPIREAT), the
//!   same elements (in any order: Redis walks its hash tables) and scores
//!   written alike, and a SELECT before each db's keys;
//! - redis-server loads our file, and our engine loads Redis's, each
//!   with the same contents as the side that wrote it.

use crate::common::{Picture, Server, TempDir, apply, assert_same, dataset, ours, picture};
use crate::propagation::records;
use crate::roundtrip::{comparable, open, snapshot, wait_rewrite};
use kvstore_core::Reply;
use kvstore_core::clock::ManualClock;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Per (db, key): the commands' names and argument counts in order, and
/// their elements sorted (ZADD and HMSET pairs kept together); a
/// PEXPIREAT's deadline is left out (the two sides set their TTLs a
/// moment apart).
type Shape = BTreeMap<(usize, Vec<u8>), (Vec<(String, usize)>, Vec<Vec<Vec<u8>>>)>;

/// The shape of a file of commands; every command but SELECT must name a
/// key, and the file must SELECT before its first key.
fn shape(data: &[u8], what: &str) -> Shape {
    let mut out = Shape::new();
    let mut db = None;
    for cmd in records(data) {
        let name = String::from_utf8_lossy(&cmd[0]).to_uppercase();
        if name == "SELECT" {
            db = Some(String::from_utf8_lossy(&cmd[1]).parse().unwrap());
            continue;
        }
        let db = db.unwrap_or_else(|| panic!("{what}: {name} before any SELECT"));
        let (cmds, items) = out.entry((db, cmd[1].clone())).or_default();
        cmds.push((name.clone(), cmd.len()));
        let width = match name.as_str() {
            "ZADD" | "HMSET" => 2,
            _ => 1,
        };
        if name != "PEXPIREAT" {
            items.extend(cmd[2..].chunks(width).map(<[Vec<u8>]>::to_vec));
        }
    }
    for (_, items) in out.values_mut() {
        items.sort();
    }
    out
}

/// The base file Redis's last rewrite made.
fn redis_base(dir: &TempDir) -> PathBuf {
    std::fs::read_dir(dir.file("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".base.aof"))
        .expect("a base file without preamble")
}

/// Waits until the server's rewrite is over.
fn redis_rewrite(server: &mut Server) {
    assert!(!server.client.call(&["BGREWRITEAOF"]).is_error());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let Reply::Bulk(info) = server.client.call(&["INFO", "persistence"]) else {
            panic!("INFO failed")
        };
        let info = String::from_utf8(info).unwrap();
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
            return;
        }
        assert!(Instant::now() < deadline, "redis's rewrite did not end");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Both pictures compared as the interop tests do (a string's encoding
/// aside).
fn assert_same_data(a: &Picture, b: &Picture, what: &str) {
    assert_same(&comparable(a, false), &comparable(b, false), what);
}

/// `p` with each deadline replaced by whether there is one (the two
/// sides set relative TTLs a moment apart).
fn deadlines_hidden(p: &Picture) -> Picture {
    p.iter()
        .map(|(k, v)| {
            let (head, rest) = v.split_once("expire=").expect("a deadline");
            let (at, tail) = rest.split_once(' ').expect("contents after it");
            let at = if at == "-1" { "none" } else { "set" };
            (k.clone(), format!("{head}expire={at} {tail}"))
        })
        .collect()
}

#[test]
fn a_rewrite_without_preamble_writes_the_commands_redis_writes() {
    let theirs_dir = TempDir::new("nopre-redis");
    let mut theirs = Server::start_with(
        &theirs_dir.0,
        &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"],
    );
    apply(&mut theirs.client, &dataset());
    redis_rewrite(&mut theirs);
    let their_file = std::fs::read(redis_base(&theirs_dir)).unwrap();

    let ours_dir = TempDir::new("nopre-ours");
    let clock = Arc::new(ManualClock::new(now_ms()));
    let engine = open(&ours_dir, &clock, true);
    let mut s = engine.session();
    let set = ["CONFIG", "SET", "aof-use-rdb-preamble", "no"];
    assert_eq!(engine.execute(&mut s, &set), Reply::ok());
    let get = ["CONFIG", "GET", "aof-use-rdb-preamble"];
    let ours_get = ours(&engine, &mut s, &get.map(str::as_bytes));
    assert_eq!(ours_get, theirs.client.call(&get));
    apply(&mut (&engine, &mut s), &dataset());
    assert!(!engine.execute(&mut s, &["BGREWRITEAOF"]).is_error());
    wait_rewrite(&engine);
    let our_file = std::fs::read(ours_dir.file("appendonly.aof")).unwrap();
    assert!(!our_file.starts_with(b"REDIS"), "a preamble was written");
    let (want, got) = (shape(&their_file, "redis"), shape(&our_file, "ours"));
    assert_eq!(want.len(), got.len(), "keys in the files");
    for (key, w) in &want {
        assert_eq!(Some(w), got.get(key), "{key:?}");
    }
    let our_picture = snapshot(&engine);
    let their_picture = picture(&mut theirs.client);
    assert_same_data(
        &deadlines_hidden(&their_picture),
        &deadlines_hidden(&our_picture),
        "the datasets",
    );
    drop(s);
    drop(engine);

    // redis-server loads our file (Redis 7 takes an `appendonly.aof` found
    // in its directory as the base of a new multi-part file) ...
    let loads_ours = TempDir::new("nopre-redis-loads");
    std::fs::copy(
        ours_dir.file("appendonly.aof"),
        loads_ours.file("appendonly.aof"),
    )
    .unwrap();
    let mut server = Server::start_with(
        &loads_ours.0,
        &["--appendonly", "yes", "--appendfilename", "appendonly.aof"],
    );
    assert!(
        loads_ours.file("appendonlydir").is_dir(),
        "redis took the file"
    );
    assert_same_data(
        &our_picture,
        &picture(&mut server.client),
        "redis loading ours",
    );

    // ... and we load Redis's.
    let loads_theirs = TempDir::new("nopre-we-load");
    std::fs::write(loads_theirs.file("appendonly.aof"), &their_file).unwrap();
    let engine = open(&loads_theirs, &clock, true);
    assert_same_data(&their_picture, &snapshot(&engine), "ours loading redis's");
}
