//! The sorted set commands, differential against redis-server: hand-written
//! cases for every command and option (RESP2 and RESP3), encoding-sensitive
//! cases (listpack vs skiplist), random commands checked by properties, and
//! long generated command sequences.

use crate::harness::{self, Pair};
use kvstore_core::Reply;
use kvstore_core::keyspace::{Entry, SetValue, Value};
use rand::Rng;
use rand::rngs::SmallRng;

/// Runs each line (split on spaces) on both sides and compares replies.
fn run(p: &mut Pair, lines: &[&str]) {
    for line in lines {
        let argv: Vec<&str> = line.split(' ').collect();
        p.check(&argv);
    }
}

/// Runs `f` once on a RESP2 pair and once on a RESP3 pair.
fn both_protocols(f: impl Fn(&mut Pair)) {
    f(&mut Pair::new());
    f(&mut Pair::resp3());
}

/// Puts a value on both sides without going through commands of other
/// families: `redis_cmd` creates it on the server, `value` in the engine.
fn seed(p: &mut Pair, key: &str, redis_cmd: &[&str], value: Value) {
    p.redis.call(&["DEL", key]);
    p.redis.call(redis_cmd);
    let ks = &p.engine.shared().keyspace;
    let mut shard = ks.lock(p.session.db, ks.shard_of(key.as_bytes()));
    shard.map.insert(key.as_bytes(), Entry::new(value));
}

/// A string key on both sides (for WRONGTYPE cases).
fn seed_string(p: &mut Pair, key: &str) {
    seed(p, key, &["SET", key, "v"], Value::Str(b"v".to_vec()));
}

/// A plain set on both sides (ZUNION and friends accept sets).
fn seed_set(p: &mut Pair, key: &str, members: &[&str]) {
    let mut cmd = vec!["SADD", key];
    cmd.extend_from_slice(members);
    let members: Vec<&[u8]> = members.iter().map(|m| m.as_bytes()).collect();
    let set = SetValue::build(&members, 512);
    seed(p, key, &cmd, Value::Set(Box::new(set)));
}

/// A member longer than zset-max-listpack-value (64): forces a skiplist.
fn long_member(tag: &str) -> String {
    format!("{tag}{}", "x".repeat(70))
}

#[test]
fn zadd_options_and_errors() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD z 1 a 2 b 3 c",
                "ZADD z 1 a",
                "ZADD z CH 5 a 2 b 9 d",
                "ZADD z NX 10 a 11 e",
                "ZADD z XX 12 a 13 f",
                "ZADD z XX CH 12 a 14 b",
                "ZADD z GT CH 1 a 20 b",
                "ZADD z LT CH 1 a 30 b",
                "ZADD z XX GT 100 c",
                "ZADD z XX LT 100 c",
                "ZADD z GT 50 newmember",
                "ZADD z LT 50 newmember2",
                "ZADD z INCR 5 a",
                "ZADD z INCR 5 brandnew",
                "ZADD z NX INCR 5 a",
                "ZADD z XX INCR 5 nosuch",
                "ZADD z GT INCR -5 a",
                "ZADD z LT INCR -5 a",
                "ZADD z gt incr 5 a",
                "ZADD z incr nx 1 a",
                "ZADD z nx xx 1 a",
                "ZADD z gt lt 1 a",
                "ZADD z gt nx 1 a",
                "ZADD z lt nx 1 a",
                "ZADD z incr 1 a 2 b",
                "ZADD z 1 a 2",
                "ZADD z nx",
                "ZADD z",
                "ZADD z xx ch",
                "ZADD z abc a",
                "ZADD z 1 a nan b",
                "ZADD z 1 a 1e400 b",
                "ZADD z 0x10 hex inf pinf -inf minf +inf plus",
                "ZADD z 1.5e3 sci -0.0 negzero",
                "ZADD z INCR inf pinf",
                "ZADD z INCR -inf pinf",
                "ZADD z INCR 1 pinf",
                "ZRANGE z 0 -1 WITHSCORES",
                "ZADD missing XX 1 a",
                "ZADD missing XX INCR 1 a",
                "EXISTS missing",
                "ZADD z 1 nx",
                "ZADD z CH CH NX NX 7 seven",
                "ZRANGE z 0 -1 WITHSCORES",
                "ZINCRBY z 2.5 a",
                "ZINCRBY z -2.5 fresh",
                "ZINCRBY z abc a",
                "ZINCRBY z nx a",
                "ZINCRBY z 1 a b",
                "ZINCRBY z inf pinf",
                "ZINCRBY z -inf pinf",
                "ZINCRBY z -inf minf",
                "ZRANGE z 0 -1 WITHSCORES",
            ],
        );
        p.check(&["ZADD", "z", " 1", "spaced"]);
        p.check(&["ZADD", "z", "1 ", "spaced"]);
        p.check(&["ZADD", "z", "", "empty"]);
        p.check(&["ZADD", "z", "1", ""]);
        seed_string(p, "str");
        run(
            p,
            &[
                "ZADD str 1 a",
                "ZINCRBY str 1 a",
                "ZADD str abc a",
                "ZADD str xx nx 1 a",
            ],
        );
        p.check(&["DEL", "str"]);
        p.check_same_data();
    });
}

#[test]
fn negative_zero_follows_the_encoding() {
    both_protocols(|p| {
        let long = long_member("l");
        run(
            p,
            &[
                "ZADD small -0 a",
                "ZSCORE small a",
                "ZADD small INCR -0 b",
                "ZSCORE small b",
                "ZADD small 0 a",
                "ZSCORE small a",
                "ZINCRBY small -0 a",
            ],
        );
        p.check(&["ZADD", "big", "1", &long]);
        run(
            p,
            &[
                "ZADD big -0 a",
                "ZSCORE big a",
                "ZADD big CH 0 a",
                "ZSCORE big a",
                "ZRANGE big 0 -1 WITHSCORES",
                "ZUNION 1 big WITHSCORES",
                "ZUNIONSTORE dst 1 big WEIGHTS 1",
                "ZRANGE dst 0 -1 WITHSCORES",
                "ZUNIONSTORE dst2 1 small WEIGHTS -1",
                "ZRANGE dst2 0 -1 WITHSCORES",
                "ZUNION 1 small WEIGHTS -1 WITHSCORES",
                "ZRANGESTORE dst3 big 0 -1",
                "ZRANGE dst3 0 -1 WITHSCORES",
            ],
        );
    });
}

#[test]
fn point_reads() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD z 1 a 2 b 2 c 3 d -inf e inf f",
                "ZCARD z",
                "ZCARD nosuch",
                "ZSCORE z a",
                "ZSCORE z nosuch",
                "ZSCORE nosuch a",
                "ZSCORE z e",
                "ZSCORE z f",
                "ZMSCORE z a nosuch f",
                "ZMSCORE nosuch a b",
                "ZRANK z a",
                "ZRANK z c",
                "ZRANK z f",
                "ZRANK z nosuch",
                "ZRANK nosuch a",
                "ZREVRANK z a",
                "ZREVRANK z f",
                "ZREVRANK z nosuch",
                "ZCOUNT z -inf +inf",
                "ZCOUNT z 2 2",
                "ZCOUNT z (2 3",
                "ZCOUNT z (1 (3",
                "ZCOUNT z 3 1",
                "ZCOUNT z (2 2",
                "ZCOUNT z abc 1",
                "ZCOUNT z 1 nan",
                "ZCOUNT z ( (",
                "ZCOUNT z 1e400 inf",
                "ZCOUNT z -1e400 1",
                "ZCOUNT z 0x1 0x2",
                "ZCOUNT nosuch 0 1",
                "ZCOUNT nosuch a b",
            ],
        );
        p.check(&["ZCOUNT", "z", "", "(1"]);
        p.check(&["ZCOUNT", "z", " 1", "2"]);
        p.check(&["ZCOUNT", "z", "1\u{0}junk", "2"]);
        p.check(&["ZCOUNT", "z", "1 ", "2"]);
        run(
            p,
            &[
                "ZADD lex 0 a 0 b 0 c 0 d 0 e 0 aa 0 ab",
                "ZLEXCOUNT lex - +",
                "ZLEXCOUNT lex + -",
                "ZLEXCOUNT lex - -",
                "ZLEXCOUNT lex + +",
                "ZLEXCOUNT lex [a [c",
                "ZLEXCOUNT lex (a (c",
                "ZLEXCOUNT lex [aa (b",
                "ZLEXCOUNT lex [c [a",
                "ZLEXCOUNT lex (a [a",
                "ZLEXCOUNT lex [a [a",
                "ZLEXCOUNT lex a c",
                "ZLEXCOUNT lex [a c",
                "ZLEXCOUNT lex -a +",
                "ZLEXCOUNT nosuch [a [b",
                "ZLEXCOUNT nosuch a b",
                "ZLEXCOUNT z - +",
                "ZLEXCOUNT z [a [c",
            ],
        );
        p.check(&["ZLEXCOUNT", "lex", "", "+"]);
        p.check(&["ZLEXCOUNT", "lex", "[", "+"]);
        p.check(&["ZLEXCOUNT", "lex", "(", "+"]);
        seed_string(p, "str");
        run(
            p,
            &[
                "ZCARD str",
                "ZSCORE str a",
                "ZMSCORE str a",
                "ZRANK str a",
                "ZREVRANK str a",
                "ZCOUNT str 0 1",
                "ZCOUNT str a 1",
                "ZLEXCOUNT str - +",
                "ZLEXCOUNT str a +",
            ],
        );
    });
}

/// Every ZRANGE form on `key`, with options in several orders and cases.
fn range_lines(key: &str) -> Vec<String> {
    let forms = [
        "0 -1",
        "0 -1 WITHSCORES",
        "1 2 withscores",
        "-2 -1",
        "-100 100",
        "5 1",
        "3 3",
        "100 200",
        "0 -1 REV",
        "0 1 rev withscores",
        "0 -1 REV REV",
        "0 -1 LIMIT 0 1",
        "0 -1 LIMIT 0 -1",
        "0 -1 LIMIT 1 -1",
        "a b",
        "0 b",
        "0",
        "0 -1 WITHSCORES WITHSCORES",
        "0 -1 BYSCORE",
        "-inf +inf BYSCORE",
        "-inf +inf BYSCORE WITHSCORES",
        "(1 3 BYSCORE",
        "1 (3 byscore withscores",
        "+inf -inf BYSCORE REV",
        "3 1 BYSCORE REV WITHSCORES",
        "(3 (1 REV BYSCORE",
        "-inf +inf BYSCORE LIMIT 1 2",
        "-inf +inf BYSCORE LIMIT 1 -1",
        "-inf +inf BYSCORE LIMIT -1 2",
        "-inf +inf BYSCORE LIMIT 0 0",
        "-inf +inf BYSCORE LIMIT 100 1",
        "-inf +inf BYSCORE REV LIMIT 1 2 WITHSCORES",
        "-inf +inf BYSCORE LIMIT 0 1 LIMIT 2 1",
        "-inf +inf BYSCORE LIMIT a 1",
        "-inf +inf BYSCORE LIMIT 1 a",
        "-inf +inf BYSCORE LIMIT 1",
        "-inf +inf BYSCORE BYSCORE",
        "-inf +inf BYSCORE BYLEX",
        "a b BYSCORE",
        "1 nan BYSCORE",
        "- + BYLEX",
        "[a [c BYLEX",
        "(a (c BYLEX",
        "+ - BYLEX REV",
        "[c [a BYLEX REV",
        "- + BYLEX LIMIT 1 2",
        "- + BYLEX REV LIMIT 1 2",
        "- + BYLEX LIMIT -1 2",
        "- + BYLEX WITHSCORES",
        "a c BYLEX",
        "- + BYLEX BYLEX",
        "0 -1 FOO",
        "0 -1 LIMIT",
    ];
    forms.iter().map(|f| format!("ZRANGE {key} {f}")).collect()
}

#[test]
fn zrange_forms() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD z 1 a 2 b 2 c 3 d 4 e 5 f",
                "ZADD lex 0 a 0 b 0 c 0 d 0 e 0 aa",
            ],
        );
        seed_string(p, "str");
        for key in ["z", "lex", "nosuch", "str"] {
            for line in range_lines(key) {
                run(p, &[&line]);
            }
        }
        run(
            p,
            &[
                "ZREVRANGE z 0 -1",
                "ZREVRANGE z 0 1 WITHSCORES",
                "ZREVRANGE z -2 -1 withscores",
                "ZREVRANGE z 0 -1 REV",
                "ZREVRANGE z 0 -1 BYSCORE",
                "ZREVRANGE z 0 -1 LIMIT 0 1",
                "ZREVRANGE z 0 -1 LIMIT 0 -1",
                "ZREVRANGE nosuch 0 -1",
                "ZREVRANGE str 0 -1",
                "ZRANGEBYSCORE z -inf +inf",
                "ZRANGEBYSCORE z 2 4 WITHSCORES",
                "ZRANGEBYSCORE z (2 4 LIMIT 0 2",
                "ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 1 2",
                "ZRANGEBYSCORE z -inf +inf LIMIT 1 2 WITHSCORES",
                "ZRANGEBYSCORE z -inf +inf BYSCORE",
                "ZRANGEBYSCORE z -inf +inf REV",
                "ZRANGEBYSCORE z 4 2",
                "ZRANGEBYSCORE z a 2",
                "ZRANGEBYSCORE nosuch 0 1",
                "ZRANGEBYSCORE str 0 1",
                "ZREVRANGEBYSCORE z +inf -inf",
                "ZREVRANGEBYSCORE z 4 2 WITHSCORES",
                "ZREVRANGEBYSCORE z (4 (2",
                "ZREVRANGEBYSCORE z +inf -inf LIMIT 1 3 WITHSCORES",
                "ZREVRANGEBYSCORE z 2 4",
                "ZRANGEBYLEX lex - +",
                "ZRANGEBYLEX lex [a (c",
                "ZRANGEBYLEX lex - + LIMIT 2 3",
                "ZRANGEBYLEX lex - + WITHSCORES",
                "ZRANGEBYLEX lex - + BYLEX",
                "ZRANGEBYLEX lex a +",
                "ZRANGEBYLEX nosuch - +",
                "ZRANGEBYLEX str - +",
                "ZREVRANGEBYLEX lex + -",
                "ZREVRANGEBYLEX lex (c [a",
                "ZREVRANGEBYLEX lex + - LIMIT 1 2",
                "ZREVRANGEBYLEX lex - +",
                "ZRANGEBYLEX z - +",
                "ZRANGEBYLEX z [b [d",
                "ZRANGEBYLEX z (b [e",
                "ZREVRANGEBYLEX z [e (b",
                "ZRANGE z [b [e BYLEX",
            ],
        );
        p.check(&["DEL", "str"]);
        p.check_same_data();
    });
}

#[test]
fn zrangestore_and_store_encodings() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD src 1 a 2 b 3 c 4 d 1e17 e",
                "ZRANGESTORE dst src 0 -1",
                "ZRANGE dst 0 -1 WITHSCORES",
                "ZSCAN dst 0",
                "ZRANGESTORE dst src 1 2 REV",
                "ZRANGE dst 0 -1 WITHSCORES",
                "ZRANGESTORE dst src (1 +inf BYSCORE LIMIT 1 2",
                "ZRANGESTORE dst src +inf -inf BYSCORE REV",
                "ZRANGESTORE dst src [b [d BYLEX",
                "ZRANGESTORE dst src + - BYLEX REV LIMIT 0 2",
                "ZRANGESTORE dst src 0 -1 WITHSCORES",
                "ZRANGESTORE dst src 0 -1 LIMIT 0 1",
                "ZRANGESTORE dst src a b",
                "ZRANGESTORE dst src 5 10",
                "EXISTS dst",
                "ZRANGESTORE dst src 0 0",
                "ZRANGESTORE dst nosuch 0 -1",
                "EXISTS dst",
                "ZRANGESTORE src src 1 -1",
                "ZRANGE src 0 -1 WITHSCORES",
            ],
        );
        seed_string(p, "str");
        run(
            p,
            &[
                "ZRANGESTORE dst str 0 -1",
                "ZRANGESTORE str src 0 -1",
                "TYPE str",
            ],
        );
        // A long member makes the destination a skiplist: ZSCAN shows it
        // (1e17 prints as 1e+17 from a skiplist, in full from a listpack).
        let long = long_member("m");
        p.check(&["ZADD", "srcbig", "1e17", &long, "2", "b", "1e17", "c"]);
        run(
            p,
            &["ZRANGESTORE dst srcbig 0 -1", "ZRANGESTORE dst2 srcbig 0 1"],
        );
        p.check_unordered(&["ZSCAN", "dst", "0", "COUNT", "1000"]);
        p.check(&["ZSCAN", "dst2", "0"]);
        // More than 128 members: a skiplist from the start.
        let mut many = vec!["ZADD".to_string(), "many".to_string()];
        for i in 0..200 {
            many.push(if i % 2 == 0 {
                "1e17".into()
            } else {
                i.to_string()
            });
            many.push(format!("m{i}"));
        }
        p.check(&many);
        run(
            p,
            &[
                "ZRANGESTORE d1 many 0 127",
                "ZRANGESTORE d2 many 0 128",
                "ZRANGESTORE d3 many -inf +inf BYSCORE LIMIT 0 128",
            ],
        );
        for k in ["d1", "d2", "d3", "many"] {
            p.check_unordered(&["ZSCAN", k, "0", "COUNT", "1000"]);
        }
        // The set algebra's destinations: a listpack whenever the result
        // fits, whatever the inputs were (-0 becomes 0 there).
        run(
            p,
            &[
                "ZADD zero 0 a 0 b 1e17 c",
                "ZUNIONSTORE u1 1 srcbig",
                "ZINTERSTORE u2 2 srcbig src",
                "ZDIFFSTORE u3 2 srcbig nosuch",
                "ZUNIONSTORE u4 1 many",
                "ZINTERSTORE u5 2 many many WEIGHTS 1 0",
                "ZDIFFSTORE u6 2 many d1",
                "ZUNIONSTORE u7 2 zero srcbig WEIGHTS -1 1",
                "ZUNIONSTORE u8 1 zero WEIGHTS -1",
                "ZSCORE u7 a",
                "ZSCORE u8 a",
            ],
        );
        for k in ["srcbig", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"] {
            p.check_unordered(&["ZSCAN", k, "0", "COUNT", "1000"]);
        }
        p.check(&["DEL", "str"]);
        p.check_same_data();
    });
}

#[test]
fn extreme_numbers() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD z 1 a 2 b 3 c",
                "ZRANGE z -9223372036854775808 9223372036854775807",
                "ZRANGE z 9223372036854775807 -9223372036854775808",
                "ZRANGE z 0 9223372036854775808",
                "ZREVRANGE z -9223372036854775808 9223372036854775807 WITHSCORES",
                "ZRANGE z -inf +inf BYSCORE LIMIT 9223372036854775807 1",
                "ZRANGE z -inf +inf BYSCORE LIMIT -9223372036854775808 -9223372036854775808",
                "ZRANGE z -inf +inf BYSCORE LIMIT 1 9223372036854775807",
                "ZRANGE z - + BYLEX LIMIT 9223372036854775807 -1",
                "ZRANGE z 1e308 1e309 BYSCORE",
                "ZCOUNT z -1e309 1e309",
                "ZCOUNT z 4.9e-324 1",
                "ZADD z 1e308 big 4.9e-324 tiny -1.7976931348623157e308 low",
                "ZINCRBY z 1e308 big",
                "ZADD z INCR 1e308 big",
                "ZRANGE z 0 -1 WITHSCORES",
                "ZUNION 2 z z WITHSCORES",
                "ZUNION 2 z z WEIGHTS 1e308 1e308 WITHSCORES",
                "ZPOPMIN z 9223372036854775807",
                "ZADD z 1 a",
                "ZPOPMAX z 9223372036854775807",
                "ZADD z 1 a",
                "ZREMRANGEBYRANK z -9223372036854775808 9223372036854775807",
                "ZINTERCARD 1 nosuch LIMIT 9223372036854775807",
                "ZINTERCARD 9223372036854775807 nosuch",
                "ZUNION 9223372036854775807 nosuch",
                "ZUNIONSTORE d 9223372036854775807 nosuch",
                "ZMPOP 9223372036854775807 nosuch MIN",
            ],
        );
    });
}

#[test]
fn removals() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g",
                "ZREM z a nosuch",
                "ZREM z a",
                "ZREM nosuch a",
                "ZREMRANGEBYRANK z 0 0",
                "ZREMRANGEBYRANK z -1 -1",
                "ZREMRANGEBYRANK z 10 20",
                "ZREMRANGEBYRANK z 2 1",
                "ZREMRANGEBYRANK z a 1",
                "ZREMRANGEBYRANK nosuch 0 -1",
                "ZRANGE z 0 -1",
                "ZREMRANGEBYSCORE z (3 4",
                "ZREMRANGEBYSCORE z 10 1",
                "ZREMRANGEBYSCORE z a 1",
                "ZREMRANGEBYSCORE nosuch 0 1",
                "ZRANGE z 0 -1",
                "ZADD lex 0 a 0 b 0 c 0 d 0 e",
                "ZREMRANGEBYLEX lex [b (d",
                "ZREMRANGEBYLEX lex + -",
                "ZREMRANGEBYLEX lex a b",
                "ZREMRANGEBYLEX nosuch - +",
                "ZRANGE lex 0 -1",
                "ZREMRANGEBYLEX lex - +",
                "EXISTS lex",
                "ZREM z c e f b",
                "EXISTS z",
                "ZADD z 1 a 2 b",
                "ZREMRANGEBYRANK z -100 100",
                "EXISTS z",
                "ZADD z 1 a 2 b",
                "ZREMRANGEBYSCORE z -inf +inf",
                "EXISTS z",
                "ZADD mixed 3 a 1 b 2 c 0 d",
                "ZREMRANGEBYLEX mixed [b [c",
                "ZRANGE mixed 0 -1 WITHSCORES",
                "ZREMRANGEBYLEX mixed - (c",
                "ZRANGE mixed 0 -1 WITHSCORES",
            ],
        );
        seed_string(p, "str");
        run(
            p,
            &[
                "ZREM str a",
                "ZREMRANGEBYRANK str 0 1",
                "ZREMRANGEBYSCORE str 0 1",
                "ZREMRANGEBYLEX str - +",
                "ZREMRANGEBYRANK str a 1",
            ],
        );
        p.check(&["DEL", "str"]);
        p.check_same_data();
    });
}

#[test]
fn pops() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f",
                "ZPOPMIN z",
                "ZPOPMAX z",
                "ZPOPMIN z 2",
                "ZPOPMAX z 1",
                "ZPOPMIN z 0",
                "ZPOPMIN z -1",
                "ZPOPMIN z abc",
                "ZPOPMIN z 1 2",
                "ZPOPMIN nosuch",
                "ZPOPMIN nosuch 3",
                "ZPOPMIN nosuch abc",
                "ZPOPMAX z 100",
                "EXISTS z",
                "ZPOPMAX z",
                "ZADD a 1 x 2 y",
                "ZADD b 3 u 4 v 5 w",
                "ZMPOP 1 a MIN",
                "ZMPOP 2 nosuch b MAX COUNT 2",
                "ZMPOP 2 nosuch a min count 10",
                "EXISTS a",
                "ZMPOP 2 nosuch a MIN",
                "ZMPOP 1 b MAX COUNT 1 COUNT 1",
                "ZMPOP 1 b LEFT",
                "ZMPOP 1 b",
                "ZMPOP 3 b MIN",
                "ZMPOP 0 b MIN",
                "ZMPOP -1 b MIN",
                "ZMPOP abc b MIN",
                "ZMPOP 1 b MIN COUNT 0",
                "ZMPOP 1 b MIN COUNT -1",
                "ZMPOP 1 b MIN COUNT abc",
                "ZMPOP 1 b MIN COUNT",
                "ZMPOP 1 b MIN FOO",
                "ZMPOP 9223372036854775806 b MIN",
                "ZMPOP 1 b MAX COUNT 9223372036854775807",
            ],
        );
        seed_string(p, "str");
        run(
            p,
            &[
                "ZPOPMIN str",
                "ZPOPMAX str 0",
                "ZMPOP 2 str b MIN",
                "ZADD b 1 x",
                "ZMPOP 2 b str MIN",
                "ZMPOP 2 nosuch str MIN",
            ],
        );
        p.check(&["DEL", "str"]);
        p.check_same_data();
    });
}

/// Checks a ZRANDMEMBER reply by its properties: same error or reply kind
/// as Redis, the expected count, members (and scores) from the set, and
/// distinct members for a non-negative count.
fn check_randmember(p: &mut Pair, key: &str, count: Option<i64>, withscores: bool) -> Reply {
    let mut argv = vec!["ZRANDMEMBER".to_string(), key.to_string()];
    argv.extend(count.map(|c| c.to_string()));
    if withscores {
        argv.push("WITHSCORES".into());
    }
    let (theirs, ours) = p.check_shape(&argv);
    let pairs = match (&theirs, &ours) {
        (Reply::Array(t), Reply::Array(o)) => {
            assert_eq!(t.len(), o.len(), "length for {argv:?}");
            flatten_pairs(o, withscores)
        }
        (_, Reply::Bulk(m)) => vec![(m.clone(), None)],
        _ => return ours,
    };
    for (m, score) in &pairs {
        let real = p.redis.call(&[b"ZSCORE".as_slice(), key.as_bytes(), m]);
        assert!(!matches!(real, Reply::Nil), "{m:?} is not in {key}");
        if let Some(s) = score {
            assert_eq!(&real, s, "score of {m:?}");
        }
    }
    if count.is_some_and(|c| c >= 0) {
        let mut members: Vec<_> = pairs.iter().map(|(m, _)| m.clone()).collect();
        members.sort();
        members.dedup();
        assert_eq!(members.len(), pairs.len(), "distinct members for {argv:?}");
    }
    ours
}

/// (member, score) pairs of a WITHSCORES reply, flat (RESP2) or nested.
fn flatten_pairs(items: &[Reply], withscores: bool) -> Vec<(Vec<u8>, Option<Reply>)> {
    let mut out = Vec::new();
    let mut it = items.iter();
    while let Some(r) = it.next() {
        match r {
            Reply::Array(pair) => out.push((harness::bulk(&pair[0]), Some(pair[1].clone()))),
            m if withscores => out.push((harness::bulk(m), it.next().cloned())),
            m => out.push((harness::bulk(m), None)),
        }
    }
    out
}

#[test]
fn zrandmember_by_properties() {
    for resp3 in [false, true] {
        let mut p = if resp3 { Pair::resp3() } else { Pair::new() };
        let long = long_member("r");
        p.check(&["ZADD", "big", "1", &long]);
        run(
            &mut p,
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j",
                "ZADD big 2 a 3 b 4 c 5 d",
            ],
        );
        for key in ["z", "big", "nosuch"] {
            check_randmember(&mut p, key, None, false);
            for count in [0, 1, 2, 3, 5, 9, 10, 11, 100, -1, -5, -30] {
                check_randmember(&mut p, key, Some(count), false);
                check_randmember(&mut p, key, Some(count), true);
            }
        }
        // Deterministic when the count covers the set (Redis walks it backwards).
        run(
            &mut p,
            &[
                "ZRANDMEMBER z 10",
                "ZRANDMEMBER z 100 WITHSCORES",
                "ZRANDMEMBER big 5 WITHSCORES",
            ],
        );
        seed_string(&mut p, "str");
        run(
            &mut p,
            &[
                "ZRANDMEMBER str",
                "ZRANDMEMBER str 1",
                "ZRANDMEMBER z abc",
                "ZRANDMEMBER z 1 WITHSCORES x",
                "ZRANDMEMBER z 1 x",
                "ZRANDMEMBER z -9223372036854775808",
                "ZRANDMEMBER nosuch -9223372036854775808",
                "ZRANDMEMBER z 9223372036854775807",
                "ZRANDMEMBER nosuch -9223372036854775807",
                "ZRANDMEMBER z 0 WITHSCORES",
            ],
        );
        // Never a huge allocation: a huge negative count is refused here.
        let huge = p.engine.execute(
            &mut p.session,
            &["ZRANDMEMBER", "z", "-9223372036854775807"],
        );
        assert!(huge.is_error(), "{huge:?}");
    }
}

#[test]
fn set_algebra() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD a 1 x 2 y 3 z",
                "ZADD b 10 y 20 z 30 w",
                "ZADD c 100 z 200 v",
                "ZADD infs inf x -inf y inf z",
            ],
        );
        seed_set(p, "s", &["x", "w", "q"]);
        seed_set(p, "ints", &["1", "2", "3"]);
        seed_string(p, "str");
        let mut lines = Vec::new();
        for cmd in ["ZUNION", "ZINTER"] {
            for tail in [
                "2 a b",
                "2 a b WITHSCORES",
                "3 a b c withscores",
                "2 a b WEIGHTS 2 3 WITHSCORES",
                "2 a b WEIGHTS 1 -1 WITHSCORES",
                "2 a b AGGREGATE MIN WITHSCORES",
                "2 a b AGGREGATE max WITHSCORES",
                "2 a b aggregate sum weights 0.5 0.25 withscores",
                "2 a s WITHSCORES",
                "2 s a WEIGHTS 3 1 WITHSCORES",
                "2 a ints WITHSCORES",
                "2 a nosuch WITHSCORES",
                "1 nosuch WITHSCORES",
                "2 a a WITHSCORES",
                "2 a infs WITHSCORES",
                "2 infs infs WEIGHTS 1 -1 WITHSCORES",
                "2 infs a WEIGHTS 0 1 WITHSCORES",
                "2 infs a WEIGHTS 0 1 AGGREGATE MIN WITHSCORES",
                "2 a infs WEIGHTS 1 0 AGGREGATE MIN WITHSCORES",
                "2 a infs WEIGHTS 1 0 AGGREGATE MAX WITHSCORES",
                "2 a b WEIGHTS 1",
                "2 a b WEIGHTS 1 x",
                "2 a b WEIGHTS 1 nan",
                "2 a b WEIGHTS 1 2 WEIGHTS 1 2",
                "2 a b AGGREGATE",
                "2 a b AGGREGATE avg",
                "2 a b AGGREGATE mul",
                "2 a b AGGREGATE min AGGREGATE max",
                "2 a b WITHSCORES WITHSCORES",
                "2 a b LIMIT 1",
                "2 a b FOO",
                "2 a str",
                "2 str a FOO",
                "2 a",
                "0 a",
                "-1 a",
                "abc a",
            ] {
                lines.push(format!("{cmd} {tail}"));
            }
        }
        for tail in [
            "2 a b",
            "2 a b WITHSCORES",
            "3 a b c WITHSCORES",
            "2 a s WITHSCORES",
            "2 s a WITHSCORES",
            "2 a a",
            "2 nosuch a",
            "2 a nosuch WITHSCORES",
            "2 a b WEIGHTS 1 2",
            "2 a b AGGREGATE MIN",
            "2 a str",
            "0 a",
            "2 a",
        ] {
            lines.push(format!("ZDIFF {tail}"));
        }
        for cmd in ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"] {
            for tail in [
                "dst 2 a b",
                "dst 3 a b c",
                "dst 2 a s",
                "dst 2 nosuch nosuch2",
                "dst 1 a",
                "dst 2 a b WITHSCORES",
                "dst 2 a b WEIGHTS 2 2",
                "dst 2 a b AGGREGATE MAX",
                "dst 2 a str",
                "dst 0 a",
                "dst 3 a b",
                "a 2 a b",
            ] {
                lines.push(format!("{cmd} {tail}"));
                lines.push("ZRANGE dst 0 -1 WITHSCORES".into());
                lines.push("ZRANGE a 0 -1 WITHSCORES".into());
            }
        }
        for tail in [
            "2 a b",
            "3 a b c",
            "2 a s",
            "2 a nosuch",
            "2 a a",
            "2 a a LIMIT 1",
            "2 a a LIMIT 0",
            "2 a a LIMIT 100",
            "2 a a LIMIT -1",
            "2 a a LIMIT abc",
            "2 a a LIMIT",
            "2 a a LIMIT 1 LIMIT 1",
            "2 a a WITHSCORES",
            "2 a a WEIGHTS 1 1",
            "2 a a AGGREGATE MIN",
            "2 a str",
            "0 a",
            "3 a a",
        ] {
            lines.push(format!("ZINTERCARD {tail}"));
        }
        for line in &lines {
            run(p, &[line]);
        }
        run(
            p,
            &[
                "ZINTERSTORE str 2 a b",
                "TYPE str",
                "ZDIFFSTORE s 1 a",
                "TYPE s",
            ],
        );
        p.check(&["DEL", "ints"]);
        p.check_same_data();
    });
}

/// Sums whose rounding depends on the order inputs are folded in.
#[test]
fn aggregation_order_matches() {
    let mut p = Pair::new();
    run(
        &mut p,
        &[
            "ZADD a 0.1 m 1 other",
            "ZADD b 0.2 m",
            "ZADD c 0.3 m 1 o2",
            "ZADD d 1e17 m",
            "ZADD e -1e17 m 5 x 6 y",
        ],
    );
    for keys in ["a b c", "c b a", "b a c", "d a e", "e d a", "a e d"] {
        let n = keys.split(' ').count();
        run(
            &mut p,
            &[
                &format!("ZUNION {n} {keys} WITHSCORES"),
                &format!("ZINTER {n} {keys} WITHSCORES"),
                &format!(
                    "ZINTER {n} {keys} WEIGHTS {} WITHSCORES",
                    vec!["0.3"; n].join(" ")
                ),
            ],
        );
    }
}

#[test]
fn zscan_both_encodings() {
    both_protocols(|p| {
        run(
            p,
            &[
                "ZADD z 1 a 2 b 0.1 c 1e17 d 1e19 e -inf f 1.5 g 4611686018427387904 h",
                "ZSCAN z 0",
                "ZSCAN z 0 MATCH *",
                "ZSCAN z 0 MATCH [a-c]",
                "ZSCAN z 0 COUNT 1",
                "ZSCAN z 7",
                "ZSCAN z 0 COUNT 0",
                "ZSCAN z 0 COUNT -1",
                "ZSCAN z 0 COUNT abc",
                "ZSCAN z 0 TYPE zset",
                "ZSCAN z 0 MATCH",
                "ZSCAN z abc",
                "ZSCAN z -1",
                "ZSCAN z 18446744073709551616",
                "ZSCAN nosuch 0",
                "ZSCAN nosuch 0 COUNT 0",
                "ZSCAN nosuch abc",
            ],
        );
        seed_string(p, "str");
        run(p, &["ZSCAN str 0", "ZSCAN str abc"]);
        let long = long_member("s");
        p.check(&["ZADD", "z", "3", &long]);
        p.check_unordered(&["ZSCAN", "z", "0", "COUNT", "1000"]);
        p.check_unordered(&["ZSCAN", "z", "0", "COUNT", "1000", "MATCH", "[a-c]"]);
        // A big set walked with the default COUNT: the cursors differ from
        // Redis's (different hashing), the members seen must not.
        let mut many = vec!["ZADD".to_string(), "many".to_string()];
        for i in 0..300 {
            many.extend([i.to_string(), format!("m{i}")]);
        }
        p.check(&many);
        assert_eq!(full_scan(p, true, "many"), full_scan(p, false, "many"));
        p.check(&["DEL", "str"]);
    });
}

/// Every (member, score) a ZSCAN iteration returns, on one side.
fn full_scan(p: &mut Pair, redis: bool, key: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let argv = ["ZSCAN", key, &cursor];
        let reply = if redis {
            p.redis.call(&argv)
        } else {
            p.engine.execute(&mut p.session, &argv)
        };
        let Reply::Array(parts) = reply else {
            panic!("ZSCAN: {reply:?}")
        };
        cursor = String::from_utf8(harness::bulk(&parts[0])).unwrap();
        let Reply::Array(items) = &parts[1] else {
            panic!("ZSCAN items")
        };
        for pair in items.chunks(2) {
            seen.push((harness::bulk(&pair[0]), harness::bulk(&pair[1])));
        }
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    seen
}

#[test]
fn arity_and_unknown_options() {
    let mut p = Pair::new();
    for line in [
        "ZADD z 1",
        "ZINCRBY z 1",
        "ZINCRBY z 1 a b",
        "ZREM z",
        "ZCARD",
        "ZCARD z z",
        "ZCOUNT z 1",
        "ZLEXCOUNT z -",
        "ZSCORE z",
        "ZMSCORE z",
        "ZRANK z",
        "ZRANK z a b",
        "ZREVRANK z",
        "ZRANGE z 0",
        "ZRANGESTORE d z 0",
        "ZREVRANGE z 0",
        "ZRANGEBYSCORE z 0",
        "ZREVRANGEBYSCORE z 0",
        "ZRANGEBYLEX z -",
        "ZREVRANGEBYLEX z +",
        "ZREMRANGEBYRANK z 0",
        "ZREMRANGEBYSCORE z 0 1 2",
        "ZREMRANGEBYLEX z -",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZRANDMEMBER",
        "ZUNION 1",
        "ZINTER 1",
        "ZDIFF 1",
        "ZUNIONSTORE d 1",
        "ZINTERSTORE d 1",
        "ZDIFFSTORE d 1",
        "ZINTERCARD 1",
        "ZMPOP 1 z",
        "ZSCAN z",
        "zadd",
    ] {
        run(&mut p, &[line]);
    }
}

#[test]
fn big_sets_behave_like_skiplists() {
    both_protocols(|p| {
        let mut add = vec!["ZADD".to_string(), "big".to_string()];
        for i in 0..300 {
            add.extend([(i % 37).to_string(), format!("m{:03}", (i * 7) % 300)]);
        }
        p.check(&add);
        run(
            p,
            &[
                "ZCARD big",
                "ZRANGE big 0 -1 WITHSCORES",
                "ZRANGE big 100 120",
                "ZRANGE big -50 -40 REV WITHSCORES",
                "ZRANGE big (5 10 BYSCORE LIMIT 3 10 WITHSCORES",
                "ZRANGE big 30 (10 BYSCORE REV LIMIT 2 5",
                "ZCOUNT big 5 (20",
                "ZRANK big m123",
                "ZREVRANK big m123",
                "ZADD big 1000 m123 -5 m000",
                "ZRANK big m123",
                "ZREMRANGEBYRANK big 10 20",
                "ZREMRANGEBYSCORE big (3 5",
                "ZCARD big",
                "ZPOPMIN big 3",
                "ZPOPMAX big 3",
                "ZUNIONSTORE u 2 big big WEIGHTS 1 2",
                "ZRANGE u 0 10 WITHSCORES",
                "ZINTERSTORE i 2 big u AGGREGATE MIN",
                "ZRANGE i -5 -1 WITHSCORES",
                "ZDIFFSTORE d 2 big i",
                "EXISTS d",
            ],
        );
        // Lex on a big set with one score (the documented use).
        let mut lex = vec!["ZADD".to_string(), "lexbig".to_string()];
        for i in 0..200 {
            lex.extend(["0".into(), format!("w{:03}", (i * 13) % 200)]);
        }
        p.check(&lex);
        run(
            p,
            &[
                "ZRANGEBYLEX lexbig [w050 (w060",
                "ZREVRANGEBYLEX lexbig (w060 [w050 LIMIT 2 3",
                "ZLEXCOUNT lexbig [w010 [w150",
                "ZLEXCOUNT lexbig - +",
                "ZREMRANGEBYLEX lexbig [w100 (w120",
                "ZLEXCOUNT lexbig - +",
                "ZRANGE lexbig [w095 [w125 BYLEX",
            ],
        );
        p.check_same_data();
    });
}

/// The kinds of keys the generator uses.
const ZKEYS: &[&str] = &["z1", "z2", "z3", "zbig"];

/// Picks an argument from a weighted menu.
fn pick<'a>(rng: &mut SmallRng, menu: &[&'a str]) -> &'a str {
    menu[rng.random_range(0..menu.len())]
}

fn member(rng: &mut SmallRng, long_ok: bool) -> String {
    if long_ok && rng.random_ratio(1, 30) {
        return long_member(pick(rng, &["p", "q"]));
    }
    pick(
        rng,
        &[
            "a", "b", "c", "d", "e", "f", "g", "h", "aa", "ab", "1", "10", "",
        ],
    )
    .to_string()
}

/// Menus of arguments: mostly valid values, a few bad ones.
const SCORES: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "-1", "1.5", "2.5", "0.1", "-0", "inf", "-inf", "+inf", "1e17",
    "0x10", "1", "2", "3", "abc", "nan",
];
const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "0", "1", "(1", "2", "(2", "3", "(-1", "1.5", "4", "(4", "-inf", "+inf", "(",
    "", "x",
];
const LEX_BOUNDS: &[&str] = &[
    "-", "+", "[a", "(a", "[b", "(c", "[d", "[aa", "(ab", "[", "[h", "-", "+", "[c", "(g", "a",
];
const RANKS: &[&str] = &[
    "0", "1", "2", "3", "4", "-1", "-2", "-100", "100", "0", "-1", "1", "x",
];
const KEYS: &[&str] = &[
    "z1", "z2", "z3", "zbig", "z1", "z2", "z3", "z1", "z2", "zbig", "nosuch", "str", "set",
];

fn score(rng: &mut SmallRng) -> String {
    pick(rng, SCORES).to_string()
}

fn score_bound(rng: &mut SmallRng) -> String {
    pick(rng, SCORE_BOUNDS).to_string()
}

fn lex_bound(rng: &mut SmallRng) -> String {
    pick(rng, LEX_BOUNDS).to_string()
}

fn rank(rng: &mut SmallRng) -> String {
    pick(rng, RANKS).to_string()
}

fn key(rng: &mut SmallRng) -> String {
    pick(rng, KEYS).to_string()
}

/// One random command, as argv, and whether it reads by lex.
fn random_command(rng: &mut SmallRng) -> (Vec<String>, bool) {
    let k = key(rng);
    let long_ok = k == "zbig";
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut lex = false;
    let argv = match rng.random_range(0..26) {
        0..=3 => {
            let mut v = s(&["ZADD", &k]);
            for opt in ["NX", "XX", "GT", "LT", "CH", "INCR"] {
                if rng.random_ratio(1, 8) {
                    v.push(opt.into());
                }
            }
            for _ in 0..rng.random_range(1..4) {
                v.extend([score(rng), member(rng, long_ok)]);
            }
            v
        }
        4 => s(&["ZINCRBY", &k, &score(rng), &member(rng, long_ok)]),
        5 => s(&["ZREM", &k, &member(rng, false), &member(rng, false)]),
        6 => s(&[
            pick(rng, &["ZCARD", "ZSCORE", "ZRANK", "ZREVRANK"]),
            &k,
            &member(rng, false),
        ])
        .into_iter()
        .take(if rng.random_bool(0.2) { 2 } else { 3 })
        .collect(),
        7 => s(&["ZMSCORE", &k, &member(rng, false), &member(rng, false)]),
        8 => s(&["ZCOUNT", &k, &score_bound(rng), &score_bound(rng)]),
        9 => {
            lex = true;
            s(&[
                pick(
                    rng,
                    &[
                        "ZLEXCOUNT",
                        "ZRANGEBYLEX",
                        "ZREVRANGEBYLEX",
                        "ZREMRANGEBYLEX",
                    ],
                ),
                &k,
                &lex_bound(rng),
                &lex_bound(rng),
            ])
        }
        10..=12 => {
            let mut v = s(&["ZRANGE", &k]);
            let by = pick(rng, &["", "", "BYSCORE", "BYLEX"]);
            lex = by == "BYLEX";
            match by {
                "BYSCORE" => v.extend([score_bound(rng), score_bound(rng)]),
                "BYLEX" => v.extend([lex_bound(rng), lex_bound(rng)]),
                _ => v.extend([rank(rng), rank(rng)]),
            }
            let mut opts = s(&["REV", "WITHSCORES"]);
            opts.retain(|o| rng.random_bool(if o == "WITHSCORES" && lex { 0.1 } else { 0.5 }));
            opts.extend((!by.is_empty()).then(|| by.to_string()));
            let limit_odds = if by.is_empty() { 10 } else { 2 };
            if rng.random_ratio(1, limit_odds) {
                opts.extend(s(&["LIMIT", &rank(rng), &rank(rng)]));
            }
            if rng.random_bool(0.5) {
                opts.reverse();
            }
            v.extend(opts);
            v
        }
        13 => s(&[
            pick(rng, &["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
            &k,
            &score_bound(rng),
            &score_bound(rng),
            "WITHSCORES",
        ])
        .into_iter()
        .take(rng.random_range(4..6))
        .collect(),
        14 => s(&["ZREVRANGE", &k, &rank(rng), &rank(rng), "WITHSCORES"])
            .into_iter()
            .take(rng.random_range(4..6))
            .collect(),
        15 => {
            lex = true;
            let dst = pick(rng, ZKEYS);
            s(&[
                "ZRANGESTORE",
                dst,
                &k,
                &lex_bound(rng),
                &lex_bound(rng),
                "BYLEX",
            ])
        }
        16 => s(&["ZRANGESTORE", pick(rng, ZKEYS), &k, &rank(rng), &rank(rng)]),
        17 => s(&["ZREMRANGEBYRANK", &k, &rank(rng), &rank(rng)]),
        18 => s(&["ZREMRANGEBYSCORE", &k, &score_bound(rng), &score_bound(rng)]),
        19 => s(&[
            pick(rng, &["ZPOPMIN", "ZPOPMAX"]),
            &k,
            pick(rng, &["1", "2", "0", "-1", "5"]),
        ])
        .into_iter()
        .take(rng.random_range(2..4))
        .collect(),
        20 => s(&[
            "ZMPOP",
            "2",
            &k,
            &key(rng),
            pick(rng, &["MIN", "MAX"]),
            "COUNT",
            pick(rng, &["1", "3", "0"]),
        ])
        .into_iter()
        .take(if rng.random_bool(0.5) { 5 } else { 7 })
        .collect(),
        21..=22 => {
            let op = pick(
                rng,
                &[
                    "ZUNION",
                    "ZINTER",
                    "ZDIFF",
                    "ZUNIONSTORE",
                    "ZINTERSTORE",
                    "ZDIFFSTORE",
                ],
            );
            let mut v = s(&[op]);
            if op.ends_with("STORE") {
                v.push(pick(rng, ZKEYS).into());
            }
            v.extend(s(&["2", &k, &key(rng)]));
            if !op.starts_with("ZDIFF") {
                if rng.random_bool(0.3) {
                    v.extend(s(&[
                        "WEIGHTS",
                        pick(rng, &["1", "2", "-1", "0"]),
                        pick(rng, &["1", "0.5", "x"]),
                    ]));
                }
                if rng.random_bool(0.3) {
                    v.extend(s(&["AGGREGATE", pick(rng, &["SUM", "MIN", "MAX", "AVG"])]));
                }
            }
            if !op.ends_with("STORE") && rng.random_bool(0.5) {
                v.push("WITHSCORES".into());
            }
            v
        }
        23 => s(&[
            "ZINTERCARD",
            "2",
            &k,
            &key(rng),
            "LIMIT",
            pick(rng, &["0", "1", "-1"]),
        ])
        .into_iter()
        .take(if rng.random_bool(0.5) { 4 } else { 6 })
        .collect(),
        24 => s(&["ZSCAN", &k, "0", "COUNT", "1000"]),
        _ => s(&[
            "ZRANDMEMBER",
            &k,
            pick(rng, &["1", "-3", "0", "3", "100", "x"]),
            "WITHSCORES",
        ])
        .into_iter()
        .take(rng.random_range(2..5))
        .collect(),
    };
    (argv, lex)
}

/// Creates the wrong-type keys the generator refers to.
fn seed_other_types(p: &mut Pair) {
    seed_string(p, "str");
    seed_set(p, "set", &["a", "b", "x", "1"]);
}

#[test]
fn random_command_sequences() {
    let mut rng = harness::rng("zset random_command_sequences");
    for resp3 in [false, true] {
        let mut p = if resp3 { Pair::resp3() } else { Pair::new() };
        seed_other_types(&mut p);
        // Keys that may have become skiplists: lex ranges there depend on
        // the skiplist's random shape once scores differ (Redis documents
        // them as undefined), so only their shape is compared.
        let mut maybe_big: Vec<String> = vec!["zbig".into()];
        let mut kinds = std::collections::BTreeMap::new();
        for i in 0..3000 {
            if i % 300 == 299 {
                p.check(&["DEL", "z1", "z2", "z3", "zbig"]);
                maybe_big = vec!["zbig".into()];
                seed_other_types(&mut p);
            }
            let (argv, lex) = random_command(&mut rng);
            let name = argv[0].as_str();
            let touches_big = argv.iter().any(|a| maybe_big.contains(a));
            if lex && touches_big && matches!(name, "ZREMRANGEBYLEX" | "ZRANGESTORE") {
                continue; // would make the data diverge
            }
            let reply = if name == "ZRANDMEMBER" {
                let count = argv.get(2).and_then(|c| c.parse().ok());
                if argv.get(2).is_some() && count.is_none() {
                    p.check(&argv)
                } else {
                    check_randmember(&mut p, &argv[1], count, argv.len() == 4)
                }
            } else if name == "ZSCAN" {
                p.check_unordered(&argv)
            } else if lex && touches_big {
                p.check_shape(&argv).1
            } else {
                p.check(&argv)
            };
            *kinds.entry(kind_of(&reply)).or_insert(0) += 1;
            if touches_big && (name.ends_with("STORE")) {
                maybe_big.push(argv[1].clone());
            }
        }
        eprintln!("reply kinds: {kinds:?}");
        // The generator must mostly produce commands that do something.
        let errors = kinds.get("error").copied().unwrap_or(0);
        assert!(errors * 2 < kinds.values().sum::<usize>(), "{kinds:?}");
        assert!(kinds.get("array").copied().unwrap_or(0) > 300, "{kinds:?}");
        p.check(&["DEL", "str", "set"]);
        p.check_same_data();
    }
}

/// A coarse name for a reply's kind, with empty arrays told apart.
fn kind_of(r: &Reply) -> &'static str {
    match r {
        Reply::Error(_) => "error",
        Reply::Array(v) if v.is_empty() => "empty",
        Reply::Array(_) => "array",
        Reply::Int(0) => "zero",
        Reply::Int(_) => "int",
        Reply::Nil | Reply::NilArray => "nil",
        Reply::Double(_) | Reply::Bulk(_) => "value",
        _ => "other",
    }
}
