//! COMMAND and its subcommands against redis-server. Every row of the
//! command table (this family's and the others' on main) is compared with
//! the real server's COMMAND INFO and COMMAND DOCS.

use crate::harness::Pair;
use kvstore_core::Reply;
use kvstore_core::cmd::table::{self, Command};

/// This family's commands: their tips and flag order are compared too.
const FAMILY: &[&str] = &[
    "ping", "echo", "select", "swapdb", "flushdb", "flushall", "dbsize", "time", "info", "config",
    "client", "hello", "auth", "reset", "command", "role", "lastsave",
];

/// Subcommands we have that Redis 7.0 lacks (7.2's CLIENT SETINFO).
const NEWER: &[&str] = &["client|setinfo", "client|no-touch"];

fn items(r: &Reply) -> &[Reply] {
    match r {
        Reply::Array(v) | Reply::Set(v) => v,
        other => panic!("expected an array, got {other:?}"),
    }
}

fn text(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Status(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

fn texts(r: &Reply) -> Vec<String> {
    items(r).iter().map(text).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Compares one COMMAND INFO row (and its subcommands' rows); appends
/// each difference to `bad`.
fn compare_row(theirs: &Reply, ours: &Reply, family: bool, bad: &mut Vec<String>) {
    let (t, o) = (items(theirs), items(ours));
    let name = text(&o[0]);
    let mut diff = |what: &str, a: String, b: String| {
        if a != b {
            bad.push(format!("{name}: {what}: redis {a} / kvstore {b}"));
        }
    };
    diff("name", text(&t[0]), name.clone());
    diff("arity", format!("{:?}", t[1]), format!("{:?}", o[1]));
    let (tf, of) = (texts(&t[2]), texts(&o[2]));
    if family {
        diff("flags", format!("{tf:?}"), format!("{of:?}"));
    } else {
        diff(
            "flags",
            format!("{:?}", sorted(tf)),
            format!("{:?}", sorted(of)),
        );
    }
    diff(
        "key range",
        format!("{:?}", &t[3..6]),
        format!("{:?}", &o[3..6]),
    );
    let (ta, oa) = (texts(&t[6]), texts(&o[6]));
    if family {
        diff("acl", format!("{ta:?}"), format!("{oa:?}"));
        diff(
            "tips",
            format!("{:?}", texts(&t[7])),
            format!("{:?}", texts(&o[7])),
        );
    } else {
        diff(
            "acl",
            format!("{:?}", sorted(ta)),
            format!("{:?}", sorted(oa)),
        );
    }
    let subs = |r: &Reply| -> Vec<(String, Reply)> {
        items(r)
            .iter()
            .map(|s| (text(&items(s)[0]), s.clone()))
            .collect()
    };
    let (ts, os) = (subs(&t[9]), subs(&o[9]));
    for (n, row) in &os {
        match ts.iter().find(|(m, _)| m == n) {
            Some((_, theirs)) => compare_row(theirs, row, family, bad),
            None if NEWER.contains(&n.as_str()) => {}
            None => bad.push(format!("{n}: Redis 7.0 has no such subcommand")),
        }
    }
}

/// Every row of our table against Redis's, both protocols.
#[test]
fn command_info_every_row() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut bad = Vec::new();
        for c in table::all() {
            let (theirs, ours) = p.both(&["COMMAND", "INFO", c.name]);
            let (t, o) = (&items(&theirs)[0], &items(&ours)[0]);
            if *t == Reply::Nil {
                bad.push(format!("{}: Redis 7.0 has no such command", c.name));
                continue;
            }
            compare_row(t, o, FAMILY.contains(&c.name), &mut bad);
        }
        assert!(
            bad.is_empty(),
            "COMMAND INFO differs:\n  {}",
            bad.join("\n  ")
        );
    }
}

#[test]
fn command_info_lookups() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for argv in [
            &["COMMAND", "INFO", "nosuch"][..],
            &["COMMAND", "INFO", "config|get"],
            &[
                "COMMAND",
                "INFO",
                "CONFIG|GET",
                "get|x",
                "config|nosuch",
                "|",
                "",
            ],
            &["COMMAND", "INFO", "ping", "PING", "echo"],
            &[
                "COMMAND",
                "INFO",
                "hello",
                "client|id",
                "command|docs",
                "reset",
                "time",
                "info",
            ],
            &[
                "COMMAND", "INFO", "dbsize", "swapdb", "flushall", "flushdb", "select", "auth",
            ],
            &[
                "COMMAND",
                "INFO",
                "client|list",
                "client|info",
                "config|set",
                "command|list",
            ],
            &["COMMAND", "COUNT", "x"],
            &["COMMAND", "LIST", "FILTERBY", "PATTERN", "ech*"],
            &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
            &["COMMAND", "GETKEYS", "del", "a", "b"],
            &["COMMAND", "GETKEYS", "ping", "a"],
            &["COMMAND", "nosuch"],
            &["COMMAND", "HELP"],
            &["COMMAND", "help", "x"],
        ] {
            p.check(argv);
        }
        // Order is Redis's dict order there.
        p.check_unordered(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "config|[gs]et"]);
    }
}

#[test]
fn command_count_and_all() {
    let mut p = Pair::new();
    let (theirs, ours) = p.both(&["COMMAND", "COUNT"]);
    let n = table::all().count() as i64;
    assert_eq!(ours, Reply::Int(n));
    assert!(matches!(theirs, Reply::Int(t) if t >= n));
    for argv in [&["COMMAND"][..], &["COMMAND", "INFO"]] {
        let ours = p.engine.execute(&mut p.session, argv);
        let names: Vec<String> = items(&ours).iter().map(|r| text(&items(r)[0])).collect();
        let expected: Vec<String> = table::all().map(|c| c.name.to_string()).collect();
        assert_eq!(names, expected);
    }
}

/// A doc map's fields (RESP2 flat array or RESP3 map) by name.
fn doc_fields(r: &Reply) -> Vec<(String, Reply)> {
    match r {
        Reply::Map(m) => m.iter().map(|(k, v)| (text(k), v.clone())).collect(),
        Reply::Array(v) => v.chunks(2).map(|c| (text(&c[0]), c[1].clone())).collect(),
        other => panic!("{other:?}"),
    }
}

/// Every token in an argument tree, sorted.
fn tokens(args: &Reply) -> Vec<String> {
    let mut out = Vec::new();
    for a in items(args) {
        let f = doc_fields(a);
        for (k, v) in &f {
            match k.as_str() {
                "token" => out.push(text(v)),
                "arguments" => out.extend(tokens(v)),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Compares the docs of one command (and its subcommands).
fn compare_docs(name: &str, theirs: &Reply, ours: &Reply, family: bool, bad: &mut Vec<String>) {
    let (t, o) = (doc_fields(theirs), doc_fields(ours));
    let get =
        |v: &[(String, Reply)], k: &str| v.iter().find(|(n, _)| n == k).map(|(_, r)| r.clone());
    let mut fields = vec!["summary", "since", "group"];
    if family {
        fields.push("complexity");
    }
    for k in fields {
        let (a, b) = (get(&t, k), get(&o, k));
        if a != b {
            bad.push(format!("{name}: {k}: redis {a:?} / kvstore {b:?}"));
        }
    }
    let arg_tokens =
        |v: &[(String, Reply)]| get(v, "arguments").map(|a| tokens(&a)).unwrap_or_default();
    let (ta, oa) = (arg_tokens(&t), arg_tokens(&o));
    if ta != oa {
        bad.push(format!(
            "{name}: argument tokens: redis {ta:?} / kvstore {oa:?}"
        ));
    }
    if let (Some(ts), Some(os)) = (get(&t, "subcommands"), get(&o, "subcommands")) {
        let (ts, os) = (doc_fields(&ts), doc_fields(&os));
        for (n, od) in &os {
            match ts.iter().find(|(m, _)| m == n) {
                Some((_, td)) => compare_docs(n, td, od, family, bad),
                None if NEWER.contains(&n.as_str()) => {}
                None => bad.push(format!("{n}: no docs in Redis 7.0")),
            }
        }
    }
}

/// Summary, since, group (and for this family complexity) of every row,
/// and the tokens COMMAND DOCS derives from each row's syntax.
#[test]
fn command_docs_every_row() {
    for mut p in [Pair::new(), Pair::resp3()] {
        let mut bad = Vec::new();
        for c in table::all() {
            let (theirs, ours) = p.both(&["COMMAND", "DOCS", c.name]);
            let (t, o) = (doc_fields(&theirs), doc_fields(&ours));
            assert_eq!(o.len(), 1);
            assert_eq!(o[0].0, c.name);
            let Some((_, t)) = t.first() else {
                bad.push(format!("{}: no docs in Redis 7.0", c.name));
                continue;
            };
            compare_docs(c.name, t, &o[0].1, FAMILY.contains(&c.name), &mut bad);
        }
        assert!(
            bad.is_empty(),
            "COMMAND DOCS differs:\n  {}",
            bad.join("\n  ")
        );
        // Docs whose derived arguments are exactly Redis's.
        for name in [
            "echo",
            "ping",
            "select",
            "dbsize",
            "time",
            "swapdb",
            "reset",
            "client|id",
            "client|setname",
            "config|resetstat",
            "command|count",
        ] {
            p.check(&["COMMAND", "DOCS", name]);
        }
        p.check(&["COMMAND", "DOCS", "nosuch"]);
        p.check(&["COMMAND", "DOCS", "nosuch", "get|x", ""]);
        let (_, ours) = p.both(&["COMMAND", "DOCS", "config|get", "nosuch"]);
        assert_eq!(doc_fields(&ours)[0].0, "config|get");
    }
    // Without names: every command.
    let engine = kvstore_core::Engine::new();
    let mut s = engine.session();
    let all = engine.execute(&mut s, &["COMMAND", "DOCS"]);
    assert_eq!(doc_fields(&all).len(), table::all().count());
}

fn names_of(r: &Reply) -> Vec<String> {
    sorted(texts(r))
}

/// Every name we list, filtered or not, is what Redis lists among the
/// commands we have.
#[test]
fn command_list() {
    let mut p = Pair::new();
    let ours_all = names_of(&p.engine.execute(&mut p.session, &["COMMAND", "LIST"]));
    let mut filters: Vec<Vec<String>> = vec![vec![]];
    for pat in [
        "*",
        "c*",
        "CONFIG|*",
        "client|?et*",
        "*e*",
        "[a-d]*",
        "nosuch",
    ] {
        filters.push(vec!["FILTERBY".into(), "PATTERN".into(), pat.into()]);
    }
    for cat in kvstore_core::cmd::table::all()
        .flat_map(|c| c.acl.iter())
        .chain(&["nosuch", "FAST"])
    {
        filters.push(vec!["FILTERBY".into(), "ACLCAT".into(), cat.to_string()]);
    }
    filters.push(vec!["filterby".into(), "module".into(), "x".into()]);
    for f in filters {
        let mut argv = vec!["COMMAND".to_string(), "LIST".into()];
        argv.extend(f);
        let (theirs, ours) = p.both(&argv);
        let theirs: Vec<String> = names_of(&theirs)
            .into_iter()
            .filter(|n| ours_all.contains(n))
            .collect();
        let ours: Vec<String> = names_of(&ours)
            .into_iter()
            .filter(|n| !NEWER.contains(&n.as_str()))
            .collect();
        assert_eq!(theirs, ours, "{argv:?}");
    }
    for argv in [
        &["COMMAND", "LIST", "x"][..],
        &["COMMAND", "LIST", "FILTERBY"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN"],
        &["COMMAND", "LIST", "FILTERBY", "x", "y"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"],
        &[
            "COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "FILTERBY", "ACLCAT", "fast",
        ],
    ] {
        p.check(argv);
    }
}

/// Commands whose keys Redis describes with two key specs where the table
/// has one range: `PFMERGE dest` alone has an empty second spec, which
/// Redis's GETKEYS rejects ("Invalid arguments") while the single range
/// finds `dest`. The commands themselves behave alike.
const ONE_SPEC_SHORT: &[&str] = &["pfmerge"];

/// Arguments for GETKEYS probes of `c`: its minimal argv made of `fill`.
fn probe_argv(c: &Command, fill: impl Fn(usize) -> String) -> Vec<String> {
    let n = c.arity.unsigned_abs() as usize;
    let mut argv = vec!["COMMAND".to_string(), "GETKEYS".into(), c.name.into()];
    argv.extend((1..n.max(2)).map(fill));
    argv
}

#[test]
fn command_getkeys() {
    let mut p = Pair::new();
    for argv in [
        &["COMMAND", "GETKEYS"][..],
        &["COMMAND", "GETKEYS", "del"],
        &["COMMAND", "GETKEYS", "nosuch", "a"],
        &["COMMAND", "GETKEYS", "del", "a", "b", "c"],
        &["COMMAND", "GETKEYS", "DEL", "a"],
        &["COMMAND", "GETKEYS", "exists", "a", "a"],
        &["COMMAND", "GETKEYS", "type", "a", "b"],
        &["COMMAND", "GETKEYS", "keys", "*"],
        &["COMMAND", "GETKEYS", "ping", "x"],
        &["COMMAND", "GETKEYS", "flushall", "x"],
        &["COMMAND", "GETKEYS", "config", "get", "x"],
        &["COMMAND", "GETKEYS", "config", "nosuch", "x"],
        &["COMMAND", "GETKEYS", "command", "getkeys", "x"],
        &["COMMAND", "GETKEYSANDFLAGS", "nosuch", "a"],
        &["COMMAND", "GETKEYSANDFLAGS", "ping", "a"],
        &["COMMAND", "GETKEYSANDFLAGS", "type", "a", "b"],
    ] {
        p.check(argv);
    }
    // Every command of the table, probed with a minimal argv of distinct
    // keys and of numbers (valid key counts).
    let mut bad = Vec::new();
    for c in table::all() {
        if ONE_SPEC_SHORT.contains(&c.name) {
            continue;
        }
        for argv in [
            probe_argv(c, |i| format!("k{i}")),
            probe_argv(c, |_| "1".into()),
        ] {
            let (theirs, ours) = p.both(&argv);
            if theirs != ours {
                bad.push(format!("{argv:?}: redis {theirs:?} / kvstore {ours:?}"));
            }
            let mut flags = argv.clone();
            flags[1] = "GETKEYSANDFLAGS".into();
            let (theirs, ours) = p.both(&flags);
            let keys = |r: &Reply| match r {
                Reply::Array(v) => v.iter().map(|kf| items(kf)[0].clone()).collect(),
                other => vec![other.clone()],
            };
            if keys(&theirs) != keys(&ours) {
                bad.push(format!("{flags:?}: redis {theirs:?} / kvstore {ours:?}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "COMMAND GETKEYS differs:\n  {}",
        bad.join("\n  ")
    );
}
