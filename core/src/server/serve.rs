//! Serving an engine at one address given as a string, for the fronts that
//! embed the engine (Python's `Store.listen`, C's `kvstore_listen`).
//!
//! Addresses are `"host:port"` (an IP literal, `[v6]` or `localhost`;
//! port 0 picks a free port) or `"unix:/path"`. A process-wide registry
//! keeps two listeners of one process from serving one address: for TCP
//! the OS would refuse the second bind anyway, but a unix socket is
//! unlinked and re-created by a new listener (as redis-server does), which
//! would silently steal it. A path that exists and is not a socket is
//! refused rather than removed.

use super::{ListenConfig, Listener};
use crate::Engine;
use std::fmt;
use std::io;
use std::net::IpAddr;
use std::os::unix::fs::FileTypeExt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A listening address, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// TCP on one IP.
    Tcp(IpAddr, u16),
    /// A unix socket (an absolute path).
    Unix(PathBuf),
}

impl Address {
    /// Parses `"host:port"` or `"unix:/path"` (`unix:///path` too; a
    /// relative path is made absolute against the working directory).
    pub fn parse(text: &str) -> Result<Address, ServeError> {
        if let Some(path) = text.strip_prefix("unix:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(ServeError::Malformed(format!(
                    "no socket path in address {text:?}"
                )));
            }
            let path = std::path::absolute(path).map_err(|e| {
                ServeError::Malformed(format!("bad socket path in address {text:?}: {e}"))
            })?;
            return Ok(Address::Unix(path));
        }
        let malformed = || {
            ServeError::Malformed(format!(
                "address {text:?} is not \"host:port\" (an IP address or localhost) \
                 or \"unix:/path/to/socket\""
            ))
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

    /// The listener configuration serving exactly this address.
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

/// Why an engine could not be served.
#[derive(Debug)]
pub enum ServeError {
    /// The address is not one [`Address::parse`] reads.
    Malformed(String),
    /// Another listener of this process serves the address, or the unix
    /// path is a file that is not a socket.
    Conflict(String),
    /// Binding failed (address in use, permission denied, ...).
    Io(io::Error),
}

impl ServeError {
    /// The errno of an `Io` error: the OS's when kept, else the one its
    /// kind stands for (the listener rewraps bind errors with the address).
    pub fn errno(e: &io::Error) -> i32 {
        e.raw_os_error().unwrap_or(match e.kind() {
            io::ErrorKind::AddrInUse => libc::EADDRINUSE,
            io::ErrorKind::AddrNotAvailable => libc::EADDRNOTAVAIL,
            io::ErrorKind::PermissionDenied => libc::EACCES,
            io::ErrorKind::NotFound => libc::ENOENT,
            _ => 0,
        })
    }
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Malformed(m) | ServeError::Conflict(m) => f.write_str(m),
            ServeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Addresses served by the listeners of this process.
static SERVED: Mutex<Vec<Address>> = Mutex::new(Vec::new());

fn registry() -> MutexGuard<'static, Vec<Address>> {
    SERVED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A listener serving one engine at one address, registered process-wide
/// until dropped: dropping it stops the listener (closing every
/// connection, removing the unix socket) and then frees the address.
#[derive(Debug)]
pub struct Served {
    /// Taken by `drop`, which stops it before freeing the address.
    listener: Option<Listener>,
    /// What was asked for (port 0 included).
    requested: Address,
    /// What was bound.
    bound: Address,
}

impl Served {
    /// Serves `engine` at `address`. Fails with [`ServeError::Conflict`]
    /// when a listener of this process serves it already or when a unix
    /// path exists and is not a socket, and [`ServeError::Io`] when it
    /// cannot be bound.
    pub fn start(engine: &Engine, address: Address) -> Result<Served, ServeError> {
        let mut served = registry();
        if served.contains(&address) {
            return Err(ServeError::Conflict(format!(
                "{address} is already served by another store of this process"
            )));
        }
        if let Address::Unix(path) = &address {
            let not_socket =
                std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_socket());
            if not_socket {
                return Err(ServeError::Conflict(format!(
                    "{} exists and is not a socket: it is left alone",
                    path.display()
                )));
            }
        }
        let listener = Listener::start(engine.clone(), address.config()).map_err(ServeError::Io)?;
        let bound = match listener.local_addrs().first() {
            Some(a) => Address::Tcp(a.ip(), a.port()),
            None => address.clone(),
        };
        served.push(bound.clone());
        Ok(Served {
            listener: Some(listener),
            requested: address,
            bound,
        })
    }

    /// The address asked for (with port 0 if that was asked).
    pub fn requested(&self) -> &Address {
        &self.requested
    }

    /// The address bound (with the port chosen for port 0).
    pub fn bound(&self) -> &Address {
        &self.bound
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Stopped first: the address is free only once nobody answers there.
        drop(self.listener.take());
        registry().retain(|a| *a != self.bound);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print_back() {
        let a = Address::parse("127.0.0.1:6380").unwrap();
        assert_eq!(a, Address::Tcp([127, 0, 0, 1].into(), 6380));
        assert_eq!(a.to_string(), "127.0.0.1:6380");
        let v6 = Address::parse("[::1]:0").unwrap();
        assert_eq!(v6.to_string(), "[::1]:0");
        assert_eq!(
            Address::parse("localhost:1").unwrap(),
            Address::Tcp([127, 0, 0, 1].into(), 1)
        );
        assert_eq!(
            Address::parse("unix:///tmp/s.sock").unwrap(),
            Address::Unix("/tmp/s.sock".into())
        );
        for bad in ["", "6380", "example.com:1", "127.0.0.1:99999", "unix:"] {
            assert!(
                matches!(Address::parse(bad), Err(ServeError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn one_address_is_served_once_per_process() {
        let engine = Engine::new();
        let a = Served::start(&engine, Address::parse("127.0.0.1:0").unwrap()).unwrap();
        let Address::Tcp(_, port) = *a.bound() else {
            panic!("{:?}", a.bound())
        };
        assert_ne!(port, 0);
        let again = Served::start(&engine, a.bound().clone()).unwrap_err();
        assert!(matches!(again, ServeError::Conflict(_)), "{again}");
        let bound = a.bound().clone();
        drop(a);
        // Freed: the port can be served again (if nobody else took it).
        match Served::start(&engine, bound) {
            Ok(_) | Err(ServeError::Io(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
}
