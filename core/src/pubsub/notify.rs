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
