//! Serving a handle's engine to other processes: `kvstore_listen` starts
//! kvstore-core's RESP listener at an address (`kvstore_core::server::
//! Served`, the same one Python's `Store.listen` uses), `kvstore_unlisten`
//! stops it, and `kvstore_close` stops those still running.
//!
//! A listener is named by an id rather than a pointer: closing the handle
//! stops its listeners, and a stale id is then harmless where a stale
//! pointer would not be.

use crate::args;
use crate::error::{Fail, kvstore_result};
use crate::handle::kvstore;
use kvstore_core::Engine;
use kvstore_core::server::{Address, ServeError, Served};
use std::ffi::c_char;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The listeners of one handle, by id.
#[derive(Debug)]
pub struct Listeners {
    running: Mutex<Vec<(u64, Served)>>,
    /// The next id to hand out (ids start at 1 and are never reused).
    next: AtomicU64,
}

impl Default for Listeners {
    fn default() -> Self {
        Listeners {
            running: Mutex::new(Vec::new()),
            next: AtomicU64::new(1),
        }
    }
}

impl Listeners {
    fn lock(&self) -> MutexGuard<'_, Vec<(u64, Served)>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Serves `engine` at `address`: the new listener's id and the address
    /// it bound.
    fn start(&self, engine: &Engine, address: &str) -> Result<(u64, String), Fail> {
        let wanted = Address::parse(address).map_err(failure)?;
        let mut running = self.lock();
        if let Some((id, _)) = running.iter().find(|(_, s)| *s.bound() == wanted) {
            return Err(Fail::new(
                kvstore_result::KVSTORE_ERR_IO,
                format!("this store already serves {wanted} (listener {id})"),
            ));
        }
        let served = Served::start(engine, wanted).map_err(failure)?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let bound = served.bound().to_string();
        running.push((id, served));
        Ok((id, bound))
    }

    /// Stops the listener `id`; false when there is none.
    fn stop(&self, id: u64) -> bool {
        let mut running = self.lock();
        let Some(i) = running.iter().position(|(n, _)| *n == id) else {
            return false;
        };
        let served = running.swap_remove(i);
        // Stopped outside the lock: joining its threads takes a while.
        drop(running);
        drop(served);
        true
    }

    /// Stops every listener (the handle is closing).
    pub(crate) fn stop_all(&self) {
        let running = std::mem::take(&mut *self.lock());
        drop(running);
    }
}

/// The result code and message for an address that cannot be served.
fn failure(e: ServeError) -> Fail {
    let code = match e {
        ServeError::Malformed(_) => kvstore_result::KVSTORE_ERR_INVALID,
        _ => kvstore_result::KVSTORE_ERR_IO,
    };
    Fail::new(code, e.to_string())
}

/// Serves the store `db` over RESP (RESP2 and RESP3, as redis-server
/// does) at `address`, so that redis-cli, redis-py or any Redis client in
/// another process reads and writes the same data as this one, and writes
/// the new listener's id to `*id`.
///
/// `address`: `"host:port"`, where host is an IP address (`127.0.0.1`,
/// `[::1]`) or `localhost` and port 0 picks a free port; or
/// `"unix:/path/to/socket"` (a stale socket file there is replaced; any
/// other kind of file is left alone and refused). No password is set and
/// Redis's protected mode serves loopback peers only, so bind a
/// non-loopback address only after `CONFIG SET requirepass`.
/// `id`: required; the listener's id (never 0), for `kvstore_unlisten`.
/// `bound`: optional (NULL: not returned); the address actually bound in
/// the same form (with the port chosen for port 0, the socket path made
/// absolute), as a NUL-terminated string to free with `kvstore_free`.
/// A handle may serve several addresses at once.
///
/// Returns `KVSTORE_OK`; `KVSTORE_ERR_INVALID` for a malformed address;
/// `KVSTORE_ERR_IO` when the address cannot be served (in use by another
/// process, or by a listener of this process, this handle's included;
/// permission denied; a path that is not a socket), with the address and
/// the reason in `kvstore_errmsg()`; `KVSTORE_ERR_NULL` (NULL `db`,
/// `address` or `id`); `KVSTORE_ERR_NOMEM`; `KVSTORE_ERR_PANIC`. Outputs
/// are written only on success, and nothing is served after a failure.
/// Thread safety: any thread, concurrently with other calls on `db`; the
/// listener runs on threads of its own until `kvstore_unlisten` or
/// `kvstore_close`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_listen(
    db: *mut kvstore,
    address: *const c_char,
    id: *mut u64,
    bound: *mut *mut c_char,
) -> kvstore_result {
    crate::panic::call("kvstore_listen", || {
        // SAFETY: NULL or a live handle, per the contract.
        let db = unsafe { args::req(db, "db") }?;
        // SAFETY: NULL or a NUL-terminated string, per the contract.
        let text = unsafe { args::c_str(address, "address") }?;
        let id = args::out(id, "id")?;
        let text = std::str::from_utf8(text).map_err(|_| {
            let lossy = String::from_utf8_lossy(text);
            Fail::invalid(format!("address {lossy:?} is not UTF-8"))
        })?;
        let (n, addr) = db.listeners().start(db.engine(), text)?;
        if !bound.is_null() {
            match args::malloc_copy(addr.as_bytes()) {
                // SAFETY: a non-NULL `bound` is writable per the contract.
                Ok(p) => unsafe { bound.write(p.cast()) },
                Err(f) => {
                    db.listeners().stop(n);
                    return Err(f);
                }
            }
        }
        // SAFETY: `id` is non-NULL and writable per the contract.
        unsafe { id.write(n) };
        Ok(kvstore_result::KVSTORE_OK)
    })
}

/// Stops the listener `id` of `db` (from `kvstore_listen`): closes its
/// connections (replies already computed are sent first, best effort),
/// stops its threads and frees the address (a unix socket file is
/// removed) before it returns.
///
/// Returns `KVSTORE_OK`; `KVSTORE_NOTFOUND` when `db` has no listener `id`
/// (never started, or already stopped); `KVSTORE_ERR_NULL` for a NULL
/// `db`; `KVSTORE_ERR_PANIC`. Thread safety: any thread, concurrently with
/// other calls on `db`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_unlisten(db: *mut kvstore, id: u64) -> kvstore_result {
    crate::panic::call("kvstore_unlisten", || {
        // SAFETY: NULL or a live handle, per the contract.
        let db = unsafe { args::req(db, "db") }?;
        Ok(if db.listeners().stop(id) {
            kvstore_result::KVSTORE_OK
        } else {
            kvstore_result::KVSTORE_NOTFOUND
        })
    })
}
