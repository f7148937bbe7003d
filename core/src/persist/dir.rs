//! Ownership of a data directory: an exclusive `flock` on `kvstore.lock`
//! inside it, held for the engine's lifetime, with the holder's pid
//! written in the file so that a refused opener can say who holds it.
//! `flock` locks belong to an open file, so a second open of the same
//! directory fails in the same process too.

use super::OpenError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// Name of the lock file.
pub const LOCK_FILE: &str = "kvstore.lock";

/// A held directory lock; dropping it (closing the file) releases it.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock of `dir` (which must exist), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock, OpenError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| OpenError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        if let Err(err) = try_flock(&file) {
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io(err));
            }
            let mut text = String::new();
            // The holder may not have written its pid yet: then it is unknown.
            let _ = file.read_to_string(&mut text);
            return Err(OpenError::Locked {
                dir: dir.to_path_buf(),
                pid: text.trim().parse().ok(),
            });
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DirLock { _file: file })
    }
}

/// `flock(LOCK_EX | LOCK_NB)`, tried for a short while: a lock that was
/// just released can still look held while a process this one forks to
/// run a program holds a copy of the descriptor, until its exec closes it.
fn try_flock(file: &File) -> std::io::Result<()> {
    const TRIES: u32 = 20;
    let mut attempt = 1;
    loop {
        // SAFETY: flock on a descriptor we own; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) || attempt == TRIES {
            return Err(err);
        }
        attempt += 1;
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
