//! The Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH,
//! SPUBLISH and PUBSUB, with Redis 7.0's replies (shard channels as Redis
//! 7.0 treats them without cluster: a channel space of their own), and the
//! RESP2 subscribed-mode rule ([`check_subscribed`]).
//!
//! The subscription commands reply through the session's inbox (one
//! confirmation per name, queued in order with the messages); `execute`
//! returns a placeholder for them, and a network front sends nothing for
//! it (see [`crate::Session::inbox`]).

use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::pubsub::Kind;
use crate::reply::Reply;

const ACL_SLOW: &[&str] = &["pubsub", "slow"];
const ACL_FAST: &[&str] = &["pubsub", "fast"];
const SUB_FLAGS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;

/// A row of this family.
const ROW: Command = Command {
    group: "pubsub",
    flags: SUB_FLAGS,
    acl: ACL_SLOW,
    since: "2.0.0",
    ..BASE
};

/// A PUBSUB subcommand row.
const SUB: Command = Command {
    flags: PUBSUB | LOADING | STALE,
    ..ROW
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "subscribe",
        arity: -2,
        handler: |c, a| subscribe(c, a, Kind::Channel),
        summary: "Listen for messages published to the given channels",
        syntax: "channel [channel ...]",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        ..ROW
    },
    Command {
        name: "unsubscribe",
        arity: -1,
        handler: |c, a| unsubscribe(c, a, Kind::Channel),
        summary: "Stop listening for messages posted to the given channels",
        syntax: "[channel [channel ...]]",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        ..ROW
    },
    Command {
        name: "psubscribe",
        arity: -2,
        handler: |c, a| subscribe(c, a, Kind::Pattern),
        summary: "Listen for messages published to channels matching the given patterns",
        syntax: "pattern [pattern ...]",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        ..ROW
    },
    Command {
        name: "punsubscribe",
        arity: -1,
        handler: |c, a| unsubscribe(c, a, Kind::Pattern),
        summary: "Stop listening for messages posted to channels matching the given patterns",
        syntax: "[pattern [pattern ...]]",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed \
                     and M is the number of total patterns subscribed in the system (by any client).",
        ..ROW
    },
    Command {
        name: "ssubscribe",
        arity: -2,
        handler: |c, a| subscribe(c, a, Kind::Shard),
        summary: "Listen for messages published to the given shard channels",
        since: "7.0.0",
        syntax: "shardchannel [shardchannel ...]",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        // Key-like positions (COMMAND INFO), flagged `not_key`.
        spec_keys: Some(Keys::ALL_ARGS),
        ..ROW
    },
    Command {
        name: "sunsubscribe",
        arity: -1,
        handler: |c, a| unsubscribe(c, a, Kind::Shard),
        summary: "Stop listening for messages posted to the given shard channels",
        since: "7.0.0",
        syntax: "[shardchannel [shardchannel ...]]",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        // Key-like positions (COMMAND INFO), flagged `not_key`.
        spec_keys: Some(Keys::ALL_ARGS),
        ..ROW
    },
    Command {
        name: "publish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST,
        acl: ACL_FAST,
        handler: |c, a| publish(c, a, false),
        summary: "Post a message to a channel",
        syntax: "channel message",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel \
                     and M is the total number of subscribed patterns (by any client).",
        ..ROW
    },
    Command {
        name: "spublish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST,
        acl: ACL_FAST,
        handler: |c, a| publish(c, a, true),
        summary: "Post a message to a shard channel",
        since: "7.0.0",
        syntax: "shardchannel message",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        // Key-like positions (COMMAND INFO), flagged `not_key`.
        spec_keys: Some(Keys::FIRST),
        ..ROW
    },
    Command {
        name: "pubsub",
        arity: -2,
        flags: 0,
        acl: &["slow"],
        summary: "A container for Pub/Sub commands",
        since: "2.8.0",
        complexity: "Depends on subcommand.",
        subcommands: &[
            Command {
                name: "channels",
                arity: -2,
                handler: |c, a| channels(c, a, Kind::Channel),
                summary: "List active channels",
                since: "2.8.0",
                syntax: "[pattern]",
                complexity: "O(N) where N is the number of active channels, and assuming \
                             constant time pattern matching (relatively short channels and patterns)",
                ..SUB
            },
            Command {
                name: "numpat",
                arity: 2,
                handler: numpat,
                summary: "Get the count of unique patterns pattern subscriptions",
                since: "2.8.0",
                complexity: "O(1)",
                ..SUB
            },
            Command {
                name: "numsub",
                arity: -2,
                handler: |c, a| numsub(c, a, Kind::Channel),
                summary: "Get the count of subscribers for channels",
                since: "2.8.0",
                syntax: "[channel [channel ...]]",
                complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                ..SUB
            },
            Command {
                name: "shardchannels",
                arity: -2,
                handler: |c, a| channels(c, a, Kind::Shard),
                summary: "List active shard channels",
                since: "7.0.0",
                syntax: "[pattern]",
                complexity: "O(N) where N is the number of active shard channels, and assuming \
                             constant time pattern matching (relatively short shard channels).",
                ..SUB
            },
            Command {
                name: "shardnumsub",
                arity: -2,
                handler: |c, a| numsub(c, a, Kind::Shard),
                summary: "Get the count of subscribers for shard channels",
                since: "7.0.0",
                syntax: "[shardchannel [shardchannel ...]]",
                complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of \
                             requested shard channels",
                ..SUB
            },
            Command {
                name: "help",
                arity: 2,
                flags: LOADING | STALE,
                acl: &["slow"],
                handler: help,
                summary: "Show helpful text about the different subcommands",
                since: "6.2.0",
                complexity: "O(1)",
                ..SUB
            },
        ],
        ..ROW
    },
];

/// The commands a RESP2 client may send while subscribed.
const ALLOWED_SUBSCRIBED: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Redis's rule for a RESP2 client in subscribed mode: only the
/// subscription commands, PING, QUIT and RESET run; anything else gets
/// Redis's error naming the command (`parent|sub` for a subcommand).
pub(crate) fn check_subscribed(
    parent: Option<&'static Command>,
    cmd: &'static Command,
) -> Result<(), CmdError> {
    if ALLOWED_SUBSCRIBED.contains(&cmd.name) && parent.is_none_or(|p| std::ptr::eq(p, cmd)) {
        return Ok(());
    }
    let name = match parent {
        Some(p) if !std::ptr::eq(p, cmd) => format!("{}|{}", p.name, cmd.name),
        _ => cmd.name.to_string(),
    };
    Err(CmdError::err(format!(
        "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
         are allowed in this context"
    )))
}

/// The reply `execute` gives for a command that replied through the inbox.
/// Outside MULTI the front is told to send nothing for it.
fn replied_through_inbox(ctx: &mut Ctx<'_>) -> Reply {
    if !ctx.session.in_multi() {
        ctx.session.conn.pushed = true;
    }
    Reply::NilArray
}

fn subscribe(ctx: &mut Ctx<'_>, argv: &[&[u8]], kind: Kind) -> CmdResult {
    let registry = ctx.shared().pubsub.clone();
    let s = &mut *ctx.session;
    s.subs
        .subscribe(&registry, s.waker.0.as_ref(), kind, &argv[1..]);
    Ok(replied_through_inbox(ctx))
}

fn unsubscribe(ctx: &mut Ctx<'_>, argv: &[&[u8]], kind: Kind) -> CmdResult {
    let registry = ctx.shared().pubsub.clone();
    let s = &mut *ctx.session;
    s.subs
        .unsubscribe(&registry, s.waker.0.as_ref(), kind, &argv[1..], true);
    Ok(replied_through_inbox(ctx))
}

fn publish(ctx: &mut Ctx<'_>, argv: &[&[u8]], shard: bool) -> CmdResult {
    let shared = ctx.shared();
    let limit = shared.config.pubsub_hard_limit();
    let n = shared.pubsub.publish(argv[1], argv[2], shard, limit);
    Ok(Reply::Int(n as i64))
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'`.
fn syntax(sub: &[u8]) -> CmdError {
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        String::from_utf8_lossy(super::args::cstr(sub))
    ))
}

fn channels(ctx: &mut Ctx<'_>, argv: &[&[u8]], kind: Kind) -> CmdResult {
    if argv.len() > 3 {
        return Err(syntax(argv[1]));
    }
    let names = ctx.shared().pubsub.channels(kind, argv.get(2).copied());
    Ok(Reply::Array(names.into_iter().map(Reply::Bulk).collect()))
}

fn numsub(ctx: &mut Ctx<'_>, argv: &[&[u8]], kind: Kind) -> CmdResult {
    let registry = &ctx.shared().pubsub;
    let mut out = Vec::with_capacity((argv.len() - 2) * 2);
    for name in &argv[2..] {
        out.push(Reply::bulk(name));
        out.push(Reply::Int(registry.numsub(kind, name) as i64));
    }
    Ok(Reply::Array(out))
}

fn numpat(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(ctx.shared().pubsub.count(Kind::Pattern) as i64))
}

fn help(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(super::server::help(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    ))
}
