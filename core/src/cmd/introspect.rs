//! COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS,
//! GETKEYSANDFLAGS, HELP), all generated from the command table: every row
//! of [`table::all`] is described, never a hand-kept list.
//!
//! What the table does not record is derived the way Redis derives it:
//! implicit ACL categories from the flags, `movablekeys` and the legacy
//! (first, last, step) triple from the key positions, key specs from
//! [`Keys`], and COMMAND DOCS arguments from the `syntax` text ([`docs`]).

mod docs;

use super::server::help;
use super::table::{self, BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::reply::Reply;
use std::borrow::Cow;

const INTROSPECT: u32 = LOADING | STALE;
const ACL: &[&str] = &["slow", "connection"];

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[Command {
    name: "command",
    arity: -1,
    flags: INTROSPECT,
    acl: ACL,
    handler: command,
    subcommands: SUBCOMMANDS,
    summary: "Get array of Redis command details",
    since: "2.8.13",
    group: "server",
    complexity: "O(N) where N is the total number of Redis commands",
    tips: &["nondeterministic_output_order"],
    ..BASE
}];

/// A COMMAND subcommand row.
const SUB_ROW: Command = Command {
    flags: INTROSPECT,
    acl: ACL,
    group: "server",
    ..BASE
};

const SUBCOMMANDS: &[Command] = &[
    Command {
        name: "count",
        arity: 2,
        handler: count,
        summary: "Get total number of Redis commands",
        since: "2.8.13",
        complexity: "O(1)",
        ..SUB_ROW
    },
    Command {
        name: "info",
        arity: -2,
        handler: info,
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        since: "2.8.13",
        syntax: "[command-name [command-name ...]]",
        complexity: "O(N) where N is the number of commands to look up",
        tips: &["nondeterministic_output_order"],
        ..SUB_ROW
    },
    Command {
        name: "docs",
        arity: -2,
        handler: docs_cmd,
        summary: "Get array of specific Redis command documentation",
        since: "7.0.0",
        syntax: "[command-name [command-name ...]]",
        complexity: "O(N) where N is the number of commands to look up",
        tips: &["nondeterministic_output_order"],
        ..SUB_ROW
    },
    Command {
        name: "list",
        arity: -2,
        handler: list,
        summary: "Get an array of Redis command names",
        since: "7.0.0",
        syntax: "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
        complexity: "O(N) where N is the total number of Redis commands",
        tips: &["nondeterministic_output_order"],
        ..SUB_ROW
    },
    Command {
        name: "getkeys",
        arity: -4,
        handler: getkeys,
        summary: "Extract keys given a full Redis command",
        since: "2.8.13",
        syntax: "command [arg [arg ...]]",
        complexity: "O(N) where N is the number of arguments to the command",
        ..SUB_ROW
    },
    Command {
        name: "getkeysandflags",
        arity: -4,
        handler: getkeysandflags,
        summary: "Extract keys and access flags given a full Redis command",
        since: "7.0.0",
        syntax: "command [arg [arg ...]]",
        complexity: "O(N) where N is the number of arguments to the command",
        ..SUB_ROW
    },
    Command {
        name: "help",
        arity: 2,
        handler: command_help,
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        ..SUB_ROW
    },
];

// ---------------------------------------------------------------------------
// What COMMAND INFO shows, derived from a row.

/// Flags in COMMAND INFO's order (Redis's `addReplyCommandFlags`);
/// `may_replicate` is hidden as in Redis, and `movablekeys` is derived.
const FLAG_ORDER: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (NOSCRIPT, "noscript"),
    (BLOCKING, "blocking"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (SKIP_MONITOR, "skip_monitor"),
    (SKIP_SLOWLOG, "skip_slowlog"),
    (ASKING, "asking"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    (NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (NO_ASYNC_LOADING, "no_async_loading"),
    (NO_MULTI, "no_multi"),
    (MOVABLE_KEYS, "movablekeys"),
    (ALLOW_BUSY, "allow_busy"),
];

/// A pseudo flag bit for `movablekeys` (never stored in a row).
const MOVABLE_KEYS: u32 = 1 << 31;

/// ACL categories in Redis's order (`ACLCommandCategories`).
const ACL_CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The key positions of a `Keys::Custom` command on a minimal argv (the
/// name then "0"s up to its arity): what COMMAND INFO reports for it.
fn probe(cmd: &Command) -> Keys {
    match cmd.key_positions() {
        Keys::Custom(f) => {
            let n = cmd.arity.unsigned_abs().max(1) as usize;
            let mut argv: Vec<&[u8]> = vec![b"0"; n];
            argv[0] = cmd.name.as_bytes();
            match f(&argv) {
                Keys::Custom(_) => Keys::None,
                k => k,
            }
        }
        k => k,
    }
}

/// True when the keys cannot be found from fixed positions alone.
fn movable(cmd: &Command) -> bool {
    matches!(cmd.key_positions(), Keys::NumKeys { .. } | Keys::Custom(_))
}

/// Redis's legacy (first key, last key, step).
fn legacy_range(cmd: &Command) -> (i64, i64, i64) {
    match probe(cmd) {
        Keys::Range { first, last, step } => (first.into(), last.into(), step.into()),
        Keys::NumKeys { dest: Some(d), .. } => (d as i64, d as i64, 1),
        _ => (0, 0, 0),
    }
}

/// The flag names COMMAND INFO lists.
fn flag_names(cmd: &Command) -> Vec<&'static str> {
    let bits = cmd.flags | if movable(cmd) { MOVABLE_KEYS } else { 0 };
    FLAG_ORDER
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// The row's categories plus the ones Redis implies from the flags
/// (`setImplicitACLCategories`), in Redis's order; unknown names last.
fn acl_categories(cmd: &Command) -> Vec<&'static str> {
    let mut cats: Vec<&'static str> = cmd.acl.to_vec();
    let mut imply = |cond: bool, names: &[&'static str]| {
        if cond {
            cats.extend_from_slice(names);
        }
    };
    imply(cmd.has(WRITE), &["write"]);
    imply(
        cmd.has(READONLY) && !cmd.acl.contains(&"scripting"),
        &["read"],
    );
    imply(cmd.has(ADMIN), &["admin", "dangerous"]);
    imply(cmd.has(PUBSUB), &["pubsub"]);
    imply(cmd.has(FAST), &["fast"]);
    imply(cmd.has(BLOCKING), &["blocking"]);
    if !cats.contains(&"fast") {
        cats.push("slow");
    }
    let rank = |c: &&str| {
        ACL_CATEGORIES
            .iter()
            .position(|k| k == c)
            .unwrap_or(usize::MAX)
    };
    cats.sort_by_key(rank);
    cats.dedup();
    cats
}

/// Where a key spec starts looking.
enum Begin {
    Index(i64),
    Unknown,
}

/// How a key spec finds its keys from there.
enum Find {
    Range {
        lastkey: i64,
        keystep: i64,
    },
    KeyNum {
        keynumidx: i64,
        firstkey: i64,
        keystep: i64,
    },
    Unknown,
}

/// One key spec: access flags and the search.
struct Spec {
    flags: &'static [&'static str],
    begin: Begin,
    find: Find,
}

/// Access flags of a command's keys. The table records no per-key access
/// flags, so they follow from the command's flags: reads `RO access`,
/// other keys `RW access update` (what Redis assumes when it cannot tell).
fn key_flags(cmd: &Command) -> &'static [&'static str] {
    // Shard channels: positioned like keys (for cluster routing), but no
    // keys (Redis's `not_key`; COMMAND GETKEYS finds none).
    if cmd.has(PUBSUB) {
        &["not_key"]
    } else if cmd.has(READONLY) {
        &["RO", "access"]
    } else {
        &["RW", "access", "update"]
    }
}

/// A destination key's flags (the `dest` of NumKeys commands).
const DEST_FLAGS: &[&str] = &["OW", "update"];

/// The key specs of a command (empty for keyless and whole-db commands).
fn key_specs(cmd: &Command) -> Vec<Spec> {
    let flags = key_flags(cmd);
    let range = |first: i32, last: i32, step: i32| Spec {
        flags,
        begin: Begin::Index(first.into()),
        find: Find::Range {
            lastkey: if last < 0 {
                last.into()
            } else {
                (last - first).into()
            },
            keystep: step.into(),
        },
    };
    let mut specs = match probe(cmd) {
        Keys::Range { first, last, step } => vec![range(first, last, step)],
        Keys::NumKeys { count_at, dest } => {
            let mut v: Vec<Spec> = dest
                .map(|d| Spec {
                    flags: DEST_FLAGS,
                    begin: Begin::Index(d as i64),
                    find: Find::Range {
                        lastkey: 0,
                        keystep: 1,
                    },
                })
                .into_iter()
                .collect();
            v.push(Spec {
                flags: if dest.is_some() {
                    &["RO", "access"]
                } else {
                    flags
                },
                begin: Begin::Index(count_at as i64),
                find: Find::KeyNum {
                    keynumidx: 0,
                    firstkey: 1,
                    keystep: 1,
                },
            });
            v
        }
        _ => Vec::new(),
    };
    if matches!(cmd.key_positions(), Keys::Custom(_)) {
        // Positions that depend on the arguments (options, patterns).
        specs.push(Spec {
            flags,
            begin: Begin::Unknown,
            find: Find::Unknown,
        });
    }
    specs
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn status_set<S: Into<Cow<'static, str>>>(items: impl IntoIterator<Item = S>) -> Reply {
    Reply::Set(items.into_iter().map(|s| Reply::Status(s.into())).collect())
}

fn map(pairs: Vec<(&str, Reply)>) -> Reply {
    Reply::Map(pairs.into_iter().map(|(k, v)| (bulk(k), v)).collect())
}

fn spec_reply(s: &Spec) -> Reply {
    let (btype, bspec) = match s.begin {
        Begin::Index(i) => ("index", vec![("index", Reply::Int(i))]),
        Begin::Unknown => ("unknown", vec![]),
    };
    let (ftype, fspec) = match s.find {
        Find::Range { lastkey, keystep } => (
            "range",
            vec![
                ("lastkey", Reply::Int(lastkey)),
                ("keystep", Reply::Int(keystep)),
                ("limit", Reply::Int(0)),
            ],
        ),
        Find::KeyNum {
            keynumidx,
            firstkey,
            keystep,
        } => (
            "keynum",
            vec![
                ("keynumidx", Reply::Int(keynumidx)),
                ("firstkey", Reply::Int(firstkey)),
                ("keystep", Reply::Int(keystep)),
            ],
        ),
        Find::Unknown => ("unknown", vec![]),
    };
    map(vec![
        ("flags", status_set(s.flags.iter().copied())),
        (
            "begin_search",
            map(vec![("type", bulk(btype)), ("spec", map(bspec))]),
        ),
        (
            "find_keys",
            map(vec![("type", bulk(ftype)), ("spec", map(fspec))]),
        ),
    ])
}

/// The full name of `cmd` under `parent` (`config|get`).
fn full_name(parent: Option<&Command>, cmd: &Command) -> String {
    match parent {
        Some(p) => format!("{}|{}", p.name, cmd.name),
        None => cmd.name.to_string(),
    }
}

/// Redis 7.0's ten-element COMMAND INFO row.
fn info_row(parent: Option<&Command>, cmd: &Command) -> Reply {
    let (first, last, step) = legacy_range(cmd);
    let acl: Vec<String> = acl_categories(cmd)
        .iter()
        .map(|c| format!("@{c}"))
        .collect();
    let subs = if cmd.subcommands.is_empty() {
        Reply::Set(Vec::new())
    } else {
        Reply::Array(
            cmd.subcommands
                .iter()
                .map(|s| info_row(Some(cmd), s))
                .collect(),
        )
    };
    Reply::Array(vec![
        bulk(&full_name(parent, cmd)),
        Reply::Int(cmd.arity.into()),
        status_set(flag_names(cmd)),
        Reply::Int(first),
        Reply::Int(last),
        Reply::Int(step),
        status_set(acl),
        Reply::Set(cmd.tips.iter().map(|t| bulk(t)).collect()),
        Reply::Set(key_specs(cmd).iter().map(spec_reply).collect()),
        subs,
    ])
}

/// A command by full name (`get`, `config|get`), any case, with its parent.
fn by_full_name(name: &[u8]) -> Option<(Option<&'static Command>, &'static Command)> {
    let mut parts = name.splitn(2, |&c| c == b'|');
    let top = table::lookup(parts.next()?)?;
    match parts.next() {
        None => Some((None, top)),
        Some(sub) => table::lookup_sub(top, sub).map(|s| (Some(top), s)),
    }
}

// ---------------------------------------------------------------------------
// Handlers.

/// COMMAND: every command's row.
fn command(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Array(
        table::all().map(|c| info_row(None, c)).collect(),
    ))
}

fn count(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(Reply::Int(table::count() as i64))
}

/// COMMAND INFO [name ...]: rows, nil for unknown names; all without names.
fn info(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() == 2 {
        return command(ctx, argv);
    }
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|n| by_full_name(n).map_or(Reply::Nil, |(p, c)| info_row(p, c)))
            .collect(),
    ))
}

/// One command's COMMAND DOCS map.
fn doc_map(cmd: &Command) -> Reply {
    let mut fields = vec![
        ("summary", bulk(cmd.summary)),
        ("since", bulk(cmd.since)),
        ("group", bulk(cmd.group)),
    ];
    if !cmd.complexity.is_empty() {
        fields.push(("complexity", bulk(cmd.complexity)));
    }
    let args = docs::arguments(cmd.syntax, key_specs(cmd).len());
    if !args.is_empty() {
        fields.push((
            "arguments",
            Reply::Array(args.iter().map(docs::Arg::reply).collect()),
        ));
    }
    if !cmd.subcommands.is_empty() {
        let subs = cmd
            .subcommands
            .iter()
            .map(|s| (bulk(&full_name(Some(cmd), s)), doc_map(s)))
            .collect();
        fields.push(("subcommands", Reply::Map(subs)));
    }
    map(fields)
}

/// COMMAND DOCS [name ...]: a map name → docs; unknown names are left out.
fn docs_cmd(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let entries: Vec<(Reply, Reply)> = if argv.len() == 2 {
        table::all().map(|c| (bulk(c.name), doc_map(c))).collect()
    } else {
        argv[2..]
            .iter()
            .filter_map(|n| by_full_name(n))
            .map(|(p, c)| (bulk(&full_name(p, c)), doc_map(c)))
            .collect()
    };
    Ok(Reply::Map(entries))
}

/// A COMMAND LIST filter.
enum Filter<'a> {
    All,
    Module,
    AclCat(&'a [u8]),
    Pattern(&'a [u8]),
}

impl Filter<'_> {
    fn keeps(&self, cmd: &Command, full: &str) -> bool {
        match self {
            Filter::All => true,
            // No modules: nothing comes from one.
            Filter::Module => false,
            Filter::AclCat(cat) => acl_categories(cmd)
                .iter()
                .any(|c| c.as_bytes().eq_ignore_ascii_case(cat)),
            Filter::Pattern(p) => crate::glob::matches(p, full.as_bytes(), true),
        }
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]:
/// names of commands and subcommands.
fn list(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mut filter = Filter::All;
    let mut i = 2;
    while i < argv.len() {
        if !(super::args::is(argv[i], "filterby") && argv.len() - 1 - i == 2) {
            return Err(CmdError::Syntax);
        }
        let (kind, arg) = (argv[i + 1], argv[i + 2]);
        filter = match () {
            _ if super::args::is(kind, "module") => Filter::Module,
            _ if super::args::is(kind, "aclcat") => Filter::AclCat(arg),
            _ if super::args::is(kind, "pattern") => Filter::Pattern(arg),
            _ => return Err(CmdError::Syntax),
        };
        i += 3;
    }
    let mut out = Vec::new();
    for c in table::all() {
        let full = c.name.to_string();
        if filter.keeps(c, &full) {
            out.push(bulk(&full));
        }
        for s in c.subcommands {
            let full = full_name(Some(c), s);
            if filter.keeps(s, &full) {
                out.push(bulk(&full));
            }
        }
    }
    Ok(Reply::Array(out))
}

/// The argument indexes of the keys of `keys` in `argv`, or None when the
/// arguments do not say (a bad key count).
fn key_positions(keys: Keys, argv: &[&[u8]]) -> Option<Vec<usize>> {
    let argc = argv.len() as i64;
    match keys {
        Keys::None | Keys::Db | Keys::All => Some(Vec::new()),
        Keys::Custom(f) => key_positions(f(argv), argv),
        Keys::Range { first, last, step } => {
            let last = if last < 0 {
                argc + i64::from(last)
            } else {
                i64::from(last)
            };
            let (first, last) = (i64::from(first), last.min(argc - 1));
            let step = i64::from(step).max(1) as usize;
            Some((first..=last).step_by(step).map(|i| i as usize).collect())
        }
        Keys::NumKeys { count_at, dest } => {
            let n = crate::num::parse_i64(argv.get(count_at)?)?;
            let n = usize::try_from(n).ok()?;
            if count_at + n >= argv.len() {
                return None;
            }
            let mut v: Vec<usize> = dest.into_iter().collect();
            v.extend(count_at + 1..=count_at + n);
            Some(v)
        }
    }
}

/// A key and its access flags.
type KeyAndFlags = (Vec<u8>, &'static [&'static str]);

/// The command COMMAND GETKEYS is asked about and its keys, with Redis's
/// errors; each key comes with its access flags.
fn keys_of(argv: &[&[u8]]) -> Result<Vec<KeyAndFlags>, CmdError> {
    let target = &argv[2..];
    let invalid = || CmdError::err("Invalid command specified");
    let mut cmd = table::lookup(target[0]).ok_or_else(invalid)?;
    if !cmd.subcommands.is_empty() && target.len() >= 2 {
        cmd = table::lookup_sub(cmd, target[1]).ok_or_else(invalid)?;
    }
    if key_specs(cmd).iter().all(|s| s.flags == ["not_key"]) {
        return Err(CmdError::err("The command has no key arguments"));
    }
    let n = target.len() as i32;
    if (cmd.arity > 0 && n != cmd.arity) || n < -cmd.arity {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let positions = key_positions(cmd.key_positions(), target).unwrap_or_default();
    if positions.is_empty() && !cmd.has(NO_MANDATORY_KEYS) {
        return Err(CmdError::err("Invalid arguments specified for command"));
    }
    let dest = match cmd.key_positions() {
        Keys::NumKeys { dest, .. } => dest,
        _ => None,
    };
    let flags = key_flags(cmd);
    Ok(positions
        .into_iter()
        .map(|i| {
            let f = if Some(i) == dest { DEST_FLAGS } else { flags };
            (target[i].to_vec(), f)
        })
        .collect())
}

/// COMMAND GETKEYS command [arg ...].
fn getkeys(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let keys = keys_of(argv)?;
    Ok(Reply::Array(
        keys.into_iter().map(|(k, _)| Reply::Bulk(k)).collect(),
    ))
}

/// COMMAND GETKEYSANDFLAGS command [arg ...].
fn getkeysandflags(_: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let keys = keys_of(argv)?;
    Ok(Reply::Array(
        keys.into_iter()
            .map(|(k, f)| Reply::Array(vec![Reply::Bulk(k), status_set(f.iter().copied())]))
            .collect(),
    ))
}

fn command_help(_: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    Ok(help(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn lock_all(_: &[&[u8]]) -> Keys {
        Keys::All
    }

    fn sort_like(argv: &[&[u8]]) -> Keys {
        if argv.len() > 2 {
            Keys::Db
        } else {
            Keys::FIRST
        }
    }

    #[test]
    fn spec_keys_override_locking_keys() {
        let mv = Command {
            name: "move",
            arity: 3,
            flags: WRITE | FAST,
            keys: Keys::Custom(lock_all),
            spec_keys: Some(Keys::FIRST),
            ..BASE
        };
        assert_eq!(legacy_range(&mv), (1, 1, 1));
        assert!(!movable(&mv));
        assert_eq!(flag_names(&mv), ["write", "fast"]);
        assert_eq!(key_specs(&mv).len(), 1);
        // Positions that depend on the arguments: movable, with the
        // minimal argv's range as the legacy triple.
        let sort = Command {
            name: "sort",
            arity: -2,
            keys: Keys::Custom(sort_like),
            spec_keys: None,
            ..mv
        };
        assert_eq!(legacy_range(&sort), (1, 1, 1));
        assert!(movable(&sort));
        assert_eq!(flag_names(&sort), ["write", "fast", "movablekeys"]);
    }

    #[test]
    fn numkeys_positions() {
        let k = Keys::NumKeys {
            count_at: 2,
            dest: Some(1),
        };
        let argv: Vec<&[u8]> = vec![b"zunionstore", b"d", b"2", b"a", b"b"];
        assert_eq!(key_positions(k, &argv), Some(vec![1, 3, 4]));
        let argv: Vec<&[u8]> = vec![b"zunionstore", b"d", b"3", b"a", b"b"];
        assert_eq!(key_positions(k, &argv), None);
        let argv: Vec<&[u8]> = vec![b"zunionstore", b"d", b"-1", b"a"];
        assert_eq!(key_positions(k, &argv), None);
        let argv: Vec<&[u8]> = vec![b"x", b"d", b"9223372036854775807", b"a"];
        assert_eq!(key_positions(k, &argv), None);
    }

    #[test]
    fn implicit_acl_categories() {
        let c = Command {
            flags: ADMIN | WRITE,
            acl: &["keyspace"],
            ..BASE
        };
        assert_eq!(
            acl_categories(&c),
            ["keyspace", "write", "admin", "slow", "dangerous"]
        );
        let f = Command {
            flags: READONLY | FAST,
            acl: &["string", "read", "fast"],
            ..BASE
        };
        assert_eq!(acl_categories(&f), ["read", "string", "fast"]);
    }
}
