//! The command table: one row per command with its name, arity, flags, key
//! positions and handler. Every front dispatches through [`lookup`]; COMMAND
//! and COMMAND DOCS are generated from the same rows.

use crate::ctx::Ctx;
use crate::error::CmdResult;

/// A handler: the parsed argv (name included) in, a reply out.
pub type Handler = fn(&mut Ctx<'_>, &[&[u8]]) -> CmdResult;

/// Command flags, Redis's names (`COMMAND INFO` lists them in this order).
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u32 = 1 << 0;
    /// Only reads.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory (refused under OOM).
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative.
    pub const ADMIN: u32 = 1 << 3;
    /// Pub/Sub related.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed in scripts.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 6;
    /// Allowed while loading.
    pub const LOADING: u32 = 1 << 7;
    /// Allowed on a stale replica.
    pub const STALE: u32 = 1 << 8;
    /// Not shown in MONITOR.
    pub const SKIP_MONITOR: u32 = 1 << 9;
    /// Not counted in slowlog.
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    /// O(1) or O(log N).
    pub const FAST: u32 = 1 << 11;
    /// Allowed before AUTH.
    pub const NO_AUTH: u32 = 1 << 12;
    /// May replicate/propagate non-deterministically.
    pub const MAY_REPLICATE: u32 = 1 << 13;
    /// Allowed inside MULTI without being queued? (no: Redis `no-multi`).
    pub const NO_MULTI: u32 = 1 << 14;
    /// Allowed while the server is busy with a script.
    pub const ALLOW_BUSY: u32 = 1 << 15;
    /// May run with no key at all even though it takes keys (EVAL with numkeys 0).
    pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
    /// Refused while a replica loads its dataset asynchronously.
    pub const NO_ASYNC_LOADING: u32 = 1 << 17;
    /// Accepted on a cluster node importing the slot (RESTORE-ASKING).
    pub const ASKING: u32 = 1 << 18;
    /// Refused unless its `enable-*-command` option allows the client
    /// (Redis's `protected`: DEBUG); COMMAND INFO does not show it.
    pub const PROTECTED: u32 = 1 << 19;
}

/// Where a command's keys are, which decides the shards it locks.
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// No keys: nothing is locked.
    None,
    /// Keys at `first..=last` every `step` (Redis's legacy triple; a negative
    /// `last` counts from the end, -1 being the last argument).
    Range {
        /// First key index.
        first: i32,
        /// Last key index.
        last: i32,
        /// Step between keys.
        step: i32,
    },
    /// A key count at `count_at`, then that many keys; an optional
    /// destination key at `dest` (ZUNIONSTORE dest numkeys k1 ...).
    NumKeys {
        /// Index of the numkeys argument.
        count_at: usize,
        /// Index of a destination key before it, if any.
        dest: Option<usize>,
    },
    /// The selected db as a whole (KEYS, SCAN, FLUSHDB, SORT with patterns).
    Db,
    /// Every db (FLUSHALL, SWAPDB, MOVE, COPY ... DB).
    All,
    /// Computed from the arguments.
    Custom(fn(&[&[u8]]) -> Keys),
}

impl Keys {
    /// The key at index 1 (most commands).
    pub const FIRST: Keys = Keys::Range {
        first: 1,
        last: 1,
        step: 1,
    };
    /// The keys at indexes 1 and 2 (RENAME, SMOVE, LMOVE, ...).
    pub const FIRST_TWO: Keys = Keys::Range {
        first: 1,
        last: 2,
        step: 1,
    };
    /// Every argument from index 1 on (DEL, MGET, SINTER, ...).
    pub const ALL_ARGS: Keys = Keys::Range {
        first: 1,
        last: -1,
        step: 1,
    };
}

/// A command (or a subcommand such as `object|encoding`).
#[derive(Debug)]
pub struct Command {
    /// Lowercase name (`get`, or `encoding` for a subcommand).
    pub name: &'static str,
    /// Redis's arity: exact when positive, minimum when negative.
    pub arity: i32,
    /// Bits from [`flags`].
    pub flags: u32,
    /// ACL categories without the `@` (`string`, `fast`, ...).
    pub acl: &'static [&'static str],
    /// Key positions.
    pub keys: Keys,
    /// The handler (unused for containers with subcommands).
    pub handler: Handler,
    /// Subcommands, for container commands (OBJECT, CONFIG, ...).
    pub subcommands: &'static [Command],
    /// One-line summary (COMMAND DOCS).
    pub summary: &'static str,
    /// Redis version that introduced it.
    pub since: &'static str,
    /// Command group (`string`, `generic`, `hash`, ...).
    pub group: &'static str,
    /// The argument syntax after the name, Redis's documentation style
    /// (`key value [NX | XX]`); COMMAND DOCS derives its arguments from it.
    pub syntax: &'static str,
    /// Command tips, Redis's words (`nondeterministic_output`,
    /// `request_policy:all_shards`, ...), shown by COMMAND INFO.
    pub tips: &'static [&'static str],
    /// Time complexity as Redis documents it (COMMAND DOCS); empty when unknown.
    pub complexity: &'static str,
    /// The key positions Redis's key specs give (COMMAND INFO, COMMAND
    /// GETKEYS), when `keys` differs from them because it decides locking:
    /// MOVE locks every db (`Keys::Custom` returning `Keys::All`) but its
    /// one key is argument 1, so it sets
    /// `Some(Keys::Range { first: 1, last: 1, step: 1 })`. `None`: `keys`.
    pub spec_keys: Option<Keys>,
}

impl Command {
    /// True when it has flag `f`.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Where its keys are for introspection: `spec_keys`, else `keys`.
    pub fn key_positions(&self) -> Keys {
        self.spec_keys.unwrap_or(self.keys)
    }
}

/// A default row, for `..BASE` in table literals.
pub const BASE: Command = Command {
    name: "",
    arity: 1,
    flags: 0,
    acl: &[],
    keys: Keys::None,
    handler: |_, _| Err(crate::error::CmdError::err("container command")),
    subcommands: &[],
    summary: "",
    since: "1.0.0",
    group: "generic",
    syntax: "",
    tips: &[],
    complexity: "",
    spec_keys: None,
};

/// Every command family's rows.
pub fn all() -> impl Iterator<Item = &'static Command> {
    use super::*;
    [
        strings::COMMANDS,
        bitmap::COMMANDS,
        keys::COMMANDS,
        sort::COMMANDS,
        hash::COMMANDS,
        list::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        hll::COMMANDS,
        persist::COMMANDS,
        server::COMMANDS,
        debug::COMMANDS,
        introspect::COMMANDS,
        transactions::COMMANDS,
        scripting::COMMANDS,
        pubsub::COMMANDS,
        blocking::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

type Index =
    std::collections::HashMap<&'static [u8], &'static Command, foldhash::fast::RandomState>;

static TABLE: std::sync::LazyLock<Index> =
    std::sync::LazyLock::new(|| all().map(|c| (c.name.as_bytes(), c)).collect());

/// The command named `name`, case-insensitively.
#[inline]
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    TABLE.get(&*lower).copied()
}

/// The subcommand of `parent` named `name`, case-insensitively.
pub fn lookup_sub(parent: &'static Command, name: &[u8]) -> Option<&'static Command> {
    parent
        .subcommands
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Number of top-level commands.
pub fn count() -> usize {
    TABLE.len()
}
