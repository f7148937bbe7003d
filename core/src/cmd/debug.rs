//! DEBUG: the subcommands client libraries and tools use, SLEEP and OBJECT
//! (and HELP). As in Redis it is a protected command: refused unless
//! `enable-debug-command` is `yes`, or `local` and the client is local
//! (in-process, a unix socket, or 127.0.0.1 / ::1); the engine checks that
//! before queueing or running it ([`check_allowed`]).

use super::args;
use super::keys::object::{encoding_of, refcount_of};
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::engine::{Session, Shared};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{EntryRef, ValueRef};
use crate::persist::{dump, encode};
use crate::reply::Reply;
use std::time::Duration;

/// The row.
pub(crate) const COMMANDS: &[Command] = &[Command {
    name: "debug",
    arity: -2,
    flags: ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    acl: &["admin", "slow", "dangerous"],
    keys: Keys::Custom(debug_keys),
    // Redis's DEBUG declares no keys.
    spec_keys: Some(Keys::None),
    handler: debug,
    summary: "A container for debugging commands",
    group: "server",
    complexity: "Depends on subcommand.",
    ..BASE
}];

/// DEBUG OBJECT reads its key; the other subcommands touch no key.
fn debug_keys(argv: &[&[u8]]) -> Keys {
    if argv.len() == 3 && args::is(argv[1], "object") {
        Keys::Range {
            first: 2,
            last: 2,
            step: 1,
        }
    } else {
        Keys::None
    }
}

/// Redis's refusal of a protected command the configuration does not allow.
const NOT_ALLOWED: &str = "DEBUG command not allowed. If the enable-debug-command option is set \
                           to \"local\", you can run it from a local connection, otherwise you \
                           need to set this option in the configuration file, and then restart \
                           the server.";

/// Whether `session` may run DEBUG under `enable-debug-command` (Redis's
/// `allowProtectedAction`), else Redis's error.
pub(crate) fn check_allowed(shared: &Shared, session: &Session) -> Result<(), CmdError> {
    let allowed = match shared.config.get("enable-debug-command").as_deref() {
        Some("yes") => true,
        Some("local") => {
            !session.conn.remote
                || shared
                    .clients
                    .get(session.id)
                    .is_some_and(|e| e.facts.local())
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(CmdError::err(NOT_ALLOWED))
    }
}

fn debug(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let sub = argv[1];
    match argv.len() {
        2 if args::is(sub, "help") => Ok(super::server::help("DEBUG", HELP)),
        3 if args::is(sub, "sleep") => Ok(sleep(argv[2])),
        3 if args::is(sub, "object") => object(ctx, argv[2]),
        _ => Err(syntax_error(sub)),
    }
}

/// Redis's `addReplySubcommandSyntaxError` for DEBUG: the subcommand as
/// typed, up to a NUL and 128 bytes.
fn syntax_error(sub: &[u8]) -> CmdError {
    let sub = args::cstr(sub);
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    ))
}

/// DEBUG SLEEP seconds: the calling client waits that long (Redis stops
/// the whole server). The seconds are read as C's `strtod`, as Redis
/// does: text that is not a number is 0, and a negative, infinite or
/// out-of-range time does not sleep.
fn sleep(arg: &[u8]) -> Reply {
    let micros = (crate::num::strtod_prefix(arg) * 1e6).trunc();
    // Redis converts to `long long` microseconds; values outside it (UB in
    // C) make its nanosleep fail at once on the platforms it runs on.
    if micros > 0.0 && micros < i64::MAX as f64 {
        std::thread::sleep(Duration::from_micros(micros as u64));
    }
    Reply::ok()
}

/// DEBUG OBJECT key: low-level facts of the key's value, found without
/// expiring it or touching its access time (Redis's `dictFind`).
fn object(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let shared = ctx.shared();
    let config = &shared.config;
    let compress = config.get_bool("rdbcompression");
    let fill = config.get_int("list-max-listpack-size");
    let compressed = config.get_int("list-compress-depth") != 0;
    let clock = shared.lru_clock();
    let db = ctx.db();
    let Some(e) = ctx.shard_in(db, key).map.get(key) else {
        return Err(CmdError::NoSuchKey);
    };
    let mut text = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        address(e),
        refcount_of(e),
        encoding_of(e),
        dump::saved_len(e.value(), compress, fill),
        e.access(),
        e.idle(clock),
    );
    if let ValueRef::List(l) = e.value() {
        let nodes = encode::quicklist_nodes(l, fill);
        text.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} \
             ql_uncompressed_size:{}",
            nodes.len(),
            l.len() as f64 / nodes.len() as f64,
            encode::clamp_fill(fill),
            u8::from(compressed),
            nodes.iter().map(encode::QuickNode::size).sum::<usize>(),
        ));
    }
    Ok(Reply::Status(text.into()))
}

/// Where the value lives (Redis prints its object's address).
fn address(e: EntryRef<'_>) -> *const u8 {
    match e.value() {
        ValueRef::Str(s) => s.as_ptr(),
        ValueRef::List(l) => std::ptr::from_ref(l).cast(),
        ValueRef::Set(s) => std::ptr::from_ref(s).cast(),
        ValueRef::ZSet(z) => std::ptr::from_ref(z).cast(),
        ValueRef::Hash(h) => std::ptr::from_ref(h).cast(),
    }
}

/// The lines of DEBUG HELP for the subcommands we implement, Redis's text.
const HELP: &[&str] = &[
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
];
