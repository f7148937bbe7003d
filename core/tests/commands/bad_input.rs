//! Hostile arguments for every command of the table, differential against
//! redis-server: each command's templates (valid calls on fixture keys of
//! every type) get each argument replaced by each word of a hostile
//! vocabulary (empty, signs, overflowing integers, inf/nan, hex, padded
//! numbers, NUL, a 100 KB string, CRLF, the fixture keys themselves), and
//! then random argument lists are drawn from that vocabulary plus the
//! command's own keywords (also with a NUL suffix: Redis compares options
//! as C strings), and templates get random edits (replace, insert, delete,
//! repeat). Half the templates run in RESP3. Replies are compared wherever
//! Redis's reply is deterministic, and the data (types, values, encodings,
//! TTL presence) after every write (one `EVAL` dump on the server side). Whatever the reply, kvstore must answer: no panic
//! (`ERR internal error`), no newline in an error, bounded time, and no
//! single allocation of more than [`MAX_ALLOC`] bytes while it runs the
//! command (a counting global allocator watches the test thread).
//!
//! Calls that would harm the test server (negative random-pick counts that
//! make it allocate gigabytes, CONFIG SET of parameters that change its
//! ports, files or memory limits) run on a scratch kvstore engine only,
//! where they must still answer within the same bounds.
//!
//! Compared by shape only, by design: replies listing our commands or
//! subcommands (COMMAND, COMMAND INFO/DOCS of real commands, COMMAND LIST,
//! CLIENT HELP: we have fewer), per-key flags of COMMAND GETKEYSANDFLAGS
//! (derived from the command's flags), and nondeterministic replies (TIME,
//! INFO, CLIENT ID/INFO/LIST, HELLO, RANDOMKEY, SCAN cursors, random picks).
//! CLIENT SETINFO and NO-TOUCH (Redis 7.2's) are ours only, and so are the
//! commands that would close, pause, silence or stop the test's connection
//! to the server (CLIENT KILL/PAUSE/UNPAUSE/REPLY, QUIT, SHUTDOWN). `KVSTORE_SEED` replays a run;
//! `BAD_INPUT_N` sets the random lists per command.

use crate::harness::{Client, Pair, rng};
use kvstore_core::cmd::table::{self, flags};
use kvstore_core::resp::{Limits, decode, encode};
use kvstore_core::{Engine, Options, Reply, Session};
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Allocation watch.
// ---------------------------------------------------------------------------

/// The largest single allocation kvstore may make for one command here.
/// No argument is above 100 KB and the fixtures are a few bytes: the big
/// ones are replies of the most random picks allowed (2^20 with repetition,
/// twice that many items with HRANDFIELD ... WITHVALUES in RESP2).
const MAX_ALLOC: usize = 128 << 20;

/// The system allocator, recording the largest request made on a thread
/// while that thread's watch is on.
struct Watching;

thread_local! {
    static WATCH: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = WATCH.try_with(|w| {
        if w.get() {
            let _ = LARGEST.try_with(|m| m.set(m.get().max(size)));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// bookkeeping touches only const-initialised thread-locals (no allocation).
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// Runs `f` with the allocation watch on; returns its result and the
/// largest single allocation it made.
fn watched<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|m| m.set(0));
    WATCH.with(|w| w.set(true));
    let out = f();
    WATCH.with(|w| w.set(false));
    (out, LARGEST.with(|m| m.get()))
}

/// Peak resident memory of this process (all tests together), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Exits the test process when no case finishes for a minute (a hang in
/// kvstore would otherwise hang the test run); stops when dropped.
struct Watchdog {
    stop: Arc<AtomicBool>,
}

static PROGRESS: AtomicU64 = AtomicU64::new(0);
static CURRENT: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

impl Watchdog {
    fn start() -> Watchdog {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut last = (PROGRESS.load(Ordering::Relaxed), Instant::now());
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let now = PROGRESS.load(Ordering::Relaxed);
                if now != last.0 {
                    last = (now, Instant::now());
                } else if last.1.elapsed() > Duration::from_secs(60) {
                    let cur = CURRENT.lock().map(|c| c.clone()).unwrap_or_default();
                    eprintln!("bad_input: no progress for 60 s, running: {cur}");
                    std::process::exit(101);
                }
            }
        });
        Watchdog { stop }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------------------
// Vocabulary, fixtures and templates.
// ---------------------------------------------------------------------------

/// The hostile words (the 100 KB string is added by [`hostile`]).
const HOSTILE: &[&str] = &[
    "",
    "-1",
    "0",
    "1",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "-16777216",
    "inf",
    "nan",
    "1e400",
    "0x10",
    " 1",
    "1 ",
    "\0",
    "1.5",
    "(1",
    "[a",
    "*",
    "\r\n",
];

/// More hostile spellings: every one in the random lists, a random third
/// of them in each template position (the seed decides which).
const HOSTILE_MORE: &[&str] = &[
    "9223372036854775808",
    "-9223372036854775807",
    "4294967296",
    "-inf",
    "+inf",
    "-1e400",
    "1e-400",
    "4.9e-324",
    "1.7976931348623157e308",
    "-0",
    "+1",
    "01",
    "1e5",
    ".5",
    "5.",
    "1e",
    "0.0",
    "-nan",
    "Infinity",
    "INF",
    "1\0",
    "-",
    "+",
    "\u{e9}",
];

/// The 100 KB argument.
fn big() -> Vec<u8> {
    vec![b'x'; 100 * 1024]
}

/// The core hostile words, the 100 KB string included.
fn hostile_core() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = HOSTILE.iter().map(|s| s.as_bytes().to_vec()).collect();
    v.push(big());
    v
}

/// Every hostile word, the 100 KB string included.
fn hostile() -> Vec<Vec<u8>> {
    let mut v = hostile_core();
    v.extend(HOSTILE_MORE.iter().map(|s| s.as_bytes().to_vec()));
    v
}

/// Fixture keys: one of every type and encoding (`vol` has a TTL; the
/// big ones hold a member too long for a listpack), and one absent.
const KEYS: &[&str] = &[
    "str", "int", "float", "vol", "list", "hash", "bighash", "set", "intset", "zset", "bigzset",
    "hll", "missing",
];

/// The data every case starts from (run on both sides before a case when
/// the previous one may have written).
const FIXTURES: &[&str] = &[
    "FLUSHALL",
    "SET str hello",
    "SET int 12345",
    "SET float 3.5",
    "SET vol temp EX 100000",
    "RPUSH list a b c 1 2 a",
    "HSET hash f1 v1 f2 2 f3 1.5",
    "SADD set a b c",
    "SADD intset 1 2 3",
    "ZADD zset 1 a 2 b 3 c",
    "PFADD hll a b c",
    "ZADD bigzset 1 a 2 b 3 c 4 mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
    "HSET bighash f1 v1 f2 2 f3 vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
    "SET w_a 3",
    "SELECT 1",
    "SET str db1",
    "RPUSH list x",
    "SELECT 0",
];

/// Valid calls of every command and subcommand (fixture keys, simple
/// values); each argument is then replaced by each hostile word.
const TEMPLATES: &[&str] = &[
    // Strings.
    "GET str",
    "SET str v",
    "SET str v NX GET",
    "SET str v XX EX 100",
    "SET str v PX 100000 GET",
    "SET str v EXAT 99999999999",
    "SET str v PXAT 99999999999999",
    "SET vol v KEEPTTL",
    "SETNX str v",
    "SETEX str 100 v",
    "PSETEX str 100000 v",
    "MGET str int list",
    "MSET str v int 1",
    "MSETNX new v new2 1",
    "GETSET str v",
    "GETDEL str",
    "GETEX str EX 100",
    "GETEX str PX 100000",
    "GETEX str EXAT 99999999999",
    "GETEX str PXAT 99999999999999",
    "GETEX vol PERSIST",
    "APPEND str v",
    "STRLEN str",
    "GETRANGE str 0 -1",
    "SUBSTR str 1 3",
    "SETRANGE str 1 v",
    "INCR int",
    "INCRBY int 5",
    "DECR int",
    "DECRBY int 5",
    "INCRBYFLOAT float 1.5",
    "LCS str int",
    "LCS str float IDX MINMATCHLEN 1 WITHMATCHLEN",
    "LCS str float LEN",
    // Bitmaps.
    "SETBIT str 7 1",
    "GETBIT str 7",
    "BITCOUNT str 0 -1",
    "BITCOUNT str 0 -1 BIT",
    "BITPOS str 1 0 -1 BYTE",
    "BITPOS str 0 2",
    "BITOP AND dest str int",
    "BITOP NOT dest str",
    "BITFIELD str GET u8 0 SET i8 8 5 INCRBY u4 #2 3",
    "BITFIELD str OVERFLOW SAT INCRBY i8 0 100",
    "BITFIELD_RO str GET u8 0",
    // Keys.
    "DEL str list",
    "UNLINK hash set",
    "EXISTS str missing",
    "TYPE zset",
    "KEYS s*",
    "SCAN 0 MATCH * COUNT 10 TYPE string",
    "RANDOMKEY",
    "TOUCH str hash",
    "RENAME str newkey",
    "RENAMENX list str",
    "COPY str newkey DB 1 REPLACE",
    "COPY zset newkey",
    "MOVE str 1",
    "OBJECT ENCODING str",
    "OBJECT FREQ str",
    "OBJECT IDLETIME str",
    "OBJECT REFCOUNT int",
    "OBJECT HELP",
    // Refused on both sides (enable-debug-command is `no` by default).
    "DEBUG OBJECT str",
    "DEBUG SLEEP 0",
    "EXPIRE str 100 NX",
    "PEXPIRE str 100000 XX",
    "EXPIREAT str 99999999999 GT",
    "PEXPIREAT vol 99999999999999 LT",
    "EXPIRETIME vol",
    "PEXPIRETIME vol",
    "TTL vol",
    "PTTL vol",
    "PERSIST vol",
    // SORT.
    "SORT list BY nosort LIMIT 0 2 GET # GET *->f DESC ALPHA STORE dest",
    "SORT intset DESC",
    "SORT list ALPHA LIMIT 1 2",
    "SORT_RO list BY w_* LIMIT 0 10 GET # ASC ALPHA",
    "SORT zset BY *->f GET #",
    // Hashes.
    "HSET hash f v g w",
    "HSETNX hash f v",
    "HGET hash f1",
    "HMGET hash f1 f2",
    "HMSET hash f v",
    "HGETALL hash",
    "HKEYS hash",
    "HVALS hash",
    "HLEN hash",
    "HEXISTS hash f1",
    "HDEL hash f1 f2",
    "HINCRBY hash f2 5",
    "HINCRBYFLOAT hash f3 1.5",
    "HSTRLEN hash f1",
    "HRANDFIELD hash 2 WITHVALUES",
    "HSCAN hash 0 MATCH * COUNT 10",
    // Lists.
    "LPUSH list x y",
    "RPUSH list x",
    "LPUSHX list x",
    "RPUSHX list x",
    "LPOP list 2",
    "RPOP list 1",
    "LLEN list",
    "LRANGE list 0 -1",
    "LINDEX list 1",
    "LSET list 1 x",
    "LINSERT list BEFORE b x",
    "LREM list 1 a",
    "LTRIM list 1 -1",
    "LPOS list a RANK 1 COUNT 0 MAXLEN 10",
    "RPOPLPUSH list dest",
    "LMOVE list dest LEFT RIGHT",
    "LMPOP 2 list missing LEFT COUNT 2",
    // Sets.
    "SADD set x y",
    "SREM set a",
    "SMEMBERS set",
    "SISMEMBER set a",
    "SMISMEMBER set a z",
    "SCARD set",
    "SPOP set 1",
    "SRANDMEMBER set 2",
    "SMOVE set intset a",
    "SINTER set intset",
    "SINTERCARD 2 set intset LIMIT 1",
    "SINTERSTORE dest set intset",
    "SUNION set intset",
    "SUNIONSTORE dest set intset",
    "SDIFF set intset",
    "SDIFFSTORE dest set intset",
    "SSCAN set 0 MATCH * COUNT 10",
    // Sorted sets.
    "ZADD zset NX CH 1 x 2 y",
    "ZADD zset XX GT INCR 1 a",
    "ZINCRBY zset 1 a",
    "ZREM zset a",
    "ZCARD zset",
    "ZCOUNT zset 1 (3",
    "ZLEXCOUNT zset [a (c",
    "ZSCORE zset a",
    "ZMSCORE zset a z",
    "ZRANK zset b",
    "ZREVRANK zset b",
    "ZRANGE zset 0 -1 WITHSCORES",
    "ZRANGE zset (1 +inf BYSCORE REV LIMIT 0 2 WITHSCORES",
    "ZRANGE zset [a + BYLEX LIMIT 1 1",
    "ZRANGESTORE dest zset 0 -1",
    "ZRANGESTORE dest zset 1 3 BYSCORE LIMIT 0 1",
    "ZREVRANGE zset 0 1 WITHSCORES",
    "ZRANGEBYSCORE zset -inf +inf WITHSCORES LIMIT 0 2",
    "ZREVRANGEBYSCORE zset +inf -inf WITHSCORES LIMIT 1 1",
    "ZRANGEBYLEX zset - + LIMIT 0 2",
    "ZREVRANGEBYLEX zset + - LIMIT 0 2",
    "ZREMRANGEBYRANK zset 0 0",
    "ZREMRANGEBYSCORE zset 1 1",
    "ZREMRANGEBYLEX zset [a [a",
    "ZPOPMIN zset 2",
    "ZPOPMAX zset",
    "ZRANDMEMBER zset 2 WITHSCORES",
    "ZUNION 2 zset set WEIGHTS 1 2 AGGREGATE MIN WITHSCORES",
    "ZINTER 2 zset set AGGREGATE MAX WITHSCORES",
    "ZDIFF 2 zset set WITHSCORES",
    "ZUNIONSTORE dest 2 zset set WEIGHTS 1 2 AGGREGATE SUM",
    "ZINTERSTORE dest 2 zset intset",
    "ZDIFFSTORE dest 2 zset set",
    "ZINTERCARD 2 zset set LIMIT 0",
    "ZMPOP 2 missing zset MIN COUNT 2",
    "ZSCAN zset 0 MATCH * COUNT 10",
    // HyperLogLog.
    "PFADD hll x y",
    "PFCOUNT hll str",
    "PFMERGE dest hll",
    "PFDEBUG GETREG hll",
    "PFDEBUG DECODE hll",
    "PFDEBUG ENCODING hll",
    "PFDEBUG TODENSE hll",
    "PFSELFTEST",
    // Persistence.
    "DUMP str",
    "DUMP zset",
    "RESTORE newkey 0 payload",
    "RESTORE str 0 payload REPLACE ABSTTL IDLETIME 10",
    "SAVE",
    "BGSAVE SCHEDULE",
    "BGREWRITEAOF",
    // Server and connection.
    "PING hello",
    "ECHO hello",
    "SELECT 1",
    "SWAPDB 0 1",
    "FLUSHDB ASYNC",
    "FLUSHALL SYNC",
    "DBSIZE",
    "TIME",
    "INFO keyspace",
    "ROLE",
    "LASTSAVE",
    "CONFIG GET maxmemory",
    "CONFIG SET hash-max-listpack-entries 128",
    "CONFIG SET zset-max-listpack-value 64 set-max-intset-entries 512",
    "CONFIG RESETSTAT",
    "CONFIG REWRITE",
    "CONFIG HELP",
    "CLIENT ID",
    "CLIENT SETNAME name",
    "CLIENT GETNAME",
    "CLIENT SETINFO LIB-NAME x",
    "CLIENT INFO",
    "CLIENT LIST TYPE normal",
    "CLIENT LIST ID 1 2",
    "CLIENT NO-EVICT on",
    "CLIENT NO-TOUCH off",
    "CLIENT UNBLOCK 999999 TIMEOUT",
    "CLIENT KILL ID 999999",
    "CLIENT KILL 1.2.3.4:5",
    "CLIENT PAUSE 0 WRITE",
    "CLIENT UNPAUSE",
    "CLIENT REPLY ON",
    "QUIT",
    "SHUTDOWN ABORT",
    "CLIENT GETREDIR",
    "CLIENT TRACKINGINFO",
    "CLIENT HELP",
    "HELLO 2 SETNAME x",
    "HELLO 3 AUTH default pass",
    "AUTH pass",
    "AUTH user pass",
    "RESET",
    "COMMAND",
    "COMMAND COUNT",
    "COMMAND INFO get",
    "COMMAND DOCS get",
    "COMMAND LIST FILTERBY ACLCAT string",
    "COMMAND GETKEYS SET k v",
    "COMMAND GETKEYSANDFLAGS LMOVE a b LEFT RIGHT",
    "COMMAND HELP",
    // Pub/Sub (subscribing runs on a scratch engine: it would put the
    // test's server connection in subscribed mode).
    "SUBSCRIBE ch1 ch2",
    "UNSUBSCRIBE ch1",
    "PSUBSCRIBE p*",
    "PUNSUBSCRIBE p*",
    "SSUBSCRIBE s1",
    "SUNSUBSCRIBE s1",
    "PUBLISH ch msg",
    "SPUBLISH ch msg",
    "PUBSUB CHANNELS *",
    "PUBSUB NUMPAT",
    "PUBSUB NUMSUB ch1 ch2",
    "PUBSUB SHARDCHANNELS s*",
    "PUBSUB SHARDNUMSUB s1",
    "PUBSUB HELP",
    // Blocking commands (a valid timeout is made 1 ms: see `tame_timeout`).
    "BLPOP missing list 0.001",
    "BRPOP list 0.001",
    "BLMOVE list dest LEFT RIGHT 0.001",
    "BRPOPLPUSH list dest 0.001",
    "BLMPOP 0.001 2 list missing LEFT COUNT 2",
    "BZPOPMIN zset 0.001",
    "BZPOPMAX missing zset 0.001",
    "BZMPOP 0.001 2 missing zset MIN COUNT 2",
    // Transactions (each case that opens one is ended by the reseed after it).
    "MULTI",
    "EXEC",
    "DISCARD",
    "WATCH str list",
    "UNWATCH",
    // Scripting (bodies without spaces: templates split on them).
    "EVAL return(redis.call('get',KEYS[1])) 1 str",
    "EVAL return(redis.call('set',KEYS[1],ARGV[1])) 1 newkey v",
    "EVAL return({KEYS[1],ARGV[1],#ARGV}) 1 str a b",
    "EVALSHA 0123456789012345678901234567890123456789 1 str",
    "EVAL_RO return(redis.call('get',KEYS[1])) 1 str",
    "EVALSHA_RO 0123456789012345678901234567890123456789 0",
    "SCRIPT LOAD return(1)",
    "SCRIPT EXISTS 0123456789012345678901234567890123456789 e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
    "SCRIPT FLUSH ASYNC",
    "SCRIPT KILL",
    "SCRIPT HELP",
    "SCRIPT DEBUG NO",
];

/// CONFIG SET parameters safe to change on the test server (each is put
/// back to its default after the case).
const SAFE_PARAMS: &[(&str, &str)] = &[
    ("hash-max-listpack-entries", "512"),
    ("hash-max-listpack-value", "64"),
    ("set-max-intset-entries", "512"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("list-max-listpack-size", "-2"),
    ("list-compress-depth", "0"),
    ("hll-sparse-max-bytes", "3000"),
    ("maxmemory-policy", "noeviction"),
    ("lfu-log-factor", "10"),
    ("lfu-decay-time", "1"),
    ("notify-keyspace-events", ""),
    ("proto-max-bulk-len", "536870912"),
];

/// Commands we have and Redis 7.0 has not: run on our side only.
const EXTENSIONS: &[&str] = &["client|setinfo", "client|no-touch"];

// ---------------------------------------------------------------------------
// Comparison.
// ---------------------------------------------------------------------------

/// How a case's replies are compared.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    /// Identical replies.
    Exact,
    /// Equal up to order at every level.
    Unordered,
    /// Flat pairs or a map, as a set of pairs.
    Pairs,
    /// Both errors (the same) or the same reply kind.
    Shape,
    /// TTL-like integers within 2 s (the sides set deadlines apart).
    Ttl,
    /// COMMAND GETKEYSANDFLAGS: the keys only (our per-key flags are
    /// derived from the command's flags, by design).
    KeysOnly,
    /// Not sent to the server (harmful there, or not a Redis 7.0 command):
    /// run on a scratch engine, where it must answer within the bounds.
    Ours,
}

/// `argv` with a blocking command's valid timeout made 1 ms, so no case
/// waits long (or forever, for 0) on either side; an invalid or negative
/// timeout is kept for its error.
fn tame_timeout(argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = argv.to_vec();
    let at = match full_name(argv).as_str() {
        "blpop" | "brpop" | "blmove" | "brpoplpush" | "bzpopmin" | "bzpopmax" => {
            argv.len().checked_sub(1)
        }
        "blmpop" | "bzmpop" => Some(1),
        _ => None,
    };
    if let Some(i) = at.filter(|&i| i > 0 && i < argv.len()) {
        if kvstore_core::num::seconds_to_millis(&argv[i]).is_some_and(|ms| ms >= 0) {
            out[i] = b"0.001".to_vec();
        }
    }
    out
}

/// A call's lowercase name: `get`, or `config|set` for a subcommand.
fn full_name(argv: &[Vec<u8>]) -> String {
    let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
    match table::lookup(&argv[0]) {
        Some(c) if !c.subcommands.is_empty() && argv.len() > 1 => {
            let sub = String::from_utf8_lossy(&argv[1]).to_lowercase();
            format!("{name}|{sub}")
        }
        _ => name,
    }
}

/// A strict integer parse, as Redis's `string2ll`.
fn strict_int(a: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(a).ok()?;
    if s.starts_with('+') || s.trim() != s {
        return None;
    }
    s.parse().ok()
}

/// How `argv` is compared; `Ours` for calls the server must not run.
fn mode_of(argv: &[Vec<u8>]) -> Mode {
    let name = full_name(argv);
    let has = |w: &str| {
        argv.iter()
            .skip(1)
            .any(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    let globby = |a: &Vec<u8>| a.iter().any(|b| b"*?[\\".contains(b));
    match name.as_str() {
        n if EXTENSIONS.contains(&n) => Mode::Ours,
        // They would put the test's server connection in subscribed mode;
        // in-process they reply through the session's inbox.
        "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ssubscribe"
        | "sunsubscribe" => Mode::Ours,
        "pubsub|channels" | "pubsub|shardchannels" => Mode::Unordered,
        // The server would write dump.rdb (or its append-only file) into
        // the working directory (which the next server started there
        // loads); in memory ours refuses.
        "save" | "bgsave" | "bgrewriteaof" => Mode::Ours,
        // YES/SYNC would put the server's next EVAL in its debugger.
        "script|debug" => Mode::Ours,
        // A payload holds hash and set members in table order.
        "dump" => Mode::Shape,
        // They would close, pause, silence or stop the test's server
        // connection (the listener's tests cover them).
        "client|kill" | "client|pause" | "client|unpause" | "client|reply" | "quit"
        | "shutdown" => Mode::Ours,
        "config|set" => {
            let pairs = &argv[2..];
            let safe = pairs.len() % 2 == 0
                && pairs.chunks(2).all(|c| {
                    SAFE_PARAMS
                        .iter()
                        .any(|(p, _)| c[0].eq_ignore_ascii_case(p.as_bytes()))
                });
            // An unknown name is refused before anything is set.
            let unknown = pairs.chunks(2).any(|c| {
                !kvstore_core::config::PARAMS.iter().any(|p| {
                    c[0].eq_ignore_ascii_case(p.name.as_bytes())
                        || p.alias
                            .is_some_and(|a| c[0].eq_ignore_ascii_case(a.as_bytes()))
                })
            });
            if safe || (unknown && pairs.len() % 2 == 0) {
                Mode::Exact
            } else {
                Mode::Ours
            }
        }
        "srandmember" | "hrandfield" | "zrandmember" => {
            // A huge negative count: Redis replies with that many picks.
            match argv.get(2).and_then(|a| strict_int(a)) {
                Some(n) if n < -100_000 && n != i64::MIN => Mode::Ours,
                _ => Mode::Shape,
            }
        }
        "config|get" if argv[2..].iter().any(globby) => Mode::Shape,
        // Real commands' entries differ by design (no history, notes...);
        // unknown names get nil or nothing, as in Redis.
        "command|info" | "command|docs"
            if argv.len() == 2 || argv[2..].iter().any(|a| table::lookup(a).is_some()) =>
        {
            Mode::Shape
        }
        // Lists of our commands: fewer than Redis's, in another order.
        "command|list" if argv.len() != 5 || argv[4].iter().any(|b| b"*?[\\".contains(b)) => {
            Mode::Shape
        }
        "command|list" if argv[3].eq_ignore_ascii_case(b"aclcat") => Mode::Shape,
        "randomkey" | "time" | "lastsave" | "info" | "hello" | "client|id" | "client|info"
        | "client|list" | "command" | "command|count" | "object|idletime" | "scan" | "sscan"
        | "hscan" | "zscan" | "spop" => Mode::Shape,
        // Lists only the subcommands we have (CACHING, KILL, ... are not).
        "client|help" => Mode::Shape,
        "ttl" | "pttl" | "expiretime" | "pexpiretime" => Mode::Ttl,
        "smembers" | "sinter" | "sunion" | "sdiff" | "keys" | "hkeys" | "hvals" => Mode::Unordered,
        "hgetall" => Mode::Pairs,
        "command|getkeysandflags" => Mode::KeysOnly,
        // BY leaves ties (ALPHA) or a set's order (nosort) undefined.
        "sort" | "sort_ro" if has("by") && has("limit") => Mode::Shape,
        "sort" | "sort_ro" if has("by") => Mode::Unordered,
        _ => Mode::Exact,
    }
}

/// False when the data after `argv` may differ by design (random picks,
/// undefined SORT orders stored).
fn data_defined(argv: &[Vec<u8>], mode: Mode) -> bool {
    let name = full_name(argv);
    let has = |w: &[u8]| argv.iter().any(|a| a.eq_ignore_ascii_case(w));
    // A TTL of a few milliseconds may run out between the two sides.
    let short_ttl = matches!(name.as_str(), "psetex" | "pexpire") || has(b"px");
    !(matches!(mode, Mode::Shape | Mode::Ours) || (name == "sort" && has(b"by")) || short_ttl)
}

/// True for calls that may change data or session state (reseed after).
fn may_change(argv: &[Vec<u8>]) -> bool {
    let Some(cmd) = table::lookup(&argv[0]) else {
        return false;
    };
    let cmd = match argv.get(1) {
        Some(sub) if !cmd.subcommands.is_empty() => table::lookup_sub(cmd, sub).unwrap_or(cmd),
        _ => cmd,
    };
    // PFCOUNT caches the cardinality in the string.
    !cmd.has(flags::READONLY) || cmd.name == "pfcount"
}

/// Shortened rendering of argv for messages.
fn shown(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            if a.len() > 40 {
                format!(
                    "<{} bytes {:?}...>",
                    a.len(),
                    String::from_utf8_lossy(&a[..20])
                )
            } else {
                format!("{:?}", String::from_utf8_lossy(a))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sorted debug renderings of nested replies (order-insensitive compare).
fn normalize(r: &Reply) -> String {
    crate::harness::normalize(r)
}

// ---------------------------------------------------------------------------
// The driver.
// ---------------------------------------------------------------------------

/// The pair under test plus an admin connection and session for reseeding
/// and dumping, and counters.
struct Driver {
    p: Pair,
    admin: Client,
    admin_session: Session,
    seed_script: String,
    proto: u8,
    dirty: bool,
    cases: usize,
    compared: usize,
    ours_only: usize,
    largest: usize,
    dumps: usize,
    reseeds: usize,
}

/// One dumped key: db, key, type, encoding, contents, has a TTL.
type Dumped = (String, Vec<u8>, String, String, Vec<Vec<u8>>, bool);

const DUMP_SCRIPT: &str = r#"
local out = {}
for db = 0, 15 do
  redis.call('SELECT', db)
  for _, k in ipairs(redis.call('KEYS', '*')) do
    local t = redis.call('TYPE', k)['ok']
    local v = {}
    if t == 'string' then v = {redis.call('GET', k)}
    elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1)
    elseif t == 'set' then v = redis.call('SMEMBERS', k)
    elseif t == 'hash' then v = redis.call('HGETALL', k)
    elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
    end
    local enc = redis.call('OBJECT', 'ENCODING', k)
    local ttl = redis.call('PTTL', k)
    table.insert(out, {tostring(db), k, t, enc, v, ttl >= 0 and 1 or 0})
  end
end
return out
"#;

fn bytes(r: &Reply) -> Vec<u8> {
    match r {
        Reply::Bulk(b) => b.clone(),
        Reply::Status(s) => s.as_bytes().to_vec(),
        Reply::Int(n) => n.to_string().into_bytes(),
        other => panic!("dump: unexpected {other:?}"),
    }
}

/// An engine whose replies go through the RESP2 wire encoding.
struct Wire<'a>(&'a Engine);

impl Wire<'_> {
    fn execute<A: AsRef<[u8]>>(&self, s: &mut Session, argv: &[A]) -> Reply {
        let reply = self.0.execute(s, argv);
        let mut wire = Vec::new();
        encode(&reply, s.proto, &mut wire);
        decode(&wire, &Limits::default()).unwrap().unwrap().0
    }
}

/// Sorts a set's members, or a hash's (field, value) pairs.
fn canonical(ty: &str, mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    match ty {
        "set" => v.sort(),
        "hash" => {
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> =
                v.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
            pairs.sort();
            v = pairs.into_iter().flat_map(|(a, b)| [a, b]).collect();
        }
        _ => {}
    }
    v
}

impl Driver {
    fn new(mut p: Pair) -> Driver {
        p.settle_ttls = true;
        let admin = Client::connect(p.server.port);
        let admin_session = p.engine.session();
        let proto = p.session.proto;
        let mut lua = String::new();
        for f in FIXTURES {
            let args: Vec<String> = f.split(' ').map(|w| format!("'{w}'")).collect();
            lua.push_str(&format!("redis.call({})\n", args.join(",")));
        }
        lua.push_str("return 1\n");
        let mut d = Driver {
            p,
            admin,
            admin_session,
            seed_script: lua,
            proto,
            dirty: true,
            cases: 0,
            compared: 0,
            ours_only: 0,
            largest: 0,
            dumps: 0,
            reseeds: 0,
        };
        d.reseed();
        d
    }

    /// Puts the fixtures back on both sides, and the session in its state.
    fn reseed(&mut self) {
        self.reseeds += 1;
        let r = self.admin.call(&["EVAL", self.seed_script.as_str(), "0"]);
        assert_eq!(r, Reply::Int(1), "seeding the server");
        for f in FIXTURES {
            let argv: Vec<&str> = f.split(' ').collect();
            let r = self.p.engine.execute(&mut self.admin_session, &argv);
            assert!(!r.is_error(), "seeding kvstore: {f}: {r:?}");
        }
        self.dirty = false;
    }

    /// Both sides back to db 0, the pair's protocol and no client name,
    /// out of MULTI with nothing watched.
    fn restore_session(&mut self) {
        let proto = self.proto.to_string();
        for argv in [
            &["RESET"][..],
            &["SELECT", "0"],
            &["HELLO", proto.as_str()],
            &["CLIENT", "SETNAME", ""],
        ] {
            let theirs = self.p.redis.call(argv);
            let ours = self.p.engine.execute(&mut self.p.session, argv);
            assert!(!theirs.is_error() && !ours.is_error(), "{argv:?}");
        }
    }

    /// Switches both sides to protocol `proto`.
    fn set_proto(&mut self, proto: u8) {
        if self.proto != proto {
            self.proto = proto;
            self.restore_session();
            assert_eq!(self.p.session.proto, proto);
        }
    }

    fn dump_redis(&mut self) -> Vec<Dumped> {
        let Reply::Array(items) = self.admin.call(&["EVAL", DUMP_SCRIPT, "0"]) else {
            panic!("dump script failed")
        };
        let mut out: Vec<Dumped> = items
            .iter()
            .map(|item| {
                let Reply::Array(f) = item else {
                    panic!("dump item {item:?}")
                };
                let ty = String::from_utf8(bytes(&f[2])).expect("type");
                let values = match &f[4] {
                    Reply::Array(v) => v.iter().map(bytes).collect(),
                    other => panic!("dump values {other:?}"),
                };
                (
                    String::from_utf8(bytes(&f[0])).expect("db"),
                    bytes(&f[1]),
                    ty.clone(),
                    String::from_utf8(bytes(&f[3])).expect("encoding"),
                    canonical(&ty, values),
                    f[5] == Reply::Int(1),
                )
            })
            .collect();
        out.sort();
        out
    }

    fn dump_ours(&mut self) -> Vec<Dumped> {
        let engine = self.p.engine.clone();
        let s = &mut self.admin_session;
        let e = Wire(&engine);
        let mut out = Vec::new();
        // The dbs holding keys, from INFO keyspace's `dbN:keys=...` lines.
        let info = bytes(&e.execute(s, &["INFO", "keyspace"]));
        let dbs: Vec<usize> = String::from_utf8_lossy(&info)
            .lines()
            .filter_map(|l| l.strip_prefix("db")?.split(':').next()?.parse().ok())
            .collect();
        for db in dbs {
            e.execute(s, &["SELECT", &db.to_string()]);
            let keys = match e.execute(s, &["KEYS", "*"]) {
                Reply::Array(k) => k,
                other => panic!("KEYS: {other:?}"),
            };
            for k in keys {
                let k = bytes(&k);
                let ty = String::from_utf8(bytes(&e.execute(s, &[&b"TYPE"[..], &k]))).unwrap();
                let read: Vec<&[u8]> = match ty.as_str() {
                    "string" => vec![b"GET"],
                    "list" => vec![b"LRANGE", b"0", b"-1"],
                    "set" => vec![b"SMEMBERS"],
                    "hash" => vec![b"HGETALL"],
                    "zset" => vec![b"ZRANGE", b"0", b"-1", b"WITHSCORES"],
                    _ => vec![],
                };
                let values = if read.is_empty() {
                    Vec::new()
                } else {
                    let mut argv = vec![read[0], &k[..]];
                    argv.extend_from_slice(&read[1..]);
                    match e.execute(s, &argv) {
                        Reply::Array(v) => v.iter().map(bytes).collect(),
                        Reply::Map(m) => m.iter().flat_map(|(a, b)| [bytes(a), bytes(b)]).collect(),
                        Reply::Set(v) => v.iter().map(bytes).collect(),
                        other => vec![bytes(&other)],
                    }
                };
                let enc = bytes(&e.execute(s, &[&b"OBJECT"[..], b"ENCODING", &k]));
                let ttl = matches!(e.execute(s, &[&b"PTTL"[..], &k]), Reply::Int(n) if n >= 0);
                out.push((
                    db.to_string(),
                    k,
                    ty.clone(),
                    String::from_utf8(enc).unwrap(),
                    canonical(&ty, values),
                    ttl,
                ));
            }
        }
        e.execute(s, &["SELECT", "0"]);
        out.sort();
        out
    }

    /// Runs `argv` on our engine (session `s` of `engine`) under the
    /// watches; returns the reply as the wire gives it back.
    fn run_ours(engine: &Engine, s: &mut Session, argv: &[Vec<u8>]) -> (Reply, usize, Duration) {
        let start = Instant::now();
        let (reply, largest) = watched(|| engine.execute(s, argv));
        let took = start.elapsed();
        if let Reply::Error(e) = &reply {
            assert!(
                !e.contains("internal error"),
                "kvstore panicked on {}: {e}",
                shown(argv)
            );
            assert!(
                !e.contains(['\r', '\n']),
                "newline in the error for {}: {e:?}",
                shown(argv)
            );
        }
        assert!(
            largest <= MAX_ALLOC,
            "kvstore allocated {largest} bytes at once for {}",
            shown(argv)
        );
        assert!(
            took < Duration::from_secs(5),
            "kvstore took {took:?} for {}",
            shown(argv)
        );
        let mut wire = Vec::new();
        encode(&reply, s.proto, &mut wire);
        let (decoded, used) = decode(&wire, &Limits::default())
            .expect("kvstore's reply encodes to valid RESP")
            .expect("a whole reply");
        assert_eq!(used, wire.len());
        (decoded, largest, took)
    }

    /// One case: `argv` on both sides (or ours only), compared per its mode.
    fn case(&mut self, argv: &[Vec<u8>]) {
        // Seconds of self-test in a debug build (the hll tests run it).
        if argv.len() == 1 && argv[0].eq_ignore_ascii_case(b"pfselftest") {
            return;
        }
        if self.dirty {
            self.reseed();
            self.restore_session();
        }
        self.cases += 1;
        PROGRESS.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut c) = CURRENT.lock() {
            *c = shown(argv);
        }
        let tamed = tame_timeout(argv);
        let argv = &tamed;
        let mode = mode_of(argv);
        if mode == Mode::Ours {
            self.ours_only += 1;
            let engine = Engine::with_options(Options {
                background: false,
                ..Options::default()
            });
            let mut s = engine.session();
            for f in FIXTURES {
                let f: Vec<&str> = f.split(' ').collect();
                engine.execute(&mut s, &f);
            }
            s.proto = self.proto;
            let (reply, _, _) = Self::run_ours(&engine, &mut s, argv);
            if let Reply::Array(a) = &reply {
                assert!(
                    a.len() <= 2 << 20, // the most random picks, with values in RESP2
                    "{} items for {}",
                    a.len(),
                    shown(argv)
                );
            }
            return;
        }
        if full_name(argv).starts_with("sort") {
            // See mixed::reset_errno: Redis 7.0's numeric SORT reads a
            // stale errno; clear it (ZADD XX on a key that never exists).
            self.admin.call(&["ZADD", "never-exists", "XX", "1.5", "m"]);
        }
        let theirs = self.p.redis.call(argv);
        let (ours, largest, _) = Self::run_ours(&self.p.engine, &mut self.p.session, argv);
        self.p.settle_short_ttl(argv);
        self.largest = self.largest.max(largest);
        let same = match mode {
            Mode::Exact => theirs == ours,
            Mode::Unordered => normalize(&theirs) == normalize(&ours),
            Mode::Pairs => crate::harness::pairs(&theirs) == crate::harness::pairs(&ours),
            Mode::Ttl => match (&theirs, &ours) {
                (Reply::Int(a), Reply::Int(b)) if *a >= 0 && *b >= 0 => (a - b).abs() <= 2000,
                (a, b) => a == b,
            },
            Mode::KeysOnly => {
                let keys = |r: &Reply| match r {
                    Reply::Array(v) => Reply::Array(
                        v.iter()
                            .map(|k| match k {
                                Reply::Array(kf) => kf[0].clone(),
                                other => other.clone(),
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                };
                keys(&theirs) == keys(&ours)
            }
            Mode::Shape | Mode::Ours => {
                std::mem::discriminant(&theirs) == std::mem::discriminant(&ours)
                    && (!theirs.is_error() || theirs == ours)
            }
        };
        assert!(
            same,
            "reply differs ({mode:?}) for {}\n  redis:   {}\n  kvstore: {}",
            shown(argv),
            short(&theirs),
            short(&ours)
        );
        self.compared += 1;
        // An error changes nothing (checked now and then all the same).
        let wrote = !theirs.is_error() || !ours.is_error() || self.cases % 16 == 0;
        if may_change(argv) && wrote {
            self.dirty = true;
            if data_defined(argv, mode) {
                self.dumps += 1;
                let (theirs, ours) = (self.dump_redis(), self.dump_ours());
                if theirs != ours {
                    let a: BTreeSet<_> = theirs.iter().collect();
                    let b: BTreeSet<_> = ours.iter().collect();
                    panic!(
                        "data differs after {}\n  redis only:   {:?}\n  kvstore only: {:?}",
                        shown(argv),
                        a.difference(&b).collect::<Vec<_>>(),
                        b.difference(&a).collect::<Vec<_>>()
                    );
                }
            }
            if full_name(argv) == "config|set" {
                for (param, default) in SAFE_PARAMS {
                    self.p.redis.call(&["CONFIG", "SET", param, default]);
                    self.p.engine.shared().config.set(param, default).unwrap();
                }
            }
        }
    }
}

/// A reply rendered for messages, long strings shortened.
fn short(r: &Reply) -> String {
    let s = format!("{r:?}");
    if s.len() > 600 {
        format!("{}... ({} chars)", &s[..600], s.len())
    } else {
        s
    }
}

/// The uppercase keywords of a command's syntax (`NX`, `WITHSCORES`, ...).
fn keywords(syntax: &str) -> Vec<Vec<u8>> {
    syntax
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase() || c == '-'))
        .map(|w| w.as_bytes().to_vec())
        .collect()
}

/// Every (name, arity, syntax) of the table: commands, and subcommands as
/// `parent sub`.
fn rows() -> Vec<(Vec<Vec<u8>>, i32, &'static str)> {
    let mut out = Vec::new();
    for c in table::all() {
        if c.subcommands.is_empty() {
            out.push((vec![c.name.as_bytes().to_vec()], c.arity, c.syntax));
        }
        for s in c.subcommands {
            let prefix = vec![c.name.as_bytes().to_vec(), s.name.as_bytes().to_vec()];
            out.push((prefix, s.arity, s.syntax));
        }
    }
    out
}

fn words(t: &str) -> Vec<Vec<u8>> {
    t.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

/// Every template's arguments replaced one at a time by every core hostile
/// word, a random third of the others, and every fixture key where the
/// template has a key; then every core hostile word appended. Templates `part`, `part + parts`, ... only;
/// every other one of them in RESP3.
fn run_templates(d: &mut Driver, r: &mut SmallRng, part: usize, parts: usize) {
    let hostile = hostile_core();
    let more: Vec<Vec<u8>> = HOSTILE_MORE.iter().map(|s| s.as_bytes().to_vec()).collect();
    let keys: Vec<Vec<u8>> = KEYS.iter().map(|k| k.as_bytes().to_vec()).collect();
    for (j, t) in TEMPLATES.iter().skip(part).step_by(parts).enumerate() {
        // Every other template in RESP3.
        d.set_proto(if j % 2 == 0 { 2 } else { 3 });
        let base = words(t);
        d.case(&base);
        // The subcommand of a container is a name, not an argument.
        let first = match table::lookup(&base[0]) {
            Some(c) if !c.subcommands.is_empty() => 2,
            _ => 1,
        };
        for i in first..base.len() {
            // Keys of every type where the template has a key.
            let key_at = ["dest", "newkey", "new", "new2"]
                .iter()
                .chain(KEYS)
                .any(|k| base[i] == k.as_bytes());
            let extra = if key_at { &keys[..] } else { &[] };
            let some_more: Vec<&Vec<u8>> =
                more.iter().filter(|_| r.random_bool(1.0 / 3.0)).collect();
            for v in hostile.iter().chain(extra).chain(some_more) {
                let mut argv = base.clone();
                argv[i] = v.clone();
                d.case(&argv);
            }
        }
        for v in &hostile {
            let mut argv = base.clone();
            argv.push(v.clone());
            d.case(&argv);
        }
    }
}

/// Random argument lists for every command: `per_command` of them, each
/// of a length around the command's arity, drawn from the hostile words,
/// the fixture keys, small counts and the command's own keywords.
fn run_random(d: &mut Driver, r: &mut SmallRng, per_command: usize) {
    // BAD_INPUT_N: more (or fewer) lists per command.
    let per_command = std::env::var("BAD_INPUT_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(per_command);
    let hostile = hostile();
    for (prefix, arity, syntax) in rows() {
        let kw = keywords(syntax);
        let n = arity.unsigned_abs() as usize;
        for _ in 0..per_command {
            let len = r.random_range(n.saturating_sub(1).max(prefix.len())..=n + 3);
            let mut argv = prefix.clone();
            while argv.len() < len {
                let w: Vec<u8> = match r.random_range(0..10) {
                    0..=2 => hostile.choose(r).expect("non-empty").clone(),
                    3..=5 => KEYS.choose(r).expect("non-empty").as_bytes().to_vec(),
                    6 | 7 if !kw.is_empty() => {
                        let mut k = kw.choose(r).expect("non-empty").clone();
                        match r.random_range(0..6) {
                            // Redis compares most options with strcasecmp:
                            // a C string, so "NX\0junk" is NX.
                            0 => k.extend_from_slice(b"\0x"),
                            1 => k.make_ascii_lowercase(),
                            _ => {}
                        }
                        k
                    }
                    _ => r.random_range(-2..4).to_string().into_bytes(),
                };
                argv.push(w);
            }
            d.case(&argv);
        }
    }
}

/// Random edits of every template (1 to 3 of: replace, insert, delete or
/// repeat an argument, with hostile words, keys, small numbers and the
/// command's keywords): option grammars get broken in every way.
fn run_mutations(d: &mut Driver, r: &mut SmallRng, per_template: usize) {
    let per_template = std::env::var("BAD_INPUT_N")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(per_template, |n| n / 2);
    let hostile = hostile();
    let syntax_of = |argv: &[Vec<u8>]| -> &'static str {
        let Some(c) = table::lookup(&argv[0]) else {
            return "";
        };
        match argv.get(1).and_then(|s| table::lookup_sub(c, s)) {
            Some(sub) if !c.subcommands.is_empty() => sub.syntax,
            _ => c.syntax,
        }
    };
    for t in TEMPLATES {
        let base = words(t);
        let kw = keywords(syntax_of(&base));
        let first = match table::lookup(&base[0]) {
            Some(c) if !c.subcommands.is_empty() => 2,
            _ => 1,
        };
        let word = |r: &mut SmallRng| -> Vec<u8> {
            match r.random_range(0..10) {
                0..=2 if !kw.is_empty() => kw.choose(r).expect("non-empty").clone(),
                3 | 4 => hostile.choose(r).expect("non-empty").clone(),
                5 => KEYS.choose(r).expect("non-empty").as_bytes().to_vec(),
                _ => r.random_range(-2..5).to_string().into_bytes(),
            }
        };
        for _ in 0..per_template {
            let mut argv = base.clone();
            for _ in 0..r.random_range(1..=3) {
                let n = argv.len();
                let at = r.random_range(first.min(n)..=n);
                match r.random_range(0..4) {
                    0 if at < n => argv[at] = word(r),
                    1 => argv.insert(at, word(r)),
                    2 if at < n => {
                        argv.remove(at);
                    }
                    _ if at < n => {
                        let end = r.random_range(at..n) + 1;
                        let copy: Vec<Vec<u8>> = argv[at..end].to_vec();
                        argv.extend(copy);
                    }
                    _ => argv.push(word(r)),
                }
            }
            d.case(&argv);
        }
    }
}

/// Every row of the table has a template (so a new command gets one).
#[test]
fn every_command_has_a_template() {
    let have: BTreeSet<String> = TEMPLATES.iter().map(|t| full_name(&words(t))).collect();
    let missing: Vec<String> = rows()
        .into_iter()
        .map(|(p, _, _)| {
            p.iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect::<Vec<_>>()
                .join("|")
        })
        .filter(|n| !have.contains(n))
        .collect();
    assert!(missing.is_empty(), "no template for {missing:?}");
}

fn finish(d: &Driver, name: &str, started: Instant) {
    let peak = peak_rss();
    eprintln!(
        "{name}: {} cases, {} compared, {} on kvstore only, {} reseeds, {} dumps, \
         largest allocation {} bytes, peak RSS {} MB, {:?}",
        d.cases,
        d.compared,
        d.ours_only,
        d.reseeds,
        d.dumps,
        d.largest,
        peak >> 20,
        started.elapsed()
    );
    assert!(d.compared > d.cases / 2, "too few compared cases");
    // The whole test process, every test running in it included.
    assert!(peak < 3 << 30, "peak RSS {} MB", peak >> 20);
}

/// The templates in two halves (two tests, run in parallel).
fn templates_part(part: usize) {
    let started = Instant::now();
    let _dog = Watchdog::start();
    let mut r = rng(&format!("bad_input_templates_{part}"));
    let mut d = Driver::new(Pair::new());
    run_templates(&mut d, &mut r, part, 2);
    finish(&d, &format!("bad_input_templates_{part}"), started);
}

#[test]
fn hostile_arguments_in_every_position_1() {
    templates_part(0);
}

#[test]
fn hostile_arguments_in_every_position_2() {
    templates_part(1);
}

#[test]
fn random_hostile_argument_lists_resp2() {
    let started = Instant::now();
    let _dog = Watchdog::start();
    let mut r = rng("bad_input_random_resp2");
    let mut d = Driver::new(Pair::new());
    run_random(&mut d, &mut r, 40);
    run_mutations(&mut d, &mut r, 20);
    finish(&d, "bad_input_random_resp2", started);
}

#[test]
fn random_hostile_argument_lists_resp3() {
    let started = Instant::now();
    let _dog = Watchdog::start();
    let mut r = rng("bad_input_random_resp3");
    let mut d = Driver::new(Pair::resp3());
    run_random(&mut d, &mut r, 40);
    run_mutations(&mut d, &mut r, 20);
    finish(&d, "bad_input_random_resp3", started);
}

/// The differences these tests found, each as the exact call (fixed since).
#[test]
fn found_differences() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for f in FIXTURES {
            let argv: Vec<&str> = f.split(' ').collect();
            p.check(&argv);
        }
        for argv in [
            // Options are compared as C strings (strcasecmp): up to a NUL.
            &["EXPIRE", "str", "100", "XX\0x"][..],
            &["EXPIRE", "str", "100", "GT\0x", "list"],
            &["PEXPIRE", "int", "-1", "NX\0x", "NX", "-1"],
            &["ZADD", "zset", "CH\0", "1", "a"],
            &["LPOS", "list", "a", "RANK\0x", "2"],
            &["PFDEBUG", "getreg\0x", "hll"],
            &["PFDEBUG", "nosuch\0x", "hll"],
            &["CLIENT", "LIST", "TYPE", "\0"],
            &["CLIENT", "LIST", "TYPE", "pubsub\0x"],
            &["HELLO", "2", "x\0y"],
            &["CONFIG", "SET", "1\0", "+inf", "1.5", "2"],
            &[
                "CONFIG",
                "SET",
                "zset-max-listpack-value",
                "\0",
                "set-max-intset-entries",
                "512",
            ],
            &["CONFIG", "SET", "hash-max-listpack-value", "1\0x"],
            &["CONFIG", "GET", "hash-max-listpack-value"],
            &["CONFIG", "SET", "activerehashing", "yes\0x"],
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru\0x"],
            &["CONFIG", "GET", "maxmemory-policy"],
            &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
            &["CONFIG", "SET", "hash-max-listpack-value", "64"],
            &["CONFIG", "SET", "set-max-intset-entries", "512"],
            &["CONFIG", "SET", "zset-max-listpack-value", "64"],
            // A reply is one line: newlines in a quoted argument are
            // trimmed at the ends and become spaces inside.
            &["EXPIRE", "str", "100", "\r\n"],
            &["EXPIRE", "str", "100", "a\r\nb\n"],
            &["SET", "str", "v", "EX", "1", "\r\nx"],
            &["CLIENT", "LIST", "TYPE", "\na\r"],
            // HELLO authenticates as it parses its options.
            &["HELLO", "2", "AUTH", "a", "b", "x"],
            &["HELLO", "2", "AUTH", "SETNAME", "x", "x"],
            &["HELLO", "2", "AUTH", "default", "pass", "x"],
            &["HELLO", "2", "AUTH", "default", "pass", "SETNAME", "a b"],
            &["HELLO", "2", "SETNAME", "a b", "AUTH", "a", "b"],
            // LMPOP parses its options in order: a bad COUNT value first.
            &["LMPOP", "1", "list", "RIGHT", "count", "(1", "-1"],
            &["LMPOP", "1", "list", "RIGHT", "COUNT", "0", "x"],
            &["LMPOP", "1", "list", "LEFT", "COUNT", "2", "COUNT", "1"],
            &["LMPOP", "1", "list", "LEFT", "COUNT", "1", "x"],
            // WITHSCORES refuses counts whose doubled length overflows.
            &["ZRANDMEMBER", "zset", "9223372036854775807", "WITHSCORES"],
            &["ZRANDMEMBER", "zset", "-4611686018427387904", "WITHSCORES"],
            &["ZRANDMEMBER", "zset", "4611686018427387903", "WITHSCORES"],
        ] {
            p.check(argv);
        }
        // A string created by SETRANGE, SETBIT, BITOP, BITFIELD or
        // INCRBYFLOAT is new: its idle time starts at 0.
        for argv in [
            &["SETRANGE", "n1", "0", "x"][..],
            &["SETBIT", "n2", "1", "1"],
            &["BITOP", "OR", "n3", "str"],
            &["BITFIELD", "n4", "SET", "u8", "0", "1"],
            &["INCRBYFLOAT", "n5", "1.5"],
        ] {
            p.check(argv);
            let (theirs, ours) = p.both(&[
                "OBJECT",
                "IDLETIME",
                argv[if argv[0] == "BITOP" { 2 } else { 1 }],
            ]);
            assert!(
                matches!((&theirs, &ours), (Reply::Int(a), Reply::Int(b)) if *a <= 1 && *b <= 1),
                "{argv:?}: {theirs:?} {ours:?}"
            );
        }
        p.check_same_data();
    }
}

/// Random picks with repetition (negative counts) are streamed by Redis
/// without a bound; we build the reply, so counts beyond 2^20 are refused
/// (where Redis would allocate gigabytes), and smaller ones answer in full.
#[test]
fn random_pick_counts_are_bounded() {
    let mut p = Pair::new();
    for f in FIXTURES {
        let argv: Vec<&str> = f.split(' ').collect();
        p.check(&argv);
    }
    for cmd in ["SRANDMEMBER set", "HRANDFIELD hash", "ZRANDMEMBER zset"] {
        let base: Vec<&str> = cmd.split(' ').collect();
        let with = if base[0] == "SRANDMEMBER" {
            None
        } else if base[0] == "HRANDFIELD" {
            Some("WITHVALUES")
        } else {
            Some("WITHSCORES")
        };
        // Redis answers these too: same shape, the right number of picks.
        for count in ["-100000", "-3"] {
            let mut argv = base.clone();
            argv.push(count);
            argv.extend(with);
            let (theirs, ours) = p.check_shape(&argv);
            let n = |r: &Reply| match r {
                Reply::Array(a) => a.len(),
                other => panic!("{argv:?}: {other:?}"),
            };
            assert_eq!(n(&theirs), n(&ours), "{argv:?}");
        }
        // Beyond the bound: an error, at once (not sent to the server).
        for count in ["-1048577", "-16777216", "-9223372036854775807"] {
            let mut argv: Vec<Vec<u8>> = base.iter().map(|w| w.as_bytes().to_vec()).collect();
            argv.push(count.as_bytes().to_vec());
            argv.extend(with.map(|w| w.as_bytes().to_vec()));
            let (reply, _, _) = Driver::run_ours(&p.engine, &mut p.session, &argv);
            assert!(
                matches!(&reply, Reply::Error(e) if e.starts_with("ERR value is out of range")),
                "{argv:?}: {reply:?}"
            );
        }
    }
}
