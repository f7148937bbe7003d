//! The snapshot (`dump.rdb`) on the simulated disk: SAVE writes it through
//! the engine's `Storage` (temp file, fsync, rename, fsync of the
//! directory), so a power loss or an I/O error can strike at each step.
//!
//! - Power loss: a dataset is saved, changed and saved again while the
//!   disk captures an image before every operation; each image becomes
//!   10 crash images (every kind of damage to what was not synced). Each
//!   holds the old complete `dump.rdb` or the new complete one, never a
//!   mix, and opens to exactly the old or the new dataset, with no temp
//!   file left. Once SAVE has replied, only the new one survives.
//! - I/O errors: each step of the second SAVE fails in turn; SAVE replies
//!   an error, leaves no temp file, and the file keeps the old dataset
//!   (the new one when only the directory's fsync failed, after the
//!   rename); once the disk heals, SAVE works again.

use crate::common::{Picture, TempDir, apply, assert_same, dataset, picture};
use crate::harness::rng;
use crate::sim::disk::{Damage, Fault, Files, Op, SimDisk};
use crate::sim::{assert_no_temp_files, is_temp, open_with};
use kvstore_core::config::Config;
use kvstore_core::{Engine, Reply};
use rand::Rng;

/// Crash images per capture.
const SEEDS: u64 = 10;
/// The snapshot's name.
const DUMP: &str = "dump.rdb";

/// `appendonly no`, and no save rules (closing an engine saves nothing).
fn config() -> Config {
    let c = Config::default();
    c.set_at_startup("save", "").unwrap();
    c
}

/// The picture of `engine`'s dataset.
fn picture_of(engine: &Engine) -> Picture {
    let mut s = engine.session();
    picture(&mut (engine, &mut s))
}

/// Runs `argv`; its reply.
fn run(engine: &Engine, argv: &[&str]) -> Reply {
    engine.execute(&mut engine.session(), argv)
}

/// Changes to the saved dataset: deletions, overwrites, new keys, and a
/// value big enough that the snapshot takes several writes.
fn changes() -> Vec<Vec<Vec<u8>>> {
    let mut cmds: Vec<Vec<Vec<u8>>> = ["FLUSHDB", "SELECT 1", "SET fresh 1", "SELECT 0"]
        .iter()
        .map(|c| c.split(' ').map(|w| w.as_bytes().to_vec()).collect())
        .collect();
    // Random bytes: compression cannot shrink them below 3 MiB.
    let mut big = vec![0u8; 3 << 20];
    rng("snapshot changes").fill(&mut big[..]);
    cmds.push(vec![b"SET".to_vec(), b"big".to_vec(), big]);
    cmds
}

/// The disk's live `dump.rdb`.
fn live_dump(disk: &SimDisk) -> Vec<u8> {
    disk.live_files()
        .remove(DUMP)
        .expect("dump.rdb on the disk")
}

/// Opens `files` and returns the dataset, checking that the open removed
/// every temp file.
fn open_files(dir: &TempDir, files: &Files, what: &str) -> Picture {
    let disk = SimDisk::with_files(files.iter().map(|(n, (_, d))| (n.clone(), d.clone())));
    let engine = open_with(&dir.0, &disk, config()).unwrap_or_else(|e| panic!("{what}: open: {e}"));
    let pic = picture_of(&engine);
    drop(engine);
    assert_no_temp_files(&disk, what);
    disk.assert_released(what);
    pic
}

/// One file named `dump.rdb` holding `data`.
fn only_dump(data: &[u8]) -> Files {
    Files::from([(DUMP.to_string(), (0, data.to_vec()))])
}

/// An engine on a fresh disk holding the saved dataset, with the changes
/// applied (not saved yet); the old dump's bytes.
fn saved_then_changed(dir: &TempDir, disk: &SimDisk) -> (Engine, Vec<u8>) {
    let engine = open_with(&dir.0, disk, config()).unwrap();
    let mut s = engine.session();
    apply(&mut (&engine, &mut s), &dataset());
    assert_eq!(run(&engine, &["SAVE"]), Reply::ok());
    let old = live_dump(disk);
    apply(&mut (&engine, &mut s), &changes());
    (engine, old)
}

#[test]
fn save_survives_a_power_loss_at_every_step() {
    let dir = TempDir::new("snap-power");
    let disk = SimDisk::new();
    let (engine, old) = saved_then_changed(&dir, &disk);
    disk.capture_at(
        &[
            Op::Open,
            Op::Write,
            Op::Sync,
            Op::Rename,
            Op::SyncDir,
            Op::Remove,
        ],
        1,
    );
    assert_eq!(run(&engine, &["SAVE"]), Reply::ok());
    let mut images = disk.take_images();
    let after = disk.image_now();
    let new = live_dump(&disk);
    drop(engine);
    disk.assert_released("the saving engine");
    assert_ne!(old, new);
    let old_pic = open_files(&dir, &only_dump(&old), "the old dump");
    let new_pic = open_files(&dir, &only_dump(&new), "the new dump");
    assert!(
        images.iter().filter(|i| i.op == Some(Op::Write)).count() > 2,
        "the snapshot was written in one piece: no torn writes to test"
    );
    let mut seen = [false; 2];
    let mut rng = rng("snapshot power loss");
    let captured = images.len();
    images.push(after);
    for (i, image) in images.iter().enumerate() {
        for seed in 0..SEEDS {
            let damage = Damage::ALL[(seed % 4) as usize];
            let files = image.damaged(damage, &mut rng);
            let what = format!("image {i} (before {:?}), {damage:?}", image.op);
            let dump = &files.get(DUMP).expect("dump.rdb is always there").1;
            let is_new = if *dump == old {
                false
            } else if *dump == new {
                true
            } else {
                panic!("{what}: dump.rdb is neither file ({} bytes)", dump.len());
            };
            assert!(
                is_new || i < captured,
                "{what}: the old dump after SAVE replied"
            );
            seen[usize::from(is_new)] = true;
            let pic = open_files(&dir, &files, &what);
            assert_same(if is_new { &new_pic } else { &old_pic }, &pic, &what);
        }
    }
    assert_eq!(seen, [true, true], "both files should show up: {seen:?}");
}

#[test]
fn a_failed_save_keeps_the_old_file() {
    let steps = [
        (Op::Open, false),
        (Op::Write, false),
        (Op::Write, true),
        (Op::Sync, false),
        (Op::Rename, false),
        (Op::SyncDir, false),
    ];
    for (op, short) in steps {
        let what = format!("{op:?} fails{}", if short { " (short)" } else { "" });
        let dir = TempDir::new("snap-fail");
        let disk = SimDisk::new();
        let (engine, old) = saved_then_changed(&dir, &disk);
        let expected = picture_of(&engine);
        disk.inject(Fault {
            op: Some(op),
            file: None,
            nth: 1,
            errno: libc::EIO,
            forever: false,
            short,
        });
        assert!(run(&engine, &["SAVE"]).is_error(), "{what}: SAVE succeeded");
        let files = disk.live_files();
        let temps: Vec<&String> = files.keys().filter(|n| is_temp(n)).collect();
        assert!(temps.is_empty(), "{what}: temp files left: {temps:?}");
        let renamed = op == Op::SyncDir;
        assert_eq!(
            files[DUMP] == old,
            !renamed,
            "{what}: dump.rdb should be the {} file",
            if renamed { "new" } else { "old" }
        );
        disk.heal();
        assert_eq!(
            run(&engine, &["SAVE"]),
            Reply::ok(),
            "{what}: after healing"
        );
        drop(engine);
        disk.assert_released(&what);
        let pic = open_files(&dir, &only_dump(&live_dump(&disk)), &what);
        assert_same(&expected, &pic, &what);
    }
}
