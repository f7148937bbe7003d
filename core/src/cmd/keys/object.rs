//! OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP.
//!
//! Encodings are those Redis 7.0 would use, from the one-way `big` flags of
//! the values (lists are always `quicklist` in 7.0). As in Redis, FREQ
//! needs an LFU `maxmemory-policy` and IDLETIME a non-LFU one; each replies
//! Redis's error otherwise.

use crate::cmd::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{EntryRef, ValueRef};
use crate::reply::Reply;

/// The key argument of the subcommands.
const KEY2: Keys = Keys::Range {
    first: 2,
    last: 2,
    step: 1,
};

/// A key-reading OBJECT subcommand row.
const fn sub(
    name: &'static str,
    handler: super::super::table::Handler,
    summary: &'static str,
) -> Command {
    Command {
        name,
        arity: 3,
        flags: READONLY,
        acl: &["keyspace", "read", "slow"],
        keys: KEY2,
        handler,
        summary,
        since: "2.2.3",
        syntax: "key",
        ..BASE
    }
}

/// OBJECT's subcommands.
pub(super) const SUBCOMMANDS: &[Command] = &[
    sub(
        "encoding",
        encoding,
        "Inspect the internal encoding of a Redis object",
    ),
    Command {
        since: "4.0.0",
        ..sub(
            "freq",
            freq,
            "Get the logarithmic access frequency counter of a Redis object",
        )
    },
    sub(
        "idletime",
        idletime,
        "Get the time since a Redis object was last accessed",
    ),
    sub(
        "refcount",
        refcount,
        "Get the number of references to the value of the key",
    ),
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: &["keyspace", "slow"],
        handler: help,
        summary: "Show helpful text about the different subcommands",
        since: "6.2.0",
        ..BASE
    },
];

/// Redis's reference count of shared objects (`OBJ_SHARED_REFCOUNT`).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Integers below this are Redis's shared objects (`OBJ_SHARED_INTEGERS`).
const SHARED_INTEGERS: i64 = 10_000;

/// Runs `f` on the entry of the key at argv[2], or replies nil when absent.
/// The lookup leaves the access time alone, as Redis's OBJECT does.
fn with_entry(
    ctx: &mut Ctx<'_>,
    argv: &[&[u8]],
    f: impl FnOnce(EntryRef<'_>, u32) -> CmdResult,
) -> CmdResult {
    let lru = ctx.shared().lru_clock();
    match ctx.read_notouch(argv[2]) {
        Some(e) => f(e.view(), lru),
        None => Ok(Reply::Nil),
    }
}

/// The encoding name Redis 7.0 reports for `e` (strings: the strings
/// family's rules, which know the history `raw`/`not_int` record).
pub(crate) fn encoding_of(e: EntryRef<'_>) -> &'static str {
    match e.value() {
        ValueRef::Str(s) => crate::cmd::strings::encoding(s, e.raw(), e.not_int()),
        ValueRef::Hash(h) => h.encoding(),
        ValueRef::List(_) => "quicklist",
        ValueRef::Set(s) => s.encoding(),
        ValueRef::ZSet(z) => {
            if z.big {
                "skiplist"
            } else {
                "listpack"
            }
        }
    }
}

fn encoding(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    with_entry(ctx, argv, |e, _| Ok(Reply::Bulk(encoding_of(e).into())))
}

fn refcount(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    with_entry(ctx, argv, |e, _| Ok(Reply::Int(refcount_of(e))))
}

/// Redis's reference count of `e`'s value: small non-negative integers are
/// shared objects (refcount INT_MAX); every other value has its own object.
pub(crate) fn refcount_of(e: EntryRef<'_>) -> i64 {
    let shared = match e.value() {
        ValueRef::Str(s) if encoding_of(e) == "int" => {
            crate::num::parse_i64(s).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n))
        }
        _ => false,
    };
    if shared { SHARED_REFCOUNT } else { 1 }
}

/// Redis's text for both policy mismatches (`selected` or `not selected`).
fn policy_error(lfu: &str) -> CmdError {
    CmdError::err(format!(
        "An LFU maxmemory policy is {lfu}, {} not tracked. Please note that when switching \
         between policies at runtime LRU and LFU data will take some time to adjust.",
        if lfu == "selected" {
            "idle time"
        } else {
            "access frequency"
        }
    ))
}

/// True when `maxmemory-policy` is an LFU one (Redis's `MAXMEMORY_FLAG_LFU`).
fn lfu_policy(ctx: &Ctx<'_>) -> bool {
    ctx.shared()
        .config
        .get("maxmemory-policy")
        .is_some_and(|p| p.contains("lfu"))
}

fn idletime(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let lfu = lfu_policy(ctx);
    with_entry(ctx, argv, |e, lru| {
        if lfu {
            return Err(policy_error("selected"));
        }
        Ok(Reply::Int(e.idle(lru).into()))
    })
}

/// Redis's initial LFU counter of a new object (`LFU_INIT_VAL`).
const LFU_INIT_VAL: i64 = 5;

/// Under an LFU policy, Redis reports a logarithmic access counter that
/// starts at 5 and decays by one every `lfu-decay-time` minutes without
/// access. The engine keeps one access time per key, not that counter, so
/// it reports the decayed initial value: exact for keys not read since they
/// were written, a lower bound otherwise.
fn freq(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let lfu = lfu_policy(ctx);
    let decay = match ctx.shared().config.get("lfu-decay-time") {
        Some(v) => v.parse::<i64>().unwrap_or(1),
        None => 1,
    };
    with_entry(ctx, argv, |e, lru| {
        if !lfu {
            return Err(policy_error("not selected"));
        }
        let idle_minutes = i64::from(e.idle(lru)) / 60;
        let periods = if decay > 0 { idle_minutes / decay } else { 0 };
        Ok(Reply::Int((LFU_INIT_VAL - periods).max(0)))
    })
}

/// The lines of OBJECT HELP, as Redis prints them.
const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

fn help(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Array(
        HELP.iter().map(|l| Reply::Status((*l).into())).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_errors_are_redis_texts() {
        assert_eq!(
            policy_error("not selected").to_string(),
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please \
             note that when switching between policies at runtime LRU and LFU data will take \
             some time to adjust."
        );
        assert_eq!(
            policy_error("selected").to_string(),
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that \
             when switching between policies at runtime LRU and LFU data will take some time \
             to adjust."
        );
    }
}
