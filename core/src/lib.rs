//! kvstore's engine: the Redis data model in-process.
//!
//! # Layout
//! - [`engine`]: the [`Engine`] handle and per-client [`Session`] (plus typed
//!   fast paths such as `Engine::get`, in `typed.rs`);
//!   `Engine::execute` is the one command path every front uses.
//! - [`cmd`]: the command table and one module per command family.
//! - [`ctx`]: what a handler sees: locked shards, lazy expiry, typed access.
//! - `multi`, `watch`: MULTI/EXEC (the session's queue, atomic EXEC) and
//!   the registry of WATCHed keys.
//! - [`keyspace`]: 16 dbs × N shards of packed key tables; values and entries.
//! - [`dict`], [`chain`]: Redis-style chained hash tables (SCAN cursor,
//!   sampling) for collections and, generically, for the keyspace.
//! - [`types`]: data structures behind values (the sorted set).
//! - [`resp`]: RESP2/RESP3 encoder and incremental decoder.
//! - [`reply`], [`error`]: replies and Redis's error texts.
//! - [`num`], [`glob`]: Redis's number parsing/formatting and glob matching.
//! - [`small_bytes`]: short byte strings kept in place (hash values).
//! - [`clock`], [`expire`], [`config`], [`stats`]: time, active expiry,
//!   parameters, counters.
//! - [`script`]: Lua scripting (EVAL, EVALSHA, SCRIPT) on Redis's own Lua
//!   5.1 and scripting environment (`native/`).
//! - [`persist`]: RDB snapshots (Redis 7.0's format), DUMP payloads and
//!   the data directory of [`Engine::open`].
//! - [`pubsub`]: Pub/Sub subscriptions, inboxes and keyspace notifications;
//!   [`blocking`]: clients waiting in BLPOP and friends.
//! - [`clients`]: connection-level session state and the registry of
//!   network clients (CLIENT LIST/KILL/PAUSE); [`lifecycle`]: SHUTDOWN's hook.
//! - `server` (cargo feature `server`): the RESP listener over TCP and unix
//!   sockets, behind the `kvstore-server` binary and the fronts' `serve`.
//!
//! ```
//! let engine = kvstore_core::Engine::new();
//! let mut s = engine.session();
//! engine.execute(&mut s, &["SET", "k", "v"]);
//! assert_eq!(engine.execute(&mut s, &["GET", "k"]), kvstore_core::Reply::Bulk(b"v".to_vec()));
//! ```

pub mod aof;
pub mod blocking;
pub mod chain;
pub mod clients;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod ctx;
pub mod dict;
pub mod engine;
pub mod error;
pub mod expire;
pub mod glob;
pub mod keyspace;
pub mod lifecycle;
mod multi;
pub mod num;
pub mod persist;
pub mod pubsub;
pub mod reply;
pub mod resp;
pub mod script;
#[cfg(feature = "server")]
pub mod server;
pub mod small_bytes;
pub mod stats;
mod typed;
pub mod types;
mod watch;

pub use engine::{Engine, Options, Session};
pub use error::{CmdError, CmdResult};
pub use reply::Reply;
pub use typed::HashFields;

/// The Redis version whose command set and replies we implement.
pub const REDIS_VERSION: &str = "7.0.15";
