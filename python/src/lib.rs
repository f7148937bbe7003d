//! `kvstore._kvstore`: the native half of the `kvstore` Python package.
//! The engine runs in-process; `kvstore.Redis` (Python) subclasses
//! [`client::Client`] and adds redis-py's less common methods.

mod client;
mod encode;
mod errors;
mod listen;
mod number;
mod pubsub;
mod reply;
mod store;

use pyo3::prelude::*;

/// The compiled module.
#[pymodule]
fn _kvstore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    client::watch_forks();
    m.add_class::<store::Store>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<pubsub::PubSubConnection>()?;
    m.add("REDIS_VERSION", kvstore_core::REDIS_VERSION)?;
    #[cfg(feature = "test-hooks")]
    m.add_function(wrap_pyfunction!(client::_panic_in_session, m)?)?;
    Ok(())
}
