//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. The
//! work is in [`crate::script`]. Their rows lock nothing (`Keys::None`):
//! EVAL locks the shards itself (see [`crate::script`]), after announcing
//! the script so that
//! other clients wait for it (or get `BUSY`) instead of blocking on its
//! locks; `spec_keys` gives COMMAND GETKEYS the declared keys.
//!
//! FCALL and FUNCTION (Redis 7.0's functions) are not implemented: they
//! are unknown commands here.

use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::script;

/// The declared keys of an EVAL-style command: numkeys at 2, then keys.
const EVAL_KEYS: Keys = Keys::NumKeys {
    count_at: 2,
    dest: None,
};

/// An EVAL-style row.
const EVAL_ROW: Command = Command {
    arity: -3,
    flags: NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE,
    acl: &["slow", "scripting"],
    spec_keys: Some(EVAL_KEYS),
    since: "2.6.0",
    group: "scripting",
    complexity: "Depends on the script that is executed.",
    ..BASE
};

/// The read-only EVAL forms' flags.
const RO_FLAGS: u32 = NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY;

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "eval",
        handler: |ctx, argv| script::eval(ctx, argv, false, false),
        summary: "Execute a Lua script server side",
        syntax: "script numkeys [key [key ...]] [arg [arg ...]]",
        ..EVAL_ROW
    },
    Command {
        name: "evalsha",
        handler: |ctx, argv| script::eval(ctx, argv, true, false),
        summary: "Execute a Lua script server side",
        syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        ..EVAL_ROW
    },
    Command {
        name: "eval_ro",
        flags: RO_FLAGS,
        handler: |ctx, argv| script::eval(ctx, argv, false, true),
        summary: "Execute a read-only Lua script server side",
        syntax: "script numkeys [key [key ...]] [arg [arg ...]]",
        since: "7.0.0",
        ..EVAL_ROW
    },
    Command {
        name: "evalsha_ro",
        flags: RO_FLAGS,
        handler: |ctx, argv| script::eval(ctx, argv, true, true),
        summary: "Execute a read-only Lua script server side",
        syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        since: "7.0.0",
        ..EVAL_ROW
    },
    Command {
        name: "script",
        arity: -2,
        subcommands: SCRIPT,
        summary: "A container for Lua scripts management commands",
        since: "2.6.0",
        group: "scripting",
        complexity: "Depends on subcommand.",
        ..BASE
    },
];

/// A SCRIPT subcommand row.
const SCRIPT_ROW: Command = Command {
    flags: NOSCRIPT,
    acl: &["slow", "scripting"],
    since: "2.6.0",
    group: "scripting",
    complexity: "O(1)",
    ..BASE
};

/// The SCRIPT subcommands.
const SCRIPT: &[Command] = &[
    Command {
        name: "debug",
        arity: 3,
        handler: script_debug,
        summary: "Set the debug mode for executed scripts.",
        since: "3.2.0",
        syntax: "YES | SYNC | NO",
        ..SCRIPT_ROW
    },
    Command {
        name: "exists",
        arity: -3,
        handler: |ctx, argv| script::script_exists(&ctx.shared().scripts, &argv[2..]),
        summary: "Check existence of scripts in the script cache.",
        syntax: "sha1 [sha1 ...]",
        complexity: "O(N) with N being the number of scripts to check (so checking a single \
                     script is an O(1) operation).",
        tips: &[
            "request_policy:all_shards",
            "response_policy:agg_logical_and",
        ],
        ..SCRIPT_ROW
    },
    Command {
        name: "flush",
        arity: -2,
        handler: |ctx, argv| script::script_flush(&ctx.shared().scripts, argv),
        summary: "Remove all the scripts from the script cache.",
        syntax: "[ASYNC | SYNC]",
        complexity: "O(N) with N being the number of scripts in cache",
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ..SCRIPT_ROW
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        handler: |_, _| Ok(super::server::help("SCRIPT", HELP)),
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        ..SCRIPT_ROW
    },
    Command {
        name: "kill",
        arity: 2,
        flags: NOSCRIPT | ALLOW_BUSY,
        handler: |ctx, _| script::script_kill(&ctx.shared().scripts),
        summary: "Kill the script currently in execution.",
        tips: &["request_policy:all_shards", "response_policy:one_succeeded"],
        ..SCRIPT_ROW
    },
    Command {
        name: "load",
        arity: 3,
        flags: NOSCRIPT | STALE,
        handler: |ctx, argv| script::script_load(&ctx.shared().scripts, argv[2]),
        summary: "Load the specified Lua script into the script cache.",
        syntax: "script",
        complexity: "O(N) with N being the length in bytes of the script body.",
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ..SCRIPT_ROW
    },
];

/// SCRIPT HELP's lines (Redis 7.0's).
const HELP: &[&str] = &[
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
];

/// SCRIPT DEBUG: NO is accepted (debugging is off); the debugger itself
/// (YES, SYNC), which forks or blocks the server on a line protocol, is
/// not part of an embedded engine.
fn script_debug(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mode = super::args::cstr(argv[2]);
    if mode.eq_ignore_ascii_case(b"no") {
        return Ok(crate::Reply::ok());
    }
    if mode.eq_ignore_ascii_case(b"yes") || mode.eq_ignore_ascii_case(b"sync") {
        return Err(CmdError::err(
            "SCRIPT DEBUG is not supported: kvstore has no Lua debugger",
        ));
    }
    Err(CmdError::err("Use SCRIPT DEBUG YES/SYNC/NO"))
}
