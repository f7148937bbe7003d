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
    /// Changes the current call counted.
    changes: u64,
    /// The current call chose its records itself.
    chosen: bool,
}

impl Effects {
    /// Records `argv` as run in `db`.
    pub(crate) fn record<A: AsRef<[u8]>>(&mut self, db: usize, argv: &[A]) {
        encode_command(argv, &mut self.buf);
        self.records.push((db, self.buf.len()));
    }

    /// The current call's handler records `argv` instead of its own argv.
    pub(crate) fn choose<A: AsRef<[u8]>>(&mut self, db: usize, argv: &[A]) {
        self.chosen = true;
        self.record(db, argv);
    }

    /// The current call propagates nothing, whatever it changed.
    pub(crate) fn suppress(&mut self) {
        self.chosen = true;
    }

    /// Counts a change of the current call.
    #[inline]
    pub(crate) fn changed(&mut self) {
        self.changes += 1;
    }

    /// Ends a call of `argv` in `db`: with `logging` on, its argv is
    /// recorded if it changed something and chose nothing else. The
    /// call's counts are reset either way: counted while the file was off,
    /// they must not make a later call (a script's, whose locks are gone
    /// by then) log itself once the file is on.
    pub(crate) fn end_call(&mut self, db: usize, argv: &[&[u8]], logging: bool) {
        if logging && self.changes > 0 && !self.chosen {
            self.record(db, argv);
        }
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
