//! Generic key commands: DEL, UNLINK, EXISTS, TYPE, KEYS, TOUCH, RENAME,
//! RENAMENX, COPY, MOVE here; SCAN and RANDOMKEY in [`space`], the expiry
//! commands (EXPIRE family, TTL family, PERSIST) in [`expiry`], OBJECT in
//! [`object`]. All rows of the family are in [`COMMANDS`].
//!
//! Lookups follow Redis's flags: commands that only inspect a key (TYPE,
//! EXISTS, TTL, OBJECT) use [`Ctx::read_notouch`], which does not refresh
//! the key's access time, so OBJECT IDLETIME reports what Redis would.

mod expiry;
pub(super) mod object;
mod space;

use super::args;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::DB_COUNT;
use crate::pubsub::notify as ev;
use crate::reply::Reply;

/// ACL categories of the fast keyspace writes.
const ACL_WRITE_FAST: &[&str] = &["keyspace", "write", "fast"];
/// ACL categories of the fast keyspace reads.
const ACL_READ_FAST: &[&str] = &["keyspace", "read", "fast"];
/// Syntax of the EXPIRE family's condition flags.
macro_rules! expire_syntax {
    ($what:literal) => {
        concat!("key ", $what, " [NX | XX | GT | LT]")
    };
}

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "del",
        arity: -2,
        flags: WRITE,
        acl: &["keyspace", "write", "slow"],
        keys: Keys::ALL_ARGS,
        handler: del,
        summary: "Delete a key",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "unlink",
        arity: -2,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        keys: Keys::ALL_ARGS,
        handler: del,
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        since: "4.0.0",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "exists",
        arity: -2,
        flags: READONLY | FAST,
        acl: ACL_READ_FAST,
        keys: Keys::ALL_ARGS,
        handler: exists,
        summary: "Determine if a key exists",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "type",
        arity: 2,
        flags: READONLY | FAST,
        acl: ACL_READ_FAST,
        keys: Keys::FIRST,
        handler: type_,
        summary: "Determine the type stored at key",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "keys",
        arity: 2,
        flags: READONLY,
        acl: &["keyspace", "read", "slow", "dangerous"],
        keys: Keys::Db,
        handler: keys,
        summary: "Find all keys matching the given pattern",
        syntax: "pattern",
        ..BASE
    },
    Command {
        name: "scan",
        arity: -2,
        flags: READONLY,
        acl: &["keyspace", "read", "slow"],
        keys: Keys::Db,
        handler: space::scan,
        summary: "Incrementally iterate the keys space",
        since: "2.8.0",
        syntax: "cursor [MATCH pattern] [COUNT count] [TYPE type]",
        ..BASE
    },
    Command {
        name: "randomkey",
        arity: 1,
        flags: READONLY,
        acl: &["keyspace", "read", "slow"],
        keys: Keys::Db,
        handler: space::randomkey,
        summary: "Return a random key from the keyspace",
        ..BASE
    },
    Command {
        name: "touch",
        arity: -2,
        flags: READONLY | FAST,
        acl: ACL_READ_FAST,
        keys: Keys::ALL_ARGS,
        handler: touch,
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        since: "3.2.1",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "rename",
        arity: 3,
        flags: WRITE,
        acl: &["keyspace", "write", "slow"],
        keys: Keys::FIRST_TWO,
        handler: rename,
        summary: "Rename a key",
        syntax: "key newkey",
        ..BASE
    },
    Command {
        name: "renamenx",
        arity: 3,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        keys: Keys::FIRST_TWO,
        handler: renamenx,
        summary: "Rename a key, only if the new key does not exist",
        syntax: "key newkey",
        ..BASE
    },
    Command {
        name: "copy",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: &["keyspace", "write", "slow"],
        keys: Keys::Custom(copy_keys),
        spec_keys: Some(Keys::FIRST_TWO),
        handler: copy,
        summary: "Copy a key",
        since: "6.2.0",
        syntax: "source destination [DB destination-db] [REPLACE]",
        ..BASE
    },
    Command {
        name: "move",
        arity: 3,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        // Its one key is argument 1, but it writes another db.
        keys: Keys::All,
        spec_keys: Some(Keys::FIRST),
        handler: move_,
        summary: "Move a key to another database",
        syntax: "key db",
        ..BASE
    },
    Command {
        name: "object",
        arity: -2,
        acl: &["slow"],
        subcommands: object::SUBCOMMANDS,
        summary: "A container for object introspection commands",
        since: "2.2.3",
        syntax: "subcommand [argument ...]",
        ..BASE
    },
    Command {
        name: "expire",
        arity: -3,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        keys: Keys::FIRST,
        handler: expiry::expire,
        summary: "Set a key's time to live in seconds",
        syntax: expire_syntax!("seconds"),
        ..BASE
    },
    Command {
        name: "pexpire",
        arity: -3,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        keys: Keys::FIRST,
        handler: expiry::pexpire,
        summary: "Set a key's time to live in milliseconds",
        since: "2.6.0",
        syntax: expire_syntax!("milliseconds"),
        ..BASE
    },
    Command {
        name: "expireat",
        arity: -3,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        keys: Keys::FIRST,
        handler: expiry::expireat,
        summary: "Set the expiration for a key as a UNIX timestamp",
        since: "1.2.0",
        syntax: expire_syntax!("unix-time-seconds"),
        ..BASE
    },
    Command {
        name: "pexpireat",
        arity: -3,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        keys: Keys::FIRST,
        handler: expiry::pexpireat,
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        since: "2.6.0",
        syntax: expire_syntax!("unix-time-milliseconds"),
        ..BASE
    },
    Command {
        name: "expiretime",
        arity: 2,
        flags: READONLY | FAST,
        acl: ACL_READ_FAST,
        keys: Keys::FIRST,
        handler: expiry::expiretime,
        summary: "Get the expiration Unix timestamp for a key",
        since: "7.0.0",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "pexpiretime",
        arity: 2,
        flags: READONLY | FAST,
        acl: ACL_READ_FAST,
        keys: Keys::FIRST,
        handler: expiry::pexpiretime,
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        since: "7.0.0",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "ttl",
        arity: 2,
        flags: READONLY | FAST,
        acl: ACL_READ_FAST,
        keys: Keys::FIRST,
        handler: expiry::ttl,
        summary: "Get the time to live for a key in seconds",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "pttl",
        arity: 2,
        flags: READONLY | FAST,
        acl: ACL_READ_FAST,
        keys: Keys::FIRST,
        handler: expiry::pttl,
        summary: "Get the time to live for a key in milliseconds",
        since: "2.6.0",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "persist",
        arity: 2,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        keys: Keys::FIRST,
        handler: expiry::persist,
        summary: "Remove the expiration from a key",
        since: "2.2.0",
        syntax: "key",
        ..BASE
    },
];

/// DEL and UNLINK (freeing is synchronous here, so they are the same).
fn del(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mut n = 0;
    for k in &argv[1..] {
        if ctx.delete(k) {
            ctx.modified(k);
            ctx.notify(ev::GENERIC, "del", k);
            n += 1;
        }
    }
    Ok(Reply::Int(n))
}

/// EXISTS: a key named twice counts twice, as in Redis.
fn exists(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(
        argv[1..]
            .iter()
            .filter(|k| ctx.read_notouch(k).is_some())
            .count() as i64,
    ))
}

/// TOUCH: like EXISTS, but refreshes the access time of the keys found.
/// TOUCH updates access times even for a CLIENT NO-TOUCH client.
fn touch(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let no_touch = std::mem::take(&mut ctx.session.conn.no_touch);
    let n = argv[1..].iter().filter(|k| ctx.get(k).is_some()).count();
    ctx.session.conn.no_touch = no_touch;
    Ok(Reply::Int(n as i64))
}

fn type_(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let name = ctx
        .read_notouch(argv[1])
        .map_or("none", |e| e.value().type_name());
    Ok(Reply::Status(name.into()))
}

/// KEYS: expired keys are skipped (not deleted), like Redis 7.0.
fn keys(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let pattern = argv[1];
    let all = pattern == b"*";
    let now = ctx.now();
    let db = ctx.db();
    let mut out = Vec::new();
    for shard in ctx.shards_of(db) {
        for (k, e) in shard.map.iter() {
            let live = e.expire() == 0 || e.expire() >= now;
            if live && (all || crate::glob::matches(pattern, k, false)) {
                out.push(Reply::bulk(k));
            }
        }
    }
    Ok(Reply::Array(out))
}

fn rename(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, argv[1], argv[2], false).map(|_| Reply::ok())
}

fn renamenx(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, argv[1], argv[2], true).map(|done| Reply::Int(done.into()))
}

/// Redis's `renameGenericCommand`: the entry moves whole (value, TTL and
/// access time); renaming a key to itself checks only that it exists.
/// Returns false when NX found the destination taken.
fn rename_generic(ctx: &mut Ctx<'_>, from: &[u8], to: &[u8], nx: bool) -> Result<bool, CmdError> {
    if ctx.entry(from).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if from == to {
        return Ok(!nx);
    }
    if nx && ctx.entry(to).is_some() {
        return Ok(false);
    }
    let db = ctx.db();
    let entry = ctx.remove_in(db, from).expect("looked up above");
    // Redis deletes a destination that exists and adds the key anew
    // (keyspace event `new`).
    ctx.remove_in(db, to);
    ctx.insert_entry_in(db, to, entry);
    // Both keys are signalled; Redis counts one change.
    ctx.modified(from);
    ctx.signal_modified_in(db, to);
    ctx.notify(ev::GENERIC, "rename_from", from);
    ctx.notify(ev::GENERIC, "rename_to", to);
    Ok(true)
}

/// Parses a db index argument as Redis's `getIntFromObjectOrReply` plus
/// `selectDb` (the index must fit a C int, then be a valid db).
fn db_index(arg: &[u8]) -> Result<usize, CmdError> {
    let n = args::int(arg)?;
    let n = i32::try_from(n).map_err(|_| {
        CmdError::err("value is out of range, value must between -2147483648 and 2147483647")
    })?;
    usize::try_from(n)
        .ok()
        .filter(|&d| d < DB_COUNT)
        .ok_or_else(|| CmdError::err("DB index is out of range"))
}

/// COPY locks every db when a DB option may name another one.
fn copy_keys(argv: &[&[u8]]) -> Keys {
    if argv.iter().skip(3).any(|a| args::is(a, "db")) {
        Keys::All
    } else {
        Keys::FIRST_TWO
    }
}

fn copy(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let (src, dst) = (argv[1], argv[2]);
    let mut db = ctx.db();
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        if args::is(argv[i], "replace") {
            replace = true;
        } else if args::is(argv[i], "db") && i + 1 < argv.len() {
            db = db_index(argv[i + 1])?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if db == ctx.db() && src == dst {
        return Err(same_object());
    }
    if ctx.get(src).is_none() {
        return Ok(Reply::Int(0));
    }
    if ctx.entry_in(db, dst).is_some() && !replace {
        return Ok(Reply::Int(0));
    }
    // The copy keeps everything (encoding flags, deadline) but is a new
    // object for OBJECT IDLETIME.
    let mut copy = ctx.entry(src).expect("just read").view().to_entry();
    copy.access = ctx.shared().lru_clock();
    // REPLACE deletes the destination, then adds the copy anew (`new`).
    ctx.remove_in(db, dst);
    ctx.insert_entry_in(db, dst, copy);
    ctx.modified_in(db, dst);
    ctx.notify_in(db, ev::GENERIC, "copy_to", dst);
    Ok(Reply::Int(1))
}

fn move_(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let dst = db_index(argv[2])?;
    let src = ctx.db();
    if src == dst {
        return Err(same_object());
    }
    if ctx.entry(key).is_none() || ctx.entry_in(dst, key).is_some() {
        return Ok(Reply::Int(0));
    }
    let entry = ctx.remove_in(src, key).expect("looked up above");
    ctx.insert_entry_in(dst, key, entry);
    ctx.modified(key);
    ctx.signal_modified_in(dst, key);
    ctx.notify(ev::GENERIC, "move_from", key);
    ctx.notify_in(dst, ev::GENERIC, "move_to", key);
    Ok(Reply::Int(1))
}

/// Redis's shared `sameobjecterr`.
fn same_object() -> CmdError {
    CmdError::err("source and destination objects are the same")
}
