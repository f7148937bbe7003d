//! MULTI, EXEC, DISCARD, WATCH and UNWATCH against a real redis-server, in
//! RESP2 and RESP3, with a second client ([`Peer`]) changing watched keys;
//! a generated sequence mixing them with ordinary commands from two
//! clients; and EXEC's atomicity and WATCH's check-and-set across threads.

use crate::harness::{Pair, Peer, rng};
use kvstore_core::{Engine, Reply};
use rand::Rng;
use std::time::Duration;

/// One step of a scripted exchange.
#[derive(Clone, Copy)]
enum Step<'a> {
    /// The pair's own client sends it.
    Me(&'a [&'a str]),
    /// The peer sends it.
    By(&'a [&'a str]),
    /// Both sides wait (for TTLs to pass).
    Sleep(u64),
}

use Step::{By, Me, Sleep};

/// Runs `steps` on both sides, comparing every reply.
fn play(p: &mut Pair, peer: &mut Peer, steps: &[Step<'_>]) {
    for step in steps {
        match *step {
            Me(argv) => {
                p.check(argv);
            }
            By(argv) => {
                p.check_peer(peer, argv);
            }
            Sleep(ms) => std::thread::sleep(Duration::from_millis(ms)),
        }
    }
}

/// Runs `steps`, then a transaction of one PING from the pair's client
/// (its EXEC is the reply that tells); then resets both clients' state
/// and the data.
fn case(p: &mut Pair, peer: &mut Peer, steps: &[Step<'_>]) {
    play(p, peer, steps);
    play(
        p,
        peer,
        &[
            Me(&["MULTI"]),
            Me(&["PING"]),
            Me(&["EXEC"]),
            Me(&["UNWATCH"]),
            By(&["UNWATCH"]),
            Me(&["SELECT", "0"]),
            By(&["SELECT", "0"]),
            Me(&["FLUSHALL"]),
        ],
    );
}

#[test]
fn multi_queues_and_exec_runs() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for argv in [
            &["MULTI"][..],
            &["SET", "a", "1"],
            &["INCR", "a"],
            &["GET", "a"],
            &["HSET", "h", "f", "v"],
            &["HGETALL", "h"],
            &["ZADD", "z", "1.5", "m"],
            &["ZSCORE", "z", "m"],
            &["EXISTS", "nosuch"],
            &["EXEC"],
            // An empty transaction.
            &["MULTI"],
            &["EXEC"],
            &["EXEC"],
            &["DISCARD"],
            // Nested MULTI is an error that does not abort.
            &["MULTI"],
            &["MULTI"],
            &["SET", "b", "2"],
            &["EXEC"],
            &["GET", "b"],
            &["MULTI"],
            &["SET", "c", "3"],
            &["DISCARD"],
            &["GET", "c"],
            &["EXEC"],
            // WATCH inside MULTI: an error that does not abort either.
            &["MULTI"],
            &["WATCH", "a"],
            &["INCR", "a"],
            &["EXEC"],
            // UNWATCH inside MULTI is queued.
            &["MULTI"],
            &["UNWATCH"],
            &["EXEC"],
            // SELECT inside the transaction stays selected after it.
            &["MULTI"],
            &["SELECT", "3"],
            &["SET", "in3", "x"],
            &["EXEC"],
            &["GET", "in3"],
            &["SELECT", "0"],
            &["GET", "in3"],
            // Connection and server commands queue like the others.
            &["MULTI"],
            &["CLIENT", "SETNAME", "tx"],
            &["CLIENT", "GETNAME"],
            &["ECHO", "e"],
            &["PING"],
            &["DBSIZE"],
            &["EXEC"],
            // Every-db commands inside a transaction.
            &["MULTI"],
            &["SET", "m", "1"],
            &["MOVE", "m", "2"],
            &["SWAPDB", "0", "2"],
            &["GET", "m"],
            &["FLUSHALL"],
            &["DBSIZE"],
            &["EXEC"],
        ] {
            p.check(argv);
        }
    }
}

/// Unknown commands, wrong arity and unknown subcommands are refused while
/// queueing, and EXEC then discards the transaction with EXECABORT.
#[test]
fn errors_while_queueing_abort_exec() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        for bad in [
            &["NOSUCH", "x"][..],
            &["SET", "a"],
            &["CONFIG", "NOSUCH"],
            &["OBJECT"],
            &["EXEC", "x"],
            &["MULTI", "x"],
            &["DISCARD", "x"],
            &["WATCH"],
        ] {
            play(
                &mut p,
                &mut peer,
                &[
                    Me(&["MULTI"]),
                    Me(&["SET", "a", "1"]),
                    Me(bad),
                    Me(&["SET", "b", "1"]),
                    Me(&["EXEC"]),
                    Me(&["EXISTS", "a", "b"]),
                    Me(&["EXEC"]),
                ],
            );
        }
        // A refused EXEC answers EXECABORT even outside MULTI.
        p.check(&["EXEC", "x"]);
        // DISCARD still ends an aborted transaction.
        case(
            &mut p,
            &mut peer,
            &[Me(&["MULTI"]), Me(&["NOSUCH"]), Me(&["DISCARD"])],
        );
        // EXECABORT wins over a changed watch, and ends the watch.
        case(
            &mut p,
            &mut peer,
            &[
                Me(&["WATCH", "k"]),
                By(&["SET", "k", "1"]),
                Me(&["MULTI"]),
                Me(&["NOSUCH"]),
                Me(&["EXEC"]),
                By(&["SET", "k", "2"]),
            ],
        );
    }
}

#[test]
fn runtime_errors_do_not_roll_back() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for argv in [
            &["SET", "s", "text"][..],
            &["MULTI"],
            &["INCR", "s"],
            &["SET", "t", "1"],
            &["LPUSH", "s", "x"],
            &["INCRBYFLOAT", "t", "1.5"],
            &["SELECT", "99"],
            &["GET", "t"],
            &["EXEC"],
            &["GET", "t"],
            &["GET", "s"],
        ] {
            p.check(argv);
        }
    }
}

/// A change to a watched key by anyone fails EXEC with a null array; a
/// command that changes nothing does not.
#[test]
fn watch_fails_exec_after_a_change() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        let cases: &[&[Step<'_>]] = &[
            &[Me(&["SET", "k", "0"]), Me(&["WATCH", "k"])],
            &[Me(&["WATCH", "k"]), By(&["SET", "k", "1"])],
            &[Me(&["WATCH", "k"]), Me(&["SET", "k", "1"])],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["SET", "k", "1"]),
            ],
            &[Me(&["WATCH", "k"]), By(&["DEL", "k"])],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["DEL", "k"]),
            ],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["SET", "k", "2", "NX"]),
            ],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["EXPIRE", "k", "100"]),
            ],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["PERSIST", "k"]),
            ],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["GET", "k"]),
            ],
            &[Me(&["WATCH", "k"]), By(&["LPUSH", "k", "x"])],
            &[Me(&["WATCH", "k"]), By(&["HSET", "k", "f", "v"])],
            &[Me(&["WATCH", "k"]), By(&["SADD", "k", "m"])],
            &[Me(&["WATCH", "k"]), By(&["ZADD", "k", "1", "m"])],
            &[Me(&["WATCH", "k"]), By(&["PFADD", "k", "x"])],
            &[Me(&["WATCH", "k"]), By(&["SETBIT", "k", "3", "1"])],
            &[Me(&["WATCH", "k"]), By(&["APPEND", "k", "x"])],
            &[Me(&["WATCH", "a", "b", "k"]), By(&["INCR", "k"])],
            &[Me(&["WATCH", "k", "k"]), By(&["INCR", "k"])],
            // Both watch; the peer's own write fails its EXEC and ours.
            &[
                Me(&["WATCH", "k"]),
                By(&["WATCH", "k"]),
                By(&["SET", "k", "1"]),
                By(&["MULTI"]),
                By(&["PING"]),
                By(&["EXEC"]),
            ],
            // A watch is on a key of one db.
            &[
                Me(&["WATCH", "k"]),
                By(&["SELECT", "1"]),
                By(&["SET", "k", "1"]),
            ],
            &[
                Me(&["SELECT", "1"]),
                Me(&["WATCH", "k"]),
                By(&["SET", "k", "1"]),
            ],
            // UNWATCH, DISCARD and EXEC end it.
            &[
                Me(&["WATCH", "k"]),
                Me(&["UNWATCH"]),
                By(&["SET", "k", "1"]),
            ],
            &[
                Me(&["WATCH", "k"]),
                Me(&["MULTI"]),
                Me(&["DISCARD"]),
                By(&["SET", "k", "1"]),
            ],
            &[
                Me(&["WATCH", "k"]),
                Me(&["MULTI"]),
                Me(&["EXEC"]),
                By(&["SET", "k", "1"]),
            ],
            // Watching more after a change does not undo it.
            &[
                Me(&["WATCH", "k"]),
                By(&["SET", "k", "1"]),
                Me(&["WATCH", "j"]),
            ],
            // The transaction's own writes are no change to its watch.
            &[
                Me(&["WATCH", "k"]),
                Me(&["MULTI"]),
                Me(&["SET", "k", "1"]),
                Me(&["EXEC"]),
            ],
        ];
        for steps in cases {
            case(&mut p, &mut peer, steps);
        }
    }
}

/// Multi-key, every-db and whole-db writes touch every watched key they change.
#[test]
fn watch_and_keyspace_wide_changes() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        let cases: &[&[Step<'_>]] = &[
            // RENAME changes both keys (and renaming to itself neither).
            &[
                Me(&["SET", "s", "1"]),
                Me(&["WATCH", "d"]),
                By(&["RENAME", "s", "d"]),
            ],
            &[
                Me(&["SET", "s", "1"]),
                Me(&["WATCH", "s"]),
                By(&["RENAME", "s", "d"]),
            ],
            &[
                Me(&["SET", "s", "1"]),
                Me(&["WATCH", "s"]),
                By(&["RENAME", "s", "s"]),
            ],
            // MOVE changes the key in both dbs.
            &[
                Me(&["SET", "m", "1"]),
                Me(&["WATCH", "m"]),
                By(&["MOVE", "m", "1"]),
            ],
            &[
                Me(&["SET", "m", "1"]),
                Me(&["SELECT", "1"]),
                Me(&["WATCH", "m"]),
                By(&["MOVE", "m", "1"]),
            ],
            // COPY to another db changes the copy there.
            &[
                Me(&["SET", "c", "1"]),
                Me(&["SELECT", "2"]),
                Me(&["WATCH", "c"]),
                By(&["COPY", "c", "c", "DB", "2"]),
            ],
            &[
                Me(&["SET", "a", "1"]),
                Me(&["WATCH", "b"]),
                By(&["MSET", "a", "2", "b", "2"]),
            ],
            &[
                Me(&["SADD", "x", "1"]),
                Me(&["WATCH", "d"]),
                By(&["SUNIONSTORE", "d", "x"]),
            ],
            // FLUSHDB and FLUSHALL touch the watched keys that exist.
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["FLUSHDB"]),
            ],
            &[Me(&["WATCH", "k"]), By(&["FLUSHDB"])],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["FLUSHALL"]),
            ],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["SELECT", "1"]),
                By(&["FLUSHDB"]),
            ],
            // SWAPDB touches a watched key that exists on either side.
            &[
                Me(&["WATCH", "k"]),
                By(&["SELECT", "1"]),
                By(&["SET", "k", "1"]),
                By(&["SWAPDB", "0", "1"]),
            ],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["SWAPDB", "1", "0"]),
            ],
            &[Me(&["WATCH", "k"]), By(&["SWAPDB", "0", "1"])],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["SWAPDB", "0", "0"]),
            ],
            &[
                Me(&["SET", "k", "1"]),
                Me(&["WATCH", "k"]),
                By(&["SWAPDB", "2", "3"]),
            ],
        ];
        for steps in cases {
            case(&mut p, &mut peer, steps);
        }
    }
}

/// A watched key that expires counts as changed; one that was already
/// expired when watched does not, until it is written again (Redis 7.0's
/// `wk->expired`). Either side may remove an expired key by its expiry
/// cycle in between: the outcome is the same.
#[test]
fn watch_and_expiry() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        // Long enough that WATCH surely comes before the deadline on both
        // sides, even on a loaded machine.
        let short = Me(&["SET", "k", "v", "PX", "300"]);
        let stale = [
            Me(&["SET", "k", "v", "PX", "1"]),
            Sleep(20),
            Me(&["WATCH", "k"]),
        ];
        let cases: &[&[Step<'_>]] = &[
            &[short, Me(&["WATCH", "k"]), Sleep(450)],
            &[short, Me(&["WATCH", "k"]), Sleep(450), By(&["GET", "k"])],
            &[short, Me(&["WATCH", "k"]), Sleep(450), By(&["DEL", "k"])],
            &stale,
            &[stale[0], stale[1], stale[2], By(&["GET", "k"])],
            &[stale[0], stale[1], stale[2], By(&["DEL", "k"])],
            &[stale[0], stale[1], stale[2], By(&["SET", "k", "1"])],
            &[stale[0], stale[1], stale[2], Me(&["SET", "k", "1"])],
            &[stale[0], stale[1], stale[2], By(&["FLUSHDB"])],
            &[stale[0], stale[1], stale[2], By(&["SWAPDB", "0", "1"])],
        ];
        for steps in cases {
            case(&mut p, &mut peer, steps);
        }
    }
}

/// RESET leaves MULTI and forgets the watched keys.
#[test]
fn reset_clears_multi_and_watch() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        play(
            &mut p,
            &mut peer,
            &[
                Me(&["MULTI"]),
                Me(&["SET", "a", "1"]),
                Me(&["RESET"]),
                Me(&["EXEC"]),
                Me(&["GET", "a"]),
                Me(&["WATCH", "k"]),
                Me(&["RESET"]),
                By(&["SET", "k", "1"]),
                Me(&["MULTI"]),
                Me(&["PING"]),
                Me(&["EXEC"]),
            ],
        );
    }
}

/// The `flags=` and `multi=` fields of a CLIENT INFO reply.
fn tx_fields(r: &Reply) -> Vec<String> {
    let text = match r {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("CLIENT INFO: {other:?}"),
    };
    text.split_whitespace()
        .filter(|f| f.starts_with("flags=") || f.starts_with("multi="))
        .map(str::to_string)
        .collect()
}

/// Compares the transaction fields of CLIENT INFO replies.
fn same_tx_fields((theirs, ours): (Reply, Reply)) {
    assert_eq!(tx_fields(&theirs), tx_fields(&ours));
}

/// CLIENT INFO shows MULTI (`flags=x`, `multi=<queued>`, also while EXEC
/// runs) and a changed watch (`flags=d`) as Redis does.
#[test]
fn client_info_shows_transaction_state() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        same_tx_fields(p.both(&["CLIENT", "INFO"]));
        p.check(&["WATCH", "k"]);
        p.check_peer(&mut peer, &["SET", "k", "1"]);
        same_tx_fields(p.both(&["CLIENT", "INFO"]));
        p.check(&["MULTI"]);
        p.check(&["CLIENT", "INFO"]);
        p.check(&["EXEC"]);
        p.check(&["MULTI"]);
        p.check(&["SET", "a", "1"]);
        p.check(&["CLIENT", "INFO"]);
        let (Reply::Array(theirs), Reply::Array(ours)) = p.both(&["EXEC"]) else {
            panic!("EXEC did not run");
        };
        same_tx_fields((theirs[1].clone(), ours[1].clone()));
        p.check(&["MULTI"]);
        same_tx_fields(p.as_peer(&mut peer, |p| p.both(&["CLIENT", "INFO"])));
        p.check(&["DISCARD"]);
    }
}

/// A generated sequence of transaction and ordinary commands from two
/// clients on a few keys, every reply compared, then the data.
#[test]
fn generated_sequence_with_two_clients() {
    let mut rng = rng("transactions::generated_sequence_with_two_clients");
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        for _ in 0..600 {
            let k = ["a", "b", "c"][rng.random_range(0..3)];
            let j = ["a", "b", "c"][rng.random_range(0..3)];
            let n = rng.random_range(0..5).to_string();
            let db = ["0", "1"][rng.random_range(0..2)];
            let argv: Vec<&str> = match rng.random_range(0..27) {
                0..=2 => vec!["MULTI"],
                3..=5 => vec!["EXEC"],
                6 => vec!["DISCARD"],
                7..=9 => vec!["WATCH", k],
                10 => vec!["WATCH", k, j],
                11 => vec!["UNWATCH"],
                12 => vec!["SET", k, &n],
                13 => vec!["INCR", k],
                14 => vec!["DEL", k],
                15 => vec!["GET", k],
                16 => vec!["LPUSH", k, &n],
                17 => vec!["MGET", "a", "b", "c"],
                18 => vec!["EXPIRE", k, "1000"],
                19 => vec!["RENAME", k, j],
                20 => vec!["SET", k, &n, "NX"],
                21 => vec!["FLUSHDB"],
                22 => vec!["SWAPDB", "0", "1"],
                23 => vec!["SELECT", db],
                24 => vec!["NOSUCH", k],
                25 => vec!["SET", k],
                _ => vec!["MOVE", k, db],
            };
            if rng.random_bool(0.5) {
                p.check(&argv);
            } else {
                p.check_peer(&mut peer, &argv);
            }
        }
        p.check(&["DISCARD"]);
        p.check_peer(&mut peer, &["DISCARD"]);
        p.check_same_data();
    }
}

/// Two keys that live in different shards of `e`.
fn keys_in_two_shards(e: &Engine) -> (String, String) {
    let ks = &e.shared().keyspace;
    let a = "a".to_string();
    let b = (0..)
        .map(|i| format!("b{i}"))
        .find(|b| ks.shard_of(b.as_bytes()) != ks.shard_of(a.as_bytes()))
        .expect("more than one shard");
    (a, b)
}

/// While threads run `MULTI INCR a INCR b EXEC` (keys in two shards; one
/// thread adds a keyless PING, so its EXEC locks every shard), a reader
/// never sees a partial transaction.
#[test]
fn exec_is_atomic_across_threads() {
    const ROUNDS: usize = 5_000;
    let e = Engine::new();
    let (a, b) = keys_in_two_shards(&e);
    let (a, b) = (a.as_str(), b.as_str());
    let done = std::sync::atomic::AtomicBool::new(false);
    let writer = |with_ping: bool| {
        let mut s = e.session();
        for _ in 0..ROUNDS {
            e.execute(&mut s, &["MULTI"]);
            e.execute(&mut s, &["INCR", a]);
            if with_ping {
                e.execute(&mut s, &["PING"]);
            }
            e.execute(&mut s, &["INCR", b]);
            let r = e.execute(&mut s, &["EXEC"]);
            let Reply::Array(v) = &r else { panic!("{r:?}") };
            assert_eq!(v.len(), 2 + usize::from(with_ping));
        }
    };
    std::thread::scope(|scope| {
        let writers = [scope.spawn(|| writer(false)), scope.spawn(|| writer(true))];
        let reader = scope.spawn(|| {
            let mut s = e.session();
            let mut reads = 0u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let r = e.execute(&mut s, &["MGET", a, b]);
                let Reply::Array(v) = &r else { panic!("{r:?}") };
                assert_eq!(v[0], v[1], "a partial transaction was seen");
                reads += 1;
            }
            reads
        });
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    let mut s = e.session();
    let total = Reply::Bulk((2 * ROUNDS).to_string().into_bytes());
    assert_eq!(
        e.execute(&mut s, &["MGET", a, b]),
        Reply::Array(vec![total.clone(), total])
    );
}

/// Check-and-set with WATCH from several threads loses no increment.
#[test]
fn watch_check_and_set_across_threads() {
    const THREADS: usize = 4;
    const EACH: usize = 500;
    let e = Engine::new();
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let mut s = e.session();
                let mut done = 0;
                while done < EACH {
                    e.execute(&mut s, &["WATCH", "counter"]);
                    let n = match e.execute(&mut s, &["GET", "counter"]) {
                        Reply::Bulk(v) => String::from_utf8(v).unwrap().parse::<u64>().unwrap(),
                        _ => 0,
                    };
                    e.execute(&mut s, &["MULTI"]);
                    e.execute(&mut s, &["SET", "counter", &(n + 1).to_string()]);
                    match e.execute(&mut s, &["EXEC"]) {
                        Reply::Array(_) => done += 1,
                        Reply::NilArray => {}
                        other => panic!("EXEC: {other:?}"),
                    }
                }
            });
        }
    });
    let mut s = e.session();
    assert_eq!(
        e.execute(&mut s, &["GET", "counter"]),
        Reply::Bulk((THREADS * EACH).to_string().into_bytes())
    );
}

/// A command line.
type Argv = &'static [&'static str];

/// For each write command: what to store before WATCH k, and the command
/// the peer then runs, which changes k.
const WRITES: &[(&str, &[Argv], Argv)] = &[
    ("set", &[], &["SET", "k", "v"]),
    ("setnx", &[], &["SETNX", "k", "v"]),
    ("setex", &[], &["SETEX", "k", "100", "v"]),
    ("psetex", &[], &["PSETEX", "k", "100000", "v"]),
    ("mset", &[], &["MSET", "a", "1", "k", "2"]),
    ("msetnx", &[], &["MSETNX", "a", "1", "k", "2"]),
    ("getset", &[], &["GETSET", "k", "v"]),
    ("getdel", &[&["SET", "k", "v"]], &["GETDEL", "k"]),
    ("getex", &[&["SET", "k", "v"]], &["GETEX", "k", "EX", "100"]),
    ("append", &[], &["APPEND", "k", "x"]),
    ("setrange", &[], &["SETRANGE", "k", "2", "x"]),
    ("incr", &[], &["INCR", "k"]),
    ("incrby", &[], &["INCRBY", "k", "2"]),
    ("decr", &[], &["DECR", "k"]),
    ("decrby", &[], &["DECRBY", "k", "3"]),
    ("incrbyfloat", &[], &["INCRBYFLOAT", "k", "1.5"]),
    ("setbit", &[], &["SETBIT", "k", "7", "1"]),
    ("bitop", &[&["SET", "a", "x"]], &["BITOP", "NOT", "k", "a"]),
    ("bitfield", &[], &["BITFIELD", "k", "SET", "u8", "0", "5"]),
    ("del", &[&["SET", "k", "v"]], &["DEL", "k"]),
    ("unlink", &[&["SET", "k", "v"]], &["UNLINK", "k"]),
    ("rename", &[&["SET", "a", "1"]], &["RENAME", "a", "k"]),
    ("renamenx", &[&["SET", "a", "1"]], &["RENAMENX", "a", "k"]),
    ("copy", &[&["SET", "a", "1"]], &["COPY", "a", "k"]),
    ("move", &[&["SET", "k", "1"]], &["MOVE", "k", "1"]),
    ("expire", &[&["SET", "k", "v"]], &["EXPIRE", "k", "100"]),
    (
        "pexpire",
        &[&["SET", "k", "v"]],
        &["PEXPIRE", "k", "100000"],
    ),
    (
        "expireat",
        &[&["SET", "k", "v"]],
        &["EXPIREAT", "k", "4000000000"],
    ),
    (
        "pexpireat",
        &[&["SET", "k", "v"]],
        &["PEXPIREAT", "k", "4000000000000"],
    ),
    (
        "persist",
        &[&["SET", "k", "v", "EX", "100"]],
        &["PERSIST", "k"],
    ),
    (
        "sort",
        &[&["RPUSH", "a", "3", "1", "2"]],
        &["SORT", "a", "STORE", "k"],
    ),
    ("hset", &[], &["HSET", "k", "f", "v"]),
    ("hsetnx", &[], &["HSETNX", "k", "f", "v"]),
    ("hmset", &[], &["HMSET", "k", "f", "v"]),
    ("hdel", &[&["HSET", "k", "f", "v"]], &["HDEL", "k", "f"]),
    ("hincrby", &[], &["HINCRBY", "k", "f", "1"]),
    ("hincrbyfloat", &[], &["HINCRBYFLOAT", "k", "f", "1.5"]),
    ("lpush", &[], &["LPUSH", "k", "x"]),
    ("rpush", &[], &["RPUSH", "k", "x"]),
    ("lpushx", &[&["RPUSH", "k", "a"]], &["LPUSHX", "k", "x"]),
    ("rpushx", &[&["RPUSH", "k", "a"]], &["RPUSHX", "k", "x"]),
    ("lpop", &[&["RPUSH", "k", "a", "b"]], &["LPOP", "k"]),
    ("rpop", &[&["RPUSH", "k", "a", "b"]], &["RPOP", "k"]),
    ("lset", &[&["RPUSH", "k", "a"]], &["LSET", "k", "0", "b"]),
    (
        "linsert",
        &[&["RPUSH", "k", "a"]],
        &["LINSERT", "k", "BEFORE", "a", "b"],
    ),
    (
        "lrem",
        &[&["RPUSH", "k", "a", "b"]],
        &["LREM", "k", "0", "a"],
    ),
    (
        "ltrim",
        &[&["RPUSH", "k", "a", "b", "c"]],
        &["LTRIM", "k", "0", "0"],
    ),
    (
        "rpoplpush",
        &[&["RPUSH", "a", "x"]],
        &["RPOPLPUSH", "a", "k"],
    ),
    (
        "lmove",
        &[&["RPUSH", "a", "x"]],
        &["LMOVE", "a", "k", "LEFT", "RIGHT"],
    ),
    (
        "lmpop",
        &[&["RPUSH", "k", "a", "b"]],
        &["LMPOP", "1", "k", "LEFT"],
    ),
    ("sadd", &[], &["SADD", "k", "m"]),
    ("srem", &[&["SADD", "k", "a", "b"]], &["SREM", "k", "a"]),
    ("spop", &[&["SADD", "k", "a"]], &["SPOP", "k"]),
    ("smove", &[&["SADD", "a", "m"]], &["SMOVE", "a", "k", "m"]),
    (
        "sinterstore",
        &[&["SADD", "a", "m"]],
        &["SINTERSTORE", "k", "a"],
    ),
    (
        "sunionstore",
        &[&["SADD", "a", "m"]],
        &["SUNIONSTORE", "k", "a"],
    ),
    (
        "sdiffstore",
        &[&["SADD", "a", "m"]],
        &["SDIFFSTORE", "k", "a"],
    ),
    ("zadd", &[], &["ZADD", "k", "1", "m"]),
    ("zincrby", &[], &["ZINCRBY", "k", "1", "m"]),
    (
        "zrem",
        &[&["ZADD", "k", "1", "a", "2", "b"]],
        &["ZREM", "k", "a"],
    ),
    (
        "zrangestore",
        &[&["ZADD", "a", "1", "m"]],
        &["ZRANGESTORE", "k", "a", "0", "-1"],
    ),
    (
        "zremrangebyrank",
        &[&["ZADD", "k", "1", "a", "2", "b"]],
        &["ZREMRANGEBYRANK", "k", "0", "0"],
    ),
    (
        "zremrangebyscore",
        &[&["ZADD", "k", "1", "a", "2", "b"]],
        &["ZREMRANGEBYSCORE", "k", "1", "1"],
    ),
    (
        "zremrangebylex",
        &[&["ZADD", "k", "0", "a", "0", "b"]],
        &["ZREMRANGEBYLEX", "k", "[a", "[a"],
    ),
    (
        "zpopmin",
        &[&["ZADD", "k", "1", "a", "2", "b"]],
        &["ZPOPMIN", "k"],
    ),
    (
        "zpopmax",
        &[&["ZADD", "k", "1", "a", "2", "b"]],
        &["ZPOPMAX", "k"],
    ),
    (
        "zunionstore",
        &[&["ZADD", "a", "1", "m"]],
        &["ZUNIONSTORE", "k", "1", "a"],
    ),
    (
        "zinterstore",
        &[&["ZADD", "a", "1", "m"]],
        &["ZINTERSTORE", "k", "1", "a"],
    ),
    (
        "zdiffstore",
        &[&["ZADD", "a", "1", "m"]],
        &["ZDIFFSTORE", "k", "1", "a"],
    ),
    (
        "zmpop",
        &[&["ZADD", "k", "1", "a", "2", "b"]],
        &["ZMPOP", "1", "k", "MIN"],
    ),
    ("blpop", &[&["RPUSH", "k", "a"]], &["BLPOP", "k", "0"]),
    ("brpop", &[&["RPUSH", "k", "a"]], &["BRPOP", "k", "0"]),
    (
        "blmove",
        &[&["RPUSH", "a", "x"]],
        &["BLMOVE", "a", "k", "LEFT", "RIGHT", "0"],
    ),
    (
        "brpoplpush",
        &[&["RPUSH", "k", "x"]],
        &["BRPOPLPUSH", "k", "k", "0"],
    ),
    (
        "blmpop",
        &[&["RPUSH", "k", "a", "b"]],
        &["BLMPOP", "0", "1", "k", "LEFT"],
    ),
    (
        "bzpopmin",
        &[&["ZADD", "k", "1", "a"]],
        &["BZPOPMIN", "k", "0"],
    ),
    (
        "bzpopmax",
        &[&["ZADD", "k", "1", "a"]],
        &["BZPOPMAX", "k", "0"],
    ),
    (
        "bzmpop",
        &[&["ZADD", "k", "1", "a", "2", "b"]],
        &["BZMPOP", "0", "1", "k", "MAX"],
    ),
    ("pfadd", &[], &["PFADD", "k", "x"]),
    ("pfmerge", &[&["PFADD", "a", "x"]], &["PFMERGE", "k", "a"]),
    (
        "pfdebug",
        &[&["PFADD", "k", "x"]],
        &["PFDEBUG", "TODENSE", "k"],
    ),
    // DUMP of the string "v451" in Redis 7.0: one whose payload (CRC64
    // included) happens to be valid UTF-8, as these samples are &str.
    (
        "restore",
        &[],
        &["RESTORE", "k", "0", "\x00\x04v451\n\x00\x08\x00$~<0R\\"],
    ),
    ("swapdb", &[&["SET", "k", "v"]], &["SWAPDB", "0", "1"]),
    ("flushdb", &[&["SET", "k", "v"]], &["FLUSHDB"]),
    ("flushall", &[&["SET", "k", "v"]], &["FLUSHALL"]),
];

/// Every write command of the table, run by the peer on a watched key,
/// fails the EXEC as in Redis (each needs a sample in [`WRITES`]).
#[test]
fn every_write_command_touches_watched_keys() {
    use kvstore_core::cmd::table::{self, flags::WRITE};
    let missing: Vec<&str> = table::all()
        .filter(|c| c.has(WRITE) && !WRITES.iter().any(|(n, _, _)| n == &c.name))
        .map(|c| c.name)
        .collect();
    assert!(missing.is_empty(), "no WATCH sample for {missing:?}");
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut peer = p.peer();
        for (_, setup, write) in WRITES {
            let mut steps: Vec<Step<'_>> = setup.iter().map(|s| Me(s)).collect();
            steps.extend([Me(&["WATCH", "k"]), By(write)]);
            case(&mut p, &mut peer, &steps);
        }
    }
}

/// COMMAND INFO and COMMAND DOCS of the transaction commands are Redis's
/// (but WATCH's key spec flags: the table derives them from the command
/// flags, `RW access update`, where Redis has `RO`).
#[test]
fn command_introspection() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["COMMAND", "INFO", "multi", "exec", "discard", "unwatch"]);
        for name in ["multi", "exec", "discard", "watch", "unwatch"] {
            p.check(&["COMMAND", "DOCS", name]);
        }
        p.check(&["COMMAND", "GETKEYS", "WATCH", "a", "b"]);
        p.check(&["COMMAND", "GETKEYS", "MULTI"]);
    }
}

/// An empty argv (a C caller's argc 0) is refused, inside MULTI too, and
/// leaves the session usable.
#[test]
fn empty_argv_is_an_error_not_a_panic() {
    let engine = Engine::new();
    let mut s = engine.session();
    let empty: &[&[u8]] = &[];
    assert!(matches!(engine.execute(&mut s, empty), Reply::Error(_)));
    assert_eq!(engine.execute(&mut s, &["MULTI"]), Reply::ok());
    assert!(matches!(engine.execute(&mut s, empty), Reply::Error(_)));
    assert_eq!(engine.execute(&mut s, &["DISCARD"]), Reply::ok());
    assert_eq!(
        engine.execute(&mut s, &["PING"]),
        Reply::Status("PONG".into())
    );
}
