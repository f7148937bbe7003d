//! Connection state: HELLO, AUTH, RESET and CLIENT. The engine knows only
//! the calling session, so CLIENT LIST shows that one client; the network
//! fields (addresses, buffers) an embedded session does not have are
//! reported as Redis reports a client without a socket (`?:0`, `fd=-1`) or 0.

use super::help;
use crate::cmd::args::{self, is};
use crate::cmd::table::{BASE, Command, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::reply::Reply;

/// Flags Redis gives the connection-level CLIENT subcommands.
const CLIENT_FLAGS: u32 = NOSCRIPT | LOADING | STALE;
/// ... and the administrative ones.
const CLIENT_ADMIN: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
/// ACL categories of CLIENT subcommands (admin ones get @admin implicitly).
const CLIENT_ACL: &[&str] = &["slow", "connection"];

/// A CLIENT subcommand row: connection-level, O(1) unless stated.
const CLIENT_ROW: Command = Command {
    flags: CLIENT_FLAGS,
    acl: CLIENT_ACL,
    group: "connection",
    complexity: "O(1)",
    ..BASE
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
        flags: CLIENT_ADMIN,
        acl: &["admin", "slow", "dangerous", "connection"],
        handler: client_list,
        summary: "Get the list of client connections",
        since: "2.4.0",
        syntax: "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
        complexity: "O(N) where N is the number of client connections",
        tips: &["nondeterministic_output"],
        ..CLIENT_ROW
    },
    Command {
        name: "no-evict",
        arity: 3,
        flags: CLIENT_ADMIN,
        acl: &["admin", "slow", "dangerous", "connection"],
        handler: client_no_evict,
        summary: "Set client eviction mode for the current connection",
        since: "7.0.0",
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

/// HELLO [protover [AUTH username password] [SETNAME clientname]].
pub(super) fn hello(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mut proto = ctx.session.proto;
    let mut i = 1;
    if let Some(v) = argv.get(1) {
        let v = crate::num::parse_i64(v)
            .ok_or_else(|| CmdError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::Raw("NOPROTO unsupported protocol version".into()));
        }
        proto = v as u8;
        i = 2;
    }
    let mut name = None;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if is(argv[i], "auth") && more >= 2 {
            // Redis 7.0 authenticates as it parses: a wrong password is
            // reported before a bad option after it.
            authenticate(argv[i + 1], argv[i + 2])?;
            i += 3;
        } else if is(argv[i], "setname") && more >= 1 {
            // Redis checks the name as it parses too.
            check_name(argv[i + 1])?;
            name = Some(argv[i + 1]);
            i += 2;
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                args::cstr_text(argv[i])
            )));
        }
    }
    if let Some(name) = name {
        set_name(ctx, name)?;
    }
    ctx.session.proto = proto;
    let s = |t: &str| Reply::bulk(t.as_bytes());
    Ok(Reply::Map(vec![
        (s("server"), s("redis")),
        (s("version"), s(crate::REDIS_VERSION)),
        (s("proto"), Reply::Int(i64::from(proto))),
        (s("id"), Reply::Int(ctx.session.id as i64)),
        (s("mode"), s("standalone")),
        (s("role"), s("master")),
        (s("modules"), Reply::Array(Vec::new())),
    ]))
}

/// The only user is `default`, without a password (Redis's `nopass`), so
/// any password is accepted for it.
fn authenticate(user: &[u8], _password: &[u8]) -> Result<(), CmdError> {
    if user == b"default" {
        Ok(())
    } else {
        Err(CmdError::Raw(
            "WRONGPASS invalid username-password pair or user is disabled.".into(),
        ))
    }
}

/// AUTH [username] password.
pub(super) fn auth(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    match argv.len() {
        2 => Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        )),
        3 => authenticate(argv[1], argv[2]).map(|()| Reply::ok()),
        _ => Err(CmdError::Syntax),
    }
}

/// RESET: back to db 0, RESP2, no name, out of MULTI, nothing WATCHed.
pub(super) fn reset(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    ctx.session.tx = Default::default();
    ctx.session.db = 0;
    ctx.session.proto = 2;
    ctx.session.name = None;
    Ok(Reply::Status("RESET".into()))
}

/// Redis accepts client names and attributes made of `!`..=`~` only.
fn valid_attr(v: &[u8]) -> bool {
    v.iter().all(|c| (b'!'..=b'~').contains(c))
}

/// Redis's client name check.
fn check_name(name: &[u8]) -> Result<(), CmdError> {
    if valid_attr(name) {
        Ok(())
    } else {
        Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ))
    }
}

/// Sets (or, when empty, clears) the session's name.
fn set_name(ctx: &mut Ctx<'_>, name: &[u8]) -> Result<(), CmdError> {
    check_name(name)?;
    ctx.session.name = (!name.is_empty()).then(|| name.to_vec());
    Ok(())
}

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

/// One CLIENT LIST line (newline included) for the calling session; `cmd`
/// is the command being run (`client|list` or `client|info`).
fn info_line(ctx: &Ctx<'_>, cmd: &str) -> String {
    let s = &*ctx.session;
    let (flags, multi) = s.tx.client_info();
    let flags = if flags.is_empty() { "N" } else { flags };
    fn text(v: &Option<Vec<u8>>) -> std::borrow::Cow<'_, str> {
        v.as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default()
    }
    format!(
        "id={} addr=?:0 laddr=?:0 fd=-1 name={} age=0 idle=0 flags={flags} db={} sub=0 psub=0 ssub=0 \
         multi={multi} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 \
         tot-mem=0 events=r cmd={cmd} user=default redir=-1 resp={} lib-name={} lib-ver={}\n",
        s.id,
        text(&s.name),
        s.db,
        s.proto,
        text(&s.lib_name),
        text(&s.lib_ver),
    )
}

fn verbatim(text: String) -> Reply {
    Reply::Verbatim("txt", text.into_bytes())
}

fn client_info(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(verbatim(info_line(ctx, "client|info")))
}

/// CLIENT LIST [TYPE type | ID id [id ...]]: only the calling session is
/// known to the engine, so it is the whole list (and each ID naming it
/// lists it again, as Redis does).
fn client_list(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let times = if argv.len() == 4 && is(argv[2], "type") {
        // Redis compares (strcasecmp) and prints (%s) the type as a C string.
        let t = args::cstr(argv[3]);
        if !["normal", "slave", "replica", "pubsub", "master"]
            .iter()
            .any(|n| is(t, n))
        {
            return Err(CmdError::err(format!(
                "Unknown client type '{}'",
                args::cstr_text(t)
            )));
        }
        usize::from(is(t, "normal"))
    } else if argv.len() > 3 && is(argv[2], "id") {
        let mut n = 0;
        for id in &argv[3..] {
            let id = crate::num::parse_i64(id).ok_or_else(|| CmdError::err("Invalid client ID"))?;
            n += usize::from(id == ctx.session.id as i64);
        }
        n
    } else if argv.len() != 2 {
        return Err(CmdError::Syntax);
    } else {
        1
    };
    Ok(verbatim(info_line(ctx, "client|list").repeat(times)))
}

fn client_no_evict(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if is(argv[2], "on") || is(argv[2], "off") {
        Ok(Reply::ok())
    } else {
        Err(CmdError::Syntax)
    }
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
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    ))
}
