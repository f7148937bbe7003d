//! Engine replies to Python objects, in the shapes redis-py's parser hands
//! its response callbacks: on RESP3 (redis-py 8's default) maps are dicts,
//! sets lists, doubles floats, booleans bools; on RESP2 maps flatten to
//! lists, doubles are bulk strings and booleans integers. Bulk strings are
//! decoded when `decode_responses` is on.
//! An error nested in an array (EXEC's results) becomes an exception
//! instance in place; a top-level error is raised.

use crate::encode::Encoding;
use crate::errors;
use kvstore_core::Reply;
use kvstore_core::num::fmt_g17;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyList, PyString};

/// How bulk strings come back: bytes, or str decoded with the client's encoding.
pub(crate) struct Decoder {
    /// `decode_responses=True`.
    pub decode: bool,
    /// The client's encoding.
    pub enc: Encoding,
    /// The session speaks RESP3.
    pub resp3: bool,
}

impl Decoder {
    /// The RESP version the engine session should speak.
    pub fn proto(&self) -> u8 {
        if self.resp3 { 3 } else { 2 }
    }

    /// A copy (the encoding's Python objects shared).
    pub fn clone_ref(&self, py: Python<'_>) -> Decoder {
        Decoder {
            decode: self.decode,
            enc: Encoding {
                utf8_strict: self.enc.utf8_strict,
                name: self.enc.name.clone_ref(py),
                errors: self.enc.errors.clone_ref(py),
            },
            resp3: self.resp3,
        }
    }

    /// `b` as bytes, or as str when decoding.
    pub fn string<'py>(&self, py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        if !self.decode {
            return Ok(PyBytes::new(py, b).into_any());
        }
        if self.enc.utf8_strict {
            if let Ok(s) = std::str::from_utf8(b) {
                return Ok(PyString::new(py, s).into_any());
            }
        }
        // The codec itself raises (or replaces) exactly as bytes.decode does.
        PyBytes::new(py, b)
            .call_method1("decode", (self.enc.name.bind(py), self.enc.errors.bind(py)))
    }

    /// `reply` as a Python object; a top-level error reply is raised.
    pub fn reply<'py>(&self, py: Python<'py>, reply: Reply) -> PyResult<Bound<'py, PyAny>> {
        match reply {
            Reply::Error(e) => Err(PyErr::from_value(errors::reply_error(py, &e)?)),
            r => self.value(py, r),
        }
    }

    /// `reply` as a Python object; error replies become exception instances.
    pub fn value<'py>(&self, py: Python<'py>, reply: Reply) -> PyResult<Bound<'py, PyAny>> {
        Ok(match reply {
            Reply::Status(s) => self.string(py, s.as_bytes())?,
            Reply::Error(e) => errors::reply_error(py, &e)?,
            Reply::Int(n) => n.into_bound_py_any(py)?,
            Reply::Bulk(b) | Reply::Verbatim(_, b) => self.string(py, &b)?,
            Reply::Nil | Reply::NilArray => py.None().into_bound(py),
            Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
                self.list(py, items)?.into_any()
            }
            Reply::Map(pairs) if self.resp3 => {
                let out = PyDict::new(py);
                for (k, v) in pairs {
                    out.set_item(self.value(py, k)?, self.value(py, v)?)?;
                }
                out.into_any()
            }
            Reply::Map(pairs) => {
                let out = PyList::empty(py);
                for (k, v) in pairs {
                    out.append(self.value(py, k)?)?;
                    out.append(self.value(py, v)?)?;
                }
                out.into_any()
            }
            Reply::Double(d) if self.resp3 => PyFloat::new(py, d).into_any(),
            Reply::Double(d) => self.string(py, fmt_g17(d).as_bytes())?,
            Reply::Bool(b) if self.resp3 => b.into_bound_py_any(py)?,
            Reply::Bool(b) => i64::from(b).into_bound_py_any(py)?,
        })
    }

    /// A list of replies.
    pub fn list<'py>(&self, py: Python<'py>, items: Vec<Reply>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for r in items {
            out.append(self.value(py, r)?)?;
        }
        Ok(out)
    }
}
