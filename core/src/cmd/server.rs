//! Server and connection commands: PING, ECHO, SELECT, SWAPDB, FLUSHDB,
//! FLUSHALL, DBSIZE, TIME, INFO, ROLE, LASTSAVE, CONFIG, CLIENT, HELLO,
//! AUTH, RESET, QUIT, SHUTDOWN.

mod client_cmd;
mod config_cmd;
mod connection;
mod info;

use super::args::is;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{DB_COUNT, Shard};
use crate::reply::Reply;
use std::sync::atomic::Ordering;

/// Flags of the connection commands usable before AUTH and in any state.
const HANDSHAKE: u32 = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY;
/// Tips of commands a cluster client sends to every shard.
const ALL_SHARDS: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: FAST,
        acl: &["fast", "connection"],
        handler: ping,
        summary: "Ping the server",
        group: "connection",
        syntax: "[message]",
        complexity: "O(1)",
        tips: ALL_SHARDS,
        ..BASE
    },
    Command {
        name: "echo",
        arity: 2,
        flags: FAST | STALE | LOADING,
        acl: &["fast", "connection"],
        handler: echo,
        summary: "Echo the given string",
        group: "connection",
        syntax: "message",
        complexity: "O(1)",
        ..BASE
    },
    Command {
        name: "select",
        arity: 2,
        flags: FAST | STALE | LOADING,
        acl: &["fast", "connection"],
        handler: select,
        summary: "Change the selected database for the current connection",
        group: "connection",
        syntax: "index",
        complexity: "O(1)",
        ..BASE
    },
    Command {
        name: "swapdb",
        arity: 3,
        flags: WRITE | FAST,
        acl: &["keyspace", "write", "fast", "dangerous"],
        keys: Keys::All,
        handler: swapdb,
        summary: "Swaps two Redis databases",
        since: "4.0.0",
        group: "server",
        syntax: "index1 index2",
        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        ..BASE
    },
    Command {
        name: "flushdb",
        arity: -1,
        flags: WRITE,
        acl: &["keyspace", "write", "slow", "dangerous"],
        keys: Keys::Db,
        handler: flushdb,
        summary: "Remove all keys from the current database",
        group: "server",
        syntax: "[ASYNC | SYNC]",
        complexity: "O(N) where N is the number of keys in the selected database",
        tips: ALL_SHARDS,
        ..BASE
    },
    Command {
        name: "flushall",
        arity: -1,
        flags: WRITE,
        acl: &["keyspace", "write", "slow", "dangerous"],
        keys: Keys::All,
        handler: flushall,
        summary: "Remove all keys from all databases",
        group: "server",
        syntax: "[ASYNC | SYNC]",
        complexity: "O(N) where N is the total number of keys in all databases",
        tips: ALL_SHARDS,
        ..BASE
    },
    Command {
        name: "dbsize",
        arity: 1,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        keys: Keys::Db,
        handler: dbsize,
        summary: "Return the number of keys in the selected database",
        group: "server",
        complexity: "O(1)",
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        ..BASE
    },
    Command {
        name: "time",
        arity: 1,
        flags: LOADING | STALE | FAST,
        acl: &["fast"],
        handler: time,
        summary: "Return the current server time",
        since: "2.6.0",
        group: "server",
        complexity: "O(1)",
        tips: &["nondeterministic_output"],
        ..BASE
    },
    Command {
        name: "info",
        arity: -1,
        flags: LOADING | STALE,
        acl: &["slow", "dangerous"],
        handler: info,
        summary: "Get information and statistics about the server",
        group: "server",
        syntax: "[section [section ...]]",
        complexity: "O(1)",
        tips: &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
        ..BASE
    },
    Command {
        name: "role",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | FAST,
        acl: &["admin", "fast", "dangerous"],
        handler: role,
        summary: "Return the role of the instance in the context of replication",
        since: "2.8.12",
        group: "server",
        complexity: "O(1)",
        ..BASE
    },
    Command {
        name: "lastsave",
        arity: 1,
        flags: LOADING | STALE | FAST,
        acl: &["admin", "fast", "dangerous"],
        handler: lastsave,
        summary: "Get the UNIX time stamp of the last successful save to disk",
        group: "server",
        complexity: "O(1)",
        tips: &["nondeterministic_output"],
        ..BASE
    },
    Command {
        name: "config",
        arity: -2,
        acl: &["slow"],
        subcommands: config_cmd::CONFIG,
        summary: "A container for server configuration commands",
        since: "2.0.0",
        group: "server",
        complexity: "Depends on subcommand.",
        ..BASE
    },
    Command {
        name: "client",
        arity: -2,
        acl: &["slow"],
        subcommands: client_cmd::CLIENT,
        summary: "A container for client connection commands",
        since: "2.4.0",
        group: "connection",
        complexity: "Depends on subcommand.",
        ..BASE
    },
    Command {
        name: "hello",
        arity: -1,
        flags: HANDSHAKE,
        acl: &["fast", "connection"],
        handler: connection::hello,
        summary: "Handshake with Redis",
        since: "6.0.0",
        group: "connection",
        syntax: "[protover [AUTH username password] [SETNAME clientname]]",
        complexity: "O(1)",
        ..BASE
    },
    Command {
        name: "auth",
        arity: -2,
        flags: HANDSHAKE,
        acl: &["fast", "connection"],
        handler: connection::auth,
        summary: "Authenticate to the server",
        group: "connection",
        syntax: "[username] password",
        complexity: "O(N) where N is the number of passwords defined for the user",
        ..BASE
    },
    Command {
        name: "reset",
        arity: 1,
        flags: HANDSHAKE,
        acl: &["fast", "connection"],
        handler: connection::reset,
        summary: "Reset the connection",
        since: "6.2.0",
        group: "connection",
        complexity: "O(1)",
        ..BASE
    },
    Command {
        name: "quit",
        arity: -1,
        flags: HANDSHAKE,
        acl: &["fast", "connection"],
        handler: connection::quit,
        summary: "Close the connection",
        group: "connection",
        complexity: "O(1)",
        ..BASE
    },
    Command {
        name: "shutdown",
        arity: -1,
        flags: ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        acl: &["admin", "slow", "dangerous"],
        handler: connection::shutdown,
        summary: "Synchronously save the dataset to disk and then shut down the server",
        group: "server",
        syntax: "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        ..BASE
    },
];

/// A HELP reply as Redis's `addReplyHelp` builds it: a usage line, the
/// given lines, then HELP itself, each a status string.
pub(crate) fn help(name: &str, lines: &[&'static str]) -> Reply {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(Reply::Status(
        format!("{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").into(),
    ));
    out.extend(lines.iter().map(|l| Reply::Status((*l).into())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}

/// PING [message]; a RESP2 client in subscribed mode gets
/// `["pong", message or ""]`, as Redis answers it there.
fn ping(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 2 {
        return Err(CmdError::Arity("ping".into()));
    }
    if ctx.session.proto == 2 && ctx.session.subscribed() {
        let msg = argv.get(1).copied().unwrap_or_default();
        return Ok(Reply::Array(vec![
            Reply::Bulk(b"pong".to_vec()),
            Reply::bulk(msg),
        ]));
    }
    match argv.get(1) {
        None => Ok(Reply::Status("PONG".into())),
        Some(msg) => Ok(Reply::bulk(msg)),
    }
}

fn echo(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(Reply::bulk(argv[1]))
}

/// An argument read as a C int, as Redis's `getIntFromObject`.
fn c_int(arg: &[u8]) -> Option<i32> {
    crate::num::parse_i64(arg).and_then(|n| i32::try_from(n).ok())
}

/// A db number checked against the number of dbs.
fn db_in_range(n: i32) -> Result<usize, CmdError> {
    usize::try_from(n)
        .ok()
        .filter(|&n| n < DB_COUNT)
        .ok_or_else(|| CmdError::err("DB index is out of range"))
}

fn select(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let n = crate::num::parse_i64(argv[1]).ok_or(CmdError::NotInt)?;
    let n = i32::try_from(n).map_err(|_| {
        CmdError::err("value is out of range, value must between -2147483648 and 2147483647")
    })?;
    ctx.session.db = db_in_range(n)?;
    Ok(Reply::ok())
}

fn swapdb(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    // Both indexes must be integers before either is range-checked.
    let a = c_int(argv[1]).ok_or_else(|| CmdError::err("invalid first DB index"))?;
    let b = c_int(argv[2]).ok_or_else(|| CmdError::err("invalid second DB index"))?;
    let (a, b) = (db_in_range(a)?, db_in_range(b)?);
    if a != b {
        // Watchers stay with their db number, whose contents change.
        ctx.touch_watched_db(a, Some(b));
        ctx.touch_watched_db(b, Some(a));
    }
    ctx.swap_dbs(a, b);
    // A change even when a == b, as in Redis (propagated too).
    ctx.count_change();
    Ok(Reply::ok())
}

/// FLUSHDB/FLUSHALL's optional ASYNC | SYNC; without it,
/// `lazyfree-lazy-user-flush` decides. True for ASYNC.
fn flush_async(ctx: &Ctx<'_>, argv: &[&[u8]]) -> Result<bool, CmdError> {
    match argv {
        [_] => Ok(ctx.shared().config.get_bool("lazyfree-lazy-user-flush")),
        [_, m] if is(m, "async") => Ok(true),
        [_, m] if is(m, "sync") => Ok(false),
        _ => Err(CmdError::Syntax),
    }
}

/// Empties every locked shard of `db` into `trash`; returns the number of
/// keys removed. WATCHes of its keys fail first, while the keys are there.
fn empty_db(ctx: &mut Ctx<'_>, db: usize, trash: &mut Vec<Shard>) -> u64 {
    ctx.touch_watched_db(db, None);
    let mut removed = 0;
    for shard in ctx.shards_of(db) {
        removed += shard.map.len() as u64;
        trash.push(std::mem::take(shard));
    }
    removed
}

/// Frees flushed data: in a background thread for ASYNC (as Redis's lazy
/// free), so the locks are released without waiting for it; inline
/// otherwise, or when no thread can be started. A snapshot in progress
/// gets the entries it still waits for as their tables drop.
fn dispose(trash: Vec<Shard>, asynchronous: bool) {
    let big = trash.iter().map(|s| s.map.len()).sum::<usize>() > LAZYFREE_THRESHOLD;
    if asynchronous && big {
        let spawned = std::thread::Builder::new()
            .name("kvstore-lazyfree".into())
            .spawn(move || drop(trash));
        drop(spawned);
    }
    // Otherwise `trash` is freed here.
}

/// Below this many keys, freeing inline is cheaper than a thread (Redis's
/// `LAZYFREE_THRESHOLD` is per object; this is per flush).
const LAZYFREE_THRESHOLD: usize = 4096;

fn flushdb(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let asynchronous = flush_async(ctx, argv)?;
    let mut trash = Vec::new();
    let removed = empty_db(ctx, ctx.db(), &mut trash);
    dispose(trash, asynchronous);
    ctx.shared()
        .stats
        .dirty
        .fetch_add(removed, Ordering::Relaxed);
    // Propagated even when the db was empty, as Redis forces it.
    ctx.force_propagation();
    Ok(Reply::ok())
}

fn flushall(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let asynchronous = flush_async(ctx, argv)?;
    let mut trash = Vec::new();
    let removed: u64 = (0..DB_COUNT).map(|db| empty_db(ctx, db, &mut trash)).sum();
    dispose(trash, asynchronous);
    ctx.shared()
        .stats
        .dirty
        .fetch_add(removed, Ordering::Relaxed);
    // Propagated even when every db was empty, as Redis forces it.
    ctx.force_propagation();
    Ok(Reply::ok())
}

/// DBSIZE counts keys whose deadline passed but that no one removed yet,
/// as Redis does.
fn dbsize(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    let db = ctx.db();
    let n: usize = ctx.shards_of(db).map(|s| s.map.len()).sum();
    Ok(Reply::Int(n as i64))
}

fn time(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    let us = ctx.shared().clock.now_us();
    Ok(Reply::Array(vec![
        Reply::Bulk((us / 1_000_000).to_string().into_bytes()),
        Reply::Bulk((us % 1_000_000).to_string().into_bytes()),
    ]))
}

/// ROLE: always a master without replicas (offset 0).
fn role(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Array(vec![
        Reply::bulk(b"master"),
        Reply::Int(0),
        Reply::Array(Vec::new()),
    ]))
}

/// LASTSAVE: the Unix time of the last successful save (the start time
/// before any, as Redis reports it; INFO's `rdb_last_save_time`).
fn lastsave(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(ctx.shared().persist.last_save() as i64))
}

fn info(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let text = info::generate(ctx, &argv[1..]);
    Ok(Reply::Verbatim("txt", text.into_bytes()))
}
