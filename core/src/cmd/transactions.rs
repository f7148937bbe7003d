//! Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The state
//! and EXEC's locking live in [`crate::multi`]; queueing happens in
//! [`Engine::execute`](crate::Engine::execute).

use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::multi;

/// Flags Redis gives the transaction commands but EXEC.
const TX_FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

/// A transaction command row.
const TX_ROW: Command = Command {
    flags: TX_FLAGS,
    acl: &["fast", "transaction"],
    group: "transactions",
    complexity: "O(1)",
    ..BASE
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "multi",
        handler: |ctx, _| multi::multi(ctx),
        summary: "Mark the start of a transaction block",
        since: "1.2.0",
        ..TX_ROW
    },
    Command {
        name: "exec",
        flags: NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        acl: &["slow", "transaction"],
        handler: |ctx, _| multi::exec(ctx),
        summary: "Execute all commands issued after MULTI",
        since: "1.2.0",
        complexity: "Depends on commands in the transaction",
        ..TX_ROW
    },
    Command {
        name: "discard",
        handler: |ctx, _| multi::discard(ctx),
        summary: "Discard all commands issued after MULTI",
        since: "2.0.0",
        complexity: "O(N), when N is the number of queued commands",
        ..TX_ROW
    },
    Command {
        name: "watch",
        arity: -2,
        keys: Keys::ALL_ARGS,
        handler: watch,
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        since: "2.2.0",
        syntax: "key [key ...]",
        complexity: "O(1) for every key.",
        ..TX_ROW
    },
    Command {
        name: "unwatch",
        handler: |ctx, _| multi::unwatch(ctx),
        summary: "Forget about all watched keys",
        since: "2.2.0",
        ..TX_ROW
    },
];

fn watch(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    multi::watch(ctx, &argv[1..])
}
