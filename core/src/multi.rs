//! MULTI/EXEC: a session's transaction state ([`Tx`]: the queue and the
//! watched keys) and EXEC itself.
//!
//! While a session is in MULTI, [`Engine::execute`](crate::Engine::execute)
//! queues every command but the few Redis runs at once ([`runs_in_multi`]);
//! a command refused while queueing (unknown, wrong arity, `no-multi`)
//! marks the transaction so EXEC answers EXECABORT.
//!
//! EXEC is atomic: it locks, in the engine's ascending (db, shard) order,
//! every shard its queued commands' key specs name plus the shards of the
//! watched keys, checks the watches under those locks, then runs each
//! queued command's handler, from the same table, with the guards held, so
//! no other client sees a partial transaction. A queued command whose keys
//! are not known up front (a keyless one such as INFO, which reads the
//! keyspace on its own, or SELECT, which moves the later ones to another
//! db) or that spans dbs makes EXEC lock every shard of every db.

use crate::cmd::table::{
    Command,
    flags::{NO_MULTI, WRITE},
};
use crate::ctx::{Ctx, Guards};
use crate::engine::{self, Need, Shared};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::DB_COUNT;
use crate::reply::Reply;
use crate::watch::{KeyState, WatchSet};
use std::sync::atomic::Ordering;

/// One session's MULTI and WATCH state.
#[derive(Debug, Default)]
pub(crate) struct Tx {
    /// `Some` between MULTI and EXEC/DISCARD.
    multi: Option<Multi>,
    /// The watched keys, from the first WATCH to UNWATCH/EXEC/DISCARD.
    watch: Option<WatchSet>,
}

#[derive(Debug, Default)]
struct Multi {
    queued: Vec<Queued>,
    /// Queued so far (CLIENT LIST's `multi=`), still known while EXEC runs.
    count: usize,
    /// A command was refused while queueing (Redis's `CLIENT_DIRTY_EXEC`).
    aborted: bool,
}

#[derive(Debug)]
struct Queued {
    cmd: &'static Command,
    argv: Vec<Vec<u8>>,
}

/// The commands Redis runs at once inside MULTI instead of queueing them
/// (`processCommand`): EXEC, DISCARD, MULTI, WATCH, QUIT and RESET.
/// `name` is argv\[0\], so subcommands (SLOWLOG RESET) never match.
pub(crate) fn runs_in_multi(name: &[u8]) -> bool {
    ["exec", "discard", "multi", "watch", "quit", "reset"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// `EXECABORT`, EXEC's answer after a command was refused while queueing.
fn execabort() -> CmdError {
    CmdError::Raw("EXECABORT Transaction discarded because of previous errors.".into())
}

impl Tx {
    /// True between MULTI and EXEC/DISCARD.
    #[inline]
    pub(crate) fn in_multi(&self) -> bool {
        self.multi.is_some()
    }

    /// A command was refused while queueing: inside MULTI, EXEC will
    /// answer EXECABORT (Redis's `flagTransaction`).
    fn flag_error(&mut self) {
        if let Some(m) = &mut self.multi {
            m.aborted = true;
        }
    }

    /// The command named `name` was refused with `e` before running (no
    /// such command, wrong arity): Redis's `rejectCommand`. It fails the
    /// transaction, and a refused EXEC ends it at once, answering EXECABORT
    /// with the reason (inside MULTI or not).
    pub(crate) fn refused(&mut self, name: &[u8], e: CmdError) -> CmdError {
        self.flag_error();
        if !name.eq_ignore_ascii_case(b"exec") {
            return e;
        }
        self.discard();
        let reason = e.to_string();
        let reason = reason.strip_prefix("ERR ").unwrap_or(&reason);
        CmdError::Raw(format!(
            "EXECABORT Transaction discarded because of: {reason}"
        ))
    }

    /// True when a queued command writes: EXEC is then refused as a write
    /// when persistence fails (Redis's `processCommand`).
    pub(crate) fn queues_writes(&self) -> bool {
        self.multi
            .as_ref()
            .is_some_and(|m| m.queued.iter().any(|q| q.cmd.has(WRITE)))
    }

    /// True once a watched key changed (Redis's `CLIENT_DIRTY_CAS`).
    fn dirty(&self) -> bool {
        self.watch.as_ref().is_some_and(WatchSet::dirty)
    }

    /// Queues `cmd` (inside MULTI) and answers QUEUED, or refuses a
    /// `no-multi` command. A transaction that will not run (refused command
    /// or dirty watch) keeps nothing, as Redis's `queueMultiCommand`.
    pub(crate) fn queue(&mut self, cmd: &'static Command, args: &[&[u8]]) -> CmdResult {
        if cmd.has(NO_MULTI) {
            self.flag_error();
            return Err(CmdError::err("Command not allowed inside a transaction"));
        }
        let dirty = self.dirty();
        let m = self.multi.as_mut().expect("queue is called inside MULTI");
        if !m.aborted && !dirty {
            m.queued.push(Queued {
                cmd,
                argv: args.iter().map(|a| a.to_vec()).collect(),
            });
            m.count += 1;
        }
        Ok(Reply::Status("QUEUED".into()))
    }

    /// Leaves MULTI and forgets the watched keys (Redis's `discardTransaction`).
    fn discard(&mut self) {
        *self = Tx::default();
    }

    /// CLIENT LIST's `flags` letters for this state (`x` in MULTI, `d`
    /// after a watched key changed; empty otherwise) and its `multi=` value
    /// (queued commands, -1 outside MULTI).
    pub(crate) fn client_info(&self) -> (&'static str, i64) {
        let flags = match (self.in_multi(), self.dirty()) {
            (true, true) => "xd",
            (true, false) => "x",
            (false, true) => "d",
            (false, false) => "",
        };
        (flags, self.multi.as_ref().map_or(-1, |m| m.count as i64))
    }
}

/// MULTI.
pub(crate) fn multi(ctx: &mut Ctx<'_>) -> CmdResult {
    let tx = &mut ctx.session.tx;
    if tx.in_multi() {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    tx.multi = Some(Multi::default());
    Ok(Reply::ok())
}

/// DISCARD.
pub(crate) fn discard(ctx: &mut Ctx<'_>) -> CmdResult {
    let tx = &mut ctx.session.tx;
    if !tx.in_multi() {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    tx.discard();
    Ok(Reply::ok())
}

/// WATCH key [key ...]: the keys' shards are locked (the row's key spec).
pub(crate) fn watch(ctx: &mut Ctx<'_>, keys: &[&[u8]]) -> CmdResult {
    if ctx.session.tx.in_multi() {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    // Nothing more can fail the EXEC once a watched key changed.
    if ctx.session.tx.dirty() {
        return Ok(Reply::ok());
    }
    let (db, now) = (ctx.db(), ctx.now());
    let registry = &ctx.shared().watches;
    for key in keys {
        let expired = ctx.key_state(db, key, now) == KeyState::Expired;
        ctx.session
            .tx
            .watch
            .get_or_insert_with(|| WatchSet::new(registry.clone()))
            .add(db, key, expired);
    }
    Ok(Reply::ok())
}

/// UNWATCH: also forgets that a watched key changed.
pub(crate) fn unwatch(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.session.tx.watch = None;
    Ok(Reply::ok())
}

/// EXEC. Called with nothing locked (the row has no keys).
pub(crate) fn exec(ctx: &mut Ctx<'_>) -> CmdResult {
    let shared = ctx.shared();
    let tx = &mut ctx.session.tx;
    let Some(m) = &mut tx.multi else {
        return Err(CmdError::err("EXEC without MULTI"));
    };
    if m.aborted {
        tx.discard();
        return Err(execabort());
    }
    let queued = std::mem::take(&mut m.queued);
    let watch = tx.watch.take();
    let argvs: Vec<Vec<&[u8]>> = queued
        .iter()
        .map(|q| q.argv.iter().map(Vec::as_slice).collect())
        .collect();
    let db = ctx.session.db;
    // A queued script is announced before the locks are taken, so that
    // other clients wait for it (or get BUSY) instead of blocking on them.
    let _script = queued
        .iter()
        .any(|q| crate::script::is_script(q.cmd))
        .then(|| shared.scripts.announce());
    let guards = lock_plan(shared, db, &queued, &argvs, watch.as_ref());
    let guards = crate::blocking::cover_move_targets(shared, guards);
    let mut inner = Ctx::new(shared, &mut *ctx.session, guards);
    // The whole transaction runs at one instant, as in Redis (time is
    // frozen for the commands EXEC calls); the watches are checked at it.
    let now = inner.now();
    let failed = watch
        .as_ref()
        .is_some_and(|w| w.dirty() || w.any_expired(|db, key| inner.key_state(db, key, now)));
    // Unwatch before running: the transaction's own writes are no change.
    drop(watch);
    let reply = if failed {
        Reply::NilArray
    } else {
        let replies = queued
            .iter()
            .zip(&argvs)
            .map(|(q, args)| {
                shared.stats.commands.fetch_add(1, Ordering::Relaxed);
                let r = engine::call(q.cmd, &mut inner, args).unwrap_or_else(Reply::from);
                inner.end_call(args);
                r
            })
            .collect();
        Reply::Array(replies)
    };
    // The transaction's writes go to the append-only file as one MULTI
    // block, before its locks are released; then the blocked clients are
    // served (their pops logged after the block). EXEC's reply waits for
    // them.
    inner.flush_effects();
    crate::blocking::serve_held(&mut inner);
    ctx.appended = ctx.appended.or(inner.flush_effects());
    ctx.ready.append(&mut inner.ready);
    drop(inner);
    ctx.session.tx.discard();
    Ok(reply)
}

/// Locks what the queued commands and the watched keys need, in ascending
/// (db, shard) order: the shards their key specs name in the session's
/// db, or every shard of every db when one of them needs more than that.
fn lock_plan<'s>(
    shared: &'s Shared,
    db: usize,
    queued: &[Queued],
    argvs: &[Vec<&[u8]>],
    watch: Option<&WatchSet>,
) -> Guards<'s> {
    let ks = &shared.keyspace;
    let mut shards: Vec<(usize, usize)> = Vec::new();
    for (q, args) in queued.iter().zip(argvs) {
        match engine::need(ks, q.cmd.keys, args) {
            Need::One(s, _) => shards.push((db, s)),
            Need::Shards(v) => shards.extend(v.into_iter().map(|s| (db, s))),
            Need::Db => shards.extend((0..ks.shard_count()).map(|s| (db, s))),
            Need::Nothing | Need::All => return engine::lock_dbs(ks, 0..DB_COUNT),
        }
    }
    if let Some(w) = watch {
        shards.extend(w.keys().map(|(d, k)| (d, ks.shard_of(k))));
    }
    shards.sort_unstable();
    shards.dedup();
    Guards::Many(
        shards
            .into_iter()
            .map(|(d, s)| ((d, s), ks.lock(d, s)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::cmd::table::BASE;
    use crate::{Engine, Options};
    use std::sync::Arc;

    fn exec(e: &Engine, s: &mut crate::Session, argv: &[&str]) -> Reply {
        e.execute(s, argv)
    }

    /// A `no-multi` command (none of ours has the flag: Redis 7.0 gives it
    /// only to SAVE, SHUTDOWN, SYNC and PSYNC) is refused and aborts.
    #[test]
    fn no_multi_commands_are_refused() {
        static SAVE: Command = Command {
            name: "save",
            flags: NO_MULTI,
            ..BASE
        };
        let e = Engine::new();
        let mut s = e.session();
        exec(&e, &mut s, &["MULTI"]);
        assert_eq!(
            s.tx.queue(&SAVE, &[b"save"]),
            Err(CmdError::err("Command not allowed inside a transaction"))
        );
        assert_eq!(exec(&e, &mut s, &["EXEC"]), Reply::from(execabort()));
    }

    #[test]
    fn sessions_dropped_while_watching_leave_nothing() {
        let e = Engine::new();
        let registry = &e.shared().watches;
        let mut a = e.session();
        let mut b = e.session();
        exec(&e, &mut a, &["WATCH", "k", "j", "k"]);
        exec(&e, &mut b, &["WATCH", "k"]);
        assert_eq!(registry.count(), 3);
        drop(a);
        assert_eq!(registry.count(), 1);
        exec(&e, &mut b, &["MULTI"]);
        exec(&e, &mut b, &["EXEC"]);
        assert_eq!(registry.count(), 0);
    }

    /// A watched key removed by the active expiry cycle fails the EXEC,
    /// as Redis's expiry signals the key as modified.
    #[test]
    fn active_expiry_of_a_watched_key_fails_exec() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let e = Engine::with_options(Options {
            clock: clock.clone(),
            background: false,
            ..Options::default()
        });
        let mut s = e.session();
        exec(&e, &mut s, &["SET", "k", "v", "PX", "100"]);
        exec(&e, &mut s, &["WATCH", "k"]);
        clock.advance(200);
        assert_eq!(e.active_expire_cycle(), 1);
        exec(&e, &mut s, &["MULTI"]);
        exec(&e, &mut s, &["PING"]);
        assert_eq!(exec(&e, &mut s, &["EXEC"]), Reply::NilArray);
    }

    /// INFO reads the keyspace on its own: inside EXEC it must use the
    /// held locks, not take them again.
    #[test]
    fn info_inside_exec_does_not_deadlock() {
        let e = Engine::new();
        let mut s = e.session();
        exec(&e, &mut s, &["SET", "k", "v"]);
        exec(&e, &mut s, &["MULTI"]);
        exec(&e, &mut s, &["INFO", "keyspace"]);
        let Reply::Array(replies) = exec(&e, &mut s, &["EXEC"]) else {
            panic!("EXEC did not run");
        };
        let Reply::Verbatim(_, text) = &replies[0] else {
            panic!("{replies:?}");
        };
        assert!(String::from_utf8_lossy(text).contains("db0:keys=1,"));
    }
}
