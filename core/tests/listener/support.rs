//! Shared helpers of the listener tests: a listener on a free port serving
//! a fresh engine, raw RESP clients, a redis-server to compare with, and
//! the external tools (Python with redis-py, redis-cli, redis-benchmark).

use kvstore_core::Engine;
use kvstore_core::resp::{Limits, decode, encode_command};
use kvstore_core::server::{ListenConfig, Listener};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub use crate::harness::RedisServer;

/// A listener on 127.0.0.1 (free port) and a unix socket in a temp dir.
pub struct Served {
    /// The engine it serves.
    pub engine: Engine,
    /// The listener (stopped on drop).
    pub listener: Option<Listener>,
    /// Its TCP port.
    pub port: u16,
    /// Its unix socket.
    pub sock: PathBuf,
}

impl Served {
    /// A fresh engine served with `threads` workers.
    pub fn start() -> Served {
        Served::with_engine(Engine::new())
    }

    /// `engine` served on a free port and a unix socket.
    pub fn with_engine(engine: Engine) -> Served {
        let sock = temp_dir("sock").join("kv.sock");
        let listener = Listener::start(
            engine.clone(),
            ListenConfig {
                bind: vec!["127.0.0.1".into()],
                port: Some(0),
                unixsocket: Some(sock.clone()),
                unixsocketperm: Some(0o700),
                threads: 2,
                log: None,
            },
        )
        .expect("listener starts");
        let port = listener.local_addrs()[0].port();
        Served {
            engine,
            listener: Some(listener),
            port,
            sock,
        }
    }

    /// A new raw client over TCP.
    pub fn client(&self) -> Raw {
        Raw::connect(self.port)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(l) = self.listener.take() {
            l.stop();
        }
    }
}

/// A fresh, empty directory under the system temp dir.
pub fn temp_dir(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "kvstore-listener-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A raw RESP client: sends bytes, reads whole replies (raw or decoded).
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    /// Connects to `port` on loopback.
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The raw bytes of the next reply (panics on close or timeout).
    pub fn reply_raw(&mut self) -> Vec<u8> {
        loop {
            if let Some((_, used)) = decode(&self.buf, &Limits::default()).unwrap() {
                return self.buf.drain(..used).collect();
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("reply before timeout");
            assert!(n > 0, "connection closed while a reply was expected");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends a command, returns its raw reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_command(argv, &mut out);
        self.send(&out);
        self.reply_raw()
    }

    /// Sends a command, returns its reply as text.
    pub fn text<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> String {
        String::from_utf8_lossy(&self.call(argv)).into_owned()
    }

    /// Reads until the peer closes (within `within`): everything received.
    /// Panics when the connection stays open.
    pub fn read_to_close(&mut self, within: Duration) -> Vec<u8> {
        let deadline = Instant::now() + within;
        let mut out = std::mem::take(&mut self.buf);
        self.stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut chunk = [0u8; 65536];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
                Err(_) => {}
            }
            assert!(
                Instant::now() < deadline,
                "connection still open; received {:?}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}

/// The Python interpreter with redis-py: `KVSTORE_PYTHON`, else the
/// workspace's `.venv/bin/python`, else `python3`. Panics with a clear
/// message when redis-py cannot be imported.
pub fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates: Vec<PathBuf> = match std::env::var_os("KVSTORE_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![root.join(".venv/bin/python"), PathBuf::from("python3")],
    };
    for c in &candidates {
        let ok = Command::new(c)
            .args(["-c", "import redis"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return c.clone();
        }
    }
    panic!(
        "no Python with redis-py found (tried {candidates:?}): set KVSTORE_PYTHON to an \
         interpreter that can `import redis` (tests/run builds .venv with it)"
    );
}

/// Runs a program, panicking with its output when it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until `f` is true (polling), or panics after `within`.
pub fn eventually(within: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
