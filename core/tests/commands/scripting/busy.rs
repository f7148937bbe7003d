//! Long scripts (RELIABILITY.md S52): past `busy-reply-threshold` other
//! clients get `BUSY`, SCRIPT KILL from another thread stops a script that
//! has not written (also one that catches errors with pcall), and a script
//! that wrote is `UNKILLABLE` and runs to its end. Texts as redis-server
//! 7.0 gives them (checked by hand against it: the harness's client cannot
//! send while its server is busy).

use kvstore_core::{CmdError, Engine, HashFields, Reply};
use std::time::{Duration, Instant};

const BUSY: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

fn engine() -> Engine {
    let e = Engine::new();
    e.shared().config.set("busy-reply-threshold", "50").unwrap();
    e
}

/// Polls from a new session until the engine answers `BUSY` (at most
/// 10 s). PING takes no lock, so a poll that slips in just before the
/// script announces itself cannot end up waiting behind it.
fn wait_busy(e: &Engine) {
    let mut s = e.session();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match e.execute(&mut s, &["PING"]) {
            Reply::Error(m) if m == BUSY => return,
            other => assert!(Instant::now() < deadline, "never busy: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `script` on its own thread; returns its reply through the handle.
fn spawn_eval(e: &Engine, script: &'static str) -> std::thread::JoinHandle<Reply> {
    let e = e.clone();
    std::thread::spawn(move || {
        let mut s = e.session();
        e.execute(&mut s, &["EVAL", script, "0"])
    })
}

fn sha(script: &str) -> String {
    let e = Engine::new();
    let mut s = e.session();
    match e.execute(&mut s, &["SCRIPT", "LOAD", script]) {
        Reply::Bulk(b) => String::from_utf8(b).unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn infinite_loops_are_killed() {
    for script in [
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "local function f() return f() end return f()",
        "while true do local ok = pcall(redis.call, 'get', 'k') end",
    ] {
        let e = engine();
        let running = spawn_eval(&e, script);
        wait_busy(&e);
        let mut other = e.session();
        // Allowed while busy.
        assert_eq!(e.execute(&mut other, &["MULTI"]), Reply::ok());
        assert_eq!(e.execute(&mut other, &["DISCARD"]), Reply::ok());
        assert_eq!(
            e.execute(&mut other, &["EVAL", "return 1", "0"]),
            Reply::Error(BUSY.into())
        );
        assert_eq!(e.execute(&mut other, &["SCRIPT", "KILL"]), Reply::ok());
        let reply = running.join().unwrap();
        assert_eq!(
            reply,
            Reply::Error(format!(
                "ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.",
                sha(script)
            )),
            "{script}"
        );
        assert_eq!(
            e.execute(&mut other, &["SCRIPT", "KILL"]),
            Reply::Error("NOTBUSY No scripts in execution right now.".into())
        );
        assert_eq!(e.execute(&mut other, &["SET", "k", "v"]), Reply::ok());
        assert_eq!(
            e.execute(&mut other, &["EVAL", "return redis.call('get', 'k')", "0"]),
            Reply::Bulk(b"v".to_vec())
        );
    }
}

#[test]
fn a_script_that_wrote_is_unkillable() {
    let e = engine();
    let running = spawn_eval(
        &e,
        "redis.call('set', 'x', '1') local i = 0 while i < 5e7 do i = i + 1 end \
         return redis.call('incr', 'x')",
    );
    wait_busy(&e);
    let mut other = e.session();
    assert_eq!(
        e.execute(&mut other, &["SCRIPT", "KILL"]),
        Reply::Error(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. \
             You can either wait the script termination or kill the server in a hard way using \
             the SHUTDOWN NOSAVE command."
                .into()
        )
    );
    assert_eq!(running.join().unwrap(), Reply::Int(2));
    assert_eq!(
        e.execute(&mut other, &["GET", "x"]),
        Reply::Bulk(b"2".to_vec())
    );
}

/// A command sent before the threshold waits for the script instead of
/// failing, and sees all of its effects (scripts are atomic).
#[test]
fn commands_wait_for_short_scripts() {
    let e = Engine::new();
    let running = spawn_eval(
        &e,
        "redis.call('set', 'a', '1') local i = 0 while i < 2e6 do i = i + 1 end \
         redis.call('set', 'b', '1') return 1",
    );
    let mut other = e.session();
    loop {
        let a = e.execute(&mut other, &["EXISTS", "a"]);
        let b = e.execute(&mut other, &["EXISTS", "b"]);
        if a == Reply::Int(1) {
            // Never a half-done script: once `a` is seen, `b` is there.
            assert_eq!(b, Reply::Int(1));
            break;
        }
    }
    assert_eq!(running.join().unwrap(), Reply::Int(1));
}

/// Queued inside MULTI, a script runs under EXEC's locks; killing it
/// works the same.
#[test]
fn scripts_inside_exec() {
    let e = engine();
    let e2 = e.clone();
    let running = std::thread::spawn(move || {
        let mut s = e2.session();
        e2.execute(&mut s, &["MULTI"]);
        e2.execute(&mut s, &["SET", "before", "1"]);
        e2.execute(&mut s, &["EVAL", "while true do end", "0"]);
        e2.execute(&mut s, &["EXEC"])
    });
    wait_busy(&e);
    let mut other = e.session();
    assert_eq!(e.execute(&mut other, &["SCRIPT", "KILL"]), Reply::ok());
    let Reply::Array(replies) = running.join().unwrap() else {
        panic!("EXEC did not run")
    };
    assert_eq!(replies[0], Reply::ok());
    assert!(matches!(&replies[1], Reply::Error(m) if m.starts_with("ERR Script killed")));
    assert_eq!(
        e.execute(&mut other, &["GET", "before"]),
        Reply::Bulk(b"1".to_vec())
    );
}

/// The typed fast paths behave as `execute` while a script is busy: every
/// one gets `BUSY` (a write changing nothing), and each is its session's
/// last command (CLIENT LIST `cmd` of a registered client), even refused,
/// as in Redis.
#[test]
fn typed_calls_get_busy_too() {
    let e = engine();
    let mut t = e.session();
    e.set(&mut t, b"k", b"v").unwrap();
    let running = spawn_eval(&e, "while true do end");
    wait_busy(&e);
    let busy = |r: Result<(), CmdError>| {
        assert_eq!(r.map_err(Reply::from), Err(Reply::Error(BUSY.into())));
    };
    let keep = |_: Option<&[u8]>| ();
    busy(e.get(&mut t, b"k").map(drop));
    busy(e.get_with(&mut t, b"k", keep));
    busy(e.set(&mut t, b"k", b"other"));
    busy(e.hget_with(&mut t, b"h", b"f", keep));
    busy(e.hset(&mut t, b"h", b"f", b"v").map(drop));
    busy(e.zadd(&mut t, b"z", &[(1.0, b"m")]).map(drop));
    busy(
        e.hash_fields_with(&mut t, HashFields::Keys, b"h", |_| ())
            .map(drop),
    );
    let mut other = e.session();
    assert_eq!(e.execute(&mut other, &["SCRIPT", "KILL"]), Reply::ok());
    running.join().unwrap();
    // What CLIENT LIST shows as `cmd` for a registered client.
    let cmd_of = |t: &kvstore_core::Session| t.last_command().map(|(_, c)| c.name);
    assert_eq!(cmd_of(&t), Some("hkeys"));
    assert_eq!(e.get(&mut t, b"k"), Ok(Some(b"v".to_vec())));
    assert_eq!(cmd_of(&t), Some("get"));
    assert_eq!(e.zadd(&mut t, b"z", &[(1.0, b"m")]), Ok(1));
    assert_eq!(cmd_of(&t), Some("zadd"));
    assert_eq!(e.execute(&mut other, &["EXISTS", "h"]), Reply::Int(0));
}
