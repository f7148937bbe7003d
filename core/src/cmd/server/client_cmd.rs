//! CLIENT: the connection's own attributes (ID, SETNAME, GETNAME, SETINFO,
//! REPLY, NO-EVICT, NO-TOUCH) live in the session; the other clients
//! (LIST, KILL) and the server-wide pause (PAUSE, UNPAUSE) in the engine's
//! client registry, which a network front fills. An in-process session is
//! not registered: CLIENT LIST shows it (as Redis shows a client without a
//! socket: `addr=?:0 fd=-1`) when it is the caller.

use super::connection::{set_name, valid_attr};
use super::help;
use crate::clients::{ClientEntry, ClientLine, PauseKind, Snapshot};
use crate::cmd::args::{self, is};
use crate::cmd::table::{BASE, Command, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::reply::Reply;
use std::sync::Arc;

/// Flags Redis gives the connection-level CLIENT subcommands.
const CLIENT_FLAGS: u32 = NOSCRIPT | LOADING | STALE;
/// ... and the administrative ones.
const CLIENT_ADMIN: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
/// ACL categories of CLIENT subcommands (admin ones get @admin implicitly).
const CLIENT_ACL: &[&str] = &["slow", "connection"];
/// ACL categories of the administrative ones.
const ADMIN_ACL: &[&str] = &["admin", "slow", "dangerous", "connection"];

/// A CLIENT subcommand row: connection-level, O(1) unless stated.
const CLIENT_ROW: Command = Command {
    flags: CLIENT_FLAGS,
    acl: CLIENT_ACL,
    group: "connection",
    complexity: "O(1)",
    ..BASE
};

/// An administrative CLIENT subcommand row.
const ADMIN_ROW: Command = Command {
    flags: CLIENT_ADMIN,
    acl: ADMIN_ACL,
    ..CLIENT_ROW
};

/// The CLIENT subcommands we implement.
pub(super) const CLIENT: &[Command] = &[
    Command {
        name: "id",
        arity: 2,
        handler: client_id,
        summary: "Returns the client ID for the current connection",
        since: "5.0.0",
        ..CLIENT_ROW
    },
    Command {
        name: "setname",
        arity: 3,
        handler: client_setname,
        summary: "Set the current connection name",
        since: "2.6.9",
        syntax: "connection-name",
        ..CLIENT_ROW
    },
    Command {
        name: "getname",
        arity: 2,
        handler: client_getname,
        summary: "Get the current connection name",
        since: "2.6.9",
        ..CLIENT_ROW
    },
    Command {
        name: "setinfo",
        arity: 4,
        handler: client_setinfo,
        summary: "Set client or connection specific info",
        since: "7.2.0",
        syntax: "<LIB-NAME libname | LIB-VER libver>",
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ..CLIENT_ROW
    },
    Command {
        name: "info",
        arity: 2,
        handler: client_info,
        summary: "Returns information about the current client connection.",
        since: "6.2.0",
        tips: &["nondeterministic_output"],
        ..CLIENT_ROW
    },
    Command {
        name: "list",
        arity: -2,
        handler: client_list,
        summary: "Get the list of client connections",
        since: "2.4.0",
        syntax: "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
        complexity: "O(N) where N is the number of client connections",
        tips: &["nondeterministic_output"],
        ..ADMIN_ROW
    },
    Command {
        name: "kill",
        arity: -3,
        handler: client_kill,
        summary: "Kill the connection of a client",
        since: "2.4.0",
        syntax: "<ip:port | [ID client-id] [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] \
                 [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no]>",
        complexity: "O(N) where N is the number of client connections",
        ..ADMIN_ROW
    },
    Command {
        name: "pause",
        arity: -3,
        handler: client_pause,
        summary: "Stop processing commands from clients for some time",
        since: "2.9.50",
        syntax: "timeout [WRITE | ALL]",
        ..ADMIN_ROW
    },
    Command {
        name: "unpause",
        arity: 2,
        handler: client_unpause,
        summary: "Resume processing of clients that were paused",
        since: "6.2.0",
        complexity: "O(N) Where N is the number of paused clients",
        ..ADMIN_ROW
    },
    Command {
        name: "reply",
        arity: 3,
        handler: client_reply,
        summary: "Instruct the server whether to reply to commands",
        since: "3.2.0",
        syntax: "<ON | OFF | SKIP>",
        ..CLIENT_ROW
    },
    Command {
        name: "unblock",
        arity: -3,
        handler: client_unblock,
        summary: "Unblock a client blocked in a blocking command from a different connection",
        since: "5.0.0",
        syntax: "client-id [TIMEOUT | ERROR]",
        complexity: "O(log N) where N is the number of client connections",
        ..ADMIN_ROW
    },
    Command {
        name: "no-evict",
        arity: 3,
        handler: client_no_evict,
        summary: "Set client eviction mode for the current connection",
        since: "7.0.0",
        syntax: "<ON | OFF>",
        ..ADMIN_ROW
    },
    Command {
        name: "no-touch",
        arity: 3,
        handler: client_no_touch,
        summary: "Controls LRU/LFU stats of the keys the current connection accesses",
        since: "7.2.0",
        syntax: "<ON | OFF>",
        ..CLIENT_ROW
    },
    Command {
        name: "getredir",
        arity: 2,
        handler: client_getredir,
        summary: "Get tracking notifications redirection client ID if any",
        since: "6.0.0",
        ..CLIENT_ROW
    },
    Command {
        name: "trackinginfo",
        arity: 2,
        handler: client_trackinginfo,
        summary: "Return information about server assisted client side caching for the current connection",
        since: "6.2.0",
        ..CLIENT_ROW
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        handler: client_help,
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        ..CLIENT_ROW
    },
];

fn client_id(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(ctx.session.id as i64))
}

fn client_setname(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    set_name(ctx, argv[2]).map(|()| Reply::ok())
}

fn client_getname(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::opt_bulk(ctx.session.name.as_deref()))
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value, as Redis 7.2 has it (redis-py 5+
/// sends it on connect; 7.0 does not know it).
fn client_setinfo(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let attr = argv[2];
    let value = argv[3];
    let lib_name = if is(attr, "lib-name") {
        true
    } else if is(attr, "lib-ver") {
        false
    } else {
        return Err(CmdError::err(format!(
            "Unrecognized option '{}'",
            args::text(attr)
        )));
    };
    if !valid_attr(value) {
        return Err(CmdError::err(format!(
            "{} cannot contain spaces, newlines or special characters.",
            args::text(attr)
        )));
    }
    let slot = if lib_name {
        &mut ctx.session.lib_name
    } else {
        &mut ctx.session.lib_ver
    };
    *slot = (!value.is_empty()).then(|| value.to_vec());
    Ok(Reply::ok())
}

/// The calling session's CLIENT LIST line: its live state, with the
/// network facts of its registry entry if it has one.
fn own_line(ctx: &Ctx<'_>) -> String {
    let shared = ctx.shared();
    let entry = shared.clients.get(ctx.session.id);
    let mut snap = entry
        .as_ref()
        .map_or_else(Snapshot::default, |e| e.snapshot().clone());
    snap.refresh(ctx.session);
    let now = shared.clock.now_ms();
    ClientLine {
        id: ctx.session.id,
        facts: entry.as_ref().map(|e| &e.facts),
        age: entry
            .as_ref()
            .map_or(0, |e| now.saturating_sub(e.created_ms) / 1000),
        idle: 0,
        snap: &snap,
        closing: ctx.session.conn.close,
    }
    .render()
}

/// Another client's CLIENT LIST line, from what its owner published.
fn entry_line(entry: &ClientEntry, now: u64) -> String {
    let snap = entry.snapshot().clone();
    ClientLine {
        id: entry.id,
        facts: Some(&entry.facts),
        age: now.saturating_sub(entry.created_ms) / 1000,
        idle: now.saturating_sub(entry.last_ms()) / 1000,
        snap: &snap,
        closing: entry.killed(),
    }
    .render()
}

fn verbatim(text: String) -> Reply {
    Reply::Verbatim("txt", text.into_bytes())
}

fn client_info(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(verbatim(own_line(ctx)))
}

/// Which clients CLIENT LIST shows.
enum Filter<'a> {
    /// Every client.
    All,
    /// The clients of one type.
    Type(ClientType),
    /// The clients with these ids, in this order, each once per mention.
    Ids(&'a [i64]),
}

/// The lines of the clients `filter` selects (the caller included), in id
/// order unless ids are given.
fn lines(ctx: &Ctx<'_>, filter: Filter<'_>) -> String {
    let shared = ctx.shared();
    let now = shared.clock.now_ms();
    let me = ctx.session.id;
    let mut all: Vec<(u64, Option<Arc<ClientEntry>>)> = shared
        .clients
        .all()
        .into_iter()
        .map(|e| (e.id, Some(e)))
        .collect();
    if !all.iter().any(|(id, _)| *id == me) {
        let at = all.partition_point(|(id, _)| *id < me);
        all.insert(at, (me, None));
    }
    let line = |(id, e): &(u64, Option<Arc<ClientEntry>>)| match e {
        Some(e) if *id != me => entry_line(e, now),
        _ => own_line(ctx),
    };
    match filter {
        Filter::All => all.iter().map(line).collect(),
        Filter::Type(t) => all
            .iter()
            .filter(|(id, e)| type_of(ctx, *id, e.as_deref()) == t)
            .map(line)
            .collect(),
        Filter::Ids(ids) => ids
            .iter()
            .filter_map(|&want| all.iter().find(|(id, _)| *id as i64 == want))
            .map(line)
            .collect(),
    }
}

/// A client type as CLIENT LIST/KILL name it (Redis's `getClientType`).
/// We serve no master or replica, so those types select nobody; a client
/// with any subscription is of type pubsub (CLIENT LIST's `P` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Pubsub,
    Master,
    Replica,
}

impl ClientType {
    /// The type named `t` (`slave` is `replica`), or Redis's error.
    fn parse(t: &[u8]) -> Result<ClientType, CmdError> {
        // Redis compares (strcasecmp) and prints (%s) the type as a C string.
        let t = args::cstr(t);
        let named = [
            ("normal", ClientType::Normal),
            ("slave", ClientType::Replica),
            ("replica", ClientType::Replica),
            ("pubsub", ClientType::Pubsub),
            ("master", ClientType::Master),
        ];
        named
            .iter()
            .find(|(n, _)| is(t, n))
            .map(|(_, ty)| *ty)
            .ok_or_else(|| CmdError::err(format!("Unknown client type '{}'", args::cstr_text(t))))
    }

    /// The type of a client with `subs` (channels, patterns, shard channels).
    fn of(subs: (usize, usize, usize)) -> ClientType {
        if subs.0 + subs.1 + subs.2 > 0 {
            ClientType::Pubsub
        } else {
            ClientType::Normal
        }
    }
}

/// The type of the client `id`: the caller's from its live session,
/// another's from the snapshot its owner published.
fn type_of(ctx: &Ctx<'_>, id: u64, entry: Option<&ClientEntry>) -> ClientType {
    match entry {
        Some(e) if id != ctx.session.id => ClientType::of(e.snapshot().subs),
        _ => ClientType::of(ctx.session.subscription_counts()),
    }
}

/// CLIENT LIST [TYPE type | ID id [id ...]].
fn client_list(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let text = if argv.len() == 4 && is(argv[2], "type") {
        lines(ctx, Filter::Type(ClientType::parse(argv[3])?))
    } else if argv.len() > 3 && is(argv[2], "id") {
        let ids = argv[3..]
            .iter()
            .map(|id| crate::num::parse_i64(id).ok_or_else(|| CmdError::err("Invalid client ID")))
            .collect::<Result<Vec<i64>, CmdError>>()?;
        lines(ctx, Filter::Ids(&ids))
    } else if argv.len() != 2 {
        return Err(CmdError::Syntax);
    } else {
        lines(ctx, Filter::All)
    };
    Ok(verbatim(text))
}

/// Which clients CLIENT KILL's new-style filters select.
#[derive(Default)]
struct KillFilter<'a> {
    id: Option<u64>,
    kind: Option<ClientType>,
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    skip_me: bool,
}

impl KillFilter<'_> {
    fn matches(&self, ctx: &Ctx<'_>, e: &ClientEntry) -> bool {
        self.id.is_none_or(|id| id == e.id)
            && self.kind.is_none_or(|t| type_of(ctx, e.id, Some(e)) == t)
            && self.addr.is_none_or(|a| a == e.facts.addr.as_bytes())
            && self.laddr.is_none_or(|a| a == e.facts.laddr.as_bytes())
    }
}

/// The filters, read in order as Redis does: an option without its value
/// is a syntax error where it stands.
fn parse_kill_filter<'a>(argv: &[&'a [u8]]) -> Result<KillFilter<'a>, CmdError> {
    let mut f = KillFilter {
        skip_me: true,
        ..KillFilter::default()
    };
    for pair in argv[2..].chunks(2) {
        let [opt, value] = pair else {
            return Err(CmdError::Syntax);
        };
        let (opt, value) = (*opt, *value);
        if is(opt, "id") {
            let id = crate::num::parse_i64(value)
                .filter(|&n| n >= 1)
                .ok_or_else(|| CmdError::err("client-id should be greater than 0"))?;
            f.id = Some(id as u64);
        } else if is(opt, "type") {
            f.kind = Some(ClientType::parse(value)?);
        } else if is(opt, "user") {
            if value != b"default" {
                return Err(CmdError::err(format!(
                    "No such user '{}'",
                    args::cstr_text(value)
                )));
            }
        } else if is(opt, "addr") {
            f.addr = Some(value);
        } else if is(opt, "laddr") {
            f.laddr = Some(value);
        } else if is(opt, "skipme") {
            f.skip_me = if is(value, "yes") {
                true
            } else if is(value, "no") {
                false
            } else {
                return Err(CmdError::Syntax);
            };
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(f)
}

/// CLIENT KILL ip:port | CLIENT KILL filter value [filter value ...]. A
/// killed client is closed by the thread serving it; the caller, when it
/// kills itself, after this reply.
fn client_kill(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let me = ctx.session.id;
    let clients = ctx.shared().clients.all();
    if argv.len() == 3 {
        // The old form: one address, an error when nobody has it.
        let Some(e) = clients.iter().find(|e| e.facts.addr.as_bytes() == argv[2]) else {
            return Err(CmdError::err("No such client"));
        };
        if e.id == me {
            ctx.session.conn.close = true;
        } else {
            e.kill();
        }
        return Ok(Reply::ok());
    }
    let filter = parse_kill_filter(argv)?;
    let chosen: Vec<&Arc<ClientEntry>> =
        clients.iter().filter(|e| filter.matches(ctx, e)).collect();
    let mut killed = 0;
    for e in chosen {
        if e.id == me {
            if filter.skip_me {
                continue;
            }
            ctx.session.conn.close = true;
        } else {
            e.kill();
        }
        killed += 1;
    }
    Ok(Reply::Int(killed))
}

/// Redis's error for a subcommand given more arguments than it takes
/// (its own arity check is a minimum): the name as typed, up to 128 bytes.
fn wrong_args(sub: &[u8]) -> CmdError {
    let sub = args::cstr(sub);
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    ))
}

/// CLIENT PAUSE timeout [WRITE | ALL]: network clients stop running
/// (write) commands until the timeout or CLIENT UNPAUSE.
fn client_pause(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 4 {
        return Err(wrong_args(argv[1]));
    }
    // Redis reads the mode before the timeout.
    let kind = match argv.get(3) {
        None => PauseKind::All,
        Some(m) if is(m, "write") => PauseKind::Write,
        Some(m) if is(m, "all") => PauseKind::All,
        Some(_) => return Err(CmdError::err("CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let ms = crate::num::parse_i64(argv[2])
        .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let now = ctx.shared().clock.now_ms();
    let end = now
        .checked_add(ms as u64)
        .ok_or_else(|| CmdError::err("timeout is out of range"))?;
    ctx.shared().clients.pause(end, kind, now);
    Ok(Reply::ok())
}

fn client_unpause(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    ctx.shared().clients.unpause();
    Ok(Reply::ok())
}

/// CLIENT REPLY ON | OFF | SKIP: OFF and SKIP send no reply themselves
/// (see [`ConnState::end_command`](crate::clients::ConnState::end_command)).
fn client_reply(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let conn = &mut ctx.session.conn;
    if is(argv[2], "on") {
        conn.reply_off = false;
        conn.skip_next = false;
    } else if is(argv[2], "off") {
        conn.reply_off = true;
    } else if is(argv[2], "skip") {
        conn.skip_next = !conn.reply_off;
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(Reply::ok())
}

/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]: ends the wait of a client
/// in a blocking command, with its timeout reply or an UNBLOCKED error;
/// 1 when it was waiting, else 0.
fn client_unblock(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 4 {
        return Err(wrong_args(argv[1]));
    }
    // Redis reads the reason before the id.
    if let Some(reason) = argv.get(3) {
        if !is(reason, "timeout") && !is(reason, "error") {
            return Err(CmdError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    }
    let id = crate::num::parse_i64(argv[2]).ok_or(CmdError::NotInt)?;
    let error = argv.get(3).is_some_and(|r| is(r, "error"));
    let unblocked = u64::try_from(id).is_ok_and(|id| ctx.shared().blocking.unblock(id, error));
    Ok(Reply::Int(i64::from(unblocked)))
}

/// ON or OFF, else a syntax error.
fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if is(arg, "on") {
        Ok(true)
    } else if is(arg, "off") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

fn client_no_evict(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    ctx.session.conn.no_evict = on_off(argv[2])?;
    Ok(Reply::ok())
}

/// CLIENT NO-TOUCH ON | OFF (Redis 7.2): commands other than TOUCH leave
/// the access time of the keys they read alone.
fn client_no_touch(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    ctx.session.conn.no_touch = on_off(argv[2])?;
    Ok(Reply::ok())
}

/// Tracking is never on, so there is no redirection.
fn client_getredir(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(-1))
}

fn client_trackinginfo(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    let s = |t: &str| Reply::bulk(t.as_bytes());
    Ok(Reply::Map(vec![
        (s("flags"), Reply::Set(vec![s("off")])),
        (s("redirect"), Reply::Int(-1)),
        (s("prefixes"), Reply::Array(Vec::new())),
    ]))
}

/// CLIENT HELP: Redis's text for the subcommands we implement.
fn client_help(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(help(
        "CLIENT",
        &[
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    ))
}
