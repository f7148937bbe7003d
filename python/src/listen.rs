//! Serving a store to other processes: the RESP listener of kvstore-core
//! on one address per store (`kvstore_core::server::Served`, which parses
//! the address and keeps two stores of the process off one address), which
//! redis-cli, redis-py or any Redis client in another process uses as a
//! server.

use kvstore_core::Engine;
use kvstore_core::server::{Address, ServeError, Served};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A running listener, and the fork generation it was started in.
struct Serving {
    served: Option<Served>,
    /// `client::forks()` when it started.
    forks: u64,
}

impl Serving {
    fn served(&self) -> &Served {
        self.served.as_ref().expect("taken only by drop")
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let served = self.served.take();
        if self.forks != crate::client::forks() {
            // A forked child: the listener's threads are the parent's and
            // do not exist here; joining them would hang.
            std::mem::forget(served);
        }
    }
}

/// The listener slot of one store. Every method may block (binding,
/// joining threads): call them with the GIL released.
#[derive(Default)]
pub(crate) struct Slot(Mutex<Option<Serving>>);

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Option<Serving>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Serves `engine` at `address` unless it is served already; returns
    /// the address bound (with the port chosen for port 0).
    pub(crate) fn listen(&self, engine: &Engine, address: &str) -> Result<String, ServeError> {
        let wanted = Address::parse(address)?;
        let mut slot = self.lock();
        if let Some(s) = slot.as_ref().map(Serving::served) {
            return if *s.requested() == wanted || *s.bound() == wanted {
                Ok(s.bound().to_string())
            } else {
                Err(ServeError::Conflict(format!(
                    "this store is already served at {}: stop serving it before serving {wanted}",
                    s.bound()
                )))
            };
        }
        let served = Served::start(engine, wanted)?;
        let text = served.bound().to_string();
        *slot = Some(Serving {
            served: Some(served),
            forks: crate::client::forks(),
        });
        Ok(text)
    }

    /// Stops serving (closing every connection); nothing when not served.
    pub(crate) fn unlisten(&self) {
        let serving = self.lock().take();
        drop(serving);
    }

    /// The address served, if any.
    pub(crate) fn address(&self) -> Option<String> {
        self.lock().as_ref().map(|s| s.served().bound().to_string())
    }
}
