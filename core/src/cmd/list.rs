//! The list commands: pushes, pops, moves, ranges and searches (LPUSH ...
//! LMPOP), with Redis 7.0's replies and error texts.
//!
//! A list is a `VecDeque<Vec<u8>>` (Redis 7.0 always reports the
//! `quicklist` encoding). Invariant: a stored list is never empty; every
//! command that removes elements deletes the key once it is.
//!
//! The pops and moves are internal functions ([`pop`], [`pop_one`],
//! [`move_element`], [`mpop`]) so the blocking variants (BLPOP, BLMOVE,
//! BLMPOP, ...) reuse exactly the same semantics.

use super::args;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use std::collections::VecDeque;

/// A stored list.
type List = VecDeque<Vec<u8>>;

/// Popped elements, in pop order.
pub(crate) type Elements = Vec<Vec<u8>>;

/// ACL categories of the fast writes, slow writes and slow reads.
const ACL_WRITE_FAST: &[&str] = &["write", "list", "fast"];
const ACL_WRITE: &[&str] = &["write", "list", "slow"];
const ACL_READ: &[&str] = &["read", "list", "slow"];

/// A row of this family (group `list`, one key at index 1 unless overridden).
const ROW: Command = Command {
    group: "list",
    keys: Keys::FIRST,
    ..BASE
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "lpush",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        acl: ACL_WRITE_FAST,
        handler: |c, a| push(c, a, true, false),
        summary: "Prepend one or multiple elements to a list",
        syntax: "key element [element ...]",
        ..ROW
    },
    Command {
        name: "rpush",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        acl: ACL_WRITE_FAST,
        handler: |c, a| push(c, a, false, false),
        summary: "Append one or multiple elements to a list",
        syntax: "key element [element ...]",
        ..ROW
    },
    Command {
        name: "lpushx",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        acl: ACL_WRITE_FAST,
        handler: |c, a| push(c, a, true, true),
        summary: "Prepend an element to a list, only if the list exists",
        since: "2.2.0",
        syntax: "key element [element ...]",
        ..ROW
    },
    Command {
        name: "rpushx",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        acl: ACL_WRITE_FAST,
        handler: |c, a| push(c, a, false, true),
        summary: "Append an element to a list, only if the list exists",
        since: "2.2.0",
        syntax: "key element [element ...]",
        ..ROW
    },
    Command {
        name: "lpop",
        arity: -2,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        handler: |c, a| pop_command(c, a, true),
        summary: "Remove and get the first elements in a list",
        syntax: "key [count]",
        ..ROW
    },
    Command {
        name: "rpop",
        arity: -2,
        flags: WRITE | FAST,
        acl: ACL_WRITE_FAST,
        handler: |c, a| pop_command(c, a, false),
        summary: "Remove and get the last elements in a list",
        syntax: "key [count]",
        ..ROW
    },
    Command {
        name: "llen",
        arity: 2,
        flags: READONLY | FAST,
        acl: &["read", "list", "fast"],
        handler: llen,
        summary: "Get the length of a list",
        syntax: "key",
        ..ROW
    },
    Command {
        name: "lrange",
        arity: 4,
        flags: READONLY,
        acl: ACL_READ,
        handler: lrange,
        summary: "Get a range of elements from a list",
        syntax: "key start stop",
        ..ROW
    },
    Command {
        name: "lindex",
        arity: 3,
        flags: READONLY,
        acl: ACL_READ,
        handler: lindex,
        summary: "Get an element from a list by its index",
        syntax: "key index",
        ..ROW
    },
    Command {
        name: "lset",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: ACL_WRITE,
        handler: lset,
        summary: "Set the value of an element in a list by its index",
        syntax: "key index element",
        ..ROW
    },
    Command {
        name: "linsert",
        arity: 5,
        flags: WRITE | DENYOOM,
        acl: ACL_WRITE,
        handler: linsert,
        summary: "Insert an element before or after another element in a list",
        since: "2.2.0",
        syntax: "key <BEFORE | AFTER> pivot element",
        ..ROW
    },
    Command {
        name: "lrem",
        arity: 4,
        flags: WRITE,
        acl: ACL_WRITE,
        handler: lrem,
        summary: "Remove elements from a list",
        syntax: "key count element",
        ..ROW
    },
    Command {
        name: "ltrim",
        arity: 4,
        flags: WRITE,
        acl: ACL_WRITE,
        handler: ltrim,
        summary: "Trim a list to the specified range",
        syntax: "key start stop",
        ..ROW
    },
    Command {
        name: "lpos",
        arity: -3,
        flags: READONLY,
        acl: ACL_READ,
        handler: lpos,
        summary: "Return the index of matching elements on a list",
        since: "6.0.6",
        syntax: "key element [RANK rank] [COUNT num-matches] [MAXLEN len]",
        ..ROW
    },
    Command {
        name: "rpoplpush",
        arity: 3,
        flags: WRITE | DENYOOM,
        acl: ACL_WRITE,
        keys: Keys::FIRST_TWO,
        handler: rpoplpush,
        summary: "Remove the last element in a list, prepend it to another list and return it",
        since: "1.2.0",
        syntax: "source destination",
        ..ROW
    },
    Command {
        name: "lmove",
        arity: 5,
        flags: WRITE | DENYOOM,
        acl: ACL_WRITE,
        keys: Keys::FIRST_TWO,
        handler: lmove,
        summary: "Pop an element from a list, push it to another list and return it",
        since: "6.2.0",
        syntax: "source destination <LEFT | RIGHT> <LEFT | RIGHT>",
        ..ROW
    },
    Command {
        name: "lmpop",
        arity: -4,
        flags: WRITE,
        acl: ACL_WRITE,
        keys: Keys::NumKeys {
            count_at: 1,
            dest: None,
        },
        handler: lmpop,
        summary: "Pop elements from a list",
        since: "7.0.0",
        syntax: "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]",
        ..ROW
    },
];

// ---------------------------------------------------------------------------
// Lookups and argument parsing
// ---------------------------------------------------------------------------

/// The list at `key` for a write (no hit/miss accounting, as Redis's
/// `lookupKeyWrite`): `None` when absent, WRONGTYPE for another type.
fn list_for_write<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut List>, CmdError> {
    match ctx.get_for_write(key) {
        None => Ok(None),
        Some(v) => v.as_list_mut().map(Some),
    }
}

/// Parses `LEFT`/`RIGHT` (true for LEFT), else `ERR syntax error`.
pub(crate) fn parse_end(arg: &[u8]) -> Result<bool, CmdError> {
    if args::is(arg, "left") {
        Ok(true)
    } else if args::is(arg, "right") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Parses an integer in `min..=i64::MAX`; a non-integer or a smaller value
/// both fail with `ERR <msg>` (Redis's `getRangeLongFromObjectOrReply` with
/// a message).
fn at_least(arg: &[u8], min: i64, msg: &str) -> Result<i64, CmdError> {
    match crate::num::parse_i64(arg) {
        Some(n) if n >= min => Ok(n),
        _ => Err(CmdError::err(msg)),
    }
}

/// The position of Redis index `i` (negative counts from the end) in a list
/// of `len` elements, if it is inside.
fn position(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// The inclusive range `start..=stop` (Redis indexes, clamped as LRANGE and
/// LTRIM do) in a list of `len` elements; `None` when it is empty.
fn clamp_range(len: usize, start: i64, stop: i64) -> Option<(usize, usize)> {
    let n = len as i64;
    let start = if start < 0 { (start + n).max(0) } else { start };
    let stop = if stop < 0 { stop + n } else { stop };
    if start > stop || start >= n {
        return None;
    }
    Some((start as usize, stop.min(n - 1) as usize))
}

// ---------------------------------------------------------------------------
// Internal operations, shared with the blocking variants
// ---------------------------------------------------------------------------

/// Removes the element at the left or right end of a non-empty list.
fn take_end(list: &mut List, left: bool) -> Vec<u8> {
    let v = if left {
        list.pop_front()
    } else {
        list.pop_back()
    };
    v.expect("stored lists are never empty")
}

/// After removing `n` elements from the list at `key` (by the command
/// whose keyspace event is `event`): deletes the key if the list became
/// empty, records the modification (`n` changes, as Redis counts them),
/// and notifies `event` (then `del`).
fn removed_from(ctx: &mut Ctx<'_>, key: &[u8], n: usize, emptied: bool, event: &str) {
    if emptied {
        ctx.delete(key);
    }
    ctx.modified_by(key, n as u64);
    ctx.notify(ev::LIST, event, key);
    if emptied {
        ctx.notify(ev::GENERIC, "del", key);
    }
}

/// The keyspace event of a pop from the `left` (else right) end.
fn pop_event(left: bool) -> &'static str {
    if left { "lpop" } else { "rpop" }
}

/// The keyspace event of a push at the `left` (else right) end.
fn push_event(left: bool) -> &'static str {
    if left { "lpush" } else { "rpush" }
}

/// Pops one element from the `left` (else right) end of the list at `key`;
/// `Ok(None)` when the key does not exist. Deletes the key once empty.
pub(crate) fn pop_one(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    left: bool,
) -> Result<Option<Vec<u8>>, CmdError> {
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(None);
    };
    let v = take_end(list, left);
    let emptied = list.is_empty();
    removed_from(ctx, key, 1, emptied, pop_event(left));
    Ok(Some(v))
}

/// Pops up to `count` elements from the `left` (else right) end of the list
/// at `key`, in pop order; `Ok(None)` when the key does not exist. Deletes
/// the key once empty.
pub(crate) fn pop(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    left: bool,
    count: usize,
) -> Result<Option<Elements>, CmdError> {
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(None);
    };
    let n = count.min(list.len());
    if n == 0 {
        return Ok(Some(Vec::new()));
    }
    let out: Elements = if left {
        list.drain(..n).collect()
    } else {
        let at = list.len() - n;
        list.drain(at..).rev().collect()
    };
    let emptied = list.is_empty();
    removed_from(ctx, key, n, emptied, pop_event(left));
    Ok(Some(out))
}

/// Pops up to `count` elements from the first non-empty list among `keys`
/// (LMPOP/BLMPOP): the index of that key and the elements, or `Ok(None)`
/// when none exists. A key of another type met first is WRONGTYPE.
pub(crate) fn mpop(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    left: bool,
    count: usize,
) -> Result<Option<(usize, Elements)>, CmdError> {
    for (i, key) in keys.iter().enumerate() {
        if let Some(elems) = pop(ctx, key, left, count)? {
            return Ok(Some((i, elems)));
        }
    }
    Ok(None)
}

/// Pops one element from the `from_left` end of `src` and pushes it at the
/// `to_left` end of `dst` (RPOPLPUSH/LMOVE/BLMOVE); returns it, or `Ok(None)`
/// when `src` does not exist. Both types are checked before anything moves,
/// and `src == dst` rotates the list in place (the key, and its TTL, stay).
pub(crate) fn move_element(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from_left: bool,
    to_left: bool,
) -> Result<Option<Vec<u8>>, CmdError> {
    if list_for_write(ctx, src)?.is_none() {
        return Ok(None);
    }
    if src != dst {
        list_for_write(ctx, dst)?;
    }
    let list = list_for_write(ctx, src)?.expect("checked above");
    let v = take_end(list, from_left);
    // Redis notifies the push to the destination, then the pop, and
    // counts one change for the move.
    if src == dst {
        push_end(list, to_left, v.clone());
        ctx.modified(dst);
        ctx.notify(ev::LIST, push_event(to_left), dst);
        ctx.notify(ev::LIST, pop_event(from_left), src);
    } else {
        let emptied = list.is_empty();
        push_end(ctx.list_or_create(dst)?, to_left, v.clone());
        let db = ctx.db();
        ctx.signal_modified_in(db, dst);
        ctx.notify(ev::LIST, push_event(to_left), dst);
        removed_from(ctx, src, 1, emptied, pop_event(from_left));
    }
    Ok(Some(v))
}

/// Pushes `v` at the left or right end.
fn push_end(list: &mut List, left: bool, v: Vec<u8>) {
    if left {
        list.push_front(v);
    } else {
        list.push_back(v);
    }
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

/// A popped element as a bulk reply (moved, not copied), or nil.
fn owned_bulk(v: Option<Vec<u8>>) -> Reply {
    v.map_or(Reply::Nil, Reply::Bulk)
}

/// Popped elements as an array of bulks (moved, not copied).
fn owned_bulks(elems: Elements) -> Reply {
    Reply::Array(elems.into_iter().map(Reply::Bulk).collect())
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX: the new length (0 for an absent key with X).
fn push(ctx: &mut Ctx<'_>, argv: &[&[u8]], left: bool, only_existing: bool) -> CmdResult {
    let key = argv[1];
    let list = match list_for_write(ctx, key)? {
        Some(list) => list,
        None if only_existing => return Ok(Reply::Int(0)),
        None => ctx.list_or_create(key)?,
    };
    for v in &argv[2..] {
        push_end(list, left, v.to_vec());
    }
    let len = list.len();
    // Redis counts a change per element pushed.
    ctx.modified_by(key, argv.len() as u64 - 2);
    ctx.notify(ev::LIST, push_event(left), key);
    Ok(Reply::Int(len as i64))
}

/// LPOP/RPOP key [count]: one bulk without a count, an array with one.
fn pop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]], left: bool) -> CmdResult {
    match argv {
        [_, key] => Ok(owned_bulk(pop_one(ctx, key, left)?)),
        [_, key, count] => {
            let count = at_least(count, 0, "value is out of range, must be positive")?;
            let popped = pop(ctx, key, left, usize::try_from(count).unwrap_or(usize::MAX))?;
            Ok(popped.map_or(Reply::NilArray, owned_bulks))
        }
        _ => Err(CmdError::Arity(if left { "lpop" } else { "rpop" }.into())),
    }
}

fn llen(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let len = ctx.get_list(argv[1])?.map_or(0, |l| l.len());
    Ok(Reply::Int(len as i64))
}

fn lrange(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let start = args::int(argv[2])?;
    let stop = args::int(argv[3])?;
    let Some(list) = ctx.get_list(argv[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(match clamp_range(list.len(), start, stop) {
        Some((s, e)) => Reply::bulks(list.range(s..=e)),
        None => Reply::Array(Vec::new()),
    })
}

fn lindex(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let Some(list) = ctx.get_list(argv[1])? else {
        return Ok(Reply::Nil);
    };
    let i = args::int(argv[2])?;
    Ok(Reply::opt_bulk(
        position(list.len(), i).map(|i| &list[i][..]),
    ))
}

fn lset(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let list = list_for_write(ctx, key)?.ok_or(CmdError::NoSuchKey)?;
    let i = args::int(argv[2])?;
    let i = position(list.len(), i).ok_or(CmdError::OutOfRange)?;
    list[i] = argv[3].to_vec();
    ctx.modified(key);
    ctx.notify(ev::LIST, "lset", key);
    Ok(Reply::ok())
}

fn linsert(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let [_, key, place, pivot, elem] = argv else {
        unreachable!("arity 5")
    };
    let after = if args::is(place, "after") {
        true
    } else if args::is(place, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(Reply::Int(0));
    };
    let Some(at) = list.iter().position(|v| v == pivot) else {
        return Ok(Reply::Int(-1));
    };
    list.insert(at + usize::from(after), elem.to_vec());
    let len = list.len();
    ctx.modified(key);
    ctx.notify(ev::LIST, "linsert", key);
    Ok(Reply::Int(len as i64))
}

fn lrem(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let [_, key, count, elem] = argv else {
        unreachable!("arity 4")
    };
    let count = args::int(count)?;
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(Reply::Int(0));
    };
    let removed = remove_matches(list, elem, count);
    if removed > 0 {
        let emptied = list.is_empty();
        removed_from(ctx, key, removed, emptied, "lrem");
    }
    Ok(Reply::Int(removed as i64))
}

/// Removes occurrences of `elem` as LREM does: the first `count` from the
/// head when positive, the last `-count` from the tail when negative, all
/// when 0. Returns how many were removed.
fn remove_matches(list: &mut List, elem: &[u8], count: i64) -> usize {
    // `unsigned_abs` keeps i64::MIN meaning "no limit", as in Redis where
    // `-LONG_MIN` overflows and the removal counter never reaches it.
    let limit = if count == 0 {
        usize::MAX
    } else {
        usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
    };
    // From the tail: keep the matches before the last `limit` ones.
    let skip = if count < 0 {
        let matches = list.iter().filter(|v| *v == elem).count();
        matches.saturating_sub(limit)
    } else {
        0
    };
    let (mut seen, mut removed) = (0usize, 0usize);
    list.retain(|v| {
        if v != elem {
            return true;
        }
        seen += 1;
        if seen <= skip || removed == limit {
            return true;
        }
        removed += 1;
        false
    });
    removed
}

fn ltrim(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let start = args::int(argv[2])?;
    let stop = args::int(argv[3])?;
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(Reply::ok());
    };
    let before = list.len();
    match clamp_range(list.len(), start, stop) {
        Some((s, e)) => {
            list.truncate(e + 1);
            list.drain(..s);
        }
        None => list.clear(),
    }
    let trimmed = before - list.len();
    if trimmed > 0 {
        let emptied = list.is_empty();
        removed_from(ctx, key, trimmed, emptied, "ltrim");
    } else {
        // Redis signals and notifies the key even when nothing was
        // trimmed, but counts (and propagates) no change.
        let db = ctx.db();
        ctx.signal_modified_in(db, key);
        ctx.notify(ev::LIST, "ltrim", key);
    }
    Ok(Reply::ok())
}

/// The parsed options of LPOS.
struct LposOpts {
    /// RANK as given (never 0; i64::MIN is kept, see [`lpos_scan`]).
    rank: i64,
    /// COUNT, when given (0 = all matches).
    count: Option<i64>,
    /// MAXLEN (0 = the whole list).
    maxlen: i64,
}

fn parse_lpos(opts: &[&[u8]]) -> Result<LposOpts, CmdError> {
    let mut o = LposOpts {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut it = opts.iter();
    while let Some(opt) = it.next() {
        let value = it.as_slice().first();
        match value {
            Some(v) if args::is(opt, "rank") => {
                o.rank = args::int(v)?;
                if o.rank == 0 {
                    return Err(CmdError::err(
                        "RANK can't be zero: use 1 to start from the first match, 2 from the \
                         second ... or use negative to start from the end of the list",
                    ));
                }
            }
            Some(v) if args::is(opt, "count") => {
                o.count = Some(at_least(v, 0, "COUNT can't be negative")?);
            }
            Some(v) if args::is(opt, "maxlen") => {
                o.maxlen = at_least(v, 0, "MAXLEN can't be negative")?;
            }
            _ => return Err(CmdError::Syntax),
        }
        it.next();
    }
    Ok(o)
}

fn lpos(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let o = parse_lpos(&argv[3..])?;
    let Some(list) = ctx.get_list(argv[1])? else {
        return Ok(match o.count {
            Some(_) => Reply::Array(Vec::new()),
            None => Reply::Nil,
        });
    };
    let found = lpos_scan(list, argv[2], &o);
    Ok(match o.count {
        Some(_) => Reply::Array(found.into_iter().map(|i| Reply::Int(i as i64)).collect()),
        None => found.first().map_or(Reply::Nil, |&i| Reply::Int(i as i64)),
    })
}

/// The indexes LPOS reports for `elem`, following Redis's loop exactly,
/// including its two's-complement behaviour for `RANK -9223372036854775808`
/// (negation overflows, so every match qualifies and COUNT never stops the
/// scan).
fn lpos_scan(list: &List, elem: &[u8], o: &LposOpts) -> Vec<usize> {
    let from_tail = o.rank < 0;
    let rank = if from_tail {
        o.rank.wrapping_neg()
    } else {
        o.rank
    };
    let want = o.count.unwrap_or(1);
    let len = list.len();
    let limit = if o.maxlen == 0 {
        len
    } else {
        len.min(usize::try_from(o.maxlen).unwrap_or(usize::MAX))
    };
    let mut out = Vec::new();
    let mut matches: i64 = 0;
    for step in 0..limit {
        let idx = if from_tail { len - 1 - step } else { step };
        if list[idx] != elem {
            continue;
        }
        matches += 1;
        if matches >= rank {
            out.push(idx);
            if want != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= want {
                break;
            }
        }
    }
    out
}

fn rpoplpush(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let v = move_element(ctx, argv[1], argv[2], false, true)?;
    Ok(owned_bulk(v))
}

fn lmove(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let from_left = parse_end(argv[3])?;
    let to_left = parse_end(argv[4])?;
    let v = move_element(ctx, argv[1], argv[2], from_left, to_left)?;
    Ok(owned_bulk(v))
}

/// The parsed arguments of LMPOP/BLMPOP after `numkeys`.
pub(crate) struct MpopArgs<'a> {
    /// The keys, in order.
    pub keys: &'a [&'a [u8]],
    /// True for LEFT.
    pub left: bool,
    /// COUNT (1 when absent).
    pub count: usize,
}

/// Parses `numkeys key [key ...] <LEFT | RIGHT> [COUNT count]` starting at
/// `argv[numkeys_at]`, with Redis's error texts and order.
pub(crate) fn parse_mpop<'a>(
    argv: &'a [&'a [u8]],
    numkeys_at: usize,
) -> Result<MpopArgs<'a>, CmdError> {
    let numkeys = at_least(argv[numkeys_at], 1, "numkeys should be greater than 0")?;
    let first = numkeys_at + 1;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| first.checked_add(n))
        .filter(|&w| w < argv.len())
        .ok_or(CmdError::Syntax)?;
    let left = parse_end(argv[where_at])?;
    // Options are parsed in order, as Redis does: a bad COUNT value is
    // reported before a surplus argument after it.
    let mut count = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && args::is(argv[j], "count") && j + 1 < argv.len() {
            count = Some(at_least(argv[j + 1], 1, "count should be greater than 0")?);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let count = count.unwrap_or(1);
    Ok(MpopArgs {
        keys: &argv[first..where_at],
        left,
        count: usize::try_from(count).unwrap_or(usize::MAX),
    })
}

/// The reply of LMPOP/BLMPOP: `[key, [elements]]`, or a null array.
pub(crate) fn mpop_reply(popped: Option<(&[u8], Elements)>) -> Reply {
    match popped {
        Some((key, elems)) => Reply::Array(vec![Reply::bulk(key), owned_bulks(elems)]),
        None => Reply::NilArray,
    }
}

fn lmpop(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let a = parse_mpop(argv, 1)?;
    let popped = mpop(ctx, a.keys, a.left, a.count)?;
    if let (Some((i, elems)), true) = (&popped, ctx.propagating()) {
        // As Redis: LPOP/RPOP of the key, with the count popped.
        let n = elems.len().to_string();
        let name: &[u8] = if a.left { b"LPOP" } else { b"RPOP" };
        ctx.propagate_as(&[name, a.keys[*i], n.as_bytes()]);
    }
    Ok(mpop_reply(popped.map(|(i, elems)| (a.keys[i], elems))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn positions_follow_redis_indexes() {
        assert_eq!(position(3, 0), Some(0));
        assert_eq!(position(3, -1), Some(2));
        assert_eq!(position(3, -3), Some(0));
        assert_eq!(position(3, -4), None);
        assert_eq!(position(3, 3), None);
        assert_eq!(position(3, i64::MIN), None);
        assert_eq!(position(3, i64::MAX), None);
        assert_eq!(position(0, 0), None);
    }

    #[test]
    fn ranges_clamp_like_lrange() {
        assert_eq!(clamp_range(5, 0, -1), Some((0, 4)));
        assert_eq!(clamp_range(5, -100, 100), Some((0, 4)));
        assert_eq!(clamp_range(5, 3, 1), None);
        assert_eq!(clamp_range(5, 5, 10), None);
        assert_eq!(clamp_range(5, -2, -1), Some((3, 4)));
        assert_eq!(clamp_range(5, i64::MIN, i64::MAX), Some((0, 4)));
        assert_eq!(clamp_range(5, 0, i64::MIN), None);
    }

    #[test]
    fn lrem_counts_from_either_end() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", -2), 2);
        assert_eq!(l, list(&["a", "b", "c"]));
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", 2), 2);
        assert_eq!(l, list(&["b", "c", "a"]));
        let mut l = list(&["a", "b", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", 0), 2);
        assert_eq!(l, list(&["b"]));
        let mut l = list(&["a", "b", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", i64::MIN), 2);
        assert_eq!(remove_matches(&mut l, b"x", 1), 0);
    }

    #[test]
    fn lpos_rank_min_wraps_like_redis() {
        let l = list(&["a", "b", "a", "c", "a"]);
        let o = LposOpts {
            rank: i64::MIN,
            count: Some(1),
            maxlen: 0,
        };
        assert_eq!(lpos_scan(&l, b"a", &o), vec![4, 2, 0]);
        let o = LposOpts {
            rank: -2,
            count: None,
            maxlen: 0,
        };
        assert_eq!(lpos_scan(&l, b"a", &o), vec![2]);
    }

    #[test]
    fn mpop_arguments() {
        let argv: Vec<&[u8]> = vec![b"lmpop", b"2", b"a", b"b", b"RIGHT", b"count", b"3"];
        let a = parse_mpop(&argv, 1).unwrap();
        assert_eq!(a.keys, &[&b"a"[..], &b"b"[..]]);
        assert!(!a.left);
        assert_eq!(a.count, 3);
        let argv: Vec<&[u8]> = vec![b"lmpop", b"9223372036854775807", b"a", b"left"];
        assert_eq!(parse_mpop(&argv, 1).err(), Some(CmdError::Syntax));
    }
}
