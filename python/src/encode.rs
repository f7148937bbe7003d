//! Python values to command arguments, with redis-py's rules
//! (`redis/_parsers/encoders.py`): bytes-likes pass through, `str` is encoded
//! with the client's encoding, `int`/`float` become their `repr()`, and
//! `bool`, `None` or anything else is a `DataError`.

use crate::errors;
use crate::number::Digits;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyMemoryView, PyString};

/// One argument's bytes: borrowed from the Python object where it can be,
/// formatted in place for an `int` or `float`, owned otherwise.
pub(crate) enum Encoded<'a> {
    Borrowed(&'a [u8]),
    Number(Digits),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Encoded<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Encoded::Borrowed(b) => b,
            Encoded::Number(d) => d.as_bytes(),
            Encoded::Owned(v) => v,
        }
    }
}

impl AsRef<[u8]> for Encoded<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

/// How `str` arguments become bytes (and bulk replies become `str`).
pub(crate) struct Encoding {
    /// `encoding="utf-8"` with `encoding_errors="strict"`: the fast path.
    pub utf8_strict: bool,
    /// The codec name given to the client.
    pub name: Py<PyString>,
    /// The codec error handler given to the client.
    pub errors: Py<PyString>,
}

impl Encoding {
    /// An encoding from redis-py's `encoding`/`encoding_errors` arguments.
    pub fn new(py: Python<'_>, name: &str, errors: &str) -> Encoding {
        let norm = name.to_ascii_lowercase().replace('_', "-");
        Encoding {
            utf8_strict: (norm == "utf-8" || norm == "utf8") && errors == "strict",
            name: PyString::new(py, name).unbind(),
            errors: PyString::new(py, errors).unbind(),
        }
    }
}

unsafe extern "C" {
    // Not in the limited API before 3.10, but exported by every CPython 3.x;
    // it returns the UTF-8 buffer the str object caches (no copy).
    fn PyUnicode_AsUTF8AndSize(o: *mut ffi::PyObject, size: *mut ffi::Py_ssize_t) -> *const u8;
}

/// The UTF-8 bytes of `s`, borrowed from the str object (strict: a lone
/// surrogate raises `UnicodeEncodeError`, as `str.encode()` does).
fn utf8<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a [u8]> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str; the buffer lives as long as the object,
    // which `'a` borrows.
    let p = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len) };
    if p.is_null() {
        return Err(PyErr::fetch(s.py()));
    }
    // SAFETY: CPython guarantees `len` valid bytes at `p`.
    Ok(unsafe { std::slice::from_raw_parts(p, len as usize) })
}

/// One argument as bytes, borrowed from `v` where it can be.
pub(crate) fn arg<'a>(v: &'a Bound<'_, PyAny>, enc: &Encoding) -> PyResult<Encoded<'a>> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Encoded::Borrowed(b.as_bytes()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        if enc.utf8_strict {
            return utf8(s).map(Encoded::Borrowed);
        }
        let py = v.py();
        let b = s.call_method1("encode", (enc.name.bind(py), enc.errors.bind(py)))?;
        return Ok(Encoded::Owned(b.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    // Exact types only: a subclass may override `__repr__`, which redis-py
    // would send.
    if let Ok(f) = v.cast_exact::<PyFloat>() {
        return Ok(Encoded::Number(Digits::float(f.value())));
    }
    if v.is_instance_of::<PyBool>() {
        return Err(invalid(v));
    }
    if v.is_exact_instance_of::<PyInt>() {
        if let Ok(n) = v.extract::<i64>() {
            return Ok(Encoded::Number(Digits::int(n)));
        }
    }
    if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
        let r = v.repr()?;
        return Ok(Encoded::Owned(utf8(&r)?.to_vec()));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(Encoded::Owned(b.to_vec()));
    }
    if v.is_instance_of::<PyMemoryView>() {
        let b = v.call_method0("tobytes")?;
        return Ok(Encoded::Owned(b.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    Err(invalid(v))
}

/// redis-py's `DataError` for a value of an unsupported type.
fn invalid(v: &Bound<'_, PyAny>) -> PyErr {
    let name = v
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into());
    errors::data_error(
        v.py(),
        &format!(
            "Invalid input of type: '{name}'. Convert to a bytes, string, int or float first."
        ),
    )
}

/// Every argument of `items`, in order.
pub(crate) fn args<'a>(
    items: &'a [Bound<'_, PyAny>],
    enc: &Encoding,
) -> PyResult<Vec<Encoded<'a>>> {
    items.iter().map(|v| arg(v, enc)).collect()
}
