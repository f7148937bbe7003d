//! `kvstore-server`'s data directory: the snapshot loaded at startup, the
//! final save of SHUTDOWN [SAVE|NOSAVE] and SIGTERM as redis-server 7.0
//! makes it, `dbfilename`, redis-server loading what we wrote, and the
//! startup errors (a held directory, a corrupt snapshot), and `appendonly
//! yes` (writes logged to the append-only file, replayed at restart).

use crate::binary::{BIN, Server, dir_arg, free_port};
use crate::support::{Raw, eventually, temp_dir};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Writes every type, an expiry and a second db.
fn write_sample(c: &mut Raw) {
    for argv in [
        &["SET", "s", "hello"][..],
        &["SET", "n", "12345"],
        &["SET", "big", &"x".repeat(10_000)],
        &["HSET", "h", "a", "1", "b", "2"],
        &["RPUSH", "l", "1", "two", "3"],
        &["SADD", "set", "x", "y", "z"],
        &["ZADD", "z", "1.5", "m", "2", "n"],
        &["SET", "ttl", "v", "EX", "1000"],
        &["SELECT", "3"],
        &["SET", "other", "db3"],
        &["SELECT", "0"],
    ] {
        let r = c.text(argv);
        assert!(!r.starts_with('-'), "{argv:?}: {r}");
    }
}

/// The sample's contents as the server returns them (set members sorted:
/// their order is the server's business).
fn read_sample(c: &mut Raw) -> Vec<String> {
    let ttl = c.text(&["TTL", "ttl"]);
    let ttl: i64 = ttl.trim_start_matches(':').trim().parse().unwrap();
    let mut out: Vec<String> = [
        &["GET", "s"][..],
        &["GET", "n"],
        &["STRLEN", "big"],
        &["HGETALL", "h"],
        &["LRANGE", "l", "0", "-1"],
        &["SORT", "set", "ALPHA"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["DBSIZE"],
        &["SELECT", "3"],
        &["GET", "other"],
        &["SELECT", "0"],
    ]
    .iter()
    .map(|argv| c.text(argv))
    .collect();
    out.push(format!("ttl in range: {}", (990..=1000).contains(&ttl)));
    out
}

/// Asks for SHUTDOWN with `args`; waits for a clean exit.
fn shutdown(s: &mut Server, args: &[&str]) {
    let mut argv = vec!["SHUTDOWN"];
    argv.extend_from_slice(args);
    let mut c = s.client();
    c.send(format!("{}\r\n", argv.join(" ")).as_bytes());
    assert!(s.wait_exit().success());
}

/// redis-server on `dir`, loading `dbfilename` from it.
struct RealServer {
    child: Child,
    port: u16,
}

impl RealServer {
    fn start(dir: &Path, dbfilename: &str) -> RealServer {
        let port = free_port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", &dir_arg(dir), "--dbfilename", dbfilename])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        eventually(Duration::from_secs(10), "redis-server answers", || {
            assert!(child.try_wait().unwrap().is_none(), "redis-server exited");
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        RealServer { child, port }
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary in the foreground (it must fail to start).
fn run_failing(args: &[&str]) -> Output {
    let port = free_port().to_string();
    let out = Command::new(BIN)
        .args(args)
        .args(["--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?} started: {out:?}");
    out
}

#[test]
fn shutdown_save_then_restart_keeps_the_data_and_redis_loads_it() {
    let dir = temp_dir("data-roundtrip");
    let log = dir.join("server.log");
    // No save rules: SHUTDOWN SAVE saves anyway.
    let args = [
        "--dir",
        &dir_arg(&dir),
        "--dbfilename",
        "data.rdb",
        "--save",
        "",
        "--logfile",
        &dir_arg(&log),
    ];
    let mut s = Server::start(&args);
    let mut c = s.client();
    write_sample(&mut c);
    let before = read_sample(&mut c);
    assert_eq!(before.last().unwrap(), "ttl in range: true");
    shutdown(&mut s, &["SAVE"]);
    assert!(dir.join("data.rdb").exists());
    assert!(!dir.join("dump.rdb").exists());

    let mut s = Server::start(&args);
    let mut c = s.client();
    assert_eq!(read_sample(&mut c), before);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("* Done loading RDB, keys loaded: 9, keys expired: 0.")
            && text.contains("* DB loaded from disk: ")
            && text.contains(" seconds\n"),
        "{text}"
    );
    let loaded = text.find("DB loaded from disk").unwrap();
    assert!(text[loaded..].contains("* Ready to accept connections"));
    let r = c.text(&["CONFIG", "GET", "dbfilename"]);
    assert!(r.ends_with("$8\r\ndata.rdb\r\n"), "{r}");
    shutdown(&mut s, &["NOSAVE"]);

    // redis-server 7.0 reads the same file with the same contents.
    let real = RealServer::start(&dir, "data.rdb");
    assert_eq!(read_sample(&mut Raw::connect(real.port)), before);
}

#[test]
fn sigterm_saves_only_with_save_rules() {
    let dir = temp_dir("data-term");
    let mut s = Server::start(&["--dir", &dir_arg(&dir), "--save", "900 1"]);
    s.client().text(&["SET", "k", "v"]);
    s.terminate();
    assert!(s.wait_exit().success());
    assert!(dir.join("dump.rdb").exists());
    let mut s = Server::start(&["--dir", &dir_arg(&dir), "--save", ""]);
    let mut c = s.client();
    assert_eq!(c.text(&["GET", "k"]), "$1\r\nv\r\n");
    c.text(&["SET", "k", "changed"]);
    s.terminate();
    assert!(s.wait_exit().success());
    // Without save rules nothing was written: the old value comes back.
    let s = Server::start(&["--dir", &dir_arg(&dir)]);
    assert_eq!(s.client().text(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn shutdown_saves_as_asked_or_as_configured() {
    let dir = temp_dir("data-shutdown");
    let d = dir_arg(&dir);
    // NOSAVE never saves, even with save rules.
    let mut s = Server::start(&["--dir", &d, "--save", "900 1"]);
    s.client().text(&["SET", "k", "1"]);
    shutdown(&mut s, &["NOSAVE"]);
    assert!(!dir.join("dump.rdb").exists());
    // Plain SHUTDOWN saves when save rules are configured...
    let mut s = Server::start(&["--dir", &d, "--save", "900 1"]);
    s.client().text(&["SET", "k", "2"]);
    shutdown(&mut s, &[]);
    assert!(dir.join("dump.rdb").exists());
    // ... and not without them.
    let mut s = Server::start(&["--dir", &d, "--save", ""]);
    s.client().text(&["SET", "k", "3"]);
    shutdown(&mut s, &[]);
    let mut s = Server::start(&["--dir", &d, "--save", ""]);
    assert_eq!(s.client().text(&["GET", "k"]), "$1\r\n2\r\n");
    shutdown(&mut s, &["NOSAVE"]);
}

#[test]
fn a_failed_final_save_keeps_serving() {
    let dir = temp_dir("data-fail");
    let mut s = Server::start(&["--dir", &dir_arg(&dir)]);
    let mut c = s.client();
    c.text(&["SET", "k", "v"]);
    // A directory where the file goes: the rename fails, even as root.
    std::fs::create_dir(dir.join("dump.rdb")).unwrap();
    assert_eq!(
        c.text(&["SHUTDOWN", "SAVE"]),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    // Writes paused for the save run again.
    assert_eq!(c.text(&["SET", "k", "w"]), "+OK\r\n");
    std::fs::remove_dir(dir.join("dump.rdb")).unwrap();
    shutdown(&mut s, &["SAVE"]);
    let s = Server::start(&["--dir", &dir_arg(&dir)]);
    assert_eq!(s.client().text(&["GET", "k"]), "$1\r\nw\r\n");
}

#[test]
fn a_held_directory_or_a_corrupt_snapshot_stops_startup() {
    let dir = temp_dir("data-held");
    let s = Server::start(&["--dir", &dir_arg(&dir)]);
    let out = run_failing(&["--dir", &dir_arg(&dir)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# Fatal error loading the DB: data directory")
            && text.contains(&format!("in use by process {}", s.child.id())),
        "{text}"
    );
    drop(s);

    let dir = temp_dir("data-corrupt");
    std::fs::write(dir.join("dump.rdb"), b"REDIS0010garbage").unwrap();
    let out = run_failing(&["--dir", &dir_arg(&dir)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Fatal error loading the DB: ")
            && text.contains("dump.rdb: bad RDB data at offset"),
        "{text}"
    );
    // Nothing was overwritten.
    assert_eq!(
        std::fs::read(dir.join("dump.rdb")).unwrap(),
        b"REDIS0010garbage"
    );
}

#[test]
fn appendonly_yes_logs_writes_and_replays_them() {
    let dir = temp_dir("data-aof");
    let mut s = Server::start(&["--dir", &dir_arg(&dir), "--appendonly", "yes", "--save", ""]);
    let mut c = s.client();
    assert_eq!(c.text(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.text(&["RPUSH", "l", "a", "b"]), ":2\r\n");
    shutdown(&mut s, &["NOSAVE"]);
    assert!(dir.join("appendonly.aof").exists());
    assert!(!dir.join("dump.rdb").exists());
    // The last directive wins, as in redis-server: the file is replayed.
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "appendonly no\n").unwrap();
    let s = Server::start(&[
        &dir_arg(&conf),
        "--dir",
        &dir_arg(&dir),
        "--appendonly",
        "yes",
    ]);
    let mut c = s.client();
    assert_eq!(c.text(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(c.text(&["LLEN", "l"]), ":2\r\n");
    let r = c.text(&["CONFIG", "GET", "appendonly"]);
    assert!(r.ends_with("$3\r\nyes\r\n"), "{r}");
}

#[test]
fn with_appendfsync_always_every_answered_write_survives_kill_9() {
    let dir = temp_dir("data-aof-always");
    let args = [
        "--dir",
        &dir_arg(&dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
    ];
    let mut s = Server::start(&args);
    // Several connections writing at once: their replies are held until
    // one fsync covers them all.
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let mut c = s.client();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let key = format!("t{t}:{i}");
                    assert_eq!(c.text(&["SET", &key, "v"]), "+OK\r\n");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    s.child.kill().unwrap();
    s.wait_exit();
    let s = Server::start(&args);
    let mut c = s.client();
    assert_eq!(c.text(&["DBSIZE"]), ":800\r\n");
}
