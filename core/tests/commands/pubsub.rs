//! Pub/Sub against redis-server, byte for byte over the listener: message
//! and confirmation formats in RESP2 and RESP3, the subscribed-mode rules,
//! PUBSUB introspection, and keyspace notifications.

use crate::harness::{Pair, Twin};
use kvstore_core::Reply;

/// A subscriber and a publisher (the pair's own client) on both sides.
fn setup(resp3: bool) -> (Pair, Twin) {
    let p = Pair::over_socket(resp3);
    let sub = p.socket_client(resp3);
    (p, sub)
}

#[test]
fn messages_and_confirmations_resp2() {
    let (mut p, mut sub) = setup(false);
    sub.send(&["SUBSCRIBE", "a", "b", "a"]);
    for what in ["sub a", "sub b", "sub a again"] {
        sub.expect_same(what);
    }
    sub.send(&["PSUBSCRIBE", "n*", "h?llo"]);
    sub.expect_same("psub n*");
    sub.expect_same("psub h?llo");
    p.check(&["PUBLISH", "a", "hello"]);
    sub.expect_same("message a");
    p.check(&["PUBLISH", "news", "x"]);
    sub.expect_same("pmessage n*");
    p.check(&["PUBLISH", "hello", "y"]);
    sub.expect_same("pmessage h?llo");
    p.check(&["PUBLISH", "nobody", ""]);
    sub.expect_same("pmessage n* empty payload");
    p.check(&["PUBLISH", "zzz", "none"]);
    // Binary-safe channel and payload.
    sub.send(&[&b"SUBSCRIBE"[..], b"bin\x00\r\n"]);
    sub.expect_same("sub binary");
    p.check(&[&b"PUBLISH"[..], b"bin\x00\r\n", b"\x00\xff\r\n"]);
    sub.expect_same("binary message");
    sub.send(&["UNSUBSCRIBE", "b", "not-subscribed"]);
    sub.expect_same("unsub b");
    sub.expect_same("unsub not-subscribed");
    sub.send(&["PUNSUBSCRIBE", "n*"]);
    sub.expect_same("punsub n*");
    sub.send(&["PUNSUBSCRIBE"]);
    sub.expect_same("punsub all");
    // Two channels left (a and the binary one): the order of an
    // UNSUBSCRIBE without arguments is Redis's dict order, so compare the
    // set of confirmations.
    sub.send(&["UNSUBSCRIBE"]);
    let theirs = [sub.redis.read().0, sub.redis.read().0];
    let ours = [sub.ours.read().0, sub.ours.read().0];
    // The same channels, and the counts going down one per confirmation.
    let field = |v: &[Reply], i: usize| {
        let mut out: Vec<String> = v
            .iter()
            .map(|r| match r {
                Reply::Array(items) => format!("{:?}", items[i]),
                other => panic!("{other:?}"),
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(field(&theirs, 1), field(&ours, 1));
    assert_eq!(field(&theirs, 2), field(&ours, 2));
    assert!(format!("{:?}", ours[1]).contains("Int(0)"));
    sub.check(&["UNSUBSCRIBE"]);
    sub.check(&["PUNSUBSCRIBE"]);
    // Out of subscribed mode: any command again.
    sub.check(&["PING"]);
    sub.check(&["GET", "x"]);
    sub.expect_nothing(50);
}

#[test]
fn messages_and_confirmations_resp3() {
    let (mut p, mut sub) = setup(true);
    sub.send(&["SUBSCRIBE", "a"]);
    sub.expect_same("sub a");
    sub.send(&["PSUBSCRIBE", "a*"]);
    sub.expect_same("psub a*");
    // RESP3 has no subscribed mode: commands run, pushes interleave.
    sub.check(&["GET", "x"]);
    sub.check(&["PING"]);
    sub.check(&["PING", "m"]);
    p.check(&["PUBLISH", "a", "v"]);
    sub.expect_same("push message");
    sub.expect_same("push pmessage");
    sub.send(&["UNSUBSCRIBE"]);
    sub.expect_same("unsub all");
    sub.send(&["UNSUBSCRIBE"]);
    sub.expect_same("unsub nil");
    sub.send(&["PUNSUBSCRIBE", "a*", "zz"]);
    sub.expect_same("punsub a*");
    sub.expect_same("punsub zz");
    sub.expect_nothing(50);
}

#[test]
fn subscribed_mode_rules_resp2() {
    let (_p, mut sub) = setup(false);
    sub.send(&["SUBSCRIBE", "a"]);
    sub.expect_same("sub a");
    for argv in [
        &["GET", "x"][..],
        &["CONFIG", "GET", "maxclients"],
        &["PUBLISH", "a", "b"],
        &["PUBSUB", "NUMPAT"],
        &["SELECT", "1"],
        &["MULTI"],
    ] {
        sub.check(argv);
    }
    sub.check(&["PING"]);
    sub.check(&["PING", "hello"]);
    sub.send(&["SSUBSCRIBE", "s1"]);
    sub.expect_same("ssubscribe counts its own kind");
    // Unknown commands and arity errors come before the rule.
    sub.check(&["NOSUCH"]);
    sub.check(&["GET"]);
    sub.check(&["RESET"]);
    sub.check(&["GET", "x"]);
    sub.check(&["PUBSUB", "NUMSUB", "a", "s1"]);
    sub.check(&["PUBSUB", "SHARDNUMSUB", "a", "s1"]);
}

#[test]
fn shard_channels_are_their_own_space() {
    let (mut p, mut sub) = setup(false);
    sub.send(&["SSUBSCRIBE", "s1", "s2"]);
    sub.expect_same("ssub s1");
    sub.expect_same("ssub s2");
    sub.send(&["SUBSCRIBE", "s1"]);
    sub.expect_same("sub s1");
    p.check(&["SPUBLISH", "s1", "m"]);
    sub.expect_same("smessage");
    p.check(&["PUBLISH", "s1", "n"]);
    sub.expect_same("message");
    p.check(&["PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"]);
    p.check_unordered(&["PUBSUB", "SHARDCHANNELS"]);
    p.check(&["PUBSUB", "SHARDCHANNELS", "s2*"]);
    sub.send(&["SUNSUBSCRIBE", "s1"]);
    sub.expect_same("sunsub s1");
    sub.send(&["SUNSUBSCRIBE"]);
    sub.expect_same("sunsub the rest");
    sub.send(&["SUNSUBSCRIBE"]);
    sub.expect_same("sunsub nil");
}

#[test]
fn pubsub_introspection() {
    let (mut p, mut a) = setup(false);
    let mut b = p.socket_client(false);
    a.send(&["SUBSCRIBE", "x", "y"]);
    a.expect_same("a sub x");
    a.expect_same("a sub y");
    b.send(&["SUBSCRIBE", "x"]);
    b.expect_same("b sub x");
    b.send(&["PSUBSCRIBE", "p*", "q*", "p*"]);
    for what in ["p*", "q*", "p* again"] {
        b.expect_same(what);
    }
    a.send(&["PSUBSCRIBE", "p*"]);
    a.expect_same("a psub p*");
    p.check_unordered(&["PUBSUB", "CHANNELS"]);
    p.check(&["PUBSUB", "CHANNELS", "y"]);
    p.check(&["PUBSUB", "CHANNELS", "[xz]"]);
    p.check(&["PUBSUB", "NUMSUB", "x", "y", "z", "x"]);
    p.check(&["PUBSUB", "NUMSUB"]);
    p.check(&["PUBSUB", "NUMPAT"]);
    p.check(&["PUBLISH", "x", "1"]);
    p.check(&["PUBLISH", "pq", "2"]);
    for argv in [
        &["PUBSUB", "CHANNELS", "a", "b"][..],
        &["PUBSUB", "SHARDCHANNELS", "a", "b"],
        &["PUBSUB", "NUMPAT", "x"],
        &["PUBSUB", "FOO"],
        &["PUBSUB"],
        &["PUBSUB", "HELP"],
        &["PUBLISH", "a"],
        &["SUBSCRIBE"],
        &["SPUBLISH", "a", "b"],
    ] {
        p.check(argv);
    }
    // A client that disconnects leaves nothing behind.
    drop(b);
    std::thread::sleep(std::time::Duration::from_millis(100));
    p.check(&["PUBSUB", "NUMSUB", "x"]);
    p.check(&["PUBSUB", "NUMPAT"]);
}

/// Subscribes `sub` to every keyspace and keyevent channel, runs `script`
/// from the pair's client, and compares every notification that follows.
fn notifications(flags: &str, script: &[&[&str]]) {
    let (mut p, mut sub) = setup(false);
    p.config_set("notify-keyspace-events", flags);
    sub.send(&["PSUBSCRIBE", "__key*__:*"]);
    sub.expect_same("psubscribe");
    for argv in script {
        p.check(argv);
    }
    // Both sides sent every notification before the reply of the last
    // command: read redis's until it goes quiet, then the same count.
    let mut n = 0;
    while let Some((theirs, a)) = sub.redis.read_within(std::time::Duration::from_millis(100)) {
        n += 1;
        let (ours, b) = sub
            .ours
            .read_within(std::time::Duration::from_secs(5))
            .unwrap_or_else(|| {
                panic!("notification {n}: kvstore sent nothing; redis sent {theirs:?}")
            });
        assert_eq!(
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b),
            "notification {n}:\n  redis:   {theirs:?}\n  kvstore: {ours:?}"
        );
    }
    sub.expect_nothing(50);
}

#[test]
fn keyspace_notifications_strings_and_generic() {
    notifications(
        "KEA",
        &[
            &["SET", "s", "1"],
            &["SET", "s", "2", "EX", "100"],
            &["INCR", "s"],
            &["INCRBY", "s", "5"],
            &["DECR", "s"],
            &["INCRBYFLOAT", "s", "1.5"],
            &["APPEND", "s", "x"],
            &["SETRANGE", "s", "0", "y"],
            &["EXPIRE", "s", "100"],
            &["PERSIST", "s"],
            &["RENAME", "s", "t"],
            &["GETDEL", "t"],
            &["MSET", "a", "1", "b", "2"],
            &["SETNX", "a", "3"],
            &["SETEX", "c", "100", "v"],
            &["GETSET", "c", "w"],
            &["DEL", "a", "b", "nokey"],
            &["EXPIRE", "c", "0"],
            &["SET", "n", "1"],
            &["PEXPIRE", "n", "-1"],
        ],
    );
}

#[test]
fn keyspace_notifications_collections() {
    notifications(
        "KEA",
        &[
            &["LPUSH", "l", "a", "b"],
            &["RPUSH", "l", "c"],
            &["LSET", "l", "0", "z"],
            &["LINSERT", "l", "BEFORE", "z", "y"],
            &["LPOP", "l"],
            &["RPOP", "l"],
            &["LMOVE", "l", "m", "LEFT", "RIGHT"],
            &["LREM", "l", "0", "a"],
            &["RPOPLPUSH", "m", "m"],
            &["LTRIM", "m", "1", "0"],
            &["SADD", "s", "a", "b", "c"],
            &["SREM", "s", "a"],
            &["SMOVE", "s", "t", "b"],
            &["SPOP", "s"],
            &["SINTERSTORE", "u", "t", "t"],
            &["HSET", "h", "f", "1", "g", "2"],
            &["HINCRBY", "h", "f", "1"],
            &["HINCRBYFLOAT", "h", "f", "1.5"],
            &["HDEL", "h", "f", "g"],
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            &["ZINCRBY", "z", "1", "a"],
            &["ZADD", "z", "INCR", "1", "a"],
            &["ZREM", "z", "a"],
            &["ZPOPMIN", "z"],
            &["ZREMRANGEBYSCORE", "z", "0", "10"],
            &["ZADD", "z", "1", "a"],
            &["ZUNIONSTORE", "y", "1", "z"],
            &["ZREMRANGEBYRANK", "y", "0", "-1"],
        ],
    );
}

#[test]
fn keyspace_notification_classes_filter() {
    // Only list events, only on the keyevent channels.
    notifications(
        "El",
        &[
            &["SET", "s", "1"],
            &["LPUSH", "l", "a"],
            &["DEL", "s"],
            &["RPOP", "l"],
        ],
    );
    notifications(
        "Kg$",
        &[&["SET", "s", "1"], &["DEL", "s"], &["LPUSH", "l", "a"]],
    );
}

#[test]
fn expired_keys_are_notified() {
    let (mut p, mut sub) = setup(false);
    p.config_set("notify-keyspace-events", "Ex");
    sub.send(&["SUBSCRIBE", "__keyevent@0__:expired"]);
    sub.expect_same("subscribe");
    p.check(&["SET", "k", "v", "PX", "20"]);
    std::thread::sleep(std::time::Duration::from_millis(50));
    // Lazy expiry on access notifies too (whichever comes first).
    p.check(&["GET", "k"]);
    sub.expect_same("expired");
}

#[test]
fn keyspace_notifications_other_families() {
    notifications(
        "KEA",
        &[
            &["SETBIT", "b", "7", "1"],
            &["BITFIELD", "b", "SET", "u8", "0", "255", "GET", "u8", "0"],
            &["BITFIELD", "b", "GET", "u8", "0"],
            &["BITOP", "NOT", "c", "b"],
            &["BITOP", "AND", "c", "nokey"],
            &["PFADD", "h", "a", "b"],
            &["PFADD", "h", "a"],
            &["PFMERGE", "h2", "h"],
            &["RPUSH", "l", "3", "1", "2"],
            &["SORT", "l", "STORE", "sorted"],
            &["SORT", "nokey", "STORE", "sorted"],
            &["COPY", "l", "l2"],
            &["MOVE", "l2", "1"],
            &["RENAME", "l", "l"],
            &["BLPOP", "l", "0"],
            &["BLMOVE", "l", "m", "RIGHT", "LEFT", "0"],
            &["ZADD", "z", "1", "a"],
            &["BZPOPMAX", "z", "0"],
            &["FLUSHALL"],
        ],
    );
}

/// `name=value` fields of a CLIENT INFO / INFO text reply.
fn field(r: &Reply, name: &str) -> String {
    let text = match r {
        Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("{other:?}"),
    };
    text.split([' ', '\n', '\r'])
        .find_map(|kv| {
            kv.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(['=', ':']))
        })
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_string()
}

#[test]
fn client_and_info_fields_of_subscribers() {
    let (mut p, mut sub) = setup(true);
    sub.send(&["SUBSCRIBE", "a", "b"]);
    sub.expect_same("sub a");
    sub.expect_same("sub b");
    sub.send(&["PSUBSCRIBE", "p*"]);
    sub.expect_same("psub");
    sub.send(&["SSUBSCRIBE", "s"]);
    sub.expect_same("ssub");
    let theirs = sub.redis.call(&["CLIENT", "INFO"]);
    let ours = sub.ours.call(&["CLIENT", "INFO"]);
    for f in ["flags", "sub", "psub", "ssub"] {
        assert_eq!(field(&theirs, f), field(&ours, f), "CLIENT INFO {f}");
    }
    let theirs = p.redis.call(&["INFO", "stats"]);
    let ours = p.ours(&["INFO", "stats"]).0;
    for f in ["pubsub_channels", "pubsub_patterns", "pubsubshard_channels"] {
        assert_eq!(field(&theirs, f), field(&ours, f), "INFO {f}");
    }
    // A blocked client: INFO's count and CLIENT LIST's `b` flag.
    let mut waiter = p.socket_client(false);
    waiter.send(&["BLPOP", "q", "0"]);
    waiter.expect_nothing(50);
    let theirs = p.redis.call(&["INFO", "clients"]);
    let ours = p.ours(&["INFO", "clients"]).0;
    for f in ["blocked_clients", "clients_in_timeout_table"] {
        assert_eq!(field(&theirs, f), field(&ours, f), "INFO {f}");
    }
    let flags = |r: &Reply| {
        let mut v: Vec<String> = match r {
            Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b)
                .lines()
                .map(|l| field(&Reply::Bulk(l.as_bytes().to_vec()), "flags"))
                .collect(),
            other => panic!("{other:?}"),
        };
        v.sort();
        v
    };
    let theirs = p.redis.call(&["CLIENT", "LIST"]);
    let ours = p.ours(&["CLIENT", "LIST"]).0;
    assert_eq!(flags(&theirs), flags(&ours));
    p.check(&["RPUSH", "q", "v"]);
    waiter.expect_same("served");
}

/// The type-selected CLIENT LIST of each side, asked by `twin`'s two
/// connections, one entry per client: its flags and subscription counts,
/// sorted (ids and addresses differ).
fn typed_list(twin: &mut Twin, ty: &str) -> (Vec<String>, Vec<String>) {
    let argv = ["CLIENT", "LIST", "TYPE", ty];
    let summary = |r: &Reply| {
        let text = match r {
            Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("CLIENT LIST TYPE {ty}: {other:?}"),
        };
        let mut v: Vec<String> = text
            .lines()
            .map(|l| {
                let line = Reply::Bulk(l.as_bytes().to_vec());
                ["flags", "sub", "psub", "ssub"]
                    .map(|f| format!("{f}={}", field(&line, f)))
                    .join(" ")
            })
            .collect();
        v.sort();
        v
    };
    let theirs = twin.redis.call(&argv);
    let ours = twin.ours.call(&argv);
    (summary(&theirs), summary(&ours))
}

/// Compares CLIENT LIST for every client type on both sides.
fn same_types(twin: &mut Twin, when: &str) {
    for ty in ["normal", "pubsub", "PUBSUB", "master", "replica", "slave"] {
        let (theirs, ours) = typed_list(twin, ty);
        assert_eq!(theirs, ours, "CLIENT LIST TYPE {ty} {when}");
    }
}

/// A client with any subscription is of type pubsub (flags `P`), and
/// normal again once it has none: CLIENT LIST TYPE and CLIENT KILL TYPE
/// select it as Redis does.
#[test]
fn client_types_follow_subscriptions() {
    let (mut p, mut sub) = setup(true);
    let mut asker = p.socket_client(false);
    same_types(&mut asker, "before subscribing");
    sub.send(&["SUBSCRIBE", "a"]);
    sub.expect_same("sub a");
    same_types(&mut asker, "with a channel");
    sub.send(&["SSUBSCRIBE", "s"]);
    sub.expect_same("ssub s");
    sub.send(&["UNSUBSCRIBE", "a"]);
    sub.expect_same("unsub a");
    same_types(&mut asker, "with a shard channel only");
    sub.send(&["SUNSUBSCRIBE"]);
    sub.expect_same("sunsub");
    same_types(&mut asker, "after unsubscribing");
    // The caller's own type comes from its live state.
    sub.send(&["PSUBSCRIBE", "p*"]);
    sub.expect_same("psub");
    for ty in ["pubsub", "normal"] {
        let (theirs, ours) = typed_list(&mut sub, ty);
        assert_eq!(theirs, ours, "the subscriber's own CLIENT LIST TYPE {ty}");
    }
    same_types(&mut asker, "with a pattern");
    for argv in [
        &["CLIENT", "LIST", "TYPE", "nosuch"][..],
        &["CLIENT", "LIST", "TYPE"],
        &["CLIENT", "KILL", "TYPE", "nosuch"],
        &["CLIENT", "KILL", "TYPE", "master"],
        &["CLIENT", "KILL", "TYPE", "replica"],
        &["CLIENT", "KILL", "TYPE", "pubsub"],
    ] {
        p.check(argv);
    }
    // The subscriber was killed on both sides; the pair's client remains.
    for side in [&mut sub.redis, &mut sub.ours] {
        side.send(&["PING"]);
        assert!(side.read_closed(std::time::Duration::from_secs(5)));
    }
    same_types(&mut asker, "after the kill");
}

/// The `n` class: `new` when a command creates a key (Redis's `dbAdd`),
/// before the command's own event, also where a key is replaced by a new
/// one (RENAME, COPY and RESTORE onto an existing key); `A` does not
/// include it, and `An` keeps it although CONFIG GET shows `A`.
#[test]
fn new_key_notifications() {
    let script: &[&[&str]] = &[
        &["SET", "s", "1"],
        &["SET", "s", "2"],
        &["SETNX", "s", "3"],
        &["SETNX", "s2", "3"],
        &["MSET", "a", "1", "b", "2", "a", "3"],
        &["MSETNX", "c", "1", "d", "2"],
        &["GETSET", "e", "1"],
        &["SET", "f", "1", "GET"],
        &["SETEX", "g", "100", "v"],
        &["INCR", "i"],
        &["INCRBYFLOAT", "j", "1.5"],
        &["APPEND", "k", "x"],
        &["SETRANGE", "l", "2", "x"],
        &["SETBIT", "m", "7", "1"],
        &["BITFIELD", "n", "SET", "u8", "0", "1"],
        &["BITOP", "OR", "o", "m", "n"],
        &["BITOP", "OR", "o", "m"],
        &["PFADD", "p", "x"],
        &["PFMERGE", "p2", "p"],
        &["LPUSH", "q", "a", "b"],
        &["RPUSHX", "q2", "a"],
        &["LMOVE", "q", "q3", "LEFT", "LEFT"],
        &["RPOPLPUSH", "q", "q3"],
        &["SADD", "r", "a", "b"],
        &["SMOVE", "r", "r2", "a"],
        &["SUNIONSTORE", "r3", "r", "r2"],
        &["SUNIONSTORE", "r3", "r"],
        &["HSET", "h", "f", "v"],
        &["HSETNX", "h2", "f", "v"],
        &["HINCRBY", "h3", "f", "1"],
        &["HINCRBYFLOAT", "h4", "f", "1"],
        &["ZADD", "z", "1", "a"],
        &["ZINCRBY", "z2", "1", "a"],
        &["ZUNIONSTORE", "z3", "1", "z"],
        &["ZRANGESTORE", "z4", "z", "0", "-1"],
        &["SORT", "q3", "ALPHA", "STORE", "t"],
        &["SORT", "q3", "ALPHA", "STORE", "t"],
        &["RENAME", "s", "s3"],
        &["RENAME", "s3", "a"],
        &["RENAMENX", "a", "u"],
        &["COPY", "u", "v"],
        &["COPY", "u", "v", "REPLACE"],
        &["COPY", "u", "w", "DB", "1"],
        &["MOVE", "w2", "1"],
        &["SET", "w2", "x"],
        &["MOVE", "w2", "1"],
        &["DEL", "s2", "nokey"],
        &["FLUSHALL"],
    ];
    for flags in ["KEAn", "En", "Kn", "KEn$", "AnKE"] {
        notifications(flags, script);
    }
    let (mut p, _sub) = setup(false);
    p.config_set("notify-keyspace-events", "KEAn");
    p.check(&["CONFIG", "GET", "notify-keyspace-events"]);
    p.config_set("notify-keyspace-events", "nKE");
    p.check(&["CONFIG", "GET", "notify-keyspace-events"]);
}

/// DUMP/RESTORE, and a write onto a key past its deadline: `expired`, then
/// `new`, as Redis's write lookup deletes the old key first.
#[test]
fn new_key_notifications_restore_and_expired() {
    let (mut p, mut sub) = setup(false);
    p.config_set("notify-keyspace-events", "KEAn");
    p.check(&["SET", "src", "v"]);
    p.check(&["SET", "gone", "v", "PX", "20"]);
    p.check(&["SET", "gone2", "v", "PX", "20"]);
    sub.send(&["PSUBSCRIBE", "__key*__:*"]);
    sub.expect_same("psubscribe");
    let Reply::Bulk(payload) = p.check(&["DUMP", "src"]) else {
        panic!("DUMP")
    };
    for argv in [
        &[&b"RESTORE"[..], b"dst", b"0", &payload][..],
        &[b"RESTORE", b"dst", b"0", &payload, b"REPLACE"],
    ] {
        p.check(argv);
        sub.expect_same("restore: new");
        sub.expect_same("restore: new (keyevent)");
        sub.expect_same("restore");
        sub.expect_same("restore (keyevent)");
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    for (argv, events) in [
        (&["SET", "gone", "w"][..], 6),
        (&["LPUSH", "gone2", "w"], 6),
    ] {
        p.check(argv);
        for n in 0..events {
            sub.expect_same(&format!("{argv:?}: event {n}"));
        }
    }
    sub.expect_nothing(50);
}
