//! Damaged append-only files (RELIABILITY.md D8–D10): a cut tail loads
//! the complete-record prefix (and is cut on disk) or, with
//! `aof-load-truncated no`, refuses; anything wrong before the end refuses
//! to open with the file, the offset and the reason; a flipped byte is
//! either refused or, inside an argument, loads exactly what the changed
//! commands do; a damaged RDB preamble is refused by its checksum.

use crate::basics::aof_config;
use crate::common::{Store, TempDir, picture};
use crate::workload;
use kvstore_core::persist::OpenError;
use kvstore_core::resp::encode_command;
use kvstore_core::{Engine, Options, Reply};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

/// An AOF made of records, and where each one ends.
struct File {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl File {
    fn new<A: AsRef<[u8]>>(records: &[Vec<A>]) -> File {
        let mut f = File {
            data: Vec::new(),
            ends: Vec::new(),
        };
        for r in records {
            encode_command(r, &mut f.data);
            f.ends.push(f.data.len());
        }
        f
    }

    /// Start offset of record `i`.
    fn start(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.ends[i - 1] }
    }
}

/// A fresh directory whose appendonly.aof holds `data`.
fn dir_with(tag: &str, data: &[u8]) -> (TempDir, PathBuf) {
    let dir = TempDir::new(tag);
    let path = dir.file("appendonly.aof");
    std::fs::write(&path, data).unwrap();
    (dir, path)
}

fn open(dir: &TempDir, extra: &[(&str, &str)]) -> Result<Engine, OpenError> {
    Engine::open_with_config(&dir.0, Options::default(), aof_config(extra))
}

fn get(e: &Engine, key: &str) -> Reply {
    e.execute(&mut e.session(), &["GET", key])
}

fn cmd(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// The (path, offset, reason) of a `CorruptAof` error.
fn corrupt(r: Result<Engine, OpenError>) -> (PathBuf, usize, String) {
    match r {
        Err(OpenError::CorruptAof {
            path,
            offset,
            reason,
        }) => (path, offset, reason),
        Err(e) => panic!("expected CorruptAof, got {e}"),
        Ok(_) => panic!("expected CorruptAof, the file loaded"),
    }
}

// ------------------------------------------------------------------ D8

#[test]
fn a_cut_sixth_incr_loads_five_and_is_cut_on_disk() {
    let f = File::new(&vec![cmd(&["INCR", "foo"]); 6]);
    let cut = f.data.len() - 1;
    let (dir, path) = dir_with("cut-incr", &f.data[..cut]);
    let e = open(&dir, &[]).unwrap();
    assert_eq!(get(&e, "foo"), Reply::bulk(b"5"));
    let warnings = e.shared().persist.load_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    let valid = f.ends[4];
    for part in [
        path.canonicalize().unwrap().display().to_string(),
        format!("offset {valid}"),
        format!("{} bytes dropped", cut - valid),
    ] {
        assert!(w.contains(&part), "{w:?} does not say {part:?}");
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), valid as u64);
    assert_eq!(e.execute(&mut e.session(), &["INCR", "foo"]), Reply::Int(6));
    drop(e);
    let e = open(&dir, &[]).unwrap();
    assert_eq!(get(&e, "foo"), Reply::bulk(b"6"));
    assert!(e.shared().persist.load_warnings().is_empty());
}

#[test]
fn an_unfinished_multi_is_dropped() {
    let f = File::new(&[
        cmd(&["SET", "foo", "hello"]),
        cmd(&["MULTI"]),
        cmd(&["SET", "bar", "world"]),
    ]);
    let (dir, path) = dir_with("multi", &f.data);
    let e = open(&dir, &[]).unwrap();
    assert_eq!(get(&e, "foo"), Reply::bulk(b"hello"));
    assert_eq!(get(&e, "bar"), Reply::Nil);
    let w = e.shared().persist.load_warnings();
    assert!(w[0].contains("unfinished MULTI"), "{w:?}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), f.ends[0] as u64);
}

#[test]
fn a_cut_tail_is_refused_with_aof_load_truncated_no() {
    let f = File::new(&vec![cmd(&["INCR", "foo"]); 6]);
    let cut = f.data.len() - 1;
    let (dir, path) = dir_with("strict", &f.data[..cut]);
    let r = open(&dir, &[("aof-load-truncated", "no")]);
    let text = r.as_ref().map(drop).unwrap_err().to_string();
    let (p, _, reason) = corrupt(r);
    assert!(reason.contains("Unexpected end of file"), "{reason}");
    assert!(text.contains(&path.canonicalize().unwrap().display().to_string()));
    assert_eq!(p, path.canonicalize().unwrap());
    // Refusing wrote nothing.
    assert_eq!(std::fs::read(&path).unwrap(), &f.data[..cut]);
}

/// The records of workload ops `1..`, thread 0, until there are `n`, with
/// the op each record completes (0 inside a MULTI block).
fn workload_file(n: usize) -> (File, Vec<u64>) {
    let mut records = Vec::new();
    let mut completes = Vec::new();
    let mut j = 0;
    while records.len() < n {
        j += 1;
        let steps = workload::steps(j);
        if steps.len() == 1 {
            records.push(workload::argv(0, steps[0]));
            completes.push(j);
            continue;
        }
        records.push(vec!["MULTI".to_string()]);
        completes.push(0);
        for st in steps {
            records.push(workload::argv(0, st));
            completes.push(0);
        }
        records.push(vec!["EXEC".to_string()]);
        completes.push(j);
    }
    (File::new(&records), completes)
}

#[test]
fn every_cut_loads_the_complete_record_prefix() {
    let (f, completes) = workload_file(1000);
    let n = f.ends.len();
    let last3 = f.start(n - 3);
    let mut rng = SmallRng::seed_from_u64(0xc075);
    let cuts: Vec<usize> = (last3..f.data.len())
        .chain((0..1000).map(|_| rng.random_range(0..f.data.len())))
        .collect();
    let dir = TempDir::new("cuts");
    let path = dir.file("appendonly.aof");
    for &cut in &cuts {
        // The ops whose records end within the cut, and where they end.
        let whole = f.ends.iter().take_while(|&&e| e <= cut).count();
        let (ops, valid) = (0..whole)
            .rev()
            .find(|&i| completes[i] > 0)
            .map_or((0, 0), |i| (completes[i], f.ends[i]));
        std::fs::write(&path, &f.data[..cut]).unwrap();
        if cut >= last3 {
            // Refused (and left alone) with aof-load-truncated no.
            match open(&dir, &[("aof-load-truncated", "no")]) {
                Err(OpenError::CorruptAof { reason, .. }) if valid < cut => {
                    assert!(reason.contains("Unexpected end of file"), "cut at {cut}")
                }
                Ok(_) if valid == cut => {}
                Err(e) => panic!("cut at {cut}, strict: {e}"),
                Ok(_) => panic!("cut at {cut}, strict: a cut file loaded"),
            }
            assert_eq!(std::fs::metadata(&path).unwrap().len(), cut as u64);
        }
        let e = open(&dir, &[]).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let (states, bad) = workload::read(&e);
        assert!(bad.is_empty(), "cut at {cut}: {bad:?}");
        let loaded = workload::prefix_of(&states[0], ops + 1);
        assert_eq!(loaded, Some(ops), "cut at {cut}: {}", states[0].summary());
        assert_eq!(
            e.shared().persist.load_warnings().len(),
            usize::from(valid < cut),
            "cut at {cut}"
        );
        drop(e);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), valid as u64);
    }
    println!(
        "{} cuts of a {}-record AOF ({} bytes), each loaded its complete-record prefix",
        cuts.len(),
        n,
        f.data.len()
    );
}

#[test]
fn a_zero_filled_tail_is_a_cut() {
    let (f, _) = workload_file(20);
    let n = f.ends.len();
    // The last record's bytes lost, in part or whole, to zeros.
    for keep in [f.start(n - 1), f.start(n - 1) + 5, f.data.len() - 1] {
        let mut data = f.data[..keep].to_vec();
        data.resize(f.data.len() + 4096, 0);
        let (dir, path) = dir_with("zeros", &data);
        let e = open(&dir, &[]).unwrap_or_else(|e| panic!("zeros from {keep}: {e}"));
        let (states, _) = workload::read(&e);
        // Records are ops 1..=n here (no MULTI block yet).
        let ops = n as u64 - 1;
        assert_eq!(
            workload::prefix_of(&states[0], ops + 1),
            Some(ops),
            "zeros from {keep}"
        );
        assert_eq!(e.shared().persist.load_warnings().len(), 1);
        drop(e);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            f.ends[n - 2] as u64
        );
    }
}

// ------------------------------------------------------------------ D9

/// Three records, `bad` between the second and the third: the open must
/// fail at the offset of `bad` with `reason`.
fn refused_between(bad: &[u8], reason: &str) {
    let f = File::new(&[
        cmd(&["SET", "a", "1"]),
        cmd(&["SET", "b", "2"]),
        cmd(&["SET", "c", "3"]),
    ]);
    let at = f.ends[1];
    let mut data = f.data[..at].to_vec();
    data.extend_from_slice(bad);
    data.extend_from_slice(&f.data[at..]);
    let (dir, path) = dir_with("mid", &data);
    let r = open(&dir, &[]);
    let text = r.as_ref().map(drop).unwrap_err().to_string();
    let (p, offset, why) = corrupt(r);
    assert_eq!(p, path.canonicalize().unwrap());
    assert_eq!(offset, at, "{text}");
    assert!(why.contains(reason), "{why:?} does not say {reason:?}");
    assert!(text.contains(&format!("offset {at}")), "{text}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        data,
        "refusing wrote nothing"
    );
}

#[test]
fn garbage_between_records_is_refused() {
    refused_between(b"!!!", "Bad file format");
}

#[test]
fn an_unknown_command_is_refused() {
    let mut rec = Vec::new();
    encode_command(&[b"NOSUCHCOMMAND" as &[u8], b"x"], &mut rec);
    refused_between(&rec, "Unknown command 'NOSUCHCOMMAND'");
}

#[test]
fn bad_lengths_and_counts_are_refused() {
    for bad in [
        &b"*2\r\n$3\r\nGET\r\n$x\r\n"[..],
        b"*2\r\n$3\r\nGET\r\n$-1\r\n",
        b"*2\r\n$3\r\nGET\r\n$9\r\nab\r\n",
        b"*2\r\n$3\r\nGET\r\n$99999999999999999999\r\nab\r\n",
        b"*x\r\n$3\r\nGET\r\n",
        b"*0\r\n",
        b"*-1\r\n",
        b"*99999999999999999999\r\n",
        b"*2\n$3\r\nGET\r\n$1\r\na\r\n",
    ] {
        refused_between(bad, "Bad file format");
    }
}

/// Where a byte of a [`File`] lies.
enum Spot {
    /// In `*n`, `$n` or a `\r\n`.
    Framing,
    /// Byte `pos` of argument `arg` of the record.
    Payload { arg: usize, pos: usize },
}

/// Record index and spot of byte `at` of `records` (encoded as `f`).
fn locate(f: &File, records: &[Vec<Vec<u8>>], at: usize) -> (usize, Spot) {
    let r = f.ends.iter().position(|&e| e > at).unwrap();
    let mut pos = f.start(r) + format!("*{}\r\n", records[r].len()).len();
    for (arg, a) in records[r].iter().enumerate() {
        pos += format!("${}\r\n", a.len()).len();
        if (pos..pos + a.len()).contains(&at) {
            return (r, Spot::Payload { arg, pos: at - pos });
        }
        pos += a.len() + 2;
    }
    (r, Spot::Framing)
}

/// Commands of every type, absolute expiries, a MULTI block.
fn mixed_records() -> Vec<Vec<Vec<u8>>> {
    let mut v = Vec::new();
    for i in 0..40 {
        let (k, n) = (format!("k{i}"), i.to_string());
        v.push(cmd(&["SET", &k, &format!("value-{i}")]));
        v.push(cmd(&["RPUSH", "list", &n, "x"]));
        v.push(cmd(&["HSET", "hash", &format!("f{i}"), &n]));
        v.push(cmd(&["ZADD", "zset", &n, &format!("m{i}")]));
        v.push(cmd(&["SADD", "set", &format!("s{i}")]));
        if i % 10 == 0 {
            v.push(cmd(&["MULTI"]));
            v.push(cmd(&["INCR", "ctr"]));
            v.push(cmd(&["PEXPIREAT", &k, "33000000000000"]));
            v.push(cmd(&["EXEC"]));
        }
    }
    v
}

/// The dataset `records` make, run on an in-memory engine.
fn model(records: &[Vec<Vec<u8>>]) -> crate::common::Picture {
    let e = Engine::new();
    let mut s = e.session();
    for r in records {
        e.execute(&mut s, r);
    }
    picture(&mut (&e, &mut s) as &mut dyn Store)
}

#[test]
fn a_flipped_byte_is_refused_or_changes_exactly_that_argument() {
    let records = mixed_records();
    let f = File::new(&records);
    let last = f.ends.len() - 1;
    let mut rng = SmallRng::seed_from_u64(0xf11b);
    let (mut refused, mut changed, mut cut) = (0, 0, 0);
    for trial in 0..200 {
        let at = rng.random_range(0..f.data.len());
        let mut data = f.data.clone();
        data[at] ^= rng.random_range(1..=255u8);
        let (dir, path) = dir_with("flip", &data);
        let what = format!("trial {trial}: byte {at} ^ {:#x}", data[at] ^ f.data[at]);
        let (r, spot) = locate(&f, &records, at);
        let result = open(&dir, &[]);
        match spot {
            Spot::Payload { arg, pos } => {
                let mut changed_records = records.clone();
                changed_records[r][arg][pos] = data[at];
                let name = &changed_records[r][0];
                let probe = Engine::new();
                let unknown = matches!(
                    probe.execute(&mut probe.session(), &[name.as_slice()]),
                    Reply::Error(e) if e.starts_with("ERR unknown command")
                );
                if arg == 0 && unknown {
                    let (_, offset, why) = corrupt(result);
                    assert_eq!(offset, f.start(r), "{what}");
                    assert!(why.contains("Unknown command"), "{what}: {why}");
                    refused += 1;
                } else {
                    let e = result.unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert!(e.shared().persist.load_warnings().is_empty(), "{what}");
                    let mut s = e.session();
                    let got = picture(&mut (&e, &mut s) as &mut dyn Store);
                    assert!(got == model(&changed_records), "{what}: wrong dataset");
                    changed += 1;
                }
            }
            Spot::Framing => match result {
                Err(OpenError::CorruptAof {
                    path: p, offset, ..
                }) => {
                    assert_eq!(p, path.canonicalize().unwrap(), "{what}");
                    let next_end = f.ends[(r + 1).min(last)];
                    assert!(
                        (f.start(r)..=next_end).contains(&offset),
                        "{what}: error at {offset}, record {r} at {}",
                        f.start(r)
                    );
                    refused += 1;
                }
                // The last record's header claiming more than the file
                // holds reads as a cut record: the one case a flip is
                // taken for a torn tail (RELIABILITY.md D9b).
                Ok(e) if r == last => {
                    let w = e.shared().persist.load_warnings();
                    assert!(
                        w.len() == 1 && w[0].contains(&format!("offset {}", f.start(last))),
                        "{what}: {w:?}"
                    );
                    let mut s = e.session();
                    let got = picture(&mut (&e, &mut s) as &mut dyn Store);
                    assert!(got == model(&records[..last]), "{what}: wrong dataset");
                    cut += 1;
                }
                Ok(_) => panic!("{what}: a damaged header loaded"),
                Err(e) => panic!("{what}: {e}"),
            },
        }
    }
    println!(
        "200 flipped bytes: {refused} refused, {changed} loaded with the changed argument, \
         {cut} taken for a cut last record"
    );
}

// ----------------------------------------------------------------- D10

/// An AOF that is only an RDB preamble (a rewrite of a small dataset).
fn preamble_file() -> Vec<u8> {
    let dir = TempDir::new("preamble");
    let e = open(&dir, &[]).unwrap();
    let mut s = e.session();
    for i in 0..30 {
        e.execute(&mut s, &["SET", &format!("k{i}"), &format!("v{i}")]);
        e.execute(&mut s, &["RPUSH", "l", &i.to_string()]);
    }
    e.execute(&mut s, &["HSET", "h", "f", "v"]);
    assert!(matches!(
        e.execute(&mut s, &["BGREWRITEAOF"]),
        Reply::Status(_)
    ));
    let info = |e: &Engine| {
        let Reply::Verbatim(_, t) = e.execute(&mut e.session(), &["INFO", "persistence"]) else {
            panic!("INFO")
        };
        String::from_utf8(t).unwrap()
    };
    while info(&e).contains("aof_rewrite_in_progress:1") {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    drop(e);
    let data = std::fs::read(dir.file("appendonly.aof")).unwrap();
    assert!(data.starts_with(b"REDIS"), "the rewrite wrote a preamble");
    data
}

#[test]
fn every_flipped_byte_of_the_preamble_is_refused() {
    let file = preamble_file();
    let mut rng = SmallRng::seed_from_u64(0x0dd);
    for at in 0..file.len() {
        let mut data = file.clone();
        data[at] ^= rng.random_range(1..=255u8);
        let (dir, _) = dir_with("preamble-flip", &data);
        let (_, _, why) = corrupt(open(&dir, &[]));
        // A damaged magic no longer reads as a preamble at all.
        let expected = if at < 5 {
            "Bad file format"
        } else {
            "bad RDB preamble"
        };
        assert!(why.contains(expected), "byte {at}: {why}");
    }
    let mut foobar = file.clone();
    let n = foobar.len();
    foobar[n - 8..].copy_from_slice(b"foobar00");
    let (dir, _) = dir_with("preamble-crc", &foobar);
    let (_, _, why) = corrupt(open(&dir, &[]));
    assert!(
        why.contains("bad RDB preamble") && why.contains("checksum"),
        "{why}"
    );
    println!("{} preamble bytes flipped, each refused", file.len());
}

#[test]
fn an_empty_file_opens_empty_and_keeps_logging() {
    let (dir, path) = dir_with("empty", b"");
    let e = open(&dir, &[]).unwrap();
    assert_eq!(e.execute(&mut e.session(), &["DBSIZE"]), Reply::Int(0));
    assert_eq!(e.execute(&mut e.session(), &["SET", "a", "1"]), Reply::ok());
    drop(e);
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    let e = open(&dir, &[]).unwrap();
    assert_eq!(get(&e, "a"), Reply::bulk(b"1"));
}

#[test]
fn an_unreadable_file_is_refused() {
    // A directory where the file should be: unreadable, even for root.
    let dir = TempDir::new("unreadable-dir");
    std::fs::create_dir(dir.file("appendonly.aof")).unwrap();
    assert!(matches!(open(&dir, &[]), Err(OpenError::Io { .. })));
    assert!(dir.file("appendonly.aof").is_dir(), "left as it was");
    // chmod 000: root reads it anyway, so this half runs only as non-root.
    if is_root() {
        println!("an_unreadable_file_is_refused: chmod 000 part skipped (running as root)");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let mut one = Vec::new();
    encode_command(&[b"SET" as &[u8], b"a", b"1"], &mut one);
    let (dir, path) = dir_with("unreadable", &one);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let r = open(&dir, &[]);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(r, Err(OpenError::Io { .. })), "{:?}", r.map(drop));
    assert_eq!(std::fs::read(&path).unwrap(), one, "left as it was");
}

/// True when this process runs as root.
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
