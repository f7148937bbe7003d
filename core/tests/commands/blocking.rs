//! The blocking list and sorted set commands against redis-server: their
//! argument and timeout errors, replies when something is there, timeouts,
//! the order waiters are served in, BLMOVE chains, MULTI, CLIENT UNBLOCK.

use crate::harness::{Pair, Twin};
use kvstore_core::Reply;
use std::time::{Duration, Instant};

#[test]
fn argument_and_timeout_errors() {
    let mut p = Pair::new();
    p.check(&["SET", "str", "v"]);
    for t in [
        "abc",
        "",
        " 1",
        "1 ",
        "nan",
        "-1",
        "inf",
        "-inf",
        "1e30",
        "9223372036854776",
    ] {
        for cmd in ["BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"] {
            p.check(&[cmd, "k", t]);
        }
        p.check(&["BLMOVE", "a", "b", "LEFT", "RIGHT", t]);
        p.check(&["BRPOPLPUSH", "a", "b", t]);
        p.check(&["BLMPOP", t, "1", "k", "LEFT"]);
        p.check(&["BZMPOP", t, "1", "k", "MAX"]);
    }
    for argv in [
        &["BLPOP", "k"][..],
        &["BLMOVE", "a", "b", "UP", "LEFT", "0"],
        &["BLMOVE", "a", "b", "LEFT", "DOWN", "abc"],
        &["BLMPOP", "abc", "0", "k", "LEFT"],
        &["BLMPOP", "abc", "1", "k", "MIDDLE"],
        &["BLMPOP", "0.01", "2", "k", "LEFT"],
        &["BLMPOP", "0.01", "1", "k", "LEFT", "COUNT", "0"],
        &[
            "BLMPOP", "0.01", "1", "k", "LEFT", "COUNT", "1", "COUNT", "2",
        ],
        &["BZMPOP", "abc", "0", "k", "MIN"],
        &["BZMPOP", "-1", "1", "k", "foo"],
        &["BZMPOP", "0.01", "1", "k", "MIN", "COUNT", "-1"],
        // A key of another type met first is WRONGTYPE, even when a later
        // key has something.
        &["BLPOP", "str", "0.01"],
        &["BZPOPMIN", "str", "0.01"],
        &["BLMOVE", "str", "b", "LEFT", "LEFT", "0.01"],
        &["BLMPOP", "0.01", "1", "str", "LEFT"],
        &["BZMPOP", "0.01", "1", "str", "MIN"],
    ] {
        p.check(argv);
    }
}

#[test]
fn ready_keys_are_served_at_once() {
    for resp3 in [false, true] {
        let mut p = if resp3 { Pair::resp3() } else { Pair::new() };
        p.check(&["RPUSH", "l1", "a", "b", "c"]);
        p.check(&["RPUSH", "l2", "x"]);
        p.check(&["SET", "str", "v"]);
        p.check(&["BLPOP", "nokey", "l1", "l2", "0"]);
        p.check(&["BRPOP", "l2", "l1", "0"]);
        p.check(&["BLPOP", "l2", "str", "0.01"]);
        p.check(&["BLMOVE", "l1", "l1", "LEFT", "RIGHT", "0"]);
        p.check(&["BLMOVE", "l1", "dst", "RIGHT", "LEFT", "0"]);
        p.check(&["BLMOVE", "l1", "str", "RIGHT", "LEFT", "0"]);
        p.check(&["BRPOPLPUSH", "dst", "l1", "0"]);
        p.check(&["BLMPOP", "0", "2", "nokey", "l1", "RIGHT", "COUNT", "10"]);
        p.check(&["EXISTS", "l1"]);
        p.check(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4.5", "d"]);
        p.check(&["BZPOPMIN", "nokey", "z", "0"]);
        p.check(&["BZPOPMAX", "z", "0"]);
        p.check(&["BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"]);
        p.check(&["EXISTS", "z"]);
        p.check(&["LRANGE", "dst", "0", "-1"]);
    }
}

#[test]
fn timeouts_answer_null() {
    for resp3 in [false, true] {
        let mut p = if resp3 { Pair::resp3() } else { Pair::new() };
        let started = Instant::now();
        for argv in [
            &["BLPOP", "k1", "k2", "0.05"][..],
            &["BRPOP", "k1", "0.05"],
            &["BLMOVE", "k1", "k2", "LEFT", "LEFT", "0.05"],
            &["BRPOPLPUSH", "k1", "k2", "0.05"],
            &["BLMPOP", "0.05", "1", "k1", "LEFT"],
            &["BZPOPMIN", "k1", "0.05"],
            &["BZPOPMAX", "k1", "0.05"],
            &["BZMPOP", "0.05", "2", "k1", "k2", "MAX"],
            // Under a millisecond: rounded up, not "forever".
            &["BLPOP", "k1", "0.0001"],
            &["BZPOPMIN", "k1", "1e-5"],
        ] {
            p.check(argv);
        }
        // Both sides waited out the timeouts (kvstore's ≥ 8 × 50 ms).
        assert!(started.elapsed() >= Duration::from_millis(800));
    }
}

#[test]
fn blocking_commands_in_multi_do_not_block() {
    let mut p = Pair::new();
    p.check(&["MULTI"]);
    for argv in [
        &["BLPOP", "k", "0"][..],
        &["BLMOVE", "k", "d", "LEFT", "LEFT", "0"],
        &["BZPOPMIN", "z", "0"],
        &["BLMPOP", "0", "1", "k", "LEFT"],
        &["BZMPOP", "0", "1", "z", "MIN"],
        &["RPUSH", "k", "a"],
        &["BLPOP", "k", "0"],
    ] {
        p.check(argv);
    }
    p.check(&["EXEC"]);
}

/// `n` clients (of both sides) blocked, in order, by `argv`.
fn block(p: &Pair, n: usize, argv: &[&str]) -> Vec<Twin> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut t = p.socket_client(false);
        t.send(argv);
        // Let each block before the next, so the order is defined.
        t.expect_nothing(30);
        out.push(t);
    }
    out
}

#[test]
fn waiters_are_served_in_the_order_they_blocked() {
    let mut p = Pair::over_socket(false);
    let mut waiters = block(&p, 3, &["BLPOP", "q", "0"]);
    p.check(&["RPUSH", "q", "a", "b"]);
    waiters[0].expect_same("first waiter");
    waiters[1].expect_same("second waiter");
    waiters[2].expect_nothing(50);
    p.check(&["LPUSH", "q", "c", "d"]);
    waiters[2].expect_same("third waiter");
    p.check(&["LRANGE", "q", "0", "-1"]);
    // A waiter on several keys is served by whichever gets a push.
    let mut multi = block(&p, 1, &["BRPOP", "k1", "k2", "k3", "0"]);
    let mut z = block(&p, 1, &["BZPOPMAX", "k2", "zz", "0"]);
    p.check(&["RPUSH", "k2", "x", "y"]);
    multi[0].expect_same("brpop on k2");
    p.check(&["ZADD", "zz", "1", "m", "2", "n"]);
    z[0].expect_same("bzpopmax on zz");
    p.check(&["ZRANGE", "zz", "0", "-1", "WITHSCORES"]);
    p.check(&["LRANGE", "k2", "0", "-1"]);
}

#[test]
fn waiters_of_another_type_stay_blocked() {
    let mut p = Pair::over_socket(false);
    let mut list_waiter = block(&p, 1, &["BLPOP", "k", "0"]);
    let mut zset_waiter = block(&p, 1, &["BZPOPMIN", "k", "0"]);
    p.check(&["ZADD", "k", "1", "a"]);
    zset_waiter[0].expect_same("the zset waiter");
    list_waiter[0].expect_nothing(50);
    p.check(&["RPUSH", "k", "x"]);
    list_waiter[0].expect_same("the list waiter");
}

#[test]
fn blmove_chains_serve_the_next_waiter() {
    let mut p = Pair::over_socket(false);
    let mut mover = block(&p, 1, &["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"]);
    let mut popper = block(&p, 1, &["BLPOP", "b", "0"]);
    let mut rot = block(&p, 1, &["BRPOPLPUSH", "c", "c", "0"]);
    p.check(&["RPUSH", "a", "x", "y"]);
    mover[0].expect_same("moved");
    popper[0].expect_same("popped from the destination");
    p.check(&["LRANGE", "a", "0", "-1"]);
    p.check(&["EXISTS", "b"]);
    p.check(&["RPUSH", "c", "1", "2"]);
    rot[0].expect_same("rotated");
    p.check(&["LRANGE", "c", "0", "-1"]);
    // A destination of another type: the waiter gets WRONGTYPE.
    let mut bad = block(&p, 1, &["BLMOVE", "src", "str", "LEFT", "LEFT", "0"]);
    p.check(&["SET", "str", "v"]);
    p.check(&["RPUSH", "src", "e"]);
    bad[0].expect_same("wrong destination type");
    p.check(&["LRANGE", "src", "0", "-1"]);
}

#[test]
fn exec_serves_waiters_after_the_transaction() {
    let mut p = Pair::over_socket(false);
    let mut w = block(&p, 1, &["BLPOP", "k", "0"]);
    p.check(&["MULTI"]);
    p.check(&["RPUSH", "k", "a", "b"]);
    p.check(&["LPOP", "k"]);
    p.check(&["EXEC"]);
    w[0].expect_same("served after EXEC");
    p.check(&["EXISTS", "k"]);
}

#[test]
fn blocked_clients_time_out_over_the_listener() {
    let p = Pair::over_socket(true);
    let mut w = block(&p, 1, &["BLMPOP", "0.2", "1", "k", "LEFT"]);
    w[0].expect_same("timeout");
    let mut w = block(&p, 1, &["BZPOPMIN", "k", "0.2"]);
    w[0].expect_same("timeout");
    w[0].check(&["PING"]);
}

/// CLIENT ID of each side of `t`.
fn ids(t: &mut Twin) -> (String, String) {
    let id = |r: Reply| match r {
        Reply::Int(n) => n.to_string(),
        other => panic!("{other:?}"),
    };
    (
        id(t.redis.call(&["CLIENT", "ID"])),
        id(t.ours.call(&["CLIENT", "ID"])),
    )
}

#[test]
fn client_unblock() {
    let mut p = Pair::over_socket(false);
    let mut w = p.socket_client(false);
    let (theirs, ours) = ids(&mut w);
    let unblock = |p: &mut Pair, how: &[&str]| {
        let mut a = vec!["CLIENT", "UNBLOCK", theirs.as_str()];
        let mut b = vec!["CLIENT", "UNBLOCK", ours.as_str()];
        a.extend_from_slice(how);
        b.extend_from_slice(how);
        let r = p.redis.call(&a);
        let (o, _) = p.ours(&b);
        assert_eq!(r, o, "CLIENT UNBLOCK {how:?}");
        o
    };
    assert_eq!(unblock(&mut p, &[]), Reply::Int(0));
    w.send(&["BLPOP", "k", "0"]);
    w.expect_nothing(30);
    assert_eq!(unblock(&mut p, &[]), Reply::Int(1));
    w.expect_same("unblocked with the timeout reply");
    w.send(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]);
    w.expect_nothing(30);
    assert_eq!(unblock(&mut p, &["TIMEOUT"]), Reply::Int(1));
    w.expect_same("unblocked (TIMEOUT)");
    w.send(&["BZPOPMIN", "k", "0"]);
    w.expect_nothing(30);
    assert_eq!(unblock(&mut p, &["ERROR"]), Reply::Int(1));
    w.expect_same("unblocked (ERROR)");
    assert_eq!(unblock(&mut p, &["ERROR"]), Reply::Int(0));
    p.check(&["CLIENT", "UNBLOCK", "1", "MAYBE"]);
    p.check(&["CLIENT", "UNBLOCK", "x"]);
    // The client works on afterwards.
    w.check(&["RPUSH", "k", "v"]);
    w.check(&["BLPOP", "k", "0"]);
}
