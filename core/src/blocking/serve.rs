//! Serving blocked clients once a command made their keys ready.
//!
//! Redis serves blocked clients right after the command that made their
//! keys ready, before any other command runs, so an element pushed while a
//! client waits goes to that client and nobody else. Here the command's
//! own locks give the same guarantee: [`serve_held`] serves the waiters
//! before the command releases its shards. A waiter's BLPOP, BZPOPMIN or
//! BLMPOP needs only the shard of the key that became ready, which the
//! writing command holds; a BLMOVE also needs its destination's shard, so
//! the engine's lock planners pass their guards through
//! [`cover_move_targets`], which adds the destination shards of the
//! BLMOVE waiters on the shards taken (and of those waiters' destinations,
//! transitively) while still locking in ascending order: never a
//! deadlock, and no other command in between.
//!
//! A key whose next waiter needs a shard the command did not lock (a path
//! that does not cover BLMOVE destinations) is served by [`serve_ready`]
//! once the locks are released: late, with other commands possibly in
//! between, but never forgotten.

use super::{Blocking, State, Waiter, lock, try_op};
use crate::ctx::{Ctx, Guards};
use crate::engine::{Session, Shared};
use crate::error::CmdError;
use crate::reply::Reply;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Widens `guards`, just taken in ascending (db, shard) order, to also
/// hold the destination shards of the BLMOVE waiters whose source is in a
/// shard held, transitively, so that [`serve_held`] can serve whatever the
/// command makes ready. Costs one atomic load unless such a waiter exists.
#[inline]
pub(crate) fn cover_move_targets<'s>(shared: &'s Shared, guards: Guards<'s>) -> Guards<'s> {
    // Read with the shards held: a waiter registers under its source
    // shard's lock, so one on a shard held is counted by now.
    if shared.blocking.linked.load(Ordering::Acquire) == 0 {
        return guards;
    }
    widen(shared, guards)
}

#[inline(never)]
fn widen<'s>(shared: &'s Shared, guards: Guards<'s>) -> Guards<'s> {
    let mut want: Vec<(usize, usize)> = match &guards {
        Guards::None => return guards,
        Guards::One(db, s, _) => vec![(*db, *s)],
        Guards::Many(v) => v.iter().map(|(at, _)| *at).collect(),
    };
    if !shared.blocking.close_over_links(&mut want) {
        return guards;
    }
    // Release and take the wider set in order (nothing has run yet). A
    // waiter may register on a newly taken shard in between: check again
    // under the locks, where the set can no longer grow.
    drop(guards);
    let ks = &shared.keyspace;
    loop {
        let held = Guards::Many(want.iter().map(|&(d, s)| ((d, s), ks.lock(d, s))).collect());
        if !shared.blocking.close_over_links(&mut want) {
            return held;
        }
    }
}

/// True when `guards` hold shard `shard` of `db`.
fn holds(guards: &Guards<'_>, db: usize, shard: usize) -> bool {
    match guards {
        Guards::None => false,
        Guards::One(d, s, _) => (*d, *s) == (db, shard),
        Guards::Many(v) => v.binary_search_by_key(&(db, shard), |(at, _)| *at).is_ok(),
    }
}

/// Adds the keys in `more` to `queue`, each once.
fn enqueue(queue: &mut VecDeque<(usize, Vec<u8>)>, more: Vec<(usize, Vec<u8>)>) {
    for r in more {
        if !queue.contains(&r) {
            queue.push_back(r);
        }
    }
}

/// Serves, with the locks `ctx` holds, the waiters of the keys its
/// command made ready (`ctx.ready`), each key's in the order they blocked
/// until it has nothing left for them; keys a served command writes
/// (BLMOVE's destination) are served in turn. Call it before the locks
/// are released. A key whose next waiter needs a shard not held stays in
/// `ctx.ready`, for [`serve_ready`].
#[inline]
pub(crate) fn serve_held(ctx: &mut Ctx<'_>) {
    if !ctx.ready.is_empty() {
        serve_now(ctx);
    }
}

#[inline(never)]
fn serve_now(ctx: &mut Ctx<'_>) {
    let shared = ctx.shared();
    let ks = &shared.keyspace;
    let mut queue = VecDeque::new();
    enqueue(&mut queue, std::mem::take(&mut ctx.ready));
    let mut later = Vec::new();
    while let Some((db, key)) = queue.pop_front() {
        for w in shared.blocking.waiters(db, &key) {
            let needs = std::iter::once(&key[..]).chain(w.op.other_key());
            if !needs
                .into_iter()
                .all(|k| holds(&ctx.guards, db, ks.shard_of(k)))
            {
                // Its turn must not be skipped: the key waits as a whole.
                later.push((db, key.clone()));
                break;
            }
            serve_one(ctx, &shared.blocking, &w, db, &key);
            enqueue(&mut queue, std::mem::take(&mut ctx.ready));
        }
    }
    ctx.ready = later;
}

/// Serves the waiters of `ready` keys after the command that made them
/// ready released its locks (see the module docs), taking the shards each
/// waiter needs.
pub(crate) fn serve_ready(shared: &Shared, ready: Vec<(usize, Vec<u8>)>) {
    let mut queue = VecDeque::new();
    enqueue(&mut queue, ready);
    while let Some((db, key)) = queue.pop_front() {
        for w in shared.blocking.waiters(db, &key) {
            let mut session = Session::detached(db, w.proto);
            let guards = lock_keys(shared, db, &key, w.op.other_key());
            let mut ctx = Ctx::new(shared, &mut session, guards);
            serve_one(&mut ctx, &shared.blocking, &w, db, &key);
            // Logged before the locks go, as any command's effects.
            ctx.flush_effects();
            enqueue(&mut queue, std::mem::take(&mut ctx.ready));
        }
    }
}

/// Runs waiter `w`'s command on `key` of `db` on `ctx` (whose locks cover
/// it), as a client of its own db and protocol; a reply, or an error (a
/// BLMOVE destination of another type, as in Redis), ends its wait.
fn serve_one(ctx: &mut Ctx<'_>, blocking: &Blocking, w: &Arc<Waiter>, db: usize, key: &[u8]) {
    let st = lock(&w.state);
    if !matches!(*st, State::Waiting) {
        return;
    }
    let mut session = Session::detached(db, w.proto);
    std::mem::swap(ctx.session, &mut session);
    let out = std::panic::catch_unwind(AssertUnwindSafe(|| try_op(ctx, key, &w.op, false, None)));
    std::mem::swap(ctx.session, &mut session);
    // The waiter's pop is logged on its own, before it gets its reply.
    ctx.flush_effects();
    let reply = match out {
        Ok(Ok(None)) => return,
        Ok(Ok(Some(r))) => r,
        Ok(Err(e)) => e.into(),
        Err(p) => Reply::from(CmdError::internal(&*p)),
    };
    blocking.remove(w);
    w.finish(st, reply);
}

/// Locks the shards of `key` and `other` in `db`, in ascending order.
fn lock_keys<'s>(shared: &'s Shared, db: usize, key: &[u8], other: Option<&[u8]>) -> Guards<'s> {
    let ks = &shared.keyspace;
    let a = ks.shard_of(key);
    match other.map(|o| ks.shard_of(o)) {
        None => Guards::One(db, a, ks.lock(db, a)),
        Some(b) if b == a => Guards::One(db, a, ks.lock(db, a)),
        Some(b) => {
            let (lo, hi) = (a.min(b), a.max(b));
            Guards::Many(vec![
                ((db, lo), ks.lock(db, lo)),
                ((db, hi), ks.lock(db, hi)),
            ])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use crate::cmd::table;

    /// A key in db 0 whose shard differs from `src`'s.
    fn other_shard(e: &Engine, src: &[u8]) -> Vec<u8> {
        let ks = &e.shared().keyspace;
        (0..)
            .map(|n| format!("dst{n}").into_bytes())
            .find(|k| ks.shard_of(k) != ks.shard_of(src))
            .expect("keys spread over the shards")
    }

    /// A BLMOVE from `src` to `dst`, waiting (deferred) for a push.
    fn blmove_waiting(e: &Engine, src: &[u8], dst: &[u8]) -> crate::blocking::Blocked {
        let mut w = e.session();
        w.defer_blocking(true);
        let argv: [&[u8]; 6] = [b"BLMOVE", src, dst, b"LEFT", b"LEFT", b"0"];
        e.execute(&mut w, &argv);
        w.take_blocked().expect("waiting")
    }

    /// Locking a BLMOVE waiter's source shard also takes its destination's,
    /// and that destination's own BLMOVE destination (transitively), in order.
    #[test]
    fn move_targets_are_locked_with_their_source() {
        let e = Engine::new();
        let shared = e.shared();
        let ks = &shared.keyspace;
        let dst = other_shard(&e, b"src");
        let _w1 = blmove_waiting(&e, b"src", &dst);
        let onward = (0..)
            .map(|n| format!("on{n}").into_bytes())
            .find(|k| ![ks.shard_of(b"src"), ks.shard_of(&dst)].contains(&ks.shard_of(k)))
            .unwrap();
        let _w2 = blmove_waiting(&e, &dst, &onward);
        let s = ks.shard_of(b"src");
        let guards = cover_move_targets(shared, Guards::One(0, s, ks.lock(0, s)));
        let Guards::Many(held) = &guards else {
            panic!("not widened")
        };
        let mut expected = vec![(0, s), (0, ks.shard_of(&dst)), (0, ks.shard_of(&onward))];
        expected.sort_unstable();
        assert_eq!(held.iter().map(|(at, _)| *at).collect::<Vec<_>>(), expected);
    }

    /// A key whose waiter needs a shard the command did not lock is left
    /// ready by `serve_held`, and served by `serve_ready` after the locks go.
    #[test]
    fn a_waiter_needing_a_shard_not_held_is_served_after_the_locks() {
        let e = Engine::new();
        let shared = e.shared();
        let ks = &shared.keyspace;
        let dst = other_shard(&e, b"src");
        let wait = blmove_waiting(&e, b"src", &dst);
        let mut s = e.session();
        let sh = ks.shard_of(b"src");
        // The push holds only its own shard (no `cover_move_targets`).
        let mut ctx = Ctx::new(shared, &mut s, Guards::One(0, sh, ks.lock(0, sh)));
        let rpush = table::lookup(b"rpush").unwrap();
        let argv: [&[u8]; 3] = [b"rpush", b"src", b"x"];
        assert_eq!(
            crate::engine::call(rpush, &mut ctx, &argv),
            Ok(Reply::Int(1))
        );
        serve_held(&mut ctx);
        assert_eq!(ctx.ready, vec![(0, b"src".to_vec())]);
        assert!(wait.poll().is_none());
        let ready = std::mem::take(&mut ctx.ready);
        drop(ctx);
        serve_ready(shared, ready);
        assert_eq!(wait.poll(), Some(Reply::Bulk(b"x".to_vec())));
        let mut s = e.session();
        let lrange: [&[u8]; 4] = [b"LRANGE", &dst, b"0", b"-1"];
        assert_eq!(
            e.execute(&mut s, &lrange),
            Reply::Array(vec![Reply::Bulk(b"x".to_vec())])
        );
    }
}
