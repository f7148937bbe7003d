//! The keyspace: 16 logical databases, each split into `N` shards (hash
//! buckets) behind their own mutex. A key lives in shard `hash >> (64 - bits)`:
//! the top hash bits pick the shard and the low bits pick the bucket inside
//! the shard's [`Table`], so the two never correlate. A table packs each key
//! with its value (short strings inline) and its deadline in one node.
//!
//! Locking order is the invariant that keeps multi-key commands deadlock
//! free: shards are always locked in ascending (db, shard) order.

mod table;
mod value;

pub use table::{ACCESS_MASK, EntryMut, EntryRef, INLINE_MAX, Lookup, Stored, Table};
pub use value::{Entry, HashValue, SetValue, Value, ValueMut, ValueRef};

use crate::chain::hash_key;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

/// Number of logical databases.
pub const DB_COUNT: usize = 16;

/// One shard: a slice of one db's keys.
#[derive(Debug, Default)]
pub struct Shard {
    /// Key → entry; it also counts the keys with an expiry
    /// ([`Table::volatile`], INFO keyspace `expires=`).
    pub map: Table,
    /// Cursor of the active expiry cycle inside this shard's table.
    pub expire_cursor: u64,
}

/// A shard's lock, counting the threads blocked on it.
#[derive(Debug, Default)]
pub(crate) struct ShardLock {
    mutex: Mutex<Shard>,
    /// Threads waiting for `mutex` (see [`Keyspace::let_waiters_in`]).
    waiting: AtomicU32,
}

/// One logical database.
#[derive(Debug)]
pub struct Db {
    pub(crate) shards: Box<[ShardLock]>,
}

/// All databases.
#[derive(Debug)]
pub struct Keyspace {
    pub(crate) dbs: Vec<Db>,
    bits: u32,
}

impl Keyspace {
    /// A keyspace whose dbs each have `shards` shards (rounded up to a power of two).
    pub fn new(shards: usize) -> Keyspace {
        let n = shards.max(1).next_power_of_two();
        let dbs = (0..DB_COUNT)
            .map(|_| Db {
                shards: (0..n).map(|_| ShardLock::default()).collect(),
            })
            .collect();
        Keyspace {
            dbs,
            bits: n.trailing_zeros(),
        }
    }

    /// Shards per db.
    pub fn shard_count(&self) -> usize {
        1 << self.bits
    }

    /// The shard index of `key`.
    #[inline]
    pub fn shard_of(&self, key: &[u8]) -> usize {
        if self.bits == 0 {
            0
        } else {
            (hash_key(key) >> (64 - self.bits)) as usize
        }
    }

    /// Locks one shard. A poisoned lock (a panic while held) is taken over:
    /// handlers leave shards structurally valid at every await-free step.
    #[inline]
    pub fn lock(&self, db: usize, shard: usize) -> MutexGuard<'_, Shard> {
        let slot = &self.dbs[db].shards[shard];
        match slot.mutex.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                slot.waiting.fetch_add(1, Ordering::SeqCst);
                let g = slot.mutex.lock().unwrap_or_else(|p| p.into_inner());
                slot.waiting.fetch_sub(1, Ordering::SeqCst);
                g
            }
        }
    }

    /// For a thread that locks one shard over and over (the snapshot
    /// writer's chunks), called between two holds: waits (at most a
    /// millisecond) until the threads blocked on the shard got it. The
    /// mutex is not fair, so without this the looping thread takes it
    /// back before a woken waiter runs, and a command waits for all the
    /// holds instead of one.
    pub(crate) fn let_waiters_in(&self, db: usize, shard: usize) {
        let waiting = &self.dbs[db].shards[shard].waiting;
        let deadline = Instant::now() + Duration::from_millis(1);
        while waiting.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::yield_now();
        }
    }
}
