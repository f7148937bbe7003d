//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP over [`crate::config`].

use super::help;
use crate::cmd::table::{BASE, Command, flags::*};
use crate::config::{self, NAMES};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::reply::Reply;
use std::sync::atomic::Ordering;

const CONFIG_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

/// A CONFIG subcommand row: administrative, group `server`.
const CONFIG_ROW: Command = Command {
    flags: CONFIG_FLAGS,
    acl: &["admin", "slow", "dangerous"],
    group: "server",
    complexity: "O(1)",
    ..BASE
};

/// The CONFIG subcommands.
pub(super) const CONFIG: &[Command] = &[
    Command {
        name: "get",
        arity: -3,
        handler: config_get,
        summary: "Get the values of configuration parameters",
        since: "2.0.0",
        syntax: "parameter [parameter ...]",
        complexity: "O(N) when N is the number of configuration parameters provided",
        ..CONFIG_ROW
    },
    Command {
        name: "set",
        arity: -4,
        handler: config_set,
        summary: "Set configuration parameters to the given values",
        since: "2.0.0",
        syntax: "parameter value [parameter value ...]",
        complexity: "O(N) when N is the number of configuration parameters provided",
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ..CONFIG_ROW
    },
    Command {
        name: "resetstat",
        arity: 2,
        handler: config_resetstat,
        summary: "Reset the stats returned by INFO",
        since: "2.0.0",
        ..CONFIG_ROW
    },
    Command {
        name: "rewrite",
        arity: 2,
        handler: config_rewrite,
        summary: "Rewrite the configuration file with the in memory configuration",
        since: "2.8.0",
        ..CONFIG_ROW
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: &["slow"],
        handler: config_help,
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        ..CONFIG_ROW
    },
];

/// CONFIG GET pattern [pattern ...]: a name without glob characters is
/// looked up exactly and shown as typed; a pattern matches names and
/// aliases case-insensitively. A name already shown is not repeated.
fn config_get(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mut shown: Vec<(Vec<u8>, usize)> = Vec::new();
    let seen = |shown: &[(Vec<u8>, usize)], name: &[u8]| {
        shown.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for arg in &argv[2..] {
        if !arg.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
            match config::lookup(arg) {
                Some(n) if !seen(&shown, arg) => shown.push((arg.to_vec(), n.param)),
                _ => {}
            }
            continue;
        }
        for n in NAMES.iter() {
            if !seen(&shown, n.name.as_bytes())
                && crate::glob::matches(arg, n.name.as_bytes(), true)
            {
                shown.push((n.name.as_bytes().to_vec(), n.param));
            }
        }
    }
    let cfg = &ctx.shared().config;
    Ok(Reply::Map(
        shown
            .into_iter()
            .map(|(name, idx)| (Reply::Bulk(name), Reply::Bulk(cfg.value(idx).into_bytes())))
            .collect(),
    ))
}

/// CONFIG SET parameter value [parameter value ...], all or nothing.
fn config_set(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = argv[2..].chunks(2).map(|c| (c[0], c[1])).collect();
    let shared = ctx.shared();
    shared.config.set_many(&pairs).map_err(CmdError::Err)?;
    let aof = pairs.iter().any(|(n, _)| {
        matches!(
            crate::config::canonical(&String::from_utf8_lossy(n).to_ascii_lowercase()),
            Some("appendonly" | "appendfsync")
        )
    });
    if aof {
        crate::aof::config_changed(shared).map_err(CmdError::Err)?;
    }
    Ok(Reply::ok())
}

/// CONFIG RESETSTAT: zeroes the INFO counters Redis resets (the count of
/// changes since the last save is not one of them).
fn config_resetstat(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    let s = &ctx.shared().stats;
    for counter in [
        &s.commands,
        &s.connections,
        &s.keyspace_hits,
        &s.keyspace_misses,
        &s.expired_keys,
    ] {
        counter.store(0, Ordering::Relaxed);
    }
    Ok(Reply::ok())
}

/// The engine never reads a config file, so there is none to rewrite.
fn config_rewrite(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Err(CmdError::err("The server is running without a config file"))
}

fn config_help(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(help(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}
