//! Persistence tests: RDB files and DUMP payloads exchanged with a real
//! redis-server 7.0 (each test starts its own, on a free port, in a
//! temporary directory), `redis-check-rdb` on our files, damaged files,
//! random keyspaces round-tripping, and the data directory's lock.

#[path = "../commands/harness.rs"]
mod harness;

// Also used by the AOF tests, which need parts these do not.
#[allow(dead_code)]
mod common;
mod directory;
mod dump_restore;
mod interop;
mod robustness;
mod snapshot;
