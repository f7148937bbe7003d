//! The list commands, differential against redis-server: hand-written cases
//! for every command and option (errors included, RESP2 and RESP3) and
//! generated random sequences over a few colliding keys.

use crate::harness::{Pair, rng};
use kvstore_core::Reply;
use kvstore_core::keyspace::{Entry, Value};
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;

/// Makes `key` a string on both sides, for WRONGTYPE cases. The engine side
/// uses SET when the strings family provides it, else stores the value
/// directly (lists must not depend on another family being merged).
fn make_string(p: &mut Pair, key: &str) {
    p.redis.call(&["SET", key, "x"]);
    let ours = p.engine.execute(&mut p.session, &["SET", key, "x"]);
    if ours == Reply::ok() {
        return;
    }
    let ks = &p.engine.shared().keyspace;
    let mut shard = ks.lock(p.session.db, ks.shard_of(key.as_bytes()));
    shard
        .map
        .insert(key.as_bytes(), Entry::new(Value::Str(b"x".to_vec())));
}

/// Gives `key` a TTL on both sides (PEXPIRE on the server; on the engine
/// PEXPIRE when the keys family provides it, else a direct store).
fn expire(p: &mut Pair, key: &str, ms: u64) {
    let ms_arg = ms.to_string();
    assert_eq!(p.redis.call(&["PEXPIRE", key, &ms_arg]), Reply::Int(1));
    let ours = p.engine.execute(&mut p.session, &["PEXPIRE", key, &ms_arg]);
    if ours == Reply::Int(1) {
        return;
    }
    let shared = p.engine.shared();
    let at = shared.clock.now_ms() + ms;
    let ks = &shared.keyspace;
    let mut shard = ks.lock(p.session.db, ks.shard_of(key.as_bytes()));
    let mut e = shard.map.get_mut(key.as_bytes()).expect("key exists");
    assert_eq!(e.expire(), 0);
    e.set_expire(at);
}

/// Asserts that `key` has a TTL on both sides, or on neither.
fn check_ttl(p: &mut Pair, key: &str, expected: bool) {
    let theirs = matches!(p.redis.call(&["PTTL", key]), Reply::Int(n) if n >= 0);
    let ks = &p.engine.shared().keyspace;
    let shard = ks.lock(p.session.db, ks.shard_of(key.as_bytes()));
    let ours = shard
        .map
        .get(key.as_bytes())
        .is_some_and(|e| e.expire() != 0);
    assert_eq!((theirs, ours), (expected, expected), "TTL of {key}");
}

/// Runs each argv (space-separated words) through `check`.
fn run(p: &mut Pair, cmds: &[&str]) {
    for c in cmds {
        let argv: Vec<&str> = c.split(' ').collect();
        p.check(&argv);
    }
}

/// Compares the whole keyspaces. The string keys (of dbs 0 and 1, the ones
/// the tests use) are dropped first: reading them back needs GET, which
/// belongs to the strings family.
fn finish(p: &mut Pair) {
    for db in ["1", "0"] {
        p.check(&["SELECT", db]);
        p.check(&["DEL", "s", "str"]);
    }
    p.check_same_data();
}

/// Both protocols, for the cases whose replies differ between them.
fn both_protocols() -> [Pair; 2] {
    [Pair::new(), Pair::resp3()]
}

#[test]
fn push_and_llen() {
    let mut p = Pair::new();
    make_string(&mut p, "s");
    run(
        &mut p,
        &[
            "LPUSH l a",
            "LPUSH l b c d",
            "RPUSH l e f",
            "LRANGE l 0 -1",
            "LLEN l",
            "LLEN nokey",
            "LLEN s",
            "LPUSHX nokey a",
            "RPUSHX nokey a b",
            "EXISTS nokey",
            "LPUSHX l x y",
            "RPUSHX l z",
            "LRANGE l 0 -1",
            "LPUSH s a",
            "RPUSH s a",
            "LPUSHX s a",
            "RPUSHX s a",
            "lpush L2 A",
            "LPUSH l",
            "RPUSH l",
            "LPUSHX l",
            "RPUSHX",
            "LLEN",
            "LLEN l x",
            "TYPE l",
        ],
    );
    p.check(&["RPUSH", "bin", "", "\0\r\n", &"x".repeat(1000)]);
    p.check(&["LRANGE", "bin", "0", "-1"]);
    finish(&mut p);
}

#[test]
fn pop_count_rules() {
    for mut p in both_protocols() {
        make_string(&mut p, "s");
        run(
            &mut p,
            &[
                "RPUSH l a b c d e",
                "LPOP l",
                "RPOP l",
                "LPOP l 0",
                "RPOP l 0",
                "LPOP l 1",
                "RPOP l 1",
                "LPOP nokey",
                "RPOP nokey",
                "LPOP nokey 0",
                "RPOP nokey 0",
                "LPOP nokey 3",
                "LPOP l -1",
                "RPOP l -1",
                "LPOP l abc",
                "LPOP nokey abc",
                "LPOP l 1.5",
                "LPOP l 9223372036854775808",
                "LPOP l -9223372036854775808",
                "LPOP l 1 2",
                "RPOP l 1 2",
                "LPOP",
                "LPOP s",
                "RPOP s",
                "LPOP s 0",
                "LPOP s 2",
                "LPOP s -1",
                "LPOP s abc",
                "RPUSH l x y z",
                "RPOP l 2",
                "LPOP l 100",
                "EXISTS l",
                "RPUSH l 1 2 3",
                "RPOP l 9223372036854775807",
                "EXISTS l",
                "RPUSH l 1",
                "LPOP l",
                "EXISTS l",
                "RPUSH l 1 2",
                "RPOP l",
                "RPOP l",
                "RPOP l",
                "TYPE l",
            ],
        );
        finish(&mut p);
    }
}

#[test]
fn lrange_and_lindex() {
    let mut p = Pair::new();
    make_string(&mut p, "s");
    run(
        &mut p,
        &[
            "RPUSH l a b c d e",
            "LRANGE l 0 -1",
            "LRANGE l 1 3",
            "LRANGE l -2 -1",
            "LRANGE l -100 100",
            "LRANGE l 3 1",
            "LRANGE l 5 10",
            "LRANGE l 4 4",
            "LRANGE l -1 -2",
            "LRANGE l 0 -6",
            "LRANGE l 0 -5",
            "LRANGE l -9223372036854775808 9223372036854775807",
            "LRANGE l 9223372036854775807 -9223372036854775808",
            "LRANGE l a 1",
            "LRANGE l 0 b",
            "LRANGE nokey a 1",
            "LRANGE nokey 0 -1",
            "LRANGE s 0 -1",
            "LRANGE s a 1",
            "LRANGE l 0",
            "LRANGE l 0 1 2",
            "LINDEX l 0",
            "LINDEX l 4",
            "LINDEX l 5",
            "LINDEX l -1",
            "LINDEX l -5",
            "LINDEX l -6",
            "LINDEX l 9223372036854775807",
            "LINDEX l -9223372036854775808",
            "LINDEX l abc",
            "LINDEX l 01",
            "LINDEX l +1",
            "LINDEX nokey 0",
            "LINDEX nokey abc",
            "LINDEX s 0",
            "LINDEX s abc",
            "LINDEX l",
        ],
    );
    let mut p3 = Pair::resp3();
    run(
        &mut p3,
        &[
            "RPUSH l a",
            "LINDEX l 1",
            "LINDEX nokey 0",
            "LRANGE nokey 0 -1",
            "LRANGE l 0 -1",
        ],
    );
}

#[test]
fn lset_and_linsert() {
    let mut p = Pair::new();
    make_string(&mut p, "s");
    run(
        &mut p,
        &[
            "RPUSH l a b c",
            "LSET l 0 x",
            "LSET l -1 y",
            "LSET l -3 z",
            "LSET l 3 w",
            "LSET l -4 w",
            "LSET l 9223372036854775807 w",
            "LSET l -9223372036854775808 w",
            "LSET l abc w",
            "LSET nokey 0 x",
            "LSET nokey abc x",
            "LSET s 0 x",
            "LSET s abc x",
            "LSET l 0",
            "LRANGE l 0 -1",
            "LINSERT l BEFORE b b0",
            "LINSERT l after b b1",
            "LINSERT l After y end",
            "LINSERT l before z start",
            "LINSERT l before missing v",
            "LINSERT l middle b v",
            "LINSERT nokey before a v",
            "LINSERT nokey middle a v",
            "EXISTS nokey",
            "LINSERT s before a v",
            "LINSERT s middle a v",
            "LINSERT l before b",
            "RPUSH d a a a",
            "LINSERT d after a b",
            "LINSERT d before a c",
            "LRANGE d 0 -1",
            "LRANGE l 0 -1",
        ],
    );
    finish(&mut p);
}

#[test]
fn lrem_and_ltrim() {
    let mut p = Pair::new();
    make_string(&mut p, "s");
    run(
        &mut p,
        &[
            "RPUSH l a b a c a b a",
            "LREM l 2 a",
            "LRANGE l 0 -1",
            "LREM l -1 b",
            "LRANGE l 0 -1",
            "RPUSH l a a",
            "LREM l -2 a",
            "LRANGE l 0 -1",
            "LREM l 0 a",
            "LRANGE l 0 -1",
            "LREM l 0 zz",
            "LREM l 1 zz",
            "LREM l abc a",
            "LREM nokey abc a",
            "LREM nokey 0 a",
            "LREM s 0 a",
            "LREM s abc a",
            "RPUSH m x y x",
            "LREM m -9223372036854775808 x",
            "LREM m 9223372036854775807 y",
            "EXISTS m",
            "LREM l 0",
            "DEL l",
            "RPUSH l 0 1 2 3 4 5 6 7 8 9",
            "LTRIM l 1 -2",
            "LRANGE l 0 -1",
            "LTRIM l -3 100",
            "LRANGE l 0 -1",
            "LTRIM l 0 -1",
            "LTRIM l -100 -2",
            "LRANGE l 0 -1",
            "LTRIM l a 1",
            "LTRIM l 0 b",
            "LTRIM nokey a 1",
            "LTRIM nokey 0 1",
            "EXISTS nokey",
            "LTRIM s 0 1",
            "LTRIM s a 1",
            "LTRIM l 1 0",
            "EXISTS l",
            "RPUSH l a b c",
            "LTRIM l 5 10",
            "EXISTS l",
            "RPUSH l a b c",
            "LTRIM l -9223372036854775808 9223372036854775807",
            "LRANGE l 0 -1",
            "LTRIM l 9223372036854775807 -9223372036854775808",
            "EXISTS l",
            "LTRIM l 0",
        ],
    );
    finish(&mut p);
}

#[test]
fn lpos_options() {
    for mut p in both_protocols() {
        make_string(&mut p, "s");
        run(
            &mut p,
            &[
                "RPUSH l a b a c a d a",
                "LPOS l a",
                "LPOS l d",
                "LPOS l zz",
                "LPOS l a RANK 2",
                "LPOS l a RANK -1",
                "LPOS l a RANK -3",
                "LPOS l a RANK 5",
                "LPOS l a RANK -5",
                "LPOS l a RANK 0",
                "LPOS l a RANK -9223372036854775808",
                "LPOS l a RANK -9223372036854775808 COUNT 1",
                "LPOS l a RANK -9223372036854775808 COUNT 2 MAXLEN 4",
                "LPOS l a RANK 9223372036854775807",
                "LPOS l a RANK -9223372036854775807",
                "LPOS l a RANK 9223372036854775807 COUNT 0",
                "LPOS l a RANK abc",
                "LPOS l a RANK",
                "LPOS l a COUNT 0",
                "LPOS l a COUNT 2",
                "LPOS l a COUNT 100",
                "LPOS l zz COUNT 2",
                "LPOS l a COUNT -1",
                "LPOS l a COUNT abc",
                "LPOS l a COUNT",
                "LPOS l a COUNT 9223372036854775807",
                "LPOS l a MAXLEN 1",
                "LPOS l a MAXLEN 2 RANK 2",
                "LPOS l a MAXLEN 3 COUNT 0",
                "LPOS l a MAXLEN 3 COUNT 0 RANK -1",
                "LPOS l a MAXLEN 0 COUNT 0",
                "LPOS l a MAXLEN -1",
                "LPOS l a MAXLEN abc",
                "LPOS l a MAXLEN 9223372036854775807",
                "LPOS l a rank 1 RANK -2",
                "LPOS l a count 1 count 3",
                "LPOS l a Rank 2 Count 2 MaxLen 7",
                "LPOS l a RANK 3 COUNT 9223372036854775807",
                "LPOS l a FOO",
                "LPOS l a FOO 1",
                "LPOS nokey a",
                "LPOS nokey a COUNT 1",
                "LPOS nokey a RANK 0",
                "LPOS nokey a COUNT -1",
                "LPOS s a",
                "LPOS s a COUNT 1",
                "LPOS s a RANK 0",
                "LPOS l",
            ],
        );
    }
}

#[test]
fn rpoplpush_and_lmove() {
    for mut p in both_protocols() {
        make_string(&mut p, "s");
        run(
            &mut p,
            &[
                "RPUSH a 1 2 3",
                "RPOPLPUSH a b",
                "RPOPLPUSH a b",
                "LRANGE a 0 -1",
                "LRANGE b 0 -1",
                "RPOPLPUSH a a",
                "RPOPLPUSH a b",
                "EXISTS a",
                "RPOPLPUSH a b",
                "RPOPLPUSH nokey s",
                "RPOPLPUSH s b",
                "RPOPLPUSH b s",
                "RPOPLPUSH s s",
                "LRANGE b 0 -1",
                "RPUSH r 1 2 3 4",
                "LMOVE r r LEFT RIGHT",
                "LRANGE r 0 -1",
                "LMOVE r r right left",
                "LRANGE r 0 -1",
                "LMOVE r r Left Left",
                "LMOVE r r RIGHT RIGHT",
                "LRANGE r 0 -1",
                "LMOVE r x LEFT LEFT",
                "LMOVE r x LEFT RIGHT",
                "LMOVE r x RIGHT LEFT",
                "LMOVE r x RIGHT RIGHT",
                "LRANGE x 0 -1",
                "EXISTS r",
                "LMOVE r x LEFT LEFT",
                "LMOVE x r UP LEFT",
                "LMOVE x r LEFT DOWN",
                "LMOVE nokey r UP LEFT",
                "LMOVE nokey s LEFT LEFT",
                "LMOVE s x LEFT LEFT",
                "LMOVE x s LEFT LEFT",
                "LMOVE x",
                "RPOPLPUSH x",
                "RPUSH one v",
                "LMOVE one one LEFT RIGHT",
                "LRANGE one 0 -1",
                "RPOPLPUSH one one",
                "LRANGE one 0 -1",
            ],
        );
        finish(&mut p);
    }
}

#[test]
fn lmpop_options() {
    for mut p in both_protocols() {
        make_string(&mut p, "s");
        run(
            &mut p,
            &[
                "RPUSH m a b c d",
                "RPUSH n x",
                "LMPOP 1 m LEFT",
                "LMPOP 1 m RIGHT",
                "LMPOP 2 nokey m LEFT COUNT 1",
                "LMPOP 3 nokey n m right count 5",
                "LMPOP 2 nokey m left COUNT 9223372036854775807",
                "EXISTS m n",
                "LMPOP 1 nokey LEFT",
                "LMPOP 2 nokey nokey2 RIGHT COUNT 3",
                "RPUSH m a b c",
                "LMPOP 0 m LEFT",
                "LMPOP -1 m LEFT",
                "LMPOP abc m LEFT",
                "LMPOP 9223372036854775807 m LEFT",
                "LMPOP 9223372036854775808 m LEFT",
                "LMPOP 2 m LEFT",
                "LMPOP 3 a b LEFT",
                "LMPOP 1 m",
                "LMPOP 1 m MIDDLE",
                "LMPOP 1 m LEFT COUNT 0",
                "LMPOP 1 m LEFT COUNT -1",
                "LMPOP 1 m LEFT COUNT abc",
                "LMPOP 1 m LEFT COUNT",
                "LMPOP 1 m LEFT COUNT 1 COUNT 1",
                "LMPOP 1 m LEFT FOO",
                "LMPOP 1 m LEFT FOO 1",
                "LMPOP 2 s m LEFT",
                "LMPOP 2 nokey s LEFT",
                "LMPOP 2 m s LEFT",
                "LMPOP 2 s m LEFT COUNT 0",
                "LMPOP 1 m RIGHT COUNT 2",
                "LMPOP",
                "LMPOP 1",
            ],
        );
        finish(&mut p);
    }
}

#[test]
fn writes_keep_the_ttl_and_emptied_lists_lose_it() {
    let mut p = Pair::new();
    run(&mut p, &["RPUSH a 1 2", "RPUSH b x", "RPUSH one v"]);
    for k in ["a", "b", "one"] {
        expire(&mut p, k, 1_000_000);
    }
    run(
        &mut p,
        &[
            "LPUSH a 0",
            "RPUSHX a 3",
            "LSET a 0 z",
            "LINSERT a BEFORE z y",
            "LREM a 1 y",
            "LTRIM a 0 -1",
            "RPOPLPUSH a b",
            "LMOVE one one LEFT RIGHT",
            "RPOPLPUSH one one",
        ],
    );
    check_ttl(&mut p, "a", true);
    check_ttl(&mut p, "b", true);
    check_ttl(&mut p, "one", true);
    // Emptying a list deletes it; the key then comes back without a TTL.
    run(
        &mut p,
        &["LMOVE one fresh LEFT LEFT", "EXISTS one", "RPUSH one w"],
    );
    check_ttl(&mut p, "one", false);
    check_ttl(&mut p, "fresh", false);
    run(&mut p, &["LMPOP 1 b LEFT COUNT 10", "RPUSH b x"]);
    check_ttl(&mut p, "b", false);
    // (check_same_data needs TTL, from the keys family: compare directly.)
    run(
        &mut p,
        &[
            "LRANGE a 0 -1",
            "LRANGE b 0 -1",
            "LRANGE one 0 -1",
            "LRANGE fresh 0 -1",
        ],
    );
}

#[test]
fn expired_keys_count_as_missing() {
    let mut p = Pair::new();
    run(&mut p, &["RPUSH src a b", "RPUSH old x"]);
    make_string(&mut p, "s");
    expire(&mut p, "s", 5);
    expire(&mut p, "old", 5);
    std::thread::sleep(std::time::Duration::from_millis(30));
    run(
        &mut p,
        &[
            "LPUSHX old y",
            "LLEN old",
            "LMOVE src s LEFT LEFT",
            "LRANGE s 0 -1",
            "TYPE s",
            "RPUSH old z",
            "LRANGE old 0 -1",
        ],
    );
    check_ttl(&mut p, "s", false);
    check_ttl(&mut p, "old", false);
    finish(&mut p);
}

#[test]
fn arity_errors() {
    let mut p = Pair::new();
    p.check(&["RPUSH", "k", "a"]);
    // (name, Redis arity): too few arguments, and one too many for the
    // fixed-arity ones.
    let table: &[(&str, i32)] = &[
        ("lpush", -3),
        ("RPUSH", -3),
        ("lpushx", -3),
        ("rpushx", -3),
        ("LPOP", -2),
        ("rpop", -2),
        ("llen", 2),
        ("lrange", 4),
        ("lindex", 3),
        ("lset", 4),
        ("linsert", 5),
        ("lrem", 4),
        ("ltrim", 4),
        ("lpos", -3),
        ("rpoplpush", 3),
        ("lmove", 5),
        ("LMPOP", -4),
    ];
    for &(name, arity) in table {
        let need = arity.unsigned_abs() as usize;
        let mut argv = vec![name, "k", "1", "LEFT", "0", "x"];
        for n in 1..need {
            p.check(&argv[..n]);
        }
        if arity > 0 {
            argv.truncate(need);
            argv.push("extra");
            p.check(&argv);
        }
    }
}

#[test]
fn long_lists() {
    let mut p = Pair::new();
    let mut push = vec!["RPUSH".to_string(), "big".into()];
    push.extend((0..600).map(|i| (i % 7).to_string()));
    p.check(&push);
    run(
        &mut p,
        &[
            "LPOS big 3 COUNT 0",
            "LPOS big 3 RANK -10 COUNT 5 MAXLEN 200",
            "LINDEX big 333",
            "LINDEX big -333",
            "LRANGE big 250 260",
            "LREM big -20 4",
            "LREM big 30 5",
            "LINSERT big AFTER 6 x",
            "LSET big 400 y",
            "LPOP big 50",
            "RPOP big 50",
            "LMPOP 1 big RIGHT COUNT 25",
            "LTRIM big 10 -10",
            "LLEN big",
            "LMOVE big big RIGHT LEFT",
            "LRANGE big 0 -1",
        ],
    );
    finish(&mut p);
}

#[test]
fn huge_and_bad_arguments() {
    let mut p = Pair::new();
    run(
        &mut p,
        &[
            "RPUSH l a b c",
            "LPOP l 9223372036854775807",
            "RPUSH l a b c",
            "LPOS l a COUNT 9223372036854775807 MAXLEN 9223372036854775807",
            "LRANGE l 0 9223372036854775807",
            "LTRIM l 0 9223372036854775807",
            "LMPOP 1 l LEFT COUNT 9223372036854775807",
            "LMPOP 18446744073709551616 l LEFT",
            "RPUSH l a",
            "LREM l 9223372036854775807 a",
            "LINDEX l 18446744073709551616",
            "LSET l 18446744073709551615 x",
        ],
    );
}

/// Random-sequence vocabulary: colliding keys (one of them a string),
/// elements, and index-like arguments in and out of range.
const KEYS: &[&str] = &["l1", "l2", "l3", "str"];
const ELEMS: &[&str] = &["a", "b", "c", "1", ""];
const INDEXES: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "-2",
    "3",
    "-4",
    "7",
    "-8",
    "9223372036854775807",
    "-9223372036854775808",
    "x",
    "1.5",
];

fn pick<'a>(r: &mut SmallRng, from: &[&'a str]) -> &'a str {
    from.choose(r).expect("non-empty")
}

/// The index-like argument: usually small, sometimes huge or not a number.
fn index(r: &mut SmallRng) -> String {
    if r.random_bool(0.8) {
        r.random_range(-6..=6).to_string()
    } else {
        pick(r, INDEXES).to_string()
    }
}

fn end(r: &mut SmallRng) -> &'static str {
    let n = if r.random_bool(0.97) { 4 } else { 5 };
    pick(r, &["LEFT", "RIGHT", "left", "Right", "UP"][..n])
}

/// One random list command (occasionally malformed).
fn random_command(r: &mut SmallRng) -> Vec<String> {
    let k = pick(r, KEYS);
    let e = pick(r, ELEMS);
    match r.random_range(0..22) {
        0..=4 => {
            let cmd = pick(r, &["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
            let mut v = vec![cmd.to_string(), k.to_string()];
            for _ in 0..r.random_range(1..=4) {
                v.push(pick(r, ELEMS).to_string());
            }
            v
        }
        5 | 6 => {
            let cmd = pick(r, &["LPOP", "RPOP"]);
            match r.random_range(0..4) {
                0 => vec![cmd.into(), k.into()],
                1 => vec![cmd.into(), k.into(), index(r)],
                _ => vec![cmd.into(), k.into(), r.random_range(0..4).to_string()],
            }
        }
        7 => vec!["LLEN".into(), k.into()],
        8 => vec!["LRANGE".into(), k.into(), index(r), index(r)],
        9 => vec!["LINDEX".into(), k.into(), index(r)],
        10 => vec!["LSET".into(), k.into(), index(r), e.into()],
        11 => {
            let place = pick(r, &["BEFORE", "AFTER", "after", "before", "MIDDLE"]);
            vec![
                "LINSERT".into(),
                k.into(),
                place.into(),
                pick(r, ELEMS).into(),
                e.into(),
            ]
        }
        12 => vec!["LREM".into(), k.into(), index(r), e.into()],
        13 => {
            // Mostly gentle trims, so that lists stay long enough to matter.
            let (start, stop) = if r.random_bool(0.7) {
                (
                    r.random_range(-1..=1).to_string(),
                    r.random_range(-2..=8).to_string(),
                )
            } else {
                (index(r), index(r))
            };
            vec!["LTRIM".into(), k.into(), start, stop]
        }
        14 | 15 => {
            let mut v = vec!["LPOS".to_string(), k.into(), e.into()];
            for _ in 0..r.random_range(0..3) {
                let opt = pick(r, &["RANK", "COUNT", "MAXLEN", "rank", "count", "maxlen"]);
                let value = match r.random_range(0..5) {
                    0 => index(r),
                    _ if opt.eq_ignore_ascii_case("rank") => {
                        pick(r, &["1", "2", "-1", "-2", "3"]).into()
                    }
                    _ => r.random_range(0..=4).to_string(),
                };
                v.push(opt.into());
                v.push(value);
            }
            v
        }
        16 => vec!["RPOPLPUSH".into(), k.into(), pick(r, KEYS).into()],
        17 => vec![
            "LMOVE".into(),
            k.into(),
            pick(r, KEYS).into(),
            end(r).into(),
            end(r).into(),
        ],
        18 => {
            let n = r.random_range(1..=3);
            let mut v = vec!["LMPOP".to_string(), n.to_string()];
            for _ in 0..n {
                v.push(pick(r, KEYS).into());
            }
            v.push(end(r).into());
            if r.random_bool(0.5) {
                v.push("COUNT".into());
                let count = if r.random_bool(0.8) {
                    r.random_range(1..=3).to_string()
                } else {
                    index(r)
                };
                v.push(count);
            }
            v
        }
        19 if r.random_bool(0.3) => vec!["DEL".into(), k.into()],
        20 if r.random_bool(0.1) => vec!["SELECT".into(), r.random_range(0..2).to_string()],
        _ => vec!["EXISTS".into(), k.into()],
    }
}

fn random_sequence(mut p: Pair, name: &str, n: usize) {
    let mut r = rng(name);
    // Replies carrying elements: proof the sequence works on real lists,
    // not only on missing keys and errors.
    let mut with_data = 0;
    for i in 0..n {
        if i % 200 == 0 {
            make_string(&mut p, "str");
        }
        let argv = random_command(&mut r);
        match p.check(&argv) {
            Reply::Bulk(_) => with_data += 1,
            Reply::Array(a) if !a.is_empty() => with_data += 1,
            _ => {}
        }
    }
    finish(&mut p);
    assert!(
        with_data > n / 10,
        "only {with_data} of {n} replies carried data"
    );
}

#[test]
fn random_sequences_resp2() {
    random_sequence(Pair::new(), "list_random_resp2", 5000);
}

#[test]
fn random_sequences_resp3() {
    random_sequence(Pair::resp3(), "list_random_resp3", 2000);
}
