//! The active expiry cycle: like Redis's `activeExpireCycle`, it samples keys
//! with a deadline and deletes the expired ones, repeating on a shard while
//! more than a quarter of the sample had expired, so memory is freed even
//! for keys nobody reads. Lazy expiry (on access, in `Ctx`) keeps replies
//! exact; this cycle only reclaims memory.

use crate::engine::Shared;
use crate::keyspace::DB_COUNT;
use crate::pubsub::notify;
use crate::watch::KeyState;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Keys with a deadline looked at per sample (Redis's default effort).
const SAMPLE: usize = 20;
/// Buckets visited per sample at most, so sparse shards stay cheap.
const MAX_BUCKETS: usize = 400;
/// Time budget of one cycle.
const BUDGET: Duration = Duration::from_millis(25);

/// Runs one cycle over every shard of every db; returns the keys removed.
pub fn active_cycle(shared: &Shared) -> usize {
    // Nothing expires while the append-only file is replayed.
    if shared.aof.loading() {
        return 0;
    }
    let started = Instant::now();
    let now = shared.clock.now_ms();
    let mut removed = 0;
    for db in 0..DB_COUNT {
        for s in 0..shared.keyspace.shard_count() {
            loop {
                let mut shard = shared.keyspace.lock(db, s);
                if shard.map.volatile() == 0 {
                    break;
                }
                let (mut sampled, mut buckets) = (0, 0);
                let mut expired: Vec<Box<[u8]>> = Vec::new();
                let mut cursor = shard.expire_cursor;
                while sampled < SAMPLE && buckets < MAX_BUCKETS {
                    cursor = shard.map.scan(cursor, |k, e| {
                        if e.expire() != 0 {
                            sampled += 1;
                            if e.expire() < now {
                                expired.push(k.into());
                            }
                        }
                    });
                    buckets += 1;
                    if cursor == 0 {
                        break;
                    }
                }
                shard.expire_cursor = cursor;
                for k in &expired {
                    shard.map.delete(k);
                }
                // Propagated as DELs while the shard is held, so the file
                // orders them with the shard's other changes.
                shared.aof.append_dels(&shared.config, db, &expired);
                // Redis signals an expired key's removal as a change.
                if shared.watches.active() {
                    for k in &expired {
                        shared.watches.touch(db, k, || KeyState::Absent);
                    }
                }
                // The events go out once the shard is released: no need
                // to hold it while publishing.
                drop(shard);
                if shared.config.notify_flags() & notify::EXPIRED != 0 {
                    for k in &expired {
                        notify::notify(shared, notify::EXPIRED, "expired", k, db);
                    }
                }
                removed += expired.len();
                shared
                    .stats
                    .expired_keys
                    .fetch_add(expired.len() as u64, Ordering::Relaxed);
                if sampled == 0 || expired.len() * 4 <= sampled || started.elapsed() > BUDGET {
                    break;
                }
            }
        }
    }
    removed
}
