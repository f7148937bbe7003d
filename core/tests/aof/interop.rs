//! redis-server 7.0 reads our append-only file: the round trip's workload
//! (see `roundtrip`) writes `appendonly.aof` (an RDB preamble, empty or
//! holding the data of a rewrite made midway, then the commands logged
//! after it); `redis-check-aof` must find it valid, and a redis-server
//! started on a copy of it (Redis 7 takes an `appendonly.aof` found in its
//! directory, with no `appendonlydir` yet, as the base of a new multi-part
//! file) must hold what our engine holds after replaying it.
//!
//! Redis runs on the wall clock, so the workload's clock starts in the
//! recent past and our engine reopens at the wall clock's time; keys whose
//! deadline falls within a few seconds of the comparison are left out,
//! since they may expire between the two pictures.

use crate::common::{Picture, Server, TempDir, assert_same, picture};
use crate::mixed::Workload;
use crate::roundtrip::{Midway, comparable, open, snapshot, write_dataset};
use kvstore_core::Reply;
use kvstore_core::clock::ManualClock;
use std::process::Command;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Keys whose deadline is this close to the comparison are left out.
const MARGIN_MS: i64 = 10_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// `p` without the keys whose deadline is within [`MARGIN_MS`] of `now`.
fn settled(p: &Picture, now: u64) -> Picture {
    p.iter()
        .filter(|(_, v)| {
            let at: i64 = v
                .split_once("expire=")
                .and_then(|(_, rest)| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .expect("a deadline in the picture");
            at == -1 || (at - now as i64).abs() > MARGIN_MS
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn redis_loads_our_file(tag: &str, seed: u64, midway: Midway) {
    let dir = TempDir::new(tag);
    // The workload moves its clock on by about two minutes at most.
    let w = Workload::new(seed).starting_at(now_ms() - 150_000);
    write_dataset(&dir, w, midway, true);
    let file = dir.file("appendonly.aof");
    let check = Command::new("redis-check-aof")
        .arg(&file)
        .output()
        .expect("redis-check-aof must be installed");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && said.contains("RDB preamble is OK") && said.contains("valid"),
        "{tag}: redis-check-aof: {said}"
    );
    let theirs = TempDir::new(&format!("{tag}-redis"));
    std::fs::copy(&file, theirs.file("appendonly.aof")).unwrap();
    let mut server = Server::start_with(
        &theirs.0,
        &["--appendonly", "yes", "--appendfilename", "appendonly.aof"],
    );
    let info = match server.client.call(&["INFO", "persistence"]) {
        Reply::Bulk(b) => String::from_utf8(b).unwrap(),
        other => panic!("INFO replied {other:?}"),
    };
    assert!(info.contains("aof_enabled:1"), "{tag}: {info}");
    assert!(
        theirs.file("appendonlydir").is_dir(),
        "{tag}: redis took the file as its base"
    );
    let now = now_ms();
    let engine = open(&dir, &Arc::new(ManualClock::new(now)), true);
    let ours = settled(&snapshot(&engine), now);
    let redis = settled(&picture(&mut server.client), now);
    assert_same(&comparable(&ours, false), &comparable(&redis, false), tag);
}

/// Seeds per kind of file (120 per kind pass too, in about 10 s).
const SEEDS: std::ops::Range<u64> = 0..4;

#[test]
fn redis_loads_a_file_of_commands_after_an_empty_preamble() {
    for seed in SEEDS {
        redis_loads_our_file(
            &format!("aof-interop-plain-{seed}"),
            100 + seed,
            Midway::Nothing,
        );
    }
}

#[test]
fn redis_loads_a_file_with_data_in_its_preamble_and_a_command_tail() {
    for seed in SEEDS {
        redis_loads_our_file(
            &format!("aof-interop-rewrite-{seed}"),
            200 + seed,
            Midway::Rewrite,
        );
    }
}

#[test]
fn redis_loads_a_file_created_by_turning_it_on() {
    for seed in SEEDS {
        redis_loads_our_file(
            &format!("aof-interop-turn-on-{seed}"),
            300 + seed,
            Midway::TurnOn,
        );
    }
}
