//! The dirty counter (INFO persistence `rdb_changes_since_last_save`)
//! against a real redis-server 7.0: each case runs on both after a
//! FLUSHALL, and after every step the counter must have grown by the same
//! amount on both sides. Redis does not count one change per write
//! command: DEL counts the keys it deleted, LPUSH the elements pushed,
//! LTRIM the elements trimmed, HSET the pairs given, FLUSHALL the keys
//! plus one, ... Every write command of the table appears in some case.
//!
//! Steps are split on spaces (`"..."` keeps an argument whole); a step
//! starting with `~` runs a command whose reply is random (SPOP): only its
//! error or success shape is compared, and its count. `@sleep <ms>` waits
//! (for keys to expire), `@dump <key>` keeps the key's DUMP for
//! `{dump}`.

use crate::harness::{Pair, Peer};
use kvstore_core::Reply;
use kvstore_core::cmd::table::{self, flags};
use std::collections::BTreeSet;
use std::time::Duration;

/// The cases: a name and its steps.
const CASES: &[(&str, &[&str])] = &[
    // Strings.
    (
        "set family",
        &[
            "set k v",
            "set k v nx",
            "set k v2 xx get",
            "set k v ex 100",
            "setnx k v",
            "setnx n v",
            "setex e 100 v",
            "psetex p 100000 v",
            "getset k v3",
            "getset new v",
        ],
    ),
    (
        "mset",
        &[
            "mset a 1 b 2 c 3",
            "mset a 1",
            "msetnx x 1 y 2",
            "msetnx x 1 z 2",
        ],
    ),
    (
        "string edits",
        &[
            "append s abc",
            "append s \"\"",
            "setrange s 1 xy",
            "setrange s 1 \"\"",
            "setrange t 0 \"\"",
            "incr n",
            "incrby n 5",
            "decr n",
            "decrby n 2",
            "incrbyfloat f 1.5",
            "incr s",
            "getdel s",
            "getdel s",
        ],
    ),
    (
        "getex",
        &[
            "set k v",
            "getex k",
            "getex k ex 100",
            "getex k persist",
            "getex k persist",
            "getex k pxat 1",
            "getex missing ex 10",
        ],
    ),
    (
        "bits",
        &[
            "setbit b 7 1",
            "setbit b 7 1",
            "setbit b 100 0",
            "bitfield b set u8 0 255 set u8 8 1 get u8 0",
            "bitfield b set u8 0 255",
            "bitfield b incrby u8 0 1 incrby u8 8 1",
            "bitfield b overflow fail incrby u8 0 255",
            "bitfield b get u8 0",
            "bitfield c set u8 0 0 set u8 8 0",
            "bitfield c set u8 0 0 set u8 24 0",
            "bitfield d overflow fail set u4 0 100",
            "bitop and d b b",
            "bitop or d2 missing1 missing2",
            "bitop or d missing1",
        ],
    ),
    (
        "hyperloglog",
        &[
            "pfadd h a b c",
            "pfadd h a",
            "pfadd h",
            "pfadd h2",
            "pfmerge m h h2",
            "pfcount h",
            "pfdebug todense h",
            "pfdebug todense h",
        ],
    ),
    // Keys.
    (
        "expired keys count nothing",
        &[
            "set k v px 20",
            "rpush l a",
            "pexpire l 20",
            "@sleep 50",
            "get k",
            "rpush l b",
            "set j v px 20",
            "@sleep 50",
            "set j v2",
        ],
    ),
    (
        "del and unlink",
        &[
            "mset a 1 b 2 c 3 d 4",
            "del a b missing",
            "del a",
            "unlink c d missing",
            "unlink c",
        ],
    ),
    (
        "expiry",
        &[
            "set k v",
            "expire k 100",
            "expire k 100 nx",
            "pexpire k 100000",
            "expireat k 99999999999",
            "pexpireat k 99999999999000",
            "persist k",
            "persist k",
            "expire missing 10",
            "set j v",
            "expire j -1",
            "set i v",
            "pexpireat i 1",
        ],
    ),
    (
        "rename move copy",
        &[
            "set a 1",
            "rename a b",
            "rename b b",
            "set c 2",
            "renamenx b c",
            "renamenx b d",
            "move d 3",
            "move missing 3",
            "copy b e",
            "copy b e",
            "copy b e replace",
            "copy b e db 4",
            "swapdb 0 3",
            "swapdb 0 0",
        ],
    ),
    (
        "restore",
        &[
            "set k hello",
            "@dump k",
            "restore k2 0 {dump}",
            "restore k2 0 {dump} replace",
            "restore k3 0 {dump} absttl replace",
        ],
    ),
    (
        "flush",
        &[
            "mset a 1 b 2 c 3",
            "select 2",
            "mset d 1 e 2",
            "flushdb",
            "flushdb",
            "select 0",
            "flushall",
            "flushall",
            "set x 1",
            "flushall async",
        ],
    ),
    // Lists.
    (
        "list pushes and pops",
        &[
            "lpush l a b c",
            "rpush l d e",
            "lpushx l f g",
            "rpushx l h",
            "lpushx missing a",
            "lpop l",
            "rpop l",
            "lpop l 2",
            "rpop l 10",
            "lpop l 1",
            "rpush l a b c d",
            "lpop l 0",
            "lpop missing 2",
            "lpush l a",
            "lpushx l b c d e",
            "rpushx missing a b",
        ],
    ),
    (
        "list edits",
        &[
            "rpush l a b c a b c a",
            "linsert l before b x",
            "linsert l after missing x",
            "lset l 0 z",
            "lrem l 2 a",
            "lrem l 0 b",
            "lrem l 0 nothere",
            "ltrim l 1 2",
            "ltrim l 0 -1",
            "rpush m a b c d e f",
            "ltrim m 2 3",
            "ltrim m 5 10",
        ],
    ),
    (
        "list moves",
        &[
            "rpush l a b c",
            "lmove l m left right",
            "rpoplpush l m",
            "lmove l l left left",
            "lmpop 2 missing l left count 5",
            "lmpop 1 l right",
            "rpush l a b c",
            "blpop l 0",
            "brpop l 0",
            "brpoplpush l m 0",
            "rpush l a b",
            "blmove l m right left 0",
            "blmpop 0 1 m left count 2",
        ],
    ),
    // Sets.
    (
        "sets",
        &[
            "sadd s a b c",
            "sadd s a d",
            "sadd s a",
            "srem s a b nothere",
            "srem s nothere",
            "smove s t c",
            "smove s t nothere",
            "smove t s c",
            "sadd u 1 2 3 4 5",
            "~spop u",
            "~spop u 2",
            "~spop u 0",
            "~spop u 10",
            "~spop missing 3",
        ],
    ),
    (
        "set stores",
        &[
            "sadd a 1 2 3",
            "sadd b 2 3 4",
            "sinterstore d a b",
            "sunionstore d a b",
            "sdiffstore d a b",
            "sdiffstore d a a",
            "sdiffstore d a a",
            "sinterstore e missing a",
            "sinterstore d missing a",
            "sadd d x",
            "sinterstore d a missing",
        ],
    ),
    // Hashes.
    (
        "hashes",
        &[
            "hset h a 1 b 2",
            "hset h a 1 c 3",
            "hset h a 1",
            "hmset h a 2 d 4",
            "hsetnx h a 1",
            "hsetnx h e 5",
            "hdel h a b nothere",
            "hdel h nothere",
            "hincrby h n 1",
            "hincrbyfloat h f 1.5",
            "hdel h c d e n f",
        ],
    ),
    // Sorted sets.
    (
        "zadd",
        &[
            "zadd z 1 a 2 b",
            "zadd z 1 a 3 b 4 c",
            "zadd z nx 5 a 6 d",
            "zadd z xx 7 a 8 e",
            "zadd z xx ch 7 a 9 b",
            "zadd z incr 1 a",
            "zadd z gt 1 a",
            "zincrby z 1 a",
            "zincrby z 0 a",
        ],
    ),
    (
        "zset removals",
        &[
            "zadd z 1 a 2 b 3 c 4 d 5 e 6 f 7 g",
            "zrem z a nothere",
            "zrem z nothere",
            "zremrangebyscore z 2 3",
            "zremrangebyscore z 100 200",
            "zremrangebyrank z 0 0",
            "zremrangebylex z - +",
            "zadd y 0 a 0 b 0 c",
            "zremrangebylex y [a [b",
        ],
    ),
    (
        "zset pops and stores",
        &[
            "zadd z 1 a 2 b 3 c 4 d",
            "zpopmin z",
            "zpopmax z 2",
            "zpopmin z 0",
            "zadd z 1 a 2 b 3 c",
            "zmpop 1 z min count 2",
            "bzpopmin z 0",
            "zadd z 1 a 2 b",
            "bzpopmax z 0",
            "bzmpop 0 1 z max count 5",
            "zadd x 1 a 2 b",
            "zadd y 2 b 3 c",
            "zunionstore u 2 x y",
            "zinterstore u 2 x y",
            "zdiffstore u 2 x y",
            "zinterstore u 2 x missing",
            "zrangestore r x 0 -1",
            "zrangestore r x 5 10",
        ],
    ),
    // Other.
    (
        "sort store",
        &[
            "rpush l 3 1 2",
            "sort l store s",
            "sort l limit 0 0 store s",
            "sort missing store s",
            "sort l store s",
            "sort l by nosort get # get nothere_* store s",
        ],
    ),
    (
        "transactions and scripts",
        &[
            "multi",
            "set a 1",
            "rpush l a b c",
            "exec",
            "eval \"redis.call('del', 'a', 'l') return redis.call('mset', 'x', 1, 'y', 2)\" 0",
        ],
    ),
];

/// The dirty counter on both sides, read by `peer` (the pair's client may
/// be inside MULTI).
fn dirty(p: &mut Pair, peer: &mut Peer) -> (i64, i64) {
    let field = |r: &Reply| {
        let Reply::Bulk(text) = r else {
            panic!("INFO: {r:?}")
        };
        let text = String::from_utf8_lossy(text);
        text.lines()
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no rdb_changes_since_last_save in {text}"))
    };
    let (theirs, ours) = p.as_peer(peer, |p| p.both(&["INFO", "persistence"]));
    (field(&theirs), field(&ours))
}

/// A step's words, with a `"..."` argument kept whole (and `""` empty),
/// `{dump}` standing for the last `@dump`.
fn words(step: &str, dump: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = step.trim();
    while !rest.is_empty() {
        let (word, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("unbalanced quotes");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => rest.split_at(rest.find(' ').unwrap_or(rest.len())),
        };
        out.push(if word == "{dump}" {
            dump.to_vec()
        } else {
            word.as_bytes().to_vec()
        });
        rest = after.trim_start();
    }
    out
}

#[test]
fn changes_count_as_in_redis() {
    let mut p = Pair::new();
    let mut peer = p.peer();
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    let mut dump = Vec::new();
    for (name, steps) in CASES {
        p.check(&["SELECT", "0"]);
        p.check(&["FLUSHALL"]);
        for step in *steps {
            if let Some(ms) = step.strip_prefix("@sleep ") {
                std::thread::sleep(Duration::from_millis(ms.parse().unwrap()));
                continue;
            }
            if let Some(key) = step.strip_prefix("@dump ") {
                let Reply::Bulk(d) = p.check(&["DUMP", key]) else {
                    panic!("DUMP {key} failed")
                };
                dump = d;
                continue;
            }
            let (random, line) = match step.strip_prefix('~') {
                Some(line) => (true, line),
                None => (false, *step),
            };
            let argv = words(line, &dump);
            covered.insert(String::from_utf8_lossy(&argv[0]).to_lowercase());
            let before = dirty(&mut p, &mut peer);
            if random {
                p.check_shape(&argv);
            } else {
                p.check(&argv);
            }
            let after = dirty(&mut p, &mut peer);
            let (theirs, ours) = (after.0 - before.0, after.1 - before.1);
            if theirs != ours {
                failures.push(format!("{name}: {line}: redis counted {theirs}, we {ours}"));
            }
        }
    }
    let uncovered: Vec<&str> = table::all()
        .filter(|c| c.has(flags::WRITE) && !covered.contains(c.name))
        .map(|c| c.name)
        .collect();
    assert!(
        uncovered.is_empty(),
        "write commands without a case: {uncovered:?}"
    );
    assert!(
        failures.is_empty(),
        "{} counts differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
