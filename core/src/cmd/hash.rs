//! The hash commands: HSET, HGET, HGETALL, HINCRBY, HRANDFIELD, HSCAN, ...
//! A hash is held in the encoding Redis would use (listpack or hashtable,
//! under the rules of [`crate::types::hash`]); it decides the order of
//! HKEYS/HGETALL/HSCAN replies (insertion order for a listpack), OBJECT
//! ENCODING, and whether HSCAN returns everything in one call.

use super::args;
use super::scan;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::HashValue;
use crate::num::{self, LdError};
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use crate::types::hash::HashLimits;
use crate::types::sample::Count;

const WRITE_ACL: &[&str] = &["write", "hash", "fast"];
const READ_ACL: &[&str] = &["read", "hash", "fast"];
const READ_SLOW_ACL: &[&str] = &["read", "hash", "slow"];

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "hset",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: hset,
        summary: "Set the string value of a hash field",
        since: "2.0.0",
        group: "hash",
        syntax: "key field value [field value ...]",
        ..BASE
    },
    Command {
        name: "hsetnx",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: hsetnx,
        summary: "Set the value of a hash field, only if the field does not exist",
        since: "2.0.0",
        group: "hash",
        syntax: "key field value",
        ..BASE
    },
    Command {
        name: "hget",
        arity: 3,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: hget,
        summary: "Get the value of a hash field",
        since: "2.0.0",
        group: "hash",
        syntax: "key field",
        ..BASE
    },
    Command {
        name: "hmget",
        arity: -3,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: hmget,
        summary: "Get the values of all the given hash fields",
        since: "2.0.0",
        group: "hash",
        syntax: "key field [field ...]",
        ..BASE
    },
    Command {
        name: "hmset",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: hmset,
        summary: "Set multiple hash fields to multiple values",
        since: "2.0.0",
        group: "hash",
        syntax: "key field value [field value ...]",
        ..BASE
    },
    Command {
        name: "hgetall",
        arity: 2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: hgetall,
        summary: "Get all the fields and values in a hash",
        since: "2.0.0",
        group: "hash",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "hkeys",
        arity: 2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: hkeys,
        summary: "Get all the fields in a hash",
        since: "2.0.0",
        group: "hash",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "hvals",
        arity: 2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: hvals,
        summary: "Get all the values in a hash",
        since: "2.0.0",
        group: "hash",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "hlen",
        arity: 2,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: hlen,
        summary: "Get the number of fields in a hash",
        since: "2.0.0",
        group: "hash",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "hexists",
        arity: 3,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: hexists,
        summary: "Determine if a hash field exists",
        since: "2.0.0",
        group: "hash",
        syntax: "key field",
        ..BASE
    },
    Command {
        name: "hdel",
        arity: -3,
        flags: WRITE | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: hdel,
        summary: "Delete one or more hash fields",
        since: "2.0.0",
        group: "hash",
        syntax: "key field [field ...]",
        ..BASE
    },
    Command {
        name: "hincrby",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: hincrby,
        summary: "Increment the integer value of a hash field by the given number",
        since: "2.0.0",
        group: "hash",
        syntax: "key field increment",
        ..BASE
    },
    Command {
        name: "hincrbyfloat",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: hincrbyfloat,
        summary: "Increment the float value of a hash field by the given amount",
        since: "2.6.0",
        group: "hash",
        syntax: "key field increment",
        ..BASE
    },
    Command {
        name: "hstrlen",
        arity: 3,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: hstrlen,
        summary: "Get the length of the value of a hash field",
        since: "3.2.0",
        group: "hash",
        syntax: "key field",
        ..BASE
    },
    Command {
        name: "hrandfield",
        arity: -2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: hrandfield,
        summary: "Get one or multiple random fields from a hash",
        since: "6.2.0",
        group: "hash",
        syntax: "key [count [WITHVALUES]]",
        ..BASE
    },
    Command {
        name: "hscan",
        arity: -3,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: hscan,
        summary: "Incrementally iterate hash fields and associated values",
        since: "2.8.0",
        group: "hash",
        syntax: "key cursor [MATCH pattern] [COUNT count]",
        ..BASE
    },
];

/// The hash at `key` for a write: no hit/miss accounting, as Redis's
/// `lookupKeyWrite`; WRONGTYPE for another type.
fn hash_for_write<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut HashValue>, CmdError> {
    ctx.get_for_write(key).map(|v| v.as_hash_mut()).transpose()
}

/// Sets every field/value pair of HSET/HMSET; returns how many were new.
fn set_pairs(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Result<i64, CmdError> {
    if argv.len() % 2 == 1 {
        return Err(CmdError::Arity(args::text(argv[0]).to_ascii_lowercase()));
    }
    let pairs = argv[2..].chunks_exact(2).map(|p| (p[0], p[1]));
    set_fields(ctx, argv[1], pairs)
}

/// HSET's work (also the typed `Engine::hset`): sets each (field, value)
/// of `pairs` in the hash at `key`; returns how many fields were new.
pub(crate) fn set_fields<'v>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    pairs: impl Iterator<Item = (&'v [u8], &'v [u8])>,
) -> Result<i64, CmdError> {
    let shared = ctx.shared();
    let h = ctx.hash_or_create(key)?;
    let limits = HashLimits::for_hash(&shared.config, h);
    let mut given = 0;
    let added = pairs
        .inspect(|_| given += 1)
        .filter(|(f, v)| h.set(f, v, &limits))
        .count();
    // Redis counts a change per pair given, new or not.
    ctx.modified_by(key, given);
    ctx.notify(ev::HASH, "hset", key);
    Ok(added as i64)
}

fn hset(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    set_pairs(ctx, argv).map(Reply::Int)
}

fn hmset(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    set_pairs(ctx, argv).map(|_| Reply::ok())
}

fn hsetnx(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let shared = ctx.shared();
    let h = ctx.hash_or_create(argv[1])?;
    if h.contains(argv[2]) {
        return Ok(Reply::Int(0));
    }
    let limits = HashLimits::for_hash(&shared.config, h);
    h.set(argv[2], argv[3], &limits);
    ctx.modified(argv[1]);
    ctx.notify(ev::HASH, "hset", argv[1]);
    Ok(Reply::Int(1))
}

fn hget(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    get(ctx, argv[1], argv[2]).map(Reply::opt_bulk)
}

/// HGET's work (also the typed `Engine::hget_with`): the value of `field`
/// in the hash at `key`.
pub(crate) fn get<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    field: &[u8],
) -> Result<Option<&'c [u8]>, CmdError> {
    Ok(ctx.get_hash(key)?.and_then(|h| h.get(field)))
}

fn hmget(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let h = ctx.get_hash(argv[1])?;
    let h = h.as_deref();
    let values = argv[2..]
        .iter()
        .map(|f| Reply::opt_bulk(h.and_then(|h| h.get(f))));
    Ok(Reply::Array(values.collect()))
}

/// Maps every field/value of the hash at `key` (none when it is absent):
/// HGETALL, HKEYS and HVALS (also the typed `Engine::hash_fields_with`).
pub(crate) fn map_fields<T>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    f: impl FnMut((&[u8], &[u8])) -> T,
) -> Result<Vec<T>, CmdError> {
    Ok(ctx
        .get_hash(key)?
        .map_or_else(Vec::new, |h| h.iter().map(f).collect()))
}

fn hgetall(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let pairs = map_fields(ctx, argv[1], |(f, v)| (Reply::bulk(f), Reply::bulk(v)))?;
    Ok(Reply::Map(pairs))
}

fn hkeys(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    map_fields(ctx, argv[1], |(f, _)| Reply::bulk(f)).map(Reply::Array)
}

fn hvals(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    map_fields(ctx, argv[1], |(_, v)| Reply::bulk(v)).map(Reply::Array)
}

fn hlen(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let n = ctx.get_hash(argv[1])?.map_or(0, |h| h.len());
    Ok(Reply::Int(n as i64))
}

fn hexists(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let found = ctx.get_hash(argv[1])?.is_some_and(|h| h.contains(argv[2]));
    Ok(Reply::Int(i64::from(found)))
}

fn hstrlen(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let h = ctx.get_hash(argv[1])?;
    let len = h.and_then(|h| h.get(argv[2])).map_or(0, <[u8]>::len);
    Ok(Reply::Int(len as i64))
}

fn hdel(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let Some(h) = hash_for_write(ctx, argv[1])? else {
        return Ok(Reply::Int(0));
    };
    let removed = argv[2..].iter().filter(|f| h.remove(f)).count();
    if removed > 0 {
        ctx.removed_elements(argv[1], removed as u64, ev::HASH, "hdel");
    }
    Ok(Reply::Int(removed as i64))
}

fn hincrby(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let incr = args::int(argv[3])?;
    let shared = ctx.shared();
    let h = ctx.hash_or_create(argv[1])?;
    let old = match h.get(argv[2]) {
        Some(v) => {
            num::parse_i64(v).ok_or_else(|| CmdError::err("hash value is not an integer"))?
        }
        None => 0,
    };
    let new = old.checked_add(incr).ok_or(CmdError::Overflow)?;
    let limits = HashLimits::for_hash(&shared.config, h);
    h.set(argv[2], new.to_string().as_bytes(), &limits);
    ctx.modified(argv[1]);
    ctx.notify(ev::HASH, "hincrby", argv[1]);
    Ok(Reply::Int(new))
}

/// HINCRBYFLOAT: long double arithmetic and formatting, as Redis.
fn hincrbyfloat(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    // The increment alone is checked first (before the key's type).
    match num::ld_incr(None, argv[3]) {
        Err(LdError::NotFloat) => return Err(CmdError::NotFloat),
        Err(LdError::NanOrInf) => return Err(CmdError::err("value is NaN or Infinity")),
        Ok(_) => {}
    }
    let shared = ctx.shared();
    let h = ctx.hash_or_create(argv[1])?;
    // The increment is valid, so a parse failure is the stored value's.
    let new = num::ld_incr(h.get(argv[2]), argv[3]).map_err(|e| match e {
        LdError::NotFloat => CmdError::err("hash value is not a float"),
        LdError::NanOrInf => CmdError::err("increment would produce NaN or Infinity"),
    })?;
    let limits = HashLimits::for_hash(&shared.config, h);
    h.set(argv[2], &new, &limits);
    ctx.modified(argv[1]);
    ctx.notify(ev::HASH, "hincrbyfloat", argv[1]);
    // The result, not the increment (see INCRBYFLOAT).
    ctx.propagate_as(&[b"HSET", argv[1], argv[2], &new]);
    Ok(Reply::Bulk(new))
}

/// HRANDFIELD key [count [WITHVALUES]]; WITHVALUES pairs are nested arrays
/// in RESP3 and flat in RESP2, as Redis replies.
fn hrandfield(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() == 2 {
        let h = ctx.get_hash(argv[1])?;
        return Ok(Reply::opt_bulk(h.and_then(|h| h.random()).map(|(f, _)| f)));
    }
    let count = Count::parse(argv[2])?;
    let withvalues = match argv.len() {
        3 => false,
        4 if args::is(argv[3], "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    // Redis refuses counts whose doubled reply length would overflow.
    if withvalues && count.magnitude() > (i64::MAX / 2) as usize {
        return Err(CmdError::err("value is out of range"));
    }
    let nested = ctx.resp3();
    let Some(h) = ctx.get_hash(argv[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let picked = h.pick(count)?;
    let mut out = Vec::with_capacity(picked.len() * if withvalues && !nested { 2 } else { 1 });
    for (f, v) in picked {
        match (withvalues, nested) {
            (false, _) => out.push(Reply::bulk(f)),
            (true, true) => out.push(Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)])),
            (true, false) => out.extend([Reply::bulk(f), Reply::bulk(v)]),
        }
    }
    Ok(Reply::Array(out))
}

/// HSCAN: the cursor is checked before the key, the options after it (a
/// missing key ignores bad options), as Redis does.
fn hscan(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    scan::parse_cursor(argv[2])?;
    let Some(h) = ctx.get_hash(argv[1])? else {
        return Ok(scan::reply(0, Vec::new()));
    };
    let o = scan::parse(&argv[2..], false)?;
    let mut items = Vec::new();
    let mut emit = |f: &[u8], v: &[u8]| {
        if scan::matches(o.pattern, f) {
            items.extend([Reply::bulk(f), Reply::bulk(v)]);
        }
    };
    // A listpack comes whole in one call; a hashtable is walked, each pair
    // counting two toward COUNT (Redis counts reply items).
    let cursor = match h {
        HashValue::Listpack(l) => {
            l.iter().for_each(|(f, v)| emit(f, v));
            0
        }
        HashValue::Table(d) => scan::walk(d, o.cursor, o.count.div_ceil(2), |f, v| emit(f, v)),
    };
    Ok(scan::reply(cursor, items))
}
