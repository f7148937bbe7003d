//! Server and connection commands: PING, ECHO, SELECT, ...

use super::args;
use super::table::{BASE, Command, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::DB_COUNT;
use crate::reply::Reply;

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: FAST | STALE | LOADING,
        acl: &["fast", "connection"],
        handler: ping,
        summary: "Ping the server",
        group: "connection",
        syntax: "[message]",
        ..BASE
    },
    Command {
        name: "echo",
        arity: 2,
        flags: FAST | STALE | LOADING,
        acl: &["fast", "connection"],
        handler: echo,
        summary: "Echo the given string",
        group: "connection",
        syntax: "message",
        ..BASE
    },
    Command {
        name: "select",
        arity: 2,
        flags: FAST | STALE | LOADING,
        acl: &["fast", "connection"],
        handler: select,
        summary: "Change the selected database for the current connection",
        group: "connection",
        since: "1.0.0",
        syntax: "index",
        ..BASE
    },
];

fn ping(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    match argv.len() {
        1 => Ok(Reply::Status("PONG".into())),
        2 => Ok(Reply::bulk(argv[1])),
        _ => Err(CmdError::Arity("ping".into())),
    }
}

fn echo(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    Ok(Reply::bulk(argv[1]))
}

fn select(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let db = crate::num::parse_i64(argv[1]).ok_or(CmdError::NotInt)?;
    if db < 0 || db as usize >= DB_COUNT {
        return Err(CmdError::err("DB index is out of range"));
    }
    let _ = args::is;
    ctx.session.db = db as usize;
    Ok(Reply::ok())
}
