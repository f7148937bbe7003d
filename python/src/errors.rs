//! Error replies to `kvstore.exceptions` classes, by their first word, as
//! redis-py's parser maps them (`redis/_parsers/base.py`): the code word is
//! cut from the message (`ERR wrong number...` → `ResponseError("wrong
//! number...")`) when it is one redis-py knows, and kept otherwise
//! (`WRONGTYPE ...`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The class `name` of `kvstore.exceptions`.
pub(crate) fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let m = MODULE.get_or_try_init(py, || {
        PyModule::import(py, "kvstore.exceptions").map(Bound::unbind)
    })?;
    m.bind(py).getattr(name)
}

/// The code words redis-py maps to their own classes; their text is cut
/// from the message.
fn code_class(code: &str) -> Option<&'static str> {
    Some(match code {
        "ERR" => "ResponseError",
        "OOM" => "OutOfMemoryError",
        "WRONGPASS" | "NOAUTH" => "AuthenticationError",
        "EXECABORT" => "ExecAbortError",
        "LOADING" => "BusyLoadingError",
        "NOSCRIPT" => "NoScriptError",
        "READONLY" => "ReadOnlyError",
        "NOPERM" => "NoPermissionError",
        "ASK" => "AskError",
        "TRYAGAIN" => "TryAgainError",
        "MOVED" => "MovedError",
        "CLUSTERDOWN" => "ClusterDownError",
        "CROSSSLOT" => "ClusterCrossSlotError",
        "MASTERDOWN" => "MasterDownError",
        _ => return None,
    })
}

/// `ERR` messages redis-py gives a class of their own.
fn err_class(msg: &str) -> &'static str {
    match msg {
        "max number of clients reached" => "ConnectionError",
        "invalid password" => "AuthenticationError",
        "wrong number of arguments for 'auth' command"
        | "wrong number of arguments for 'AUTH' command" => "AuthenticationWrongNumberOfArgsError",
        "Error loading the extension. Please check the server logs."
        | "Error unloading module: the module exports one or more module-side data types, can't unload"
        | "Error unloading module: no such module with that name"
        | "Error unloading module: operation not possible." => "ModuleError",
        "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
        | "Client sent AUTH, but no password is set" => "AuthenticationError",
        "problem with LDAP service" => "ExternalAuthProviderError",
        "no such fieldset" => "NoSuchFieldsetError",
        _ => "ResponseError",
    }
}

/// The exception instance for an error reply's full text.
pub(crate) fn reply_error<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let code = text.split(' ').next().unwrap_or("");
    let (name, msg, status) = match code_class(code) {
        Some(cls) => {
            let msg = text.get(code.len() + 1..).unwrap_or("");
            let cls = if code == "ERR" { err_class(msg) } else { cls };
            (cls, msg, Some(code))
        }
        None => ("ResponseError", text, None),
    };
    let kw = PyDict::new(py);
    if let Some(s) = status {
        kw.set_item("status_code", s)?;
    }
    class(py, name)?.call((msg,), Some(&kw))
}

/// An instance of `kvstore.exceptions.<name>` with `msg`, as a `PyErr`.
fn new_error(py: Python<'_>, name: &str, msg: &str) -> PyErr {
    match class(py, name).and_then(|c| c.call1((msg,))) {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

/// A `DataError` with `msg`.
pub(crate) fn data_error(py: Python<'_>, msg: &str) -> PyErr {
    new_error(py, "DataError", msg)
}

/// A Rust panic or engine failure as a `RedisError` (never `PanicException`).
pub(crate) fn internal(py: Python<'_>, msg: &str) -> PyErr {
    new_error(py, "RedisError", msg)
}

/// A `ConnectionError` with `msg` (the store could not be opened).
pub(crate) fn connection(py: Python<'_>, msg: &str) -> PyErr {
    new_error(py, "ConnectionError", msg)
}

/// The error of a client used in a child process after `os.fork()`.
pub(crate) fn forked(py: Python<'_>) -> PyErr {
    let msg = "this kvstore client was created before os.fork(): its in-memory store belongs to \
               the parent process, and the child's changes would never reach it. In the child, \
               create a new kvstore.Redis(...) (a store of the child's own), or share data \
               between processes through kvstore's RESP listener";
    connection(py, msg)
}
