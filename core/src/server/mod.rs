//! The RESP listener: serves one [`Engine`] to any Redis client over TCP
//! and/or a unix socket, as `redis-server` does (RESP2 and RESP3, inline
//! commands, pipelining, Redis's protocol limits and error texts, AUTH,
//! protected mode, maxclients, idle timeout, output buffer limits, CLIENT
//! KILL/PAUSE/REPLY). Every command goes through `Engine::execute` with one
//! [`Session`](crate::Session) per connection, so the listener sees the same
//! data as the process that started it, and MULTI/EXEC and friends work as
//! the engine implements them.
//!
//! Threads: an acceptor, and `threads` workers, each an edge-triggered
//! event loop (mio) owning many connections; a command runs on the worker
//! that read it, and the engine's sharded locks let workers run in
//! parallel. An event loop rather than a thread per connection: it keeps
//! maxclients (10,000 by default) from meaning 10,000 threads and stacks,
//! and a worker serving 50 pipelining clients makes one read and one write
//! per batch, as redis-server does. Runtime settings are the engine's configuration parameters
//! (`requirepass`, `maxclients`, `timeout`, `protected-mode`,
//! `proto-max-bulk-len`, `client-query-buffer-limit`,
//! `client-output-buffer-limit`), read as they change; the addresses are
//! fixed by [`ListenConfig`] and shown by CONFIG GET `port`/`bind`/`unixsocket`.
//!
//! ```no_run
//! use kvstore_core::server::{ListenConfig, Listener};
//! let engine = kvstore_core::Engine::new();
//! let listener = Listener::start(engine.clone(), ListenConfig {
//!     port: Some(6380),
//!     ..ListenConfig::default()
//! })?;
//! // ... redis-cli -p 6380 sees `engine`'s data ...
//! listener.stop();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The fronts that embed the engine serve it at an address string
//! (`"127.0.0.1:6380"`, `"unix:/tmp/kv.sock"`) through [`Served`], which
//! also keeps two listeners of one process off the same address.

mod conn;
mod net;
mod serve;
mod worker;

pub use serve::{Address, ServeError, Served};

use crate::Engine;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use worker::{Acceptor, Common, Worker};

/// Log levels, Redis's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `debug`.
    Debug,
    /// `verbose`: connections accepted and closed, protocol errors.
    Verbose,
    /// `notice`.
    Notice,
    /// `warning`: attacks, limits reached, I/O failures.
    Warning,
}

/// Where the listener's log lines go (it filters nothing: the sink decides).
pub type Log = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// Where and how to listen.
#[derive(Clone)]
pub struct ListenConfig {
    /// Addresses, in Redis's `bind` words: `127.0.0.1`, `::1`, `*` (every
    /// IPv4 address), `::*` (every IPv6 one); a leading `-` marks one that
    /// may be unavailable. Default: `127.0.0.1 -::1`, loopback only.
    pub bind: Vec<String>,
    /// TCP port: `None` for no TCP; `Some(0)` picks a free port (see
    /// [`Listener::local_addrs`]). Default 6379.
    pub port: Option<u16>,
    /// A unix socket path, if any.
    pub unixsocket: Option<PathBuf>,
    /// The unix socket's permissions (e.g. `0o700`), set before it accepts
    /// anyone; `None` leaves the umask's.
    pub unixsocketperm: Option<u32>,
    /// Worker threads; 0 means half the cores, at least one. Clients on
    /// the same machine (redis-benchmark, the application) need the other
    /// half: on 2 cores one worker served redis-benchmark's 50 clients
    /// 1.1–1.4× faster than two (BENCHMARKS.md).
    pub threads: usize,
    /// Log sink; `None` discards.
    pub log: Option<Log>,
}

impl Default for ListenConfig {
    fn default() -> Self {
        ListenConfig {
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            port: Some(6379),
            unixsocket: None,
            unixsocketperm: None,
            threads: 0,
            log: None,
        }
    }
}

impl std::fmt::Debug for ListenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenConfig")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("unixsocket", &self.unixsocket)
            .field("unixsocketperm", &self.unixsocketperm)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// A running listener. It serves until [`Listener::stop`] or drop, which
/// close every connection and remove the unix socket file.
pub struct Listener {
    common: Arc<Common>,
    wakers: Vec<Arc<worker::Inbox>>,
    threads: Vec<JoinHandle<()>>,
    addrs: Vec<SocketAddr>,
    unix: Option<PathBuf>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("addrs", &self.addrs)
            .field("unix", &self.unix)
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// Binds the configured addresses and starts serving `engine` on
    /// background threads. Fails when an address (not marked optional)
    /// cannot be bound, or when nothing is to be listened on.
    pub fn start(engine: Engine, config: ListenConfig) -> io::Result<Listener> {
        let mut listening = Vec::new();
        let mut addrs = Vec::new();
        if let Some(port) = config.port {
            let ips = net::parse_bind(&config.bind)?;
            for l in net::bind_tcp(&ips, port)? {
                addrs.push(l.local_addr()?);
                listening.push(net::Listening::Tcp(l));
            }
        }
        if let Some(path) = &config.unixsocket {
            let l = net::bind_unix(path, config.unixsocketperm)?;
            listening.push(net::Listening::Unix(l, path.to_string_lossy().into_owned()));
        }
        if listening.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Configured to not listen anywhere, exiting.",
            ));
        }
        publish_config(&engine, &config, &addrs);
        let log = config.log.clone().unwrap_or_else(|| Arc::new(|_, _| {}));
        let common = Arc::new(Common::new(engine, log));
        let threads_wanted = match config.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        };
        let workers = (0..threads_wanted)
            .map(|_| Worker::new())
            .collect::<io::Result<Vec<_>>>()?;
        let inboxes: Vec<_> = workers.iter().map(|w| w.inbox.clone()).collect();
        let acceptor = Acceptor::new(listening)?;
        let mut wakers = inboxes.clone();
        wakers.push(acceptor.inbox.clone());
        let mut threads = Vec::new();
        for (i, w) in workers.into_iter().enumerate() {
            let common = common.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("kvstore-io-{i}"))
                    .spawn(move || w.run(&common))?,
            );
        }
        let c = common.clone();
        threads.push(
            std::thread::Builder::new()
                .name("kvstore-accept".into())
                .spawn(move || acceptor.run(&c, &inboxes))?,
        );
        Ok(Listener {
            common,
            wakers,
            threads,
            addrs,
            unix: config.unixsocket,
        })
    }

    /// The TCP addresses listened on (with the port chosen for `Some(0)`).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The unix socket listened on, if any.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }

    /// Stops serving: closes every connection (pending replies are sent
    /// best effort), joins the threads, removes the unix socket file.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.common.stop.store(true, Ordering::Release);
        for w in &self.wakers {
            w.wake();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Some(path) = self.unix.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Shows the addresses in CONFIG GET `port`, `bind` and `unixsocket`.
fn publish_config(engine: &Engine, config: &ListenConfig, addrs: &[SocketAddr]) {
    let c = &engine.shared().config;
    let port = addrs.first().map_or(0, SocketAddr::port);
    let _ = c.set_at_startup("port", &port.to_string());
    let _ = c.set_at_startup("bind", &config.bind.join(" "));
    if let Some(path) = &config.unixsocket {
        let _ = c.set_at_startup("unixsocket", &path.to_string_lossy());
    }
    if let Some(perm) = config.unixsocketperm {
        let _ = c.set_at_startup("unixsocketperm", &format!("{perm:o}"));
    }
}
