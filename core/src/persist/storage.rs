//! The file operations of the persistence files (the append-only file and
//! the snapshot `dump.rdb`), behind a trait, as SQLite's VFS or redb's
//! `StorageBackend`: [`Os`] is the real file system; tests plug in a
//! simulated disk that keeps what was written apart from what was synced,
//! to build the images a power loss leaves.

use std::ffi::OsString;
use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

/// An open file of a [`Storage`].
pub trait StorageFile: Write + Send + Debug {
    /// Makes what was written durable (`fdatasync`).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file to `len` bytes; later writes go at its end.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// The file's length.
    fn size(&self) -> io::Result<u64>;
    /// A job that syncs the file like [`StorageFile::sync`], to run on
    /// another thread while writes go on through `self`.
    fn syncer(&self) -> io::Result<SyncJob>;
}

/// A sync of a file, to run on another thread.
pub type SyncJob = Box<dyn FnOnce() -> io::Result<()> + Send>;

/// Where persistence files live.
pub trait Storage: Send + Sync + Debug {
    /// Opens `path` for appending, creating it empty when missing.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn StorageFile>>;
    /// Creates `path` empty (replacing an existing file).
    fn create(&self, path: &Path) -> io::Result<Box<dyn StorageFile>>;
    /// The whole content of `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Renames `from` to `to`, replacing `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the directory's entries (a rename) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Removes `path`.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// The names of the entries of directory `dir` (to find the temp
    /// files a crashed rewrite left).
    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>>;
}

/// A shared storage handle.
pub type StorageRef = Arc<dyn Storage>;

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct Os;

impl StorageFile for File {
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        // Opened for append: writes go to the end whatever the position.
        self.set_len(len)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn syncer(&self) -> io::Result<SyncJob> {
        let f = self.try_clone()?;
        Ok(Box::new(move || f.sync_data()))
    }
}

impl Storage for Os {
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn StorageFile>> {
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Box::new(f))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn StorageFile>> {
        // Append mode (so `truncate` needs no seek) cannot truncate on
        // open: start from no file instead.
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.open_append(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }
}
