//! Connection-level commands and limits through the listener: CLIENT
//! LIST/KILL/PAUSE/REPLY, QUIT, INFO clients, maxclients, idle timeout,
//! query and output buffer limits, and the in-process session seeing the
//! same data as network clients.

use crate::support::{Served, eventually};
use std::time::{Duration, Instant};

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

#[test]
fn client_list_shows_every_connection() {
    let served = Served::start();
    let mut a = served.client();
    let mut b = served.client();
    a.text(&["CLIENT", "SETNAME", "alpha"]);
    b.text(&["SELECT", "3"]);
    b.text(&["CLIENT", "SETINFO", "LIB-NAME", "py"]);
    let list = a.text(&["CLIENT", "LIST"]);
    let lines: Vec<&str> = list.lines().filter(|l| l.contains("id=")).collect();
    assert_eq!(lines.len(), 2, "{list}");
    let me = lines.iter().find(|l| l.contains("name=alpha")).unwrap();
    assert_eq!(field(me, "cmd"), "client|list");
    assert!(field(me, "addr").starts_with("127.0.0.1:"));
    assert_eq!(field(me, "laddr"), format!("127.0.0.1:{}", served.port));
    let other = lines.iter().find(|l| !l.contains("name=alpha")).unwrap();
    assert_eq!(field(other, "db"), "3");
    assert_eq!(field(other, "lib-name"), "py");
    assert_eq!(field(other, "cmd"), "client|setinfo");
    // The in-process session lists itself with the network clients.
    let mut s = served.engine.session();
    let kvstore_core::Reply::Verbatim(_, text) = served.engine.execute(&mut s, &["CLIENT", "LIST"])
    else {
        panic!("CLIENT LIST")
    };
    let text = String::from_utf8(text).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("addr=?:0"), "{text}");
    let info = a.text(&["INFO", "clients"]);
    assert!(info.contains("connected_clients:2\r\n"), "{info}");
    let id_b = field(other, "id");
    let one = a.text(&["CLIENT", "LIST", "ID", id_b]);
    assert_eq!(one.matches("id=").count(), 1, "{one}");
    assert_eq!(a.text(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n");
}

#[test]
fn client_kill_closes_the_other_connection() {
    let served = Served::start();
    let mut a = served.client();
    let mut b = served.client();
    let mut c = served.client();
    let id_b = b.text(&["CLIENT", "ID"]);
    let id_b = id_b.trim_start_matches(':').trim();
    assert_eq!(a.text(&["CLIENT", "KILL", "ID", id_b]), ":1\r\n");
    b.read_to_close(Duration::from_secs(5));
    // Old form, by address; then the caller kills itself (SKIPME no).
    let list = c.text(&["CLIENT", "INFO"]);
    let addr_c = field(&list, "addr").to_string();
    assert_eq!(a.text(&["CLIENT", "KILL", &addr_c]), "+OK\r\n");
    c.read_to_close(Duration::from_secs(5));
    assert_eq!(a.text(&["CLIENT", "KILL", "TYPE", "normal"]), ":0\r\n");
    assert_eq!(
        a.text(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]),
        ":1\r\n"
    );
    a.read_to_close(Duration::from_secs(5));
    let mut d = served.client();
    assert_eq!(d.text(&["PING"]), "+PONG\r\n");
    eventually(Duration::from_secs(5), "closed clients gone", || {
        served.engine.shared().clients.len() == 1
    });
}

#[test]
fn client_pause_write_holds_writes_not_reads() {
    let served = Served::start();
    let mut a = served.client();
    let mut b = served.client();
    a.text(&["SET", "k", "1"]);
    assert_eq!(a.text(&["CLIENT", "PAUSE", "300", "WRITE"]), "+OK\r\n");
    let t = Instant::now();
    assert_eq!(b.text(&["GET", "k"]), "$1\r\n1\r\n");
    assert!(t.elapsed() < Duration::from_millis(250));
    assert_eq!(b.text(&["INCR", "k"]), ":2\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    // ALL holds every command, until UNPAUSE.
    assert_eq!(a.text(&["CLIENT", "PAUSE", "10000", "ALL"]), "+OK\r\n");
    b.send(b"PING\r\n");
    std::thread::sleep(Duration::from_millis(200));
    let mut s = served.engine.session();
    served.engine.execute(&mut s, &["CLIENT", "UNPAUSE"]);
    assert_eq!(b.reply_raw(), b"+PONG\r\n");
}

#[test]
fn client_reply_and_quit() {
    let served = Served::start();
    let mut a = served.client();
    a.send(b"CLIENT REPLY OFF\r\nSET a 1\r\nCLIENT REPLY ON\r\nGET a\r\n");
    assert_eq!(a.reply_raw(), b"+OK\r\n");
    assert_eq!(a.reply_raw(), b"$1\r\n1\r\n");
    a.send(b"CLIENT REPLY SKIP\r\nINCR a\r\nGET a\r\n");
    assert_eq!(a.reply_raw(), b"$1\r\n2\r\n");
    a.send(b"QUIT\r\nPING\r\n");
    assert_eq!(a.read_to_close(Duration::from_secs(5)), b"+OK\r\n");
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let served = Served::start();
    served
        .engine
        .shared()
        .config
        .set("maxclients", "2")
        .unwrap();
    let mut a = served.client();
    let _b = served.client();
    a.text(&["PING"]);
    let mut c = served.client();
    assert_eq!(
        c.read_to_close(Duration::from_secs(5)),
        b"-ERR max number of clients reached\r\n"
    );
    let info = a.text(&["INFO", "stats"]);
    assert!(info.contains("rejected_connections:1\r\n"), "{info}");
}

#[test]
fn idle_clients_time_out() {
    let served = Served::start();
    served.engine.shared().config.set("timeout", "1").unwrap();
    let mut a = served.client();
    a.text(&["PING"]);
    let t = Instant::now();
    a.read_to_close(Duration::from_secs(6));
    assert!(t.elapsed() >= Duration::from_millis(900));
}

#[test]
fn query_buffer_limit_closes() {
    let served = Served::start();
    served
        .engine
        .shared()
        .config
        .set("client-query-buffer-limit", "1mb")
        .unwrap();
    let mut a = served.client();
    let mut big = b"*2\r\n$4\r\nECHO\r\n$3000000\r\n".to_vec();
    big.extend(vec![b'x'; 1_500_000]);
    let _ = std::io::Write::write_all(&mut a.stream, &big);
    a.read_to_close(Duration::from_secs(5));
    assert_eq!(served.client().text(&["PING"]), "+PONG\r\n");
}

#[test]
fn output_buffer_limit_closes_a_client_that_does_not_read() {
    let served = Served::start();
    let config = &served.engine.shared().config;
    config
        .set("client-output-buffer-limit", "normal 1mb 0 0")
        .unwrap();
    let mut a = served.client();
    a.text(&["SET", "big", &"x".repeat(100_000)]);
    // 100 replies of 100 KB: far past 1 MB, never read.
    let mut pipe = Vec::new();
    for _ in 0..100 {
        pipe.extend_from_slice(b"GET big\r\n");
    }
    a.send(&pipe);
    eventually(Duration::from_secs(5), "the client closed", || {
        served.engine.shared().clients.is_empty()
    });
}

/// S9: an unauthenticated client pipelining a million PINGs without
/// reading is disconnected once its replies pass 1 MiB.
#[test]
fn unauthenticated_replies_are_capped() {
    let served = Served::start();
    served
        .engine
        .shared()
        .config
        .set("requirepass", "pw")
        .unwrap();
    let mut a = served.client();
    let pings = b"PING\r\n".repeat(1_000_000);
    let writer = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut a.stream, &pings);
    });
    eventually(Duration::from_secs(10), "the client closed", || {
        served.engine.shared().clients.is_empty()
    });
    writer.join().unwrap();
}

#[test]
fn in_process_and_network_clients_share_the_data() {
    let served = Served::start();
    let mut s = served.engine.session();
    served.engine.execute(&mut s, &["SET", "from-process", "1"]);
    let mut a = served.client();
    assert_eq!(a.text(&["GET", "from-process"]), "$1\r\n1\r\n");
    a.text(&["HSET", "h", "f", "v"]);
    assert_eq!(
        served.engine.execute(&mut s, &["HGET", "h", "f"]),
        kvstore_core::Reply::Bulk(b"v".to_vec())
    );
}

#[test]
fn no_touch_leaves_access_times() {
    let served = Served::start();
    let mut a = served.client();
    a.text(&["SET", "k", "v"]);
    assert_eq!(a.text(&["CLIENT", "NO-TOUCH", "ON"]), "+OK\r\n");
    let info = a.text(&["CLIENT", "INFO"]);
    assert!(field(&info, "flags").contains('T'), "{info}");
    assert_eq!(
        a.text(&["CLIENT", "NO-TOUCH", "maybe"]),
        "-ERR syntax error\r\n"
    );
}

/// Many clients at once, each on its own keys, over both workers.
#[test]
fn parallel_clients() {
    let served = Served::start();
    let port = served.port;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = crate::support::Raw::connect(port);
                for i in 0..500 {
                    let key = format!("k{t}:{}", i % 10);
                    c.call(&["INCR", &key]);
                }
                c.text(&["GET", &format!("k{t}:0")])
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "$2\r\n50\r\n");
    }
}
