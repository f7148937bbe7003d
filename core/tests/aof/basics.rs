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
