//! Raw protocol: every input is sent to redis-server and to the listener on
//! a fresh connection each, and the bytes received (and whether the server
//! closed the connection) must be the same. Bad input closes the
//! connection after Redis's protocol error; other clients keep being
//! served; nothing is allocated from a declared length.

use crate::support::{RedisServer, Served, eventually};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What a server sends back to `input` on a new connection within a short
/// while, and whether it closed the connection.
fn exchange(port: u16, input: &[u8], want: Option<&(Vec<u8>, bool)>) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    // Write what the server takes (it may close before reading it all).
    let _ = s.write_all(input);
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut out = Vec::new();
    let start = Instant::now();
    // 400 ms of quiet ends an exchange; while less than `want` (the other
    // server's answer) has arrived, a loaded machine gets up to 5 s.
    let waiting = |out: &Vec<u8>| want.is_some_and(|(w, closed)| out.len() < w.len() || *closed);
    let mut chunk = [0u8; 65536];
    loop {
        let limit = if waiting(&out) { 5000 } else { 400 };
        if start.elapsed() >= Duration::from_millis(limit) {
            return (out, false);
        }
        match s.read(&mut chunk) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, true),
            Err(_) => {}
        }
    }
}

/// The bytes with client ids (HELLO's `id` field) masked: the two servers
/// number their clients differently.
fn mask_ids(mut bytes: Vec<u8>) -> Vec<u8> {
    const AT: &[u8] = b"$2\r\nid\r\n:";
    let mut i = 0;
    while let Some(p) = bytes[i..].windows(AT.len()).position(|w| w == AT) {
        let start = i + p + AT.len();
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        bytes.splice(start..end, *b"N");
        i = start;
    }
    bytes
}

/// Inputs whose replies must match Redis's exactly (no password set).
fn inputs() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        &b"PING\r\n"[..],
        b"PING\nPING\n",
        b"*3000000000\r\n",
        b"*2147483648\r\n",
        b"*-10\r\nPING\r\n",
        b"*-1\r\nPING\r\n",
        b"*0\r\nPING\r\n",
        b"$-5\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
        b"*1\r\n$1073741824\r\n",
        b"*1\r\nfoo\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
        b"\r\nPING\r\n",
        b"set \"\"\"test-key\"\"\" test-value\r\n",
        b"*1\r\n$4\r\nPING\r\n*x\r\n",
        b"*1\r\n$4\r\nPINGxx",
        b"*1\r\n$-1\r\n",
        b"*1\r\n$0\r\n\r\n",
        b"*01\r\n$4\r\nPING\r\n",
        b"*1\n$4\nPING\r\n",
        b"*2\r\n$4\r\nECHO\r\n$5\r\nhel",
        b"QUIT\r\nPING\r\n",
        b"ECHO \"a\\x41\\n\" 'b c'\r\n",
        b"\x00\r\n",
        b"*\x00\r\n",
        b"*1\r\n*1\r\n*1\r\n$4\r\nPING\r\n",
        b"HELLO 3\r\nPING\r\nHELLO 2\r\nPING\r\n",
        b"HELLO 4\r\n",
        b"CLIENT NOSUCH\r\n",
        b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n",
        b"CLIENT REPLY SKIP\r\nECHO a\r\nECHO b\r\n",
        b"CLIENT REPLY maybe\r\n",
        b"CLIENT PAUSE x\r\nCLIENT PAUSE -1\r\nCLIENT PAUSE 1 foo\r\nCLIENT PAUSE 1 a b\r\n",
        b"CLIENT KILL 1.2.3.4:5\r\nCLIENT KILL ID 0\r\nCLIENT KILL ID 5 TYPE foo\r\nCLIENT KILL USER bob\r\n",
        b"CLIENT KILL SKIPME maybe\r\nCLIENT KILL foo bar\r\nCLIENT KILL ID 99999\r\nCLIENT KILL ID\r\n",
        b"CLIENT UNBLOCK 5\r\nCLIENT UNBLOCK x\r\nCLIENT UNBLOCK 5 foo\r\nCLIENT NO-EVICT maybe\r\n",
        b"SHUTDOWN foo\r\nSHUTDOWN ABORT\r\nSHUTDOWN SAVE NOSAVE\r\nSHUTDOWN ABORT NOW\r\n",
        b"AUTH x\r\nAUTH default x\r\nAUTH a b c\r\nAUTH bob x\r\n",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    // Count and header lines past the inline limit without their end.
    v.push([&b"*"[..], &[b'1'; 70_000]].concat());
    v.push([&b"*2\r\n$3\r\nGET\r\n$"[..], &[b'1'; 70_000]].concat());
    v.push(vec![b'a'; 70_000]);
    // A NUL before the line end, then an endless-looking stream (S3).
    for start in [&b"\x00"[..], b"*\x00", b"$\x00"] {
        v.push([start, &b"AAAA\n".repeat(20_000)].concat());
    }
    v
}

#[test]
fn raw_replies_match_redis_byte_for_byte() {
    let redis = RedisServer::start();
    let ours = Served::start();
    let mut bad = Vec::new();
    for input in inputs() {
        let theirs = exchange(redis.port, &input, None);
        let got = exchange(ours.port, &input, Some(&theirs));
        let (theirs, got) = ((mask_ids(theirs.0), theirs.1), (mask_ids(got.0), got.1));
        if theirs != got {
            bad.push(format!(
                "input {:?}\n  redis:   {:?} closed={}\n  kvstore: {:?} closed={}",
                String::from_utf8_lossy(&input[..input.len().min(80)]),
                String::from_utf8_lossy(&theirs.0),
                theirs.1,
                String::from_utf8_lossy(&got.0),
                got.1
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn unauthenticated_limits_match_redis() {
    let redis = RedisServer::start();
    let mut admin = crate::harness::Client::connect(redis.port);
    admin.call(&["CONFIG", "SET", "requirepass", "secret"]);
    let ours = Served::start();
    ours.engine
        .shared()
        .config
        .set("requirepass", "secret")
        .unwrap();
    let cases: &[&[u8]] = &[
        b"*100\r\n",
        b"*11\r\n",
        b"*1\r\n$100000000\r\n",
        b"*2\r\n$4\r\nPING\r\n$16385\r\n",
        b"PING\r\nGET\r\nFOO\r\nCLIENT ID\r\nRESET\r\n",
        b"HELLO 3\r\n",
        b"HELLO 3 AUTH default wrong\r\n",
        b"AUTH wrong\r\nAUTH secret\r\nPING\r\nAUTH default secret\r\n",
        b"AUTH secret\r\nRESET\r\nPING\r\n",
        b"HELLO 2 AUTH default secret SETNAME n\r\nCLIENT GETNAME\r\n",
        b"AUTH secret\r\n*100\r\n",
    ];
    for input in cases {
        let theirs = exchange(redis.port, input, None);
        let got = exchange(ours.port, input, Some(&theirs));
        let (theirs, got) = ((mask_ids(theirs.0), theirs.1), (mask_ids(got.0), got.1));
        assert_eq!(
            (String::from_utf8_lossy(&theirs.0), theirs.1),
            (String::from_utf8_lossy(&got.0), got.1),
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

/// Sends garbage on many connections at once while a well-behaved client
/// keeps being served, and the server stays up.
#[test]
fn garbage_never_stops_other_clients() {
    use rand::{Rng, SeedableRng};
    let served = Served::start();
    let mut good = served.client();
    assert_eq!(good.text(&["SET", "k", "v"]), "+OK\r\n");
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed);
    let alphabet = b"*$\r\n0123456789-+ \"'\\\x00abcPING";
    for round in 0..300 {
        let n = rng.random_range(1..200);
        let junk: Vec<u8> = (0..n)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        let mut s = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
        let _ = s.write_all(&junk);
        drop(s);
        if round % 25 == 0 {
            assert_eq!(good.text(&["GET", "k"]), "$1\r\nv\r\n");
        }
    }
    let mut fresh = served.client();
    assert_eq!(fresh.text(&["PING"]), "+PONG\r\n");
    assert_eq!(good.text(&["GET", "k"]), "$1\r\nv\r\n");
}

/// A huge declared bulk with few bytes behind it, and a huge count,
/// leave the connection waiting (no error, no allocation) and others served.
#[test]
fn huge_declared_lengths_wait_without_harm() {
    let served = Served::start();
    let mut a = served.client();
    a.send(b"*1\r\n$536870912\r\n0123456789");
    let mut b = served.client();
    b.send(b"*2147483647\r\n");
    let mut c = served.client();
    assert_eq!(c.text(&["PING"]), "+PONG\r\n");
    // A connection is listed once its worker adopted it, which can come
    // after a later connection's command.
    let mut list = String::new();
    eventually(Duration::from_secs(5), "3 clients listed", || {
        list = c.text(&["CLIENT", "LIST"]);
        list.matches("id=").count() == 3
    });
    // The pending 512 MB argument holds only what arrived.
    assert!(list.contains("qbuf=26 "), "{list}");
}

/// Inline commands and pipelines over the unix socket.
#[test]
fn unix_socket_serves_inline_and_pipelines() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixStream;
    let served = Served::start();
    let mode = std::fs::metadata(&served.sock)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    let mut s = UnixStream::connect(&served.sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"SET a 1\r\nINCR a\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nCLIENT INFO\r\n")
        .unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    while !out.ends_with(b"\n\r\n") {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0);
        out.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("+OK\r\n:2\r\n$1\r\n2\r\n$"), "{text}");
    let sock = served.sock.to_string_lossy();
    assert!(
        text.contains(&format!("addr={sock}:0 laddr={sock}:0")),
        "{text}"
    );
    assert!(text.contains("flags=U "), "{text}");
}
