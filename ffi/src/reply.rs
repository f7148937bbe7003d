//! `kvstore_reply`: a command's reply as a tree with hiredis's reply types,
//! read through accessors and freed (root only) by `kvstore_reply_free`.
//!
//! The node is opaque so its layout can change without breaking callers;
//! the type numbers are hiredis's (`REDIS_REPLY_STRING` 1 ... `VERB` 14), so
//! code ported from hiredis switches on the same values.

use kvstore_core::Reply;
use std::ffi::{c_char, c_int};

/// A binary-safe string (`$` bulk reply); also NUL-terminated.
pub const KVSTORE_REPLY_STRING: c_int = 1;
/// An array; its elements are `kvstore_reply_element(r, 0 .. len-1)`.
pub const KVSTORE_REPLY_ARRAY: c_int = 2;
/// A 64-bit integer (`kvstore_reply_integer`).
pub const KVSTORE_REPLY_INTEGER: c_int = 3;
/// The null value (a missing key, `*-1`, RESP3 `_`).
pub const KVSTORE_REPLY_NIL: c_int = 4;
/// A status string such as `OK` or `PONG` (`+` reply).
pub const KVSTORE_REPLY_STATUS: c_int = 5;
/// A Redis error; the string is the full text, code word first
/// (`WRONGTYPE Operation against a key holding the wrong kind of value`).
pub const KVSTORE_REPLY_ERROR: c_int = 6;
/// RESP3 only: a double (`kvstore_reply_double`; the string holds its text).
pub const KVSTORE_REPLY_DOUBLE: c_int = 7;
/// RESP3 only: a boolean (`kvstore_reply_integer` is 1 or 0).
pub const KVSTORE_REPLY_BOOL: c_int = 8;
/// RESP3 only: a map; its elements alternate key, value (`len` is twice the
/// number of pairs), as in hiredis.
pub const KVSTORE_REPLY_MAP: c_int = 9;
/// RESP3 only: a set; elements as in an array.
pub const KVSTORE_REPLY_SET: c_int = 10;
/// RESP3 only: an out-of-band push message; elements as in an array.
pub const KVSTORE_REPLY_PUSH: c_int = 12;
/// RESP3 only: a verbatim string; `kvstore_reply_vtype` gives its format
/// (`"txt"` or `"mkd"`).
pub const KVSTORE_REPLY_VERB: c_int = 14;

/// One node of a reply tree (opaque). Read it with the `kvstore_reply_*`
/// accessors; free the root with `kvstore_reply_free`.
///
/// Thread safety: a reply is independent of its handle; it may be read from
/// several threads at once, and freed by any one thread when no other reads
/// it.
#[derive(Debug, PartialEq)]
pub struct kvstore_reply {
    ty: c_int,
    /// INTEGER's value, BOOL's 1/0.
    integer: i64,
    /// DOUBLE's value.
    double: f64,
    /// The string of STRING, STATUS, ERROR, DOUBLE, VERB, with a NUL
    /// appended (its length is one more than the string's); empty for other
    /// types.
    text: Vec<u8>,
    /// VERB's format, NUL-terminated.
    vtype: [u8; 4],
    /// Elements of ARRAY, SET, PUSH; keys and values alternating for MAP.
    elements: Vec<kvstore_reply>,
}

impl kvstore_reply {
    fn leaf(ty: c_int) -> kvstore_reply {
        kvstore_reply {
            ty,
            integer: 0,
            double: 0.0,
            text: Vec::new(),
            vtype: [0; 4],
            elements: Vec::new(),
        }
    }

    fn text(ty: c_int, mut text: Vec<u8>) -> kvstore_reply {
        text.push(0);
        kvstore_reply {
            text,
            ..kvstore_reply::leaf(ty)
        }
    }

    fn int(ty: c_int, n: i64) -> kvstore_reply {
        kvstore_reply {
            integer: n,
            ..kvstore_reply::leaf(ty)
        }
    }

    fn seq(ty: c_int, elements: Vec<kvstore_reply>) -> kvstore_reply {
        kvstore_reply {
            elements,
            ..kvstore_reply::leaf(ty)
        }
    }

    /// The node for `reply`, with RESP3 types kept (`resp3`) or downgraded
    /// as Redis does for RESP2 clients (kvstore-core's encoder).
    pub fn from_reply(reply: Reply, resp3: bool) -> kvstore_reply {
        #[cfg(debug_assertions)]
        crate::hooks::point(crate::hooks::Stage::Reply);
        let many = |items: Vec<Reply>| items.into_iter().map(|r| Self::from_reply(r, resp3));
        let g17 = |d: f64| kvstore_core::num::fmt_g17(d).into_bytes();
        match reply {
            Reply::Status(s) => Self::text(KVSTORE_REPLY_STATUS, s.into_owned().into_bytes()),
            Reply::Error(s) => Self::text(KVSTORE_REPLY_ERROR, s.into_bytes()),
            Reply::Int(n) => Self::int(KVSTORE_REPLY_INTEGER, n),
            Reply::Bulk(b) => Self::text(KVSTORE_REPLY_STRING, b),
            Reply::Nil | Reply::NilArray => Self::leaf(KVSTORE_REPLY_NIL),
            Reply::Array(items) => Self::seq(KVSTORE_REPLY_ARRAY, many(items).collect()),
            Reply::Set(items) if resp3 => Self::seq(KVSTORE_REPLY_SET, many(items).collect()),
            Reply::Push(items) if resp3 => Self::seq(KVSTORE_REPLY_PUSH, many(items).collect()),
            Reply::Set(items) | Reply::Push(items) => {
                Self::seq(KVSTORE_REPLY_ARRAY, many(items).collect())
            }
            Reply::Map(pairs) => {
                let flat = pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
                let ty = if resp3 {
                    KVSTORE_REPLY_MAP
                } else {
                    KVSTORE_REPLY_ARRAY
                };
                Self::seq(ty, many(flat).collect())
            }
            Reply::Double(d) if resp3 => kvstore_reply {
                double: d,
                ..Self::text(KVSTORE_REPLY_DOUBLE, g17(d))
            },
            Reply::Double(d) => Self::text(KVSTORE_REPLY_STRING, g17(d)),
            Reply::Bool(b) if resp3 => Self::int(KVSTORE_REPLY_BOOL, b.into()),
            Reply::Bool(b) => Self::int(KVSTORE_REPLY_INTEGER, b.into()),
            Reply::Verbatim(fmt, body) if resp3 => {
                let mut vtype = [0u8; 4];
                let f = &fmt.as_bytes()[..fmt.len().min(3)];
                vtype[..f.len()].copy_from_slice(f);
                kvstore_reply {
                    vtype,
                    ..Self::text(KVSTORE_REPLY_VERB, body)
                }
            }
            Reply::Verbatim(_, body) => Self::text(KVSTORE_REPLY_STRING, body),
        }
    }

    /// The node's string without its NUL, if its type has one.
    fn str(&self) -> Option<&[u8]> {
        self.text.split_last().map(|(_, s)| s)
    }
}

/// Runs the accessor `body` on `r`, or returns `T::default()` for NULL.
fn read<T: crate::panic::PanicDefault>(
    name: &str,
    r: *const kvstore_reply,
    body: impl FnOnce(&kvstore_reply) -> T,
) -> T {
    crate::panic::boundary(name, || {
        // SAFETY: `r` is NULL or a live node, per every accessor's contract.
        match unsafe { r.as_ref() } {
            Some(r) => body(r),
            None => T::panic_default(),
        }
    })
}

/// The type of `r`: one of the `KVSTORE_REPLY_*` numbers. NULL: 0.
///
/// Thread safety: replies may be read from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_type(r: *const kvstore_reply) -> c_int {
    read("kvstore_reply_type", r, |r| r.ty)
}

/// The integer of an INTEGER reply, or 1/0 for a BOOL; 0 for other types
/// and for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_integer(r: *const kvstore_reply) -> i64 {
    read("kvstore_reply_integer", r, |r| r.integer)
}

/// The value of a DOUBLE reply; 0.0 for other types and for NULL. (In
/// RESP2, doubles arrive as STRING replies: parse them with `strtod`.)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_double(r: *const kvstore_reply) -> f64 {
    read("kvstore_reply_double", r, |r| r.double)
}

/// The string of a STRING, STATUS, ERROR, DOUBLE or VERB reply, or NULL for
/// other types and for NULL `r`. The string is binary safe (it may hold NUL
/// bytes; its length is written to `*len` when `len` is not NULL) and is
/// also NUL-terminated.
///
/// Ownership: the string belongs to the reply and lives until the reply's
/// root is freed. `*len` is written only when the result is not NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_str(
    r: *const kvstore_reply,
    len: *mut usize,
) -> *const c_char {
    read("kvstore_reply_str", r, |r| match r.str() {
        Some(s) => {
            if !len.is_null() {
                // SAFETY: a non-NULL `len` is writable per the contract.
                unsafe { len.write(s.len()) };
            }
            r.text.as_ptr().cast()
        }
        None => std::ptr::null(),
    })
}

/// The format of a VERB reply (`"txt"`, `"mkd"`), NUL-terminated, owned by
/// the reply; NULL for other types and for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_vtype(r: *const kvstore_reply) -> *const c_char {
    read("kvstore_reply_vtype", r, |r| {
        if r.ty == KVSTORE_REPLY_VERB {
            r.vtype.as_ptr().cast()
        } else {
            std::ptr::null()
        }
    })
}

/// The number of elements of an ARRAY, SET or PUSH reply, or twice the
/// number of pairs of a MAP (keys and values alternate, as in hiredis); 0
/// for other types and for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_len(r: *const kvstore_reply) -> usize {
    read("kvstore_reply_len", r, |r| r.elements.len())
}

/// Element `i` of an ARRAY, SET, PUSH or MAP reply, or NULL when `i` is out
/// of range, for other types, and for NULL `r`.
///
/// Ownership: the element belongs to `r`'s tree: never free it; it lives
/// until the root is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_element(
    r: *const kvstore_reply,
    i: usize,
) -> *const kvstore_reply {
    read("kvstore_reply_element", r, |r| {
        r.elements
            .get(i)
            .map_or(std::ptr::null(), |e| e as *const kvstore_reply)
    })
}

/// Frees a reply tree: the root returned by a call and all its elements.
/// Pass only roots (never an element) and free each root once.
///
/// NULL: a no-op. Thread safety: any thread, once no thread reads the tree.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kvstore_reply_free(r: *mut kvstore_reply) {
    crate::panic::boundary("kvstore_reply_free", || {
        if !r.is_null() {
            // SAFETY: a non-NULL root came from Box::into_raw in this
            // library and is freed once, per the contract.
            drop(unsafe { Box::from_raw(r) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(r: Reply, resp3: bool) -> kvstore_reply {
        kvstore_reply::from_reply(r, resp3)
    }

    #[test]
    fn resp2_downgrades_like_the_encoder() {
        let m = Reply::Map(vec![(Reply::bulk(b"a"), Reply::Double(1.5))]);
        let t = tree(m.clone(), false);
        assert_eq!(t.ty, KVSTORE_REPLY_ARRAY);
        assert_eq!(t.elements[1].ty, KVSTORE_REPLY_STRING);
        assert_eq!(t.elements[1].str(), Some(&b"1.5"[..]));
        let t = tree(m, true);
        assert_eq!(t.ty, KVSTORE_REPLY_MAP);
        assert_eq!(t.elements[1].ty, KVSTORE_REPLY_DOUBLE);
        assert_eq!(t.elements[1].double, 1.5);
        assert_eq!(tree(Reply::Bool(true), false).ty, KVSTORE_REPLY_INTEGER);
        assert_eq!(tree(Reply::Bool(true), true).integer, 1);
        assert_eq!(tree(Reply::NilArray, false).ty, KVSTORE_REPLY_NIL);
        let v = tree(Reply::Verbatim("txt", b"x".to_vec()), true);
        assert_eq!((v.ty, &v.vtype), (KVSTORE_REPLY_VERB, b"txt\0"));
        assert_eq!(tree(Reply::Set(vec![]), false).ty, KVSTORE_REPLY_ARRAY);
    }

    #[test]
    fn strings_keep_nul_bytes_and_end_in_one() {
        let t = tree(Reply::bulk(b"a\0b"), false);
        assert_eq!(t.str(), Some(&b"a\0b"[..]));
        assert_eq!(t.text, b"a\0b\0");
        assert_eq!(tree(Reply::Int(3), false).str(), None);
    }
}
