//! INFO: Redis 7.0's sections, field names and formats. Fields whose value
//! an embedded engine cannot know (network bytes, allocator internals,
//! fork statistics) are present with 0 so that every tool that parses INFO
//! finds them; the counters the engine keeps (commands, connections, hits,
//! misses, expired keys, changes) and the keyspace are real.

use crate::ctx::Ctx;
use crate::engine::Shared;
use crate::keyspace::DB_COUNT;
use crate::pubsub::Kind;
use std::fmt::Write;
use std::sync::LazyLock;
use std::sync::atomic::Ordering;

/// Section names in output order; `default` marks the ones plain `INFO`
/// (and `INFO default`) shows.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// The INFO text for the section arguments `args` (no arguments: the
/// default sections; `all`, `everything`, `default`, or section names in
/// any case and order; unknown names add nothing). Sections always come in
/// Redis's order, each once.
pub(crate) fn generate(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> String {
    let wanted = select(args);
    let mut out = String::with_capacity(4096);
    for (i, (name, _)) in SECTIONS.iter().enumerate() {
        if !wanted[i] {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        section(ctx, name, &mut out);
    }
    out
}

/// Which sections `args` ask for, by index in [`SECTIONS`].
fn select(args: &[&[u8]]) -> [bool; SECTIONS.len()] {
    let mut wanted = [false; SECTIONS.len()];
    let add_defaults = |w: &mut [bool; SECTIONS.len()]| {
        for (i, (_, default)) in SECTIONS.iter().enumerate() {
            w[i] |= *default;
        }
    };
    if args.is_empty() {
        add_defaults(&mut wanted);
    }
    for a in args {
        let a = a.to_ascii_lowercase();
        match a.as_slice() {
            b"all" | b"everything" => wanted = [true; SECTIONS.len()],
            b"default" => add_defaults(&mut wanted),
            name => {
                if let Some(i) = SECTIONS.iter().position(|(n, _)| n.as_bytes() == name) {
                    wanted[i] = true;
                }
            }
        }
    }
    wanted
}

/// Appends one section, header included.
fn section(ctx: &mut Ctx<'_>, name: &str, out: &mut String) {
    let title = match name {
        "cpu" => "CPU".to_string(),
        _ => {
            let mut t = name.to_string();
            t[..1].make_ascii_uppercase();
            t
        }
    };
    let _ = write!(out, "# {title}\r\n");
    let shared = ctx.shared();
    let lines = match name {
        "server" => server(shared),
        "clients" => clients(shared, ctx.session.id),
        "memory" => memory(shared),
        "persistence" => persistence(shared),
        "stats" => stats(shared),
        "replication" => replication(shared),
        "cpu" => cpu(),
        "cluster" => vec![("cluster_enabled", "0".into())],
        "keyspace" => keyspace(ctx),
        // modules, commandstats, errorstats, latencystats: the engine has
        // no modules and keeps no per-command or per-error statistics.
        _ => Vec::new(),
    };
    for (k, v) in lines {
        let _ = write!(out, "{k}:{v}\r\n");
    }
}

/// A section's `name:value` lines.
type Lines = Vec<(&'static str, String)>;

/// Turns `name:value` pairs whose values are all zero into lines.
fn zeros(names: &[&'static str]) -> Lines {
    names.iter().map(|n| (*n, "0".to_string())).collect()
}

/// A 40-hex-digit id, random per process (Redis's run_id and replid).
fn random_hex40() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

static RUN_ID: LazyLock<String> = LazyLock::new(random_hex40);
static REPL_ID: LazyLock<String> = LazyLock::new(random_hex40);

fn server(shared: &Shared) -> Lines {
    let now_us = shared.clock.now_us();
    let uptime = (now_us / 1000).saturating_sub(shared.start_ms) / 1000;
    let hz = shared.config.get("hz").unwrap_or_default();
    vec![
        ("redis_version", crate::REDIS_VERSION.into()),
        ("redis_git_sha1", "00000000".into()),
        ("redis_git_dirty", "0".into()),
        ("redis_build_id", "kvstore".into()),
        ("redis_mode", "standalone".into()),
        ("os", os_name()),
        ("arch_bits", usize::BITS.to_string()),
        ("monotonic_clock", "POSIX clock_gettime".into()),
        ("multiplexing_api", "none".into()),
        ("atomicvar_api", "c11-builtin".into()),
        ("gcc_version", "0.0.0".into()),
        ("process_id", std::process::id().to_string()),
        ("process_supervised", "no".into()),
        ("run_id", RUN_ID.clone()),
        ("tcp_port", shared.config.get_int("port").to_string()),
        ("server_time_usec", now_us.to_string()),
        ("uptime_in_seconds", uptime.to_string()),
        ("uptime_in_days", (uptime / 86400).to_string()),
        ("hz", hz.clone()),
        ("configured_hz", hz),
        (
            "lru_clock",
            ((now_us / 1_000_000) & ((1 << 24) - 1)).to_string(),
        ),
        ("executable", executable()),
        ("config_file", String::new()),
        ("io_threads_active", "0".into()),
    ]
}

/// `Linux 6.1.0 x86_64`, as Redis prints `uname -s -r -m`.
fn os_name() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string());
    let arch = std::env::consts::ARCH;
    match (
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
    ) {
        (Ok(os), Ok(rel)) => format!("{os} {rel} {arch}"),
        _ => format!("{} {arch}", std::env::consts::OS),
    }
}

fn executable() -> String {
    std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn clients(shared: &Shared, caller: u64) -> Lines {
    // The network clients, and the caller when it is an in-process session
    // (those are not registered; CLIENT LIST shows the same set).
    let registered = shared.clients.len();
    let caller_extra = usize::from(shared.clients.get(caller).is_none());
    let mut v = vec![
        ("connected_clients", (registered + caller_extra).to_string()),
        ("cluster_connections", "0".into()),
        (
            "maxclients",
            shared.config.get_int("maxclients").to_string(),
        ),
    ];
    v.extend(zeros(&[
        "client_recent_max_input_buffer",
        "client_recent_max_output_buffer",
    ]));
    let blocking = &shared.blocking;
    v.push(("blocked_clients", blocking.count().to_string()));
    v.push(("tracking_clients", "0".into()));
    v.push((
        "clients_in_timeout_table",
        blocking.count_with_timeout().to_string(),
    ));
    v
}

/// Redis's `bytesToHuman`: `512B`, `1.50K`, `2.00M`, ...
fn bytes_to_human(n: u64) -> String {
    const UNITS: &[(f64, &str)] = &[
        (1024.0, "K"),
        (1024.0 * 1024.0, "M"),
        (1024.0 * 1024.0 * 1024.0, "G"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
    ];
    let d = n as f64;
    if d < 1024.0 {
        return format!("{n}B");
    }
    for (i, (size, unit)) in UNITS.iter().enumerate() {
        if UNITS.get(i + 1).is_none_or(|(next, _)| d < *next) {
            return format!("{:.2}{unit}", d / size);
        }
    }
    format!("{n}B")
}

/// Resident set size of the process (Linux), else 0.
fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * page_size()
}

fn page_size() -> u64 {
    // SAFETY: sysconf only reads a system constant.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(4096)
}

/// Physical memory of the machine (Linux), else 0.
fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn memory(shared: &Shared) -> Lines {
    // The host process owns the allocator: the engine cannot tell its own
    // heap use apart, so `used_memory` and friends are 0; RSS is the
    // process's.
    let rss = rss_bytes();
    let total = total_system_memory();
    let maxmemory = shared.config.get("maxmemory").unwrap_or_default();
    let maxmemory_n = maxmemory.parse::<u64>().unwrap_or(0);
    let mut v: Lines = vec![
        ("used_memory", "0".into()),
        ("used_memory_human", bytes_to_human(0)),
        ("used_memory_rss", rss.to_string()),
        ("used_memory_rss_human", bytes_to_human(rss)),
        ("used_memory_peak", "0".into()),
        ("used_memory_peak_human", bytes_to_human(0)),
        ("used_memory_peak_perc", "0.00%".into()),
        ("used_memory_overhead", "0".into()),
        ("used_memory_startup", "0".into()),
        ("used_memory_dataset", "0".into()),
        ("used_memory_dataset_perc", "0.00%".into()),
        ("allocator_allocated", "0".into()),
        ("allocator_active", "0".into()),
        ("allocator_resident", "0".into()),
        ("total_system_memory", total.to_string()),
        ("total_system_memory_human", bytes_to_human(total)),
        ("used_memory_lua", "0".into()),
        ("used_memory_vm_eval", "0".into()),
        ("used_memory_lua_human", bytes_to_human(0)),
        ("used_memory_scripts_eval", "0".into()),
        ("number_of_cached_scripts", "0".into()),
        ("number_of_functions", "0".into()),
        ("number_of_libraries", "0".into()),
        ("used_memory_vm_functions", "0".into()),
        ("used_memory_vm_total", "0".into()),
        ("used_memory_vm_total_human", bytes_to_human(0)),
        ("used_memory_functions", "0".into()),
        ("used_memory_scripts", "0".into()),
        ("used_memory_scripts_human", bytes_to_human(0)),
        ("maxmemory", maxmemory),
        ("maxmemory_human", bytes_to_human(maxmemory_n)),
        (
            "maxmemory_policy",
            shared.config.get("maxmemory-policy").unwrap_or_default(),
        ),
        ("allocator_frag_ratio", "0.00".into()),
        ("allocator_frag_bytes", "0".into()),
        ("allocator_rss_ratio", "0.00".into()),
        ("allocator_rss_bytes", "0".into()),
        ("rss_overhead_ratio", "0.00".into()),
        ("rss_overhead_bytes", "0".into()),
        ("mem_fragmentation_ratio", "0.00".into()),
        ("mem_fragmentation_bytes", "0".into()),
    ];
    v.extend(zeros(&[
        "mem_not_counted_for_evict",
        "mem_replication_backlog",
        "mem_total_replication_buffers",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_aof_buffer",
    ]));
    v.push(("mem_allocator", crate::stats::allocator().into()));
    v.extend(zeros(&[
        "active_defrag_running",
        "lazyfree_pending_objects",
        "lazyfreed_objects",
    ]));
    v
}

fn persistence(shared: &Shared) -> Lines {
    let mut v = zeros(&[
        "loading",
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ]);
    v.push(("current_fork_perc", "0.00".into()));
    v.extend(zeros(&[
        "current_save_keys_processed",
        "current_save_keys_total",
    ]));
    let dirty = shared.stats.dirty.load(Ordering::Relaxed);
    v.extend(shared.persist.info_rdb(dirty));
    v.extend(shared.aof.info());
    v.extend(zeros(&[
        "module_fork_in_progress",
        "module_fork_last_cow_size",
    ]));
    v
}

fn stats(shared: &Shared) -> Lines {
    let s = &shared.stats;
    let n = |a: &crate::stats::Counter| a.load(Ordering::Relaxed).to_string();
    let mut v: Lines = vec![
        ("total_connections_received", n(&s.connections)),
        ("total_commands_processed", n(&s.commands)),
        ("instantaneous_ops_per_sec", "0".into()),
        ("total_net_input_bytes", n(&shared.clients.net_input)),
        ("total_net_output_bytes", n(&shared.clients.net_output)),
    ];
    v.extend(zeros(&[
        "total_net_repl_input_bytes",
        "total_net_repl_output_bytes",
    ]));
    for k in [
        "instantaneous_input_kbps",
        "instantaneous_output_kbps",
        "instantaneous_input_repl_kbps",
        "instantaneous_output_repl_kbps",
    ] {
        v.push((k, "0.00".into()));
    }
    v.push(("rejected_connections", n(&shared.clients.rejected)));
    v.extend(zeros(&["sync_full", "sync_partial_ok", "sync_partial_err"]));
    v.push(("expired_keys", n(&s.expired_keys)));
    v.push(("expired_stale_perc", "0.00".into()));
    v.extend(zeros(&[
        "expired_time_cap_reached_count",
        "expire_cycle_cpu_milliseconds",
        "evicted_keys",
        "evicted_clients",
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
    ]));
    v.push(("keyspace_hits", n(&s.keyspace_hits)));
    v.push(("keyspace_misses", n(&s.keyspace_misses)));
    for (name, kind) in [
        ("pubsub_channels", Kind::Channel),
        ("pubsub_patterns", Kind::Pattern),
        ("pubsubshard_channels", Kind::Shard),
    ] {
        v.push((name, shared.pubsub.count(kind).to_string()));
    }
    v.extend(zeros(&[
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
        "total_error_replies",
        "dump_payload_sanitizations",
        "total_reads_processed",
        "total_writes_processed",
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands",
    ]));
    v
}

fn replication(shared: &Shared) -> Lines {
    vec![
        ("role", "master".into()),
        ("connected_slaves", "0".into()),
        ("master_failover_state", "no-failover".into()),
        ("master_replid", REPL_ID.clone()),
        ("master_replid2", "0".repeat(40)),
        ("master_repl_offset", "0".into()),
        ("second_repl_offset", "-1".into()),
        ("repl_backlog_active", "0".into()),
        (
            "repl_backlog_size",
            shared.config.get("repl-backlog-size").unwrap_or_default(),
        ),
        ("repl_backlog_first_byte_offset", "0".into()),
        ("repl_backlog_histlen", "0".into()),
    ]
}

/// (system, user) CPU time of `who` as Redis prints it (`%ld.%06ld`).
fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let (ok, ru) = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        (libc::getrusage(who, &mut ru) == 0, ru)
    };
    if !ok {
        return ("0.000000".into(), "0.000000".into());
    }
    let fmt = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (fmt(ru.ru_stime), fmt(ru.ru_utime))
}

fn cpu() -> Lines {
    let (sys, user) = rusage(libc::RUSAGE_SELF);
    let (sys_c, user_c) = rusage(libc::RUSAGE_CHILDREN);
    // The engine has no main thread of its own: report the calling thread.
    #[cfg(target_os = "linux")]
    let (sys_t, user_t) = rusage(libc::RUSAGE_THREAD);
    #[cfg(not(target_os = "linux"))]
    let (sys_t, user_t) = (sys.clone(), user.clone());
    vec![
        ("used_cpu_sys", sys),
        ("used_cpu_user", user),
        ("used_cpu_sys_children", sys_c),
        ("used_cpu_user_children", user_c),
        ("used_cpu_sys_main_thread", sys_t),
        ("used_cpu_user_main_thread", user_t),
    ]
}

/// At most this many keys with a TTL are sampled per shard for `avg_ttl`
/// (Redis also estimates it, from the keys its expiry cycle samples).
const TTL_SAMPLE: usize = 32;
/// ... within at most this many buckets per shard.
const TTL_BUCKETS: usize = 64;

/// `db<N>:keys=..,expires=..,avg_ttl=..` for every non-empty db. Each shard
/// is locked briefly on its own: INFO holds no other lock (`Keys::None`),
/// except inside EXEC, which holds them all (see [`Ctx::with_shard`]).
fn keyspace(ctx: &mut Ctx<'_>) -> Lines {
    let shared = ctx.shared();
    let now = ctx.now();
    let mut v = Vec::new();
    for (db, db_name) in DB_NAMES.iter().enumerate() {
        let (mut keys, mut expires) = (0usize, 0usize);
        let (mut ttl_sum, mut ttl_n) = (0u128, 0u64);
        for s in 0..shared.keyspace.shard_count() {
            ctx.with_shard(db, s, |shard| {
                keys += shard.map.len();
                expires += shard.map.volatile();
                if shard.map.volatile() > 0 {
                    sample_ttls(&shard.map, now, &mut ttl_sum, &mut ttl_n);
                }
            });
        }
        if keys > 0 {
            let avg = if ttl_n == 0 {
                0
            } else {
                ttl_sum / u128::from(ttl_n)
            };
            let line = format!("keys={keys},expires={expires},avg_ttl={avg}");
            v.push((*db_name, line));
        }
    }
    v
}

/// Adds the remaining TTL (ms) of up to [`TTL_SAMPLE`] keys with a deadline.
fn sample_ttls(map: &crate::keyspace::Table, now: u64, sum: &mut u128, n: &mut u64) {
    let (mut cursor, mut seen) = (0u64, 0usize);
    for _ in 0..TTL_BUCKETS {
        cursor = map.scan(cursor, |_, e| {
            if e.expire() > now && seen < TTL_SAMPLE {
                *sum += u128::from(e.expire() - now);
                *n += 1;
                seen += 1;
            }
        });
        if cursor == 0 || seen >= TTL_SAMPLE {
            break;
        }
    }
}

const DB_NAMES: [&str; DB_COUNT] = [
    "db0", "db1", "db2", "db3", "db4", "db5", "db6", "db7", "db8", "db9", "db10", "db11", "db12",
    "db13", "db14", "db15",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1536), "1.50K");
        assert_eq!(bytes_to_human(7553024), "7.20M");
        assert_eq!(bytes_to_human(25276514304), "23.54G");
    }

    #[test]
    fn section_selection() {
        let names = |args: &[&[u8]]| -> Vec<&str> {
            let w = select(args);
            SECTIONS
                .iter()
                .zip(w)
                .filter(|(_, on)| *on)
                .map(|((n, _), _)| *n)
                .collect()
        };
        assert_eq!(names(&[]).len(), 11);
        assert_eq!(names(&[b"ALL"]).len(), 13);
        assert_eq!(names(&[b"keyspace", b"Server"]), ["server", "keyspace"]);
        assert!(names(&[b"nosuch"]).is_empty());
        assert_eq!(names(&[b"default", b"commandstats"]).len(), 12);
    }
}
