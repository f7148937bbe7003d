//! Result codes and error messages.
//!
//! A `kvstore_result` reports API failures (NULL argument, bad option, a
//! data directory that cannot be opened, panic) and, for typed calls only,
//! a Redis error reply (`KVSTORE_ERR_WRONGTYPE`, `KVSTORE_ERR_COMMAND`) or
//! a command queued inside MULTI (`KVSTORE_QUEUED`). The generic calls
//! return `KVSTORE_OK` with a `KVSTORE_REPLY_ERROR` node for Redis errors,
//! as hiredis does. The message of the last failure is kept per thread (like
//! `errno`), because one handle is shared by many threads.

use std::cell::RefCell;
use std::ffi::{CString, c_char, c_int};

/// What a libkvstore call returns. `KVSTORE_OK`, `KVSTORE_NOTFOUND`,
/// `KVSTORE_QUEUED`, `KVSTORE_TIMEOUT` and `KVSTORE_INTERRUPTED` are
/// successes (they leave `kvstore_errmsg()` as it was); every other value
/// is a failure whose message `kvstore_errmsg()` returns on the same
/// thread.
///
/// The numbers are stable: a code keeps its number forever and new codes
/// are only ever appended (6 and 7 were reserved for the data-directory
/// errors from the first release; 11 and 12 came with persistence and
/// transactions, 13 to 15 with pub/sub).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kvstore_result {
    /// Success.
    KVSTORE_OK = 0,
    /// Success, but the key (or field, or element) does not exist; output
    /// parameters are left untouched.
    KVSTORE_NOTFOUND = 1,
    /// A required pointer argument was NULL.
    KVSTORE_ERR_NULL = 2,
    /// An argument is malformed or out of range (an options struct of an
    /// unknown size, a protocol other than 2 or 3, a bad format string, a
    /// malformed listening address).
    KVSTORE_ERR_INVALID = 3,
    /// The call asks for something this build does not support. This
    /// version never returns it (earlier ones did for a data-directory
    /// path); the number stays reserved.
    KVSTORE_ERR_UNSUPPORTED = 4,
    /// The C allocator (`malloc`) failed to provide an output buffer.
    KVSTORE_ERR_NOMEM = 5,
    /// `kvstore_open`: a file or directory of the data directory could not
    /// be created, read or locked (missing permission, a path component
    /// that is a regular file, ...). The message names the path and the
    /// operating system's error, for example `kvstore_open: /data/x:
    /// Permission denied (os error 13)`. `kvstore_listen`: the address
    /// cannot be served (in use, by this process or another; permission
    /// denied; a unix socket path that exists and is not a socket); the
    /// message names the address and the reason.
    KVSTORE_ERR_IO = 6,
    /// `kvstore_open`: the directory's `dump.rdb` is not valid RDB data
    /// (truncated, damaged, wrong checksum); nothing was loaded and the
    /// file is left as it is. The message names the file, the byte offset
    /// of the bad item and what is wrong with it, for example
    /// `kvstore_open: /data/dump.rdb: bad RDB data at offset 9: ...`.
    KVSTORE_ERR_CORRUPT = 7,
    /// A typed call hit a key holding another type; the message is Redis's
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`.
    KVSTORE_ERR_WRONGTYPE = 8,
    /// A typed call's command replied with a Redis error other than
    /// WRONGTYPE; the message is Redis's text (for example
    /// `ERR value is not an integer or out of range`).
    KVSTORE_ERR_COMMAND = 9,
    /// The library panicked (a bug); the call had no effect beyond what the
    /// command may already have done, and the handle stays usable.
    KVSTORE_ERR_PANIC = 10,
    /// `kvstore_open`: another handle holds the data directory, in this
    /// process or another (one directory has one owner at a time, as one
    /// redis-server owns its `dir`). The message names the holder's pid and
    /// the lock file, for example `kvstore_open: data directory /data is in
    /// use by process 4242 (lock file /data/kvstore.lock)`. The directory is
    /// free again once the holder calls `kvstore_close` or exits.
    KVSTORE_ERR_LOCKED = 11,
    /// Success, for typed calls only: the calling thread's transaction on
    /// this handle is open (it sent MULTI through a generic call), so the
    /// command was queued, as the generic call would have queued it, instead
    /// of run. Output parameters are left untouched; the command's result
    /// is an element of the reply to EXEC.
    KVSTORE_QUEUED = 12,
    /// Success, for `kvstore_subscriber_next` only: nothing arrived within
    /// the timeout; `*out` is left untouched.
    KVSTORE_TIMEOUT = 13,
    /// Success, for `kvstore_subscriber_next` only: the wait was ended by
    /// `kvstore_subscriber_interrupt` or `kvstore_subscriber_free` before
    /// anything arrived; `*out` is left untouched.
    KVSTORE_INTERRUPTED = 14,
    /// `kvstore_subscriber_next`: the subscriber fell behind the
    /// `client-output-buffer-limit pubsub` hard limit (its unread messages
    /// passed it), so, as Redis disconnects such a client, it receives
    /// nothing more once what was queued is read. Free it and create a new
    /// one (raise the limit with `CONFIG SET` if the consumer is slow by
    /// design).
    KVSTORE_ERR_OVERFLOW = 15,
}

use kvstore_result::*;

/// A failed call: its code and the message for `kvstore_errmsg`.
#[derive(Debug)]
pub struct Fail {
    /// The code the call returns.
    pub code: kvstore_result,
    /// What went wrong, without the function name (the boundary adds it).
    pub msg: String,
}

impl Fail {
    /// A failure with `code` and `msg`.
    pub fn new(code: kvstore_result, msg: impl Into<String>) -> Fail {
        Fail {
            code,
            msg: msg.into(),
        }
    }

    /// `what` was NULL.
    pub fn null(what: impl std::fmt::Display) -> Fail {
        Fail::new(KVSTORE_ERR_NULL, format!("{what} is NULL"))
    }

    /// `what` is malformed or out of range.
    pub fn invalid(msg: impl Into<String>) -> Fail {
        Fail::new(KVSTORE_ERR_INVALID, msg)
    }
}

thread_local! {
    /// The message of this thread's last failed call.
    static LAST: RefCell<CString> = RefCell::new(CString::from(c"not an error"));
}

/// Records `msg` as this thread's last error message.
pub fn set_message(msg: &str) {
    // A message never holds a NUL in its text (Redis texts stop at one),
    // but a key echoed inside it might: cut there rather than fail.
    let text = msg.split('\0').next().unwrap_or_default();
    let c = CString::new(text).unwrap_or_default();
    // Ignored only during thread teardown, when nobody can read it anyway.
    let _ = LAST.try_with(|l| *l.borrow_mut() = c);
}

/// The message of the most recent failed call on the calling thread
/// (`"not an error"` before any failure). It names the function and what
/// went wrong, for example `kvstore_get: key is NULL` or, for a typed call
/// that got a Redis error, `kvstore_incrby: ERR value is not an integer or
/// out of range`.
///
/// Ownership: the string belongs to the library; it stays valid until the
/// next failed libkvstore call on the same thread. Successful calls leave
/// it unchanged. Copy it if you need it longer.
/// Thread safety: each thread has its own message.
/// Returns NULL only if the call itself panicked.
#[unsafe(no_mangle)]
pub extern "C" fn kvstore_errmsg() -> *const c_char {
    crate::panic::boundary("kvstore_errmsg", || {
        LAST.try_with(|l| l.borrow().as_ptr())
            .unwrap_or(std::ptr::null())
    })
}

/// A static English description of the result code `rc` (for example
/// `"a required argument is NULL"` for `KVSTORE_ERR_NULL`), or
/// `"unknown result code"` for a number that is not a `kvstore_result`.
///
/// Ownership: a static string; never freed. Thread safety: any thread.
/// Returns NULL only if the call itself panicked.
#[unsafe(no_mangle)]
pub extern "C" fn kvstore_errstr(rc: c_int) -> *const c_char {
    crate::panic::boundary("kvstore_errstr", || {
        let s: &std::ffi::CStr = match rc {
            0 => c"success",
            1 => c"not found",
            2 => c"a required argument is NULL",
            3 => c"invalid argument",
            4 => c"not supported by this build",
            5 => c"out of memory",
            6 => c"I/O error on the data directory",
            7 => c"the data file is corrupt",
            8 => c"operation against a key holding the wrong kind of value",
            9 => c"the command replied with an error",
            10 => c"internal error (panic)",
            11 => c"the data directory is in use by another handle",
            12 => c"queued (inside MULTI)",
            13 => c"timed out",
            14 => c"interrupted",
            15 => c"the subscriber fell behind its output buffer limit",
            _ => c"unknown result code",
        };
        s.as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn errstr_covers_every_code() {
        for rc in [
            KVSTORE_OK,
            KVSTORE_NOTFOUND,
            KVSTORE_ERR_NULL,
            KVSTORE_ERR_INVALID,
            KVSTORE_ERR_UNSUPPORTED,
            KVSTORE_ERR_NOMEM,
            KVSTORE_ERR_IO,
            KVSTORE_ERR_CORRUPT,
            KVSTORE_ERR_WRONGTYPE,
            KVSTORE_ERR_COMMAND,
            KVSTORE_ERR_PANIC,
            KVSTORE_ERR_LOCKED,
            KVSTORE_QUEUED,
            KVSTORE_TIMEOUT,
            KVSTORE_INTERRUPTED,
            KVSTORE_ERR_OVERFLOW,
        ] {
            // SAFETY: kvstore_errstr returns a static C string.
            let s = unsafe { CStr::from_ptr(kvstore_errstr(rc as c_int)) };
            assert_ne!(s.to_bytes(), b"unknown result code", "{rc:?}");
        }
        // SAFETY: as above.
        let s = unsafe { CStr::from_ptr(kvstore_errstr(77)) };
        assert_eq!(s.to_bytes(), b"unknown result code");
    }

    #[test]
    fn message_is_cut_at_a_nul() {
        set_message("a\0b");
        // SAFETY: kvstore_errmsg returns this thread's live message.
        let s = unsafe { CStr::from_ptr(kvstore_errmsg()) };
        assert_eq!(s.to_bytes(), b"a");
    }
}
