//! Serving a store to other processes: the RESP listener of kvstore-core
//! (`kvstore_core::server`) on one address per store, which redis-cli,
//! redis-py or any Redis client in another process uses as a server.
//!
//! Addresses are `"host:port"` (an IP literal, `[v6]` or `localhost`;
//! port 0 picks a free port) or `"unix:/path"`. A process-wide registry
//! keeps two stores from serving one address: for TCP the OS would refuse
//! the second bind anyway, but a unix socket is unlinked and re-created by
//! a new listener (as redis-server does), which would silently steal it.

use kvstore_core::Engine;
use kvstore_core::server::{ListenConfig, Listener};
use std::fmt;
use std::io;
use std::net::IpAddr;
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A listening address, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    /// TCP on one IP.
    Tcp(IpAddr, u16),
    /// A unix socket (an absolute path).
    Unix(PathBuf),
}

impl Address {
    /// Parses `"host:port"` or `"unix:/path"` (`unix:///path` too).
    pub(crate) fn parse(text: &str) -> Result<Address, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(format!("no socket path in address {text:?}"));
            }
            let path = std::path::absolute(path)
                .map_err(|e| format!("bad socket path in address {text:?}: {e}"))?;
            return Ok(Address::Unix(path));
        }
        let malformed = || {
            format!(
                "address {text:?} is not \"host:port\" (an IP address or localhost) \
                 or \"unix:/path/to/socket\""
            )
        };
        let (host, port) = text.rsplit_once(':').ok_or_else(malformed)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let ip = match host {
            "localhost" => IpAddr::from([127, 0, 0, 1]),
            _ => host.parse().map_err(|_| malformed())?,
        };
        let port = port.parse().map_err(|_| malformed())?;
        Ok(Address::Tcp(ip, port))
    }

    fn config(&self) -> ListenConfig {
        match self {
            Address::Tcp(ip, port) => ListenConfig {
                bind: vec![ip.to_string()],
                port: Some(*port),
                ..ListenConfig::default()
            },
            Address::Unix(path) => ListenConfig {
                port: None,
                unixsocket: Some(path.clone()),
                ..ListenConfig::default()
            },
        }
    }
}

impl fmt::Display for Address {
    /// The form [`Address::parse`] reads (`[v6]:port` for IPv6).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(ip, port) => write!(f, "{}", std::net::SocketAddr::new(*ip, *port)),
            Address::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Why a store could not be served.
#[derive(Debug)]
pub(crate) enum ListenError {
    /// The address is not one [`Address::parse`] reads.
    Malformed(String),
    /// The store serves another address, another store serves this one,
    /// or the unix path is a file that is not a socket.
    Conflict(String),
    /// Binding failed (address in use, permission denied, ...).
    Io(io::Error),
}

impl ListenError {
    /// The errno of an `Io` error: the OS's when kept, else the one its
    /// kind stands for (the listener rewraps bind errors with the address).
    pub(crate) fn errno(e: &io::Error) -> i32 {
        e.raw_os_error().unwrap_or(match e.kind() {
            io::ErrorKind::AddrInUse => libc::EADDRINUSE,
            io::ErrorKind::AddrNotAvailable => libc::EADDRNOTAVAIL,
            io::ErrorKind::PermissionDenied => libc::EACCES,
            io::ErrorKind::NotFound => libc::ENOENT,
            _ => 0,
        })
    }
}

/// Addresses served by the stores of this process.
static SERVED: Mutex<Vec<Address>> = Mutex::new(Vec::new());

fn served() -> MutexGuard<'static, Vec<Address>> {
    SERVED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running listener and the addresses it answers to.
struct Serving {
    listener: Option<Listener>,
    /// What was asked for (port 0 included).
    requested: Address,
    /// What was bound.
    bound: Address,
    /// `client::forks()` when it started.
    forks: u64,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let listener = self.listener.take();
        if self.forks != crate::client::forks() {
            // A forked child: the listener's threads are the parent's and
            // do not exist here; joining them would hang.
            std::mem::forget(listener);
            return;
        }
        drop(listener);
        served().retain(|a| *a != self.bound);
    }
}

/// The listener slot of one store. Every method may block (binding,
/// joining threads): call them with the GIL released.
#[derive(Default)]
pub(crate) struct Slot(Mutex<Option<Serving>>);

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Option<Serving>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Serves `engine` at `address` unless it is served already; returns
    /// the address bound (with the port chosen for port 0).
    pub(crate) fn listen(&self, engine: &Engine, address: &str) -> Result<String, ListenError> {
        let wanted = Address::parse(address).map_err(ListenError::Malformed)?;
        let mut slot = self.lock();
        if let Some(s) = slot.as_ref() {
            return if s.requested == wanted || s.bound == wanted {
                Ok(s.bound.to_string())
            } else {
                Err(ListenError::Conflict(format!(
                    "this store is already served at {}: stop serving it before serving {wanted}",
                    s.bound
                )))
            };
        }
        let mut registry = served();
        if registry.contains(&wanted) {
            return Err(ListenError::Conflict(format!(
                "{wanted} is already served by another store of this process"
            )));
        }
        if let Address::Unix(path) = &wanted {
            let not_socket =
                std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_socket());
            if not_socket {
                return Err(ListenError::Conflict(format!(
                    "{} exists and is not a socket: it is left alone",
                    path.display()
                )));
            }
        }
        let listener = Listener::start(engine.clone(), wanted.config()).map_err(ListenError::Io)?;
        let bound = match listener.local_addrs().first() {
            Some(a) => Address::Tcp(a.ip(), a.port()),
            None => wanted.clone(),
        };
        registry.push(bound.clone());
        let text = bound.to_string();
        *slot = Some(Serving {
            listener: Some(listener),
            requested: wanted,
            bound,
            forks: crate::client::forks(),
        });
        Ok(text)
    }

    /// Stops serving (closing every connection); nothing when not served.
    pub(crate) fn unlisten(&self) {
        let serving = self.lock().take();
        drop(serving);
    }

    /// The address served, if any.
    pub(crate) fn address(&self) -> Option<String> {
        self.lock().as_ref().map(|s| s.bound.to_string())
    }
}
