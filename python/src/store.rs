//! `Store`: one in-process engine, which every client of it shares, and
//! the RESP listener that serves it to other processes (see `listen`).

use crate::errors;
use crate::listen::Slot;
use kvstore_core::server::ServeError;
use kvstore_core::{Engine, Options};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;

/// One in-process data store: every client of it sees the same data.
#[pyclass(frozen, module = "kvstore._kvstore")]
pub struct Store {
    pub(crate) engine: Engine,
    /// The listener serving the store, if any.
    listener: Slot,
}

#[pymethods]
impl Store {
    /// A new, empty in-memory store, or the store of the data directory
    /// `path` (its `appendonly.aof` replayed if it has one, else its
    /// `dump.rdb` loaded; a directory another store holds, or a corrupt
    /// file, raises `ConnectionError` saying so; a truncated append-only
    /// file that was repaired gives a `RuntimeWarning`).
    #[new]
    #[pyo3(signature = (path=None))]
    fn new(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Store> {
        let engine = match path {
            None => Engine::new(),
            Some(path) => py
                .detach(|| Engine::open(&path, Options::default()))
                .map_err(|e| errors::connection(py, &e.to_string()))?,
        };
        // A truncated append-only file was repaired while loading: say so.
        for w in engine.shared().persist.load_warnings() {
            let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
            pyo3::PyErr::warn(py, &category, &std::ffi::CString::new(w)?, 1)?;
        }
        Ok(Store {
            engine,
            listener: Slot::default(),
        })
    }

    /// Saves (when the `save` rules ask and anything changed) and releases
    /// the data directory; the data stays usable in memory.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.engine.close());
    }

    /// Serves the store over RESP at `address` (`"host:port"`, port 0 for a
    /// free one, or `"unix:/path"`); returns the address bound. Serving
    /// already at that address returns it again. Serving elsewhere, an
    /// address another store of this process serves, or a path that is not
    /// a socket raises `RuntimeError`; an address that cannot be bound,
    /// `OSError`; a malformed one, `ValueError`.
    fn listen(&self, py: Python<'_>, address: &str) -> PyResult<String> {
        py.detach(|| self.listener.listen(&self.engine, address))
            .map_err(|e| match e {
                ServeError::Malformed(msg) => PyValueError::new_err(msg),
                ServeError::Conflict(msg) => PyRuntimeError::new_err(msg),
                ServeError::Io(e) => PyOSError::new_err((ServeError::errno(&e), e.to_string())),
            })
    }

    /// Stops serving (closing every connection); does nothing when the
    /// store is not served.
    fn unlisten(&self, py: Python<'_>) {
        py.detach(|| self.listener.unlisten());
    }

    /// The address the store is served at, or `None`.
    #[getter]
    fn address(&self) -> Option<String> {
        self.listener.address()
    }
}
