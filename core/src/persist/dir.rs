//! Ownership of a data directory: an exclusive `flock` on `kvstore.lock`
//! inside it, held for the engine's lifetime, with the holder's pid
//! written in the file so that a refused opener can say who holds it.
//! `flock` locks belong to an open file, so a second open of the same
//! directory fails in the same process too.

use super::OpenError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Name of the lock file.
pub const LOCK_FILE: &str = "kvstore.lock";

/// Directories whose engine in this process is closing (its last handle
/// dropped, a final save or background thread finishing): an opener of
/// one waits for the lock instead of failing.
static CLOSING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// How long an opener waits for a closing engine of this process.
const CLOSE_WAIT: Duration = Duration::from_secs(60);

/// A held directory lock; dropping it releases the lock.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    dir: PathBuf,
}

impl DirLock {
    /// Marks the directory as closing: until this lock is dropped, openers
    /// in this process wait for it rather than fail.
    pub fn closing(&self) {
        CLOSING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(self.dir.clone());
    }

    /// Takes the lock of `dir` (which must exist), or says who holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock, OpenError> {
        let started = Instant::now();
        loop {
            match DirLock::try_acquire(dir) {
                Err(OpenError::Locked { pid: Some(p), .. })
                    if p == std::process::id()
                        && started.elapsed() < CLOSE_WAIT
                        && is_closing(dir) =>
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
                other => return other,
            }
        }
    }

    fn try_acquire(dir: &Path) -> Result<DirLock, OpenError> {
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
        // SAFETY: flock on a descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
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
        Ok(DirLock {
            file,
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Closing the file releases the flock; unmark after that.
        // SAFETY: unlocking a descriptor we own.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
        let mut closing = CLOSING.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = closing.iter().position(|d| *d == self.dir) {
            closing.swap_remove(i);
        }
    }
}

fn is_closing(dir: &Path) -> bool {
    CLOSING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .any(|d| d == dir)
}
