//! I/O errors (RELIABILITY.md D11) and failed steps of a rewrite's publish
//! (D5, the error half), on the simulated disk.
//!
//! The D11 loop: a 200-op workload (with a BGREWRITEAOF at op 100) runs
//! once on a healthy disk to list its I/O operations; then, for every k,
//! the k-th operation fails (ENOSPC or EIO; writes sometimes short), once
//! or with every later operation of its kind failing too. Each trial
//! checks: every failed op got `MISCONF Errors writing to the AOF file:
//! <strerror>` (never OK); reads keep working; with the disk failing for
//! good, no write is acknowledged after the first refusal; after an fsync
//! failure, writes stay refused until a rewrite succeeds; a disk that
//! recovered takes writes again; the engine closes its files (its threads
//! ended); and both a restart (the live files, opened with
//! `aof-load-truncated no`: no half record was left) and a power loss
//! (the durable files) give a prefix of the ops that ran, with every
//! acknowledged op when it must be there.

use crate::common::TempDir;
use crate::sim::disk::{Fault, Op, SimDisk};
use crate::sim::workload::Oracle;
use crate::sim::{AOF, assert_no_temp_files, info_field, open, wait_rewrite};
use kvstore_core::{Engine, Reply, Session};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const OPS: usize = 200;
const REWRITE_AT: usize = 100;

/// The message of `errno`, as strerror(3) gives it.
fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn is_refusal(e: &str, errno: i32) -> bool {
    e == format!(
        "MISCONF Errors writing to the AOF file: {}",
        strerror(errno)
    )
}

/// Runs a rewrite to its end before op `REWRITE_AT`; whether one ran and
/// succeeded.
fn rewrite_before(engine: &Engine, s: &mut Session, j: usize) -> bool {
    j == REWRITE_AT && {
        engine.execute(s, &["BGREWRITEAOF"]);
        wait_rewrite(engine)
    }
}

/// The operations of the workload on a healthy disk.
fn clean_trace(policy: &str) -> Vec<Op> {
    let dir = TempDir::new("ioerr-clean");
    let disk = SimDisk::new();
    let engine = open(&dir.0, &disk, policy, &[]).expect("open on a healthy disk");
    let mut s = engine.session();
    let mut oracle = Oracle::default();
    for j in 1..=OPS {
        rewrite_before(&engine, &mut s, j);
        assert!(
            oracle.run(&engine, &mut s, j).acked,
            "op {j} on a healthy disk"
        );
    }
    drop(s);
    drop(engine);
    disk.trace()
}

/// What the trials of one policy saw.
#[derive(Debug, Default)]
struct Tally {
    trials: usize,
    /// Trials whose fault fired.
    fired: usize,
    refused_ops: usize,
    refused_opens: usize,
    recovered: usize,
}

/// One trial: the workload with `fault` injected, then a restart and a
/// power loss.
fn trial(dir: &TempDir, policy: &str, fault: Fault, tally: &mut Tally) {
    let what = format!("{policy}: {fault:?}");
    let (errno, kind, forever) = (fault.errno, fault.op, fault.forever);
    let disk = SimDisk::new();
    disk.inject(fault);
    let mut oracle = Oracle::default();
    let mut last_acked = 0;
    tally.trials += 1;
    match open(&dir.0, &disk, policy, &[]) {
        Err(e) => {
            assert!(
                e.to_string().contains(&*dir.0.to_string_lossy()),
                "{what}: open failed with an unnamed error: {e}"
            );
            tally.refused_opens += 1;
        }
        Ok(engine) => {
            let mut s = engine.session();
            // The first refused op, and whether a rewrite succeeded since.
            let mut refused: Option<usize> = None;
            let mut healed = false;
            for j in 1..=OPS {
                healed |= rewrite_before(&engine, &mut s, j) && refused.is_some();
                let failed_before = disk.failed();
                let out = oracle.run(&engine, &mut s, j);
                // With `always` an op waits for its own write and fsync.
                assert!(
                    !(out.acked
                        && policy == "always"
                        && matches!(kind, Some(Op::Write | Op::Sync))
                        && disk.failed() > failed_before),
                    "{what}: op {j} acknowledged though its write or fsync failed"
                );
                if out.acked {
                    last_acked = j;
                    if let Some(first) = refused {
                        assert!(
                            !(forever && matches!(kind, Some(Op::Write | Op::Sync))),
                            "{what}: op {j} acknowledged though op {first} was refused and \
                             the disk still fails"
                        );
                        assert!(
                            kind != Some(Op::Sync) || healed,
                            "{what}: op {j} acknowledged after a failed fsync (op {first}) \
                             with no rewrite since"
                        );
                    }
                    continue;
                }
                tally.refused_ops += 1;
                refused.get_or_insert(j);
                assert!(
                    out.errors.iter().any(|e| is_refusal(e, errno))
                        && out
                            .errors
                            .iter()
                            .all(|e| is_refusal(e, errno) || e.starts_with("EXECABORT")),
                    "{what}: op {j} failed with {:?}",
                    out.errors
                );
                let r = engine.execute(&mut s, &["GET", "ctr"]);
                assert!(
                    !matches!(r, Reply::Error(_)),
                    "{what}: a read failed: {r:?}"
                );
            }
            if refused.is_some() && !forever {
                recover(&engine, &mut s, errno, &what);
                tally.recovered += 1;
            }
            wait_rewrite(&engine);
            drop(s);
            drop(engine);
        }
    }
    disk.assert_released(&what);
    tally.fired += usize::from(disk.failed() > 0);
    disk.heal();
    let must_have = match policy {
        "always" => last_acked,
        _ => 0,
    };
    // A power loss now: the durable files.
    let durable = disk.image_now().durable();
    reopen(
        dir,
        policy,
        &SimDisk::with_files(durable),
        &oracle,
        must_have,
        &what,
    );
    // A restart: every acknowledged op unless the disk failed for good
    // while some were still buffered.
    let must_have = if forever { must_have } else { last_acked };
    reopen(dir, policy, &disk, &oracle, must_have, &what);
}

/// Makes writes go through again after a failure the disk recovered
/// from, rewriting until a probe write is accepted (a failed fsync heals
/// only by a rewrite; a failed write is retried by the writer, and by a
/// rewrite, which writes the buffer to the old file first).
fn recover(engine: &Engine, s: &mut Session, errno: i32, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match engine.execute(s, &["SET", "probe", "1"]) {
            Reply::Error(e) => assert!(is_refusal(&e, errno), "{what}: probe refused with {e}"),
            _ => return,
        }
        assert!(Instant::now() < deadline, "{what}: writes stay refused");
        engine.execute(s, &["BGREWRITEAOF"]);
        wait_rewrite(engine);
    }
}

/// Opens the files of `disk` (refusing a cut tail) and checks the oracle.
fn reopen(
    dir: &TempDir,
    policy: &str,
    disk: &SimDisk,
    oracle: &Oracle,
    must_have: usize,
    what: &str,
) {
    let engine = open(&dir.0, disk, policy, &[("aof-load-truncated", "no")])
        .unwrap_or_else(|e| panic!("{what}: reopen: {e}"));
    let (_, last) = oracle
        .check(&engine)
        .unwrap_or_else(|e| panic!("{what}: reopen: {e}"));
    assert!(
        last >= must_have,
        "{what}: acknowledged ops {}..={must_have} lost",
        last + 1
    );
    assert_no_temp_files(disk, what);
}

fn d11(policy: &str) {
    let dir = TempDir::new("ioerr");
    let trace = clean_trace(policy);
    let mut tally = Tally::default();
    for (k, &kind) in trace.iter().enumerate() {
        let nth = trace[..=k].iter().filter(|&&o| o == kind).count() as u64;
        for forever in [false, true] {
            let fault = Fault {
                op: Some(kind),
                file: None,
                nth,
                errno: if k % 2 == 0 { libc::ENOSPC } else { libc::EIO },
                forever,
                short: kind == Op::Write && k % 4 < 2,
            };
            trial(&dir, policy, fault, &mut tally);
        }
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for op in &trace {
        *kinds.entry(format!("{op:?}")).or_default() += 1;
    }
    eprintln!(
        "{policy}: {} I/O operations in the workload {kinds:?}; {tally:?}",
        trace.len()
    );
    // With `always` every operation is where the healthy run had it;
    // the other policies batch writes by timing, so a trial may do fewer.
    let min_fired = if policy == "always" { 1.0 } else { 0.6 };
    assert!(
        tally.fired as f64 >= tally.trials as f64 * min_fired,
        "too few faults fired"
    );
    assert!(tally.refused_ops > 0 && tally.recovered > 0);
}

#[test]
fn io_errors_with_always_fail_the_command() {
    d11("always");
}

#[test]
fn io_errors_with_everysec_refuse_writes_until_the_disk_recovers() {
    d11("everysec");
}

#[test]
fn io_errors_with_no_fsync_refuse_writes_until_the_disk_recovers() {
    d11("no");
}

/// D5, errors: each step of a rewrite's publish fails (create the temp
/// file, write it, fsync it, rename it, fsync the directory). The rewrite
/// reports the failure, its temp file is gone, and the engine keeps
/// logging to a complete file: after a restart or a power loss the data
/// is every acknowledged op. A failed fsync of the directory (after the
/// rename) refuses writes until a later rewrite succeeds.
#[test]
fn a_failed_rewrite_step_leaves_a_complete_file() {
    let steps = [
        (Op::Open, Some("temp-")),
        (Op::Write, Some("temp-")),
        (Op::Sync, Some("temp-")),
        (Op::Rename, None),
        (Op::SyncDir, None),
    ];
    let dir = TempDir::new("rewrite-steps");
    for policy in ["always", "everysec"] {
        for (op, file) in steps {
            for errno in [libc::ENOSPC, libc::EIO] {
                let what = format!("{policy}: {op:?} fails with {}", strerror(errno));
                let disk = SimDisk::new();
                let engine = open(&dir.0, &disk, policy, &[]).expect("open");
                let mut s = engine.session();
                let mut oracle = Oracle::default();
                for j in 1..=50 {
                    assert!(oracle.run(&engine, &mut s, j).acked, "{what}: op {j}");
                }
                let old = disk.live_ino(AOF);
                disk.inject(Fault {
                    op: Some(op),
                    file,
                    nth: 1,
                    errno,
                    forever: false,
                    short: false,
                });
                engine.execute(&mut s, &["BGREWRITEAOF"]);
                assert!(!wait_rewrite(&engine), "{what}: the rewrite succeeded");
                assert_eq!(disk.failed(), 1, "{what}: the fault did not fire");
                assert_no_temp_files(&disk, &what);
                if op == Op::SyncDir {
                    // Renamed: the new file is in use, but not durably named.
                    assert_ne!(disk.live_ino(AOF), old, "{what}");
                    let r = engine.execute(&mut s, &["SET", "x", "1"]);
                    assert_eq!(
                        r,
                        Reply::Error(format!(
                            "MISCONF Errors writing to the AOF file: {}",
                            strerror(errno)
                        )),
                        "{what}"
                    );
                    engine.execute(&mut s, &["BGREWRITEAOF"]);
                    assert!(wait_rewrite(&engine), "{what}: the healing rewrite failed");
                } else {
                    assert_eq!(disk.live_ino(AOF), old, "{what}: the file changed");
                }
                assert_eq!(info_field(&engine, "aof_last_write_status"), "ok", "{what}");
                for j in 51..=100 {
                    assert!(oracle.run(&engine, &mut s, j).acked, "{what}: op {j}");
                }
                let (_, last) = oracle.last();
                drop(s);
                drop(engine);
                disk.assert_released(&what);
                let durable = disk.image_now().durable();
                reopen(
                    &dir,
                    policy,
                    &SimDisk::with_files(durable),
                    &oracle,
                    last,
                    &what,
                );
                reopen(&dir, policy, &disk, &oracle, last, &what);
            }
        }
    }
}

/// A short write whose undo (the truncate back) fails too: the writer
/// must cut the half record before its retry, so the file never keeps
/// half a record in its middle.
#[test]
fn a_short_write_whose_undo_fails_is_cut_before_the_retry() {
    let dir = TempDir::new("short-undo");
    for policy in ["always", "everysec"] {
        let what = format!("{policy}: short write, failed truncate");
        let disk = SimDisk::new();
        let engine = open(&dir.0, &disk, policy, &[]).expect("open");
        let mut s = engine.session();
        let mut oracle = Oracle::default();
        for j in 1..=20 {
            assert!(oracle.run(&engine, &mut s, j).acked, "{what}: op {j}");
        }
        for (op, short) in [(Op::Write, true), (Op::Truncate, false)] {
            disk.inject(Fault {
                op: Some(op),
                file: None,
                nth: 1,
                errno: libc::ENOSPC,
                forever: false,
                short,
            });
        }
        // Until an op is refused: the failed write was undone (or not)
        // before the error was recorded.
        let mut j = 21;
        while oracle.run(&engine, &mut s, j).acked {
            j += 1;
            assert!(j < 10_000, "{what}: no op was refused");
        }
        j += 1;
        assert_eq!(disk.failed(), 2, "{what}: the faults did not both fire");
        // The writer's own retry, not a rewrite (which would replace the
        // file): probes are refused until it succeeded.
        let deadline = Instant::now() + Duration::from_secs(5);
        while engine.execute(&mut s, &["SET", "probe", "1"]) != Reply::ok() {
            assert!(
                Instant::now() < deadline,
                "{what}: the retry never succeeded"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        for k in j..j + 20 {
            assert!(oracle.run(&engine, &mut s, k).acked, "{what}: op {k}");
        }
        let (_, last) = oracle.last();
        drop(s);
        drop(engine);
        disk.assert_released(&what);
        reopen(&dir, policy, &disk, &oracle, last, &what);
    }
}

/// An fsync fails once while four threads write with `everysec` (whose
/// replies do not wait for the file, so records keep arriving while the
/// slow fsync runs): those records must not reach the file after the
/// failed region (the next fsync would make them durable after a hole,
/// and the file would not load after a power loss). The durable files
/// load, each thread's keys a prefix of its writes; writes are refused
/// until a rewrite, after which they go through again.
#[test]
fn a_failed_fsync_under_concurrent_writers_leaves_a_loadable_prefix() {
    const THREADS: usize = 4;
    let dir = TempDir::new("fsync-concurrent");
    let disk = SimDisk::new();
    let engine = open(&dir.0, &disk, "everysec", &[]).expect("open");
    disk.slow_syncs(100, 100, 0);
    // The second of the writer's own fsyncs (two seconds after the open).
    disk.inject(Fault {
        op: Some(Op::Sync),
        file: None,
        nth: 2,
        errno: libc::EIO,
        forever: false,
        short: false,
    });
    // Each thread sets t<i>:<n> for n = 0, 1, ... until refused; the
    // count it had acknowledged.
    let acked: Vec<usize> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let engine = engine.clone();
                scope.spawn(move || {
                    let mut s = engine.session();
                    for n in 0.. {
                        let key = format!("t{t}:{n}");
                        match engine.execute(&mut s, &["SET", &key, "v"]) {
                            Reply::Error(e) => {
                                assert!(is_refusal(&e, libc::EIO), "{e}");
                                return n;
                            }
                            r => assert_eq!(r, Reply::ok()),
                        }
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    unreachable!()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a writer"))
            .collect()
    });
    // Time for another fsync, which must not happen.
    std::thread::sleep(Duration::from_millis(1200));
    let mut s = engine.session();
    assert!(matches!(
        engine.execute(&mut s, &["SET", "x", "1"]),
        Reply::Error(_)
    ));
    // What a power loss now leaves.
    let durable = disk.image_now().durable();
    engine.execute(&mut s, &["BGREWRITEAOF"]);
    assert!(wait_rewrite(&engine), "the healing rewrite failed");
    assert_eq!(engine.execute(&mut s, &["SET", "x", "1"]), Reply::ok());
    drop(s);
    drop(engine);
    disk.assert_released("fsync-concurrent");
    let reloaded = SimDisk::with_files(durable);
    let engine = open(
        &dir.0,
        &reloaded,
        "everysec",
        &[("aof-load-truncated", "no")],
    )
    .unwrap_or_else(|e| panic!("the durable files after a failed fsync: {e}"));
    let mut s = engine.session();
    let mut durable_keys = Vec::new();
    for t in 0..THREADS {
        let present = (0..)
            .take_while(|k| {
                let key = format!("t{t}:{k}");
                engine.execute(&mut s, &["EXISTS", &key]) == Reply::Int(1)
            })
            .count();
        let after = format!("t{t}:{}", present + 1);
        assert_eq!(engine.execute(&mut s, &["EXISTS", &after]), Reply::Int(0));
        assert!(present > 0, "thread {t}: the first fsync kept nothing");
        durable_keys.push(present);
    }
    eprintln!(
        "fsync failure under {THREADS} writers: acknowledged {acked:?}, durable {durable_keys:?}"
    );
}

/// A transaction queued before the file started failing is refused at
/// EXEC as Redis's `processCommand` does (EXEC counts as a write when it
/// queues one), and one queued with reads only still runs.
#[test]
fn exec_of_queued_writes_is_refused_while_the_file_fails() {
    let dir = TempDir::new("exec-misconf");
    let disk = SimDisk::new();
    let engine = open(&dir.0, &disk, "always", &[]).expect("open");
    let (mut writes, mut reads, mut other) = (engine.session(), engine.session(), engine.session());
    for (s, cmd) in [(&mut writes, "INCR"), (&mut reads, "GET")] {
        assert_eq!(engine.execute(s, &["MULTI"]), Reply::ok());
        assert_eq!(
            engine.execute(s, &[cmd, "n"]),
            Reply::Status("QUEUED".into())
        );
    }
    disk.inject(Fault {
        op: Some(Op::Write),
        file: None,
        nth: 1,
        errno: libc::ENOSPC,
        forever: true,
        short: false,
    });
    let refusal = format!(
        "MISCONF Errors writing to the AOF file: {}",
        strerror(libc::ENOSPC)
    );
    assert_eq!(
        engine.execute(&mut other, &["SET", "x", "1"]),
        Reply::Error(refusal.clone())
    );
    assert_eq!(
        engine.execute(&mut writes, &["EXEC"]),
        Reply::Error(format!(
            "EXECABORT Transaction discarded because of: {refusal}"
        ))
    );
    assert_eq!(engine.execute(&mut writes, &["GET", "n"]), Reply::Nil);
    assert_eq!(
        engine.execute(&mut reads, &["EXEC"]),
        Reply::Array(vec![Reply::Nil])
    );
}
