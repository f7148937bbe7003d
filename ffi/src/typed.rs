//! Typed calls for the hot commands: binary-safe `(ptr, len)` arguments in,
//! C values out, no argv for the caller to build and no reply tree to free.
//!
//! GET and SET use kvstore-core's typed fast paths (`Engine::get_with`,
//! `Engine::set`: the GET/SET handlers' own functions, under the same shard
//! lock, without dispatch). The others run their command through
//! `Engine::execute` from a stack-built argv, so they behave exactly as the
//! command does; only the reply is turned into C values instead of a tree.
//!
//! A Redis error reply becomes `KVSTORE_ERR_WRONGTYPE` or
//! `KVSTORE_ERR_COMMAND` with Redis's text in `kvstore_errmsg()`.
//!
//! Inside MULTI (the calling thread sent MULTI on the handle through a
//! generic call) every typed call, fast path or not, sends its command
//! through `Engine::execute`, which queues it as it queues the generic
//! call's: the call returns `KVSTORE_QUEUED` and the command's result
//! arrives in EXEC's reply.

use crate::args;
use crate::error::{Fail, kvstore_result};
use crate::handle::kvstore;
use crate::reply::kvstore_reply;
use kvstore_core::{Engine, Reply, Session};
use std::io::Write;

use kvstore_result::{KVSTORE_NOTFOUND, KVSTORE_OK, KVSTORE_QUEUED};

/// The failure for a Redis error reply `msg`.
pub(crate) fn redis_error(msg: String) -> Fail {
    let code = if msg.starts_with("WRONGTYPE") {
        kvstore_result::KVSTORE_ERR_WRONGTYPE
    } else {
        kvstore_result::KVSTORE_ERR_COMMAND
    };
    Fail::new(code, msg)
}

/// A reply of a shape its command never gives (a bug, reported not hidden).
pub(crate) fn unexpected(r: &Reply) -> Fail {
    Fail::new(
        kvstore_result::KVSTORE_ERR_COMMAND,
        format!("unexpected reply {r:?}"),
    )
}

/// Runs a typed call on this thread's session of `db`: `direct` does the
/// work, unless the session is inside MULTI, where the typed fast paths
/// would run at once: then `argv`, the same command, goes through
/// `Engine::execute`, which queues it (`KVSTORE_QUEUED`) or refuses it (a
/// Redis error), exactly as for the generic call.
fn typed(
    db: &kvstore,
    argv: &[&[u8]],
    direct: impl FnOnce(&Engine, &mut Session) -> Result<kvstore_result, Fail>,
) -> Result<kvstore_result, Fail> {
    db.with_session(|e, s| {
        if !s.in_multi() {
            return direct(e, s);
        }
        match e.execute(s, argv) {
            Reply::Status(st) if st == "QUEUED" => Ok(KVSTORE_QUEUED),
            Reply::Error(msg) => Err(redis_error(msg)),
            other => Err(unexpected(&other)),
        }
    })
}

/// A typed call that runs `argv` through `Engine::execute` and hands its
/// reply to `done` (a Redis error reply becomes a [`Fail`] instead).
fn command(
    db: &kvstore,
    argv: &[&[u8]],
    done: impl FnOnce(Reply) -> Result<kvstore_result, Fail>,
) -> Result<kvstore_result, Fail> {
    typed(db, argv, |e, s| match e.execute(s, argv) {
        Reply::Error(msg) => Err(redis_error(msg)),
        r => done(r),
    })
}

/// A typed call whose command answers an integer, handed to `store`.
fn int_command(
    db: &kvstore,
    argv: &[&[u8]],
    store: impl FnOnce(i64),
) -> Result<kvstore_result, Fail> {
    command(db, argv, |r| match r {
        Reply::Int(n) => {
            store(n);
            Ok(KVSTORE_OK)
        }
        other => Err(unexpected(&other)),
    })
}

/// Writes `v` to the optional output `p` (skipped when NULL).
///
/// # Safety
/// `p` is NULL or writable.
unsafe fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { p.write(v) }
    }
}

/// Hands a value to C: a malloc copy in `*value`, its length in `*len`;
/// `None` is `KVSTORE_NOTFOUND` with both left untouched.
///
/// # Safety
/// `value` and `len` are writable.
unsafe fn give(
    v: Option<&[u8]>,
    value: *mut *mut u8,
    len: *mut usize,
) -> Result<kvstore_result, Fail> {
    let Some(v) = v else {
        return Ok(KVSTORE_NOTFOUND);
    };
    let p = args::malloc_copy(v)?;
    // SAFETY: both are writable per the contract.
    unsafe {
        value.write(p);
        len.write(v.len());
    }
    Ok(KVSTORE_OK)
}

/// [`give`] for a bulk-or-nil reply.
///
/// # Safety
/// As [`give`].
unsafe fn give_reply(
    r: Reply,
    value: *mut *mut u8,
    len: *mut usize,
) -> Result<kvstore_result, Fail> {
    match r {
        // SAFETY: forwarded contract.
        Reply::Bulk(v) => unsafe { give(Some(&v), value, len) },
        // SAFETY: forwarded contract.
        Reply::Nil => unsafe { give(None, value, len) },
        other => Err(unexpected(&other)),
    }
}

/// `n` in decimal, in `buf`.
fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut w = &mut buf[..];
    // 20 bytes hold any i64 ("-9223372036854775808").
    let _ = write!(w, "{n}");
    let used = 20 - w.len();
    &buf[..used]
}

/// GET: copies the string value of `key` into a new buffer.
///
/// On `KVSTORE_OK`, `*value` is a `kvstore_free`-able buffer of `*value_len`
/// bytes (plus a NUL after them, for text). `KVSTORE_NOTFOUND`: no such key
/// (outputs untouched). `KVSTORE_ERR_WRONGTYPE`: the key holds a non-string.
/// `KVSTORE_ERR_NULL`: `db`, `value` or `value_len` is NULL, or `key` is
/// NULL with `key_len > 0` (`(NULL, 0)` is the empty key).
/// Thread safety: any thread, concurrently with other calls on `db`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_get(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    value: *mut *mut u8,
    value_len: *mut usize,
) -> kvstore_result {
    crate::panic::call("kvstore_get", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let value = args::out(value, "value")?;
        let value_len = args::out(value_len, "value_len")?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        typed(db, &[b"GET", key], |e, s| {
            e.get_with(s, key, |v| unsafe { give(v, value, value_len) })
                .map_err(|e| redis_error(e.to_string()))?
        })
    })
}

/// SET `key` `value`: stores the value, replacing any value (of any type)
/// and any TTL. For SET's options (EX, NX, GET ...) use the generic call.
///
/// Errors: `KVSTORE_ERR_NULL` (NULL `db`; NULL `key`/`value` with a
/// non-zero length). Thread safety: any thread, concurrently with other
/// calls on `db`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_set(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> kvstore_result {
    crate::panic::call("kvstore_set", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let value = unsafe { args::bytes(value, value_len, "value") }?;
        typed(db, &[b"SET", key, value], |e, s| {
            match e.set(s, key, value) {
                Ok(()) => Ok(KVSTORE_OK),
                Err(err) => Err(redis_error(err.to_string())),
            }
        })
    })
}

/// DEL `key`: removes the key (of any type). `*deleted` (optional: NULL
/// skips it) is true when the key existed.
///
/// Errors: `KVSTORE_ERR_NULL`. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_del(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    deleted: *mut bool,
) -> kvstore_result {
    crate::panic::call("kvstore_del", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        int_command(db, &[b"DEL", key], |n| unsafe { put(deleted, n > 0) })
    })
}

/// EXISTS `key`: writes to `*exists` (required) whether the key exists.
///
/// Errors: `KVSTORE_ERR_NULL`. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_exists(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    exists: *mut bool,
) -> kvstore_result {
    crate::panic::call("kvstore_exists", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let exists = args::out(exists, "exists")?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        int_command(db, &[b"EXISTS", key], |n| unsafe { exists.write(n > 0) })
    })
}

/// INCRBY `key` `delta` (INCR is `delta` 1, DECR is -1): adds to the
/// integer in `key` (a missing key counts as 0); `*result` (optional) gets
/// the new value.
///
/// Errors: `KVSTORE_ERR_COMMAND` when the value is not an integer or the
/// sum overflows (Redis's message), `KVSTORE_ERR_WRONGTYPE`,
/// `KVSTORE_ERR_NULL`. Thread safety: any thread; concurrent increments of
/// one key from many threads all count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_incrby(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    delta: i64,
    result: *mut i64,
) -> kvstore_result {
    crate::panic::call("kvstore_incrby", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let mut buf = [0u8; 20];
        int_command(
            db,
            &[b"INCRBY", key, decimal(delta, &mut buf)],
            |n| unsafe { put(result, n) },
        )
    })
}

/// EXPIRE `key` `seconds`: sets the key's time to live (0 or negative
/// deletes it, as in Redis). `*applied` (optional) is false when the key
/// does not exist.
///
/// Errors: `KVSTORE_ERR_COMMAND` (an expiry time that overflows),
/// `KVSTORE_ERR_NULL`. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_expire(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    seconds: i64,
    applied: *mut bool,
) -> kvstore_result {
    crate::panic::call("kvstore_expire", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let mut buf = [0u8; 20];
        int_command(
            db,
            &[b"EXPIRE", key, decimal(seconds, &mut buf)],
            |n| unsafe { put(applied, n > 0) },
        )
    })
}

/// HSET `key` `field` `value`: sets one field of a hash (created if
/// missing). `*created` (optional) is true when the field is new.
///
/// Errors: `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`. Thread safety: any
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_hset(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    field: *const u8,
    field_len: usize,
    value: *const u8,
    value_len: usize,
    created: *mut bool,
) -> kvstore_result {
    crate::panic::call("kvstore_hset", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let field = unsafe { args::bytes(field, field_len, "field") }?;
        let value = unsafe { args::bytes(value, value_len, "value") }?;
        int_command(db, &[b"HSET", key, field, value], |n| unsafe {
            put(created, n > 0)
        })
    })
}

/// HGET `key` `field`: copies the field's value into a new buffer, as
/// `kvstore_get` does (free it with `kvstore_free`).
///
/// Returns `KVSTORE_OK`, `KVSTORE_NOTFOUND` (no such key or field; outputs
/// untouched), `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`. Thread safety:
/// any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_hget(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    field: *const u8,
    field_len: usize,
    value: *mut *mut u8,
    value_len: *mut usize,
) -> kvstore_result {
    crate::panic::call("kvstore_hget", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let value = args::out(value, "value")?;
        let value_len = args::out(value_len, "value_len")?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let field = unsafe { args::bytes(field, field_len, "field") }?;
        command(db, &[b"HGET", key, field], |r| unsafe {
            give_reply(r, value, value_len)
        })
    })
}

/// HDEL `key` `field`: removes one field (the hash goes when it empties).
/// `*deleted` (optional) is true when the field existed.
///
/// Errors: `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`. Thread safety: any
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_hdel(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    field: *const u8,
    field_len: usize,
    deleted: *mut bool,
) -> kvstore_result {
    crate::panic::call("kvstore_hdel", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let field = unsafe { args::bytes(field, field_len, "field") }?;
        int_command(db, &[b"HDEL", key, field], |n| unsafe {
            put(deleted, n > 0)
        })
    })
}

/// HGETALL `key`: writes to `*out` a reply of type `KVSTORE_REPLY_ARRAY`
/// whose elements alternate field, value (STRING replies), whatever the
/// handle's protocol; an empty array for a missing key. Free it with
/// `kvstore_reply_free`.
///
/// Errors: `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`; `*out` is written
/// only on success. Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_hgetall(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    out: *mut *mut kvstore_reply,
) -> kvstore_result {
    crate::panic::call("kvstore_hgetall", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let out = args::out(out, "out")?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        command(db, &[b"HGETALL", key], |r| {
            // RESP2's downgrade turns the map into the documented flat array.
            let root = kvstore_reply::from_reply(r, false);
            unsafe { out.write(Box::into_raw(Box::new(root))) };
            Ok(KVSTORE_OK)
        })
    })
}

/// LPUSH `key` `value`: prepends one element to a list (created if
/// missing). `*length` (optional) gets the list's new length.
///
/// Errors: `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`. Thread safety: any
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_lpush(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    length: *mut i64,
) -> kvstore_result {
    crate::panic::call("kvstore_lpush", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let value = unsafe { args::bytes(value, value_len, "value") }?;
        int_command(db, &[b"LPUSH", key, value], |n| unsafe { put(length, n) })
    })
}

/// RPOP `key`: removes the last element of a list and copies it into a new
/// buffer, as `kvstore_get` does (free it with `kvstore_free`).
///
/// Returns `KVSTORE_OK`, `KVSTORE_NOTFOUND` (no such key; outputs
/// untouched), `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`. Thread safety:
/// any thread; two threads never pop the same element.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_rpop(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    value: *mut *mut u8,
    value_len: *mut usize,
) -> kvstore_result {
    crate::panic::call("kvstore_rpop", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let value = args::out(value, "value")?;
        let value_len = args::out(value_len, "value_len")?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        command(db, &[b"RPOP", key], |r| unsafe {
            give_reply(r, value, value_len)
        })
    })
}

/// SADD `key` `member`: adds one member to a set (created if missing).
/// `*added` (optional) is true when the member is new.
///
/// Errors: `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`. Thread safety: any
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_sadd(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    member: *const u8,
    member_len: usize,
    added: *mut bool,
) -> kvstore_result {
    crate::panic::call("kvstore_sadd", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let member = unsafe { args::bytes(member, member_len, "member") }?;
        int_command(db, &[b"SADD", key, member], |n| unsafe {
            put(added, n > 0)
        })
    })
}

/// ZADD `key` `score` `member`: adds a member to a sorted set or updates
/// its score. `*added` (optional) is true when the member is new.
///
/// Errors: `KVSTORE_ERR_COMMAND` for a NaN score (Redis's `ERR value is
/// not a valid float`), `KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_NULL`.
/// Thread safety: any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_zadd(
    db: *mut kvstore,
    key: *const u8,
    key_len: usize,
    score: f64,
    member: *const u8,
    member_len: usize,
    added: *mut bool,
) -> kvstore_result {
    crate::panic::call("kvstore_zadd", || {
        // SAFETY (this block): pointers as the contract above describes.
        let db = unsafe { args::req(db, "db") }?;
        let key = unsafe { args::bytes(key, key_len, "key") }?;
        let member = unsafe { args::bytes(member, member_len, "member") }?;
        // d2string round-trips every double through Redis's strtod.
        let score = kvstore_core::num::d2string(score);
        int_command(db, &[b"ZADD", key, score.as_bytes(), member], |n| unsafe {
            put(added, n > 0)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_covers_the_range() {
        let mut b = [0u8; 20];
        assert_eq!(decimal(i64::MIN, &mut b), b"-9223372036854775808");
        assert_eq!(decimal(0, &mut b), b"0");
        assert_eq!(decimal(42, &mut b), b"42");
    }
}
