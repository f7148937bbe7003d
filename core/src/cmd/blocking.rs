//! The blocking list and sorted set commands: BLPOP, BRPOP, BLMOVE,
//! BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP. Each parses its
//! arguments and timeout in Redis's order and with its error texts, tries
//! its non-blocking form on the keys in order, and otherwise waits (see
//! [`crate::blocking`]); inside MULTI/EXEC and scripts it answers as if
//! the timeout had passed, as Redis does.

use super::table::{BASE, Command, Keys, flags::*};
use super::{list, zset};
use crate::blocking::{Op, Wait, try_op};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::reply::Reply;
use std::time::Duration;

const ACL_LIST: &[&str] = &["write", "list", "slow", "blocking"];
const ACL_ZSET: &[&str] = &["write", "sortedset", "slow", "blocking"];

/// Every key but the trailing timeout.
const KEYS_BUT_LAST: Keys = Keys::Range {
    first: 1,
    last: -2,
    step: 1,
};

/// Keys counted at index 2 (after the timeout).
const COUNTED_KEYS: Keys = Keys::NumKeys {
    count_at: 2,
    dest: None,
};

const ROW: Command = Command {
    group: "list",
    flags: WRITE | NOSCRIPT | BLOCKING,
    acl: ACL_LIST,
    since: "2.0.0",
    ..BASE
};

const ZROW: Command = Command {
    group: "sorted-set",
    flags: WRITE | NOSCRIPT | BLOCKING | FAST,
    acl: &["write", "sortedset", "fast", "blocking"],
    since: "5.0.0",
    ..BASE
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "blpop",
        arity: -3,
        keys: KEYS_BUT_LAST,
        handler: |c, a| bpop(c, a, true),
        summary: "Remove and get the first element in a list, or block until one is available",
        syntax: "key [key ...] timeout",
        complexity: "O(N) where N is the number of provided keys.",
        ..ROW
    },
    Command {
        name: "brpop",
        arity: -3,
        keys: KEYS_BUT_LAST,
        handler: |c, a| bpop(c, a, false),
        summary: "Remove and get the last element in a list, or block until one is available",
        syntax: "key [key ...] timeout",
        complexity: "O(N) where N is the number of provided keys.",
        ..ROW
    },
    Command {
        name: "blmove",
        arity: 6,
        flags: WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        keys: Keys::FIRST_TWO,
        handler: blmove,
        summary: "Pop an element from a list, push it to another list and return it; or block \
                  until one is available",
        since: "6.2.0",
        syntax: "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout",
        complexity: "O(1)",
        ..ROW
    },
    Command {
        name: "brpoplpush",
        arity: 4,
        flags: WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        keys: Keys::FIRST_TWO,
        handler: brpoplpush,
        summary: "Pop an element from a list, push it to another list and return it; or block \
                  until one is available",
        since: "2.2.0",
        syntax: "source destination timeout",
        complexity: "O(1)",
        ..ROW
    },
    Command {
        name: "blmpop",
        arity: -5,
        flags: WRITE | BLOCKING,
        keys: COUNTED_KEYS,
        handler: blmpop,
        summary: "Pop elements from a list, or block until one is available",
        since: "7.0.0",
        syntax: "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of \
                     elements returned.",
        ..ROW
    },
    Command {
        name: "bzpopmin",
        arity: -3,
        keys: KEYS_BUT_LAST,
        handler: |c, a| bzpop(c, a, false),
        summary: "Remove and return the member with the lowest score from one or more sorted \
                  sets, or block until one is available",
        syntax: "key [key ...] timeout",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        ..ZROW
    },
    Command {
        name: "bzpopmax",
        arity: -3,
        keys: KEYS_BUT_LAST,
        handler: |c, a| bzpop(c, a, true),
        summary: "Remove and return the member with the highest score from one or more sorted \
                  sets, or block until one is available",
        syntax: "key [key ...] timeout",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        ..ZROW
    },
    Command {
        name: "bzmpop",
        arity: -5,
        flags: WRITE | BLOCKING,
        acl: ACL_ZSET,
        keys: COUNTED_KEYS,
        handler: bzmpop,
        summary: "Remove and return members with scores in a sorted set or block until one is \
                  available",
        since: "7.0.0",
        syntax: "timeout numkeys key [key ...] <MIN | MAX> [COUNT count]",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the \
                     number of elements in the sorted set, and M being the number of elements \
                     popped.",
        ..ZROW
    },
];

/// A timeout in seconds as Redis's `getTimeoutFromObjectOrReply` reads it:
/// a C `long double` (hex and `inf` included) turned into milliseconds
/// rounded up (so a positive timeout waits at least 1 ms; a value past
/// `i64` becomes its minimum, so negative); `None` for 0 (and anything in
/// (-0.001, 0]), which waits forever.
pub(crate) fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, CmdError> {
    let ms = crate::num::seconds_to_millis(arg)
        .ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    match ms {
        ..0 => Err(CmdError::err("timeout is negative")),
        0 => Ok(None),
        ms => Ok(Some(Duration::from_millis(ms as u64))),
    }
}

/// Tries `op` on each key in order; waits on all of them when none has
/// anything. Where blocking is not allowed the answer is the non-blocking
/// form's null: a null array, but a null bulk for BLMOVE (`moves`); a wait
/// that times out always gets a null array, as in Redis.
fn serve_or_wait(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    op: Op,
    timeout: Option<Duration>,
    ends: Option<[&[u8]; 2]>,
) -> CmdResult {
    for key in keys {
        if let Some(r) = try_op(ctx, key, &op, true, ends)? {
            return Ok(r);
        }
    }
    if !ctx.may_block() {
        return Ok(match op {
            Op::Move { .. } => Reply::Nil,
            _ => Reply::NilArray,
        });
    }
    Ok(ctx.block(Wait {
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        op,
        timeout,
        timeout_reply: Reply::NilArray,
    }))
}

/// BLPOP/BRPOP key [key ...] timeout.
fn bpop(ctx: &mut Ctx<'_>, argv: &[&[u8]], left: bool) -> CmdResult {
    let (timeout, keys) = argv[1..].split_last().expect("arity -3");
    let timeout = parse_timeout(timeout)?;
    serve_or_wait(ctx, keys, Op::Pop { left }, timeout, None)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
fn blmove(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let from_left = list::parse_end(argv[3])?;
    let to_left = list::parse_end(argv[4])?;
    let timeout = parse_timeout(argv[5])?;
    let op = Op::Move {
        dst: argv[2].to_vec(),
        from_left,
        to_left,
        rpoplpush: false,
    };
    serve_or_wait(ctx, &argv[1..2], op, timeout, Some([argv[3], argv[4]]))
}

/// BRPOPLPUSH source destination timeout.
fn brpoplpush(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let timeout = parse_timeout(argv[3])?;
    let op = Op::Move {
        dst: argv[2].to_vec(),
        from_left: false,
        to_left: true,
        rpoplpush: true,
    };
    serve_or_wait(ctx, &argv[1..2], op, timeout, None)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
fn blmpop(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let a = list::parse_mpop(argv, 2)?;
    let timeout = parse_timeout(argv[1])?;
    let op = Op::MPop {
        left: a.left,
        count: a.count,
    };
    serve_or_wait(ctx, a.keys, op, timeout, None)
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout.
fn bzpop(ctx: &mut Ctx<'_>, argv: &[&[u8]], max: bool) -> CmdResult {
    let (timeout, keys) = argv[1..].split_last().expect("arity -3");
    let timeout = parse_timeout(timeout)?;
    serve_or_wait(ctx, keys, Op::ZPop { max }, timeout, None)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
fn bzmpop(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let a = zset::parse_zmpop(argv, 2)?;
    let timeout = parse_timeout(argv[1])?;
    let op = Op::ZMPop {
        max: a.max,
        count: a.count,
    };
    serve_or_wait(ctx, a.keys, op, timeout, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_as_redis_does() {
        let ms = |s: &str| parse_timeout(s.as_bytes()).map(|d| d.map(|d| d.as_millis()));
        assert_eq!(ms("0"), Ok(None));
        assert_eq!(ms("1e-5"), Ok(Some(1)));
        assert_eq!(ms("0.001"), Ok(Some(1)));
        assert_eq!(ms("-0.0001"), Ok(None));
        assert_eq!(ms("0.5"), Ok(Some(500)));
        assert_eq!(ms("0x10"), Ok(Some(16_000)));
        let negative = Err(CmdError::err("timeout is negative"));
        for s in ["-1", "inf", "-inf", "1e30", "9223372036854776"] {
            assert_eq!(ms(s), negative, "{s}");
        }
        assert!(ms("9223372036854775").unwrap().is_some());
        let bad = Err(CmdError::err("timeout is not a float or out of range"));
        for s in ["abc", "", " 1", "1 ", "nan"] {
            assert_eq!(ms(s), bad, "{s:?}");
        }
    }
}
