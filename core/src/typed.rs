//! Typed fast paths: the hot commands called without building an argv or a
//! [`Reply`](crate::Reply). Each runs the very function its command table
//! handler runs (so results are identical), under the same single-shard lock,
//! and goes through what [`Engine::execute`] does around a command: it is
//! the session's last command (CLIENT LIST `cmd`), and while a script runs
//! it waits for it or gets BUSY. Fronts (C typed calls, Python natives) use
//! these.

use crate::cmd::table::{self, Command};
use crate::cmd::{hash, strings, zset};
use crate::ctx::{Ctx, Guards};
use crate::engine::{Engine, Session};
use crate::error::CmdError;
use std::sync::LazyLock;
use std::sync::atomic::Ordering;

/// The command table rows of the typed paths, looked up once.
struct Rows {
    get: &'static Command,
    set: &'static Command,
    hget: &'static Command,
    hset: &'static Command,
    zadd: &'static Command,
    hgetall: &'static Command,
    hkeys: &'static Command,
    hvals: &'static Command,
}

static ROWS: LazyLock<Rows> = LazyLock::new(|| {
    let row = |name: &str| table::lookup(name.as_bytes()).expect("a command of the table");
    Rows {
        get: row("get"),
        set: row("set"),
        hget: row("hget"),
        hset: row("hset"),
        zadd: row("zadd"),
        hgetall: row("hgetall"),
        hkeys: row("hkeys"),
        hvals: row("hvals"),
    }
});

/// Which command a [`Engine::hash_fields_with`] call stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFields {
    /// HGETALL.
    All,
    /// HKEYS.
    Keys,
    /// HVALS.
    Values,
}

impl HashFields {
    /// The command's name.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    fn row(self) -> &'static Command {
        match self {
            HashFields::All => ROWS.hgetall,
            HashFields::Keys => ROWS.hkeys,
            HashFields::Values => ROWS.hvals,
        }
    }
}

impl Engine {
    /// What [`Engine::execute`] does once it knows the command: `cmd` is
    /// the session's last command, and waits for a running script (or
    /// gets BUSY).
    #[inline]
    fn enter(&self, session: &mut Session, cmd: &'static Command) -> Result<(), CmdError> {
        session.last_run = Some((cmd, cmd));
        self.admit(cmd)
    }

    /// [`Engine::enter`] `cmd`, then [`Engine::locked`].
    fn with_key<T>(
        &self,
        session: &mut Session,
        cmd: &'static Command,
        key: &[u8],
        f: impl FnOnce(&mut Ctx<'_>) -> Result<T, CmdError>,
    ) -> Result<T, CmdError> {
        self.enter(session, cmd)?;
        self.locked(session, key, f)
    }

    /// Runs `f` with the shard of `key` (in the session's db) locked, as a
    /// single-key command would, and finishes as [`Engine::execute`] does:
    /// clients blocked on keys the call made ready are served, what the
    /// call recorded for the append-only file (`f` ends its call with
    /// [`Ctx::end_call`]) is appended before the lock goes, and with
    /// `appendfsync always` the result waits until it is durable.
    fn locked<T>(
        &self,
        session: &mut Session,
        key: &[u8],
        f: impl FnOnce(&mut Ctx<'_>) -> Result<T, CmdError>,
    ) -> Result<T, CmdError> {
        let shared = self.shared();
        shared.stats.commands.fetch_add(1, Ordering::Relaxed);
        let ks = &shared.keyspace;
        let (db, s) = (session.db, ks.shard_of(key));
        let mut ctx = Ctx::new(shared, session, Guards::One(db, s, ks.lock(db, s)));
        ctx.hint(key);
        let out = f(&mut ctx);
        let wrote = crate::engine::conclude(shared, ctx);
        self.durable(out, wrote)
    }

    /// [`Engine::with_key`] for a write: refused with Redis's MISCONF while
    /// persistence is failing (after BUSY), as [`Engine::execute`] refuses
    /// writes.
    fn write_key<T>(
        &self,
        session: &mut Session,
        cmd: &'static Command,
        key: &[u8],
        f: impl FnOnce(&mut Ctx<'_>) -> Result<T, CmdError>,
    ) -> Result<T, CmdError> {
        self.enter(session, cmd)?;
        if let Some(e) = crate::persist::write_denied(self.shared()) {
            return Err(e);
        }
        self.locked(session, key, f)
    }

    /// GET `key`, handing the value to `f` without copying it.
    pub fn get_with<T>(
        &self,
        session: &mut Session,
        key: &[u8],
        f: impl FnOnce(Option<&[u8]>) -> T,
    ) -> Result<T, CmdError> {
        self.with_key(session, ROWS.get, key, |ctx| strings::get(ctx, key).map(f))
    }

    /// GET `key`: its value, `None` when absent, WRONGTYPE for non-strings.
    pub fn get(&self, session: &mut Session, key: &[u8]) -> Result<Option<Vec<u8>>, CmdError> {
        self.get_with(session, key, |v| v.map(<[u8]>::to_vec))
    }

    /// SET `key` `value` (no options): replaces any value and TTL. The
    /// error is Redis's MISCONF when persistence is failing (the value is
    /// then not set, or, with `appendfsync always`, set but not durable).
    pub fn set(&self, session: &mut Session, key: &[u8], value: &[u8]) -> Result<(), CmdError> {
        self.write_key(session, ROWS.set, key, |ctx| {
            strings::set(ctx, key, value);
            ctx.end_call(&[b"SET", key, value]);
            Ok(())
        })
    }

    /// HGET `key` `field`, handing the value to `f` without copying it;
    /// WRONGTYPE when `key` is not a hash.
    pub fn hget_with<T>(
        &self,
        session: &mut Session,
        key: &[u8],
        field: &[u8],
        f: impl FnOnce(Option<&[u8]>) -> T,
    ) -> Result<T, CmdError> {
        self.with_key(session, ROWS.hget, key, |ctx| {
            hash::get(ctx, key, field).map(f)
        })
    }

    /// HGETALL, HKEYS and HVALS (`which`) without a reply: `f` maps each
    /// (field, value) of the hash at `key`, in the reply's order (none
    /// when it is absent); WRONGTYPE when `key` is not a hash.
    pub fn hash_fields_with<T>(
        &self,
        session: &mut Session,
        which: HashFields,
        key: &[u8],
        f: impl FnMut((&[u8], &[u8])) -> T,
    ) -> Result<Vec<T>, CmdError> {
        self.with_key(session, which.row(), key, |ctx| {
            hash::map_fields(ctx, key, f)
        })
    }

    /// ZADD `key` with (score, member) `pairs` and no options: the number
    /// of members added. The scores are the numbers ZADD would parse (not
    /// NaN: ZADD refuses it before the key is looked at).
    pub fn zadd(
        &self,
        session: &mut Session,
        key: &[u8],
        pairs: &[(f64, &[u8])],
    ) -> Result<i64, CmdError> {
        debug_assert!(pairs.iter().all(|(s, _)| !s.is_nan()));
        self.write_key(session, ROWS.zadd, key, |ctx| {
            let added = zset::add(ctx, key, pairs);
            if ctx.propagating() {
                // The scores as text that parses back to the same numbers
                // (Rust's shortest round-trip form).
                let scores: Vec<String> = pairs.iter().map(|(s, _)| s.to_string()).collect();
                let mut argv: Vec<&[u8]> = vec![b"ZADD", key];
                for ((_, m), s) in pairs.iter().zip(&scores) {
                    argv.extend([s.as_bytes(), m]);
                }
                ctx.end_call(&argv);
            }
            added
        })
    }

    /// HSET `key` `field` `value`: 1 when the field is new, else 0.
    pub fn hset(
        &self,
        session: &mut Session,
        key: &[u8],
        field: &[u8],
        value: &[u8],
    ) -> Result<i64, CmdError> {
        self.write_key(session, ROWS.hset, key, |ctx| {
            let added = hash::set_fields(ctx, key, std::iter::once((field, value)));
            ctx.end_call(&[b"HSET", key, field, value]);
            added
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Reply};

    #[test]
    fn typed_calls_match_execute() {
        let e = Engine::new();
        let mut s = e.session();
        e.set(&mut s, b"k", b"v").unwrap();
        assert_eq!(e.execute(&mut s, &["GET", "k"]), Reply::Bulk(b"v".to_vec()));
        assert_eq!(e.get(&mut s, b"k"), Ok(Some(b"v".to_vec())));
        assert_eq!(e.get(&mut s, b"missing"), Ok(None));
        e.execute(&mut s, &["RPUSH", "l", "x"]);
        assert_eq!(e.get(&mut s, b"l"), Err(crate::CmdError::WrongType));
        e.execute(&mut s, &["SELECT", "1"]);
        assert_eq!(e.get(&mut s, b"k"), Ok(None));
    }

    #[test]
    fn typed_hash_calls_match_execute() {
        let e = Engine::new();
        let mut s = e.session();
        assert_eq!(e.hset(&mut s, b"h", b"f", b"v"), Ok(1));
        assert_eq!(e.hset(&mut s, b"h", b"f", b"w"), Ok(0));
        assert_eq!(
            e.execute(&mut s, &["HGET", "h", "f"]),
            Reply::Bulk(b"w".to_vec())
        );
        let copy = |v: Option<&[u8]>| v.map(<[u8]>::to_vec);
        assert_eq!(
            e.hget_with(&mut s, b"h", b"f", copy),
            Ok(Some(b"w".to_vec()))
        );
        assert_eq!(e.hget_with(&mut s, b"h", b"g", copy), Ok(None));
        assert_eq!(e.hget_with(&mut s, b"none", b"f", copy), Ok(None));
        e.set(&mut s, b"k", b"v").unwrap();
        assert_eq!(
            e.hget_with(&mut s, b"k", b"f", copy),
            Err(crate::CmdError::WrongType)
        );
        assert_eq!(
            e.hset(&mut s, b"k", b"f", b"v"),
            Err(crate::CmdError::WrongType)
        );
        assert_eq!(e.execute(&mut s, &["HLEN", "h"]), Reply::Int(1));
        let pairs = |s: &mut crate::Session, key: &[u8]| {
            e.hash_fields_with(s, super::HashFields::All, key, |(f, v)| {
                (f.to_vec(), v.to_vec())
            })
        };
        assert_eq!(
            pairs(&mut s, b"h"),
            Ok(vec![(b"f".to_vec(), b"w".to_vec())])
        );
        assert_eq!(pairs(&mut s, b"none"), Ok(vec![]));
        assert_eq!(pairs(&mut s, b"k"), Err(crate::CmdError::WrongType));
    }

    #[test]
    fn typed_zadd_matches_execute() {
        let e = Engine::new();
        let mut s = e.session();
        let pairs: [(f64, &[u8]); 2] = [(1.5, b"a"), (f64::INFINITY, b"b")];
        assert_eq!(e.zadd(&mut s, b"z", &pairs), Ok(2));
        assert_eq!(e.zadd(&mut s, b"z", &[(2.0, b"a"), (3.0, b"c")]), Ok(1));
        assert_eq!(e.execute(&mut s, &["ZSCORE", "z", "a"]), Reply::Double(2.0));
        assert_eq!(
            e.execute(&mut s, &["ZSCORE", "z", "b"]),
            Reply::Double(f64::INFINITY)
        );
        assert_eq!(e.execute(&mut s, &["ZCARD", "z"]), Reply::Int(3));
        e.set(&mut s, b"k", b"v").unwrap();
        assert_eq!(
            e.zadd(&mut s, b"k", &pairs),
            Err(crate::CmdError::WrongType)
        );
        // A client blocked on the key is served.
        let mut waiter = e.session();
        waiter.defer_blocking(true);
        e.execute(&mut waiter, &["BZPOPMIN", "w", "0"]);
        let wait = waiter
            .take_blocked()
            .expect("BZPOPMIN blocks on a missing key");
        assert_eq!(e.zadd(&mut s, b"w", &[(4.0, b"m")]), Ok(1));
        assert_eq!(
            wait.wait(Some(std::time::Duration::from_secs(5))),
            Some(Reply::Array(vec![
                Reply::Bulk(b"w".to_vec()),
                Reply::Bulk(b"m".to_vec()),
                Reply::Double(4.0),
            ]))
        );
    }
}
