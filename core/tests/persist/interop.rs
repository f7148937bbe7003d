//! RDB files both ways with redis-server 7.0: our dump passes
//! `redis-check-rdb` and loads in Redis with identical contents; Redis's
//! dump loads in kvstore with identical contents.

use crate::common::{Server, TempDir, apply, assert_same, dataset, ours, picture};
use kvstore_core::{Engine, Options, Reply};
use std::process::Command;

#[test]
fn our_dump_passes_redis_check_rdb_and_loads_in_redis() {
    let dir = TempDir::new("ours");
    let engine = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = engine.session();
    apply(&mut (&engine, &mut s), &dataset());
    assert_eq!(ours(&engine, &mut s, &[b"SAVE"]), Reply::ok());
    let file = dir.file("dump.rdb");
    let check = Command::new("redis-check-rdb").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && text.contains("RDB looks OK"),
        "redis-check-rdb: {text}"
    );
    let ours_picture = picture(&mut (&engine, &mut s));

    let theirs = TempDir::new("theirs");
    std::fs::copy(&file, theirs.file("dump.rdb")).unwrap();
    let mut server = Server::start(&theirs.0);
    assert_same(
        &ours_picture,
        &picture(&mut server.client),
        "kvstore dump loaded in Redis",
    );
}

#[test]
fn redis_dump_loads_in_kvstore() {
    let dir = TempDir::new("redis");
    let mut server = Server::start(&dir.0);
    apply(&mut server.client, &dataset());
    assert_eq!(server.client.call(&["SAVE"]), Reply::ok());
    let theirs = picture(&mut server.client);

    let ours_dir = TempDir::new("load");
    std::fs::copy(dir.file("dump.rdb"), ours_dir.file("dump.rdb")).unwrap();
    let engine = Engine::open(&ours_dir.0, Options::default()).unwrap();
    let mut s = engine.session();
    assert_same(
        &theirs,
        &picture(&mut (&engine, &mut s)),
        "Redis dump loaded in kvstore",
    );
    let info = engine.execute(&mut s, &["INFO", "persistence"]);
    let Reply::Verbatim(_, text) = info else {
        panic!("INFO: {info:?}")
    };
    let text = String::from_utf8(text).unwrap();
    let loaded = format!("rdb_last_load_keys_loaded:{}", theirs.len());
    assert!(text.contains(&loaded), "{text}");
}

/// Redis with non-default encoding limits writes different encodings
/// (every hash a hashtable, every set a hashtable); kvstore loads them and
/// gives them its own configuration's encodings, as Redis would.
#[test]
fn redis_dump_with_big_encodings_loads_in_kvstore() {
    let dir = TempDir::new("redis-big");
    let mut server = Server::start(&dir.0);
    for (k, v) in [
        ("hash-max-listpack-entries", "0"),
        ("set-max-intset-entries", "0"),
        ("zset-max-listpack-entries", "0"),
        ("list-max-listpack-size", "1"),
    ] {
        assert_eq!(server.client.call(&["CONFIG", "SET", k, v]), Reply::ok());
    }
    apply(&mut server.client, &dataset());
    assert_eq!(server.client.call(&["SAVE"]), Reply::ok());
    drop(server);
    // A default-configured Redis loads that file into default encodings.
    let mut server = Server::start(&dir.0);
    let theirs = picture(&mut server.client);

    let ours_dir = TempDir::new("load-big");
    std::fs::copy(dir.file("dump.rdb"), ours_dir.file("dump.rdb")).unwrap();
    let engine = Engine::open(&ours_dir.0, Options::default()).unwrap();
    let mut s = engine.session();
    assert_same(
        &theirs,
        &picture(&mut (&engine, &mut s)),
        "big-encoding dump",
    );
}
