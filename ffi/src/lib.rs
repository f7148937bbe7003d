//! libkvstore: the kvstore engine behind a C ABI.
//!
//! Built as `libkvstore.so` and `libkvstore.a`; `include/kvstore.h` is
//! generated from the doc comments of this crate by cbindgen (see
//! `tests/header.rs`), so the docs here are the C documentation.
//!
//! # Layout
//! - [`error`]: `kvstore_result` codes and the per-thread error message;
//! - [`panic`]: the boundary every exported function runs inside, so a
//!   panic becomes `KVSTORE_ERR_PANIC` (or a documented default) and never
//!   unwinds into C;
//! - [`args`]: checked conversions of C arguments (NULL, `(ptr, len)`) and
//!   library-allocated output buffers;
//! - [`handle`]: the `kvstore` handle (open/close, options) and the
//!   per-thread session cache that makes one handle usable from any thread;
//! - [`listen`]: serving a handle over RESP (`kvstore_listen`);
//! - [`reply`]: the `kvstore_reply` tree (hiredis's reply types) and its
//!   accessors;
//! - [`command`]: the generic argv call (and the entry point behind the
//!   printf-style call, whose parser lives in `src/format.c` because stable
//!   Rust cannot define C-variadic functions);
//! - [`typed`]: typed calls for the hot commands;
//! - [`subscriber`]: Pub/Sub subscribers, poll style;
//! - `hooks`: test-only panic injection (debug builds only).
//!
//! Every command, generic or typed, runs through kvstore-core's one command
//! path ([`kvstore_core::Engine::execute`] or the typed fast paths that call
//! the same handlers), so C callers get exactly Redis's behaviour.

// C names (kvstore_result, KVSTORE_OK) are the header's names.
#![allow(non_camel_case_types)]
// Each export's safety contract is its C documentation (NULL handling,
// ownership, lifetimes), written for C readers: cbindgen copies it into the
// header, where a Rust-style `# Safety` heading would read oddly.
#![allow(clippy::missing_safety_doc)]

// `catch_unwind` is inert under `panic = "abort"`: the boundary would be a lie.
#[cfg(panic = "abort")]
compile_error!("kvstore-ffi must be built with panic = \"unwind\" (its panic boundary needs it)");

// Declared in the order the header presents them (cbindgen follows it):
// errors, the handle and its listeners, the generic calls and their
// replies, typed calls, subscribers, buffers.
pub mod error;

pub mod handle;

pub mod listen;

pub mod command;

pub mod reply;

pub mod typed;

pub mod subscriber;

pub mod args;

#[cfg(debug_assertions)]
pub mod hooks;
pub mod panic;

pub use error::kvstore_result;
pub use handle::{kvstore, kvstore_options};
pub use reply::kvstore_reply;
pub use subscriber::kvstore_subscriber;

use std::ffi::c_char;

/// The library version as text, `"MAJOR.MINOR.PATCH"`, with a trailing NUL.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The version of the library actually linked, as `"MAJOR.MINOR.PATCH"`
/// (compare with the header's `KVSTORE_VERSION` to detect a header/library
/// mismatch).
///
/// Returns a static string: never NULL, never freed by the caller.
/// Thread safety: may be called from any thread at any time.
#[unsafe(no_mangle)]
pub extern "C" fn kvstore_libversion() -> *const c_char {
    crate::panic::boundary("kvstore_libversion", || VERSION.as_ptr().cast())
}
