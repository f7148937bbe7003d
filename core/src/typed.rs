//! Typed fast paths: the hot commands called without building an argv or a
//! [`Reply`](crate::Reply). Each runs the very function its command table
//! handler runs (so results are identical), under the same single-shard lock.
//! Fronts (C typed calls, Python natives) use these.

use crate::cmd::strings;
use crate::ctx::{Ctx, Guards};
use crate::engine::{Engine, Session};
use crate::error::CmdError;
use std::sync::atomic::Ordering;

impl Engine {
    /// Runs `f` with the shard of `key` (in the session's db) locked, as a
    /// single-key command would.
    fn with_key<T>(
        &self,
        session: &mut Session,
        key: &[u8],
        f: impl FnOnce(&mut Ctx<'_>) -> T,
    ) -> T {
        let shared = self.shared();
        shared.stats.commands.fetch_add(1, Ordering::Relaxed);
        let ks = &shared.keyspace;
        let (db, s) = (session.db, ks.shard_of(key));
        let mut ctx = Ctx::new(shared, session, Guards::One(db, s, ks.lock(db, s)));
        ctx.hint(key);
        f(&mut ctx)
    }

    /// GET `key`, handing the value to `f` without copying it. With
    /// `appendfsync always` it returns once what it read is durable, as a
    /// GET through [`Engine::execute`] does.
    pub fn get_with<T>(
        &self,
        session: &mut Session,
        key: &[u8],
        f: impl FnOnce(Option<&[u8]>) -> T,
    ) -> Result<T, CmdError> {
        let out = self.with_key(session, key, |ctx| strings::get(ctx, key).map(f));
        self.durable(out, None)
    }

    /// GET `key`: its value, `None` when absent, WRONGTYPE for non-strings.
    pub fn get(&self, session: &mut Session, key: &[u8]) -> Result<Option<Vec<u8>>, CmdError> {
        self.get_with(session, key, |v| v.map(<[u8]>::to_vec))
    }

    /// SET `key` `value` (no options): replaces any value and TTL. The
    /// error is Redis's MISCONF when persistence is failing (the value is
    /// then not set, or, with `appendfsync always`, set but not durable).
    pub fn set(&self, session: &mut Session, key: &[u8], value: &[u8]) -> Result<(), CmdError> {
        let shared = self.shared();
        if let Some(e) = crate::persist::write_denied(shared) {
            return Err(e);
        }
        let wrote = self.with_key(session, key, |ctx| {
            strings::set(ctx, key, value);
            ctx.end_call(&[b"SET", key, value]);
            ctx.flush_effects()
        });
        self.durable(Ok(()), wrote)
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
}
