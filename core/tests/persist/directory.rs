//! The data directory: one owner at a time (the lock names the holder),
//! loading at open (missing or empty file: empty store; corrupt or
//! unreadable: a clear error, nothing loaded), temp files of a crashed
//! save removed, SAVE/BGSAVE/LASTSAVE/INFO bookkeeping, point-in-time
//! BGSAVE under writes, the `save` rules, and the final save on close.

use crate::common::TempDir;
use kvstore_core::persist::OpenError;
use kvstore_core::{Engine, Options, Reply};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn info_field(engine: &Engine, name: &str) -> String {
    let mut s = engine.session();
    let Reply::Verbatim(_, text) = engine.execute(&mut s, &["INFO", "persistence"]) else {
        panic!("INFO")
    };
    let text = String::from_utf8(text).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_string()
}

#[test]
fn a_second_opener_in_this_process_is_refused() {
    let dir = TempDir::new("lock");
    let a = Engine::open(&dir.0, Options::default()).unwrap();
    let err = Engine::open(&dir.0, Options::default()).expect_err("locked");
    let text = err.to_string();
    assert!(
        matches!(err, OpenError::Locked { pid: Some(p), .. } if p == std::process::id()),
        "{text}"
    );
    assert!(text.contains(&std::process::id().to_string()), "{text}");
    drop(a);
    // Dropping the last handle releases the directory.
    Engine::open(&dir.0, Options::default()).unwrap();
}

/// Run by `a_second_process_is_refused_with_the_holder_pid` as a child
/// process: holds the directory named by the environment until stdin closes.
#[test]
fn lock_holder_child() {
    let Ok(dir) = std::env::var("KVSTORE_TEST_HOLD_DIR") else {
        return;
    };
    let _engine = Engine::open(&dir, Options::default()).unwrap();
    println!("locked");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[test]
fn a_second_process_is_refused_with_the_holder_pid() {
    let dir = TempDir::new("lock2");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "directory::lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KVSTORE_TEST_HOLD_DIR", &dir.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("locked") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
    }
    let err = Engine::open(&dir.0, Options::default()).expect_err("locked");
    assert!(
        matches!(err, OpenError::Locked { pid: Some(p), .. } if p == child.id()),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!("process {}", child.id())),
        "{err}"
    );
    drop(child.stdin.take());
    child.wait().unwrap();
    Engine::open(&dir.0, Options::default()).unwrap();
}

#[test]
fn missing_empty_corrupt_and_unreadable_files() {
    let dir = TempDir::new("files");
    // Missing, then empty: an empty store.
    for _ in 0..2 {
        let e = Engine::open(&dir.0, Options::default()).unwrap();
        let mut s = e.session();
        assert_eq!(e.execute(&mut s, &["DBSIZE"]), Reply::Int(0));
        drop(e);
        std::fs::write(dir.file("dump.rdb"), b"").unwrap();
    }
    // Corrupt: refused, naming the file and the offset; the file is kept.
    std::fs::write(dir.file("dump.rdb"), b"REDIS0010\xfe\x00\x00\x03key").unwrap();
    let err = Engine::open(&dir.0, Options::default()).expect_err("corrupt");
    let text = err.to_string();
    assert!(
        matches!(&err, OpenError::Corrupt { offset, .. } if *offset > 9),
        "{text}"
    );
    assert!(
        text.contains("dump.rdb") && text.contains("offset"),
        "{text}"
    );
    assert!(dir.file("dump.rdb").exists());
    // Unreadable (a directory where the file should be): refused.
    std::fs::remove_file(dir.file("dump.rdb")).unwrap();
    std::fs::create_dir(dir.file("dump.rdb")).unwrap();
    let err = Engine::open(&dir.0, Options::default()).expect_err("unreadable");
    assert!(matches!(err, OpenError::Io { .. }), "{err}");
}

#[test]
fn leftover_temp_files_are_removed() {
    let dir = TempDir::new("temp");
    std::fs::write(dir.file("temp-12345.rdb"), b"partial").unwrap();
    let _e = Engine::open(&dir.0, Options::default()).unwrap();
    assert!(!dir.file("temp-12345.rdb").exists());
}

#[test]
fn in_memory_engines_do_not_save() {
    let e = Engine::new();
    let mut s = e.session();
    for cmd in ["SAVE", "BGSAVE"] {
        let r = e.execute(&mut s, &[cmd]);
        assert!(
            matches!(&r, Reply::Error(m) if m.contains("in memory")),
            "{r:?}"
        );
    }
    assert!(e.execute(&mut s, &["BGSAVE", "x"]).is_error());
}

#[test]
fn save_bookkeeping_and_close() {
    let dir = TempDir::new("book");
    let e = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = e.session();
    e.execute(&mut s, &["SET", "a", "1"]);
    e.execute(&mut s, &["SET", "b", "2"]);
    assert_eq!(info_field(&e, "rdb_changes_since_last_save"), "2");
    assert_eq!(info_field(&e, "rdb_saves"), "0");
    let Reply::Int(first) = e.execute(&mut s, &["LASTSAVE"]) else {
        panic!()
    };
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(e.execute(&mut s, &["SAVE"]), Reply::ok());
    let Reply::Int(second) = e.execute(&mut s, &["LASTSAVE"]) else {
        panic!()
    };
    assert!(second > first);
    assert_eq!(info_field(&e, "rdb_changes_since_last_save"), "0");
    assert_eq!(info_field(&e, "rdb_saves"), "1");
    assert_eq!(info_field(&e, "rdb_last_bgsave_status"), "ok");
    let dir_reply = e.execute(&mut s, &["CONFIG", "GET", "dir"]);
    let want = dir.0.canonicalize().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        dir_reply,
        Reply::Map(vec![(
            Reply::Bulk(b"dir".to_vec()),
            Reply::Bulk(want.into_bytes())
        )])
    );
    // Changes after the save are written when the last handle goes.
    e.execute(&mut s, &["SET", "c", "3"]);
    drop(e);
    let e = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = e.session();
    assert_eq!(
        e.execute(&mut s, &["MGET", "a", "c"]),
        Reply::Array(vec![Reply::Bulk(b"1".to_vec()), Reply::Bulk(b"3".to_vec())])
    );
    assert_eq!(info_field(&e, "rdb_last_load_keys_loaded"), "3");
}

fn wait_bgsave(e: &Engine) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_field(e, "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The file of a BGSAVE is the dataset at the moment BGSAVE replied, even
/// though every key is overwritten while the save runs.
#[test]
fn bgsave_is_point_in_time_under_writes() {
    let dir = TempDir::new("pit");
    let e = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = e.session();
    let n = 20_000;
    for i in 0..n {
        e.execute(&mut s, &["SET", &format!("k{i}"), "old"]);
    }
    let r = e.execute(&mut s, &["BGSAVE"]);
    assert_eq!(r, Reply::Status("Background saving started".into()));
    assert!(e.execute(&mut s, &["BGSAVE"]).is_error(), "one at a time");
    for i in 0..n {
        e.execute(&mut s, &["SET", &format!("k{i}"), "new"]);
    }
    e.execute(&mut s, &["SET", "late", "x"]);
    wait_bgsave(&e);
    assert_eq!(info_field(&e, "rdb_last_bgsave_status"), "ok");
    // Only the changes after the cut remain unsaved.
    assert_eq!(
        info_field(&e, "rdb_changes_since_last_save"),
        (n + 1).to_string()
    );
    let copy = TempDir::new("pit-copy");
    std::fs::copy(dir.file("dump.rdb"), copy.file("dump.rdb")).unwrap();
    let loaded = Engine::open(&copy.0, Options::default()).unwrap();
    let mut ls = loaded.session();
    assert_eq!(loaded.execute(&mut ls, &["DBSIZE"]), Reply::Int(n as i64));
    for i in (0..n).step_by(997) {
        let v = loaded.execute(&mut ls, &["GET", &format!("k{i}")]);
        assert_eq!(v, Reply::Bulk(b"old".to_vec()), "k{i}");
    }
}

#[test]
fn save_rules_trigger_a_background_save() {
    let dir = TempDir::new("rules");
    let e = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = e.session();
    assert_eq!(
        e.execute(&mut s, &["CONFIG", "SET", "save", "1 2"]),
        Reply::ok()
    );
    e.execute(&mut s, &["SET", "a", "1"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        info_field(&e, "rdb_saves"),
        "0",
        "one change is below the rule"
    );
    e.execute(&mut s, &["SET", "b", "2"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&e, "rdb_saves") == "0" {
        assert!(Instant::now() < deadline, "the rule never fired");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(dir.file("dump.rdb").exists());
}

/// Threads racing to open one directory: each open either owns it or is
/// refused as locked, and every owner's increment survives.
#[test]
fn racing_opens_never_share_the_directory() {
    let dir = TempDir::new("race");
    let owned = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|sc| {
        for _ in 0..4 {
            sc.spawn(|| {
                for _ in 0..25 {
                    match Engine::open(&dir.0, Options::default()) {
                        Ok(e) => {
                            let mut s = e.session();
                            assert!(matches!(e.execute(&mut s, &["INCR", "n"]), Reply::Int(_)));
                            owned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(OpenError::Locked { .. }) => {}
                        Err(other) => panic!("{other}"),
                    }
                }
            });
        }
    });
    let e = Engine::open(&dir.0, Options::default()).unwrap();
    let mut s = e.session();
    let n = owned.load(std::sync::atomic::Ordering::Relaxed);
    assert!(n > 0);
    assert_eq!(
        e.execute(&mut s, &["GET", "n"]),
        Reply::Bulk(n.to_string().into_bytes())
    );
}

#[test]
fn open_with_config_uses_its_dbfilename_and_final_save_writes_it() {
    use kvstore_core::config::Config;
    use kvstore_core::lifecycle::{FinalSave, final_save};
    let dir = TempDir::new("dbfilename");
    let config = Config::default();
    config.set_at_startup("dbfilename", "other.rdb").unwrap();
    config.set_at_startup("save", "").unwrap();
    let engine = Engine::open_with_config(&dir.0, Options::default(), config).unwrap();
    let mut s = engine.session();
    engine.execute(&mut s, &["SET", "k", "v"]);
    assert_eq!(final_save(&engine), Ok(FinalSave::Saved));
    assert!(dir.0.join("other.rdb").exists());
    assert!(!dir.0.join("dump.rdb").exists());
    assert_eq!(info_field(&engine, "rdb_changes_since_last_save"), "0");
    drop(s);
    drop(engine);
    // Opened with the default name, the directory looks empty; with the
    // name, the key is back.
    let engine = Engine::open(&dir.0, Options::default()).unwrap();
    assert_eq!(
        engine.execute(&mut engine.session(), &["DBSIZE"]),
        Reply::Int(0)
    );
    drop(engine);
    let config = Config::default();
    config.set_at_startup("dbfilename", "other.rdb").unwrap();
    let engine = Engine::open_with_config(&dir.0, Options::default(), config).unwrap();
    assert_eq!(
        engine.execute(&mut engine.session(), &["GET", "k"]),
        Reply::Bulk(b"v".to_vec())
    );
    // An in-memory engine has nowhere to save.
    assert_eq!(final_save(&Engine::new()), Ok(FinalSave::Unavailable));
}
