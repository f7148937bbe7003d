#![allow(dead_code)]
//! Differential testing against a real `redis-server`: each test starts its
//! own server on a free loopback port (stopped by pid on drop), sends the same
//! commands to it and to a kvstore engine, and compares the decoded replies.
//! A pair made by [`Pair::over_socket`] sends kvstore's side through the
//! RESP listener too, and then also compares the raw reply bytes.
//! A missing `redis-server` is a failure, never a skip.

use kvstore_core::resp::{Limits, decode, encode, encode_command};
use kvstore_core::{Engine, Reply, Session};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server child process.
pub struct RedisServer {
    child: Child,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
}

impl RedisServer {
    /// Starts redis-server on a free port and waits until it accepts.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// [`RedisServer::start`] with more command-line options
    /// (`--name value` pairs).
    pub fn start_with(options: &[(&str, &str)]) -> RedisServer {
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        for _attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new(&bin)
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                ])
                .args([
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                ])
                .args(
                    options
                        .iter()
                        .flat_map(|(name, value)| [format!("--{name}"), value.to_string()]),
                )
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {bin} (install redis-server): {e}"));
            let mut server = RedisServer { child, port };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                // The port was free when chosen but another process may
                // have taken it since: wait until OUR server answers on it
                // (if it lost the port, it exits and we try another).
                if server.owns_port() {
                    return server;
                }
                if server.child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = server.child.kill();
        }
        panic!("redis-server did not start");
    }
}

impl RedisServer {
    fn owns_port(&self) -> bool {
        let Ok(mut c) = Client::try_connect(self.port) else {
            return false;
        };
        match c.call(&["INFO", "server"]) {
            Reply::Bulk(info) => String::from_utf8_lossy(&info)
                .lines()
                .any(|l| l.trim() == format!("process_id:{}", self.child.id())),
            _ => false,
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal RESP client over TCP, using kvstore's own codec.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Connects to `port` on loopback.
    pub fn connect(port: u16) -> Client {
        Client::try_connect(port).unwrap()
    }

    fn try_connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::new(),
        })
    }

    /// Sends one command and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Reply {
        self.call_raw(argv).0
    }

    /// Sends one command; returns its reply, decoded and as raw bytes.
    pub fn call_raw<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> (Reply, Vec<u8>) {
        let mut out = Vec::new();
        encode_command(argv, &mut out);
        self.stream.write_all(&out).unwrap();
        loop {
            if let Some((reply, used)) = decode(&self.buf, &Limits::default()).unwrap() {
                let raw = self.buf.drain(..used).collect();
                return (reply, raw);
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).unwrap();
            assert!(n > 0, "redis-server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

impl Client {
    /// Sends one command without reading anything.
    pub fn send<A: AsRef<[u8]>>(&mut self, argv: &[A]) {
        let mut out = Vec::new();
        encode_command(argv, &mut out);
        self.stream.write_all(&out).unwrap();
    }

    /// The next reply or push, decoded and raw, waiting up to `within`;
    /// `None` when nothing came.
    pub fn read_within(&mut self, within: Duration) -> Option<(Reply, Vec<u8>)> {
        let deadline = Instant::now() + within;
        loop {
            if let Some((reply, used)) = decode(&self.buf, &Limits::default()).unwrap() {
                let raw = self.buf.drain(..used).collect();
                return Some((reply, raw));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 65536];
            let read = self.stream.read(&mut chunk);
            self.stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            match read {
                Ok(0) => panic!("connection closed"),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// True once the peer closes the connection within `within` (anything
    /// it sends first is dropped); false if it stays open.
    pub fn read_closed(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return true,
            }
        }
    }

    /// The next reply or push, decoded and raw (panics after 30 s).
    pub fn read(&mut self) -> (Reply, Vec<u8>) {
        self.read_within(Duration::from_secs(30))
            .expect("a reply within 30 s")
    }
}

/// Two connections driven side by side, one to redis-server and one to
/// kvstore's listener (see [`Pair::socket_client`]), for commands whose
/// replies arrive later or unasked (Pub/Sub, blocking commands).
pub struct Twin {
    /// The connection to redis-server.
    pub redis: Client,
    /// The connection to kvstore's listener.
    pub ours: Client,
}

impl Twin {
    /// Sends argv on both connections, reading nothing.
    pub fn send<A: AsRef<[u8]>>(&mut self, argv: &[A]) {
        self.redis.send(argv);
        self.ours.send(argv);
    }

    /// Reads the next frame on both and asserts identical bytes; returns it.
    pub fn expect_same(&mut self, what: &str) -> Reply {
        let (theirs, a) = self.redis.read();
        let (ours, b) = self
            .ours
            .read_within(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{what}: kvstore sent nothing; redis sent {theirs:?}"));
        assert_eq!(
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b),
            "{what}: bytes differ\n  redis:   {theirs:?}\n  kvstore: {ours:?}"
        );
        ours
    }

    /// Sends argv on both and compares the next frame of each.
    pub fn check<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Reply {
        self.send(argv);
        self.expect_same(&show(argv))
    }

    /// Asserts that neither side sends anything within `ms` milliseconds.
    pub fn expect_nothing(&mut self, ms: u64) {
        let within = Duration::from_millis(ms);
        if let Some((r, _)) = self.redis.read_within(within) {
            panic!("redis sent {r:?}");
        }
        if let Some((r, _)) = self.ours.read_within(within) {
            panic!("kvstore sent {r:?}");
        }
    }
}

/// A redis-server and a kvstore engine driven side by side.
pub struct Pair {
    /// The real server (kept alive for the pair's lifetime).
    pub server: RedisServer,
    /// Client of the real server.
    pub redis: Client,
    /// The engine under test.
    pub engine: Engine,
    /// Its session.
    pub session: Session,
    /// Commands sent so far (printed on a mismatch).
    pub log: Vec<String>,
    /// Play out short TTLs at once (for generated sequences; see
    /// `settle_short_ttl`).
    pub settle_ttls: bool,
    /// Who sends the current command, for the log ("" for the pair's
    /// client, "peer: " inside [`Pair::check_peer`]).
    who: &'static str,
    /// kvstore's side over the RESP listener (see [`Pair::over_socket`]).
    pub socket: Option<(kvstore_core::server::Listener, Client)>,
    /// The raw bytes of the last replies (redis, kvstore) when over a socket.
    pub last_raw: Option<(Vec<u8>, Vec<u8>)>,
    /// The engine's data directory, if it has one (removed last).
    scratch: Option<Scratch>,
}

/// A directory removed on drop.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A second client of a [`Pair`]: its own connection to the real server
/// and its own engine session (see [`Pair::peer`]).
pub struct Peer {
    /// Its connection to the real server.
    pub redis: Client,
    /// Its engine session.
    pub session: Session,
}

/// Renders argv for messages.
pub fn show<A: AsRef<[u8]>>(argv: &[A]) -> String {
    argv.iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a.as_ref())))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Pair {
    /// A fresh server and engine, both speaking RESP2.
    pub fn new() -> Pair {
        let server = RedisServer::start();
        let redis = Client::connect(server.port);
        let engine = Engine::new();
        let session = engine.session();
        Pair {
            server,
            redis,
            engine,
            session,
            log: Vec::new(),
            settle_ttls: false,
            who: "",
            socket: None,
            last_raw: None,
            scratch: None,
        }
    }

    /// A fresh pair whose server and engine both start with the
    /// configuration `options` (parameters that only a configuration file
    /// or the command line can set), the engine in-memory (its data
    /// directory, under the system's temporary one, saves nothing).
    pub fn with_config(options: &[(&str, &str)]) -> Pair {
        let server = RedisServer::start_with(options);
        let config = kvstore_core::config::Config::default();
        config.set_at_startup("save", "").unwrap();
        for (name, value) in options {
            config.set_at_startup(name, value).unwrap();
        }
        let dir = std::env::temp_dir().join(format!(
            "kvstore-pair-{}-{}",
            std::process::id(),
            server.port
        ));
        let engine =
            Engine::open_with_config(&dir, kvstore_core::Options::default(), config).unwrap();
        let session = engine.session();
        Pair {
            redis: Client::connect(server.port),
            server,
            engine,
            session,
            log: Vec::new(),
            settle_ttls: false,
            who: "",
            socket: None,
            last_raw: None,
            scratch: Some(Scratch(dir)),
        }
    }

    /// A fresh pair whose kvstore side is served by the RESP listener:
    /// commands go through a socket, and replies are also compared byte
    /// for byte. RESP3 (HELLO 3 on both connections) when `resp3`.
    pub fn over_socket(resp3: bool) -> Pair {
        Pair::new().served(resp3)
    }

    /// This pair with its kvstore side served by the RESP listener (see
    /// [`Pair::over_socket`]).
    pub fn served(self, resp3: bool) -> Pair {
        use kvstore_core::server::{ListenConfig, Listener};
        let mut p = self;
        let listener = Listener::start(
            p.engine.clone(),
            ListenConfig {
                bind: vec!["127.0.0.1".into()],
                port: Some(0),
                threads: 1,
                ..ListenConfig::default()
            },
        )
        .expect("listener starts");
        let client = Client::connect(listener.local_addrs()[0].port());
        p.socket = Some((listener, client));
        if resp3 {
            p.redis.call(&["HELLO", "3"]);
            p.ours(&["HELLO", "3"]);
            p.session.proto = 3;
        }
        p
    }

    /// A new connection to each side, kvstore's through its listener (the
    /// pair must have been made by [`Pair::over_socket`]); RESP3 when `resp3`.
    pub fn socket_client(&self, resp3: bool) -> Twin {
        let (listener, _) = self.socket.as_ref().expect("a pair over a socket");
        let mut t = Twin {
            redis: Client::connect(self.server.port),
            ours: Client::connect(listener.local_addrs()[0].port()),
        };
        if resp3 {
            t.send(&["HELLO", "3"]);
            t.redis.read();
            t.ours.read();
        }
        t
    }

    /// Runs argv on kvstore's side: through the socket when there is one,
    /// else on the session and through the wire encoding of its protocol.
    /// The reply, decoded and as bytes.
    pub fn ours<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> (Reply, Vec<u8>) {
        if let Some((_, client)) = &mut self.socket {
            return client.call_raw(argv);
        }
        let ours = self.engine.execute(&mut self.session, argv);
        let mut wire = Vec::new();
        encode(&ours, self.session.proto, &mut wire);
        let (ours, used) = decode(&wire, &Limits::default()).unwrap().unwrap();
        assert_eq!(used, wire.len());
        (ours, wire)
    }

    /// A fresh pair speaking RESP3 (HELLO 3 on the server).
    pub fn resp3() -> Pair {
        let mut p = Pair::new();
        p.redis.call(&["HELLO", "3"]);
        p.session.proto = 3;
        p
    }

    /// Another client of both sides, speaking the same protocol as the
    /// pair's own client.
    pub fn peer(&self) -> Peer {
        let mut redis = Client::connect(self.server.port);
        let mut session = self.engine.session();
        if self.session.proto == 3 {
            redis.call(&["HELLO", "3"]);
            session.proto = 3;
        }
        Peer { redis, session }
    }

    /// Runs `f` with `peer` in place of the pair's own client.
    pub fn as_peer<T>(&mut self, peer: &mut Peer, f: impl FnOnce(&mut Pair) -> T) -> T {
        std::mem::swap(&mut self.redis, &mut peer.redis);
        std::mem::swap(&mut self.session, &mut peer.session);
        self.who = "peer: ";
        let out = f(self);
        self.who = "";
        std::mem::swap(&mut self.redis, &mut peer.redis);
        std::mem::swap(&mut self.session, &mut peer.session);
        out
    }

    /// Like [`Pair::check`], sent by `peer` instead of the pair's client.
    pub fn check_peer<A: AsRef<[u8]>>(&mut self, peer: &mut Peer, argv: &[A]) -> Reply {
        self.as_peer(peer, |p| p.check(argv))
    }

    /// Runs argv on both; returns (redis reply, kvstore reply), the latter
    /// passed through the wire encoding of the session's protocol.
    pub fn both<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> (Reply, Reply) {
        self.log.push(format!("{}{}", self.who, show(argv)));
        let (theirs, theirs_raw) = self.redis.call_raw(argv);
        let (ours, ours_raw) = self.ours(argv);
        if self.socket.is_some() {
            self.last_raw = Some((theirs_raw, ours_raw));
        }
        self.settle_short_ttl(argv);
        (theirs, ours)
    }

    /// With [`Pair::settle_ttls`] on: after a command that may have set a
    /// TTL on `argv[1]`, a deadline closer than 10 s is played out at once by
    /// deleting the key on both sides. The two servers run on their own
    /// clocks a moment apart, so when a key expires during a generated
    /// sequence the next command could see it alive on one side and gone on
    /// the other; fast-forwarding keeps the sequences deterministic.
    pub fn settle_short_ttl<A: AsRef<[u8]>>(&mut self, argv: &[A]) {
        const SETTERS: &[&str] = &[
            "expire",
            "pexpire",
            "expireat",
            "pexpireat",
            "set",
            "setex",
            "psetex",
            "getex",
        ];
        let (true, Some(name), Some(key)) = (self.settle_ttls, argv.first(), argv.get(1)) else {
            return;
        };
        let name = String::from_utf8_lossy(name.as_ref()).to_ascii_lowercase();
        if !SETTERS.contains(&name.as_str()) {
            return;
        }
        let pttl = [&b"PTTL"[..], key.as_ref()];
        let replies = [self.redis.call(&pttl), self.ours(&pttl).0];
        if replies
            .iter()
            .any(|r| matches!(r, Reply::Int(ms) if (0..10_000).contains(ms)))
        {
            let del = [&b"DEL"[..], key.as_ref()];
            self.redis.call(&del);
            self.ours(&del);
        }
    }

    fn fail(&self, what: &str, theirs: &Reply, ours: &Reply) -> ! {
        let tail: Vec<&String> = self.log.iter().rev().take(15).collect();
        panic!(
            "{what}\n  redis:   {theirs:?}\n  kvstore: {ours:?}\nlast commands (newest first):\n  {}",
            tail.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }

    /// Asserts identical replies (over a socket, identical bytes); returns
    /// the reply.
    pub fn check<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Reply {
        let (theirs, ours) = self.both(argv);
        if theirs != ours {
            self.fail(&format!("reply differs for {}", show(argv)), &theirs, &ours);
        }
        if let Some((a, b)) = self.last_raw.take() {
            if a != b {
                let text = |b: &[u8]| Reply::Bulk(b.to_vec());
                self.fail(
                    &format!("reply bytes differ for {}", show(argv)),
                    &text(&a),
                    &text(&b),
                );
            }
        }
        ours
    }

    /// Asserts replies equal up to the order of array/set elements at every
    /// level (for commands whose order Redis does not define: KEYS,
    /// SMEMBERS, HGETALL pairs, ...). Map/HGETALL-style flat pairs are
    /// compared as sets of pairs when `pairs` is true.
    pub fn check_unordered<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Reply {
        let (theirs, ours) = self.both(argv);
        if normalize(&theirs) != normalize(&ours) {
            self.fail(
                &format!("reply differs (unordered) for {}", show(argv)),
                &theirs,
                &ours,
            );
        }
        ours
    }

    /// Asserts that both replied with an error, or both not (for random
    /// commands whose values differ by design); returns both replies.
    pub fn check_shape<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> (Reply, Reply) {
        let (theirs, ours) = self.both(argv);
        let kind = |r: &Reply| std::mem::discriminant(r);
        if kind(&theirs) != kind(&ours) || (theirs.is_error() && theirs != ours) {
            self.fail(
                &format!("reply kind differs for {}", show(argv)),
                &theirs,
                &ours,
            );
        }
        (theirs, ours)
    }

    /// Compares the full contents of both keyspaces (every db, every key:
    /// type, value, TTL presence) using DUMP-free reads.
    pub fn check_same_data(&mut self) {
        for db in 0..16 {
            self.check(&["SELECT".to_string(), db.to_string()]);
            let keys = self.check_unordered(&["KEYS", "*"]);
            let Reply::Array(keys) = keys else {
                panic!("KEYS: {keys:?}")
            };
            for k in keys {
                let Reply::Bulk(k) = k else { continue };
                let t = self.check(&[&b"TYPE"[..], &k]);
                let read: &[&[u8]] = match &t {
                    Reply::Status(s) if s == "string" => &[b"GET"],
                    Reply::Status(s) if s == "hash" => &[b"HGETALL"],
                    Reply::Status(s) if s == "list" => &[b"LRANGE", b"0", b"-1"],
                    Reply::Status(s) if s == "set" => &[b"SMEMBERS"],
                    Reply::Status(s) if s == "zset" => &[b"ZRANGE", b"0", b"-1", b"WITHSCORES"],
                    _ => continue,
                };
                let mut argv: Vec<&[u8]> = vec![read[0], &k];
                argv.extend_from_slice(&read[1..]);
                if matches!(read[0], b"HGETALL" | b"SMEMBERS") {
                    self.check_whole(&argv);
                } else {
                    self.check(&argv);
                }
                let (a, b) = self.both(&[&b"TTL"[..], &k]);
                let has_ttl = |r: &Reply| matches!(r, Reply::Int(n) if *n >= 0);
                if has_ttl(&a) != has_ttl(&b) {
                    self.fail("TTL presence differs", &a, &b);
                }
            }
        }
        self.check(&["SELECT", "0"]);
    }

    /// Checks a reply listing a whole hash or set (`argv[1]` is the key):
    /// exactly, order included, while the real server holds it as a
    /// listpack or intset (whose order Redis defines: insertion order,
    /// ascending integers); as pairs or members in any order once it is a
    /// hashtable (table order differs between any two servers).
    pub fn check_whole<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Reply {
        let key = argv[1].as_ref();
        let encoding = self.redis.call(&[&b"OBJECT"[..], b"ENCODING", key]);
        if encoding != Reply::Bulk(b"hashtable".to_vec()) {
            return self.check(argv);
        }
        match argv[0].as_ref().to_ascii_uppercase().as_slice() {
            b"HGETALL" => self.check_pairs(argv),
            _ => self.check_unordered(argv),
        }
    }

    /// The encoding our engine tracks for `key` in the selected db, named as
    /// Redis's OBJECT ENCODING names it (hashes, sets and sorted sets only;
    /// None when the key is absent).
    pub fn our_encoding(&self, key: &[u8]) -> Option<&'static str> {
        use kvstore_core::keyspace::ValueRef;
        let ks = &self.engine.shared().keyspace;
        let shard = ks.lock(self.session.db, ks.shard_of(key));
        let value = shard.map.get(key)?.value();
        Some(match value {
            ValueRef::Hash(h) => h.encoding(),
            ValueRef::Set(s) => s.encoding(),
            ValueRef::ZSet(z) if z.big => "skiplist",
            ValueRef::ZSet(_) => "listpack",
            other => panic!("no tracked encoding for a {}", other.type_name()),
        })
    }

    /// Asserts that the encoding we track for `key` is the one the real
    /// server reports with OBJECT ENCODING.
    pub fn check_encoding<A: AsRef<[u8]>>(&mut self, key: A) {
        let key = key.as_ref();
        let theirs = self.redis.call(&[&b"OBJECT"[..], b"ENCODING", key]);
        let ours = self
            .our_encoding(key)
            .map_or(Reply::Nil, |e| Reply::Bulk(e.as_bytes().to_vec()));
        if theirs != ours {
            let what = format!("encoding differs for {:?}", String::from_utf8_lossy(key));
            self.fail(&what, &theirs, &ours);
        }
    }

    /// Sets a configuration parameter on both sides (the engine's config
    /// directly, so this works whatever CONFIG SET supports).
    pub fn config_set(&mut self, name: &str, value: &str) {
        assert_eq!(
            self.redis.call(&["CONFIG", "SET", name, value]),
            Reply::ok()
        );
        self.engine.shared().config.set(name, value).unwrap();
    }

    /// Runs a SCAN-family command to the end on both sides (the cursor is
    /// argument `cursor_at`, replaced on each call); returns every item each
    /// side returned, in order. Fails when one side does not finish.
    pub fn scan_all(&mut self, argv: &[&[u8]], cursor_at: usize) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let mut out: [Vec<Vec<u8>>; 2] = Default::default();
        for (side, items) in out.iter_mut().enumerate() {
            let mut cursor = b"0".to_vec();
            for _round in 0..100_000 {
                let mut call: Vec<&[u8]> = argv.to_vec();
                call[cursor_at] = &cursor;
                let reply = if side == 0 {
                    self.redis.call(&call)
                } else {
                    self.ours(&call).0
                };
                let Reply::Array(parts) = &reply else {
                    panic!("{}: {reply:?}", show(&call))
                };
                cursor = bulk(&parts[0]);
                items.extend(bulks(&parts[1]));
                if cursor == b"0" {
                    break;
                }
            }
            assert_eq!(cursor, b"0", "scan did not finish: {}", show(argv));
        }
        let [theirs, ours] = out;
        (theirs, ours)
    }

    /// Asserts equal replies where the reply is a flat list of pairs
    /// (HGETALL in RESP2) or a map, compared as a set of pairs.
    pub fn check_pairs<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Reply {
        let (theirs, ours) = self.both(argv);
        if pairs(&theirs) != pairs(&ours) {
            self.fail(&format!("pairs differ for {}", show(argv)), &theirs, &ours);
        }
        ours
    }
}

/// Checks a random pick (SRANDMEMBER, HRANDFIELD, SPOP, ...) by its
/// properties: every item is in `universe`; a positive `count` gives
/// `min(count, |universe|)` distinct items, a negative one exactly `-count`.
pub fn check_pick(items: &[Vec<u8>], universe: &std::collections::HashSet<Vec<u8>>, count: i64) {
    let shown = || {
        format!(
            "{:?}",
            items
                .iter()
                .map(|i| String::from_utf8_lossy(i))
                .collect::<Vec<_>>()
        )
    };
    for i in items {
        assert!(
            universe.contains(i),
            "{:?} is not a member: {}",
            String::from_utf8_lossy(i),
            shown()
        );
    }
    if count < 0 {
        assert_eq!(items.len() as u64, count.unsigned_abs(), "{}", shown());
    } else {
        let distinct: std::collections::HashSet<&Vec<u8>> = items.iter().collect();
        assert_eq!(distinct.len(), items.len(), "repeated item: {}", shown());
        assert_eq!(
            items.len() as u64,
            (count as u64).min(universe.len() as u64),
            "{}",
            shown()
        );
    }
}

/// Checks that repeated random picks (`items`, from a negative count) are
/// spread evenly over `universe`: each element comes up within half of its
/// expected share either way (with a few thousand picks that is many
/// standard deviations, so a fair pick never fails it; a pick stuck on a
/// part of the collection does).
pub fn check_uniform(items: &[Vec<u8>], universe: &std::collections::HashSet<Vec<u8>>) {
    let expected = items.len() as f64 / universe.len() as f64;
    for u in universe {
        let n = items.iter().filter(|i| *i == u).count() as f64;
        assert!(
            (expected * 0.5..=expected * 1.5).contains(&n),
            "{:?} picked {n} times, expected about {expected}",
            String::from_utf8_lossy(u)
        );
    }
}

/// The bulk strings of an array or set reply (panics otherwise).
pub fn bulks(r: &Reply) -> Vec<Vec<u8>> {
    match r {
        Reply::Array(v) | Reply::Set(v) => v.iter().map(bulk).collect(),
        other => panic!("expected an array of bulks, got {other:?}"),
    }
}

/// Sorted debug renderings of nested replies (order-insensitive compare).
pub fn normalize(r: &Reply) -> String {
    match r {
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => {
            let mut items: Vec<String> = v.iter().map(normalize).collect();
            items.sort();
            format!("[{}]", items.join(","))
        }
        Reply::Map(m) => {
            let mut items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}=>{}", normalize(k), normalize(v)))
                .collect();
            items.sort();
            format!("{{{}}}", items.join(","))
        }
        other => format!("{other:?}"),
    }
}

/// A flat pair list or map as sorted pairs.
pub fn pairs(r: &Reply) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = match r {
        Reply::Array(v) => v
            .chunks(2)
            .map(|c| (format!("{:?}", c[0]), format!("{:?}", c.get(1))))
            .collect(),
        Reply::Map(m) => m
            .iter()
            .map(|(k, v)| (format!("{k:?}"), format!("{:?}", Some(v))))
            .collect(),
        other => vec![(format!("{other:?}"), String::new())],
    };
    out.sort();
    out
}

/// Bytes of a bulk reply (panics otherwise).
pub fn bulk(r: &Reply) -> Vec<u8> {
    match r {
        Reply::Bulk(b) => b.clone(),
        other => panic!("expected bulk, got {other:?}"),
    }
}

/// A deterministic RNG for generated command sequences; the seed is printed
/// so a failure can be replayed (set KVSTORE_SEED to force one).
pub fn rng(test: &str) -> rand::rngs::SmallRng {
    use rand::SeedableRng;
    let seed = std::env::var("KVSTORE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("{test}: KVSTORE_SEED={seed}");
    rand::rngs::SmallRng::seed_from_u64(seed)
}
