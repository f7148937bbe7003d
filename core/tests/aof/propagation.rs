//! What the append-only file records, command by command, against a real
//! redis-server 7.0 started with `--appendonly yes --appendfsync always`:
//! each case runs on both (after a FLUSHALL), and the records each side
//! appended for it (Redis's incremental file, our `appendonly.aof` after
//! its preamble) must be the same RESP commands, byte for byte, once
//! absolute timestamps (any integer within 60 s of now, in ms or s) are
//! replaced by a placeholder.
//!
//! Commands are sent in lower case: a command Redis logs verbatim shows
//! in lower case, one it rewrites shows its shared objects' upper case.
//! SELECT placement and MULTI/EXEC wrapping are compared too (Redis 7.0
//! wraps a command's, an EXEC's or a script's records only when there are
//! several, with the SELECT of the first one before the MULTI). Two things
//! cannot match byte for byte and are compared as far as they can: the
//! members SPOP picks at random (cases named `~...`: SREM's member is a
//! placeholder, the number and shape of the records still compare), and
//! the order in which the active expiry cycle meets several expired keys
//! of one db (Redis walks its hash table, we walk our shards): the active
//! expiry case has one key per db.
//! Steps other than commands: `@2 <cmd>` runs a command on a second
//! client; `@block <cmd>` runs one there that must block; `@await` reads
//! the reply it gets once served;
//! `@sleep <ms>`; `@expire <n>` lets the active expiry remove `n` keys
//! (Redis's is off otherwise: `DEBUG SET-ACTIVE-EXPIRE 0`; ours runs only
//! when called). Arguments may hold `{s+N}`/`{s-N}` (Unix seconds from
//! now), `{ms+N}`/`{ms-N}` (Unix ms), `{dump}` (Redis's DUMP of the
//! string "hello") and `{sha}` (what the last SCRIPT LOAD replied);
//! `"..."` quotes an argument with spaces.

use crate::common::{Server, TempDir};
use crate::harness::Client;
use kvstore_core::blocking::Blocked;
use kvstore_core::config::Config;
use kvstore_core::{Engine, Options, Reply, Session};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The cases: a name and its steps.
const CASES: &[(&str, &[&str])] = &[
    // Strings.
    ("set", &["set k v", "set k v2"]),
    ("set ex", &["set k v ex 100"]),
    ("set px", &["set k v px 100000"]),
    ("set exat", &["set k v exat {s+100}"]),
    ("set pxat", &["set k v pxat {ms+100000}"]),
    ("set keepttl", &["set k v ex 100", "set k v2 keepttl"]),
    ("set get", &["set k v", "set k v2 get", "set k2 v get"]),
    ("set ex get", &["set k v", "set k v2 ex 100 get"]),
    (
        "set nx",
        &["set k v nx", "set k v2 nx", "set k v3 nx px 5000"],
    ),
    ("set xx", &["set k v xx", "set k v", "set k v2 xx ex 10"]),
    (
        "set errors (nothing)",
        &["set k v ex 0", "set k v px -1", "set k v nx xx"],
    ),
    ("setex", &["setex k 100 v"]),
    ("psetex", &["psetex k 100000 v"]),
    ("setnx", &["setnx k v", "setnx k v2"]),
    ("getset", &["getset k v", "getset k v2"]),
    (
        "getex",
        &[
            "set k v",
            "getex k",
            "getex k ex 100",
            "getex k px 100000",
            "getex k exat {s+100}",
            "getex k pxat {ms+100000}",
            "getex k persist",
            "getex k persist",
            "getex missing ex 100",
        ],
    ),
    ("getex past", &["set k v", "getex k exat {s-100}"]),
    ("getex past px", &["set k v", "getex k pxat 1000"]),
    ("getdel", &["set k v", "getdel k", "getdel k"]),
    (
        "incr family",
        &[
            "incr n",
            "incrby n 10",
            "decr n",
            "decrby n 3",
            "incr s",
            "set s x",
            "incr s",
        ],
    ),
    (
        "incrbyfloat",
        &[
            "incrbyfloat f 1.5",
            "incrbyfloat f 10",
            "set g 3 ex 100",
            "incrbyfloat g 0.25",
            "incrbyfloat g 1e400",
        ],
    ),
    ("append", &["append k a", "append k bc", "append k \"\""]),
    (
        "setrange",
        &[
            "setrange k 5 x",
            "setrange k 0 ab",
            "setrange missing 3 \"\"",
            "setrange k 1 \"\"",
        ],
    ),
    ("mset", &["mset a 1 b 2 a 3"]),
    ("msetnx", &["msetnx a 1 b 2", "msetnx b 3 c 4"]),
    (
        "bits",
        &[
            "setbit b 7 1",
            "setbit b 7 1",
            "bitfield b set u8 0 255 get u8 0",
            "bitfield b set u8 0 255",
            "bitfield b get u8 0",
            "bitfield_ro b get u8 0",
            "set x abc",
            "bitop not d x",
            "bitop and d2 missing1 missing2",
        ],
    ),
    // Keys.
    ("del", &["mset a 1 b 2", "del a missing b", "del a"]),
    (
        "unlink",
        &["mset a 1 b 2", "unlink a missing b", "unlink a"],
    ),
    (
        "expire family",
        &[
            "set k v",
            "expire k 100",
            "pexpire k 100000",
            "expireat k {s+200}",
            "pexpireat k {ms+300000}",
            "expire missing 100",
        ],
    ),
    (
        "expire conditions",
        &[
            "set k v",
            "expire k 100 xx",
            "expire k 100 nx",
            "expire k 200 nx",
            "expire k 300 xx",
            "expire k 50 gt",
            "expire k 500 gt",
            "expire k 900 lt",
            "expire k 10 lt",
            "pexpire k 5000 gt",
        ],
    ),
    ("expire past", &["set k v", "expire k -1"]),
    ("pexpire zero", &["set k v", "pexpire k 0"]),
    ("expireat past", &["set k v", "expireat k 1"]),
    ("pexpireat past", &["set k v", "pexpireat k 1000"]),
    (
        "pexpireat past nx",
        &["set k v ex 100", "pexpireat k 1000 nx"],
    ),
    (
        "persist",
        &[
            "set k v ex 100",
            "persist k",
            "persist k",
            "persist missing",
        ],
    ),
    (
        "rename",
        &[
            "set a 1 ex 100",
            "rename a b",
            "rename b b",
            "rename missing x",
        ],
    ),
    (
        "renamenx",
        &[
            "mset a 1 b 2",
            "renamenx a b",
            "renamenx a c",
            "renamenx c c",
        ],
    ),
    (
        "move",
        &[
            "set k v",
            "move k 3",
            "set k v",
            "move k 3",
            "move missing 3",
        ],
    ),
    (
        "copy",
        &[
            "set k v ex 100",
            "copy k k2",
            "copy k k2",
            "copy k k2 replace",
            "copy k k3 db 4",
            "copy missing k4",
        ],
    ),
    (
        "restore",
        &[
            "restore k 0 {dump}",
            "restore k2 100000 {dump}",
            "restore k3 {ms+100000} {dump} absttl",
            "restore k 0 {dump} replace",
            "restore k4 0 {dump} idletime 10",
        ],
    ),
    (
        "restore past",
        &["set k v", "restore k 1000 {dump} absttl replace"],
    ),
    (
        "swapdb",
        &["set a 1", "select 1", "set b 2", "swapdb 0 1", "swapdb 2 2"],
    ),
    ("flushdb", &["set a 1", "flushdb", "flushdb async"]),
    ("flushall", &["set a 1", "flushall sync"]),
    (
        "select",
        &[
            "set a 1", "select 2", "get a", "set a 2", "select 0", "set a 3", "select 2",
            "select 0", "set a 4",
        ],
    ),
    // Hashes.
    (
        "hash",
        &[
            "hset h f 1 g 2",
            "hset h f 1",
            "hmset h x 1",
            "hsetnx h f 9",
            "hsetnx h n 9",
            "hincrby h f 5",
            "hincrbyfloat h g 1.5",
            "hincrbyfloat h new 2",
            "hdel h missing",
            "hdel h f g x n new",
            "hget h f",
        ],
    ),
    // Lists.
    (
        "list",
        &[
            "rpush l a b c d e f",
            "lpush l z",
            "lpushx missing a",
            "rpushx l y",
            "linsert l before c x",
            "linsert l after nothere x",
            "lset l 0 zz",
            "lrem l 1 x",
            "lrem l 0 nothere",
            "ltrim l 1 -2",
            "ltrim l 0 -1",
            "lpos l c",
            "lpop l",
            "rpop l 2",
            "lpop missing",
            "lpop l 0",
        ],
    ),
    (
        "list pops that empty",
        &["rpush l a b", "lpop l 5", "rpush m a", "rpop m"],
    ),
    (
        "lmpop",
        &[
            "rpush l a b c",
            "lmpop 2 missing l left",
            "lmpop 1 l right count 5",
            "lmpop 1 l left",
        ],
    ),
    (
        "lmove",
        &[
            "rpush l a b c",
            "lmove l m left right",
            "rpoplpush l m",
            "lmove l l right left",
            "lmove missing m left left",
        ],
    ),
    (
        "blocking lists served at once",
        &[
            "rpush l a b c d e f g",
            "blpop missing l 0",
            "brpop l 0",
            "blmove l m left right 0",
            "brpoplpush l m 0",
            "blmpop 0 2 missing l left count 2",
            "blmpop 0 1 l right",
        ],
    ),
    (
        "blpop served after blocking",
        &["@block blpop l 0", "rpush l a b", "@await"],
    ),
    (
        "brpop served after blocking",
        &["@block brpop l 0", "lpush l a", "@await"],
    ),
    (
        "blmove served after blocking",
        &["@block blmove l m right left 0", "rpush l a b", "@await"],
    ),
    (
        "blmove with upper-case ends",
        &[
            "rpush l a b",
            "blmove l m LEFT Right 0",
            "lmove l m Right LEFT",
            "@block blmove l m Left RIGHT 0",
            "rpush l c",
            "@await",
        ],
    ),
    (
        "brpoplpush served after blocking",
        &["@block brpoplpush l m 0", "rpush l a", "@await"],
    ),
    (
        "blmpop served after blocking",
        &["@block blmpop 0 1 l left count 3", "rpush l a b", "@await"],
    ),
    (
        "blpop served inside multi",
        &[
            "@block blpop l 0",
            "multi",
            "rpush l a",
            "rpush l b",
            "exec",
            "@await",
        ],
    ),
    // Sets.
    (
        "set family",
        &[
            "sadd s a b c",
            "sadd s a",
            "srem s a missing",
            "srem s missing",
            "smove s t b",
            "smove s t nothere",
            "sismember s c",
        ],
    ),
    ("~spop one", &["sadd s a b c", "spop s", "spop missing"]),
    ("~spop count", &["sadd s a b c d e", "spop s 2"]),
    ("spop whole", &["sadd s a b c", "spop s 3"]),
    ("spop more than all", &["sadd s a b", "spop s 10"]),
    ("spop zero", &["sadd s a b", "spop s 0"]),
    ("spop last", &["sadd s a", "spop s"]),
    (
        "~spop many",
        &[
            "sadd s 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
            "spop s 15",
        ],
    ),
    ("~spop intset count", &["sadd s 1 2 3 4 5 6", "spop s 4"]),
    (
        "set stores",
        &[
            "sadd a 1 2 3",
            "sadd b 2 3 4",
            "sinterstore d a b",
            "sunionstore d a b",
            "sdiffstore d a b",
            "sinterstore d a missing",
            "sdiffstore e missing a",
        ],
    ),
    // Sorted sets.
    (
        "zadd",
        &[
            "zadd z 1 a 2 b",
            "zadd z 1 a",
            "zadd z incr 5 a",
            "zadd z nx incr 5 a",
            "zadd z xx 3 c",
            "zadd z gt ch 0 a 10 b",
            "zincrby z 2.5 b",
            "zincrby z 1 new",
        ],
    ),
    (
        "zset removes",
        &[
            "zadd z 1 a 2 b 3 c 4 d 5 e",
            "zrem z a missing",
            "zremrangebyscore z 2 2",
            "zremrangebyrank z 0 0",
            "zremrangebylex z - +",
        ],
    ),
    (
        "zpop",
        &[
            "zadd z 1 a 2 b 3 c 4 d",
            "zpopmin z",
            "zpopmax z 2",
            "zpopmin missing",
            "zpopmax z 5",
        ],
    ),
    (
        "zmpop",
        &[
            "zadd z 1 a 2 b 3 c",
            "zmpop 2 missing z min count 2",
            "zmpop 1 z max",
        ],
    ),
    (
        "blocking zsets served at once",
        &[
            "zadd z 1 a 2 b 3 c 4 d",
            "bzpopmin z 0",
            "bzpopmax z 0",
            "bzmpop 0 1 z min count 5",
        ],
    ),
    (
        "bzpopmin served after blocking",
        &["@block bzpopmin z 0", "zadd z 1 a 2 b", "@await"],
    ),
    (
        "bzmpop served after blocking",
        &[
            "@block bzmpop 0 1 z max count 2",
            "zadd z 1 a 2 b 3 c",
            "@await",
        ],
    ),
    (
        "zset stores",
        &[
            "zadd a 1 x 2 y 3 z",
            "zadd b 1 y",
            "zrangestore d a 0 1",
            "zunionstore d 2 a b weights 1 2",
            "zinterstore d 2 a b",
            "zdiffstore d 2 a b",
            "zinterstore d 2 a missing",
            "zrangestore d a 5 10",
        ],
    ),
    // HyperLogLog.
    (
        "sort store",
        &[
            "rpush l 3 1 2",
            "sort l store d",
            "sort l by nosort store d2",
            "sort missing store d3",
            "sort missing store d",
            "sort_ro l",
        ],
    ),
    (
        "hll",
        &[
            "pfadd h a b c",
            "pfadd h a",
            "pfcount h",
            "pfcount h",
            "pfadd h2 x",
            "pfmerge h3 h h2",
            "pfcount h h2",
            "pfadd empty",
            "pfadd empty",
            "pfdebug todense h",
            "pfdebug todense h",
            "pfdebug getreg h2",
        ],
    ),
    // Transactions.
    ("multi", &["multi", "set a 1", "incr a", "exec"]),
    ("multi one write", &["multi", "set a 1", "get a", "exec"]),
    (
        "multi reads only",
        &["set a 1", "multi", "get a", "exists a", "exec"],
    ),
    (
        "multi with an error inside",
        &["set a 1", "multi", "incr a", "lpush a x", "incr a", "exec"],
    ),
    (
        "multi across dbs",
        &["multi", "set a 1", "select 3", "set b 2", "exec", "set c 3"],
    ),
    ("multi nothing (nothing)", &["multi", "exec"]),
    (
        "multi with a blocking command",
        &[
            "rpush l a b",
            "multi",
            "blpop l 0",
            "brpoplpush l m 0",
            "exec",
        ],
    ),
    (
        "multi with a script",
        &[
            "multi",
            "set a 1",
            "eval \"redis.call('set', 'b', 2) redis.call('set', 'c', 3)\" 0",
            "exec",
        ],
    ),
    (
        "watch fails the exec",
        &["watch a", "set a 1", "multi", "set b 2", "exec"],
    ),
    (
        "blocked client in another db",
        &[
            "@2 select 3",
            "@block blpop l 0",
            "rpush l x",
            "select 3",
            "rpush l a",
            "@await",
        ],
    ),
    (
        "blocked client served by a script",
        &[
            "@block brpop l 0",
            "eval \"redis.call('rpush', 'l', 'a') redis.call('set', 'x', 1)\" 0",
            "@await",
        ],
    ),
    (
        "blocked client times out (nothing)",
        &["@block blpop l 0.1", "@sleep 300", "@await"],
    ),
    (
        "multi queue error (nothing)",
        &["multi", "set a 1", "nosuchcommand", "exec"],
    ),
    (
        "multi rewrites",
        &[
            "multi",
            "set a 1 ex 100",
            "incrbyfloat f 1",
            "sadd s x",
            "spop s",
            "exec",
        ],
    ),
    // Scripts.
    (
        "eval several writes",
        &["eval \"redis.call('set', KEYS[1], 'v') redis.call('incr', 'n') return 1\" 1 k"],
    ),
    (
        "eval one write",
        &["eval \"return redis.call('set', 'k', 'v')\" 0"],
    ),
    (
        "eval no write",
        &["set k v", "eval \"return redis.call('get', 'k')\" 0"],
    ),
    (
        "~eval rewritten commands",
        &[
            "sadd s a b c",
            "eval \"redis.call('spop', 's') redis.call('incrbyfloat', 'f', '1.5') \
             redis.call('expire', 'f', 100) return 1\" 0",
        ],
    ),
    (
        "eval select",
        &[
            "eval \"redis.call('set', 'a', 1) redis.call('select', 5) redis.call('set', 'b', 2) \
           return 1\" 0",
            "set c 3",
        ],
    ),
    (
        "eval error after a write",
        &["eval \"redis.call('set', 'a', 1) return redis.call('incr', 'nothere', 'x')\" 0"],
    ),
    (
        "evalsha",
        &[
            "script load \"redis.call('set', 'a', 1) return redis.call('set', 'b', 2)\"",
            "evalsha {sha} 0",
        ],
    ),
    (
        "eval_ro",
        &[
            "set a 1",
            "eval_ro \"return redis.call('get', KEYS[1])\" 1 a",
        ],
    ),
    // redis.set_repl: a call's own propagation follows the flags at the
    // time; expired keys' DELs and SPOP's SREMs (alsoPropagate) do not.
    (
        "set_repl none (nothing)",
        &["eval \"redis.set_repl(redis.REPL_NONE) redis.call('set', 'a', 1)\" 0"],
    ),
    (
        "set_repl replica only (nothing)",
        &[
            "eval \"redis.set_repl(redis.REPL_REPLICA) redis.call('set', 'a', 1) \
             redis.set_repl(redis.REPL_SLAVE) redis.call('incr', 'a')\" 0",
        ],
    ),
    (
        "set_repl switched during a script",
        &[
            "eval \"redis.call('set', 'x', 1) redis.set_repl(redis.REPL_NONE) \
             redis.call('set', 'a', 1) redis.set_repl(redis.REPL_AOF) redis.call('set', 'b', 1) \
             redis.set_repl(0) redis.call('del', 'x') redis.set_repl(redis.REPL_ALL) \
             redis.call('rpush', 'l', 'v')\" 0",
        ],
    ),
    (
        "set_repl lasts for one script",
        &[
            "eval \"redis.set_repl(redis.REPL_NONE) redis.call('set', 'a', 1)\" 0",
            "eval \"redis.call('set', 'b', 1)\" 0",
        ],
    ),
    (
        "set_repl none keeps rewrites out",
        &[
            "eval \"redis.set_repl(redis.REPL_NONE) redis.call('set', 'a', 1, 'ex', 100) \
             redis.call('expire', 'a', 200) redis.call('incrbyfloat', 'f', 1) \
             redis.call('sadd', 's', 'm') redis.call('spop', 's') \
             redis.call('sadd', 't', 'm') redis.call('spop', 't', 5) \
             redis.set_repl(redis.REPL_AOF) redis.call('set', 'c', 1)\" 0",
        ],
    ),
    (
        "set_repl none keeps lazy expiry",
        &[
            "set k v px 100",
            "set j v px 100",
            "@sleep 150",
            "eval \"redis.set_repl(redis.REPL_NONE) redis.call('get', 'k') \
             redis.call('set', 'j', 1)\" 0",
        ],
    ),
    (
        "~set_repl none keeps spop's srem",
        &[
            "sadd s a b c d",
            "eval \"redis.set_repl(redis.REPL_NONE) redis.call('spop', 's', 2) \
             redis.call('set', 'x', 1)\" 0",
        ],
    ),
    (
        "set_repl bad flags",
        &[
            "eval \"redis.call('set', 'a', 1) redis.set_repl(4) redis.call('set', 'b', 1)\" 0",
            "eval \"redis.set_repl(redis.REPL_NONE) redis.call('set', 'c', 1) \
             pcall(redis.set_repl, -1) redis.call('set', 'd', 1)\" 0",
            "eval \"redis.set_repl(1, 2)\" 0",
        ],
    ),
    (
        "set_repl none inside multi",
        &[
            "multi",
            "set a 1",
            "eval \"redis.set_repl(redis.REPL_NONE) redis.call('set', 'b', 2)\" 0",
            "set c 3",
            "exec",
        ],
    ),
    // Expiry.
    (
        "lazy expiry on a read",
        &["set k v px 100", "set j v", "@sleep 150", "get k", "get k"],
    ),
    (
        "lazy expiry on a write",
        &["set k v px 100", "@sleep 150", "set k v2"],
    ),
    (
        "lazy expiry on a collection write",
        &["rpush l a px", "pexpire l 100", "@sleep 150", "rpush l b"],
    ),
    (
        "lazy expiry of overwritten keys",
        &[
            "set a v px 100",
            "set b v px 100",
            "set c v px 100",
            "set d v px 100",
            "set s x",
            "set t y",
            "@sleep 150",
            "mset a 1 z 2",
            "rename s b",
            "copy t c",
            "incr d",
        ],
    ),
    (
        "lazy expiry on del and expire",
        &[
            "set a v px 100",
            "set b v px 100",
            "set c v px 100",
            "@sleep 150",
            "del a",
            "expire b 100",
            "persist c",
        ],
    ),
    (
        "lazy expiry inside multi",
        &[
            "set k v px 100",
            "@sleep 150",
            "multi",
            "get k",
            "set j 1",
            "exec",
        ],
    ),
    (
        "lazy expiry inside a script",
        &[
            "set k v px 100",
            "@sleep 150",
            "eval \"return redis.call('get', 'k')\" 0",
        ],
    ),
    (
        "active expiry",
        &[
            "set k v px 100",
            "select 2",
            "set i v px 100",
            "select 0",
            "@sleep 150",
            "@expire 2",
        ],
    ),
    (
        "~lazyfree",
        &[
            "config set lazyfree-lazy-expire yes",
            "config set lazyfree-lazy-server-del yes",
            "config set lazyfree-lazy-user-del yes",
            "mset a 1 b 2 c 3 d 4",
            "expire a -1",
            "getex b pxat 1",
            "getdel c",
            "del d",
            "sadd s x y",
            "spop s 5",
            "sadd s x y",
            "spop s",
            "set k v",
            "restore k 1 {dump} absttl replace",
            "set k v px 100",
            "@sleep 150",
            "get k",
            "set j v px 100",
            "@sleep 150",
            "@expire 1",
        ],
    ),
];

/// What placeholders other than times stand for.
struct Vars {
    dump: Vec<u8>,
    sha: Vec<u8>,
}

/// Unix time now, in ms.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Splits a step into arguments: whitespace separates them except inside
/// double quotes; the placeholders are filled in.
fn args(line: &str, vars: &Vars) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut quoted: Option<String> = None;
    for word in line.split_whitespace() {
        let whole = match quoted.take() {
            Some(mut q) => {
                q.push(' ');
                q.push_str(word);
                if !word.ends_with('"') {
                    quoted = Some(q);
                    continue;
                }
                q
            }
            None if word.starts_with('"') && (word.len() == 1 || !word.ends_with('"')) => {
                quoted = Some(word.to_string());
                continue;
            }
            None => word.to_string(),
        };
        let whole = whole
            .strip_prefix('"')
            .and_then(|w| w.strip_suffix('"'))
            .unwrap_or(&whole);
        out.push(fill(whole, vars));
    }
    assert!(quoted.is_none(), "unbalanced quotes in {line:?}");
    out
}

/// Fills a `{...}` placeholder in.
fn fill(word: &str, vars: &Vars) -> Vec<u8> {
    let Some(inner) = word.strip_prefix('{').and_then(|w| w.strip_suffix('}')) else {
        return word.as_bytes().to_vec();
    };
    match inner {
        "dump" => return vars.dump.clone(),
        "sha" => return vars.sha.clone(),
        _ => {}
    }
    let (unit, rest) = inner
        .split_once(['+', '-'])
        .unwrap_or_else(|| panic!("bad placeholder {word}"));
    let delta: i64 = rest.parse().unwrap();
    let delta = if inner.contains('-') { -delta } else { delta };
    let now = now_ms() as i64;
    match unit {
        "s" => (now / 1000 + delta).to_string().into_bytes(),
        "ms" => (now + delta).to_string().into_bytes(),
        _ => panic!("bad placeholder {word}"),
    }
}

/// The RESP commands of `data`, which holds whole records only.
pub fn records(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
    fn line(data: &[u8], at: &mut usize, tag: u8) -> usize {
        assert_eq!(data[*at], tag, "at {at}: {}", data[*at..].escape_ascii());
        let end = *at + data[*at..].iter().position(|&b| b == b'\r').unwrap();
        let n = std::str::from_utf8(&data[*at + 1..end])
            .unwrap()
            .parse()
            .unwrap();
        *at = end + 2;
        n
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let argc = line(data, &mut at, b'*');
        let mut argv = Vec::with_capacity(argc);
        for _ in 0..argc {
            let len = line(data, &mut at, b'$');
            argv.push(data[at..at + len].to_vec());
            at += len + 2;
        }
        out.push(argv);
    }
    out
}

/// A record as text, with absolute times (integers within a day of now,
/// in ms or in seconds) replaced by a placeholder: `<ms:now>` within 60 s
/// of now, else `<ms:now+100s>` with the offset rounded to 10 s (the two
/// sides ran the command a few ms apart; the cases use round offsets).
fn normalize(argv: &[Vec<u8>]) -> String {
    let now = now_ms() as i64;
    let time = |unit: &str, delta_ms: i64| match delta_ms {
        d if d.abs() <= 60_000 => format!("<{unit}:now>"),
        d => format!(
            "<{unit}:now{:+}s>",
            (d as f64 / 10_000.0).round() as i64 * 10
        ),
    };
    argv.iter()
        .map(|a| {
            let n = std::str::from_utf8(a)
                .ok()
                .and_then(|s| s.parse::<i64>().ok());
            match n {
                Some(n) if (n - now).abs() <= 86_400_000 => time("ms", n - now),
                Some(n) if (n - now / 1000).abs() <= 86_400 => time("s", (n - now / 1000) * 1000),
                _ => format!("{:?}", String::from_utf8_lossy(a)),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The members SPOP removes are random: in a case whose name starts with
/// `~`, SREM's member is compared as a placeholder.
fn unrandomize(name: &str, mut argv: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    if name.starts_with('~') && argv.len() == 3 && argv[0] == b"SREM" {
        argv[2] = b"<member>".to_vec();
    }
    argv
}

/// The bytes appended to `path` since `offset`, which moves to the end.
fn appended(path: &PathBuf, offset: &mut usize) -> Vec<u8> {
    let data = std::fs::read(path).unwrap();
    let new = data[*offset..].to_vec();
    *offset = data.len();
    new
}

/// Waits until `file` stops growing (after work done in the background).
fn settle(file: &PathBuf) {
    let mut last = std::fs::metadata(file).unwrap().len();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = std::fs::metadata(file).unwrap().len();
        if now == last {
            return;
        }
        last = now;
    }
}

/// A field of an INFO reply.
fn info_field(reply: &Reply, field: &str) -> i64 {
    let Reply::Bulk(text) = reply else {
        panic!("INFO replied {reply:?}")
    };
    String::from_utf8_lossy(text)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .trim()
        .parse()
        .unwrap()
}

/// The redis-server side: its main and blocking clients and its
/// incremental AOF file.
struct Theirs {
    server: Server,
    blocker: Client,
    file: PathBuf,
    offset: usize,
}

impl Theirs {
    fn start(dir: &TempDir) -> Theirs {
        let mut server = Server::start_with(
            &dir.0,
            &[
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--enable-debug-command",
                "yes",
            ],
        );
        assert_eq!(
            server.client.call(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
            Reply::ok()
        );
        let manifest =
            std::fs::read_to_string(dir.file("appendonlydir/appendonly.aof.manifest")).unwrap();
        let incr = manifest
            .lines()
            .find(|l| l.ends_with("type i"))
            .and_then(|l| l.split_whitespace().nth(1))
            .expect("an incremental file in the manifest")
            .to_string();
        let blocker = Client::connect(server.port);
        Theirs {
            server,
            blocker,
            file: dir.file("appendonlydir").join(incr),
            offset: 0,
        }
    }

    fn blocked_clients(&mut self) -> i64 {
        info_field(
            &self.server.client.call(&["INFO", "clients"]),
            "blocked_clients",
        )
    }

    fn expired_keys(&mut self) -> i64 {
        info_field(&self.server.client.call(&["INFO", "stats"]), "expired_keys")
    }

    /// Runs one step; a command's reply.
    fn step(&mut self, line: &str, argv: &[Vec<u8>]) -> Option<Reply> {
        match line.split_whitespace().next().unwrap() {
            "@block" => {
                let before = self.blocked_clients();
                self.blocker.send(argv);
                let deadline = Instant::now() + Duration::from_secs(5);
                while self.blocked_clients() == before {
                    assert!(Instant::now() < deadline, "{line}: redis did not block");
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            "@await" => {
                self.blocker.read();
            }
            "@2" => {
                self.blocker.call(argv);
            }
            "@expire" => {
                let n: i64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                let before = self.expired_keys();
                let c = &mut self.server.client;
                c.call(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
                let deadline = Instant::now() + Duration::from_secs(10);
                while self.expired_keys() < before + n {
                    assert!(Instant::now() < deadline, "{line}: redis expired too few");
                    std::thread::sleep(Duration::from_millis(10));
                }
                self.server
                    .client
                    .call(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
                settle(&self.file);
            }
            _ => return Some(self.server.client.call(argv)),
        }
        None
    }
}

/// Our side: an engine on a directory with the file on (`always`), its
/// sessions, and its file.
struct Ours {
    engine: Engine,
    main: Session,
    blocker: Session,
    waiting: Option<Blocked>,
    file: PathBuf,
    offset: usize,
}

impl Ours {
    fn open(dir: &TempDir) -> Ours {
        let config = Config::default();
        for (k, v) in [
            ("appendonly", "yes"),
            ("appendfsync", "always"),
            ("save", ""),
        ] {
            config.set_at_startup(k, v).unwrap();
        }
        // No cron: the active expiry runs only when a step asks.
        let opts = Options {
            background: false,
            ..Options::default()
        };
        let engine = Engine::open_with_config(&dir.0, opts, config).unwrap();
        let main = engine.session();
        let mut blocker = engine.session();
        blocker.defer_blocking(true);
        Ours {
            engine,
            main,
            blocker,
            waiting: None,
            file: dir.file("appendonly.aof"),
            offset: 0,
        }
    }

    fn step(&mut self, line: &str, argv: &[Vec<u8>]) {
        match line.split_whitespace().next().unwrap() {
            "@block" => {
                self.engine.execute(&mut self.blocker, argv);
                self.waiting = Some(self.blocker.take_blocked().expect("the command blocks"));
            }
            "@await" => {
                let wait = self.waiting.take().expect("a blocked client");
                wait.wait(Some(Duration::from_secs(5)))
                    .expect("the blocked client is served");
            }
            "@2" => {
                self.engine.execute(&mut self.blocker, argv);
            }
            "@expire" => {
                let n: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                let mut removed = 0;
                let deadline = Instant::now() + Duration::from_secs(10);
                while removed < n {
                    assert!(Instant::now() < deadline, "{line}: we expired too few");
                    removed += self.engine.active_expire_cycle();
                }
                // The cycle's DELs reach the file through the writer; with
                // `always` any command's reply waits until everything
                // appended before it is durable.
                self.engine.execute(&mut self.main, &["PING"]);
            }
            _ => {
                self.engine.execute(&mut self.main, argv);
            }
        }
    }
}

/// Runs `steps` on both sides; the records each appended, normalized.
fn run_case(
    theirs: &mut Theirs,
    ours: &mut Ours,
    name: &str,
    steps: &[&str],
    vars: &mut Vars,
) -> [Vec<String>; 2] {
    // A clean slate in db 0 on both, outside the compared records.
    let lazy = |p| ["CONFIG", "SET", p, "no"];
    for argv in [
        &["SELECT", "0"][..],
        &["FLUSHALL"],
        &["SCRIPT", "FLUSH"],
        &lazy("lazyfree-lazy-expire"),
        &lazy("lazyfree-lazy-server-del"),
        &lazy("lazyfree-lazy-user-del"),
    ] {
        theirs.server.client.call(argv);
        theirs.blocker.call(&["SELECT", "0"]);
        ours.engine.execute(&mut ours.main, argv);
        ours.engine.execute(&mut ours.blocker, &["SELECT", "0"]);
    }
    appended(&theirs.file, &mut theirs.offset);
    appended(&ours.file, &mut ours.offset);
    for line in steps {
        match line.split_whitespace().next() {
            Some("@sleep") => {
                let ms = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                std::thread::sleep(Duration::from_millis(ms));
            }
            _ => {
                let cmd = ["@block ", "@2 "]
                    .iter()
                    .find_map(|p| line.strip_prefix(p))
                    .unwrap_or(line);
                let argv = args(cmd, vars);
                let reply = theirs.step(line, &argv);
                ours.step(line, &argv);
                if let (true, Some(Reply::Bulk(sha))) = (line.starts_with("script load"), reply) {
                    vars.sha = sha;
                }
            }
        }
    }
    let text = |data: Vec<u8>| {
        records(&data)
            .into_iter()
            .map(|r| normalize(&unrandomize(name, r)))
            .collect()
    };
    [
        text(appended(&theirs.file, &mut theirs.offset)),
        text(appended(&ours.file, &mut ours.offset)),
    ]
}

#[test]
fn every_write_command_logs_what_redis_logs() {
    let (rdir, odir) = (
        TempDir::new("aof-prop-redis"),
        TempDir::new("aof-prop-ours"),
    );
    let mut theirs = Theirs::start(&rdir);
    let mut ours = Ours::open(&odir);
    let c = &mut theirs.server.client;
    c.call(&["SET", "dumped", "hello"]);
    let Reply::Bulk(dump) = c.call(&["DUMP", "dumped"]) else {
        panic!("DUMP failed")
    };
    let mut vars = Vars {
        dump,
        sha: Vec::new(),
    };
    let mut failures = Vec::new();
    for (name, steps) in CASES {
        let [want, got] = run_case(&mut theirs, &mut ours, name, steps, &mut vars);
        // A case that logs nothing says so in its name, so that no case
        // passes by comparing two empty logs by mistake.
        if want.is_empty() != name.ends_with("(nothing)") {
            failures.push(format!("{name}: redis logged {want:?}"));
        } else if want != got {
            failures.push(format!(
                "{name}:\n  redis:\n    {}\n  ours:\n    {}",
                want.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
