//! Opening with `appendonly yes`, writing, reopening.

use crate::common::TempDir;
use kvstore_core::config::Config;
use kvstore_core::{Engine, Options, Reply};

/// A config with the append-only file on, and `extra` parameters.
pub fn aof_config(extra: &[(&str, &str)]) -> Config {
    let c = Config::default();
    c.set_at_startup("appendonly", "yes").unwrap();
    c.set_at_startup("save", "").unwrap();
    for (k, v) in extra {
        c.set_at_startup(k, v).unwrap();
    }
    c
}

pub fn open(dir: &TempDir, extra: &[(&str, &str)]) -> Engine {
    Engine::open_with_config(&dir.0, Options::default(), aof_config(extra)).unwrap()
}

#[test]
fn writes_survive_a_reopen() {
    let dir = TempDir::new("aof-basic");
    let e = open(&dir, &[]);
    let mut s = e.session();
    assert_eq!(e.execute(&mut s, &["SET", "a", "1"]), Reply::ok());
    e.execute(&mut s, &["RPUSH", "l", "x", "y"]);
    drop(s);
    drop(e);
    let e = open(&dir, &[]);
    let mut s = e.session();
    assert_eq!(e.execute(&mut s, &["GET", "a"]), Reply::bulk(b"1"));
    assert_eq!(e.execute(&mut s, &["LLEN", "l"]), Reply::Int(2));
}

#[test]
fn a_directory_with_an_append_only_file_reopens_with_it_on() {
    let dir = TempDir::new("aof-detect");
    let e = open(&dir, &[]);
    let mut s = e.session();
    e.execute(&mut s, &["SET", "a", "1"]);
    drop(s);
    drop(e);
    // The library's plain open finds the file and keeps logging to it.
    let e = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = e.session();
    assert_eq!(e.execute(&mut s, &["GET", "a"]), Reply::bulk(b"1"));
    e.execute(&mut s, &["SET", "b", "2"]);
    let Reply::Verbatim(_, info) = e.execute(&mut s, &["INFO", "persistence"]) else {
        panic!("INFO")
    };
    assert!(String::from_utf8_lossy(&info).contains("aof_enabled:1"));
    drop(s);
    drop(e);
    let e = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = e.session();
    assert_eq!(e.execute(&mut s, &["GET", "b"]), Reply::bulk(b"2"));
}

#[test]
fn typed_fast_paths_are_logged() {
    let dir = TempDir::new("aof-typed");
    let e = open(&dir, &[]);
    let mut s = e.session();
    e.set(&mut s, b"k", b"v").unwrap();
    e.hset(&mut s, b"h", b"f", b"x").unwrap();
    let pairs: [(f64, &[u8]); 3] = [(1.5, b"a"), (f64::INFINITY, b"b"), (-1e300, b"c")];
    e.zadd(&mut s, b"z", &pairs).unwrap();
    drop(s);
    drop(e);
    let e = open(&dir, &[]);
    let mut s = e.session();
    assert_eq!(e.execute(&mut s, &["GET", "k"]), Reply::bulk(b"v"));
    assert_eq!(e.execute(&mut s, &["HGET", "h", "f"]), Reply::bulk(b"x"));
    for (score, member) in pairs {
        let m = std::str::from_utf8(member).unwrap();
        assert_eq!(e.execute(&mut s, &["ZSCORE", "z", m]), Reply::Double(score));
    }
}
