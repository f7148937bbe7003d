//! INFO against redis-server: section selection, every field name in
//! Redis's order, value formats, and the keyspace lines.

use super::seed;
use crate::harness::Pair;
use kvstore_core::Reply;

fn text(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8(b.clone()).unwrap(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// (section title, [(field, value)]) in output order.
fn parse(info: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in info.split("\r\n") {
        if let Some(title) = line.strip_prefix("# ") {
            out.push((title.to_string(), Vec::new()));
        } else if let Some((k, v)) = line.split_once(':') {
            out.last_mut()
                .expect("field before a section")
                .1
                .push((k.into(), v.into()));
        } else {
            assert!(line.is_empty(), "stray INFO line {line:?}");
        }
    }
    out
}

/// What kind of value a field holds, so that ours parses like Redis's.
fn shape(v: &str) -> &'static str {
    if v.parse::<i64>().is_ok() {
        "int"
    } else if v.parse::<f64>().is_ok() {
        "float"
    } else if v
        .strip_suffix('%')
        .is_some_and(|n| n.parse::<f64>().is_ok())
    {
        "percent"
    } else {
        "text"
    }
}

/// Sections whose lines depend on the commands run so far, not on a schema.
const DYNAMIC: &[&str] = &["Commandstats", "Errorstats", "Latencystats", "Keyspace"];

#[test]
fn sections_and_fields() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for args in [
            &[][..],
            &["default"],
            &["all"],
            &["everything"],
            &["ALL", "server"],
            &["server"],
            &["Server", "CLIENTS"],
            &["keyspace", "server", "keyspace"],
            &["memory", "persistence", "stats"],
            &["replication", "cpu", "cluster", "modules"],
            &["default", "commandstats"],
            &["nosuch"],
            &["nosuch", "cpu"],
            &["errorstats", "latencystats"],
        ] {
            let mut argv = vec!["INFO"];
            argv.extend_from_slice(args);
            let (theirs, ours) = p.both(&argv);
            assert_eq!(
                std::mem::discriminant(&theirs),
                std::mem::discriminant(&ours),
                "{argv:?}"
            );
            let (theirs, ours) = (parse(&text(&theirs)), parse(&text(&ours)));
            let titles = |v: &[(String, Vec<(String, String)>)]| {
                v.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>()
            };
            assert_eq!(titles(&theirs), titles(&ours), "{argv:?}");
            for ((title, t), (_, o)) in theirs.iter().zip(&ours) {
                if DYNAMIC.contains(&title.as_str()) {
                    continue;
                }
                let names =
                    |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
                assert_eq!(names(t), names(o), "fields of {title}");
                for ((k, tv), (_, ov)) in t.iter().zip(o) {
                    assert_eq!(shape(tv), shape(ov), "{title} {k}: {tv:?} vs {ov:?}");
                }
            }
        }
        p.check(&["INFO", "nosuch"]);
    }
}

#[test]
fn fixed_values() {
    let mut p = Pair::new();
    let (theirs, ours) = p.both(&["INFO", "everything"]);
    let (theirs, ours) = (parse(&text(&theirs)), parse(&text(&ours)));
    let get = |v: &[(String, Vec<(String, String)>)], k: &str| {
        v.iter()
            .flat_map(|(_, f)| f.iter())
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k}"))
    };
    for k in [
        "redis_version",
        "redis_mode",
        "arch_bits",
        "os",
        "hz",
        "configured_hz",
        "maxclients",
        "maxmemory",
        "maxmemory_human",
        "maxmemory_policy",
        "role",
        "connected_slaves",
        "master_failover_state",
        "cluster_enabled",
        "aof_enabled",
        "loading",
        "rdb_last_bgsave_status",
        "repl_backlog_size",
        "master_repl_offset",
        "total_system_memory",
    ] {
        assert_eq!(get(&theirs, k), get(&ours, k), "{k}");
    }
    assert_eq!(get(&ours, "process_id"), std::process::id().to_string());
    assert_eq!(get(&ours, "run_id").len(), 40);
}

#[test]
fn keyspace_lines() {
    let mut p = Pair::new();
    p.check(&["INFO", "keyspace"]);
    seed(&mut p, 0, "a", "1", None);
    seed(&mut p, 0, "b", "1", None);
    seed(&mut p, 3, "a", "1", Some(1000));
    seed(&mut p, 3, "b", "1", None);
    seed(&mut p, 12, "x", "1", Some(500));
    let (theirs, ours) = p.both(&["INFO", "keyspace"]);
    let (theirs, ours) = (parse(&text(&theirs)), parse(&text(&ours)));
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].1.len(), ours[0].1.len());
    for ((tk, tv), (ok, ov)) in theirs[0].1.iter().zip(&ours[0].1) {
        assert_eq!(tk, ok);
        // avg_ttl is an estimate in both (Redis updates it from its expiry
        // cycle): same fields, same counts.
        let (tv, ov): (Vec<&str>, Vec<&str>) = (tv.split(',').collect(), ov.split(',').collect());
        assert_eq!(tv[..2], ov[..2], "{tk}");
        let ttl = ov[2]
            .strip_prefix("avg_ttl=")
            .unwrap()
            .parse::<u64>()
            .unwrap();
        assert!(ttl <= 1_000_000, "{tk}: {ov:?}");
        assert!(tv[2].starts_with("avg_ttl="));
    }
    p.check(&["SELECT", "3"]);
    p.check(&["FLUSHDB"]);
    let (theirs, ours) = p.both(&["INFO", "KEYSPACE"]);
    let (theirs, ours) = (text(&theirs), text(&ours));
    let dbs = |s: &str| {
        s.lines()
            .map(|l| l.split(':').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(dbs(&theirs), dbs(&ours));
}
