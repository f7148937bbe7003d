//! Keyspace notifications (`notify-keyspace-events`): the event classes,
//! with Redis's bits and flag letters, and [`notify`], which publishes an
//! event on `__keyspace@<db>__:<key>` (the event name as the message)
//! and/or `__keyevent@<db>__:<event>` (the key as the message), as
//! Redis's `notifyKeyspaceEvent`. Handlers call it through
//! [`Ctx::notify`](crate::ctx::Ctx::notify) with the event names Redis
//! uses; when the classes are off it costs one atomic load.

use crate::engine::Shared;

/// `K`: publish on the `__keyspace@<db>__:` channels.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on the `__keyevent@<db>__:` channels.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: keys removed because they expired.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: keys evicted for maxmemory.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: key misses.
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module key types.
pub const MODULE: u32 = 1 << 13;
/// `n`: new keys.
pub const NEW: u32 = 1 << 14;
/// `A`: every class but key misses and new keys.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Publishes event `event` of class `class` for `key` of `db`, if the
/// configured classes include it (Redis's `notifyKeyspaceEvent`).
pub fn notify(shared: &Shared, class: u32, event: &str, key: &[u8], db: usize) {
    let flags = shared.config.notify_flags();
    if flags & class == 0 || flags & (KEYSPACE | KEYEVENT) == 0 {
        return;
    }
    let limit = shared.config.pubsub_hard_limit();
    if flags & KEYSPACE != 0 {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        shared
            .pubsub
            .publish(&channel, event.as_bytes(), false, limit);
    }
    if flags & KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        shared.pubsub.publish(channel.as_bytes(), key, false, limit);
    }
}

#[cfg(test)]
mod tests {
    use crate::clock::ManualClock;
    use crate::{Engine, Options, Reply};
    use std::sync::Arc;

    /// The `__keyevent@0__:*` events an in-process subscriber received.
    fn events(inbox: &crate::pubsub::Inbox) -> Vec<String> {
        inbox
            .drain()
            .into_iter()
            .filter_map(|m| match m {
                Reply::Push(v) if v.len() == 4 => match &v[2] {
                    Reply::Bulk(ch) => Some(String::from_utf8_lossy(ch).into_owned()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// A plain SET onto a key past its deadline (no lookup before the
    /// store) is still `expired`, then `new`, then `set`, as in Redis; the
    /// clock is manual so that no expiry cycle gets there first.
    #[test]
    fn storing_over_an_expired_key_is_expired_then_new() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let e = Engine::with_options(Options {
            clock: clock.clone(),
            background: false,
            ..Options::default()
        });
        e.shared()
            .config
            .set("notify-keyspace-events", "En$gx")
            .unwrap();
        let mut sub = e.session();
        e.execute(&mut sub, &["PSUBSCRIBE", "__keyevent@0__:*"]);
        let inbox = sub.inbox();
        let mut s = e.session();
        e.execute(&mut s, &["SET", "k", "v", "PX", "10"]);
        clock.advance(20);
        events(&inbox);
        e.execute(&mut s, &["SET", "k", "v3"]);
        e.execute(&mut s, &["SET", "k", "v4"]);
        let expected = ["expired", "new", "set", "set"].map(|ev| format!("__keyevent@0__:{ev}"));
        assert_eq!(events(&inbox), expected);
        let expired = &e.shared().stats.expired_keys;
        assert_eq!(expired.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
