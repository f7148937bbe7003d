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
use std::sync::{Arc, Barrier};
use std::thread;
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
