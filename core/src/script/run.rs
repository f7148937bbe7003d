//! Running scripts (EVAL and friends) and the SCRIPT subcommands.
//!
//! A script runs on its caller's [`Ctx`] holding every shard of a prefix
//! of the dbs, grown as its commands need (or, inside EXEC, with the locks
//! EXEC already holds: all of them, for a keyless command such as EVAL),
//! and with the caller's
//! session swapped for the script's own (Redis's Lua client: the caller's
//! db, RESP2 until `redis.setresp`). `redis.call` runs the command's
//! handler from the table on that context, so scripts see exactly what
//! clients see, and the time is frozen for the whole script as in Redis 7.0.

use super::busy::{Busy, KILLED};
use super::lua::{Host, REPL_AOF};
use super::{Cache, Scripts};
use crate::cmd::args::cstr;
use crate::cmd::table::{self, Command, flags};
use crate::ctx::{Ctx, Guards};
use crate::engine::{self, Need, Session};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::DB_COUNT;
use crate::reply::Reply;
use crate::resp::{self, Limits};
use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// `NOSCRIPT`, Redis's `shared.noscripterr`.
fn noscript() -> CmdError {
    CmdError::Raw("NOSCRIPT No matching script. Please use EVAL.".into())
}

/// The command `argv` names, with Redis's script-side errors.
pub(super) fn lookup(argv: &[&[u8]]) -> Result<&'static Command, CmdError> {
    let mut last = None;
    engine::resolve(argv, &mut last).map_err(|e| match e {
        CmdError::Arity(_) => {
            CmdError::err("Wrong number of args calling Redis command from script")
        }
        _ => CmdError::err("Unknown Redis command called from script"),
    })
}

/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO: `by_sha` when argv\[1\] is a SHA1,
/// `read_only` for the `_RO` forms.
pub(crate) fn eval(ctx: &mut Ctx<'_>, argv: &[&[u8]], by_sha: bool, read_only: bool) -> CmdResult {
    if by_sha && argv[1].len() != 40 {
        return Err(noscript());
    }
    let numkeys = crate::num::parse_i64(argv[2]).ok_or(CmdError::NotInt)?;
    if numkeys > (argv.len() - 3) as i64 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CmdError::err("Number of keys can't be negative"));
    }
    let (keys, args) = argv[3..].split_at(numkeys as usize);
    let scripts = &ctx.shared().scripts;
    // Other clients wait from here on; the locks come before the
    // interpreter's (see the module docs of `script`).
    let _pending = scripts.announce();
    // Locks grow as a prefix of the dbs, in the engine's ascending order:
    // up to the caller's db now, further dbs when a command needs them
    // (`Runner::lock_through`). Never releasing before the end (two-phase
    // locking) keeps the script atomic, and a prefix grown upwards never
    // deadlocks with a client locking in ascending order. Inside EXEC,
    // every db is locked already.
    let own_locks = matches!(ctx.guards, Guards::None);
    let locked = if own_locks {
        let db = ctx.session.db;
        ctx.guards = engine::lock_dbs(&ctx.shared().keyspace, 0..db + 1);
        db + 1
    } else {
        DB_COUNT
    };
    let mut cache = scripts.cache()?;
    let mut lower = [0u8; 40];
    let sha: Cow<'_, str> = if by_sha {
        // SHA1s match case-insensitively (and are 40 bytes, checked above).
        lower.copy_from_slice(argv[1]);
        lower.make_ascii_lowercase();
        Cow::Borrowed(std::str::from_utf8(&lower).map_err(|_| noscript())?)
    } else {
        Cow::Owned(super::sha1hex(argv[1]))
    };
    let script_flags = match cache.scripts.get(&*sha) {
        Some(f) => *f,
        None if by_sha => return Err(noscript()),
        None => {
            cache.create(argv[1])?;
            cache.scripts[&*sha]
        }
    };
    if !script_flags.compat && !script_flags.no_writes && read_only {
        return Err(CmdError::err(
            "Can not execute a script with write flag using *_ro command.",
        ));
    }
    let threshold = ctx.shared().config.get_int("busy-reply-threshold");
    let mut runner = Runner {
        ctx: &mut *ctx,
        session: Session::detached(0, 2),
        busy: &scripts.busy,
        read_only: read_only || (!script_flags.compat && script_flags.no_writes),
        started: Instant::now(),
        threshold: Duration::from_millis(threshold.max(0) as u64),
        reply: Vec::new(),
        locked,
    };
    runner.session.db = runner.ctx.session.db;
    std::mem::swap(runner.ctx.session, &mut runner.session);
    scripts.busy.start();
    let out = cache
        .vm
        .run(&mut runner, &sha, keys, args, threshold > 0, decode);
    std::mem::swap(runner.ctx.session, &mut runner.session);
    drop(cache);
    if own_locks {
        // The script's writes go to the append-only file before its locks
        // are released, so that the file's order is the keyspace's (a
        // snapshot cut can come in as soon as they are); then clients
        // blocked on keys it wrote are served, their pops logged after it
        // (inside EXEC, all this happens after the transaction).
        ctx.flush_effects();
        crate::blocking::serve_held(ctx);
        ctx.flush_effects();
        ctx.guards = Guards::None;
    }
    // EVAL itself never propagates: its commands did, by their effects
    // (the changes of the waiters served above count on this call).
    ctx.propagate_nothing();
    out
}

/// The script's RESP3 reply as a [`Reply`]: the bytes come from our own C
/// code, so only the nesting and size limits of the wire decoder are lifted.
fn decode(out: &[u8]) -> CmdResult {
    let limits = Limits {
        max_bulk_len: usize::MAX,
        max_multibulk_len: usize::MAX,
        max_depth: usize::MAX,
        ..Limits::default()
    };
    match resp::decode(out, &limits) {
        Ok(Some((reply, used))) if used == out.len() => Ok(reply),
        _ => Err(CmdError::err("malformed reply from the Lua interpreter")),
    }
}

/// One script execution as the interpreter's [`Host`].
struct Runner<'c, 'a> {
    /// The caller's context, holding the locks, with the script's session
    /// swapped in while the script runs.
    ctx: &'c mut Ctx<'a>,
    /// The caller's session while the script runs (the script's before
    /// and after).
    session: Session,
    busy: &'c Busy,
    read_only: bool,
    started: Instant,
    threshold: Duration,
    /// The last `redis.call` reply, RESP-encoded for the interpreter.
    reply: Vec<u8>,
    /// Dbs `0..locked` are locked, every shard of each.
    locked: usize,
}

impl Runner<'_, '_> {
    /// Locks every shard of the dbs up to `db` not locked yet, in
    /// ascending order, after those already held.
    fn lock_through(&mut self, db: usize) {
        if db < self.locked {
            return;
        }
        let ks = &self.ctx.shared().keyspace;
        let Guards::Many(held) = &mut self.ctx.guards else {
            unreachable!("a script holds its dbs as many guards")
        };
        for d in self.locked..=db {
            held.extend((0..ks.shard_count()).map(|s| ((d, s), ks.lock(d, s))));
        }
        self.locked = db + 1;
    }

    fn execute(&mut self, argv: &[&[u8]], proto: u8, repl: u8) -> Result<Reply, CmdError> {
        let cmd = lookup(argv)?;
        if cmd.has(flags::NOSCRIPT) {
            return Err(CmdError::err(
                "This Redis command is not allowed from script",
            ));
        }
        let write = cmd.has(flags::WRITE);
        // Redis counts may-replicate commands as writes in read-only scripts.
        if self.read_only && (write || cmd.has(flags::MAY_REPLICATE)) {
            return Err(CmdError::err(
                "Write commands are not allowed from read-only scripts.",
            ));
        }
        if !self.busy.may_run(write) {
            return Err(CmdError::err(KILLED));
        }
        // The dbs the command may touch: the script's current one, or all
        // of them for a command that spans dbs or reads the keyspace on
        // its own (keyless ones such as INFO).
        let shared = self.ctx.shared();
        let db = match engine::need(&shared.keyspace, cmd.keys, argv) {
            Need::Nothing | Need::All => DB_COUNT - 1,
            _ => self.ctx.session.db,
        };
        self.lock_through(db);
        self.ctx.session.proto = proto;
        shared.stats.commands.fetch_add(1, Ordering::Relaxed);
        if write {
            if let Some(e) = crate::persist::write_denied(shared) {
                return Err(e);
            }
        }
        // Redis 7.0 propagates a script by its effects: each write is
        // recorded here (unless `redis.set_repl` turned REPL_AOF off), and
        // the engine appends them all, wrapped in MULTI/EXEC, when the
        // script ends.
        let reply = engine::call(cmd, self.ctx, argv);
        self.ctx.end_call_logged(argv, repl & REPL_AOF != 0);
        reply
    }
}

impl Host for Runner<'_, '_> {
    fn call(&mut self, argv: &[&[u8]], resp: u8, repl: u8) -> &[u8] {
        let reply = self.execute(argv, resp, repl).unwrap_or_else(Reply::from);
        self.reply.clear();
        resp::encode(&reply, resp, &mut self.reply);
        &self.reply
    }

    fn interrupt(&mut self) -> bool {
        self.busy.tick(self.started.elapsed() >= self.threshold)
    }
}

/// SCRIPT LOAD script.
pub(crate) fn script_load(scripts: &Scripts, body: &[u8]) -> CmdResult {
    let sha = scripts.cache()?.create(body)?;
    Ok(Reply::Bulk(sha.into_bytes()))
}

/// SCRIPT EXISTS sha1 [sha1 ...]: SHA1s match case-insensitively.
pub(crate) fn script_exists(scripts: &Scripts, shas: &[&[u8]]) -> CmdResult {
    let guard = scripts.lock();
    // Redis's script dict compares keys as C strings, case-insensitively.
    let known = |sha: &[u8]| {
        let sha = String::from_utf8_lossy(cstr(sha)).to_ascii_lowercase();
        guard
            .as_ref()
            .is_some_and(|c: &Cache| c.scripts.contains_key(&sha))
    };
    Ok(Reply::Array(
        shas.iter()
            .map(|s| Reply::Int(i64::from(known(s))))
            .collect(),
    ))
}

/// SCRIPT FLUSH [ASYNC|SYNC]: a fresh interpreter, as Redis's
/// `scriptingReset` (both modes free the old one at once).
pub(crate) fn script_flush(scripts: &Scripts, argv: &[&[u8]]) -> CmdResult {
    // The mode is compared as a C string (strcasecmp).
    let mode_ok = match argv.get(2).map(|m| cstr(m)) {
        None => argv.len() == 2,
        Some(m) => {
            argv.len() == 3 && (m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async"))
        }
    };
    if !mode_ok {
        return Err(CmdError::err("SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    if let Some(cache) = scripts.lock().as_mut() {
        cache.scripts.clear();
        cache
            .vm
            .reset()
            .map_err(|_| CmdError::err("cannot create the Lua interpreter: out of memory"))?;
    }
    Ok(Reply::ok())
}

/// SCRIPT KILL.
pub(crate) fn script_kill(scripts: &Scripts) -> CmdResult {
    scripts.busy.kill().map(|()| Reply::ok())
}

/// Is `argv` (a name, maybe a subcommand) a command? For
/// `redis.acl_check_cmd`, which does not check arity.
pub(super) fn is_command(argv: &[&[u8]]) -> bool {
    let Some(cmd) = argv.first().and_then(|n| table::lookup(n)) else {
        return false;
    };
    match argv.get(1) {
        Some(sub) if !cmd.subcommands.is_empty() => table::lookup_sub(cmd, sub).is_some(),
        _ => true,
    }
}
