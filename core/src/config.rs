//! Configuration parameters for CONFIG GET/SET: the ones the engine honours
//! and the ones Redis users commonly read, with Redis 7.0's names, aliases,
//! defaults (the compiled-in ones, as a `redis-server` started without a
//! config file reports them), validation rules and error texts.
//!
//! Values are kept as the text CONFIG GET shows; numeric and yes/no values
//! are also cached in atomics so that hot paths (`get_int`) never lock.

use crate::pubsub::notify as ev;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{LazyLock, RwLock};

/// How a parameter's value is checked on CONFIG SET.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// An integer (Redis's `string2ll`) within `min..=max`. Redis stores
    /// some of these unsigned, so a negative value is reported with the
    /// range error rather than a parse error; the bounds decide both.
    Int {
        /// Smallest accepted value.
        min: i128,
        /// Largest accepted value.
        max: i128,
    },
    /// A memory value (`100`, `1k`, `1kb`, `5mb`, `2gb`) within `min..=max`.
    Memory {
        /// Smallest accepted value.
        min: i128,
        /// Largest accepted value.
        max: i128,
    },
    /// `yes` or `no`, case-insensitive.
    Bool,
    /// One of the listed words, case-insensitive.
    Enum(&'static [&'static str]),
    /// Free text.
    Text,
    /// `save`: pairs of `seconds changes`, or the empty string.
    Save,
    /// `notify-keyspace-events`: event class characters.
    Events,
    /// Cannot change at runtime.
    Immutable,
    /// One of the listed words, case-insensitive, set only at startup (a
    /// configuration file or the command line): CONFIG SET refuses it as
    /// immutable.
    FixedEnum(&'static [&'static str]),
    /// Refused unless `enable-protected-configs` (which we never allow).
    Protected,
    /// A password (`requirepass`): free text; its cached number is 1 when
    /// one is set, so the command path checks it without locking.
    Password,
    /// `client-output-buffer-limit`: `class hard soft seconds` groups; a
    /// class not named keeps its limits.
    OutputLimits,
}

/// One parameter.
#[derive(Debug)]
pub struct Param {
    /// Canonical name.
    pub name: &'static str,
    /// The old name Redis still accepts, if any.
    pub alias: Option<&'static str>,
    /// Default value (as CONFIG GET shows it); `None` for `dir`, whose
    /// default is the working directory.
    pub default: Option<&'static str>,
    /// Validation rule.
    pub kind: Kind,
    /// Bounds an accepted number is then clamped into, as Redis's apply
    /// step does for `hz` (1..=500) and `repl-backlog-size` (>= 16kb).
    pub clamp: Option<(i128, i128)>,
}

const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

const fn int(min: i128, max: i128) -> Kind {
    Kind::Int { min, max }
}

const fn mem(min: i128, max: i128) -> Kind {
    Kind::Memory { min, max }
}

const fn p(name: &'static str, default: &'static str, kind: Kind) -> Param {
    Param {
        name,
        alias: None,
        default: Some(default),
        kind,
        clamp: None,
    }
}

const fn pa(name: &'static str, alias: &'static str, default: &'static str, kind: Kind) -> Param {
    Param {
        name,
        alias: Some(alias),
        default: Some(default),
        kind,
        clamp: None,
    }
}

/// The `maxmemory-policy` values, in Redis's order (its error lists them so).
const EVICTION: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// Every parameter, with Redis 7.0's compiled-in defaults.
pub const PARAMS: &[Param] = &[
    // Encodings (honoured by the data types).
    pa(
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        "512",
        int(0, LONG_MAX),
    ),
    pa(
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        "64",
        mem(0, LONG_MAX),
    ),
    p("set-max-intset-entries", "512", int(0, LONG_MAX)),
    pa(
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        "128",
        int(0, LONG_MAX),
    ),
    pa(
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        "64",
        mem(0, LONG_MAX),
    ),
    pa(
        "list-max-listpack-size",
        "list-max-ziplist-size",
        "-2",
        int(i32::MIN as i128, INT_MAX),
    ),
    p("list-compress-depth", "0", int(0, INT_MAX)),
    p("hll-sparse-max-bytes", "3000", mem(0, LONG_MAX)),
    p("stream-node-max-bytes", "4096", mem(0, LONG_MAX)),
    p("stream-node-max-entries", "100", int(0, LONG_MAX)),
    // Memory and eviction.
    p("maxmemory", "0", mem(0, ULLONG_MAX)),
    p("maxmemory-policy", "noeviction", Kind::Enum(EVICTION)),
    p("maxmemory-samples", "5", int(1, INT_MAX)),
    p("maxmemory-eviction-tenacity", "10", int(0, 100)),
    p("lfu-log-factor", "10", int(0, INT_MAX)),
    p("lfu-decay-time", "1", int(0, INT_MAX)),
    p("active-expire-effort", "1", int(1, 10)),
    p("activerehashing", "yes", Kind::Bool),
    p("lazyfree-lazy-eviction", "no", Kind::Bool),
    p("lazyfree-lazy-expire", "no", Kind::Bool),
    p("lazyfree-lazy-server-del", "no", Kind::Bool),
    p("lazyfree-lazy-user-del", "no", Kind::Bool),
    p("lazyfree-lazy-user-flush", "no", Kind::Bool),
    // Protocol and clients.
    p(
        "proto-max-bulk-len",
        "536870912",
        mem(1024 * 1024, LONG_MAX),
    ),
    p("notify-keyspace-events", "", Kind::Events),
    p("timeout", "0", int(0, INT_MAX)),
    p("tcp-keepalive", "300", int(0, INT_MAX)),
    p("maxclients", "10000", int(1, UINT_MAX)),
    p("port", "6379", int(0, 65535)),
    p("bind", "* -::*", Kind::Text),
    p("protected-mode", "yes", Kind::Bool),
    p("tcp-backlog", "511", Kind::Immutable),
    p("unixsocket", "", Kind::Immutable),
    p("unixsocketperm", "0", Kind::Immutable),
    p("requirepass", "", Kind::Password),
    p(
        "client-query-buffer-limit",
        "1073741824",
        mem(1024 * 1024, LONG_MAX),
    ),
    p(
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        Kind::OutputLimits,
    ),
    // Persistence.
    p("save", "3600 1 300 100 60 10000", Kind::Save),
    p("appendonly", "no", Kind::Bool),
    p(
        "appendfsync",
        "everysec",
        Kind::Enum(&["everysec", "always", "no"]),
    ),
    p("appendfilename", "appendonly.aof", Kind::Immutable),
    p("appenddirname", "appendonlydir", Kind::Immutable),
    p("aof-load-truncated", "yes", Kind::Bool),
    p("aof-use-rdb-preamble", "yes", Kind::Bool),
    p("auto-aof-rewrite-percentage", "100", int(0, INT_MAX)),
    p("auto-aof-rewrite-min-size", "67108864", mem(0, LONG_MAX)),
    p("dbfilename", "dump.rdb", Kind::Protected),
    Param {
        name: "dir",
        alias: None,
        default: None,
        kind: Kind::Protected,
        clamp: None,
    },
    p("stop-writes-on-bgsave-error", "yes", Kind::Bool),
    p("rdbcompression", "yes", Kind::Bool),
    p("rdbchecksum", "yes", Kind::Immutable),
    // Server.
    p("databases", "16", Kind::Immutable),
    Param {
        clamp: Some((1, 500)),
        ..p("hz", "10", int(0, INT_MAX))
    },
    p(
        "loglevel",
        "notice",
        Kind::Enum(&["debug", "verbose", "notice", "warning"]),
    ),
    p("logfile", "", Kind::Immutable),
    p("daemonize", "no", Kind::Immutable),
    p("supervised", "no", Kind::Immutable),
    p("io-threads", "1", Kind::Immutable),
    p("cluster-enabled", "no", Kind::Immutable),
    // DEBUG: refused, allowed, or allowed to local clients (see `cmd::debug`).
    p(
        "enable-debug-command",
        "no",
        Kind::FixedEnum(&["no", "yes", "local"]),
    ),
    p("slowlog-log-slower-than", "10000", int(-1, LONG_MAX)),
    p("slowlog-max-len", "128", int(0, LONG_MAX)),
    p("latency-monitor-threshold", "0", int(0, LONG_MAX)),
    pa(
        "busy-reply-threshold",
        "lua-time-limit",
        "5000",
        int(0, LONG_MAX),
    ),
    // Replication (we are always a master without replicas).
    pa("replica-read-only", "slave-read-only", "yes", Kind::Bool),
    pa(
        "min-replicas-to-write",
        "min-slaves-to-write",
        "0",
        int(0, INT_MAX),
    ),
    pa(
        "min-replicas-max-lag",
        "min-slaves-max-lag",
        "10",
        int(0, INT_MAX),
    ),
    Param {
        clamp: Some((16 * 1024, LONG_MAX)),
        ..p("repl-backlog-size", "1048576", mem(1, LONG_MAX))
    },
];

/// A name CONFIG GET/SET accepts: a parameter's name or its alias. Redis
/// 7.0 keeps aliases as entries of their own (CONFIG GET with a pattern
/// lists both; CONFIG SET of a name and its alias is no duplicate).
#[derive(Debug, Clone, Copy)]
pub struct Name {
    /// The name as Redis spells it (lowercase).
    pub name: &'static str,
    /// Index of its parameter in [`PARAMS`].
    pub param: usize,
}

/// Every accepted name, names and aliases, in table order.
pub static NAMES: LazyLock<Vec<Name>> = LazyLock::new(|| {
    PARAMS
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            std::iter::once(Name {
                name: p.name,
                param: i,
            })
            .chain(p.alias.map(|a| Name { name: a, param: i }))
        })
        .collect()
});

type NameIndex = HashMap<&'static [u8], Name, foldhash::fast::RandomState>;

static BY_NAME: LazyLock<NameIndex> =
    LazyLock::new(|| NAMES.iter().map(|n| (n.name.as_bytes(), *n)).collect());

/// The entry for `name` (any case), if Redis knows it. Lowercase names
/// (what the engine's own code passes) are found without allocating.
#[inline]
pub fn lookup(name: &[u8]) -> Option<Name> {
    if let Some(n) = BY_NAME.get(name) {
        return Some(*n);
    }
    if !name.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    BY_NAME.get(name.to_ascii_lowercase().as_slice()).copied()
}

/// The canonical name of a parameter or alias (case-insensitive).
pub fn canonical(name: &str) -> Option<&'static str> {
    lookup(name.as_bytes()).map(|n| PARAMS[n.param].name)
}

/// The live parameter values.
#[derive(Debug)]
pub struct Config {
    /// CONFIG GET text of each parameter, by index in [`PARAMS`].
    text: RwLock<Vec<String>>,
    /// The numeric value of each parameter (yes = 1, no = 0; 0 for text).
    num: Vec<AtomicI64>,
}

impl Default for Config {
    fn default() -> Self {
        let text: Vec<String> = PARAMS
            .iter()
            .map(|p| match p.default {
                Some(d) => d.to_string(),
                None => working_dir(),
            })
            .collect();
        let num = PARAMS
            .iter()
            .zip(&text)
            .map(|(p, t)| AtomicI64::new(numeric(p, t)))
            .collect();
        Config {
            text: RwLock::new(text),
            num,
        }
    }
}

/// The index in [`PARAMS`] of a parameter the engine itself reads.
fn index_of(name: &str) -> usize {
    lookup(name.as_bytes()).expect("a known parameter").param
}

fn working_dir() -> String {
    std::env::current_dir().map_or_else(|_| "/".into(), |d| d.to_string_lossy().into_owned())
}

/// The cached number for a value's text: integers as themselves (a value
/// beyond `i64` saturates), yes/no as 1/0, a password as 1 when set, the
/// event flags of `notify-keyspace-events`, the `pubsub` class's hard
/// limit for `client-output-buffer-limit`, anything else 0.
fn numeric(param: &Param, text: &str) -> i64 {
    match param.kind {
        Kind::Password => return i64::from(!text.is_empty()),
        Kind::Events => return i64::from(events_flags(text.as_bytes()).unwrap_or(0)),
        Kind::OutputLimits => return output_limits(text)[2].0.min(i64::MAX as u64) as i64,
        _ => {}
    }
    match text {
        "yes" => 1,
        "no" => 0,
        _ => text
            .parse::<i128>()
            .map_or(0, |n| n.clamp(i64::MIN as i128, i64::MAX as i128) as i64),
    }
}

impl Config {
    /// The value of `name` (canonical name or alias, any case).
    pub fn get(&self, name: &str) -> Option<String> {
        let n = lookup(name.as_bytes())?;
        Some(self.value(n.param))
    }

    /// The value of parameter `idx` of [`PARAMS`].
    pub fn value(&self, idx: usize) -> String {
        self.text.read().unwrap_or_else(|p| p.into_inner())[idx].clone()
    }

    /// A numeric parameter without locking or allocating: integers and memory values as
    /// numbers (`maxmemory` beyond `i64::MAX` saturates), `yes`/`no` as
    /// 1/0, 0 for text or unknown names.
    pub fn get_int(&self, name: &str) -> i64 {
        lookup(name.as_bytes()).map_or(0, |n| self.num[n.param].load(Ordering::Relaxed))
    }

    /// The flags of `notify-keyspace-events` (bits of
    /// [`crate::pubsub::notify`]), without locking: every write asks.
    pub fn notify_flags(&self) -> u32 {
        static IDX: LazyLock<usize> = LazyLock::new(|| index_of("notify-keyspace-events"));
        self.num[*IDX].load(Ordering::Relaxed) as u32
    }

    /// The hard `client-output-buffer-limit` of the `pubsub` class in
    /// bytes (0: none), without locking: every PUBLISH asks.
    pub fn pubsub_hard_limit(&self) -> u64 {
        static IDX: LazyLock<usize> = LazyLock::new(|| index_of("client-output-buffer-limit"));
        self.num[*IDX].load(Ordering::Relaxed).max(0) as u64
    }

    /// True when a yes/no parameter is `yes`.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get_int(name) == 1
    }

    /// Every (canonical name, value), in table order.
    pub fn all(&self) -> Vec<(&'static str, String)> {
        let v = self.text.read().unwrap_or_else(|p| p.into_inner());
        PARAMS
            .iter()
            .zip(v.iter())
            .map(|(p, t)| (p.name, t.clone()))
            .collect()
    }

    /// Sets `name` to `value` without CONFIG SET's checks, for values the
    /// engine itself decides (`dir`, the directory it opened).
    pub(crate) fn force(&self, name: &str, value: &str) {
        if let Some(n) = lookup(name.as_bytes()) {
            self.num[n.param].store(numeric(&PARAMS[n.param], value), Ordering::Relaxed);
            self.text.write().unwrap_or_else(|p| p.into_inner())[n.param] = value.to_string();
        }
    }

    /// Sets one parameter (canonical name or alias); the error is Redis's
    /// full CONFIG SET error text without the `ERR ` code.
    pub fn set(&self, name: &str, value: &str) -> Result<(), String> {
        self.set_many(&[(name.as_bytes(), value.as_bytes())])
    }

    /// Sets several parameters at once, as CONFIG SET does in Redis 7.0:
    /// unknown, immutable, protected and duplicate names are reported
    /// first (the first such problem wins), then each value is checked in
    /// order; nothing changes unless every value is valid. The error is
    /// Redis's text without the `ERR ` code.
    pub fn set_many(&self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        let names = resolve_names(pairs)?;
        let mut parsed = Vec::with_capacity(pairs.len());
        for (n, (arg, value)) in names.iter().zip(pairs) {
            let v = self.check(n, value).map_err(|e| {
                format!(
                    "CONFIG SET failed (possibly related to argument '{}') - {e}",
                    crate::cmd::args::cstr_text(arg)
                )
            })?;
            parsed.push((n.param, v));
        }
        self.store(parsed);
        Ok(())
    }

    /// Sets a parameter from a configuration file or the command line: the
    /// value is checked as CONFIG SET checks it, but parameters that cannot
    /// change at runtime (`port`, `dir`, `unixsocket`, ...) are accepted, as
    /// text. The error is the reason alone.
    pub fn set_at_startup(&self, name: &str, value: &str) -> Result<(), String> {
        let n = lookup(name.as_bytes())
            .ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        let v = self.check(&n, value.as_bytes())?;
        self.store(vec![(n.param, v)]);
        Ok(())
    }

    /// The text `value` is stored as for `n` and its cached number, or the
    /// reason it is refused.
    fn check(&self, n: &Name, value: &[u8]) -> Result<(String, i64), String> {
        let param = &PARAMS[n.param];
        let text = match param.kind {
            // CONFIG SET refuses these before checking values.
            Kind::Immutable | Kind::Protected => String::from_utf8_lossy(value).into_owned(),
            Kind::OutputLimits => parse_output_limits(value, &self.value(n.param))?,
            Kind::FixedEnum(words) => enum_value(words, crate::cmd::args::cstr(value))?,
            _ => parse_value(param, value)?,
        };
        // Event flags come from the value given: its canonical text shows
        // `A` alone for `An`, as Redis's, yet the `n` class stays on.
        let num = match param.kind {
            Kind::Events => events_flags(crate::cmd::args::cstr(value)).map_or(0, i64::from),
            _ => numeric(param, &text),
        };
        Ok((text, num))
    }

    fn store(&self, parsed: Vec<(usize, (String, i64))>) {
        let mut text = self.text.write().unwrap_or_else(|p| p.into_inner());
        for (idx, (v, num)) in parsed {
            self.num[idx].store(num, Ordering::Relaxed);
            text[idx] = v;
        }
    }
}

/// The entries named by CONFIG SET's pairs, or Redis's error for the first
/// unknown name (which takes precedence over the other name errors when it
/// comes first), immutable or protected parameter, or repeated name.
fn resolve_names(pairs: &[(&[u8], &[u8])]) -> Result<Vec<Name>, String> {
    let mut out: Vec<Name> = Vec::with_capacity(pairs.len());
    let mut problem: Option<String> = None;
    for (arg, _) in pairs {
        // Redis prints the name with `%s`: up to a NUL byte.
        let shown = crate::cmd::args::cstr_text(arg);
        let Some(n) = lookup(arg) else {
            if problem.is_none() {
                return Err(format!(
                    "Unknown option or number of arguments for CONFIG SET - '{shown}'"
                ));
            }
            continue;
        };
        if problem.is_some() {
            continue;
        }
        let why = match PARAMS[n.param].kind {
            Kind::Immutable | Kind::FixedEnum(_) => Some("can't set immutable config"),
            Kind::Protected => Some("can't set protected config"),
            _ if out.iter().any(|o| o.name == n.name) => Some("duplicate parameter"),
            _ => None,
        };
        if let Some(why) = why {
            problem = Some(format!(
                "CONFIG SET failed (possibly related to argument '{shown}') - {why}"
            ));
        }
        out.push(n);
    }
    problem.map_or(Ok(out), Err)
}

/// Checks `value` for parameter `param`; returns the text CONFIG GET will
/// show, or Redis's reason.
fn parse_value(param: &Param, value: &[u8]) -> Result<String, String> {
    let text = || String::from_utf8_lossy(value).into_owned();
    // Memory, yes/no, enum and event values are read as C strings by Redis
    // (`memtoull`, `strcasecmp`, ...): up to a NUL byte. Integers and text
    // are read whole.
    let c_value = crate::cmd::args::cstr(value);
    let number = |n: i128, min, max| -> Result<String, String> {
        let n = in_range(n, min, max)?;
        Ok(param
            .clamp
            .map_or(n, |(lo, hi)| n.clamp(lo, hi))
            .to_string())
    };
    match param.kind {
        Kind::Int { min, max } => {
            let n = crate::num::parse_i64(value)
                .ok_or("argument couldn't be parsed into an integer")?;
            number(n.into(), min, max)
        }
        Kind::Memory { min, max } => {
            let n = parse_memory(c_value).ok_or("argument must be a memory value")?;
            // Redis reads the unsigned result into the parameter's own
            // type: a signed parameter sees values above i64::MAX as negative.
            let n = if max <= LONG_MAX {
                n as i64 as i128
            } else {
                n as i128
            };
            number(n, min, max)
        }
        Kind::Bool => match c_value.to_ascii_lowercase().as_slice() {
            b"yes" => Ok("yes".into()),
            b"no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Enum(words) => enum_value(words, c_value),
        Kind::Text | Kind::Password => Ok(text()),
        Kind::Save => parse_save(value),
        Kind::Events => events_flags(c_value)
            .map(events_string)
            .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        Kind::Immutable | Kind::FixedEnum(_) => Err("can't set immutable config".into()),
        Kind::Protected => Err("can't set protected config".into()),
        Kind::OutputLimits => Err("argument must be a buffer limit".into()),
    }
}

/// The word of `words` that `value` names (any case), or Redis's reason.
fn enum_value(words: &[&str], value: &[u8]) -> Result<String, String> {
    words
        .iter()
        .find(|w| w.as_bytes().eq_ignore_ascii_case(value))
        .map(|w| w.to_string())
        .ok_or_else(|| {
            format!(
                "argument(s) must be one of the following: {}",
                words.join(", ")
            )
        })
}

/// The client classes of `client-output-buffer-limit`, in Redis's order.
const OUTPUT_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Limits of one client class: (hard bytes, soft bytes, soft seconds).
pub type OutputLimit = (u64, u64, u64);

/// Redis's `client-output-buffer-limit` check: groups of `class hard soft
/// seconds` (memory values, `replica` meaning `slave`), applied over
/// `current`; the result lists every class.
fn parse_output_limits(value: &[u8], current: &str) -> Result<String, String> {
    let mut limits = output_limits(current);
    let text = String::from_utf8_lossy(value);
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "replica" => 1,
            c => OUTPUT_CLASSES
                .iter()
                .position(|n| *n == c)
                .ok_or("Invalid client class specified in buffer limit configuration.")?,
        };
        let mem = |w: &str| parse_memory(w.as_bytes());
        let secs = strtoll_full(group[3].as_bytes()).and_then(|n| u64::try_from(n).ok());
        let (Some(hard), Some(soft), Some(secs)) = (mem(group[1]), mem(group[2]), secs) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into(),
            );
        };
        limits[class] = (hard, soft, secs);
    }
    Ok(OUTPUT_CLASSES
        .iter()
        .zip(limits)
        .map(|(c, (h, s, t))| format!("{c} {h} {s} {t}"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// The limits of each class in a (valid) `client-output-buffer-limit`
/// value, by index in Redis's class order (normal, replica, pubsub).
pub fn output_limits(value: &str) -> [OutputLimit; 3] {
    let mut out = [(0, 0, 0); 3];
    let words: Vec<&str> = value.split_whitespace().collect();
    for group in words.chunks_exact(4) {
        if let Some(i) = OUTPUT_CLASSES.iter().position(|c| *c == group[0]) {
            let n = |w: &str| w.parse().unwrap_or(0);
            out[i] = (n(group[1]), n(group[2]), n(group[3]));
        }
    }
    out
}

/// The range check, with Redis's message. Redis formats unsigned bounds
/// with `%llu` and signed ones with `%lld`; both print the same digits here.
fn in_range(n: i128, min: i128, max: i128) -> Result<i128, String> {
    if n < min || n > max {
        // Unsigned parameters see a negative value as a huge one: still
        // out of range, same message.
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

/// Redis's `memtoull`: digits (possibly none) then an optional unit
/// `b`, `k`, `kb`, `m`, `mb`, `g`, `gb` (any case). Like `strtoull`, a
/// number too big saturates, and the unit multiplication wraps.
pub fn parse_memory(v: &[u8]) -> Option<u64> {
    let digits = v.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = v[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n = v[..digits].iter().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(n.wrapping_mul(mul))
}

/// Redis's `save` check: the value split on single spaces must be an even
/// number of integers, seconds >= 1 and changes >= 0 (so `3600  1`, with
/// two spaces, is invalid, and `3600 ` means `3600 0`). The stored text is
/// the pairs re-printed (`0100 5` shows as `100 5`); `""` clears them.
fn parse_save(value: &[u8]) -> Result<String, String> {
    const BAD: &str = "Invalid save parameters";
    if value.is_empty() {
        return Ok(String::new());
    }
    let words: Vec<&[u8]> = value.split(|&c| c == b' ').collect();
    if words.len() % 2 == 1 {
        return Err(BAD.into());
    }
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let n = strtoll_full(w).ok_or(BAD)?;
        if (i % 2 == 0 && n < 1) || n < 0 {
            return Err(BAD.into());
        }
        out.push(n.to_string());
    }
    Ok(out.join(" "))
}

/// C's `strtoll(s, &end, 10)` requiring `*end == '\0'`: optional sign,
/// digits (leading zeros allowed), saturating on overflow. The empty
/// string reads as 0 (nothing is left unparsed); a lone sign does not.
fn strtoll_full(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mag = digits.iter().fold(0i128, |acc, d| {
        (acc * 10 + i128::from(d - b'0')).min(i64::MAX as i128 + 1)
    });
    let n = if neg { -mag } else { mag };
    Some(n.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// Keyspace notification classes, in the order Redis prints them.
const EVENT_CLASSES: &[(u8, u32)] = &[
    (b'g', ev::GENERIC),
    (b'$', ev::STRING),
    (b'l', ev::LIST),
    (b's', ev::SET),
    (b'h', ev::HASH),
    (b'z', ev::ZSET),
    (b'x', ev::EXPIRED),
    (b'e', ev::EVICTED),
    (b't', ev::STREAM),
    (b'd', ev::MODULE),
    (b'n', ev::NEW),
];

/// The flags of a `notify-keyspace-events` string (Redis's
/// `keyspaceEventsStringToFlags`), or None on an unknown character.
fn events_flags(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, c| {
        let bit = match c {
            b'A' => ev::ALL,
            b'K' => ev::KEYSPACE,
            b'E' => ev::KEYEVENT,
            b'm' => ev::KEY_MISS,
            _ => EVENT_CLASSES.iter().find(|(ch, _)| ch == c)?.1,
        };
        Some(acc | bit)
    })
}

/// The canonical text of event flags (Redis's `keyspaceEventsFlagsToString`).
fn events_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & ev::ALL == ev::ALL {
        out.push('A');
    } else {
        for (ch, bit) in EVENT_CLASSES {
            if flags & bit != 0 {
                out.push(*ch as char);
            }
        }
    }
    for (bit, ch) in [
        (ev::KEYSPACE, 'K'),
        (ev::KEYEVENT, 'E'),
        (ev::KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_values() {
        assert_eq!(parse_memory(b"1k"), Some(1000));
        assert_eq!(parse_memory(b"1KB"), Some(1024));
        assert_eq!(parse_memory(b"2gb"), Some(2 << 30));
        assert_eq!(parse_memory(b""), Some(0));
        assert_eq!(parse_memory(b"kb"), Some(0));
        assert_eq!(parse_memory(b"-1"), None);
        assert_eq!(parse_memory(b"+1"), None);
        assert_eq!(parse_memory(b"1.5mb"), None);
        assert_eq!(parse_memory(b"99999999999999999999999"), Some(u64::MAX));
    }

    #[test]
    fn events_round_trip() {
        let canon = |s: &str| events_flags(s.as_bytes()).map(events_string);
        assert_eq!(canon("KEA").as_deref(), Some("AKE"));
        assert_eq!(canon("Ex").as_deref(), Some("xE"));
        assert_eq!(canon("nmK").as_deref(), Some("nKm"));
        assert_eq!(canon("").as_deref(), Some(""));
        assert_eq!(canon("Q"), None);
    }

    /// `A` does not include `n`; `An` keeps `n` on though its canonical
    /// text, as Redis's, shows `A` alone.
    #[test]
    fn new_events_survive_a() {
        let c = Config::default();
        c.set("notify-keyspace-events", "KEAn").unwrap();
        assert_eq!(c.get("notify-keyspace-events").as_deref(), Some("AKE"));
        assert_ne!(c.notify_flags() & ev::NEW, 0);
        c.set("notify-keyspace-events", "KEA").unwrap();
        assert_eq!(c.notify_flags() & ev::NEW, 0);
    }

    #[test]
    fn save_values() {
        assert_eq!(parse_save(b"0100 5 60 0").as_deref(), Ok("100 5 60 0"));
        assert_eq!(parse_save(b"").as_deref(), Ok(""));
        assert!(parse_save(b"10").is_err());
        assert!(parse_save(b"0 1").is_err());
        assert!(parse_save(b"1 -1").is_err());
        assert!(parse_save(b"1 x").is_err());
        assert!(parse_save(b"3600  1").is_err());
        assert_eq!(parse_save(b"3600 ").as_deref(), Ok("3600 0"));
    }

    #[test]
    fn output_limits_merge_by_class() {
        let c = Config::default();
        c.set("client-output-buffer-limit", "normal 1mb 2 3")
            .unwrap();
        assert_eq!(
            c.get("client-output-buffer-limit").as_deref(),
            Some("normal 1048576 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        );
        assert_eq!(
            output_limits(&c.get("client-output-buffer-limit").unwrap())[0],
            (1048576, 2, 3)
        );
        let e = c
            .set("client-output-buffer-limit", "normal 1 2")
            .unwrap_err();
        assert!(
            e.ends_with("Wrong number of arguments in buffer limit configuration."),
            "{e}"
        );
        let e = c
            .set("client-output-buffer-limit", "foo 1 2 3")
            .unwrap_err();
        assert!(e.ends_with("Invalid client class specified in buffer limit configuration."));
    }

    #[test]
    fn password_is_cached_as_set_or_not() {
        let c = Config::default();
        assert!(!c.get_bool("requirepass"));
        c.set("requirepass", "secret").unwrap();
        assert!(c.get_bool("requirepass"));
        assert_eq!(c.get("requirepass").as_deref(), Some("secret"));
        assert!(c.set("unixsocket", "/tmp/s").is_err());
        c.set_at_startup("unixsocket", "/tmp/s").unwrap();
        assert_eq!(c.get("unixsocket").as_deref(), Some("/tmp/s"));
        assert!(c.set_at_startup("port", "x").is_err());
    }

    #[test]
    fn set_is_all_or_nothing() {
        let c = Config::default();
        let err = c
            .set_many(&[(b"maxmemory", b"10"), (b"timeout", b"x")])
            .unwrap_err();
        assert!(err.contains("'timeout'"), "{err}");
        assert_eq!(c.get_int("maxmemory"), 0);
        c.set_many(&[(b"MAXMEMORY", b"1kb"), (b"hz", b"9999")])
            .unwrap();
        assert_eq!(c.get_int("maxmemory"), 1024);
        assert_eq!(c.get("hz").as_deref(), Some("500"));
        assert!(c.get_bool("activerehashing"));
        assert_eq!(c.get_int("hash-max-ziplist-entries"), 512);
    }
}
