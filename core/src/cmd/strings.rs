//! The string commands: GET, SET and its variants, MGET/MSET, GETEX,
//! GETDEL, APPEND, ranges, counters, INCRBYFLOAT and LCS.
//!
//! Strings are bytes, stored inline in their keyspace node when short (see
//! [`Table`](crate::keyspace::Table)), so they change through
//! [`EntryMut`](crate::keyspace::EntryMut). Redis also tracks how it stores a
//! string (`int`, `embstr`, `raw`); [`encoding`] derives that from the bytes
//! and two entry flags, which the commands here keep up to date (see its doc).
//!
//! [`get`] and [`set`] are the plain GET/SET paths, shared with typed fast
//! paths so that both run the same code.

use super::args;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::engine::Shared;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{Entry, Value, ValueMut};
use crate::num;
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use std::io::Write;

/// ACL categories of the fast and slow reads and writes.
const READ_FAST: &[&str] = &["read", "string", "fast"];
const READ_SLOW: &[&str] = &["read", "string", "slow"];
const WRITE_FAST: &[&str] = &["write", "string", "fast"];
const WRITE_SLOW: &[&str] = &["write", "string", "slow"];

/// A row of this family (group `string`, one key at index 1 unless overridden).
const ROW: Command = Command {
    group: "string",
    keys: Keys::FIRST,
    ..BASE
};

/// MSET/MSETNX: keys at 1, 3, 5, ... (each followed by its value).
const KEY_VALUE_PAIRS: Keys = Keys::Range {
    first: 1,
    last: -1,
    step: 2,
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: 2,
        flags: READONLY | FAST,
        acl: READ_FAST,
        handler: get_cmd,
        summary: "Get the value of a key",
        syntax: "key",
        ..ROW
    },
    Command {
        name: "set",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW,
        handler: set_cmd,
        summary: "Set the string value of a key",
        syntax: "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
        ..ROW
    },
    Command {
        name: "setnx",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: setnx,
        summary: "Set the value of a key, only if the key does not exist",
        syntax: "key value",
        ..ROW
    },
    Command {
        name: "setex",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW,
        handler: |c, a| set_with_time(c, a, opt::EX, "setex"),
        summary: "Set the value and expiration of a key",
        since: "2.0.0",
        syntax: "key seconds value",
        ..ROW
    },
    Command {
        name: "psetex",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW,
        handler: |c, a| set_with_time(c, a, opt::PX, "psetex"),
        summary: "Set the value and expiration in milliseconds of a key",
        since: "2.6.0",
        syntax: "key milliseconds value",
        ..ROW
    },
    Command {
        name: "mget",
        arity: -2,
        flags: READONLY | FAST,
        acl: READ_FAST,
        keys: Keys::Range {
            first: 1,
            last: -1,
            step: 1,
        },
        handler: mget,
        summary: "Get the values of all the given keys",
        syntax: "key [key ...]",
        ..ROW
    },
    Command {
        name: "mset",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW,
        keys: KEY_VALUE_PAIRS,
        handler: mset,
        summary: "Set multiple keys to multiple values",
        since: "1.0.1",
        syntax: "key value [key value ...]",
        ..ROW
    },
    Command {
        name: "msetnx",
        arity: -3,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW,
        keys: KEY_VALUE_PAIRS,
        handler: msetnx,
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        since: "1.0.1",
        syntax: "key value [key value ...]",
        ..ROW
    },
    Command {
        name: "getset",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: getset,
        summary: "Set the string value of a key and return its old value",
        syntax: "key value",
        ..ROW
    },
    Command {
        name: "getdel",
        arity: 2,
        flags: WRITE | FAST,
        acl: WRITE_FAST,
        handler: getdel,
        summary: "Get the value of a key and delete the key",
        since: "6.2.0",
        syntax: "key",
        ..ROW
    },
    Command {
        name: "getex",
        arity: -2,
        flags: WRITE | FAST,
        acl: WRITE_FAST,
        handler: getex,
        summary: "Get the value of a key and optionally set its expiration",
        since: "6.2.0",
        syntax: "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
        ..ROW
    },
    Command {
        name: "append",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: append,
        summary: "Append a value to a key",
        since: "2.0.0",
        syntax: "key value",
        ..ROW
    },
    Command {
        name: "strlen",
        arity: 2,
        flags: READONLY | FAST,
        acl: READ_FAST,
        handler: strlen,
        summary: "Get the length of the value stored in a key",
        since: "2.2.0",
        syntax: "key",
        ..ROW
    },
    Command {
        name: "getrange",
        arity: 4,
        flags: READONLY,
        acl: READ_SLOW,
        handler: getrange,
        summary: "Get a substring of the string stored at a key",
        since: "2.4.0",
        syntax: "key start end",
        ..ROW
    },
    Command {
        name: "substr",
        arity: 4,
        flags: READONLY,
        acl: READ_SLOW,
        handler: getrange,
        summary: "Get a substring of the string stored at a key",
        syntax: "key start end",
        ..ROW
    },
    Command {
        name: "setrange",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: WRITE_SLOW,
        handler: setrange,
        summary: "Overwrite part of a string at key starting at the specified offset",
        since: "2.2.0",
        syntax: "key offset value",
        ..ROW
    },
    Command {
        name: "incr",
        arity: 2,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: incr,
        summary: "Increment the integer value of a key by one",
        syntax: "key",
        ..ROW
    },
    Command {
        name: "incrby",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: incrby,
        summary: "Increment the integer value of a key by the given amount",
        syntax: "key increment",
        ..ROW
    },
    Command {
        name: "decr",
        arity: 2,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: decr,
        summary: "Decrement the integer value of a key by one",
        syntax: "key",
        ..ROW
    },
    Command {
        name: "decrby",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: decrby,
        summary: "Decrement the integer value of a key by the given number",
        syntax: "key decrement",
        ..ROW
    },
    Command {
        name: "incrbyfloat",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        acl: WRITE_FAST,
        handler: incrbyfloat,
        summary: "Increment the float value of a key by the given amount",
        since: "2.6.0",
        syntax: "key increment",
        ..ROW
    },
    Command {
        name: "lcs",
        arity: -3,
        flags: READONLY,
        acl: READ_SLOW,
        keys: Keys::Range {
            first: 1,
            last: 2,
            step: 1,
        },
        handler: lcs,
        summary: "Find longest common substring",
        since: "7.0.0",
        syntax: "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]",
        ..ROW
    },
];

// ---------------------------------------------------------------------------
// Encoding and storage helpers shared with the bitmap commands.
// ---------------------------------------------------------------------------

/// Longest string Redis stores as `embstr` (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
const EMBSTR_MAX: usize = 44;

/// Smallest value Redis accepts for `proto-max-bulk-len`: sizes below it
/// never need the configuration read.
const MIN_BULK_LIMIT: u64 = 1024 * 1024;

/// The OBJECT ENCODING Redis 7.0 would report for a string entry.
///
/// Redis stores a string as `int` when `tryObjectEncoding` finds it is a
/// canonical integer of at most 20 characters (SET, MSET, APPEND on a new
/// key, GETSET, ...; INCR/DECR results always are), as `embstr` when it has
/// at most 44 bytes, and as `raw` otherwise. Two entry flags carry what the
/// bytes cannot tell: `raw` once the string was modified in place (APPEND on
/// an existing key, SETRANGE, SETBIT, BITFIELD writes, BITOP results), and
/// `not_int` for INCRBYFLOAT results, which Redis never integer-encodes.
pub(crate) fn encoding(s: &[u8], raw: bool, not_int: bool) -> &'static str {
    if raw {
        "raw"
    } else if !not_int && s.len() <= 20 && num::parse_i64(s).is_some() {
        "int"
    } else if s.len() <= EMBSTR_MAX {
        "embstr"
    } else {
        "raw"
    }
}

/// GET: the string at `key` (None when absent), or WRONGTYPE. Counts a
/// keyspace hit or miss, as every read does.
#[inline]
pub(crate) fn get<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c [u8]>, CmdError> {
    match ctx.get(key) {
        None => Ok(None),
        Some(ValueMut::Str(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// SET without options: stores `value` at `key`, replacing any value and
/// dropping any TTL.
#[inline]
pub(crate) fn set(ctx: &mut Ctx<'_>, key: &[u8], value: &[u8]) {
    ctx.set_str(key, value);
    ctx.modified(key);
    ctx.notify(ev::STRING, "set", key);
}

/// How Redis built a string it stores without `tryObjectEncoding`, which
/// decides its OBJECT ENCODING (see [`encoding`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Built {
    /// Built in place (SETRANGE, SETBIT, BITFIELD, BITOP): always `raw`.
    InPlace,
    /// A formatted number (INCRBYFLOAT): `embstr` or `raw` by length, never `int`.
    Formatted,
}

/// Stores `value` as a new entry at `key` (replacing any value and TTL).
pub(crate) fn add_string(ctx: &mut Ctx<'_>, key: &[u8], value: Vec<u8>, built: Built) {
    let mut e = Entry::new(Value::Str(value));
    // A new object carries the LRU clock (OBJECT IDLETIME 0), as createObject.
    e.access = ctx.shared().lru_clock();
    e.raw = built == Built::InPlace;
    e.not_int = built == Built::Formatted;
    let db = ctx.db();
    ctx.insert_entry_in(db, key, e);
}

/// Refuses a string of `size` bytes when it exceeds `proto-max-bulk-len`,
/// with Redis's `checkStringLength` error; called before allocating.
pub(crate) fn check_size(shared: &Shared, size: u64) -> Result<(), CmdError> {
    if size < MIN_BULK_LIMIT || size <= max_bulk_len(shared) {
        Ok(())
    } else {
        Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ))
    }
}

/// The `proto-max-bulk-len` limit, in bytes.
pub(crate) fn max_bulk_len(shared: &Shared) -> u64 {
    shared.config.get_int("proto-max-bulk-len").max(0) as u64
}

/// The argument as C sees it: up to its first NUL byte. Redis compares
/// option names with `strcasecmp` and single-character tests, which stop
/// there.
pub(crate) fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter().position(|&b| b == 0).map_or(arg, |i| &arg[..i])
}

/// The decimal digits of `v`, formatted on the stack.
fn int_digits(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut w = &mut buf[..];
    write!(w, "{v}").expect("an i64 has at most 20 characters");
    let left = w.len();
    &buf[..20 - left]
}

// ---------------------------------------------------------------------------
// GET, SET and variants.
// ---------------------------------------------------------------------------

fn get_cmd(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(get(ctx, argv[1])?.map_or(Reply::Nil, Reply::bulk))
}

/// Option bits of SET and GETEX (Redis's `OBJ_*` flags).
mod opt {
    /// Only if absent.
    pub const NX: u16 = 1 << 0;
    /// Only if present.
    pub const XX: u16 = 1 << 1;
    /// Relative expiry in seconds.
    pub const EX: u16 = 1 << 2;
    /// Relative expiry in milliseconds.
    pub const PX: u16 = 1 << 3;
    /// Keep the current TTL.
    pub const KEEPTTL: u16 = 1 << 4;
    /// Reply with the old value.
    pub const GET: u16 = 1 << 5;
    /// Absolute expiry in Unix seconds.
    pub const EXAT: u16 = 1 << 6;
    /// Absolute expiry in Unix milliseconds.
    pub const PXAT: u16 = 1 << 7;
    /// Remove the TTL (GETEX).
    pub const PERSIST: u16 = 1 << 8;
    /// Any expiry option.
    pub const EXPIRY: u16 = EX | PX | EXAT | PXAT;
}

/// Parsed SET/GETEX options: flag bits and the expiry argument.
#[derive(Debug, Default, Clone, Copy)]
struct ExtOpts<'a> {
    flags: u16,
    expire: Option<&'a [u8]>,
}

impl<'a> ExtOpts<'a> {
    /// Options that set `flag` with the given expiry argument.
    fn with(flag: u16, expire: &'a [u8]) -> Self {
        ExtOpts {
            flags: flag,
            expire: Some(expire),
        }
    }

    fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// Parses SET's (`set` true) or GETEX's options as Redis's
    /// `parseExtendedStringArgumentsOrReply`: an option conflicting with an
    /// earlier one, or an expiry without its value, is a syntax error; a
    /// repeated option is accepted and the last expiry wins.
    fn parse(args: &[&'a [u8]], set: bool) -> Result<Self, CmdError> {
        use opt::*;
        let mut o = ExtOpts::default();
        let mut i = 0;
        while i < args.len() {
            let word = c_str(args[i]);
            let next = args.get(i + 1).copied();
            let f = o.flags;
            let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
            if set && is("nx") && f & XX == 0 {
                o.flags |= NX;
            } else if set && is("xx") && f & NX == 0 {
                o.flags |= XX;
            } else if set && is("get") {
                o.flags |= GET;
            } else if set && is("keepttl") && f & (PERSIST | EXPIRY) == 0 {
                o.flags |= KEEPTTL;
            } else if !set && is("persist") && f & (KEEPTTL | EXPIRY) == 0 {
                o.flags |= PERSIST;
            } else {
                let unit = [("ex", EX), ("px", PX), ("exat", EXAT), ("pxat", PXAT)]
                    .into_iter()
                    .find(|(w, _)| is(w))
                    .map(|(_, u)| u);
                match (unit, next) {
                    (Some(u), Some(v)) if f & (KEEPTTL | PERSIST | (EXPIRY & !u)) == 0 => {
                        o.flags |= u;
                        o.expire = Some(v);
                        i += 1;
                    }
                    _ => return Err(CmdError::Syntax),
                }
            }
            i += 1;
        }
        Ok(o)
    }

    /// The absolute deadline in Unix ms the expiry option asks for (None
    /// without one), with Redis's checks: a non-positive value, a seconds
    /// value whose milliseconds overflow, or a relative time that overflows
    /// once the current time is added is `invalid expire time in '<cmd>'`.
    fn deadline(&self, ctx: &mut Ctx<'_>, cmd: &str) -> Result<Option<u64>, CmdError> {
        let Some(arg) = self.expire else {
            return Ok(None);
        };
        let invalid = || CmdError::err(format!("invalid expire time in '{cmd}' command"));
        let mut ms = args::int(arg)?;
        let seconds = self.has(opt::EX | opt::EXAT);
        if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
            return Err(invalid());
        }
        if seconds {
            ms *= 1000;
        }
        if self.has(opt::EX | opt::PX) {
            // Redis adds in signed 64-bit arithmetic; an overflow shows up as
            // a non-positive deadline.
            ms = ms.wrapping_add(ctx.now() as i64);
        }
        if ms <= 0 {
            return Err(invalid());
        }
        Ok(Some(ms as u64))
    }
}

fn set_cmd(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() == 3 {
        set(ctx, argv[1], argv[2]);
        return Ok(Reply::ok());
    }
    let opts = ExtOpts::parse(&argv[3..], true)?;
    set_generic(ctx, argv, opts, "set", (Reply::ok(), Reply::Nil))
}

fn setnx(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let opts = ExtOpts {
        flags: opt::NX,
        expire: None,
    };
    set_generic(ctx, argv, opts, "setnx", (Reply::Int(1), Reply::Int(0)))
}

/// SETEX and PSETEX: `name key time value` with the time's unit given by
/// `unit` (EX or PX).
fn set_with_time(ctx: &mut Ctx<'_>, argv: &[&[u8]], unit: u16, name: &str) -> CmdResult {
    let opts = ExtOpts::with(unit, argv[2]);
    let argv = [argv[0], argv[1], argv[3]];
    set_generic(ctx, &argv, opts, name, (Reply::ok(), Reply::Nil))
}

/// Redis's `setGenericCommand` for `argv` = [name, key, value]: validates
/// the expiry, reads the old value for GET, applies NX/XX, stores (keeping
/// the TTL for KEEPTTL) and sets the expiry. `replies` are (done, aborted);
/// with GET the reply is the old value either way.
fn set_generic(
    ctx: &mut Ctx<'_>,
    argv: &[&[u8]],
    opts: ExtOpts<'_>,
    cmd: &str,
    replies: (Reply, Reply),
) -> CmdResult {
    let (key, value) = (argv[1], argv[2]);
    let deadline = opts.deadline(ctx, cmd)?;
    let old = if opts.has(opt::GET) {
        Some(get(ctx, key)?.map_or(Reply::Nil, Reply::bulk))
    } else {
        None
    };
    let found = ctx.exists(key);
    if (opts.has(opt::NX) && found) || (opts.has(opt::XX) && !found) {
        return Ok(old.unwrap_or(replies.1));
    }
    if opts.has(opt::KEEPTTL) {
        ctx.set_str_keep_ttl(key, value);
    } else {
        ctx.set_str(key, value);
    }
    ctx.modified(key);
    ctx.notify(ev::STRING, "set", key);
    if let Some(at) = deadline {
        ctx.set_expire(key, at);
        ctx.notify(ev::GENERIC, "expire", key);
    }
    if ctx.propagating() {
        propagate_set(ctx, argv, deadline, opts.has(opt::GET));
    }
    Ok(old.unwrap_or(replies.0))
}

/// What a SET (or SETEX, PSETEX) that stored its value propagates, as
/// Redis 7.0's `setGenericCommand`: with an expiry, `SET key value PXAT
/// <ms>`; else with GET, its own arguments without the GETs; else itself.
fn propagate_set(ctx: &mut Ctx<'_>, argv: &[&[u8]], deadline: Option<u64>, get: bool) {
    if let Some(at) = deadline {
        let at = at.to_string();
        ctx.propagate_as(&[b"SET", argv[1], argv[2], b"PXAT", at.as_bytes()]);
    } else if get {
        // Redis skips every argument after the value that is `get` as a
        // C string.
        let kept: Vec<&[u8]> = argv
            .iter()
            .enumerate()
            .filter(|&(i, a)| i < 3 || !c_str(a).eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| *a)
            .collect();
        ctx.propagate_as(&kept);
    }
}

fn getex(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let opts = ExtOpts::parse(&argv[2..], false)?;
    // The expiry is validated only once the key is known to be a string,
    // but computing it first has no side effect.
    let deadline = opts.deadline(ctx, "getex");
    let (reply, deadline) = match get(ctx, key)? {
        None => return Ok(Reply::Nil),
        Some(v) => {
            let deadline = deadline?;
            (Reply::bulk(v), deadline)
        }
    };
    if let Some(at) = deadline {
        // A deadline already past deletes the key (EXAT/PXAT in the past).
        let past = ctx.deadline_passed(at);
        if past {
            ctx.delete(key);
        } else {
            ctx.set_expire(key, at);
        }
        ctx.modified(key);
        ctx.notify(ev::GENERIC, if past { "del" } else { "expire" }, key);
        if past {
            ctx.propagate_del(key, "lazyfree-lazy-expire");
        } else if ctx.propagating() {
            let at = at.to_string();
            ctx.propagate_as(&[b"PEXPIREAT", key, at.as_bytes()]);
        }
    } else if opts.has(opt::PERSIST) && ctx.persist(key) {
        ctx.modified(key);
        ctx.notify(ev::GENERIC, "persist", key);
        ctx.propagate_as(&[b"PERSIST", key]);
    }
    Ok(reply)
}

fn getdel(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    if get(ctx, key)?.is_none() {
        return Ok(Reply::Nil);
    }
    let db = ctx.db();
    let entry = ctx.remove_in(db, key).expect("just read");
    ctx.modified(key);
    ctx.notify(ev::GENERIC, "del", key);
    ctx.propagate_del(key, "lazyfree-lazy-user-del");
    match entry.value {
        Value::Str(s) => Ok(Reply::Bulk(s)),
        _ => Err(CmdError::WrongType),
    }
}

fn getset(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let old = match ctx.get(key) {
        None => Reply::Nil,
        Some(ValueMut::Str(s)) => Reply::bulk(s),
        Some(_) => return Err(CmdError::WrongType),
    };
    set(ctx, key, argv[2]);
    ctx.propagate_as(&[b"SET", key, argv[2]]);
    Ok(old)
}

fn mget(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let values = argv[1..]
        .iter()
        .map(|k| match ctx.get(k) {
            Some(ValueMut::Str(s)) => Reply::bulk(s),
            _ => Reply::Nil,
        })
        .collect();
    Ok(Reply::Array(values))
}

/// Checks MSET's argument count (pairs after the name).
fn check_pairs(argv: &[&[u8]], cmd: &str) -> Result<(), CmdError> {
    if argv.len() % 2 == 0 {
        return Err(CmdError::Arity(cmd.into()));
    }
    Ok(())
}

fn mset_pairs(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    for pair in argv[1..].chunks_exact(2) {
        set(ctx, pair[0], pair[1]);
    }
}

fn mset(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    check_pairs(argv, "mset")?;
    mset_pairs(ctx, argv);
    Ok(Reply::ok())
}

fn msetnx(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    check_pairs(argv, "msetnx")?;
    if argv[1..].iter().step_by(2).any(|k| ctx.exists(k)) {
        return Ok(Reply::Int(0));
    }
    mset_pairs(ctx, argv);
    Ok(Reply::Int(1))
}

// ---------------------------------------------------------------------------
// APPEND, STRLEN, GETRANGE, SETRANGE.
// ---------------------------------------------------------------------------

fn append(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let (key, tail) = (argv[1], argv[2]);
    let shared = ctx.shared();
    let len = match ctx.entry(key) {
        Some(e) => {
            let cur = e.value().as_str()?.len();
            check_size(shared, (cur + tail.len()) as u64)?;
            let s = e.into_padded_str(cur + tail.len())?;
            s[cur..].copy_from_slice(tail);
            s.len()
        }
        None => {
            ctx.set_str(key, tail);
            tail.len()
        }
    };
    ctx.modified(key);
    ctx.notify(ev::STRING, "append", key);
    Ok(Reply::Int(len as i64))
}

fn strlen(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(get(ctx, argv[1])?.map_or(0, <[u8]>::len) as i64))
}

/// The byte range `[start, end]` (inclusive, negative from the end) of a
/// `len`-byte string, clamped as GETRANGE does; None when empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let start = if start < 0 { start + len } else { start }.max(0);
    let end = if end < 0 { end + len } else { end }.max(0).min(len - 1);
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

fn getrange(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let start = args::int(argv[2])?;
    let end = args::int(argv[3])?;
    let s = get(ctx, argv[1])?.unwrap_or_default();
    Ok(match clamp_range(start, end, s.len()) {
        Some((a, b)) => Reply::bulk(&s[a..=b]),
        None => Reply::Bulk(Vec::new()),
    })
}

fn setrange(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let (key, value) = (argv[1], argv[3]);
    let offset = args::int(argv[2])?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let offset = offset as u64;
    let shared = ctx.shared();
    // Checked before any allocation: offset + len cannot overflow a u64.
    let fits = || check_size(shared, offset + value.len() as u64);
    let (offset, end) = (offset as usize, offset as usize + value.len());
    let len = match ctx.entry(key) {
        Some(e) => {
            let cur = e.value().as_str()?.len();
            if value.is_empty() {
                return Ok(Reply::Int(cur as i64));
            }
            fits()?;
            let s = e.into_padded_str(end)?;
            s[offset..end].copy_from_slice(value);
            s.len()
        }
        None => {
            if value.is_empty() {
                return Ok(Reply::Int(0));
            }
            fits()?;
            let mut s = vec![0; end];
            s[offset..].copy_from_slice(value);
            add_string(ctx, key, s, Built::InPlace);
            end
        }
    };
    ctx.modified(key);
    ctx.notify(ev::STRING, "setrange", key);
    Ok(Reply::Int(len as i64))
}

// ---------------------------------------------------------------------------
// Counters.
// ---------------------------------------------------------------------------

fn incr(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    incr_by(ctx, argv[1], 1)
}

fn decr(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    incr_by(ctx, argv[1], -1)
}

fn incrby(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    incr_by(ctx, argv[1], args::int(argv[2])?)
}

fn decrby(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let by = args::int(argv[2])?;
    // Negating LLONG_MIN would overflow: Redis refuses it before the lookup.
    if by == i64::MIN {
        return Err(CmdError::err("decrement would overflow"));
    }
    incr_by(ctx, argv[1], -by)
}

/// INCRBY: adds `delta` to the integer at `key` (0 when absent), keeping its
/// TTL; the result is integer-encoded.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> CmdResult {
    let add = |cur: i64| cur.checked_add(delta).ok_or(CmdError::Overflow);
    let mut buf = [0; 20];
    let v = match ctx.entry(key) {
        Some(mut e) => {
            let s = e.value().as_str()?;
            let v = add(num::parse_i64(s).ok_or(CmdError::NotInt)?)?;
            e.replace_str(int_digits(v, &mut buf));
            v
        }
        None => {
            let v = add(0)?;
            ctx.set_str(key, int_digits(v, &mut buf));
            v
        }
    };
    ctx.modified(key);
    ctx.notify(ev::STRING, "incrby", key);
    Ok(Reply::Int(v))
}

fn incrbyfloat(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let (key, by) = (argv[1], argv[2]);
    let sum = |cur: Option<&[u8]>| {
        num::ld_incr(cur, by).map_err(|e| match e {
            num::LdError::NotFloat => CmdError::NotFloat,
            num::LdError::NanOrInf => CmdError::err("increment would produce NaN or Infinity"),
        })
    };
    let v = match ctx.entry(key) {
        Some(mut e) => {
            let v = sum(Some(e.value().as_str()?))?;
            // Redis stores the formatted result as a plain string (TTL kept).
            e.replace_str(&v);
            e.set_not_int(true);
            v
        }
        None => {
            let v = sum(None)?;
            add_string(ctx, key, v.clone(), Built::Formatted);
            v
        }
    };
    ctx.modified(key);
    ctx.notify(ev::STRING, "incrbyfloat", key);
    // The result, not the increment: float formatting may differ between
    // the machine that ran it and the one that replays it.
    ctx.propagate_as(&[b"SET", key, &v, b"KEEPTTL"]);
    Ok(Reply::Bulk(v))
}

// ---------------------------------------------------------------------------
// LCS.
// ---------------------------------------------------------------------------

/// LCS options.
#[derive(Debug, Default)]
struct LcsOpts {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

impl LcsOpts {
    fn parse(args: &[&[u8]]) -> Result<Self, CmdError> {
        let mut o = LcsOpts::default();
        let mut i = 0;
        while i < args.len() {
            let word = c_str(args[i]);
            let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
            if is("idx") {
                o.idx = true;
            } else if is("len") {
                o.len = true;
            } else if is("withmatchlen") {
                o.with_match_len = true;
            } else if is("minmatchlen") && i + 1 < args.len() {
                o.min_match_len = args::int(args[i + 1])?.max(0) as u64;
                i += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        if o.len && o.idx {
            return Err(CmdError::err(
                "If you want both the length and indexes, please just use IDX.",
            ));
        }
        Ok(o)
    }
}

/// The string at `key` for LCS (empty when absent); Err(()) for another type.
fn lcs_operand(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Vec<u8>, ()> {
    match ctx.get(key) {
        None => Ok(Vec::new()),
        Some(ValueMut::Str(s)) => Ok(s.to_vec()),
        Some(_) => Err(()),
    }
}

fn lcs(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let a = lcs_operand(ctx, argv[1]);
    let b = lcs_operand(ctx, argv[2]);
    let (Ok(a), Ok(b)) = (a, b) else {
        return Err(CmdError::err(
            "The specified keys must contain string values",
        ));
    };
    let opts = LcsOpts::parse(&argv[3..])?;
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(CmdError::err("String too long for LCS"));
    }
    let cells = (a.len() as u64 + 1).saturating_mul(b.len() as u64 + 1);
    if cells.saturating_mul(4) > max_bulk_len(ctx.shared()) {
        return Err(CmdError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = LcsTable::build(&a, &b).ok_or_else(|| {
        CmdError::err("Insufficient memory, failed allocating transient memory for LCS")
    })?;
    Ok(table.reply(&a, &b, &opts))
}

/// The dynamic-programming table of LCS lengths: `at(i, j)` is the length of
/// the LCS of `a[..i]` and `b[..j]`.
struct LcsTable {
    cells: Vec<u32>,
    width: usize,
}

impl LcsTable {
    /// Fills the table; None when it cannot be allocated.
    fn build(a: &[u8], b: &[u8]) -> Option<LcsTable> {
        let width = b.len() + 1;
        let size = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(size).ok()?;
        cells.resize(size, 0u32);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Some(LcsTable { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// The reply for `opts`, walking back from the table's end exactly as
    /// Redis does (its tie-breaking decides which LCS and ranges come out).
    fn reply(&self, a: &[u8], b: &[u8], opts: &LcsOpts) -> Reply {
        let total = self.at(a.len(), b.len());
        if opts.len {
            return Reply::Int(i64::from(total));
        }
        let mut lcs = vec![0u8; total as usize];
        let mut idx = total as usize;
        let mut matches = Vec::new();
        // The current range (a_start, a_end, b_start, b_end); None between ranges.
        let mut range: Option<(usize, usize, usize, usize)> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                lcs[idx - 1] = a[i - 1];
                range = match range {
                    None => Some((i - 1, i - 1, j - 1, j - 1)),
                    Some((sa, ea, sb, eb)) if sa == i && sb == j => Some((sa - 1, ea, sb - 1, eb)),
                    Some(r) => {
                        emit = true;
                        Some(r)
                    }
                };
                if range.is_some_and(|(sa, _, sb, _)| sa == 0 || sb == 0) {
                    emit = true;
                }
                idx -= 1;
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = range.is_some();
            }
            if emit {
                if let Some((sa, ea, sb, eb)) = range.take() {
                    let len = (ea - sa + 1) as u64;
                    if opts.idx && (opts.min_match_len == 0 || len >= opts.min_match_len) {
                        matches.push(match_reply(sa, ea, sb, eb, opts.with_match_len));
                    }
                }
            }
        }
        if opts.idx {
            Reply::Map(vec![
                (Reply::bulk(b"matches"), Reply::Array(matches)),
                (Reply::bulk(b"len"), Reply::Int(i64::from(total))),
            ])
        } else {
            Reply::Bulk(lcs)
        }
    }
}

/// One IDX match: `[[a_start, a_end], [b_start, b_end], (len)]`.
fn match_reply(sa: usize, ea: usize, sb: usize, eb: usize, with_len: bool) -> Reply {
    let pair = |x: usize, y: usize| Reply::Array(vec![Reply::Int(x as i64), Reply::Int(y as i64)]);
    let mut m = vec![pair(sa, ea), pair(sb, eb)];
    if with_len {
        m.push(Reply::Int((ea - sa + 1) as i64));
    }
    Reply::Array(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> &'static str {
        encoding(s.as_bytes(), false, false)
    }

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(plain("123"), "int");
        assert_eq!(plain("-9223372036854775808"), "int");
        assert_eq!(plain("12345678901234567890"), "embstr");
        assert_eq!(plain("0123"), "embstr");
        assert_eq!(plain(""), "embstr");
        assert_eq!(plain(&"x".repeat(44)), "embstr");
        assert_eq!(plain(&"x".repeat(45)), "raw");
        assert_eq!(encoding(b"5", true, false), "raw");
        assert_eq!(encoding(b"124", false, true), "embstr");
    }

    #[test]
    fn int_digits_cover_the_range() {
        let mut buf = [0; 20];
        assert_eq!(int_digits(0, &mut buf), b"0");
        assert_eq!(int_digits(-42, &mut buf), b"-42");
        assert_eq!(int_digits(i64::MIN, &mut buf), b"-9223372036854775808");
        assert_eq!(int_digits(i64::MAX, &mut buf), b"9223372036854775807");
    }

    /// Encodings after real commands, as redis-server 7.0.15 reports them.
    #[test]
    fn encodings_after_commands() {
        let engine = crate::Engine::new();
        let mut s = engine.session();
        let script: &[&[&str]] = &[
            &["SET", "int", "123"],
            &["SET", "float", "123"],
            &["INCRBYFLOAT", "float", "1"],
            &["INCRBYFLOAT", "bigfloat", "1e50"],
            &["SET", "appended", "123"],
            &["APPEND", "appended", ""],
            &["APPEND", "newappend", "123"],
            &["SET", "counter", "abc"],
            &["SET", "counter", "5"],
            &["APPEND", "counter", "1"],
            &["INCR", "counter"],
            &["SETRANGE", "range", "0", "5"],
            &["SET", "emptyrange", "5"],
            &["SETRANGE", "emptyrange", "0", ""],
            &["SETBIT", "bits", "0", "1"],
            &["SET", "ro", "7"],
            &["BITFIELD", "ro", "GET", "u8", "0"],
            &["SET", "rw", "7"],
            &["BITFIELD", "rw", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"],
            &["SET", "a", "1"],
            &["BITOP", "NOT", "op", "a"],
            &["SET", "kept", "1.5"],
            &["SET", "kept", "12", "KEEPTTL"],
            &["GETSET", "gs", "99"],
        ];
        for argv in script {
            let r = engine.execute(&mut s, argv);
            assert!(!r.is_error(), "{argv:?}: {r:?}");
        }
        let expected = [
            ("int", "int"),
            ("float", "embstr"),
            ("bigfloat", "raw"),
            ("appended", "raw"),
            ("newappend", "int"),
            ("counter", "int"),
            ("range", "raw"),
            ("emptyrange", "int"),
            ("bits", "raw"),
            ("ro", "int"),
            ("rw", "raw"),
            ("op", "raw"),
            ("kept", "int"),
            ("gs", "int"),
        ];
        let ks = &engine.shared().keyspace;
        for (key, enc) in expected {
            let shard = ks.lock(0, ks.shard_of(key.as_bytes()));
            let e = shard.map.get(key.as_bytes()).expect(key);
            let s = e.value().as_str().expect(key);
            assert_eq!(encoding(s, e.raw(), e.not_int()), enc, "{key}");
        }
    }

    /// Results larger than `proto-max-bulk-len` are refused before any
    /// allocation; results up to it are fine.
    #[test]
    fn size_limits_follow_proto_max_bulk_len() {
        let engine = crate::Engine::new();
        engine
            .shared()
            .config
            .set("proto-max-bulk-len", "2000000")
            .unwrap();
        let mut s = engine.session();
        let mut run = |argv: &[&str]| engine.execute(&mut s, argv);
        let too_big =
            Reply::Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into());
        let bad_offset = Reply::Error("ERR bit offset is not an integer or out of range".into());
        assert_eq!(run(&["SETRANGE", "k", "1999999", "xy"]), too_big);
        assert_eq!(run(&["EXISTS", "k"]), Reply::Int(0));
        assert_eq!(
            run(&["SETRANGE", "k", "1999998", "xy"]),
            Reply::Int(2_000_000)
        );
        assert_eq!(run(&["APPEND", "k", "z"]), too_big);
        assert_eq!(
            run(&["SETRANGE", "k", "1999999", "z"]),
            Reply::Int(2_000_000)
        );
        assert_eq!(run(&["SETBIT", "b", "16000000", "1"]), bad_offset);
        assert_eq!(run(&["SETBIT", "b", "15999999", "1"]), Reply::Int(0));
        assert_eq!(run(&["GETBIT", "b", "16000000"]), bad_offset);
        assert_eq!(run(&["BITFIELD", "b", "GET", "u8", "#2000000"]), bad_offset);
        assert_eq!(
            run(&["BITFIELD_RO", "b", "GET", "u8", "#1999999"]),
            Reply::Array(vec![Reply::Int(1)])
        );
        let long = "ab".repeat(400);
        run(&["MSET", "x", &long, "y", &long]);
        assert_eq!(
            run(&["LCS", "x", "y", "LEN"]),
            Reply::Error(
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
                    .into()
            )
        );
    }

    #[test]
    fn ranges_clamp_like_getrange() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-3, -1, 5), Some((2, 4)));
        assert_eq!(clamp_range(-1, -3, 5), None);
        assert_eq!(clamp_range(3, 1, 5), None);
        assert_eq!(clamp_range(0, 100, 5), Some((0, 4)));
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
        assert_eq!(clamp_range(0, -1, 0), None);
        assert_eq!(clamp_range(10, 20, 5), None);
    }

    #[test]
    fn c_strings_stop_at_nul() {
        assert_eq!(c_str(b"nx\0junk"), b"nx");
        assert_eq!(c_str(b"nx"), b"nx");
    }

    #[test]
    fn lcs_walk_matches_redis_example() {
        let (a, b) = (b"ohmytext".as_slice(), b"mynewtext".as_slice());
        let t = LcsTable::build(a, b).unwrap();
        assert_eq!(t.reply(a, b, &LcsOpts::default()), Reply::bulk(b"mytext"));
        let opts = LcsOpts {
            idx: true,
            with_match_len: true,
            min_match_len: 4,
            ..LcsOpts::default()
        };
        let expected = Reply::Map(vec![
            (
                Reply::bulk(b"matches"),
                Reply::Array(vec![match_reply(4, 7, 5, 8, true)]),
            ),
            (Reply::bulk(b"len"), Reply::Int(6)),
        ]);
        assert_eq!(t.reply(a, b, &opts), expected);
    }
}
