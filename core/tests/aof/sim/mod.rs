//! The simulated disk ([`disk`]), the workload and oracle ([`workload`])
//! of the power-loss, rewrite-publish, snapshot, I/O-error and barrier
//! tests, and how those tests open engines on a simulated disk.

pub mod disk;
pub mod workload;

use crate::basics::aof_config;
use disk::SimDisk;
use kvstore_core::config::Config;
use kvstore_core::persist::OpenError;
use kvstore_core::{Engine, Options, Reply};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Opens an engine whose append-only file lives on `disk` (`dir`, on the
/// real file system, only holds the lock file), with `appendfsync` =
/// `policy` and the `extra` parameters. No cron runs: tests start
/// rewrites themselves.
pub fn open(
    dir: &Path,
    disk: &SimDisk,
    policy: &str,
    extra: &[(&str, &str)],
) -> Result<Engine, OpenError> {
    let mut params = vec![("appendfsync", policy)];
    params.extend_from_slice(extra);
    open_with(dir, disk, aof_config(&params))
}

/// Opens an engine whose persistence files live on `disk` (`dir` only
/// holds the lock file) with `config`, without the cron.
pub fn open_with(dir: &Path, disk: &SimDisk, config: Config) -> Result<Engine, OpenError> {
    let opts = Options {
        storage: Arc::new(disk.clone()),
        background: false,
        shards: 4,
        ..Options::default()
    };
    Engine::open_with_config(dir, opts, config)
}

/// The INFO persistence field `name` of `engine`.
pub fn info_field(engine: &Engine, name: &str) -> String {
    let mut s = engine.session();
    let info = match engine.execute(&mut s, &["INFO", "persistence"]) {
        Reply::Bulk(text) | Reply::Verbatim(_, text) => text,
        other => panic!("INFO gave {other:?}"),
    };
    let info = String::from_utf8(info).expect("INFO is text");
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in INFO"))
        .to_string()
}

/// Waits (at most 10 s) until no rewrite runs; whether the last one
/// succeeded.
pub fn wait_rewrite(engine: &Engine) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(engine, "aof_rewrite_in_progress") == "1" {
        assert!(Instant::now() < deadline, "the rewrite did not end");
        std::thread::sleep(Duration::from_millis(1));
    }
    info_field(engine, "aof_last_bgrewrite_status") == "ok"
}

/// The name of the append-only file on the disk.
pub const AOF: &str = "appendonly.aof";

/// Is `name` a rewrite's temp file?
pub fn is_temp(name: &str) -> bool {
    name.starts_with("temp-")
}

/// Asserts that no rewrite or save left a temp file on `disk`.
pub fn assert_no_temp_files(disk: &SimDisk, what: &str) {
    let temps: Vec<String> = disk
        .live_files()
        .into_keys()
        .filter(|n| is_temp(n))
        .collect();
    assert!(temps.is_empty(), "{what}: temp files left: {temps:?}");
}
