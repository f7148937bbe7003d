//! Persistence commands: DUMP and RESTORE (Redis's serialized values),
//! SAVE and BGSAVE (snapshots of an engine opened on a data directory).

use super::args;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::{Ctx, Guards};
use crate::error::{CmdError, CmdResult};
use crate::persist::decode::Limits;
use crate::persist::dump::{self, PayloadError};
use crate::persist::{self as store, BgStart, SaveError};
use crate::pubsub::notify as ev;
use crate::reply::Reply;

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "dump",
        arity: 2,
        flags: READONLY,
        acl: &["keyspace", "read", "slow"],
        keys: Keys::FIRST,
        handler: dump_cmd,
        summary: "Return a serialized version of the value stored at the specified key.",
        since: "2.6.0",
        syntax: "key",
        tips: &["nondeterministic_output"],
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is \
                     the number of Redis objects composing the value and M their average size. \
                     For small string values the time complexity is thus O(1)+O(1*M) where M is \
                     small, so simply O(1).",
        ..BASE
    },
    Command {
        name: "restore",
        arity: -4,
        flags: WRITE | DENYOOM,
        acl: &["keyspace", "write", "slow", "dangerous"],
        keys: Keys::FIRST,
        handler: restore,
        summary: "Create a key using the provided serialized value, previously obtained using \
                  DUMP.",
        since: "2.6.0",
        syntax: "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the \
                     serialized value, where N is the number of Redis objects composing the value \
                     and M their average size. For small string values the time complexity is \
                     thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set \
                     values the complexity is O(N*M*log(N)) because inserting values into sorted \
                     sets is O(log(N)).",
        ..BASE
    },
    Command {
        name: "save",
        arity: 1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        acl: &["admin", "slow", "dangerous"],
        handler: save,
        summary: "Synchronously save the dataset to disk",
        group: "server",
        complexity: "O(N) where N is the total number of keys in all databases",
        ..BASE
    },
    Command {
        name: "bgsave",
        arity: -1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        acl: &["admin", "slow", "dangerous"],
        handler: bgsave,
        summary: "Asynchronously save the dataset to disk",
        group: "server",
        syntax: "[SCHEDULE]",
        complexity: "O(1)",
        ..BASE
    },
    Command {
        name: "bgrewriteaof",
        arity: 1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        acl: &["admin", "slow", "dangerous"],
        handler: bgrewriteaof,
        summary: "Asynchronously rewrite the append-only file",
        group: "server",
        since: "1.0.0",
        complexity: "O(1)",
        ..BASE
    },
];

/// DUMP key: the serialized value, or nil.
fn dump_cmd(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let config = &ctx.shared().config;
    let compress = config.get_bool("rdbcompression");
    let fill = config.get_int("list-max-listpack-size");
    Ok(match ctx.get(argv[1]) {
        Some(v) => Reply::Bulk(dump::serialize(v.into_ref(), compress, fill)),
        None => Reply::Nil,
    })
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], with
/// Redis's order of checks: options, existing key, TTL, payload.
fn restore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if args::is(argv[j], "replace") {
            replace = true;
        } else if args::is(argv[j], "absttl") {
            absttl = true;
        } else if args::is(argv[j], "idletime") && more && freq.is_none() {
            let v = args::int(argv[j + 1])?;
            if v < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if args::is(argv[j], "freq") && more && idle.is_none() {
            let v = args::int(argv[j + 1])?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if !replace && ctx.entry(key).is_some() {
        return Err(CmdError::Raw(
            "BUSYKEY Target key name already exists.".into(),
        ));
    }
    let ttl = args::int(argv[2])?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let shared = ctx.shared();
    let payload = argv[3];
    let value = dump::verify(payload, shared.config.get_bool("rdbchecksum"))
        .and_then(|()| dump::deserialize(payload, &Limits::from_config(&shared.config)))
        .map_err(|e| match e {
            PayloadError::VersionOrChecksum => {
                CmdError::err("DUMP payload version or checksum are wrong")
            }
            PayloadError::BadFormat => CmdError::err("Bad data format"),
        })?;
    let deleted = replace && ctx.delete(key);
    let deadline = match ttl {
        0 => 0,
        t if absttl => t as u64,
        t => ctx.now().saturating_add(t as u64),
    };
    if deadline != 0 && ctx.deadline_passed(deadline) {
        if deleted {
            ctx.modified(key);
            ctx.notify(ev::GENERIC, "del", key);
            // Redis 7.0 propagates DEL whatever the lazyfree settings.
            ctx.propagate_as(&[b"DEL", key]);
        }
        return Ok(Reply::ok());
    }
    ctx.set(key, value);
    let lru = shared.lru_clock();
    if let Some(mut e) = ctx.entry(key) {
        if deadline != 0 {
            e.set_expire(deadline);
        }
        // FREQ is accepted and checked, but the engine keeps no LFU
        // counter (see OBJECT FREQ); IDLETIME backdates the access time.
        if let Some(idle) = idle {
            e.touch(lru.wrapping_sub(idle.min(i64::from(u32::MAX)) as u32));
        }
    }
    ctx.modified(key);
    ctx.notify(ev::GENERIC, "restore", key);
    if deadline != 0 && !absttl && ctx.propagating() {
        // As Redis: the TTL propagates as the absolute deadline, with
        // ABSTTL added at the end.
        let at = deadline.to_string();
        let mut out: Vec<&[u8]> = argv.to_vec();
        out[2] = at.as_bytes();
        out.push(b"ABSTTL");
        ctx.propagate_as(&out);
    }
    Ok(Reply::ok())
}

/// The error reply of a refused save.
fn save_error(e: SaveError) -> CmdError {
    match e {
        SaveError::InProgress => CmdError::err("Background save already in progress"),
        SaveError::RewriteRunning => CmdError::err(
            "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE \
             SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ),
        SaveError::InMemory => {
            CmdError::err("this engine is in memory: open it on a data directory to save")
        }
        SaveError::Io(e) => CmdError::err(format!("saving the RDB file failed: {e}")),
    }
}

/// True when the command runs with shard locks held (inside EXEC): a
/// snapshot, which locks every shard, must not start from there.
fn holds_locks(ctx: &Ctx<'_>) -> bool {
    !matches!(ctx.guards, Guards::None)
}

fn save(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    if holds_locks(ctx) {
        return Err(CmdError::err("Command not allowed inside a transaction"));
    }
    store::save(ctx.shared()).map_err(save_error)?;
    Ok(Reply::ok())
}

fn bgsave(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let schedule = match argv {
        [_] => false,
        [_, s] if args::is(s, "schedule") => true,
        _ => return Err(CmdError::Syntax),
    };
    let shared = ctx.shared();
    let rewriting = shared.persist.running() == Some(store::Job::Rewrite);
    let started =
        store::bgsave(shared, holds_locks(ctx) || (schedule && rewriting)).map_err(save_error)?;
    Ok(Reply::Status(match started {
        BgStart::Started => "Background saving started".into(),
        BgStart::Scheduled => "Background saving scheduled".into(),
    }))
}

/// BGREWRITEAOF: compacts the append-only file in the background (inside
/// EXEC, at the next cron tick).
fn bgrewriteaof(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    use crate::aof::rewrite::{self, Started};
    let shared = ctx.shared();
    let started = match holds_locks(ctx) {
        true => rewrite::schedule(shared),
        false => rewrite::start(shared, false),
    }
    .map_err(|e| CmdError::err(e.to_string()))?;
    Ok(Reply::Status(match started {
        Started::Started => "Background append only file rewriting started".into(),
        Started::Scheduled => "Background append only file rewriting scheduled".into(),
    }))
}
