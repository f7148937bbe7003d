//! `Ctx`: what a command handler sees. It holds the shard locks the engine
//! took for the command (from the command's key positions), the client's
//! session, and the time, and gives key access with Redis's semantics: an
//! expired key is deleted on access (lazy expiry) and never returned.
//!
//! Entries are packed nodes of the shard's [`Table`](crate::keyspace::Table):
//! lookups hand out [`EntryMut`] (an entry to read or change),
//! [`ValueMut`] (collections to change, strings to read) or [`ValueRef`].
//! A string changes through its entry ([`EntryMut::replace_str`],
//! [`EntryMut::into_padded_str`], ...), which may move the node.

use crate::aof::effects;
use crate::engine::{Session, Shared};
use crate::error::CmdError;
use crate::keyspace::{
    Entry, EntryMut, HashValue, Lookup, SetValue, Shard, Stored, Value, ValueMut, ValueRef,
};
use crate::pubsub::notify;
use crate::types::zset::ZSet;
use crate::watch::KeyState;
use std::collections::VecDeque;
use std::sync::MutexGuard;

/// The shard locks held for one command.
pub(crate) enum Guards<'a> {
    /// Nothing locked (server commands).
    None,
    /// One shard of one db: the single-key fast path.
    One(usize, usize, MutexGuard<'a, Shard>),
    /// Several shards, sorted by (db, shard).
    Many(Vec<((usize, usize), MutexGuard<'a, Shard>)>),
}

/// A handler's view of the engine for one command.
pub struct Ctx<'a> {
    pub(crate) shared: &'a Shared,
    /// The calling client's session.
    pub session: &'a mut Session,
    pub(crate) guards: Guards<'a>,
    now: u64,
    /// Address and length of the key slice the engine hashed to pick the
    /// single locked shard: lookups of that very slice skip re-hashing.
    hint: (usize, usize),
    /// Keys with blocked clients that this command wrote (db, key): the
    /// engine serves their waiters once the command is over. Kept here,
    /// not in the session, so the writes of a script's `redis.call`s
    /// (which run on this context with the script's session) count too.
    pub(crate) ready: Vec<(usize, Vec<u8>)>,
    /// What this command propagates to the append-only file.
    pub(crate) effects: crate::aof::effects::Effects,
    /// This command appended records to the append-only file (its own,
    /// or an EXEC's transaction), first at this mark: its reply waits for
    /// them with `always`.
    pub(crate) appended: Option<crate::aof::Mark>,
}

macro_rules! typed_lookup {
    ($get:ident, $create:ident, $as_mut:ident, $variant:ident, $ty:ty, $make:expr) => {
        #[doc = concat!("The `", stringify!($variant), "` at `key` (None when absent), or WRONGTYPE.")]
        pub fn $get(&mut self, key: &[u8]) -> Result<Option<&mut $ty>, CmdError> {
            match self.get(key) {
                None => Ok(None),
                Some(v) => v.$as_mut().map(Some),
            }
        }

        #[doc = concat!("The `", stringify!($variant), "` at `key`, created empty when absent, or WRONGTYPE.")]
        pub fn $create(&mut self, key: &[u8]) -> Result<&mut $ty, CmdError> {
            if self.get_for_write(key).is_none() {
                self.set(key, Value::$variant($make));
            }
            self.get_for_write(key).expect("just created").$as_mut()
        }
    };
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(shared: &'a Shared, session: &'a mut Session, guards: Guards<'a>) -> Self {
        Ctx {
            shared,
            session,
            guards,
            now: 0,
            hint: (0, 0),
            ready: Vec::new(),
            effects: Default::default(),
            appended: None,
        }
    }

    /// The engine's shared state.
    pub fn shared(&self) -> &'a Shared {
        self.shared
    }

    /// The selected db.
    pub fn db(&self) -> usize {
        self.session.db
    }

    /// True when the client speaks RESP3.
    pub fn resp3(&self) -> bool {
        self.session.proto >= 3
    }

    /// The command's time in Unix ms, read once per command (as Redis's
    /// `commandTimeSnapshot`), so a command sees one consistent instant.
    pub fn now(&mut self) -> u64 {
        if self.now == 0 {
            self.now = self.shared.clock.now_ms();
        }
        self.now
    }

    /// The locked shard holding `key` in `db`. Panics when the engine did not
    /// lock it: that is a key-spec bug, caught and reported as an error reply.
    #[inline]
    pub fn shard_in(&mut self, db: usize, key: &[u8]) -> &mut Shard {
        guarded_shard(&mut self.guards, self.shared, self.hint, db, key)
    }

    /// Records that `key` (this very slice) is the key whose shard the
    /// engine locked as the single guard.
    pub(crate) fn hint(&mut self, key: &[u8]) {
        self.hint = (key.as_ptr() as usize, key.len());
    }

    /// Where the guard of shard `idx` of `db` is: `None` for the single
    /// guard, `Some(i)` for the i-th of many. Panics when the engine did not
    /// lock it: that is a key-spec bug, caught and reported as an error reply.
    fn locate(&self, db: usize, idx: usize) -> Option<usize> {
        let found = match &self.guards {
            Guards::One(d, s, _) if *d == db && *s == idx => return None,
            Guards::Many(v) => v.binary_search_by_key(&(db, idx), |(k, _)| *k).ok(),
            _ => None,
        };
        Some(found.unwrap_or_else(|| not_locked(db, idx)))
    }

    /// The locked shard `idx` of `db`.
    pub fn shard_at(&mut self, db: usize, idx: usize) -> &mut Shard {
        let at = self.locate(db, idx);
        match (&mut self.guards, at) {
            (Guards::One(_, _, g), None) => g,
            (Guards::Many(v), Some(i)) => &mut v[i].1,
            _ => unreachable!("locate matched the guard kind"),
        }
    }

    /// The locked shard `idx` of `db`, shared (see [`Ctx::shard_at`]).
    fn shard_ref(&self, db: usize, idx: usize) -> &Shard {
        match (&self.guards, self.locate(db, idx)) {
            (Guards::One(_, _, g), None) => g,
            (Guards::Many(v), Some(i)) => &v[i].1,
            _ => unreachable!("locate matched the guard kind"),
        }
    }

    /// The value of `key` in the selected db through a shared borrow, so a
    /// handler can hold several at once (ZUNION and friends read all their
    /// inputs together). It neither counts hits nor evicts: look the key up
    /// with [`Ctx::get`] first, which deletes it if expired.
    pub fn peek(&self, key: &[u8]) -> Option<ValueRef<'_>> {
        let idx = self.shared.keyspace.shard_of(key);
        let e = self.shard_ref(self.session.db, idx).map.get(key)?;
        // `now` is set whenever an earlier lookup met a volatile shard.
        let expired = e.expire() != 0 && e.expire() < self.now && !self.shared.aof.loading();
        (!expired).then(|| e.value())
    }

    /// Every locked shard of `db` (all of them for `Keys::Db`/`Keys::All` commands).
    pub fn shards_of(&mut self, db: usize) -> impl Iterator<Item = &mut Shard> {
        let v: Vec<&mut Shard> = match &mut self.guards {
            Guards::None => Vec::new(),
            Guards::One(d, _, g) => {
                if *d == db {
                    vec![&mut **g]
                } else {
                    Vec::new()
                }
            }
            Guards::Many(v) => v
                .iter_mut()
                .filter(|((d, _), _)| *d == db)
                .map(|(_, g)| &mut **g)
                .collect(),
        };
        v.into_iter()
    }

    /// Swaps the whole contents of dbs `a` and `b`, shard by shard (SWAPDB).
    /// Every shard of both must be locked (`Keys::All`); panics otherwise.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let Guards::Many(v) = &mut self.guards else {
            panic!("SWAPDB needs every db locked");
        };
        for s in 0..self.shared.keyspace.shard_count() {
            let find = |db| {
                v.binary_search_by_key(&(db, s), |(k, _)| *k)
                    .unwrap_or_else(|_| panic!("shard {s} of db {db} is not locked"))
            };
            let (i, j) = (find(a.min(b)), find(a.max(b)));
            let (lo, hi) = v.split_at_mut(j);
            std::mem::swap(&mut *lo[i].1, &mut *hi[0].1);
        }
    }

    /// The live entry of `key` in `db`; an expired one is deleted first.
    /// As Redis's `keyIsExpired`, a key lives through its deadline
    /// millisecond and is expired once `now > deadline`.
    pub fn entry_in(&mut self, db: usize, key: &[u8]) -> Option<EntryMut<'_>> {
        self.lookup_in(db, key, true)
    }

    /// Like [`Ctx::entry_in`] but leaves the access time alone (Redis's
    /// `LOOKUP_NOTOUCH`): for TYPE, EXISTS, TTL, OBJECT, SCAN, RANDOMKEY.
    pub fn entry_notouch_in(&mut self, db: usize, key: &[u8]) -> Option<EntryMut<'_>> {
        self.lookup_in(db, key, false)
    }

    /// A read that counts keyspace hits/misses but does not update the
    /// access time (Redis's `lookupKeyReadWithFlags(LOOKUP_NOTOUCH)`).
    pub fn read_notouch(&mut self, key: &[u8]) -> Option<EntryMut<'_>> {
        let shared = self.shared;
        let found = self.lookup_in(self.session.db, key, false);
        count_read(shared, found.is_some());
        found
    }

    fn lookup_in(&mut self, db: usize, key: &[u8], touch: bool) -> Option<EntryMut<'_>> {
        // CLIENT NO-TOUCH: the client's reads leave access times alone.
        let touch = touch && !self.session.conn.no_touch;
        let shared = self.shared;
        // Nothing expires while the append-only file is replayed (see
        // `Aof::loading`): now = 0 expires nothing.
        let now = if self.shard_in(db, key).map.volatile() > 0 && !shared.aof.loading() {
            self.now()
        } else {
            0
        };
        let access = shared.lru_clock();
        let shard = guarded_shard(&mut self.guards, shared, self.hint, db, key);
        match shard.map.lookup(key, now) {
            Lookup::Found(mut e) => {
                if touch {
                    e.touch(access);
                }
                Some(e)
            }
            Lookup::Expired => {
                if shared.aof.active() {
                    let del = effects::del_command(&shared.config, "lazyfree-lazy-expire");
                    self.effects.record(db, &[del, key]);
                }
                expired(shared, db, key);
                None
            }
            Lookup::Missing => None,
        }
    }

    /// The live entry of `key` in the selected db.
    pub fn entry(&mut self, key: &[u8]) -> Option<EntryMut<'_>> {
        self.entry_in(self.session.db, key)
    }

    /// The value of `key` for a read (counts keyspace hits and misses).
    pub fn get(&mut self, key: &[u8]) -> Option<ValueMut<'_>> {
        let shared = self.shared;
        let found = self.entry(key).map(EntryMut::into_value);
        count_read(shared, found.is_some());
        found
    }

    /// The value of `key` for a write (no hit/miss accounting).
    pub fn get_for_write(&mut self, key: &[u8]) -> Option<ValueMut<'_>> {
        self.entry(key).map(EntryMut::into_value)
    }

    /// True when `key` exists (and is not expired).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.entry(key).is_some()
    }

    typed_lookup!(
        get_hash,
        hash_or_create,
        as_hash_mut,
        Hash,
        HashValue,
        Box::default()
    );
    typed_lookup!(
        get_list,
        list_or_create,
        as_list_mut,
        List,
        VecDeque<Vec<u8>>,
        Box::default()
    );
    typed_lookup!(
        get_set,
        set_or_create,
        as_set_mut,
        Set,
        SetValue,
        Box::default()
    );
    typed_lookup!(
        get_zset,
        zset_or_create,
        as_zset_mut,
        ZSet,
        ZSet,
        Box::default()
    );

    /// Before `key` of `db` is overwritten: an expired entry there is
    /// removed as expired first (and its DEL propagated ahead of the
    /// write), as Redis's `setKey` does through `lookupKeyWrite`.
    #[inline]
    fn expire_before_overwrite(&mut self, db: usize, key: &[u8]) {
        if self.shard_in(db, key).map.volatile() > 0 {
            self.lookup_in(db, key, false);
        }
    }

    /// Stores `value` at `key` in `db`, dropping any expiry (Redis's `setKey`).
    pub fn set_in(&mut self, db: usize, key: &[u8], value: Value) {
        self.expire_before_overwrite(db, key);
        // A new object is stamped with the LRU clock, as Redis's createObject.
        let access = self.shared.lru_clock();
        let found = self.shard_in(db, key).map.set(key, value, access);
        self.stored_in(db, key, found);
    }

    /// Stores `value` at `key`, dropping any expiry.
    pub fn set(&mut self, key: &[u8], value: Value) {
        self.set_in(self.session.db, key, value);
    }

    /// Stores the string `s` at `key`, dropping any expiry (SET's path: the
    /// bytes go straight into the entry).
    pub fn set_str(&mut self, key: &[u8], s: &[u8]) {
        let access = self.shared.lru_clock();
        let db = self.session.db;
        self.expire_before_overwrite(db, key);
        let found = self.shard_in(db, key).map.set_str(key, s, access);
        self.stored_in(db, key, found);
    }

    /// Stores the string `s` at `key`, keeping its expiry if it has one (KEEPTTL).
    pub fn set_str_keep_ttl(&mut self, key: &[u8], s: &[u8]) {
        match self.entry(key) {
            Some(mut e) => e.replace_str(s),
            None => self.set_str(key, s),
        }
    }

    /// Inserts a whole entry (value and expiry) at `key` in `db`, replacing any.
    pub fn insert_entry_in(&mut self, db: usize, key: &[u8], entry: Entry) {
        self.expire_before_overwrite(db, key);
        let found = self.shard_in(db, key).map.insert(key, entry);
        self.stored_in(db, key, found);
    }

    /// After a store into `key` of `db` that found `found`: a key created
    /// is Redis's `dbAdd`, which notifies `new`; an entry replaced past its
    /// deadline is, as in Redis (whose write lookup deletes it first), an
    /// expired key and then a new one.
    #[inline]
    fn stored_in(&mut self, db: usize, key: &[u8], found: Stored) {
        match found {
            Stored::Created => {}
            Stored::Replaced(deadline) if deadline != 0 && deadline < self.now() => {
                if self.shared.aof.active() {
                    self.effects.record(db, &[b"DEL", key]);
                }
                expired(self.shared, db, key);
            }
            Stored::Replaced(_) => return,
        }
        self.notify_in(db, notify::NEW, "new", key);
    }

    /// Removes `key` from `db` and returns its live entry.
    pub fn remove_in(&mut self, db: usize, key: &[u8]) -> Option<Entry> {
        self.entry_in(db, key)?;
        self.shard_in(db, key).map.remove(key)
    }

    /// Deletes `key`; true when it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let db = self.session.db;
        self.entry_in(db, key).is_some() && self.shard_in(db, key).map.delete(key)
    }

    /// Deletes `key` when it holds an empty collection (after a pop or
    /// remove); true when it did.
    pub fn delete_if_empty(&mut self, key: &[u8]) -> bool {
        self.get_for_write(key)
            .is_some_and(|v| v.is_empty_collection())
            && self.delete(key)
    }

    /// After a command removed `n` elements from the collection at `key`
    /// (keyspace event `event` of `class`): deletes the key if it is now
    /// empty, records the modification (`n` changes), and notifies `event`
    /// (then `del` when the key went), as Redis's commands do.
    pub fn removed_elements(&mut self, key: &[u8], n: u64, class: u32, event: &str) {
        let gone = self.delete_if_empty(key);
        self.modified_by(key, n);
        self.notify(class, event, key);
        if gone {
            self.notify(notify::GENERIC, "del", key);
        }
    }

    /// True when the deadline `at_ms` (Unix ms) has come: the commands
    /// that check it (EXPIRE, GETEX, RESTORE) delete the key at once
    /// (Redis's `checkAlreadyExpired`). Never while the append-only file
    /// is replayed: there the key keeps the deadline and expires after the
    /// load, so the commands logged after it still find it (see
    /// `Aof::loading`).
    pub fn deadline_passed(&mut self, at_ms: u64) -> bool {
        at_ms <= self.now() && !self.shared.aof.loading()
    }

    /// Sets the absolute expiry of an existing `key` in the selected db
    /// (Redis's `setExpire`). A deadline already past leaves the key in
    /// place, expired: its next access removes it (and propagates the
    /// DEL), as in Redis after `SET key value PXAT <past>`.
    pub fn set_expire(&mut self, key: &[u8], at_ms: u64) {
        let db = self.session.db;
        if let Some(mut e) = self.shard_in(db, key).map.get_mut(key) {
            e.set_expire(at_ms);
        }
    }

    /// Removes the expiry of `key`; true when it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        match self.entry(key) {
            Some(mut e) if e.expire() != 0 => {
                e.set_expire(0);
                true
            }
            _ => false,
        }
    }

    /// Records that `key` of the selected db was modified: counts a change
    /// for persistence (`rdb_changes_since_last_save`) and fails the EXEC of
    /// sessions WATCHing it.
    #[inline]
    pub fn modified(&mut self, key: &[u8]) {
        self.modified_in(self.session.db, key);
    }

    /// [`Ctx::modified`] for `key` of `db`.
    #[inline]
    pub fn modified_in(&mut self, db: usize, key: &[u8]) {
        self.modified_by_in(db, key, 1);
    }

    /// [`Ctx::modified`] counting `n` changes, as Redis's commands that
    /// add `server.dirty += n`: LPUSH counts the elements pushed, HDEL the
    /// fields deleted, LTRIM the elements trimmed, ...
    #[inline]
    pub fn modified_by(&mut self, key: &[u8], n: u64) {
        self.modified_by_in(self.session.db, key, n);
    }

    /// [`Ctx::modified_by`] for `key` of `db`.
    #[inline]
    pub fn modified_by_in(&mut self, db: usize, key: &[u8], n: u64) {
        self.count_changes(n);
        self.signal_modified_in(db, key);
    }

    /// Counts a change for persistence without touching WATCHes (Redis's
    /// bare `server.dirty++`, as PFDEBUG's encoding change does).
    #[inline]
    pub fn count_change(&mut self) {
        self.count_changes(1);
    }

    /// Counts `n` changes for persistence without touching WATCHes; with
    /// `n` = 0 the call still counts as no change (and propagates nothing).
    #[inline]
    pub fn count_changes(&mut self, n: u64) {
        if n > 0 {
            self.effects.changed();
            self.shared
                .stats
                .dirty
                .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Propagates this call even if it counted no change (Redis's
    /// `forceCommandPropagation`: FLUSHDB of an empty db).
    pub fn force_propagation(&mut self) {
        self.effects.changed();
    }

    /// True when this command's changes are logged to the append-only
    /// file: a handler that propagates something other than its argv
    /// builds that only then.
    #[inline]
    pub fn propagating(&self) -> bool {
        self.shared.aof.active()
    }

    /// Propagates `argv` (run in the selected db) for this call instead of
    /// the call's own argv (Redis's command rewriting: EXPIRE → PEXPIREAT,
    /// SPOP → SREM, ...); a later call replaces it.
    pub fn propagate_as<A: AsRef<[u8]>>(&mut self, argv: &[A]) {
        if self.propagating() {
            self.effects.choose(argv);
        }
    }

    /// Propagates `argv` (run in the selected db) besides this call's own
    /// propagation, and even when a script turned its propagation off
    /// (Redis's `alsoPropagate`: SPOP with a count logs one SREM per
    /// member, a served blocked client its pop). Several calls record
    /// several commands; the caller decides what the call itself
    /// propagates (usually [`Ctx::propagate_nothing`]).
    pub fn propagate_also<A: AsRef<[u8]>>(&mut self, argv: &[A]) {
        if self.propagating() {
            let db = self.session.db;
            self.effects.record(db, argv);
        }
    }

    /// Propagates the deletion of `key` the call made itself (an expiry
    /// in the past, SPOP of a whole set, ...) as Redis does: `DEL key`, or
    /// `UNLINK key` when the `lazyfree-lazy-*` parameter `lazy` is on.
    pub fn propagate_del(&mut self, key: &[u8], lazy: &str) {
        if self.propagating() {
            let del = effects::del_command(&self.shared.config, lazy);
            self.propagate_as(&[del, key]);
        }
    }

    /// This call propagates nothing even though it counted changes.
    pub fn propagate_nothing(&mut self) {
        self.effects.suppress();
    }

    /// Ends one call of `argv`: records it for the append-only file if it
    /// changed something and chose nothing else.
    #[inline]
    pub(crate) fn end_call(&mut self, argv: &[&[u8]]) {
        self.end_call_logged(argv, true);
    }

    /// [`Ctx::end_call`] for a call whose own propagation goes to the file
    /// only if `logged` (a script's call, as its `redis.set_repl` flags
    /// say); what it recorded besides (expired keys' DELs,
    /// [`Ctx::propagate_also`]) is kept either way, as in Redis.
    #[inline]
    pub(crate) fn end_call_logged(&mut self, argv: &[&[u8]], logged: bool) {
        let logging = logged && self.propagating();
        self.effects.end_call(self.session.db, argv, logging);
    }

    /// Appends what this command recorded to the append-only file (the
    /// locks are still held, so the file's order is the keyspace's); the
    /// mark of its first append, if it appended anything.
    #[inline]
    pub(crate) fn flush_effects(&mut self) -> Option<crate::aof::Mark> {
        if !self.effects.is_empty() {
            let mark = self.shared.aof.append(&self.effects);
            self.effects.clear();
            self.appended.get_or_insert(mark);
        }
        self.appended
    }

    /// Fails the EXEC of sessions WATCHing `key` of `db`, without counting
    /// a change (Redis's `signalModifiedKey`; MOVE signals both dbs but
    /// counts one change). The key's shard must be locked.
    /// It also records the key for the clients blocked on it (served once
    /// the command is over).
    #[inline]
    pub fn signal_modified_in(&mut self, db: usize, key: &[u8]) {
        let watches = &self.shared().watches;
        if watches.active() {
            let now = self.now();
            watches.touch(db, key, || self.key_state(db, key, now));
        }
        if self.shared.blocking.has_waiters(db, key) {
            self.ready.push((db, key.to_vec()));
        }
    }

    /// Publishes keyspace event `event` of `class` (bits of
    /// [`crate::pubsub::notify`]) for `key` of the selected db, when
    /// `notify-keyspace-events` asks for it.
    #[inline]
    pub fn notify(&self, class: u32, event: &str, key: &[u8]) {
        self.notify_in(self.session.db, class, event, key);
    }

    /// [`Ctx::notify`] for `key` of `db`.
    #[inline]
    pub fn notify_in(&self, db: usize, class: u32, event: &str, key: &[u8]) {
        if self.shared.config.notify_flags() & class != 0 {
            crate::pubsub::notify::notify(self.shared, class, event, key, db);
        }
    }

    /// Every WATCHed key of `db` is about to be emptied (FLUSHDB, FLUSHALL:
    /// `with` is `None`) or swapped with db `with` (SWAPDB): fails the EXEC
    /// of their watchers as Redis's `touchAllWatchedKeysInDb` does. Call it
    /// before the change, with every shard of `db` (and `with`) locked.
    pub fn touch_watched_db(&mut self, db: usize, with: Option<usize>) {
        let watches = &self.shared().watches;
        if watches.active() {
            let now = self.now();
            watches.touch_db(db, with, |d, key| self.key_state(d, key, now));
        }
    }

    /// Whether `key` is in `db`, alive or past its deadline at `now`,
    /// without removing it (Redis's `keyIsExpired`). Its shard must be locked.
    pub(crate) fn key_state(&self, db: usize, key: &[u8], now: u64) -> KeyState {
        let idx = self.shared.keyspace.shard_of(key);
        match self.shard_ref(db, idx).map.get(key) {
            None => KeyState::Absent,
            Some(e) if e.expire() != 0 && e.expire() < now => KeyState::Expired,
            Some(_) => KeyState::Live,
        }
    }

    /// Runs `f` on shard `idx` of `db` for a command that locked nothing up
    /// front (INFO): the shard is locked for the call alone. Inside EXEC,
    /// which holds every shard when such a command is queued, the held
    /// guard serves (locking it again would deadlock).
    pub fn with_shard<T>(&self, db: usize, idx: usize, f: impl FnOnce(&Shard) -> T) -> T {
        match self.guards {
            Guards::None => f(&self.shared.keyspace.lock(db, idx)),
            _ => f(self.shard_ref(db, idx)),
        }
    }
}

/// `key` of `db` was found past its deadline and removed: counts it,
/// fails the EXEC of its watchers (Redis signals an expired key's removal
/// as a change) and notifies `expired`.
fn expired(shared: &Shared, db: usize, key: &[u8]) {
    shared
        .stats
        .expired_keys
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if shared.watches.active() {
        shared.watches.touch(db, key, || KeyState::Absent);
    }
    if shared.config.notify_flags() & notify::EXPIRED != 0 {
        notify::notify(shared, notify::EXPIRED, "expired", key, db);
    }
}

/// Counts a read lookup in INFO's keyspace_hits / keyspace_misses.
fn count_read(shared: &Shared, hit: bool) {
    let stats = &shared.stats;
    let counter = if hit {
        &stats.keyspace_hits
    } else {
        &stats.keyspace_misses
    };
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// A handler touched a shard its key spec did not lock: a bug in the row,
/// reported (through the engine's panic boundary) as an error reply.
#[cold]
/// [`Ctx::shard_in`] over the guards alone, so that a caller can borrow
/// other fields of the context beside the shard.
#[inline]
fn guarded_shard<'g>(
    guards: &'g mut Guards<'_>,
    shared: &Shared,
    hint: (usize, usize),
    db: usize,
    key: &[u8],
) -> &'g mut Shard {
    let hinted = (key.as_ptr() as usize, key.len()) == hint;
    let ks = &shared.keyspace;
    match guards {
        // The single-key fast path: no hashing when the engine already did.
        Guards::One(d, s, g) if *d == db && (hinted || *s == ks.shard_of(key)) => g,
        Guards::Many(v) => {
            let idx = ks.shard_of(key);
            match v.binary_search_by_key(&(db, idx), |(k, _)| *k) {
                Ok(i) => &mut v[i].1,
                Err(_) => not_locked(db, idx),
            }
        }
        _ => not_locked(db, ks.shard_of(key)),
    }
}

fn not_locked(db: usize, idx: usize) -> ! {
    panic!("shard {idx} of db {db} is not locked for this command")
}
