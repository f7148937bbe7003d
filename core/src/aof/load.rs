//! Replaying an append-only file when a directory is opened: an optional
//! RDB preamble (loaded by the caller), then RESP commands run through the
//! engine's one command path, as Redis's `loadSingleAppendOnlyFile` does.
//!
//! - A file that ends inside a record, or inside a MULTI block, was cut
//!   by a crash: with `aof-load-truncated yes` (the default) the complete
//!   prefix is kept, the file is truncated on disk to it, and a warning
//!   names the file, the offset and the bytes dropped; with `no` the open
//!   fails ("Unexpected end of file").
//! - A hole of zero bytes is the same cut (a file that grew before its
//!   data reached the disk, after a power loss), whether it starts at a
//!   record's start (no record starts with a zero byte) or inside a
//!   record whose bytes before it are a well-formed beginning, and even
//!   when records follow it (writes reordered before the power loss): the
//!   complete records before the hole are kept, the rest dropped with the
//!   warning. A hole is at least 8 zero bytes or reaches the end, so a
//!   single damaged byte is still refused. (Redis refuses all of these;
//!   this is our answer to RELIABILITY.md D9b.)
//! - Anything else that is not a well-formed record, or an unknown
//!   command, fails the open with the file, the offset and the reason
//!   ("Bad file format"): never a silent partial load.

use super::Aof;
use crate::cmd::table;
use crate::engine::{Engine, Session};
use crate::persist::OpenError;
use crate::persist::storage::Storage;
use std::path::Path;
use std::sync::atomic::Ordering;

/// Largest argument count and argument size accepted in a record (Redis's
/// `proto-max-bulk-len` default; the counts are checked against the bytes
/// present, so nothing is allocated from a length alone).
const MAX_BULK: usize = 512 * 1024 * 1024;

/// One parsed record, or why there is none.
enum Parsed<'a> {
    Command(Vec<&'a [u8]>, usize),
    /// The data ends inside the record.
    Short,
    Bad(String),
}

/// Reads `<tag><decimal>\r\n` at `pos`.
fn header(data: &[u8], pos: usize, tag: u8) -> Result<Option<(usize, usize)>, String> {
    let Some(&first) = data.get(pos) else {
        return Ok(None);
    };
    if first != tag {
        return Err(format!(
            "expected '{}', got '{}'",
            tag as char,
            first.escape_ascii()
        ));
    }
    let Some(nl) = data[pos..].iter().position(|&b| b == b'\n') else {
        // Digits (and the \r) only so far: the record was cut; anything
        // else is bad.
        let rest = &data[pos + 1..];
        let digits = rest.strip_suffix(b"\r").unwrap_or(rest);
        return match digits.iter().all(u8::is_ascii_digit) && rest.len() < 24 {
            true => Ok(None),
            false => Err("bad length line".into()),
        };
    };
    let line = &data[pos + 1..pos + nl];
    let digits = line.strip_suffix(b"\r").ok_or("length line without \\r")?;
    let n = std::str::from_utf8(digits)
        .ok()
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|&n| n <= MAX_BULK)
        .ok_or_else(|| format!("bad length '{}'", digits.escape_ascii()))?;
    Ok(Some((n, pos + nl + 1)))
}

fn parse(data: &[u8], pos: usize) -> Parsed<'_> {
    let (argc, mut at) = match header(data, pos, b'*') {
        Ok(Some((0, _))) => return Parsed::Bad("empty command".into()),
        Ok(Some(h)) => h,
        Ok(None) => return Parsed::Short,
        Err(e) => return Parsed::Bad(e),
    };
    let mut argv = Vec::new();
    for _ in 0..argc {
        let (len, start) = match header(data, at, b'$') {
            Ok(Some(h)) => h,
            Ok(None) => return Parsed::Short,
            Err(e) => return Parsed::Bad(e),
        };
        let end = start + len;
        if data.len() < end + 2 {
            return match data
                .get(end..)
                .is_some_and(|rest| !b"\r\n".starts_with(rest))
            {
                true => Parsed::Bad("argument not followed by \\r\\n".into()),
                false => Parsed::Short,
            };
        }
        if &data[end..end + 2] != b"\r\n" {
            return Parsed::Bad("argument not followed by \\r\\n".into());
        }
        argv.push(&data[start..end]);
        at = end + 2;
    }
    Parsed::Command(argv, at)
}

/// Zero bytes in a row that make a hole rather than a damaged byte.
const HOLE: usize = 8;

/// True when the record at `pos` runs, well formed, into zero bytes that
/// reach the end of the file or are at least [`HOLE`] long: a region the
/// file's size covered before its data reached the disk (a power loss with
/// writes not yet synced, possibly reordered, so records may follow the
/// hole). No record has a zero byte in its framing; a damaged byte in the
/// middle of a file does not make eight of them.
fn torn_by_zeros(data: &[u8], pos: usize) -> bool {
    let Some(z) = data[pos..].iter().position(|&b| b == 0).map(|i| pos + i) else {
        return false;
    };
    let run = data[z..].iter().take_while(|&&b| b == 0).count();
    (run >= HOLE || z + run == data.len())
        && (z == pos || matches!(parse(&data[..z], pos), Parsed::Short))
}

/// Marks the file as being replayed for as long as it lives.
struct Loading<'a>(&'a Aof);

impl<'a> Loading<'a> {
    fn start(aof: &'a Aof) -> Loading<'a> {
        aof.loading.store(true, Ordering::Relaxed);
        Loading(aof)
    }
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.0.loading.store(false, Ordering::Relaxed);
    }
}

/// What a replay found.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    /// Commands run.
    pub commands: u64,
    /// The warning about a truncated tail, if the file had one.
    pub warning: Option<String>,
}

/// Replays the commands of `data` from `from` (after the preamble) on
/// `engine`. `path` names the file in errors; with `truncate` (the
/// `aof-load-truncated` setting) a cut tail is dropped and the file cut
/// to its complete prefix through `storage`.
pub(crate) fn replay(
    engine: &Engine,
    data: &[u8],
    from: usize,
    path: &Path,
    storage: &dyn Storage,
    truncate: bool,
) -> Result<Replayed, OpenError> {
    let corrupt = |offset: usize, reason: String| OpenError::CorruptAof {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let mut session = Session::detached(0, 2);
    let mut out = Replayed::default();
    let _loading = Loading::start(&engine.shared().aof);
    let mut pos = from;
    // End of the last record outside a MULTI block, and the MULTI's start.
    let mut valid = from;
    let mut multi: Option<usize> = None;
    let cut = loop {
        if pos == data.len() {
            break multi.is_some();
        }
        match parse(data, pos) {
            Parsed::Command(argv, next) => {
                let Some(cmd) = table::lookup(argv[0]) else {
                    return Err(corrupt(
                        pos,
                        format!(
                            "Unknown command '{}' reading the append only file",
                            String::from_utf8_lossy(argv[0])
                        ),
                    ));
                };
                match cmd.name {
                    "multi" => multi = Some(pos),
                    "exec" => multi = None,
                    _ => {}
                }
                // Replies (errors included) are discarded, as Redis's
                // fake client does.
                engine.execute(&mut session, &argv);
                out.commands += 1;
                pos = next;
                if multi.is_none() {
                    valid = pos;
                }
            }
            Parsed::Short => break true,
            Parsed::Bad(_) if torn_by_zeros(data, pos) => break true,
            Parsed::Bad(reason) => {
                return Err(corrupt(
                    pos,
                    format!("Bad file format reading the append only file: {reason}"),
                ));
            }
        }
    };
    if !cut {
        return Ok(out);
    }
    let name = path.display();
    if !truncate {
        return Err(corrupt(
            valid,
            format!(
                "Unexpected end of file reading the append only file {name}. You can: 1) Make \
                 a backup of your AOF file, then use ./redis-check-aof --fix <filename>. 2) \
                 Alternatively you can set the 'aof-load-truncated' configuration option to yes \
                 and restart the server."
            ),
        ));
    }
    let io = |source| OpenError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = storage.open_append(path).map_err(io)?;
    file.truncate(valid as u64).map_err(io)?;
    file.sync().map_err(io)?;
    out.warning = Some(format!(
        "!!! Warning: short read while loading the AOF file {name}!!! Truncated the AOF at \
         offset {valid} ({} bytes dropped{}); AOF loaded anyway because aof-load-truncated is \
         enabled",
        data.len() - valid,
        if multi.is_some() {
            ", with an unfinished MULTI"
        } else {
            ""
        }
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{Parsed, parse, torn_by_zeros};

    fn kind(data: &[u8]) -> &'static str {
        match parse(data, 0) {
            Parsed::Command(..) => "command",
            Parsed::Short => "short",
            Parsed::Bad(_) => "bad",
        }
    }

    #[test]
    fn every_prefix_of_a_record_is_short_and_the_whole_is_a_command() {
        let rec = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        for cut in 0..rec.len() {
            assert_eq!(kind(&rec[..cut]), "short", "cut at {cut}");
        }
        assert_eq!(kind(rec), "command");
    }

    #[test]
    fn a_zero_tail_is_a_cut_wherever_it_starts() {
        let rec = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        for keep in 0..rec.len() {
            let mut data = rec[..keep].to_vec();
            data.resize(rec.len() + 7, 0);
            assert!(torn_by_zeros(&data, 0), "zeros from {keep}");
        }
        // Zeros after a bad beginning, or a short run followed by data
        // (a damaged byte, not a hole), are no cut.
        assert!(!torn_by_zeros(b"*3\r\n$X\0\0", 0));
        assert!(!torn_by_zeros(b"*3\r\n\0\0*1", 0));
        assert!(!torn_by_zeros(rec, 0));
        // A hole followed by records written after it (reordered writes
        // before a power loss) is a cut at the torn record.
        let mut data = rec[..9].to_vec();
        data.extend([0; super::HOLE]);
        data.extend_from_slice(rec);
        assert!(torn_by_zeros(&data, 0));
    }

    #[test]
    fn malformed_records_are_bad() {
        for data in [
            &b"!!!\r\n"[..],
            b"*x\r\n",
            b"*1\r\n+3\r\nfoo\r\n",
            b"*1\r\n$3\r\nfooXY",
            b"*1\r\n$-3\r\n",
            b"*0\r\n",
            b"*1\nfoo",
        ] {
            assert_eq!(kind(data), "bad", "{}", data.escape_ascii());
        }
    }
}
