//! Sockets: binding the listening addresses as Redis's `bind` directive
//! reads them, the unix socket with its permissions set before anyone can
//! connect, and one stream type over TCP and unix connections.

use mio::event::Source;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;

/// A listening socket.
#[derive(Debug)]
pub(super) enum Listening {
    /// TCP, on one address.
    Tcp(TcpListener),
    /// A unix socket, with its path (for CLIENT LIST addresses).
    Unix(UnixListener, String),
}

/// An accepted connection.
#[derive(Debug)]
pub(super) enum Stream {
    /// Over TCP.
    Tcp(TcpStream),
    /// Over a unix socket.
    Unix(UnixStream),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(r, t, i),
            Stream::Unix(s) => s.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(r, t, i),
            Stream::Unix(s) => s.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Unix(s) => s.deregister(r),
        }
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// The addresses of a `bind` value: Redis's words, where `*` is every IPv4
/// address, `::*` every IPv6 one, and a leading `-` marks an address that
/// may be unavailable (skipped when it cannot be bound).
pub(super) fn parse_bind(words: &[String]) -> io::Result<Vec<(IpAddr, bool)>> {
    words
        .iter()
        .map(|w| {
            let (optional, w) = w
                .strip_prefix('-')
                .map_or((false, w.as_str()), |w| (true, w));
            let ip = match w {
                "*" => IpAddr::from([0u8; 4]),
                "::*" => IpAddr::from([0u16; 8]),
                _ => w.parse().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("Invalid bind address '{w}'"),
                    )
                })?,
            };
            Ok((ip, optional))
        })
        .collect()
}

/// Binds TCP on each address at `port` (0: the first bound picks a free
/// port and the others use the same). Optional addresses that cannot be
/// bound (no IPv6, say) are skipped.
pub(super) fn bind_tcp(addrs: &[(IpAddr, bool)], mut port: u16) -> io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    for &(ip, optional) in addrs {
        match TcpListener::bind(SocketAddr::new(ip, port)) {
            Ok(l) => {
                port = l.local_addr()?.port();
                out.push(l);
            }
            Err(_) if optional => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("Could not create server TCP listening socket {ip}:{port}: {e}"),
                ));
            }
        }
    }
    Ok(out)
}

/// Binds a unix socket at `path` (removing a stale one). With `perm`, the
/// socket is created under a umask that yields exactly those permissions,
/// so it never exists with wider ones (CVE-2023-45145), then chmod'ed.
pub(super) fn bind_unix(path: &Path, perm: Option<u32>) -> io::Result<UnixListener> {
    // A stale socket from an earlier run would make bind fail.
    let _ = std::fs::remove_file(path);
    let bound = match perm {
        Some(perm) => {
            // SAFETY: umask only swaps the process's file mode mask.
            let old = unsafe { libc::umask(!(perm as libc::mode_t) & 0o777) };
            let bound = UnixListener::bind(path);
            // SAFETY: as above, restoring the previous mask.
            unsafe { libc::umask(old) };
            let bound = bound?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))?;
            bound
        }
        None => UnixListener::bind(path)?,
    };
    Ok(bound)
}

/// True for a peer on this machine: 127.0.0.0/8, `::1`, or IPv4-mapped
/// loopback (Redis's `connIsLocal`).
pub(super) fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_words() {
        let words: Vec<String> = ["127.0.0.1", "-::1", "*", "::*"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = parse_bind(&words).unwrap();
        assert_eq!(got[0], ("127.0.0.1".parse().unwrap(), false));
        assert_eq!(got[1], ("::1".parse().unwrap(), true));
        assert_eq!(got[2].0, "0.0.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(got[3].0, "::".parse::<IpAddr>().unwrap());
        assert!(parse_bind(&["nope".to_string()]).is_err());
    }

    #[test]
    fn loopback_peers() {
        assert!(is_loopback("127.0.0.2".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_loopback("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn unix_socket_gets_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("kvstore-net-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let _l = bind_unix(&path, Some(0o700)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
