//! Simulated power loss (RELIABILITY.md D4) and crashes at each step of a
//! rewrite's publish (D5, the crash half): a 1,000-op workload runs on a
//! [`SimDisk`] that captures the disk at every fsync point (and, for the
//! policies that rarely fsync, at sampled writes), including points inside
//! BGREWRITEAOF; each capture becomes 10 crash images (seed 0: the
//! unsynced writes dropped; seeds 1–9: reordered, torn or zeroed unsynced
//! writes), and each distinct image is opened by a fresh engine:
//!
//! - the open succeeds (possibly truncating a cut tail, with a warning) or
//!   fails with a named error (one naming the file); never a panic; with
//!   `always` it always succeeds;
//! - the state is that of a prefix of the ops, not beyond the last op
//!   issued at the capture;
//! - `always`: every op acknowledged before the capture is there;
//!   `everysec`: every op acknowledged before the second-to-last completed
//!   fsync of the file loaded (the writer writes the buffer before each
//!   fsync, so what was acknowledged when one fsync ended is covered by
//!   the next);
//! - a temp file of a rewrite is never loaded, and is removed at open;
//! - after a truncating load, a new write lands after the kept prefix and
//!   survives a reopen.

use crate::common::TempDir;
use crate::harness::rng;
use crate::sim::disk::{Damage, Files, Image, Ino, Op, SimDisk};
use crate::sim::workload::{Oracle, State};
use crate::sim::{AOF, assert_no_temp_files, info_field, is_temp, open, wait_rewrite};
use kvstore_core::Reply;
use kvstore_core::persist::OpenError;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

/// Crash images per capture.
const SEEDS: u64 = 10;
/// One truncating load in this many is followed by a write and a reopen.
const WRITE_AFTER_EVERY: usize = 10;

/// A finished workload: its disk's captures and what the test saw.
struct Run {
    images: Vec<Image>,
    disk: SimDisk,
    oracle: Oracle,
    /// Clock readings when op `j` was issued and when it was acknowledged
    /// (index 0: nothing).
    issued: Vec<u64>,
    acked: Vec<u64>,
}

impl Run {
    /// The last op issued before clock reading `t`.
    fn issued_before(&self, t: u64) -> usize {
        self.issued.iter().rposition(|&i| i < t).unwrap_or(0)
    }

    /// The last op acknowledged before clock reading `t` (every op before
    /// it was acknowledged before it: the workload is sequential).
    fn acked_before(&self, t: u64) -> usize {
        self.acked.iter().rposition(|&a| a < t).unwrap_or(0)
    }
}

/// A workload to run on a capturing disk.
struct Plan<'a> {
    policy: &'a str,
    ops: usize,
    /// A BGREWRITEAOF before each of these ops.
    rewrites: &'a [usize],
    /// Capture before one in `every` operations of these kinds ...
    capture: &'a [Op],
    every: u64,
    /// ... from the open on, or only while a rewrite runs (and for
    /// `AFTER_REWRITE` ops after it ended).
    only_rewrites: bool,
    /// A pause after each op.
    pace: Duration,
}

/// Ops captured after a rewrite ended (its first records in the new file).
const AFTER_REWRITE: usize = 3;

/// Runs `plan` on a fresh disk, checking that every op is acknowledged.
fn workload(plan: &Plan) -> Run {
    let dir = TempDir::new("powerloss");
    let disk = SimDisk::new();
    let capture = |on: bool| disk.capture_at(if on { plan.capture } else { &[] }, plan.every);
    capture(!plan.only_rewrites);
    let engine = open(&dir.0, &disk, plan.policy, &[]).expect("open on an empty disk");
    let mut s = engine.session();
    let mut oracle = Oracle::default();
    let mut issued = vec![0];
    let mut acked = vec![0];
    // While capturing only around a rewrite: the ops left to capture
    // once it ended.
    let mut window: Option<usize> = None;
    for j in 1..=plan.ops {
        if plan.rewrites.contains(&j) {
            // On a loaded machine the previous rewrite may still run.
            assert!(wait_rewrite(&engine), "a rewrite failed on a healthy disk");
            if plan.only_rewrites {
                capture(true);
                window = Some(AFTER_REWRITE);
            }
            let r = engine.execute(&mut s, &["BGREWRITEAOF"]);
            assert!(matches!(r, Reply::Status(_)), "BGREWRITEAOF: {r:?}");
        }
        issued.push(disk.now());
        let out = oracle.run(&engine, &mut s, j);
        assert!(
            out.acked,
            "op {j} failed on a healthy disk: {:?}",
            out.errors
        );
        acked.push(disk.now());
        std::thread::sleep(plan.pace);
        if let Some(left) = window {
            if info_field(&engine, "aof_rewrite_in_progress") == "0" {
                window = left.checked_sub(1);
                if window.is_none() {
                    capture(false);
                }
            }
        }
    }
    assert!(wait_rewrite(&engine), "a rewrite failed on a healthy disk");
    drop(s);
    drop(engine);
    disk.assert_released(plan.policy);
    let mut images = disk.take_images();
    images.push(disk.image_now());
    Run {
        images,
        disk,
        oracle,
        issued,
        acked,
    }
}

/// What the images of a run gave.
#[derive(Debug, Default)]
struct Tally {
    images: usize,
    distinct: usize,
    opened: usize,
    truncated: usize,
    /// Named errors, by damage.
    refused: BTreeMap<String, usize>,
    /// Images holding a rewrite's temp file.
    with_temp: usize,
    /// The files (old or new) the opened images loaded.
    loaded: BTreeSet<Ino>,
}

fn digest(files: &Files) -> u64 {
    let mut h = DefaultHasher::new();
    for (name, (_, data)) in files {
        (name, data).hash(&mut h);
    }
    h.finish()
}

/// The damage of seed `seed`: 0 drops the unsynced writes; the others
/// cycle through the random damages.
fn damage_of(seed: u64) -> Damage {
    match seed {
        0 => Damage::DropUnsynced,
        s => Damage::ALL[1 + (s as usize - 1) % 3],
    }
}

/// Opens every distinct crash image of `run` and checks it.
fn check_images(policy: &str, run: &Run, base_seed: u64) -> Tally {
    let dir = TempDir::new("powerloss-load");
    let mut tally = Tally::default();
    let mut seen = HashSet::new();
    let syncs = run.disk.syncs();
    for (i, image) in run.images.iter().enumerate() {
        let seeds = if image.is_clean() { 1 } else { SEEDS };
        tally.images += SEEDS as usize;
        for seed in 0..seeds {
            let damage = damage_of(seed);
            let mut rng = SmallRng::seed_from_u64(base_seed ^ ((i as u64) << 8) ^ seed);
            let files = image.damaged(damage, &mut rng);
            if !seen.insert(digest(&files)) {
                continue;
            }
            tally.distinct += 1;
            let what = format!("{policy}: capture {i} ({:?}), {damage:?}", image.op);
            let must_have = match policy {
                "always" => run.acked_before(image.time),
                "everysec" => {
                    let ino = files.get(AOF).map(|f| f.0);
                    let ends: Vec<u64> = syncs
                        .iter()
                        .filter(|s| Some(s.ino) == ino && s.end < image.time)
                        .map(|s| s.end)
                        .collect();
                    ends.len()
                        .checked_sub(2)
                        .map_or(0, |k| run.acked_before(ends[k]))
                }
                _ => 0,
            };
            let bounds = (must_have, run.issued_before(image.time));
            if files.keys().any(|n| is_temp(n)) {
                tally.with_temp += 1;
            }
            // A reopen after a write is checked for one truncating load in
            // WRITE_AFTER_EVERY (it costs two more opens).
            let write_after = tally.truncated % WRITE_AFTER_EVERY == 0;
            match load(
                &dir,
                policy,
                &files,
                &run.oracle,
                bounds,
                write_after,
                &what,
            ) {
                Ok(truncated) => {
                    tally.opened += 1;
                    tally.loaded.extend(files.get(AOF).map(|f| f.0));
                    tally.truncated += usize::from(truncated);
                }
                Err(e) => {
                    assert!(
                        policy != "always",
                        "{what}: an image of `always` must open: {e}"
                    );
                    assert!(e.to_string().contains(AOF), "{what}: unnamed error {e}");
                    *tally.refused.entry(format!("{damage:?}")).or_default() += 1;
                }
            }
        }
    }
    tally
}

/// Opens `files`; checks the state against the oracle: a prefix ending in
/// `bounds` (must have, issued). Whether the load truncated a tail (then,
/// with `write_after`, one more write is made and must survive a reopen).
fn load(
    dir: &TempDir,
    policy: &str,
    files: &Files,
    oracle: &Oracle,
    bounds: (usize, usize),
    write_after: bool,
    what: &str,
) -> Result<bool, OpenError> {
    let disk = SimDisk::with_files(files.iter().map(|(n, (_, d))| (n.clone(), d.clone())));
    let engine = open(&dir.0, &disk, policy, &[])?;
    let (first, last) = oracle
        .check(&engine)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        last >= bounds.0,
        "{what}: ops {}..={} acknowledged before the crash are lost (state of op {last})",
        last + 1,
        bounds.0
    );
    assert!(
        first <= bounds.1,
        "{what}: the state of op {first} but only {} were issued",
        bounds.1
    );
    assert_no_temp_files(&disk, what);
    let warnings = engine.shared().persist.load_warnings();
    let truncated = !warnings.is_empty();
    if truncated && write_after {
        let before = State::read(&engine);
        let mut s = engine.session();
        assert_eq!(engine.execute(&mut s, &["SET", "after", "1"]), Reply::ok());
        drop(s);
        drop(engine);
        let reopened = open(&dir.0, &disk, policy, &[("aof-load-truncated", "no")])
            .unwrap_or_else(|e| panic!("{what}: reopen after a truncating load: {e}"));
        let mut s = reopened.session();
        assert_eq!(State::read(&reopened), before, "{what}: reopen");
        assert_eq!(
            reopened.execute(&mut s, &["GET", "after"]),
            Reply::bulk(b"1")
        );
    } else {
        drop(engine);
    }
    disk.assert_released(what);
    Ok(truncated)
}

fn report(name: &str, run: &Run, t: &Tally) {
    eprintln!(
        "{name}: {} captures, {} images, {} distinct opened: {} ok ({} truncated a tail), \
         refused with a named error: {:?}; images holding a temp file: {}; files loaded: {}; \
         {} syncs",
        run.images.len(),
        t.images,
        t.distinct,
        t.opened,
        t.truncated,
        t.refused,
        t.with_temp,
        t.loaded.len(),
        run.disk.syncs().len(),
    );
}

#[test]
fn power_loss_with_always_loses_no_acknowledged_write() {
    let seed = rng("power_loss_always").random();
    let run = workload(&Plan {
        policy: "always",
        ops: 1000,
        rewrites: &[300, 700],
        capture: &[Op::Sync, Op::SyncDir, Op::Rename],
        every: 1,
        only_rewrites: false,
        pace: Duration::ZERO,
    });
    let t = check_images("always", &run, seed);
    report("always", &run, &t);
    assert!(t.truncated > 0, "no image had a cut tail");
}

#[test]
fn power_loss_with_everysec_keeps_what_an_fsync_covered() {
    let seed = rng("power_loss_everysec").random();
    let run = workload(&Plan {
        policy: "everysec",
        ops: 1000,
        rewrites: &[500],
        capture: &[Op::Sync, Op::SyncDir, Op::Rename, Op::Write],
        every: 20,
        only_rewrites: false,
        // About 2.5 s: fsyncs of the writer's own (once a second).
        pace: Duration::from_micros(2500),
    });
    let t = check_images("everysec", &run, seed);
    report("everysec", &run, &t);
    assert!(run.disk.syncs().len() >= 3, "too few fsyncs to test");
}

#[test]
fn power_loss_with_no_fsync_keeps_a_prefix() {
    let seed = rng("power_loss_no").random();
    let run = workload(&Plan {
        policy: "no",
        ops: 1000,
        rewrites: &[500],
        capture: &[Op::Sync, Op::SyncDir, Op::Rename, Op::Write],
        every: 2,
        only_rewrites: false,
        pace: Duration::ZERO,
    });
    let t = check_images("no", &run, seed);
    report("no", &run, &t);
}

/// D5, crashes: a capture before every I/O operation while rewrites run
/// (create the temp file, write it, fsync it, rename it, fsync the
/// directory, and the first records after): every image opens to every
/// acknowledged op, from the old file or the new one, and a temp file a
/// crash left is removed, never loaded.
#[test]
fn a_crash_at_any_step_of_a_rewrite_leaves_the_old_or_the_new_file() {
    let seed = rng("rewrite_crash").random();
    let run = workload(&Plan {
        policy: "always",
        ops: 300,
        rewrites: &[100, 200],
        capture: &[
            Op::Open,
            Op::Write,
            Op::Sync,
            Op::Rename,
            Op::SyncDir,
            Op::Remove,
            Op::Truncate,
        ],
        every: 1,
        only_rewrites: true,
        pace: Duration::ZERO,
    });
    let t = check_images("always", &run, seed);
    report("rewrite steps", &run, &t);
    let steps: HashSet<Op> = run.images.iter().filter_map(|i| i.op).collect();
    for step in [Op::Open, Op::Write, Op::Sync, Op::Rename, Op::SyncDir] {
        assert!(steps.contains(&step), "no crash before a {step:?}");
    }
    assert!(
        t.loaded.len() >= 3,
        "the images did not load the old and the new files"
    );
    assert!(t.with_temp > 0, "no image held a temp file");
}

/// Under `everysec` the fsync runs on a thread of its own: while a slow
/// disk syncs (300 ms each), the records still reach the file within a
/// few milliseconds, so a crash of the process (not of the machine) loses
/// only the last moments, whatever the disk's speed.
#[test]
fn everysec_keeps_writing_while_a_slow_fsync_runs() {
    let dir = TempDir::new("slow-fsync");
    let disk = SimDisk::new();
    let engine = open(&dir.0, &disk, "everysec", &[]).expect("open");
    disk.slow_syncs(300, 300, 0);
    let syncs_before = disk.syncs().len();
    let mut s = engine.session();
    let start = Instant::now();
    // The longest time the file did not grow while SETs went on.
    let (mut len, mut grew) = (disk.live_len(AOF), Instant::now());
    let mut worst = Duration::ZERO;
    let mut seen_pending = false;
    for n in 0.. {
        if start.elapsed() >= Duration::from_millis(2500) {
            break;
        }
        let r = engine.execute(&mut s, &["SET", &format!("k{n}"), "v"]);
        assert_eq!(r, Reply::ok());
        let now = disk.live_len(AOF);
        if now != len {
            (len, grew) = (now, Instant::now());
        }
        worst = worst.max(grew.elapsed());
        seen_pending |= info_field(&engine, "aof_pending_bio_fsync") == "1";
        std::thread::sleep(Duration::from_micros(200));
    }
    let syncs = disk.syncs().len() - syncs_before;
    assert!(syncs >= 2, "only {syncs} fsyncs ran");
    assert!(seen_pending, "INFO never showed the fsync in flight");
    assert!(
        worst < Duration::from_millis(200),
        "the file did not grow for {worst:?} while the disk synced"
    );
}
