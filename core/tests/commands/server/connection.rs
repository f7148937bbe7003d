//! HELLO, AUTH, RESET and CLIENT against redis-server. Client ids differ
//! between the two by nature, so replies carrying one are compared with the
//! id masked.

use super::seed;
use crate::harness::Pair;
use kvstore_core::Reply;

/// The reply with the value after an `id` key (HELLO) set to 0.
fn mask_id(r: Reply) -> Reply {
    let is_id = |k: &Reply| *k == Reply::Bulk(b"id".to_vec());
    match r {
        Reply::Map(m) => Reply::Map(
            m.into_iter()
                .map(|(k, v)| {
                    if is_id(&k) {
                        (k, Reply::Int(0))
                    } else {
                        (k, v)
                    }
                })
                .collect(),
        ),
        Reply::Array(mut v) => {
            for i in (0..v.len().saturating_sub(1)).step_by(2) {
                if is_id(&v[i]) {
                    v[i + 1] = Reply::Int(0);
                }
            }
            Reply::Array(v)
        }
        other => other,
    }
}

/// Runs HELLO on both and compares with ids masked; checks that ours
/// reports the session's id.
pub(crate) fn check_hello(p: &mut Pair, argv: &[&str]) -> Reply {
    let (theirs, ours) = p.both(argv);
    let our_id = p.session.id as i64;
    if let Reply::Map(m) = &ours {
        assert!(m.contains(&(Reply::Bulk(b"id".to_vec()), Reply::Int(our_id))));
    }
    let (theirs, ours) = (mask_id(theirs), mask_id(ours));
    assert_eq!(theirs, ours, "HELLO reply differs for {argv:?}");
    ours
}

#[test]
fn hello() {
    let mut p = Pair::new();
    for argv in [
        &["HELLO"][..],
        &["HELLO", "2"],
        &["HELLO", "1"],
        &["HELLO", "4"],
        &["HELLO", "-1"],
        &["HELLO", "x"],
        &["HELLO", "2.0"],
        &["HELLO", "99999999999999999999"],
        &["HELLO", "2", "AUTH", "default", "anything"],
        &["HELLO", "2", "auth", "bob", "pw"],
        &["HELLO", "2", "AUTH", "a"],
        &["HELLO", "2", "auth"],
        &["HELLO", "2", "SETNAME"],
        &["HELLO", "2", "foo"],
        &["HELLO", "2", "SETNAME", "a b"],
        &["HELLO", "2", "SETNAME", "app", "SETNAME", "app2"],
        &["HELLO", "2", "SETNAME", "a b", "AUTH", "bob", "x"],
        &["HELLO", "2", "AUTH", "default", "x", "SETNAME", "n1"],
    ] {
        check_hello(&mut p, argv);
    }
    p.check(&["CLIENT", "GETNAME"]);
    // A failed HELLO 3 leaves the protocol alone.
    check_hello(&mut p, &["HELLO", "3", "SETNAME", "bad name"]);
    check_hello(&mut p, &["HELLO", "3", "AUTH", "bob", "pw"]);
    p.check(&["CLIENT", "GETNAME"]);
    assert_eq!(p.session.proto, 2);
    // HELLO 3 switches both to RESP3: maps, nulls, doubles from now on.
    let r = check_hello(&mut p, &["HELLO", "3", "SETNAME", ""]);
    assert!(matches!(r, Reply::Map(_)));
    assert_eq!(p.session.proto, 3);
    p.check(&["CLIENT", "GETNAME"]);
    p.check(&["CONFIG", "GET", "maxmemory"]);
    check_hello(&mut p, &["HELLO"]);
    check_hello(&mut p, &["HELLO", "2"]);
    p.check(&["CONFIG", "GET", "maxmemory"]);
}

#[test]
fn auth() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for argv in [
            &["AUTH"][..],
            &["AUTH", "pw"],
            &["AUTH", "default", "pw"],
            &["AUTH", "default", ""],
            &["AUTH", "bob", "pw"],
            &["AUTH", "DEFAULT", "pw"],
            &["AUTH", "a", "b", "c"],
        ] {
            p.check(argv);
        }
    }
}

#[test]
fn reset() {
    let mut p = Pair::new();
    seed(&mut p, 0, "k0", "v", None);
    seed(&mut p, 3, "k3", "v", None);
    seed(&mut p, 3, "k4", "v", None);
    p.check(&["SELECT", "3"]);
    p.check(&["CLIENT", "SETNAME", "before"]);
    check_hello(&mut p, &["HELLO", "3"]);
    p.check(&["RESET", "x"]);
    p.check(&["DBSIZE"]);
    p.check(&["RESET"]);
    assert_eq!(p.session.proto, 2);
    p.check(&["DBSIZE"]);
    p.check(&["CLIENT", "GETNAME"]);
    p.check(&["CONFIG", "GET", "maxmemory"]);
    p.check(&["reset"]);
}

#[test]
fn client_names() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["CLIENT"]);
        p.check(&["CLIENT", "nosuch"]);
        p.check(&["CLIENT", "GETNAME"]);
        p.check(&["CLIENT", "GETNAME", "x"]);
        p.check(&["CLIENT", "SETNAME"]);
        p.check(&["CLIENT", "SETNAME", "a", "b"]);
        for name in [
            "a b", "é", "x\n", "tab\t", "\x7f", "ok-name", "!~", "name:1", "",
        ] {
            p.check(&["CLIENT", "SETNAME", name]);
            p.check(&["CLIENT", "GETNAME"]);
        }
        p.check(&["client", "setname", "last"]);
        p.check(&["CLIENT", "GETNAME"]);
        let (theirs, ours) = p.both(&["CLIENT", "ID"]);
        assert!(matches!(theirs, Reply::Int(n) if n > 0));
        assert_eq!(ours, Reply::Int(p.session.id as i64));
        p.check(&["CLIENT", "ID", "x"]);
        for args in [&["ON"][..], &["off"], &["x"], &[], &["on", "off"]] {
            let mut argv = vec!["CLIENT", "NO-EVICT"];
            argv.extend_from_slice(args);
            p.check(&argv);
        }
        p.check(&["CLIENT", "GETREDIR"]);
        p.check(&["CLIENT", "GETREDIR", "x"]);
        p.check(&["CLIENT", "TRACKINGINFO"]);
        p.check(&["CLIENT", "TRACKINGINFO", "x"]);
        p.check(&["CLIENT", "HELP", "x"]);
    }
}

/// CLIENT SETINFO is Redis 7.2's (7.0 does not know it): checked on the
/// engine alone, against 7.2's behaviour.
#[test]
fn client_setinfo() {
    let engine = kvstore_core::Engine::new();
    let mut s = engine.session();
    let mut run = |argv: &[&str]| engine.execute(&mut s, argv);
    assert_eq!(
        run(&["CLIENT", "SETINFO", "lib-name", "redis-py"]),
        Reply::ok()
    );
    assert_eq!(run(&["CLIENT", "SETINFO", "LIB-VER", "5.0.1"]), Reply::ok());
    assert_eq!(
        run(&["CLIENT", "SETINFO", "LIB-NAME", "a b"]),
        Reply::Error("ERR LIB-NAME cannot contain spaces, newlines or special characters.".into())
    );
    assert_eq!(
        run(&["CLIENT", "SETINFO", "lib-foo", "x"]),
        Reply::Error("ERR Unrecognized option 'lib-foo'".into())
    );
    assert_eq!(
        run(&["CLIENT", "SETINFO", "lib-name"]),
        Reply::Error("ERR wrong number of arguments for 'client|setinfo' command".into())
    );
    let Reply::Verbatim(_, info) = run(&["CLIENT", "INFO"]) else {
        panic!()
    };
    let info = String::from_utf8(info).unwrap();
    assert!(
        info.ends_with(" lib-name=redis-py lib-ver=5.0.1\n"),
        "{info}"
    );
    assert_eq!(run(&["CLIENT", "SETINFO", "lib-name", ""]), Reply::ok());
    let Reply::Verbatim(_, info) = run(&["CLIENT", "INFO"]) else {
        panic!()
    };
    assert!(
        String::from_utf8(info)
            .unwrap()
            .contains(" lib-name= lib-ver=5.0.1\n")
    );
}

/// `field=value` pairs of one CLIENT LIST line.
fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|f| {
            let (k, v) = f.split_once('=').unwrap_or((f, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn text(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8(b.clone()).unwrap(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Compares CLIENT INFO / LIST text: same lines, same field names in the
/// same order (ours adds 7.2's lib-name and lib-ver), same values for the
/// fields an embedded session shares with a network client.
fn check_client_text(p: &mut Pair, argv: &[&str]) {
    let (theirs, ours) = p.both(argv);
    assert_eq!(
        std::mem::discriminant(&theirs),
        std::mem::discriminant(&ours),
        "{argv:?}: {theirs:?} vs {ours:?}"
    );
    if theirs.is_error() {
        assert_eq!(theirs, ours);
        return;
    }
    let (theirs, ours) = (text(&theirs), text(&ours));
    assert_eq!(theirs.lines().count(), ours.lines().count(), "{argv:?}");
    assert_eq!(theirs.ends_with('\n'), ours.ends_with('\n'));
    for (t, o) in theirs.lines().zip(ours.lines()) {
        let t = fields(t);
        let o: Vec<_> = fields(o)
            .into_iter()
            .filter(|(k, _)| k != "lib-name" && k != "lib-ver")
            .collect();
        let keys = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&t), keys(&o), "{argv:?}");
        for (a, b) in t.iter().zip(&o) {
            if [
                "name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "redir",
                "resp",
            ]
            .contains(&a.0.as_str())
            {
                assert_eq!(a, b, "{argv:?}");
            }
        }
    }
}

#[test]
fn client_info_and_list() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["CLIENT", "SETNAME", "me"]);
        p.check(&["SELECT", "4"]);
        check_client_text(&mut p, &["CLIENT", "INFO"]);
        p.check(&["CLIENT", "INFO", "x"]);
        check_client_text(&mut p, &["CLIENT", "LIST"]);
        for t in [
            "normal", "NORMAL", "master", "replica", "slave", "pubsub", "nosuch",
        ] {
            check_client_text(&mut p, &["CLIENT", "LIST", "TYPE", t]);
        }
        for args in [
            &["x"][..],
            &["TYPE"],
            &["ID"],
            &["TYPE", "normal", "x"],
            &["ID", "abc"],
            &["ID", "99999999"],
            &["ID", "99999999", "x"],
            &["ID", "-1"],
        ] {
            let mut argv = vec!["CLIENT", "LIST"];
            argv.extend_from_slice(args);
            check_client_text(&mut p, &argv);
        }
        // Each side's own id finds its own line.
        let Reply::Int(theirs) = p.redis.call(&["CLIENT", "ID"]) else {
            panic!()
        };
        let ours = p.session.id;
        let t = text(
            &p.redis
                .call(&["CLIENT", "LIST", "ID", "1234567", &theirs.to_string()]),
        );
        let argv = ["CLIENT", "LIST", "ID", "1234567", &ours.to_string()];
        let o = text(&p.engine.execute(&mut p.session, &argv));
        assert_eq!(t.lines().count(), 1);
        assert_eq!(o.lines().count(), 1);
        assert!(o.starts_with(&format!("id={ours} ")));
    }
}

/// Our CLIENT HELP lists only the subcommands we implement, in Redis's
/// words (SETINFO's and NO-TOUCH's lines are 7.2's).
#[test]
fn client_help() {
    let mut p = Pair::new();
    let (theirs, ours) = p.both(&["CLIENT", "HELP"]);
    let lines = |r: Reply| match r {
        Reply::Array(v) => v
            .into_iter()
            .map(|l| match l {
                Reply::Status(s) => s,
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let (theirs, ours) = (lines(theirs), lines(ours));
    assert_eq!(theirs[0], ours[0]);
    assert_eq!(theirs[theirs.len() - 2..], ours[ours.len() - 2..]);
    let setinfo = ours.iter().position(|l| l.starts_with("SETINFO")).unwrap();
    let no_touch = ours.iter().position(|l| l.starts_with("NO-TOUCH")).unwrap();
    for (i, l) in ours.iter().enumerate() {
        if !(setinfo..setinfo + 4).contains(&i) && !(no_touch..no_touch + 2).contains(&i) {
            assert!(theirs.contains(l), "{l:?} is not in Redis's CLIENT HELP");
        }
    }
}
