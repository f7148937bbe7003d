//! Blocking commands and Pub/Sub across threads in-process, and across the
//! in-process and listener fronts: waiters parked on condition variables
//! and woken by writers (in the order they blocked, using no CPU while
//! they wait), subscribers fed by publishers on other threads and other
//! fronts, and slow subscribers cut off instead of slowing publishers.

use kvstore_core::resp::{Limits, decode, encode_command};
use kvstore_core::server::{ListenConfig, Listener};
use kvstore_core::{Engine, Reply};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

/// Waits until `n` clients are blocked (in-process or over a socket).
fn until_blocked(e: &Engine, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.shared().blocking.count() < n {
        assert!(Instant::now() < deadline, "{n} clients never blocked");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_waiter_is_woken_by_a_writer_thread() {
    let e = Engine::new();
    let e2 = e.clone();
    let waiter = thread::spawn(move || {
        let mut s = e2.session();
        e2.execute(&mut s, &["BLPOP", "q", "0"])
    });
    until_blocked(&e, 1);
    let mut s = e.session();
    assert_eq!(e.execute(&mut s, &["RPUSH", "q", "v"]), Reply::Int(1));
    assert_eq!(
        waiter.join().unwrap(),
        Reply::Array(vec![bulk("q"), bulk("v")])
    );
    assert_eq!(e.shared().blocking.count(), 0);
}

#[test]
fn three_waiters_are_served_in_the_order_they_blocked() {
    let e = Engine::new();
    let mut handles = Vec::new();
    for i in 0..3 {
        let e2 = e.clone();
        handles.push(thread::spawn(move || {
            let mut s = e2.session();
            e2.execute(&mut s, &["BRPOP", "q", "0"])
        }));
        until_blocked(&e, i + 1);
    }
    let mut s = e.session();
    e.execute(&mut s, &["LPUSH", "q", "a", "b", "c"]);
    let got: Vec<Reply> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let expected: Vec<Reply> = ["a", "b", "c"]
        .iter()
        .map(|v| Reply::Array(vec![bulk("q"), bulk(v)]))
        .collect();
    assert_eq!(got, expected);
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn a_blocked_thread_uses_no_cpu() {
    let e = Engine::new();
    let mut s = e.session();
    let (wall, cpu) = (Instant::now(), thread_cpu());
    assert_eq!(e.execute(&mut s, &["BLPOP", "q", "1"]), Reply::NilArray);
    let (wall, cpu) = (wall.elapsed(), thread_cpu() - cpu);
    eprintln!("blocked {wall:?}, CPU {cpu:?}");
    assert!(wall >= Duration::from_secs(1), "{wall:?}");
    assert!(
        cpu < Duration::from_millis(20),
        "a waiting thread used {cpu:?}"
    );
}

#[test]
fn blpop_from_four_threads_delivers_every_item_once_in_order() {
    const ITEMS: usize = 20_000;
    let e = Engine::new();
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let e = e.clone();
            thread::spawn(move || {
                let mut s = e.session();
                let mut got = Vec::new();
                loop {
                    match e.execute(&mut s, &["BLPOP", "q", "0"]) {
                        Reply::Array(v) if v[1] == bulk("end") => return got,
                        Reply::Array(v) => match &v[1] {
                            Reply::Bulk(b) => {
                                got.push(String::from_utf8_lossy(b).parse::<usize>().unwrap())
                            }
                            other => panic!("{other:?}"),
                        },
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    let mut s = e.session();
    for i in 0..ITEMS {
        e.execute(&mut s, &["RPUSH", "q", &i.to_string()]);
    }
    for _ in 0..4 {
        e.execute(&mut s, &["RPUSH", "q", "end"]);
    }
    let mut all = Vec::new();
    for c in consumers {
        let got = c.join().unwrap();
        // Each consumer sees the items in the order they were pushed.
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        all.extend(got);
    }
    all.sort_unstable();
    assert_eq!(all, (0..ITEMS).collect::<Vec<_>>());
}

#[test]
fn client_unblock_wakes_an_in_process_waiter() {
    let e = Engine::new();
    let e2 = e.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = thread::spawn(move || {
        let mut s = e2.session();
        tx.send(s.id).unwrap();
        e2.execute(&mut s, &["BZPOPMIN", "z", "0"])
    });
    let id = rx.recv().unwrap().to_string();
    until_blocked(&e, 1);
    let mut s = e.session();
    let r = e.execute(&mut s, &["CLIENT", "UNBLOCK", &id, "ERROR"]);
    assert_eq!(r, Reply::Int(1));
    assert_eq!(
        waiter.join().unwrap(),
        Reply::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK".into())
    );
}

#[test]
fn a_deferred_wait_is_cancelled_by_dropping_it() {
    let e = Engine::new();
    let mut a = e.session();
    a.defer_blocking(true);
    e.execute(&mut a, &["BLPOP", "q", "0"]);
    let wait = a.take_blocked().expect("waiting");
    assert!(wait.poll().is_none());
    assert!(wait.wait(Some(Duration::from_millis(20))).is_none());
    drop(wait);
    assert_eq!(e.shared().blocking.count(), 0);
    // Nobody takes the element any more.
    let mut b = e.session();
    e.execute(&mut b, &["RPUSH", "q", "v"]);
    assert_eq!(e.execute(&mut b, &["LLEN", "q"]), Reply::Int(1));
}

fn listener(e: &Engine) -> Listener {
    Listener::start(
        e.clone(),
        ListenConfig {
            bind: vec!["127.0.0.1".into()],
            port: Some(0),
            threads: 2,
            ..ListenConfig::default()
        },
    )
    .expect("listener starts")
}

/// A socket client reading whole frames.
struct Sock {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Sock {
    fn connect(l: &Listener) -> Sock {
        let stream = TcpStream::connect(l.local_addrs()[0]).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Sock {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, argv: &[&str]) {
        let mut out = Vec::new();
        encode_command(argv, &mut out);
        self.stream.write_all(&out).unwrap();
    }

    fn read(&mut self) -> Reply {
        loop {
            if let Some((r, used)) = decode(&self.buf, &Limits::default()).unwrap() {
                self.buf.drain(..used);
                return r;
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("a frame in time");
            assert!(n > 0, "closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn message(ch: &str, payload: &str) -> Reply {
    Reply::Array(vec![bulk("message"), bulk(ch), bulk(payload)])
}

#[test]
fn ten_thousand_messages_reach_four_subscribers_in_order() {
    const N: usize = 10_000;
    let e = Engine::new();
    let l = listener(&e);
    let ready = Arc::new(Barrier::new(5));
    let mut subs = Vec::new();
    for in_process in [true, true, false, false] {
        let e = e.clone();
        let ready = ready.clone();
        let addr = l.local_addrs()[0];
        subs.push(thread::spawn(move || {
            let mut got = Vec::with_capacity(N);
            if in_process {
                let mut s = e.session();
                let inbox = s.inbox();
                e.execute(&mut s, &["SUBSCRIBE", "ch"]);
                inbox.pop_wait(None).expect("confirmation");
                ready.wait();
                while got.len() < N {
                    got.push(inbox.pop_wait(None).expect("a message"));
                }
            } else {
                let stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(20)))
                    .unwrap();
                let mut sock = Sock {
                    stream,
                    buf: Vec::new(),
                };
                sock.send(&["SUBSCRIBE", "ch"]);
                sock.read();
                ready.wait();
                while got.len() < N {
                    got.push(sock.read());
                }
            }
            got
        }));
    }
    ready.wait();
    let mut s = e.session();
    let started = Instant::now();
    for i in 0..N {
        let r = e.execute(&mut s, &["PUBLISH", "ch", &i.to_string()]);
        assert_eq!(r, Reply::Int(4));
    }
    eprintln!("published {N} to 4 subscribers in {:?}", started.elapsed());
    for h in subs {
        let got = h.join().unwrap();
        for (i, r) in got.into_iter().enumerate() {
            let r = match r {
                Reply::Push(v) => Reply::Array(v),
                r => r,
            };
            assert_eq!(r, message("ch", &i.to_string()));
        }
    }
}

#[test]
fn messages_cross_between_fronts() {
    let e = Engine::new();
    let l = listener(&e);
    // In-process publisher, socket subscriber.
    let mut sock = Sock::connect(&l);
    sock.send(&["PSUBSCRIBE", "a*"]);
    sock.read();
    let mut s = e.session();
    assert_eq!(e.execute(&mut s, &["PUBLISH", "ab", "x"]), Reply::Int(1));
    assert_eq!(
        sock.read(),
        Reply::Array(vec![bulk("pmessage"), bulk("a*"), bulk("ab"), bulk("x")])
    );
    // Socket publisher, in-process subscriber (RESP3: a push).
    let mut sub = e.session();
    sub.proto = 3;
    let inbox = sub.inbox();
    e.execute(&mut sub, &["SUBSCRIBE", "b"]);
    inbox.pop().expect("confirmation");
    let mut publisher = Sock::connect(&l);
    publisher.send(&["PUBLISH", "b", "y"]);
    assert_eq!(publisher.read(), Reply::Int(1));
    assert_eq!(
        inbox.pop_wait(Some(Duration::from_secs(5))),
        Some(Reply::Push(vec![bulk("message"), bulk("b"), bulk("y")]))
    );
    // A blocked socket client is served by an in-process writer.
    let mut waiter = Sock::connect(&l);
    waiter.send(&["BLPOP", "q", "0"]);
    until_blocked(&e, 1);
    e.execute(&mut s, &["RPUSH", "q", "v"]);
    assert_eq!(waiter.read(), Reply::Array(vec![bulk("q"), bulk("v")]));
}

#[test]
fn a_subscriber_that_falls_behind_is_cut_off() {
    let e = Engine::new();
    e.shared()
        .config
        .set("client-output-buffer-limit", "pubsub 256kb 0 0")
        .unwrap();
    let l = listener(&e);
    // A socket subscriber that never reads, and an in-process one.
    let mut sock = Sock::connect(&l);
    sock.send(&["SUBSCRIBE", "ch"]);
    sock.read();
    let mut s = e.session();
    let inbox = s.inbox();
    e.execute(&mut s, &["SUBSCRIBE", "ch"]);
    let payload = "x".repeat(1000);
    let mut p = e.session();
    let started = Instant::now();
    for _ in 0..20_000 {
        e.execute(&mut p, &["PUBLISH", "ch", &payload]);
    }
    // 20 MB published without waiting for anyone.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(inbox.overflowed());
    assert!(inbox.len() < 300);
    // The socket client was disconnected: reading ends with EOF.
    sock.stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut total = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match sock.stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("still connected after {total} bytes: {e}"),
        }
    }
    assert!(total < 20_000 * 1000, "{total} bytes");
}

/// Waits until exactly `n` clients are blocked.
fn until_exactly_blocked(e: &Engine, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while e.shared().blocking.count() != n {
        assert!(
            Instant::now() < deadline,
            "never exactly {n} blocked clients"
        );
        thread::yield_now();
    }
}

/// Threads running `argv` in a loop until `stop`; they return the non-nil
/// replies they got (elements taken from under the waiters).
fn thieves(e: &Engine, stop: &Arc<AtomicBool>, argvs: &[&[&str]]) -> Vec<JoinHandle<Vec<Reply>>> {
    argvs
        .iter()
        .map(|argv| {
            let (e, stop) = (e.clone(), stop.clone());
            let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
            thread::spawn(move || {
                let mut s = e.session();
                let mut stolen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match e.execute(&mut s, &argv) {
                        Reply::Nil | Reply::NilArray => {}
                        other => stolen.push(other),
                    }
                }
                stolen
            })
        })
        .collect()
}

/// Redis serves blocked clients before any other command runs: once a push
/// makes a list ready, no other client can pop its elements before the
/// waiters have had them. Four BLPOP waiters, three threads popping the
/// same list in a tight loop, and a pusher that pushes only while all four
/// wait: every element reaches a waiter, exactly once, in push order, and
/// the poppers get nothing.
#[test]
fn waiters_are_served_before_concurrent_pops() {
    const WAITERS: usize = 4;
    const ROUNDS: usize = 400;
    let e = Engine::new();
    let waiters: Vec<JoinHandle<Vec<usize>>> = (0..WAITERS)
        .map(|_| {
            let e = e.clone();
            thread::spawn(move || {
                let mut s = e.session();
                let mut got = Vec::new();
                loop {
                    // A timeout, so that a stolen "end" fails the test
                    // instead of hanging it.
                    let v = match e.execute(&mut s, &["BLPOP", "q", "20"]) {
                        Reply::Array(v) => v,
                        other => panic!("BLPOP: {other:?}"),
                    };
                    match &v[1] {
                        Reply::Bulk(b) if b == b"end" => return got,
                        Reply::Bulk(b) => got.push(String::from_utf8_lossy(b).parse().unwrap()),
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let thieves = thieves(
        &e,
        &stop,
        &[
            &["LPOP", "q"],
            &["RPOP", "q"],
            &["LMOVE", "q", "elsewhere", "LEFT", "LEFT"],
        ],
    );
    let mut s = e.session();
    let mut next = 0;
    for round in 0..ROUNDS {
        until_exactly_blocked(&e, WAITERS);
        // One to four elements: never more than there are waiters.
        let n = 1 + round % WAITERS;
        let mut argv = vec!["RPUSH".to_string(), "q".into()];
        argv.extend((next..next + n).map(|i| i.to_string()));
        next += n;
        e.execute(&mut s, &argv);
    }
    until_exactly_blocked(&e, WAITERS);
    e.execute(&mut s, &["RPUSH", "q", "end", "end", "end", "end"]);
    let mut all = Vec::new();
    for w in waiters {
        let got = w.join().unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        all.extend(got);
    }
    stop.store(true, Ordering::Relaxed);
    let stolen: Vec<Reply> = thieves
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(stolen, Vec::<Reply>::new(), "taken from under the waiters");
    all.sort_unstable();
    assert_eq!(all, (0..next).collect::<Vec<_>>());
}

/// A key of `db`'s namespace named `prefix<n>` whose shard differs from
/// `other`'s (so that serving a BLMOVE into it needs a second shard).
fn key_in_another_shard(e: &Engine, prefix: &str, other: &str, skip: usize) -> String {
    let ks = &e.shared().keyspace;
    (0..)
        .map(|n| format!("{prefix}{n}"))
        .filter(|k| ks.shard_of(k.as_bytes()) != ks.shard_of(other.as_bytes()))
        .nth(skip)
        .expect("keys spread over the shards")
}

/// A client in `db` running `argv` in a loop until its reply is `end`;
/// returns the elements it got (BLPOP's second item, BLMOVE's bulk).
fn looping_waiter(e: &Engine, db: usize, argv: Vec<String>) -> JoinHandle<Vec<String>> {
    let e = e.clone();
    thread::spawn(move || {
        let mut s = e.session();
        e.execute(&mut s, &["SELECT", &db.to_string()]);
        let mut got = Vec::new();
        loop {
            let elem = match e.execute(&mut s, &argv) {
                Reply::Bulk(b) => b,
                Reply::Array(mut v) if v.len() == 2 => match v.pop() {
                    Some(Reply::Bulk(b)) => b,
                    other => panic!("{argv:?}: {other:?}"),
                },
                other => panic!("{argv:?}: {other:?}"),
            };
            let elem = String::from_utf8(elem).unwrap();
            if elem == "end" {
                return got;
            }
            got.push(elem);
        }
    })
}

/// The elements of list `key` in `db`.
fn list_in(e: &Engine, db: usize, key: &str) -> Vec<String> {
    let mut s = e.session();
    e.execute(&mut s, &["SELECT", &db.to_string()]);
    match e.execute(&mut s, &["LRANGE", key, "0", "-1"]) {
        Reply::Array(v) => v
            .into_iter()
            .map(|r| match r {
                Reply::Bulk(b) => String::from_utf8(b).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// The fairness of [`waiters_are_served_before_concurrent_pops`] where
/// serving takes more than the pushed key's shard and the push comes from
/// a transaction or a script: BLMOVE waiters whose destinations are in
/// other shards (one destination itself waited on by a BLPOP), waiters in
/// db 1, and pushes by RPUSH, by MULTI/EXEC over both dbs and by a script
/// over both dbs, with poppers on the source lists of both dbs. Every
/// element reaches a waiter (or a BLMOVE destination), none a popper.
#[test]
fn waiters_needing_other_shards_and_dbs_are_served_first() {
    const ROUNDS: usize = 300;
    let e = Engine::new();
    let src = "src";
    let dsts: Vec<String> = (0..3)
        .map(|i| key_in_another_shard(&e, "dst", src, i))
        .collect();
    let movers: Vec<_> = dsts
        .iter()
        .map(|dst| {
            let argv = ["BLMOVE", src, dst, "LEFT", "RIGHT", "20"];
            looping_waiter(&e, 0, argv.map(String::from).to_vec())
        })
        .collect();
    // Whatever the first BLMOVE moves, this BLPOP takes at once.
    let chained = looping_waiter(&e, 0, ["BLPOP", &dsts[0], "20"].map(String::from).to_vec());
    let others: Vec<_> = (0..2)
        .map(|_| looping_waiter(&e, 1, ["BLPOP", src, "20"].map(String::from).to_vec()))
        .collect();
    let waiting = 6;
    let stop = Arc::new(AtomicBool::new(false));
    let mut thieves = thieves(
        &e,
        &stop,
        &[&["LPOP", src], &["LMOVE", src, "stolen", "RIGHT", "LEFT"]],
    );
    // A popper in db 1 (SELECT is one of its own commands).
    thieves.extend(self::thieves(
        &e,
        &stop,
        &[&[
            "EVAL",
            "redis.call('select', 1) return redis.call('lpop', KEYS[1])",
            "1",
            src,
        ]],
    ));
    let mut s = e.session();
    let script = "redis.call('rpush', KEYS[1], ARGV[1]) redis.call('select', 1) \
                  redis.call('rpush', KEYS[1], ARGV[2])";
    let mut pushed = Vec::new();
    for round in 0..ROUNDS {
        until_exactly_blocked(&e, waiting);
        let (a, b) = (format!("a{round}"), format!("b{round}"));
        match round % 3 {
            0 => {
                e.execute(&mut s, &["RPUSH", src, &a, &b]);
                pushed.extend([a, b]);
            }
            1 => {
                for argv in [
                    &["MULTI"][..],
                    &["RPUSH", src, &a],
                    &["SELECT", "1"],
                    &["RPUSH", src, &b],
                    &["SELECT", "0"],
                ] {
                    e.execute(&mut s, argv);
                }
                let exec = e.execute(&mut s, &["EXEC"]);
                assert!(matches!(exec, Reply::Array(_)), "{exec:?}");
                pushed.extend([a, b]);
            }
            _ => {
                e.execute(&mut s, &["EVAL", script, "1", src, &a, &b]);
                pushed.extend([a, b]);
            }
        }
    }
    until_exactly_blocked(&e, waiting);
    e.execute(&mut s, &["RPUSH", src, "end", "end", "end"]);
    e.execute(&mut s, &["SELECT", "1"]);
    e.execute(&mut s, &["RPUSH", src, "end", "end"]);
    let join = |ws: Vec<JoinHandle<Vec<String>>>| -> Vec<String> {
        ws.into_iter().flat_map(|w| w.join().unwrap()).collect()
    };
    let moved = join(movers);
    let mut taken = join(others);
    let chained = chained.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    let stolen: Vec<Reply> = thieves
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(stolen, Vec::<Reply>::new(), "taken from under the waiters");
    assert!(!moved.is_empty() && !taken.is_empty() && !chained.is_empty());
    // Every element was taken from its source once, by a waiter ...
    taken.extend(moved.iter().cloned());
    taken.sort();
    pushed.sort();
    assert_eq!(taken, pushed);
    // ... and each moved one is in its destination or went on to the BLPOP.
    let mut landed: Vec<String> = dsts.iter().flat_map(|d| list_in(&e, 0, d)).collect();
    landed.retain(|x| x != "end");
    landed.extend(chained);
    landed.sort();
    let mut moved = moved;
    moved.sort();
    assert_eq!(landed, moved);
}

/// No deadlock and no lost element while BLMOVE waiters across shards come
/// and go (short timeouts) and other clients move elements between the
/// same lists with LMOVE, RPOPLPUSH, MULTI/EXEC and scripts: a few elements
/// over eight lists, so that waiters block often and serving chains from
/// list to list. Elements only move, so their number stays.
#[test]
fn moves_and_blocked_moves_across_shards_never_deadlock() {
    use rand::{Rng, SeedableRng};
    const KEYS: usize = 8;
    const ELEMENTS: usize = 6;
    let e = Engine::new();
    let mut s = e.session();
    for i in 0..ELEMENTS {
        e.execute(
            &mut s,
            &["RPUSH", &format!("k{}", i % KEYS), &i.to_string()],
        );
    }
    let (done, finished) = std::sync::mpsc::channel();
    let spawn = |seed: u64, job: fn(&Engine, &mut rand::rngs::SmallRng)| {
        let (e, done) = (e.clone(), done.clone());
        thread::spawn(move || {
            let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
            job(&e, &mut rng);
            done.send(()).unwrap();
        })
    };
    fn pick(rng: &mut rand::rngs::SmallRng) -> (String, String) {
        let a = rng.random_range(0..KEYS);
        let b = (a + rng.random_range(1..KEYS)) % KEYS;
        (format!("k{a}"), format!("k{b}"))
    }
    let mut threads = Vec::new();
    for seed in 0..4 {
        threads.push(spawn(seed, |e, rng| {
            let mut s = e.session();
            for _ in 0..300 {
                let (a, b) = pick(rng);
                e.execute(&mut s, &["BLMOVE", &a, &b, "LEFT", "RIGHT", "0.005"]);
            }
        }));
    }
    for seed in 10..13 {
        threads.push(spawn(seed, |e, rng| {
            let mut s = e.session();
            for i in 0..1500 {
                let (a, b) = pick(rng);
                let (c, d) = pick(rng);
                match i % 4 {
                    0 => {
                        e.execute(&mut s, &["LMOVE", &a, &b, "RIGHT", "LEFT"]);
                    }
                    1 => {
                        e.execute(&mut s, &["RPOPLPUSH", &a, &b]);
                    }
                    2 => {
                        e.execute(&mut s, &["MULTI"]);
                        e.execute(&mut s, &["LMOVE", &a, &b, "LEFT", "LEFT"]);
                        e.execute(&mut s, &["LMOVE", &c, &d, "RIGHT", "RIGHT"]);
                        e.execute(&mut s, &["EXEC"]);
                    }
                    _ => {
                        let script = "redis.call('lmove', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') \
                                      return redis.call('lmove', KEYS[3], KEYS[4], 'LEFT', 'RIGHT')";
                        e.execute(&mut s, &["EVAL", script, "4", &a, &b, &c, &d]);
                    }
                }
            }
        }));
    }
    for _ in 0..threads.len() {
        finished
            .recv_timeout(Duration::from_secs(120))
            .expect("a client still running after 2 minutes: deadlock");
    }
    for t in threads {
        t.join().unwrap();
    }
    let total: i64 = (0..KEYS)
        .map(|i| match e.execute(&mut s, &["LLEN", &format!("k{i}")]) {
            Reply::Int(n) => n,
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(total, ELEMENTS as i64);
    assert_eq!(e.shared().blocking.count(), 0);
}
