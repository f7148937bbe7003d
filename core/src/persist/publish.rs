//! Writing a snapshot file and publishing it atomically, as Redis's
//! `rdbSave`: write `temp-<pid>.rdb` in the data directory, fsync it,
//! rename it over the target, fsync the directory, all through the
//! engine's [`Storage`] (so the simulated disk of the crash tests sees
//! it). A crash at any step leaves the old file or the new one, never a
//! mix; a leftover temp file is removed when the directory is next opened.

use super::crc64::crc64;
use super::encode::{Compress, Encoder};
use super::format::{RDB_VERSION, op};
use super::snapshot::Snapshot;
use super::storage::Storage;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A writer that keeps the CRC-64 of everything written through it.
struct CrcWriter<W: Write> {
    inner: W,
    crc: u64,
}

impl<W: Write> Write for CrcWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc64(self.crc, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Is `name` a temp file a save or an append-only file rewrite of ours
/// leaves behind?
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with("temp-") && (name.ends_with(".rdb") || name.ends_with(".aof"))
}

/// Writes `snap` to `target` on `storage` atomically (temp file, fsync,
/// rename, fsync of the directory); `ctime` (Unix seconds) goes into the
/// header's aux fields. On error the temp file is removed (when it still
/// exists) and `target` is untouched, unless only the directory's fsync
/// failed (the rename is done then, as in Redis).
pub fn write_file(
    storage: &dyn Storage,
    snap: &mut Snapshot<'_>,
    target: &Path,
    ctime: u64,
) -> io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let temp: PathBuf = dir.join(format!("temp-{}.rdb", std::process::id()));
    let result = write_temp(storage, snap, &temp, ctime).and_then(|()| {
        storage.rename(&temp, target)?;
        storage.sync_dir(dir)
    });
    if result.is_err() {
        // Best effort: a temp file left behind is removed at the next open.
        let _ = storage.remove(&temp);
    }
    result
}

fn write_temp(
    storage: &dyn Storage,
    snap: &mut Snapshot<'_>,
    temp: &Path,
    ctime: u64,
) -> io::Result<()> {
    let file = storage.create(temp)?;
    let w = write_rdb(snap, BufWriter::with_capacity(1 << 20, file), ctime, false)?;
    let mut file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync()
}

/// Writes `snap` as a whole RDB file (header, dbs, EOF, CRC-64) to `w`
/// and hands `w` back; `aof_base` marks it as an append-only file's
/// preamble (the `aof-base` aux field, as Redis writes it).
pub fn write_rdb<W: Write>(
    snap: &mut Snapshot<'_>,
    w: W,
    ctime: u64,
    aof_base: bool,
) -> io::Result<W> {
    let mut w = CrcWriter { inner: w, crc: 0 };
    let mut head = Encoder::new(Compress::Off, 0);
    head.buf
        .extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    let ctime = ctime.to_string();
    // `used-mem` is informational (Redis's used_memory); the engine does
    // not count its memory, so it says 0.
    for (k, v) in [
        ("redis-ver", crate::REDIS_VERSION),
        ("redis-bits", "64"),
        ("ctime", &ctime),
        ("used-mem", "0"),
        ("aof-base", if aof_base { "1" } else { "0" }),
    ] {
        head.byte(op::AUX);
        head.string(k.as_bytes());
        head.string(v.as_bytes());
    }
    w.write_all(&head.buf)?;
    snap.write_dbs(&mut w)?;
    w.write_all(&[op::EOF])?;
    let crc = w.crc;
    let mut inner = w.inner;
    inner.write_all(&crc.to_le_bytes())?;
    inner.flush()?;
    Ok(inner)
}
