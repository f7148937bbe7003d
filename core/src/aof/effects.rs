//! What one command propagates to the append-only file, collected on its
//! [`Ctx`](crate::Ctx) while it holds its shard locks, as Redis's `call()`
//! and `alsoPropagate` do: by default the argv of a call that changed
//! something (it counted a change), or what the handler chose instead
//! (EXPIRE → PEXPIREAT, SPOP → SREM, BLPOP → LPOP, ...), after the DEL of
//! each key found expired on the way. A script or EXEC collects the effects
//! of every command it calls; the engine appends them all at once, wrapped
//! in MULTI/EXEC when there are several, before the locks are released, so
//! the file's order is the order the keyspace saw.

use crate::resp::encode_command;

/// The command that propagates a deletion the engine or a command made on
/// its own: `UNLINK` when the `lazyfree-lazy-*` parameter `lazy` is on,
/// else `DEL` (Redis's `propagateDeletion` and the commands that rewrite
/// themselves to a deletion).
pub(crate) fn del_command(config: &crate::config::Config, lazy: &str) -> &'static [u8] {
    if config.get_bool(lazy) {
        b"UNLINK"
    } else {
        b"DEL"
    }
}

/// The records of one top-level command, RESP-encoded.
#[derive(Debug, Default)]
pub struct Effects {
    /// The records, back to back.
    pub(crate) buf: Vec<u8>,
    /// (db, end offset in `buf`) of each record.
    pub(crate) records: Vec<(usize, usize)>,
    /// What the current call's handler chose to propagate instead of its
    /// argv (Redis's rewritten `c->argv`), RESP-encoded: it joins the
    /// records when the call ends, after what the call recorded on the
    /// way (a lazily expired key's DEL), as in Redis's `call()`.
    own: Vec<u8>,
    /// Changes the current call counted.
    changes: u64,
    /// The current call chose its records itself (`own`, or nothing).
    chosen: bool,
}

impl Effects {
    /// Records `argv` as run in `db`, whatever becomes of the current
    /// call's own propagation (Redis's `alsoPropagate`).
    pub(crate) fn record<A: AsRef<[u8]>>(&mut self, db: usize, argv: &[A]) {
        encode_command(argv, &mut self.buf);
        self.records.push((db, self.buf.len()));
    }

    /// The current call propagates `argv` instead of its own argv; a
    /// later choice replaces it (Redis's `rewriteClientCommandVector`).
    pub(crate) fn choose<A: AsRef<[u8]>>(&mut self, argv: &[A]) {
        self.chosen = true;
        self.own.clear();
        encode_command(argv, &mut self.own);
    }

    /// The current call propagates nothing of its own, whatever it changed
    /// (what it recorded with [`Effects::record`] stays).
    pub(crate) fn suppress(&mut self) {
        self.chosen = true;
        self.own.clear();
    }

    /// Counts a change of the current call.
    #[inline]
    pub(crate) fn changed(&mut self) {
        self.changes += 1;
    }

    /// Ends a call of `argv` in `db`: with `logging` on, its own
    /// propagation (what it chose, else its argv if it changed something)
    /// is recorded. `logging` is off while the file is, and for the calls
    /// of a script that turned `REPL_AOF` off with `redis.set_repl`. The
    /// call's state is reset either way: counted while the file was off,
    /// its changes must not make a later call (a script's, whose locks are
    /// gone by then) log itself once the file is on.
    pub(crate) fn end_call(&mut self, db: usize, argv: &[&[u8]], logging: bool) {
        if logging {
            if self.chosen {
                if !self.own.is_empty() {
                    self.buf.extend_from_slice(&self.own);
                    self.records.push((db, self.buf.len()));
                }
            } else if self.changes > 0 {
                self.record(db, argv);
            }
        }
        self.own.clear();
        self.changes = 0;
        self.chosen = false;
    }

    /// True when nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Forgets the records after they were appended.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.records.clear();
    }
}
