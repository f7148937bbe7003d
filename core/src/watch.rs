//! WATCH: the engine-wide registry of watched keys and each session's
//! [`WatchSet`]. A write to a watched key (through [`Ctx::modified`]), its
//! expiry, or a FLUSH/SWAPDB over it raises the watching session's dirty
//! flag, and that session's next EXEC fails, as Redis's `touchWatchedKey`
//! and `touchAllWatchedKeysInDb` do.
//!
//! Cost when nobody watches: writers read one relaxed counter
//! ([`Watches::active`]) and stop. Every change to the registry happens
//! under the mutex, and a key is registered while its shard is locked (WATCH
//! locks its keys), so a writer holding that shard lock later sees the
//! counter raised.
//!
//! Lock order: shard locks, then the registry mutex; nothing takes a shard
//! lock while holding the registry.
//!
//! [`Ctx::modified`]: crate::ctx::Ctx::modified

use crate::keyspace::DB_COUNT;
use std::cell::LazyCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a key looks like in its db when a watcher is told about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyState {
    /// Not in the db.
    Absent,
    /// In the db and alive.
    Live,
    /// Still in the db, but past its deadline (not yet removed).
    Expired,
}

/// One session watching one key.
#[derive(Debug)]
struct Watcher {
    /// The session's dirty flag (Redis's `CLIENT_DIRTY_CAS`).
    dirty: Arc<AtomicBool>,
    /// The key was already expired when watched (Redis's `wk->expired`):
    /// its removal is no logical change.
    expired: bool,
}

type DbWatchers = HashMap<Box<[u8]>, Vec<Watcher>, foldhash::fast::RandomState>;

/// The watched keys of every db, and who watches them.
#[derive(Debug)]
pub(crate) struct Watches {
    /// Watchers registered, over all keys: zero lets writers skip the mutex.
    count: AtomicUsize,
    dbs: Mutex<Vec<DbWatchers>>,
}

impl Default for Watches {
    fn default() -> Self {
        Watches {
            count: AtomicUsize::new(0),
            dbs: Mutex::new((0..DB_COUNT).map(|_| DbWatchers::default()).collect()),
        }
    }
}

impl Watches {
    /// True when some session watches some key. A relaxed load is enough:
    /// the caller holds the shard lock the watcher registered under.
    #[inline]
    pub(crate) fn active(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    fn dbs(&self) -> MutexGuard<'_, Vec<DbWatchers>> {
        // Updates leave the maps consistent at every step: take over a
        // poisoned lock.
        self.dbs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `key` in `db` changed; `state` tells what it is now (asked only when
    /// a watcher needs it). Redis's `touchWatchedKey`: a watcher of a key
    /// that was expired when watched is left alone while the key stays
    /// expired, and forgets the expiry once the key is gone (its removal is
    /// no change); every other watcher becomes dirty. (Redis removes an
    /// expired key before writing over it, so a write that leaves the key
    /// alive dirties those watchers too.)
    #[inline(never)]
    pub(crate) fn touch(&self, db: usize, key: &[u8], state: impl FnOnce() -> KeyState) {
        let mut dbs = self.dbs();
        let Some(watchers) = dbs[db].get_mut(key) else {
            return;
        };
        // Read only if a watcher of an expired key needs it.
        let state = LazyCell::new(state);
        for w in watchers {
            if w.expired {
                match *state {
                    KeyState::Absent => {
                        w.expired = false;
                        continue;
                    }
                    KeyState::Expired => continue,
                    KeyState::Live => {}
                }
            }
            w.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// Every watched key of `db` is about to be replaced: by nothing (FLUSHDB,
    /// FLUSHALL) or by the same key of db `with` (SWAPDB). `state(db, key)`
    /// reads a key's current state. Redis's `touchAllWatchedKeysInDb`: a
    /// watcher becomes dirty when its key exists on either side, except
    /// that an expired key that is dropped or replaced by an expired one is
    /// no change, and a missing key replaced by an expired one is watched
    /// as expired from then on.
    pub(crate) fn touch_db(
        &self,
        db: usize,
        with: Option<usize>,
        state: impl Fn(usize, &[u8]) -> KeyState,
    ) {
        if !self.active() {
            return;
        }
        let mut dbs = self.dbs();
        for (key, watchers) in dbs[db].iter_mut() {
            let here = state(db, key) != KeyState::Absent;
            let there = with.map_or(KeyState::Absent, |w| state(w, key));
            if !here && there == KeyState::Absent {
                continue;
            }
            for w in watchers {
                if w.expired {
                    match there {
                        KeyState::Absent => {
                            w.expired = false;
                            continue;
                        }
                        KeyState::Expired => continue,
                        KeyState::Live => {}
                    }
                } else if !here && there == KeyState::Expired {
                    w.expired = true;
                    continue;
                }
                w.dirty.store(true, Ordering::Relaxed);
            }
        }
    }

    fn add(&self, db: usize, key: &[u8], dirty: &Arc<AtomicBool>, expired: bool) {
        let mut dbs = self.dbs();
        let watcher = Watcher {
            dirty: Arc::clone(dirty),
            expired,
        };
        match dbs[db].get_mut(key) {
            Some(v) => v.push(watcher),
            None => {
                dbs[db].insert(key.into(), vec![watcher]);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn remove(&self, dirty: &Arc<AtomicBool>, keys: &[(usize, Box<[u8]>)]) {
        if keys.is_empty() {
            return;
        }
        let mut dbs = self.dbs();
        for (db, key) in keys {
            let Some(v) = dbs[*db].get_mut(key) else {
                continue;
            };
            v.retain(|w| !Arc::ptr_eq(&w.dirty, dirty));
            if v.is_empty() {
                dbs[*db].remove(key);
            }
        }
        self.count.fetch_sub(keys.len(), Ordering::Relaxed);
    }

    /// True when one of `set`'s keys that was alive when watched is now
    /// expired (Redis's `isWatchedKeyExpired`, checked by EXEC).
    fn any_expired(&self, set: &WatchSet, state: impl Fn(usize, &[u8]) -> KeyState) -> bool {
        let dbs = self.dbs();
        set.keys.iter().any(|(db, key)| {
            let alive_when_watched = dbs[*db].get(key).is_some_and(|v| {
                v.iter()
                    .any(|w| Arc::ptr_eq(&w.dirty, &set.dirty) && !w.expired)
            });
            alive_when_watched && state(*db, key) == KeyState::Expired
        })
    }

    /// Watchers registered (for tests).
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

/// The keys one session watches. Dropping it (UNWATCH, EXEC, DISCARD,
/// RESET, or the session itself going away) removes them from the registry.
pub(crate) struct WatchSet {
    registry: Arc<Watches>,
    /// Raised by writers of any of `keys`.
    dirty: Arc<AtomicBool>,
    /// (db, key) pairs in WATCH order, each once.
    keys: Vec<(usize, Box<[u8]>)>,
}

impl WatchSet {
    /// An empty set registering with `registry`.
    pub(crate) fn new(registry: Arc<Watches>) -> WatchSet {
        WatchSet {
            registry,
            dirty: Arc::default(),
            keys: Vec::new(),
        }
    }

    /// True once a watched key changed.
    pub(crate) fn dirty(&self) -> bool {
        self.dirty.load(Ordering::Relaxed)
    }

    /// Watches `key` of `db` (once; again is a no-op). `expired`: the key is
    /// already past its deadline. The key's shard must be locked.
    pub(crate) fn add(&mut self, db: usize, key: &[u8], expired: bool) {
        if self.keys.iter().any(|(d, k)| *d == db && **k == *key) {
            return;
        }
        self.registry.add(db, key, &self.dirty, expired);
        self.keys.push((db, key.into()));
    }

    /// The watched (db, key) pairs.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.keys.iter().map(|(db, k)| (*db, &**k))
    }

    /// True when a key alive at WATCH time has expired since; `state(db,
    /// key)` reads a key (its shard must be locked).
    pub(crate) fn any_expired(&self, state: impl Fn(usize, &[u8]) -> KeyState) -> bool {
        self.registry.any_expired(self, state)
    }
}

impl std::fmt::Debug for WatchSet {
    /// The keys and the flag only (not the whole registry).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchSet")
            .field("keys", &self.keys)
            .field("dirty", &self.dirty())
            .finish()
    }
}

impl Drop for WatchSet {
    fn drop(&mut self) {
        self.registry.remove(&self.dirty, &self.keys);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(reg: &Arc<Watches>, keys: &[(&str, bool)]) -> WatchSet {
        let mut s = WatchSet::new(Arc::clone(reg));
        for (k, expired) in keys {
            s.add(0, k.as_bytes(), *expired);
        }
        s
    }

    #[test]
    fn touch_dirties_watchers_of_that_key_only() {
        let reg = Arc::new(Watches::default());
        let (a, b) = (set(&reg, &[("k", false)]), set(&reg, &[("j", false)]));
        assert_eq!(reg.count(), 2);
        reg.touch(0, b"k", || KeyState::Live);
        reg.touch(1, b"j", || KeyState::Live);
        assert!(a.dirty());
        assert!(!b.dirty());
    }

    #[test]
    fn expired_when_watched_is_no_change_until_written() {
        let reg = Arc::new(Watches::default());
        let s = set(&reg, &[("k", true)]);
        reg.touch(0, b"k", || KeyState::Expired);
        assert!(!s.dirty());
        // Removed (lazily or actively): forgotten, then a write counts.
        reg.touch(0, b"k", || KeyState::Absent);
        assert!(!s.dirty());
        reg.touch(0, b"k", || KeyState::Live);
        assert!(s.dirty());
    }

    #[test]
    fn flush_touches_existing_keys_only() {
        let reg = Arc::new(Watches::default());
        let s = set(&reg, &[("missing", false), ("stale", true)]);
        let state = |_: usize, k: &[u8]| match k {
            b"stale" => KeyState::Expired,
            _ => KeyState::Absent,
        };
        reg.touch_db(0, None, state);
        assert!(!s.dirty());
        reg.touch_db(0, None, |_, _| KeyState::Live);
        assert!(s.dirty());
    }

    #[test]
    fn swap_with_an_expired_key_marks_it_expired() {
        let reg = Arc::new(Watches::default());
        let s = set(&reg, &[("k", false)]);
        let state = |db: usize, _: &[u8]| {
            if db == 1 {
                KeyState::Expired
            } else {
                KeyState::Absent
            }
        };
        reg.touch_db(0, Some(1), state);
        assert!(!s.dirty());
        assert!(!s.any_expired(|_, _| KeyState::Expired));
    }

    #[test]
    fn dropping_a_set_unregisters_it() {
        let reg = Arc::new(Watches::default());
        let a = set(&reg, &[("k", false), ("j", false)]);
        let b = set(&reg, &[("k", false)]);
        drop(a);
        assert_eq!(reg.count(), 1);
        reg.touch(0, b"k", || KeyState::Live);
        assert!(b.dirty());
        drop(b);
        assert_eq!(reg.count(), 0);
        assert!(reg.dbs()[0].is_empty());
    }
}
