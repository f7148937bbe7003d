//! Sorted set commands (ZADD … ZSCAN) with Redis 7.0's options, reply
//! shapes and error texts. The data structure is [`ZSet`]; this module
//! parses arguments, applies Redis's listpack → skiplist conversion rules
//! (tracked by `ZSet::big`) and shapes replies for RESP2 and RESP3.
//!
//! Reply shapes follow Redis 7.0: scores are doubles; WITHSCORES replies
//! are flat `[member, score, ...]` arrays in RESP2 and arrays of
//! `[member, score]` pairs in RESP3 (ZPOPMIN/ZPOPMAX nest only when given a
//! count; ZMPOP always nests).

use super::args;
use super::scan;
use super::table::{BASE, Command, Handler, Keys, flags::*};
use crate::ctx::Ctx;
use crate::dict::Dict;
use crate::engine::Shared;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{SetValue, Value, ValueMut, ValueRef};
use crate::num;
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use crate::types::zset::{Iter, LexRange, ScoreRange, ZSet};
const NUMKEYS: Keys = Keys::NumKeys {
    count_at: 1,
    dest: None,
};
const STORE_NUMKEYS: Keys = Keys::NumKeys {
    count_at: 2,
    dest: Some(1),
};
const READ_FAST: &[&str] = &["read", "sortedset", "fast"];
const READ_SLOW: &[&str] = &["read", "sortedset", "slow"];
const WRITE_FAST: &[&str] = &["write", "sortedset", "fast"];
const WRITE_SLOW: &[&str] = &["write", "sortedset", "slow"];

/// A row of this family's table.
#[allow(clippy::too_many_arguments)]
const fn row(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    keys: Keys,
    handler: Handler,
    summary: &'static str,
    since: &'static str,
    syntax: &'static str,
) -> Command {
    Command {
        name,
        arity,
        flags,
        acl,
        keys,
        handler,
        summary,
        since,
        syntax,
        group: "sorted-set",
        ..BASE
    }
}

const UNION_SYNTAX: &str = "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]";
const STORE_SYNTAX: &str =
    "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]";

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    row(
        "zadd",
        -4,
        WRITE | DENYOOM | FAST,
        WRITE_FAST,
        Keys::FIRST,
        zadd,
        "Add one or more members to a sorted set, or update its score if it already exists",
        "1.2.0",
        "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]",
    ),
    row(
        "zincrby",
        4,
        WRITE | DENYOOM | FAST,
        WRITE_FAST,
        Keys::FIRST,
        zincrby,
        "Increment the score of a member in a sorted set",
        "1.2.0",
        "key increment member",
    ),
    row(
        "zrem",
        -3,
        WRITE | FAST,
        WRITE_FAST,
        Keys::FIRST,
        zrem,
        "Remove one or more members from a sorted set",
        "1.2.0",
        "key member [member ...]",
    ),
    row(
        "zcard",
        2,
        READONLY | FAST,
        READ_FAST,
        Keys::FIRST,
        zcard,
        "Get the number of members in a sorted set",
        "1.2.0",
        "key",
    ),
    row(
        "zcount",
        4,
        READONLY | FAST,
        READ_FAST,
        Keys::FIRST,
        zcount,
        "Count the members in a sorted set with scores within the given values",
        "2.0.0",
        "key min max",
    ),
    row(
        "zlexcount",
        4,
        READONLY | FAST,
        READ_FAST,
        Keys::FIRST,
        zlexcount,
        "Count the number of members in a sorted set between a given lexicographical range",
        "2.8.9",
        "key min max",
    ),
    row(
        "zscore",
        3,
        READONLY | FAST,
        READ_FAST,
        Keys::FIRST,
        zscore,
        "Get the score associated with the given member in a sorted set",
        "1.2.0",
        "key member",
    ),
    row(
        "zmscore",
        -3,
        READONLY | FAST,
        READ_FAST,
        Keys::FIRST,
        zmscore,
        "Get the score associated with the given members in a sorted set",
        "6.2.0",
        "key member [member ...]",
    ),
    row(
        "zrank",
        3,
        READONLY | FAST,
        READ_FAST,
        Keys::FIRST,
        zrank,
        "Determine the index of a member in a sorted set",
        "2.0.0",
        "key member",
    ),
    row(
        "zrevrank",
        3,
        READONLY | FAST,
        READ_FAST,
        Keys::FIRST,
        zrevrank,
        "Determine the index of a member in a sorted set, with scores ordered from high to low",
        "2.0.0",
        "key member",
    ),
    row(
        "zrange",
        -4,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zrange,
        "Return a range of members in a sorted set",
        "1.2.0",
        "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
    ),
    row(
        "zrangestore",
        -5,
        WRITE | DENYOOM,
        WRITE_SLOW,
        Keys::Range {
            first: 1,
            last: 2,
            step: 1,
        },
        zrangestore,
        "Store a range of members from sorted set into another key",
        "6.2.0",
        "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]",
    ),
    row(
        "zrevrange",
        -4,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zrevrange,
        "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        "1.2.0",
        "key start stop [WITHSCORES]",
    ),
    row(
        "zrangebyscore",
        -4,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zrangebyscore,
        "Return a range of members in a sorted set, by score",
        "1.0.5",
        "key min max [WITHSCORES] [LIMIT offset count]",
    ),
    row(
        "zrevrangebyscore",
        -4,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zrevrangebyscore,
        "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        "2.2.0",
        "key max min [WITHSCORES] [LIMIT offset count]",
    ),
    row(
        "zrangebylex",
        -4,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zrangebylex,
        "Return a range of members in a sorted set, by lexicographical range",
        "2.8.9",
        "key min max [LIMIT offset count]",
    ),
    row(
        "zrevrangebylex",
        -4,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zrevrangebylex,
        "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        "2.8.9",
        "key max min [LIMIT offset count]",
    ),
    row(
        "zremrangebyrank",
        4,
        WRITE,
        WRITE_SLOW,
        Keys::FIRST,
        zremrangebyrank,
        "Remove all members in a sorted set within the given indexes",
        "2.0.0",
        "key start stop",
    ),
    row(
        "zremrangebyscore",
        4,
        WRITE,
        WRITE_SLOW,
        Keys::FIRST,
        zremrangebyscore,
        "Remove all members in a sorted set within the given scores",
        "1.2.0",
        "key min max",
    ),
    row(
        "zremrangebylex",
        4,
        WRITE,
        WRITE_SLOW,
        Keys::FIRST,
        zremrangebylex,
        "Remove all members in a sorted set between the given lexicographical range",
        "2.8.9",
        "key min max",
    ),
    row(
        "zpopmin",
        -2,
        WRITE | FAST,
        WRITE_FAST,
        Keys::FIRST,
        zpopmin,
        "Remove and return members with the lowest scores in a sorted set",
        "5.0.0",
        "key [count]",
    ),
    row(
        "zpopmax",
        -2,
        WRITE | FAST,
        WRITE_FAST,
        Keys::FIRST,
        zpopmax,
        "Remove and return members with the highest scores in a sorted set",
        "5.0.0",
        "key [count]",
    ),
    row(
        "zrandmember",
        -2,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zrandmember,
        "Get one or multiple random elements from a sorted set",
        "6.2.0",
        "key [count [WITHSCORES]]",
    ),
    row(
        "zunion",
        -3,
        READONLY,
        READ_SLOW,
        NUMKEYS,
        |c, a| setop_generic(c, a, SetOpKind::of(SetOp::Union, false)),
        "Add multiple sorted sets",
        "6.2.0",
        UNION_SYNTAX,
    ),
    row(
        "zinter",
        -3,
        READONLY,
        READ_SLOW,
        NUMKEYS,
        |c, a| setop_generic(c, a, SetOpKind::of(SetOp::Inter, false)),
        "Intersect multiple sorted sets",
        "6.2.0",
        UNION_SYNTAX,
    ),
    row(
        "zdiff",
        -3,
        READONLY,
        READ_SLOW,
        NUMKEYS,
        |c, a| setop_generic(c, a, SetOpKind::of(SetOp::Diff, false)),
        "Subtract multiple sorted sets",
        "6.2.0",
        "numkeys key [key ...] [WITHSCORES]",
    ),
    row(
        "zunionstore",
        -4,
        WRITE | DENYOOM,
        WRITE_SLOW,
        STORE_NUMKEYS,
        |c, a| setop_generic(c, a, SetOpKind::of(SetOp::Union, true)),
        "Add multiple sorted sets and store the resulting sorted set in a new key",
        "2.0.0",
        STORE_SYNTAX,
    ),
    row(
        "zinterstore",
        -4,
        WRITE | DENYOOM,
        WRITE_SLOW,
        STORE_NUMKEYS,
        |c, a| setop_generic(c, a, SetOpKind::of(SetOp::Inter, true)),
        "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        "2.0.0",
        STORE_SYNTAX,
    ),
    row(
        "zdiffstore",
        -4,
        WRITE | DENYOOM,
        WRITE_SLOW,
        STORE_NUMKEYS,
        |c, a| setop_generic(c, a, SetOpKind::of(SetOp::Diff, true)),
        "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        "6.2.0",
        "destination numkeys key [key ...]",
    ),
    row(
        "zintercard",
        -3,
        READONLY,
        READ_SLOW,
        NUMKEYS,
        |c, a| {
            let kind = SetOpKind {
                card_only: true,
                ..SetOpKind::of(SetOp::Inter, false)
            };
            setop_generic(c, a, kind)
        },
        "Intersect multiple sorted sets and return the cardinality of the result",
        "7.0.0",
        "numkeys key [key ...] [LIMIT limit]",
    ),
    row(
        "zmpop",
        -4,
        WRITE,
        WRITE_SLOW,
        NUMKEYS,
        zmpop,
        "Remove and return members with scores in a sorted set",
        "7.0.0",
        "numkeys key [key ...] <MIN | MAX> [COUNT count]",
    ),
    row(
        "zscan",
        -3,
        READONLY,
        READ_SLOW,
        Keys::FIRST,
        zscan,
        "Incrementally iterate sorted sets elements and associated scores",
        "2.8.0",
        "key cursor [MATCH pattern] [COUNT count]",
    ),
];

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// The listpack limits (`zset-max-listpack-entries`/`-value`).
struct Limits {
    entries: usize,
    value: usize,
}

impl Limits {
    fn read(shared: &Shared) -> Limits {
        let get = |name| usize::try_from(shared.config.get_int(name)).unwrap_or(0);
        Limits {
            entries: get("zset-max-listpack-entries"),
            value: get("zset-max-listpack-value"),
        }
    }

    /// The limits that matter for adding to `z`: none once it is big
    /// (conversion is one way), which spares the config read.
    fn for_set(shared: &Shared, z: &ZSet) -> Limits {
        if z.big {
            Limits {
                entries: usize::MAX,
                value: usize::MAX,
            }
        } else {
            Limits::read(shared)
        }
    }

    /// True when `len` members, the longest `maxlen` bytes, fit a listpack.
    fn fit(&self, len: usize, maxlen: usize) -> bool {
        len <= self.entries && maxlen <= self.value
    }
}

/// Adds a member known to be absent, converting `z` to a skiplist first
/// when the listpack would outgrow its limits (Redis's `zsetAdd`).
fn add_new(z: &mut ZSet, member: &[u8], score: f64, lim: &Limits) {
    if !z.big && !lim.fit(z.len() + 1, member.len()) {
        z.big = true;
    }
    z.insert(member, score);
}

/// The sorted set at `key` for writing (no hit/miss accounting), or WRONGTYPE.
fn write_zset<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut ZSet>, CmdError> {
    match ctx.get_for_write(key) {
        None => Ok(None),
        Some(v) => v.as_zset_mut().map(Some),
    }
}

/// A (member, score) list as Redis sends it: members only; or with scores,
/// flat pairs, or (`nested`, RESP3 style) an array of `[member, score]`.
fn scored<'m>(
    items: impl IntoIterator<Item = (&'m [u8], f64)>,
    withscores: bool,
    nested: bool,
) -> Reply {
    let items = items.into_iter();
    let mut out =
        Vec::with_capacity(items.size_hint().0 * if withscores && !nested { 2 } else { 1 });
    for (m, s) in items {
        match (withscores, nested) {
            (false, _) => out.push(Reply::bulk(m)),
            (true, true) => out.push(Reply::Array(vec![Reply::bulk(m), Reply::Double(s)])),
            (true, false) => out.extend([Reply::bulk(m), Reply::Double(s)]),
        }
    }
    Reply::Array(out)
}

/// Parses an integer in `1..=i64::MAX`, replying `msg` otherwise (Redis's
/// `getRangeLongFromObjectOrReply` with a message).
fn at_least_one(arg: &[u8], msg: &str) -> Result<i64, CmdError> {
    num::parse_i64(arg)
        .filter(|&n| n >= 1)
        .ok_or_else(|| CmdError::err(msg))
}

/// Parses a non-negative integer; anything else is "value is out of range,
/// must be positive" (Redis's `getPositiveLongFromObjectOrReply`).
fn non_negative(arg: &[u8]) -> Result<i64, CmdError> {
    num::parse_i64(arg)
        .filter(|&n| n >= 0)
        .ok_or_else(|| CmdError::err("value is out of range, must be positive"))
}

/// Stores `z` at `dst` (deleting `dst` when `z` is empty) and replies with
/// its size, as the *STORE commands do.
fn store(ctx: &mut Ctx<'_>, dst: &[u8], z: ZSet, event: &str) -> CmdResult {
    let n = z.len();
    if n > 0 {
        ctx.set(dst, Value::ZSet(Box::new(z)));
        ctx.modified(dst);
        ctx.notify(ev::ZSET, event, dst);
    } else if ctx.delete(dst) {
        ctx.modified(dst);
        ctx.notify(ev::GENERIC, "del", dst);
    }
    Ok(Reply::Int(n as i64))
}

// ---------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM
// ---------------------------------------------------------------------------

/// ZADD's options.
#[derive(Debug, Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// Parses the options before the first score and checks their
/// combinations; returns them and the index of the first score.
fn parse_add(argv: &[&[u8]], incr: bool) -> Result<(AddFlags, usize), CmdError> {
    let mut f = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut at = 2;
    while let Some(&opt) = argv.get(at) {
        let flag = match () {
            _ if args::is(opt, "nx") => &mut f.nx,
            _ if args::is(opt, "xx") => &mut f.xx,
            _ if args::is(opt, "gt") => &mut f.gt,
            _ if args::is(opt, "lt") => &mut f.lt,
            _ if args::is(opt, "ch") => &mut f.ch,
            _ if args::is(opt, "incr") => &mut f.incr,
            _ => break,
        };
        *flag = true;
        at += 1;
    }
    let elements = argv.len() - at;
    if elements == 0 || elements % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && elements > 2 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    Ok((f, at))
}

/// What adding one pair did.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    /// A new member, with its score.
    New(f64),
    /// An existing member moved to a new score.
    Updated(f64),
    /// An existing member given its current score again.
    Same(f64),
    /// Nothing, because of NX, XX, GT or LT.
    Skipped,
}

/// Adds one pair with ZADD's semantics (Redis's `zsetAdd`); `Err` when an
/// increment makes the score NaN.
fn add_one(
    z: &mut ZSet,
    member: &[u8],
    score: f64,
    f: AddFlags,
    lim: &Limits,
) -> Result<Change, ()> {
    let Some(cur) = z.score(member) else {
        if f.xx {
            return Ok(Change::Skipped);
        }
        add_new(z, member, score, lim);
        return Ok(Change::New(score));
    };
    if f.nx {
        return Ok(Change::Skipped);
    }
    let score = if f.incr { score + cur } else { score };
    if score.is_nan() {
        return Err(());
    }
    if (f.lt && score >= cur) || (f.gt && score <= cur) {
        return Ok(Change::Skipped);
    }
    if score == cur {
        return Ok(Change::Same(score));
    }
    z.insert(member, score);
    Ok(Change::Updated(score))
}

fn zadd(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    add_generic(ctx, argv, false)
}

fn zincrby(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    add_generic(ctx, argv, true)
}

/// ZADD and ZINCRBY (which is ZADD with INCR forced).
fn add_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], incr: bool) -> CmdResult {
    let (f, at) = parse_add(argv, incr)?;
    let pairs: Vec<(f64, &[u8])> = argv[at..]
        .chunks(2)
        .map(|p| Ok((args::float(p[0])?, p[1])))
        .collect::<Result<_, CmdError>>()?;
    let done = add_pairs(ctx, argv[1], f, &pairs)?;
    Ok(match (f.incr, done.last) {
        (true, Some(s)) => Reply::Double(s),
        (true, None) => Reply::Nil,
        (false, _) => Reply::Int(if f.ch {
            done.added + done.updated
        } else {
            done.added
        }),
    })
}

/// ZADD without options (also the typed `Engine::zadd`): adds or moves
/// each (score, member) of `pairs`; the number of members added.
pub(crate) fn add(ctx: &mut Ctx<'_>, key: &[u8], pairs: &[(f64, &[u8])]) -> Result<i64, CmdError> {
    add_pairs(ctx, key, AddFlags::default(), pairs).map(|done| done.added)
}

/// What a ZADD did.
struct Added {
    /// Members added.
    added: i64,
    /// Members whose score changed.
    updated: i64,
    /// The score of the last member added, moved or left as it was.
    last: Option<f64>,
}

/// ZADD's work on parsed arguments: applies `pairs` with options `f` to the
/// sorted set at `key`.
fn add_pairs(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    f: AddFlags,
    pairs: &[(f64, &[u8])],
) -> Result<Added, CmdError> {
    let shared = ctx.shared();
    let mut done = Added {
        added: 0,
        updated: 0,
        last: None,
    };
    // A new key always gets a member: XX is the only way to add nothing.
    let z = if f.xx {
        match write_zset(ctx, key)? {
            Some(z) => z,
            None => return Ok(done),
        }
    } else {
        ctx.zset_or_create(key)?
    };
    let lim = Limits::for_set(shared, z);
    let mut result = Ok(());
    for &(score, member) in pairs {
        match add_one(z, member, score, f, &lim) {
            Ok(Change::New(s)) => (done.added, done.last) = (done.added + 1, Some(s)),
            Ok(Change::Updated(s)) => (done.updated, done.last) = (done.updated + 1, Some(s)),
            Ok(Change::Same(s)) => done.last = Some(s),
            Ok(Change::Skipped) => {}
            Err(()) => {
                result = Err(CmdError::err("resulting score is not a number (NaN)"));
                break;
            }
        }
    }
    if done.added + done.updated > 0 {
        ctx.modified_by(key, (done.added + done.updated) as u64);
        ctx.notify(ev::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    result.map(|()| done)
}

fn zrem(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let Some(z) = write_zset(ctx, key)? else {
        return Ok(Reply::Int(0));
    };
    let mut removed = 0;
    for m in &argv[2..] {
        removed += i64::from(z.remove(m).is_some());
        if z.is_empty() {
            break;
        }
    }
    if removed > 0 {
        ctx.removed_elements(key, removed as u64, ev::ZSET, "zrem");
    }
    Ok(Reply::Int(removed))
}

// ---------------------------------------------------------------------------
// Point reads: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT
// ---------------------------------------------------------------------------

fn zcard(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(
        ctx.get_zset(argv[1])?.map_or(0, |z| z.len() as i64),
    ))
}

fn zscore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let score = ctx.get_zset(argv[1])?.and_then(|z| z.score(argv[2]));
    Ok(score.map_or(Reply::Nil, Reply::Double))
}

fn zmscore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let z = ctx.get_zset(argv[1])?;
    let z = z.as_deref();
    let scores = argv[2..]
        .iter()
        .map(|m| z.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double));
    Ok(Reply::Array(scores.collect()))
}

fn zrank(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    rank_generic(ctx, argv, false)
}

fn zrevrank(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    rank_generic(ctx, argv, true)
}

fn rank_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], rev: bool) -> CmdResult {
    let Some(z) = ctx.get_zset(argv[1])? else {
        return Ok(Reply::Nil);
    };
    let rank = z
        .rank(argv[2])
        .map(|r| if rev { z.len() - 1 - r } else { r });
    Ok(rank.map_or(Reply::Nil, |r| Reply::Int(r as i64)))
}

fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    ScoreRange::parse(min, max).ok_or_else(|| CmdError::err("min or max is not a float"))
}

fn lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
    LexRange::parse(min, max).ok_or_else(|| CmdError::err("min or max not valid string range item"))
}

fn zcount(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let r = score_range(argv[2], argv[3])?;
    Ok(Reply::Int(
        ctx.get_zset(argv[1])?
            .map_or(0, |z| z.count_score(&r) as i64),
    ))
}

fn zlexcount(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let r = lex_range(argv[2], argv[3])?;
    Ok(Reply::Int(
        ctx.get_zset(argv[1])?.map_or(0, |z| z.count_lex(&r)),
    ))
}

// ---------------------------------------------------------------------------
// Ranges: ZRANGE and its older forms, ZRANGESTORE, ZREMRANGEBY*
// ---------------------------------------------------------------------------

/// What a range is over (`Auto` until BYSCORE/BYLEX or the command fixes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range.
#[derive(Debug)]
enum Bounds<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// A parsed ZRANGE-family request.
#[derive(Debug)]
struct RangeQuery<'a> {
    bounds: Bounds<'a>,
    rev: bool,
    withscores: bool,
    offset: i64,
    /// -1 when not given (Redis's sentinel: `LIMIT 0 -1` is "no LIMIT").
    limit: i64,
}

/// Parses `<src> <min> <max> [options]` from `argv[src]` on, as Redis's
/// `zrangeGenericCommand`: options first (in any order), then their
/// conflicts, then the range itself. `by`/`rev` may be fixed by the command
/// (`None` for rev lets REV appear once).
fn parse_range<'a>(
    argv: &[&'a [u8]],
    src: usize,
    store: bool,
    mut by: By,
    mut rev: Option<bool>,
) -> Result<RangeQuery<'a>, CmdError> {
    let (mut withscores, mut offset, mut limit) = (false, 0, -1);
    let mut j = src + 3;
    while j < argv.len() {
        let a = argv[j];
        if !store && args::is(a, "withscores") {
            withscores = true;
        } else if args::is(a, "limit") && argv.len() - j > 2 {
            offset = args::int(argv[j + 1])?;
            limit = args::int(argv[j + 2])?;
            j += 2;
        } else if rev.is_none() && args::is(a, "rev") {
            rev = Some(true);
        } else if by == By::Auto && args::is(a, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && args::is(a, "byscore") {
            by = By::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    let by = if by == By::Auto { By::Rank } else { by };
    if limit != -1 && by == By::Rank {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (lo, hi) = match (rev, by) {
        (true, By::Score | By::Lex) => (argv[src + 2], argv[src + 1]),
        _ => (argv[src + 1], argv[src + 2]),
    };
    let bounds = match by {
        By::Score => Bounds::Score(score_range(lo, hi)?),
        By::Lex => Bounds::Lex(lex_range(lo, hi)?),
        _ => Bounds::Rank(args::int(lo)?, args::int(hi)?),
    };
    Ok(RangeQuery {
        bounds,
        rev,
        withscores,
        offset,
        limit,
    })
}

/// Clamps Redis-style `start`/`end` ranks (negative from the end) to
/// `0..len`; `None` when the range is empty.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let end = if end < 0 { end + len } else { end.min(len - 1) };
    (start <= end && start < len).then_some((start as usize, end as usize))
}

/// Applies LIMIT to a score or lex range walk: skip `offset` members
/// unchecked, then take up to `limit` while `inside` (Redis's loops; a
/// negative offset walks off the end, so it yields nothing).
fn window<'z>(
    it: Iter<'z>,
    q: &RangeQuery<'_>,
    inside: impl Fn(&[u8], f64) -> bool,
) -> Vec<(&'z [u8], f64)> {
    let Ok(offset) = usize::try_from(q.offset) else {
        return Vec::new();
    };
    let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
    it.skip(offset)
        .take_while(|&(m, s)| inside(m, s))
        .take(limit)
        .collect()
}

/// The members a range query selects, in reply order.
fn select<'z>(z: &'z ZSet, q: &RangeQuery<'_>) -> Vec<(&'z [u8], f64)> {
    match &q.bounds {
        Bounds::Rank(start, end) => match clamp_ranks(*start, *end, z.len()) {
            Some((s, e)) => z.iter_from_rank(s, q.rev).take(e - s + 1).collect(),
            None => Vec::new(),
        },
        Bounds::Score(r) => {
            let rev = q.rev;
            window(z.iter_score(r, rev), q, |_, s| {
                if rev { r.gte_min(s) } else { r.lte_max(s) }
            })
        }
        Bounds::Lex(r) => {
            let rev = q.rev;
            window(z.iter_lex(r, rev), q, |m, _| {
                if rev { r.gte_min(m) } else { r.lte_max(m) }
            })
        }
    }
}

/// ZRANGE and the older range commands, `by`/`rev` fixed by the command.
fn range_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], by: By, rev: Option<bool>) -> CmdResult {
    let q = parse_range(argv, 1, false, by, rev)?;
    let nested = ctx.resp3();
    let Some(z) = ctx.get_zset(argv[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(scored(select(z, &q), q.withscores, nested))
}

fn zrange(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, By::Auto, None)
}

fn zrevrange(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, By::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, By::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, By::Score, Some(true))
}

fn zrangebylex(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, By::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, By::Lex, Some(true))
}

fn zrangestore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let q = parse_range(argv, 2, true, By::Auto, None)?;
    let lim = Limits::read(ctx.shared());
    let items: Vec<(Box<[u8]>, f64)> = match ctx.get_zset(argv[2])? {
        Some(z) => select(z, &q)
            .into_iter()
            .map(|(m, s)| (m.into(), s))
            .collect(),
        None => Vec::new(),
    };
    // Redis sizes the destination from a rank range's length up front,
    // then adds member by member (converting when one does not fit).
    let big = matches!(q.bounds, Bounds::Rank(..)) && items.len() > lim.entries;
    let mut dst = ZSet::with_big(big);
    for (m, s) in &items {
        add_new(&mut dst, m, *s, &lim);
    }
    store(ctx, argv[1], dst, "zrangestore")
}

fn zremrangebyrank(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let (start, end) = (args::int(argv[2])?, args::int(argv[3])?);
    remove_range(ctx, argv[1], "zremrangebyrank", |z| {
        match clamp_ranks(start, end, z.len()) {
            Some((s, e)) => z.remove_rank_range(s, e),
            None => 0,
        }
    })
}

fn zremrangebyscore(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let r = score_range(argv[2], argv[3])?;
    remove_range(ctx, argv[1], "zremrangebyscore", |z| {
        z.remove_score_range(&r)
    })
}

fn zremrangebylex(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let r = lex_range(argv[2], argv[3])?;
    remove_range(ctx, argv[1], "zremrangebylex", |z| z.remove_lex_range(&r))
}

/// Runs `remove` on the sorted set at `key`; replies with how many went.
fn remove_range(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    event: &str,
    remove: impl FnOnce(&mut ZSet) -> usize,
) -> CmdResult {
    let Some(z) = write_zset(ctx, key)? else {
        return Ok(Reply::Int(0));
    };
    let removed = remove(z);
    if removed > 0 {
        ctx.removed_elements(key, removed as u64, ev::ZSET, event);
    }
    Ok(Reply::Int(removed as i64))
}

// ---------------------------------------------------------------------------
// Pops and random members: ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER
// ---------------------------------------------------------------------------

/// Pops up to `count` members from one end of the set at `key` (which must
/// hold a sorted set), deleting the key when it empties.
pub(crate) fn pop_from(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    max: bool,
    count: usize,
) -> Vec<(Box<[u8]>, f64)> {
    let Ok(Some(z)) = write_zset(ctx, key) else {
        return Vec::new();
    };
    let popped: Vec<_> = (0..count).map_while(|_| z.pop(max)).collect();
    if !popped.is_empty() {
        let event = if max { "zpopmax" } else { "zpopmin" };
        ctx.removed_elements(key, popped.len() as u64, ev::ZSET, event);
    }
    popped
}

/// Popped members with their scores: flat pairs, or nested `[member,
/// score]` pairs when `nested`.
pub(crate) fn pairs_reply(items: &[(Box<[u8]>, f64)], nested: bool) -> Reply {
    scored(items.iter().map(|(m, s)| (&**m, *s)), true, nested)
}

fn zpopmin(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    pop_generic(ctx, argv, false)
}

fn zpopmax(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    pop_generic(ctx, argv, true)
}

/// ZPOPMIN/ZPOPMAX: flat pairs, nested in RESP3 only when given a count.
fn pop_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], max: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = argv.get(2).map(|c| non_negative(c)).transpose()?;
    let nested = ctx.resp3() && count.is_some();
    if write_zset(ctx, argv[1])?.is_none() || count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let n = count.map_or(1, |c| usize::try_from(c).unwrap_or(usize::MAX));
    Ok(pairs_reply(&pop_from(ctx, argv[1], max, n), nested))
}

/// The parsed arguments of ZMPOP/BZMPOP after `numkeys`.
pub(crate) struct ZmpopArgs<'a> {
    /// The keys, in order.
    pub keys: &'a [&'a [u8]],
    /// True for MAX.
    pub max: bool,
    /// COUNT (1 when absent).
    pub count: usize,
}

/// Parses `numkeys key [key ...] <MIN | MAX> [COUNT count]` starting at
/// `argv[numkeys_at]`, with Redis's error texts and order.
pub(crate) fn parse_zmpop<'a>(
    argv: &'a [&'a [u8]],
    numkeys_at: usize,
) -> Result<ZmpopArgs<'a>, CmdError> {
    let numkeys = at_least_one(argv[numkeys_at], "numkeys should be greater than 0")?;
    let first = numkeys_at + 1;
    let where_at = usize::try_from(numkeys).map_or(usize::MAX, |n| n.saturating_add(first));
    let Some(&side) = argv.get(where_at) else {
        return Err(CmdError::Syntax);
    };
    let max = match () {
        _ if args::is(side, "min") => false,
        _ if args::is(side, "max") => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && args::is(argv[j], "count") && j + 1 < argv.len() {
            count = Some(at_least_one(argv[j + 1], "count should be greater than 0")?);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(ZmpopArgs {
        keys: &argv[first..where_at],
        max,
        count: usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX),
    })
}

fn zmpop(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let a = parse_zmpop(argv, 1)?;
    let mut found = None;
    for &key in a.keys {
        if write_zset(ctx, key)?.is_some() {
            found = Some(key);
            break;
        }
    }
    let Some(key) = found else {
        return Ok(Reply::NilArray);
    };
    let popped = pop_from(ctx, key, a.max, a.count);
    if ctx.propagating() {
        // As Redis: ZPOPMIN/ZPOPMAX of the key, with the count popped.
        let n = popped.len().to_string();
        let name: &[u8] = if a.max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.propagate_as(&[name, key, n.as_bytes()]);
    }
    Ok(Reply::Array(vec![
        Reply::bulk(key),
        pairs_reply(&popped, true),
    ]))
}

/// The most members ZRANDMEMBER returns with a negative count (draws with
/// repetition, so unbounded by the set's size). Redis streams any count;
/// a reply built in memory has to stop somewhere, and a larger count is an
/// error rather than gigabytes of allocation.
const RANDOM_REPLY_MAX: u64 = 1 << 20;

fn zrandmember(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() < 3 {
        let Some(z) = ctx.get_zset(argv[1])? else {
            return Ok(Reply::Nil);
        };
        let rank = rand::random_range(0..z.len());
        return Ok(Reply::opt_bulk(z.get_by_rank(rank).map(|(m, _)| m)));
    }
    let count = args::int(argv[2])?;
    if count == i64::MIN {
        return Err(CmdError::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withscores = match argv.get(3) {
        None => false,
        Some(a) if argv.len() == 4 && args::is(a, "withscores") => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    // Redis refuses counts whose doubled reply length would overflow.
    if withscores && count.unsigned_abs() > (i64::MAX / 2) as u64 {
        return Err(CmdError::err("value is out of range"));
    }
    let nested = ctx.resp3();
    let Some(z) = ctx.get_zset(argv[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let picked = random_members(z, count)?;
    Ok(scored(picked, withscores, nested))
}

/// ZRANDMEMBER's selection: `count` draws with repetition when negative;
/// otherwise distinct members, all of them (in descending order, as Redis
/// iterates) when `count` covers the set.
fn random_members(z: &ZSet, count: i64) -> Result<Vec<(&[u8], f64)>, CmdError> {
    let n = z.len();
    let draw = |rank: usize| z.get_by_rank(rank).expect("rank within the set");
    if count < 0 || count == 1 {
        let times = count.unsigned_abs();
        if times > RANDOM_REPLY_MAX {
            return Err(CmdError::err("value is out of range, count is too large"));
        }
        return Ok((0..times).map(|_| draw(rand::random_range(0..n))).collect());
    }
    let count = count as u64;
    if count >= n as u64 {
        return Ok(z.iter_rev().collect());
    }
    let ranks = rand::seq::index::sample(&mut rand::rng(), n, count as usize);
    Ok(ranks.into_iter().map(draw).collect())
}

// ---------------------------------------------------------------------------
// Set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Folds `v` into `acc` (Redis's `zunionInterAggregate`: inf + -inf is
    /// 0; a NaN `v` loses under MIN/MAX).
    fn fold(self, acc: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *acc += v;
                if acc.is_nan() {
                    *acc = 0.0;
                }
            }
            Aggregate::Min => *acc = if v < *acc { v } else { *acc },
            Aggregate::Max => *acc = if v > *acc { v } else { *acc },
        }
    }
}

/// An input of the set algebra: a sorted set, a plain set (scores 1) or a
/// missing key (empty).
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Set(&'a SetValue),
    ZSet(&'a ZSet),
}

impl<'a> Source<'a> {
    fn of(v: Option<ValueRef<'a>>) -> Source<'a> {
        match v {
            Some(ValueRef::ZSet(z)) => Source::ZSet(z),
            Some(ValueRef::Set(s)) => Source::Set(s),
            _ => Source::Missing,
        }
    }

    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Set(s) => s.len(),
            Source::ZSet(z) => z.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Set(s) => s.contains(member).then_some(1.0),
            Source::ZSet(z) => z.score(member),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> {
        match *self {
            Source::Missing => Box::new(std::iter::empty()),
            Source::Set(s) => Box::new(s.iter().map(|m| (m, 1.0))),
            Source::ZSet(z) => Box::new(z.iter()),
        }
    }
}

/// Parsed options of the set algebra commands.
struct SetOpArgs<'a> {
    keys: &'a [&'a [u8]],
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: usize,
}

/// Which command of the family is running.
#[derive(Debug, Clone, Copy)]
struct SetOpKind {
    op: SetOp,
    numkeys_at: usize,
    store: bool,
    card_only: bool,
}

impl SetOpKind {
    /// ZUNION/ZINTER/ZDIFF (`store` false: numkeys at 1) or their STORE
    /// variants (`store` true: destination at 1, numkeys at 2).
    const fn of(op: SetOp, store: bool) -> SetOpKind {
        SetOpKind {
            op,
            numkeys_at: if store { 2 } else { 1 },
            store,
            card_only: false,
        }
    }
}

/// Parses `numkeys key... [options]` as Redis's
/// `zunionInterDiffGenericCommand`, type-checking the keys before the
/// options.
fn parse_setop<'a>(
    ctx: &mut Ctx<'_>,
    argv: &'a [&'a [u8]],
    k: SetOpKind,
) -> Result<SetOpArgs<'a>, CmdError> {
    let n = args::int(argv[k.numkeys_at])?;
    if n < 1 {
        let name = String::from_utf8_lossy(argv[0]).to_lowercase();
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{name}' command"
        )));
    }
    let first = k.numkeys_at + 1;
    if n as u64 > (argv.len() - first) as u64 {
        return Err(CmdError::Syntax);
    }
    let keys = &argv[first..first + n as usize];
    for key in keys {
        if matches!(ctx.get(key), Some(v) if !matches!(v, ValueMut::ZSet(_) | ValueMut::Set(_))) {
            return Err(CmdError::WrongType);
        }
    }
    let mut a = SetOpArgs {
        keys,
        weights: vec![1.0; keys.len()],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    parse_setop_options(&argv[first + keys.len()..], k, &mut a)?;
    Ok(a)
}

/// The options after the keys (Redis 7.0 lets each repeat; the last wins).
fn parse_setop_options(
    opts: &[&[u8]],
    k: SetOpKind,
    a: &mut SetOpArgs<'_>,
) -> Result<(), CmdError> {
    let algebra = k.op != SetOp::Diff && !k.card_only;
    let mut j = 0;
    while j < opts.len() {
        let (opt, remaining) = (opts[j], opts.len() - j);
        if algebra && remaining > a.keys.len() && args::is(opt, "weights") {
            for (w, arg) in a.weights.iter_mut().zip(&opts[j + 1..]) {
                *w = num::parse_f64(arg)
                    .ok_or_else(|| CmdError::err("weight value is not a float"))?;
            }
            j += 1 + a.keys.len();
        } else if algebra && remaining >= 2 && args::is(opt, "aggregate") {
            a.aggregate = match opts[j + 1].to_ascii_lowercase().as_slice() {
                b"sum" => Aggregate::Sum,
                b"min" => Aggregate::Min,
                b"max" => Aggregate::Max,
                _ => return Err(CmdError::Syntax),
            };
            j += 2;
        } else if !k.store && !k.card_only && args::is(opt, "withscores") {
            a.withscores = true;
            j += 1;
        } else if k.card_only && remaining >= 2 && args::is(opt, "limit") {
            let l = num::parse_i64(opts[j + 1]).filter(|&l| l >= 0);
            a.limit = l.ok_or_else(|| CmdError::err("LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(())
}

/// The members of a union (Redis accumulates in input order, smallest
/// input first, which fixes the rounding of sums).
fn union<'a>(srcs: &[(Source<'a>, f64)], agg: Aggregate) -> Dict<f64> {
    let mut acc: Dict<f64> = Dict::with_capacity(srcs.last().map_or(0, |(s, _)| s.len()));
    for (src, w) in srcs {
        for (m, s) in src.iter() {
            let v = weighted(*w, s);
            match acc.get_mut(m) {
                Some(t) => agg.fold(t, v),
                None => {
                    acc.insert_new(m, v);
                }
            }
        }
    }
    acc
}

/// `w * s`, with NaN (0 × inf) taken as 0.
fn weighted(w: f64, s: f64) -> f64 {
    let v = w * s;
    if v.is_nan() { 0.0 } else { v }
}

/// Walks the smallest input and keeps the members every other input has;
/// `emit` gets each with its aggregated score and may stop the walk.
fn intersect<'a>(
    srcs: &[(Source<'a>, f64)],
    agg: Aggregate,
    mut emit: impl FnMut(&'a [u8], f64) -> bool,
) {
    let Some(((first, w0), rest)) = srcs.split_first() else {
        return;
    };
    for (m, s) in first.iter() {
        let mut score = weighted(*w0, s);
        // Unlike the first input's, the others' weighted NaN is folded as is.
        let everywhere = rest
            .iter()
            .all(|(src, w)| src.score(m).map(|v| agg.fold(&mut score, v * w)).is_some());
        if everywhere && !emit(m, score) {
            return;
        }
    }
}

/// The members of the first input that no other input has.
fn difference<'a>(srcs: &[(Source<'a>, f64)]) -> Vec<(&'a [u8], f64)> {
    let Some(((first, _), rest)) = srcs.split_first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter(|(m, _)| rest.iter().all(|(src, _)| src.score(m).is_none()))
        .collect()
}

/// Sorts in Redis's order: by score, then member bytes.
fn sort_scored(items: &mut [(&[u8], f64)]) {
    items.sort_unstable_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .expect("no NaN")
            .then_with(|| a.0.cmp(b.0))
    });
}

/// The whole family: parse, read every input at once, compute, then reply
/// or store.
fn setop_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], k: SetOpKind) -> CmdResult {
    let a = parse_setop(ctx, argv, k)?;
    let nested = ctx.resp3();
    let lim = Limits::read(ctx.shared());
    let result = {
        let view: &Ctx<'_> = ctx;
        let mut srcs: Vec<(Source<'_>, f64)> = a
            .keys
            .iter()
            .zip(&a.weights)
            .map(|(key, &w)| (Source::of(view.peek(key)), w))
            .collect();
        if k.op != SetOp::Diff {
            // Stable, like glibc's qsort on these inputs: equal sizes keep
            // their order, which fixes the order scores are summed in.
            srcs.sort_by_key(|(s, _)| s.len());
        }
        if k.card_only {
            let mut n = 0;
            intersect(&srcs, a.aggregate, |_, _| {
                n += 1;
                a.limit == 0 || n < a.limit
            });
            return Ok(Reply::Int(n as i64));
        }
        let acc;
        let mut items: Vec<(&[u8], f64)> = match k.op {
            SetOp::Union => {
                acc = union(&srcs, a.aggregate);
                acc.iter().map(|(m, s)| (m, *s)).collect()
            }
            SetOp::Inter => {
                let mut v = Vec::new();
                intersect(&srcs, a.aggregate, |m, s| {
                    v.push((m, s));
                    true
                });
                v
            }
            SetOp::Diff => difference(&srcs),
        };
        sort_scored(&mut items);
        if !k.store {
            return Ok(scored(items, a.withscores, nested));
        }
        build_stored(&items, &lim)
    };
    let event = match k.op {
        SetOp::Union => "zunionstore",
        SetOp::Inter => "zinterstore",
        SetOp::Diff => "zdiffstore",
    };
    store(ctx, argv[1], result, event)
}

/// The sorted set a *STORE command writes: a listpack when it fits
/// (Redis's `zsetConvertToListpackIfNeeded`).
fn build_stored(items: &[(&[u8], f64)], lim: &Limits) -> ZSet {
    let maxlen = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = ZSet::with_big(!lim.fit(items.len(), maxlen));
    for &(m, s) in items {
        z.insert(m, s);
    }
    z
}

// ---------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------

/// A score as a listpack holds it: integral values in ±2^62 as integers,
/// others as Redis's `d2string`.
fn listpack_score_text(s: f64) -> String {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if s.trunc() == s && (-LIMIT..=LIMIT).contains(&s) {
        (s as i64).to_string()
    } else {
        num::d2string(s)
    }
}

fn zscan(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    scan::parse_cursor(argv[2])?;
    let Some(z) = ctx.get_zset(argv[1])? else {
        return Ok(scan::reply(0, Vec::new()));
    };
    let opts = scan::parse(&argv[2..], false)?;
    let mut items = Vec::new();
    let mut emit = |m: &[u8], text: String| {
        if scan::matches(opts.pattern, m) {
            items.extend([Reply::bulk(m), Reply::Bulk(text.into_bytes())]);
        }
    };
    // A listpack is returned whole in one call; a skiplist's dict is walked.
    let next = if z.big {
        scan::walk(&z.dict, opts.cursor, opts.count, |m, s| {
            emit(m, num::fmt_g17(*s))
        })
    } else {
        z.iter().for_each(|(m, s)| emit(m, listpack_score_text(s)));
        0
    };
    Ok(scan::reply(next, items))
}
