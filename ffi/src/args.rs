//! Checked conversions of C arguments, and output buffers.
//!
//! Conventions (the header repeats them): a required pointer that is NULL
//! is `KVSTORE_ERR_NULL`, never a dereference; a `(ptr, len)` byte string
//! with `ptr == NULL` and `len == 0` is the empty string; a length above
//! `PTRDIFF_MAX` is `KVSTORE_ERR_INVALID`. Byte strings are only read during
//! the call (the library copies what it keeps). Argument names are taken as
//! `impl Display` so that a computed one (`argv[3]`) is only formatted when
//! the check fails, never on the hot path.

use crate::error::{Fail, kvstore_result};
use std::ffi::{c_char, c_void};
use std::fmt::Display;

/// A reference to the object behind a required pointer argument.
///
/// # Safety
/// `p` is NULL or points to a live `T` for the returned lifetime.
pub unsafe fn req<'a, T>(p: *const T, what: impl Display) -> Result<&'a T, Fail> {
    // SAFETY: non-NULL by the check; validity is the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| Fail::null(what))
}

/// Checks that the output pointer `p` is not NULL (it is written only
/// once the call has succeeded).
pub fn out<T>(p: *mut T, what: impl Display) -> Result<*mut T, Fail> {
    if p.is_null() {
        Err(Fail::null(what))
    } else {
        Ok(p)
    }
}

/// The byte string `(ptr, len)`; `(NULL, 0)` is the empty string.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes for the returned lifetime.
pub unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: impl Display) -> Result<&'a [u8], Fail> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Fail::null(what))
        };
    }
    if len > isize::MAX as usize {
        return Err(Fail::invalid(format!("{what} length {len} is too large")));
    }
    // SAFETY: non-NULL, length within isize::MAX, readable per the contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The bytes of the NUL-terminated string `s` (without the NUL).
///
/// # Safety
/// `s` is NULL or a NUL-terminated string live for the returned lifetime.
pub unsafe fn c_str<'a>(s: *const c_char, what: impl Display) -> Result<&'a [u8], Fail> {
    if s.is_null() {
        return Err(Fail::null(what));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    Ok(unsafe { std::ffi::CStr::from_ptr(s) }.to_bytes())
}

/// A copy of `v` in a `malloc` buffer with a NUL after the last byte (so
/// text values can be printed as C strings); freed by `kvstore_free`.
pub fn malloc_copy(v: &[u8]) -> Result<*mut u8, Fail> {
    // SAFETY: malloc of a positive size; the result is checked for NULL.
    let p = unsafe { libc::malloc(v.len() + 1) }.cast::<u8>();
    if p.is_null() {
        return Err(Fail::new(
            kvstore_result::KVSTORE_ERR_NOMEM,
            format!("cannot allocate {} bytes", v.len() + 1),
        ));
    }
    // SAFETY: `p` has room for len + 1 bytes and does not overlap `v`.
    unsafe {
        std::ptr::copy_nonoverlapping(v.as_ptr(), p, v.len());
        *p.add(v.len()) = 0;
    }
    Ok(p)
}

/// Frees a buffer that libkvstore returned (a value from `kvstore_get`,
/// `kvstore_hget`, `kvstore_rpop`). Never pass it memory from anywhere else,
/// and never free such a buffer with anything but this function.
///
/// NULL: a no-op. Thread safety: any thread may free a buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_free(p: *mut c_void) {
    crate::panic::boundary("kvstore_free", || {
        // SAFETY: `p` is NULL or a malloc buffer from `malloc_copy`, per
        // the documented contract; free(NULL) is a no-op.
        unsafe { libc::free(p) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_with_zero_length_is_empty() {
        // SAFETY: NULL with length 0 is never read.
        assert_eq!(unsafe { bytes(std::ptr::null(), 0, "k") }.unwrap(), b"");
        // SAFETY: as above; the non-zero length is rejected before reading.
        let e = unsafe { bytes(std::ptr::null(), 3, "k") }.unwrap_err();
        assert_eq!(e.code, kvstore_result::KVSTORE_ERR_NULL);
        let x = [1u8];
        // SAFETY: the length is rejected before the pointer is read.
        let e = unsafe { bytes(x.as_ptr(), usize::MAX, "k") }.unwrap_err();
        assert_eq!(e.code, kvstore_result::KVSTORE_ERR_INVALID);
    }

    #[test]
    fn malloc_copy_is_nul_terminated() {
        let p = malloc_copy(b"ab").unwrap();
        // SAFETY: `p` holds 3 bytes.
        assert_eq!(unsafe { std::slice::from_raw_parts(p, 3) }, b"ab\0");
        // SAFETY: `p` came from malloc_copy.
        unsafe { kvstore_free(p.cast()) };
    }
}
