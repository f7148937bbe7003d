//! The set commands: SADD, SREM, SMEMBERS, SPOP, SRANDMEMBER, SMOVE, the set
//! algebra (SINTER, SUNION, SDIFF, their STORE variants, SINTERCARD) and
//! SSCAN. A set is held in the encoding Redis would use (intset or
//! hashtable, under the rules of [`crate::types::set`]). Like Redis, replies
//! that walk an intset list it in ascending integer order, and so do the
//! replies Redis builds as a fresh set that comes out an intset.

use super::args;
use super::scan;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::engine::Shared;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{SetValue, Value};
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use crate::types::sample::Count;
use crate::types::set::{fits_intset, intset_order, max_intset};

const WRITE_ACL: &[&str] = &["write", "set", "fast"];
const WRITE_SLOW_ACL: &[&str] = &["write", "set", "slow"];
const READ_ACL: &[&str] = &["read", "set", "fast"];
const READ_SLOW_ACL: &[&str] = &["read", "set", "slow"];

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "sadd",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: sadd,
        summary: "Add one or more members to a set",
        group: "set",
        syntax: "key member [member ...]",
        ..BASE
    },
    Command {
        name: "srem",
        arity: -3,
        flags: WRITE | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: srem,
        summary: "Remove one or more members from a set",
        group: "set",
        syntax: "key member [member ...]",
        ..BASE
    },
    Command {
        name: "smembers",
        arity: 2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: smembers,
        summary: "Get all the members in a set",
        group: "set",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "sismember",
        arity: 3,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: sismember,
        summary: "Determine if a given value is a member of a set",
        group: "set",
        syntax: "key member",
        ..BASE
    },
    Command {
        name: "smismember",
        arity: -3,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: smismember,
        summary: "Returns the membership associated with the given elements for a set",
        since: "6.2.0",
        group: "set",
        syntax: "key member [member ...]",
        ..BASE
    },
    Command {
        name: "scard",
        arity: 2,
        flags: READONLY | FAST,
        acl: READ_ACL,
        keys: Keys::FIRST,
        handler: scard,
        summary: "Get the number of members in a set",
        group: "set",
        syntax: "key",
        ..BASE
    },
    Command {
        name: "spop",
        arity: -2,
        flags: WRITE | FAST,
        acl: WRITE_ACL,
        keys: Keys::FIRST,
        handler: spop,
        summary: "Remove and return one or multiple random members from a set",
        group: "set",
        syntax: "key [count]",
        ..BASE
    },
    Command {
        name: "srandmember",
        arity: -2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: srandmember,
        summary: "Get one or multiple random members from a set",
        group: "set",
        syntax: "key [count]",
        ..BASE
    },
    Command {
        name: "smove",
        arity: 4,
        flags: WRITE | FAST,
        acl: WRITE_ACL,
        keys: Keys::Range {
            first: 1,
            last: 2,
            step: 1,
        },
        handler: smove,
        summary: "Move a member from one set to another",
        group: "set",
        syntax: "source destination member",
        ..BASE
    },
    Command {
        name: "sinter",
        arity: -2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::ALL_ARGS,
        handler: sinter,
        summary: "Intersect multiple sets",
        group: "set",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "sintercard",
        arity: -3,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::NumKeys {
            count_at: 1,
            dest: None,
        },
        handler: sintercard,
        summary: "Intersect multiple sets and return the cardinality of the result",
        since: "7.0.0",
        group: "set",
        syntax: "numkeys key [key ...] [LIMIT limit]",
        ..BASE
    },
    Command {
        name: "sinterstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW_ACL,
        keys: Keys::ALL_ARGS,
        handler: sinterstore,
        summary: "Intersect multiple sets and store the resulting set in a key",
        group: "set",
        syntax: "destination key [key ...]",
        ..BASE
    },
    Command {
        name: "sunion",
        arity: -2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::ALL_ARGS,
        handler: sunion,
        summary: "Add multiple sets",
        group: "set",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "sunionstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW_ACL,
        keys: Keys::ALL_ARGS,
        handler: sunionstore,
        summary: "Add multiple sets and store the resulting set in a key",
        group: "set",
        syntax: "destination key [key ...]",
        ..BASE
    },
    Command {
        name: "sdiff",
        arity: -2,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::ALL_ARGS,
        handler: sdiff,
        summary: "Subtract multiple sets",
        group: "set",
        syntax: "key [key ...]",
        ..BASE
    },
    Command {
        name: "sdiffstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW_ACL,
        keys: Keys::ALL_ARGS,
        handler: sdiffstore,
        summary: "Subtract multiple sets and store the resulting set in a key",
        group: "set",
        syntax: "destination key [key ...]",
        ..BASE
    },
    Command {
        name: "sscan",
        arity: -3,
        flags: READONLY,
        acl: READ_SLOW_ACL,
        keys: Keys::FIRST,
        handler: sscan,
        summary: "Incrementally iterate Set elements",
        since: "2.8.0",
        group: "set",
        syntax: "key cursor [MATCH pattern] [COUNT count]",
        ..BASE
    },
];

/// The set at `key` for a write: no hit/miss accounting, as Redis's
/// `lookupKeyWrite`; WRONGTYPE for another type.
fn set_for_write<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut SetValue>, CmdError> {
    ctx.get_for_write(key).map(|v| v.as_set_mut()).transpose()
}

/// The intset size limit that applies to `s`: the config's while it is an
/// intset; a big set never converts back, so the config is not read.
fn intset_limit(shared: &Shared, s: &SetValue) -> usize {
    if s.is_big() {
        usize::MAX
    } else {
        max_intset(&shared.config)
    }
}

/// A non-negative integer argument no smaller than `min`; any failure is
/// `ERR <msg>` (Redis's `getRangeLongFromObjectOrReply` with a message).
fn ranged(arg: &[u8], min: i64, msg: &str) -> Result<usize, CmdError> {
    match crate::num::parse_i64(arg) {
        Some(n) if n >= min && n >= 0 => Ok(n as usize),
        _ => Err(CmdError::err(msg)),
    }
}

/// Bulk replies of `members`, in intset order when they would form an
/// intset (Redis's order for those), wrapped by `kind` (a set or array).
fn members_reply<M: AsRef<[u8]>>(
    mut members: Vec<M>,
    max_intset: usize,
    kind: fn(Vec<Reply>) -> Reply,
) -> Reply {
    if fits_intset(members.len(), members.iter().map(AsRef::as_ref), max_intset) {
        intset_order(&mut members);
    }
    kind(members.iter().map(|m| Reply::bulk(m.as_ref())).collect())
}

fn sadd(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let shared = ctx.shared();
    let s = ctx.set_or_create(argv[1])?;
    let max = intset_limit(shared, s);
    let added = argv[2..].iter().filter(|m| s.add(m, max)).count();
    if added > 0 {
        ctx.modified_by(argv[1], added as u64);
        ctx.notify(ev::SET, "sadd", argv[1]);
    }
    Ok(Reply::Int(added as i64))
}

fn srem(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let Some(s) = set_for_write(ctx, argv[1])? else {
        return Ok(Reply::Int(0));
    };
    let removed = argv[2..].iter().filter(|m| s.remove(m)).count();
    if removed > 0 {
        ctx.removed_elements(argv[1], removed as u64, ev::SET, "srem");
    }
    Ok(Reply::Int(removed as i64))
}

/// SMEMBERS is the intersection of one set, as in Redis.
fn smembers(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    algebra(ctx, Op::Inter, None, &argv[1..2])
}

fn sismember(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let found = ctx.get_set(argv[1])?.is_some_and(|s| s.contains(argv[2]));
    Ok(Reply::Int(i64::from(found)))
}

fn smismember(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let s = ctx.get_set(argv[1])?;
    let s = s.as_deref();
    let flags = argv[2..]
        .iter()
        .map(|m| Reply::Int(i64::from(s.is_some_and(|s| s.contains(m)))));
    Ok(Reply::Array(flags.collect()))
}

fn scard(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(
        ctx.get_set(argv[1])?.map_or(0, |s| s.len()) as i64
    ))
}

fn spop(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    match argv.len() {
        2 => spop_one(ctx, argv[1]),
        3 => spop_count(ctx, argv[1], argv[2]),
        _ => Err(CmdError::Syntax),
    }
}

fn spop_one(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let Some(s) = set_for_write(ctx, key)? else {
        return Ok(Reply::Nil);
    };
    let member = s.random().expect("sets are never empty").to_vec();
    s.remove(&member);
    ctx.removed_elements(key, 1, ev::SET, "spop");
    // The member chosen, not the random choice.
    ctx.propagate_as(&[b"SREM", key, &member]);
    Ok(Reply::Bulk(member))
}

/// Redis rebuilds the set from the members it keeps (which restores the
/// intset encoding when they allow it) once it keeps at most a fifth of
/// what it pops (`SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

fn spop_count(ctx: &mut Ctx<'_>, key: &[u8], count: &[u8]) -> CmdResult {
    let count = ranged(count, 0, "value is out of range, must be positive")?;
    let max = max_intset(&ctx.shared().config);
    let Some(s) = set_for_write(ctx, key)? else {
        return Ok(Reply::Set(Vec::new()));
    };
    if count == 0 {
        return Ok(Reply::Set(Vec::new()));
    }
    if count >= s.len() {
        let db = ctx.db();
        let Some(Value::Set(all)) = ctx.remove_in(db, key).map(|e| e.value) else {
            unreachable!("a set was found above");
        };
        ctx.modified_by(key, all.len() as u64);
        ctx.notify(ev::SET, "spop", key);
        ctx.notify(ev::GENERIC, "del", key);
        // Redis 7.0 propagates DEL here whatever the lazyfree settings.
        ctx.propagate_as(&[b"DEL", key]);
        return Ok(members_reply(all.iter().collect(), max, Reply::Set));
    }
    let picked: Vec<Vec<u8>> = s
        .pick(Count::Distinct(count))?
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    for m in &picked {
        s.remove(m);
    }
    if s.len() * SPOP_MOVE_STRATEGY_MUL <= count {
        s.rebuild_encoding(max);
    }
    ctx.modified_by(key, count as u64);
    ctx.notify(ev::SET, "spop", key);
    // One SREM per member, in the reply's order, as Redis 7.0 propagates
    // (by `alsoPropagate`, so even from a script that turned its
    // propagation off), and nothing for SPOP itself.
    if ctx.propagating() {
        for m in &picked {
            ctx.propagate_also(&[b"SREM", key, m]);
        }
    }
    ctx.propagate_nothing();
    Ok(Reply::Set(picked.into_iter().map(Reply::Bulk).collect()))
}

fn srandmember(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    match argv.len() {
        2 => {
            let s = ctx.get_set(argv[1])?;
            Ok(Reply::opt_bulk(s.and_then(|s| s.random())))
        }
        3 => srandmember_count(ctx, argv[1], Count::parse(argv[2])?),
        _ => Err(CmdError::Syntax),
    }
}

fn srandmember_count(ctx: &mut Ctx<'_>, key: &[u8], count: Count) -> CmdResult {
    let shared = ctx.shared();
    let Some(s) = ctx.get_set(key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let whole = matches!(count, Count::Distinct(n) if n >= s.len());
    let picked = s.pick(count)?;
    if whole {
        // The whole set comes in iteration order: sorted for an intset.
        return Ok(members_reply(picked, intset_limit(shared, s), Reply::Array));
    }
    Ok(Reply::bulks(picked))
}

fn smove(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let (src, dst, member) = (argv[1], argv[2], argv[3]);
    // A missing source answers 0 before the destination's type is checked.
    if set_for_write(ctx, src)?.is_none() {
        return Ok(Reply::Int(0));
    }
    set_for_write(ctx, dst)?;
    let s = set_for_write(ctx, src)?.expect("checked above");
    if src == dst {
        return Ok(Reply::Int(i64::from(s.contains(member))));
    }
    if !s.remove(member) {
        return Ok(Reply::Int(0));
    }
    ctx.removed_elements(src, 1, ev::SET, "srem");
    let shared = ctx.shared();
    let d = ctx.set_or_create(dst)?;
    let max = intset_limit(shared, d);
    if d.add(member, max) {
        ctx.modified(dst);
        ctx.notify(ev::SET, "sadd", dst);
    }
    Ok(Reply::Int(1))
}

/// A set-algebra operation.
#[derive(Debug, Clone, Copy)]
enum Op {
    Inter,
    Union,
    Diff,
}

fn sinter(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    algebra(ctx, Op::Inter, None, &argv[1..])
}

fn sunion(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    algebra(ctx, Op::Union, None, &argv[1..])
}

fn sdiff(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    algebra(ctx, Op::Diff, None, &argv[1..])
}

fn sinterstore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    algebra(ctx, Op::Inter, Some(argv[1]), &argv[2..])
}

fn sunionstore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    algebra(ctx, Op::Union, Some(argv[1]), &argv[2..])
}

fn sdiffstore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    algebra(ctx, Op::Diff, Some(argv[1]), &argv[2..])
}

/// SINTER, SUNION, SDIFF and their STORE variants: `op` over the sets at
/// `keys`, replied as a set or stored at `dest` (replacing whatever is
/// there, with the encoding Redis gives a freshly built set; an empty
/// result deletes `dest`).
fn algebra(ctx: &mut Ctx<'_>, op: Op, dest: Option<&[u8]>, keys: &[&[u8]]) -> CmdResult {
    load(ctx, keys)?;
    let max = max_intset(&ctx.shared().config);
    let members = compute(ctx, op, keys, usize::MAX);
    let Some(dest) = dest else {
        return Ok(members_reply(members, max, Reply::Set));
    };
    let result = SetValue::build(&members, max);
    let n = result.len();
    if n == 0 {
        if ctx.delete(dest) {
            ctx.modified(dest);
            ctx.notify(ev::GENERIC, "del", dest);
        }
    } else {
        ctx.set(dest, Value::Set(Box::new(result)));
        ctx.modified(dest);
        let event = match op {
            Op::Inter => "sinterstore",
            Op::Union => "sunionstore",
            Op::Diff => "sdiffstore",
        };
        ctx.notify(ev::SET, event, dest);
    }
    Ok(Reply::Int(n as i64))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit].
fn sintercard(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let numkeys = ranged(argv[1], 1, "numkeys should be greater than 0")?;
    if numkeys > argv.len() - 2 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0;
    let mut opts = argv[2 + numkeys..].iter();
    while let Some(opt) = opts.next() {
        match opts.as_slice().first() {
            Some(value) if args::is(opt, "limit") => {
                limit = ranged(value, 0, "LIMIT can't be negative")?;
                opts.next();
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    let keys = &argv[2..2 + numkeys];
    load(ctx, keys)?;
    let limit = if limit == 0 { usize::MAX } else { limit };
    Ok(Reply::Int(compute(ctx, Op::Inter, keys, limit).len() as i64))
}

/// Looks every key up in order, as Redis does before computing: expired
/// keys go away, and the first key of another type is WRONGTYPE even when
/// a missing key already makes the result empty.
fn load(ctx: &mut Ctx<'_>, keys: &[&[u8]]) -> Result<(), CmdError> {
    for k in keys {
        ctx.get_set(k)?;
    }
    Ok(())
}

/// The distinct members of `op` over the sets at `keys` (already checked by
/// [`load`]; a missing key is an empty set), borrowed from the keyspace. An
/// intersection stops after `limit` members.
fn compute<'c>(ctx: &'c Ctx<'_>, op: Op, keys: &[&[u8]], limit: usize) -> Vec<&'c [u8]> {
    let sets = keys
        .iter()
        .map(|k| ctx.peek(k).and_then(|v| v.as_set().ok()));
    match op {
        Op::Inter => sets
            .collect::<Option<Vec<_>>>()
            .map_or_else(Vec::new, |sets| inter(sets, limit)),
        Op::Union => union(sets.flatten().collect()),
        Op::Diff => diff(sets.collect()),
    }
}

/// Members of the smallest set found in every other one.
fn inter(mut sets: Vec<&SetValue>, limit: usize) -> Vec<&[u8]> {
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter(|m| {
            rest.iter()
                .all(|s| std::ptr::eq(*s, *first) || s.contains(m))
        })
        .take(limit)
        .collect()
}

/// Members of any set, each once.
fn union(sets: Vec<&SetValue>) -> Vec<&[u8]> {
    if let [one] = sets[..] {
        return one.iter().collect();
    }
    let total = sets.iter().map(|s| s.len()).sum();
    let mut seen = foldhash::HashSet::with_capacity_and_hasher(total, Default::default());
    sets.iter()
        .flat_map(|s| s.iter())
        .filter(|m| seen.insert(*m))
        .collect()
}

/// Members of the first set found in none of the others.
fn diff(sets: Vec<Option<&SetValue>>) -> Vec<&[u8]> {
    let Some((Some(first), rest)) = sets.split_first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter(|m| !rest.iter().flatten().any(|s| s.contains(m)))
        .collect()
}

/// SSCAN: the cursor is checked before the key, the options after it (a
/// missing key ignores bad options), as Redis does. An intset comes whole,
/// in ascending order.
fn sscan(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    scan::parse_cursor(argv[2])?;
    let Some(s) = ctx.get_set(argv[1])? else {
        return Ok(scan::reply(0, Vec::new()));
    };
    let o = scan::parse(&argv[2..], false)?;
    let mut members = Vec::new();
    let mut emit = |m: &[u8]| {
        if scan::matches(o.pattern, m) {
            members.push(Reply::bulk(m));
        }
    };
    let cursor = match s {
        SetValue::Intset(i) => {
            i.iter().for_each(emit);
            0
        }
        SetValue::Table(d) => scan::walk(d, o.cursor, o.count, |m, _| emit(m)),
    };
    Ok(scan::reply(cursor, members))
}
