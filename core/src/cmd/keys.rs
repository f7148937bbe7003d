//! Generic key commands: DEL, EXISTS, TYPE, KEYS, ...

use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::reply::Reply;

/// Every key argument from index 1 on.
const ALL_KEYS: Keys = Keys::Range {
    first: 1,
    last: -1,
    step: 1,
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "del",
        arity: -2,
        flags: WRITE,
        acl: &["keyspace", "write", "slow"],
        keys: ALL_KEYS,
        handler: del,
        summary: "Delete a key",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "exists",
        arity: -2,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        keys: ALL_KEYS,
        handler: exists,
        summary: "Determine if a key exists",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "type",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["keyspace", "read", "fast"],
        keys: Keys::Range {
            first: 1,
            last: 1,
            step: 1,
        },
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
];

fn del(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mut n = 0;
    for k in &argv[1..] {
        if ctx.delete(k) {
            ctx.modified(k);
            n += 1;
        }
    }
    Ok(Reply::Int(n))
}

fn exists(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(
        argv[1..].iter().filter(|k| ctx.get(k).is_some()).count() as i64,
    ))
}

fn type_(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let name = ctx.get(argv[1]).map_or("none", |v| v.type_name());
    Ok(Reply::Status(name.into()))
}

fn keys(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let pattern = argv[1];
    let all = pattern == b"*";
    let now = ctx.now();
    let db = ctx.db();
    let mut out = Vec::new();
    for shard in ctx.shards_of(db) {
        for (k, e) in shard.map.iter() {
            let live = e.expire == 0 || e.expire >= now;
            if live && (all || crate::glob::matches(pattern, k, false)) {
                out.push(Reply::bulk(k));
            }
        }
    }
    Ok(Reply::Array(out))
}
