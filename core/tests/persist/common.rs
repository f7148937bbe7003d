//! Shared helpers: temporary directories, a redis-server started on one,
//! a mixed dataset of every type and encoding, and a normalized picture of
//! a whole keyspace for comparing two stores.

use crate::harness::Client;
use kvstore_core::resp::{Limits, decode, encode};
use kvstore_core::{Engine, Reply, Session};
use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A directory removed (with its contents) on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh empty directory.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("kvstore-persist-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// `name` inside it.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A redis-server whose data directory is `dir` (loading its dump.rdb).
pub struct Server {
    child: Child,
    /// Its port on 127.0.0.1 (the AOF tests open more clients on it).
    #[allow(dead_code)]
    pub port: u16,
    /// A connected client.
    pub client: Client,
}

impl Server {
    /// Starts redis-server on a free port with `--dir dir`, waiting until it
    /// has loaded its data and answers.
    pub fn start(dir: &Path) -> Server {
        Server::start_with(dir, &["--appendonly", "no"])
    }

    /// [`Server::start`] with `extra` arguments (later ones win, so they
    /// may override the defaults: `--appendonly yes`, ...).
    pub fn start_with(dir: &Path, extra: &[&str]) -> Server {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--dir", &dir.to_string_lossy(), "--dbfilename", "dump.rdb"])
                .args(["--save", "", "--loglevel", "warning"])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server must be installed");
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    let mut client = Client::connect(port);
                    // Answers LOADING until the dump is in.
                    loop {
                        match client.call(&["PING"]) {
                            Reply::Error(e) if e.starts_with("LOADING") => {
                                std::thread::sleep(Duration::from_millis(20))
                            }
                            _ => break,
                        }
                    }
                    return Server {
                        child,
                        port,
                        client,
                    };
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `argv` on the engine and passes the reply through the RESP2 wire
/// format, so it compares with a server's decoded reply.
pub fn ours(engine: &Engine, s: &mut Session, argv: &[&[u8]]) -> Reply {
    let r = engine.execute(s, argv);
    let mut wire = Vec::new();
    encode(&r, s.proto, &mut wire);
    decode(&wire, &Limits::default()).unwrap().unwrap().0
}

/// A store under test: something that answers commands.
pub trait Store {
    /// Runs one command.
    fn call(&mut self, argv: &[&[u8]]) -> Reply;
}

impl Store for Client {
    fn call(&mut self, argv: &[&[u8]]) -> Reply {
        Client::call(self, argv)
    }
}

impl Store for (&Engine, &mut Session) {
    fn call(&mut self, argv: &[&[u8]]) -> Reply {
        ours(self.0, self.1, argv)
    }
}

fn bulk(r: Reply) -> Vec<u8> {
    match r {
        Reply::Bulk(b) => b,
        Reply::Status(s) => s.as_bytes().to_vec(),
        other => panic!("expected a bulk reply, got {other:?}"),
    }
}

fn array(r: Reply) -> Vec<Reply> {
    match r {
        Reply::Array(v) => v,
        other => panic!("expected an array, got {other:?}"),
    }
}

fn int(r: Reply) -> i64 {
    match r {
        Reply::Int(i) => i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Every key of every db: (db, key) → type, contents (order-free
/// collections sorted), absolute expiry and OBJECT ENCODING.
pub type Picture = BTreeMap<(usize, Vec<u8>), String>;

/// The picture of the whole store, using only DEBUG-free commands.
pub fn picture(store: &mut dyn Store) -> Picture {
    let mut out = Picture::new();
    for db in 0..16usize {
        store.call(&[b"SELECT", db.to_string().as_bytes()]);
        let mut keys: Vec<Vec<u8>> = array(store.call(&[b"KEYS", b"*"]))
            .into_iter()
            .map(bulk)
            .collect();
        keys.sort();
        for key in keys {
            let k = key.as_slice();
            let ty = String::from_utf8(bulk(store.call(&[b"TYPE", k]))).unwrap();
            let body: Vec<Vec<u8>> = match ty.as_str() {
                "string" => vec![bulk(store.call(&[b"GET", k]))],
                "list" => array(store.call(&[b"LRANGE", k, b"0", b"-1"]))
                    .into_iter()
                    .map(bulk)
                    .collect(),
                "set" => {
                    let mut m: Vec<Vec<u8>> = array(store.call(&[b"SMEMBERS", k]))
                        .into_iter()
                        .map(bulk)
                        .collect();
                    m.sort();
                    m
                }
                "zset" => array(store.call(&[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]))
                    .into_iter()
                    .map(bulk)
                    .collect(),
                "hash" => {
                    let flat: Vec<Vec<u8>> = array(store.call(&[b"HGETALL", k]))
                        .into_iter()
                        .map(bulk)
                        .collect();
                    let mut pairs: Vec<Vec<u8>> = flat
                        .chunks(2)
                        .map(|c| [&c[0][..], b"=", &c[1][..]].concat())
                        .collect();
                    pairs.sort();
                    pairs
                }
                other => panic!("unexpected type {other}"),
            };
            let at = int(store.call(&[b"PEXPIRETIME", k]));
            let enc = String::from_utf8(bulk(store.call(&[b"OBJECT", b"ENCODING", k]))).unwrap();
            let body: Vec<String> = body
                .iter()
                .map(|b| format!("{:?}", String::from_utf8_lossy(b)))
                .collect();
            out.insert(
                (db, key.clone()),
                format!("{ty} {enc} expire={at} [{}]", body.join(", ")),
            );
        }
    }
    store.call(&[b"SELECT", b"0"]);
    out
}

/// Asserts two pictures are equal, listing the keys that differ.
pub fn assert_same(a: &Picture, b: &Picture, what: &str) {
    let mut bad = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            Some(w) if w == v => {}
            Some(w) => bad.push(format!("{k:?}:\n    {v}\n    {w}")),
            None => bad.push(format!("{k:?}: missing on the right")),
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        bad.push(format!("{k:?}: missing on the left"));
    }
    let shown: Vec<&String> = bad.iter().take(10).collect();
    assert!(
        bad.is_empty(),
        "{what}: {} keys differ:\n{}",
        bad.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(!a.is_empty(), "{what}: nothing compared");
}

/// Commands building a dataset with every type in its small and large
/// encodings, integers, binary data, TTLs and several dbs.
pub fn dataset() -> Vec<Vec<Vec<u8>>> {
    let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
    let many = |n: usize, f: &dyn Fn(usize) -> String| -> Vec<Vec<u8>> {
        (0..n).map(|i| f(i).into_bytes()).collect()
    };
    add(&mut cmds, &[b"SET", b"str:small", b"hello"]);
    add(&mut cmds, &[b"SET", b"str:int8", b"-7"]);
    add(&mut cmds, &[b"SET", b"str:int16", b"12345"]);
    add(&mut cmds, &[b"SET", b"str:int32", b"-2000000000"]);
    add(&mut cmds, &[b"SET", b"str:int64", b"1234567890123"]);
    add(&mut cmds, &[b"SET", b"str:notint", b"0123"]);
    add(&mut cmds, &[b"SET", b"str:empty", b""]);
    add(
        &mut cmds,
        &[b"SET", b"str:long", "abcde".repeat(400).as_bytes()],
    );
    let noise: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    add(&mut cmds, &[b"SET", b"str:noise", &noise]);
    add(&mut cmds, &[b"SET", b"bin\x00key\r\n", b"bin\x00value"]);
    add(&mut cmds, &[b"SET", b"str:ttl", b"v", b"PX", b"500000"]);
    add(&mut cmds, &[b"APPEND", b"str:appended", b"42"]);
    add(
        &mut cmds,
        &[
            b"RPUSH",
            b"list:small",
            b"a",
            b"b",
            b"c",
            b"1",
            b"-2",
            b"300000",
            b"",
        ],
    );
    let mut big: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"list:big".to_vec()];
    big.extend(many(3000, &|i| format!("element-{i}")));
    cmds.push(big);
    add(
        &mut cmds,
        &[
            b"RPUSH",
            b"list:wide",
            &vec![b'w'; 20_000],
            b"x",
            &vec![b'y'; 9000],
        ],
    );
    add(&mut cmds, &[b"LPUSH", b"list:ttl", b"1", b"2"]);
    add(&mut cmds, &[b"PEXPIRE", b"list:ttl", b"900000"]);
    add(&mut cmds, &[b"SADD", b"set:int16", b"1", b"2", b"3", b"-5"]);
    add(&mut cmds, &[b"SADD", b"set:int32", b"1", b"100000"]);
    add(&mut cmds, &[b"SADD", b"set:int64", b"1", b"1099511627776"]);
    add(&mut cmds, &[b"SADD", b"set:strings", b"a", b"b", b"c"]);
    let mut big: Vec<Vec<u8>> = vec![b"SADD".to_vec(), b"set:bigints".to_vec()];
    big.extend(many(600, &|i| (i * 3).to_string()));
    cmds.push(big);
    add(
        &mut cmds,
        &[
            b"ZADD",
            b"zset:small",
            b"1",
            b"a",
            b"2.5",
            b"b",
            b"-inf",
            b"c",
            b"inf",
            b"d",
        ],
    );
    add(
        &mut cmds,
        &[
            b"ZADD",
            b"zset:frac",
            b"0.1",
            b"x",
            b"-3",
            b"y",
            b"1e100",
            b"z",
        ],
    );
    let mut big: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), b"zset:big".to_vec()];
    for i in 0..300 {
        big.push(format!("{}", i as f64 / 7.0).into_bytes());
        big.push(format!("member-{i}").into_bytes());
    }
    cmds.push(big);
    add(
        &mut cmds,
        &[b"ZADD", b"zset:longmember", b"1", &[b'm'; 100]],
    );
    add(
        &mut cmds,
        &[
            b"HSET",
            b"hash:small",
            b"f1",
            b"v1",
            b"f2",
            b"2",
            b"f3",
            b"",
        ],
    );
    add(&mut cmds, &[b"HSET", b"hash:one", b"field", b"value"]);
    let mut big: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"hash:big".to_vec()];
    for i in 0..700 {
        big.push(format!("field:{i}").into_bytes());
        big.push(format!("value:{}", i * i).into_bytes());
    }
    cmds.push(big);
    add(&mut cmds, &[b"HSET", b"hash:longvalue", b"f", &[b'v'; 100]]);
    add(&mut cmds, &[b"HSET", b"hash:ttl", b"f", b"v"]);
    add(&mut cmds, &[b"PEXPIREAT", b"hash:ttl", b"4102444800000"]);
    add(&mut cmds, &[b"SELECT", b"3"]);
    add(&mut cmds, &[b"SET", b"db3:str", b"three"]);
    add(&mut cmds, &[b"SADD", b"db3:set", b"x"]);
    add(&mut cmds, &[b"SELECT", b"15"]);
    add(&mut cmds, &[b"ZADD", b"db15:zset", b"1", b"one"]);
    add(&mut cmds, &[b"SELECT", b"0"]);
    cmds
}

fn add(cmds: &mut Vec<Vec<Vec<u8>>>, parts: &[&[u8]]) {
    cmds.push(parts.iter().map(|p| p.to_vec()).collect());
}

/// Runs `cmds` on `store`, asserting none fails.
pub fn apply(store: &mut dyn Store, cmds: &[Vec<Vec<u8>>]) {
    for c in cmds {
        let argv: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
        let r = store.call(&argv);
        assert!(
            !r.is_error(),
            "{:?}: {r:?}",
            String::from_utf8_lossy(c[0].as_slice())
        );
    }
}
