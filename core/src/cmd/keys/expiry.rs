//! The expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX,
//! GT, LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST.
//!
//! Deadlines are absolute Unix milliseconds, computed in `i64` exactly as
//! Redis's `expireGenericCommand` does (so the same inputs overflow), and a
//! deadline at or before now deletes the key at once.

use crate::cmd::args;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::pubsub::notify as ev;
use crate::reply::Reply;

/// How the EXPIRE family reads its time argument.
struct Spec {
    /// Command name, for `invalid expire time in '<name>' command`.
    name: &'static str,
    /// True when the argument is in seconds (converted to ms).
    seconds: bool,
    /// True when it is relative to now (EXPIRE, PEXPIRE).
    relative: bool,
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub(super) fn expire(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    expire_generic(
        ctx,
        argv,
        &Spec {
            name: "expire",
            seconds: true,
            relative: true,
        },
    )
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub(super) fn pexpire(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    expire_generic(
        ctx,
        argv,
        &Spec {
            name: "pexpire",
            seconds: false,
            relative: true,
        },
    )
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
pub(super) fn expireat(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    expire_generic(
        ctx,
        argv,
        &Spec {
            name: "expireat",
            seconds: true,
            relative: false,
        },
    )
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
pub(super) fn pexpireat(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    expire_generic(
        ctx,
        argv,
        &Spec {
            name: "pexpireat",
            seconds: false,
            relative: false,
        },
    )
}

/// The condition flags of the EXPIRE family.
#[derive(Debug, Default, Clone, Copy)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Cond {
    /// Parses the flags after the time argument, with Redis's errors
    /// (checked before the time argument itself).
    fn parse(opts: &[&[u8]]) -> Result<Cond, CmdError> {
        let mut c = Cond::default();
        for opt in opts {
            let flag = match () {
                _ if args::is(opt, "nx") => &mut c.nx,
                _ if args::is(opt, "xx") => &mut c.xx,
                _ if args::is(opt, "gt") => &mut c.gt,
                _ if args::is(opt, "lt") => &mut c.lt,
                // Redis prints the option as a C string: up to a NUL byte.
                _ => {
                    return Err(CmdError::err(format!(
                        "Unsupported option {}",
                        args::cstr_text(opt)
                    )));
                }
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(CmdError::err(
                "NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(CmdError::err(
                "GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// True when the new deadline `when` may replace `current` (-1 when the
    /// key is persistent, which GT treats as infinite).
    fn allows(self, when: i64, current: i64) -> bool {
        let persistent = current == -1;
        !((self.nx && !persistent)
            || (self.xx && persistent)
            || (self.gt && (persistent || when <= current))
            || (self.lt && !persistent && when >= current))
    }
}

/// The absolute deadline in ms, or Redis's overflow error.
fn deadline(ctx: &mut Ctx<'_>, arg: &[u8], spec: &Spec) -> Result<i64, CmdError> {
    let invalid = || CmdError::err(format!("invalid expire time in '{}' command", spec.name));
    let mut when = args::int(arg)?;
    if spec.seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let base = if spec.relative { ctx.now() as i64 } else { 0 };
    if when > i64::MAX - base {
        return Err(invalid());
    }
    Ok(when + base)
}

fn expire_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], spec: &Spec) -> CmdResult {
    let key = argv[1];
    let cond = Cond::parse(&argv[3..])?;
    let when = deadline(ctx, argv[2], spec)?;
    let Some(e) = ctx.entry(key) else {
        return Ok(Reply::Int(0));
    };
    let current = match e.expire() {
        0 => -1,
        at => at as i64,
    };
    if !cond.allows(when, current) {
        return Ok(Reply::Int(0));
    }
    // While the append-only file is replayed even a deadline before the
    // epoch is set (the key expires after the load): 1 ms is as past.
    let at = when.max(1) as u64;
    let event = if ctx.deadline_passed(at) {
        ctx.delete(key);
        ctx.propagate_del(key, "lazyfree-lazy-expire");
        "del"
    } else {
        ctx.set_expire(key, at);
        // As Redis: a relative time or one in seconds propagates as
        // PEXPIREAT with the absolute deadline, the options kept.
        if (spec.seconds || spec.relative) && ctx.propagating() {
            let mut out: Vec<&[u8]> = argv.to_vec();
            let at = at.to_string();
            out[0] = b"PEXPIREAT";
            out[2] = at.as_bytes();
            ctx.propagate_as(&out);
        }
        "expire"
    };
    ctx.modified(key);
    ctx.notify(ev::GENERIC, event, key);
    Ok(Reply::Int(1))
}

/// What the TTL family reports.
#[derive(Clone, Copy)]
enum Report {
    /// Time left (TTL, PTTL).
    Left,
    /// The absolute deadline (EXPIRETIME, PEXPIRETIME).
    At,
}

/// Redis's `ttlGenericCommand`: -2 when absent, -1 when persistent, else the
/// time in ms or in seconds rounded to the nearest (`(ms + 500) / 1000`).
fn ttl_generic(ctx: &mut Ctx<'_>, key: &[u8], millis: bool, report: Report) -> CmdResult {
    let Some(e) = ctx.read_notouch(key) else {
        return Ok(Reply::Int(-2));
    };
    let at = match e.expire() {
        0 => return Ok(Reply::Int(-1)),
        at => at as i64,
    };
    let ms = match report {
        Report::Left => at.saturating_sub(ctx.now() as i64).max(0),
        Report::At => at,
    };
    Ok(Reply::Int(if millis {
        ms
    } else {
        // `ms` is never negative; near i64::MAX the sum needs 64 unsigned
        // bits, which is what Redis's build computes.
        ((ms as u64 + 500) / 1000) as i64
    }))
}

/// TTL key
pub(super) fn ttl(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], false, Report::Left)
}

/// PTTL key
pub(super) fn pttl(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], true, Report::Left)
}

/// EXPIRETIME key
pub(super) fn expiretime(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], false, Report::At)
}

/// PEXPIRETIME key
pub(super) fn pexpiretime(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], true, Report::At)
}

/// PERSIST key
pub(super) fn persist(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let removed = ctx.persist(argv[1]);
    if removed {
        ctx.modified(argv[1]);
        ctx.notify(ev::GENERIC, "persist", argv[1]);
    }
    Ok(Reply::Int(removed.into()))
}

#[cfg(test)]
mod tests {
    use super::Cond;

    #[test]
    fn conditions() {
        let c = |s: &[&[u8]]| Cond::parse(s).unwrap();
        assert!(c(&[]).allows(5, -1));
        assert!(c(&[b"NX"]).allows(5, -1));
        assert!(!c(&[b"nx"]).allows(5, 10));
        assert!(!c(&[b"xx"]).allows(5, -1));
        assert!(c(&[b"xx"]).allows(5, 10));
        assert!(!c(&[b"gt"]).allows(5, -1));
        assert!(!c(&[b"gt"]).allows(10, 10));
        assert!(c(&[b"gt"]).allows(11, 10));
        assert!(c(&[b"lt"]).allows(5, -1));
        assert!(!c(&[b"lt"]).allows(10, 10));
        assert!(c(&[b"lt", b"xx"]).allows(9, 10));
        assert!(!c(&[b"lt", b"xx"]).allows(9, -1));
        assert!(Cond::parse(&[b"nx", b"gt"]).is_err());
        assert!(Cond::parse(&[b"gt", b"lt"]).is_err());
        assert!(Cond::parse(&[b"foo"]).is_err());
    }
}
