//! The panic boundary. Every exported function's body is one call to
//! [`call`] (functions returning a `kvstore_result`) or [`boundary`] (the
//! rest), so a panic is caught before it reaches C: since Rust 1.81 a panic
//! escaping an `extern "C"` function aborts the host process.
//!
//! A caught panic returns `KVSTORE_ERR_PANIC`, or the [`PanicDefault`] of the
//! return type (NULL, 0, 0.0, nothing), and records a message for
//! `kvstore_errmsg`. Nothing is written to output parameters.

use crate::error::{Fail, kvstore_result, set_message};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What an exported function returns when its body panicked.
pub trait PanicDefault {
    /// The value handed back to C instead of the body's result.
    fn panic_default() -> Self;
}

impl PanicDefault for kvstore_result {
    fn panic_default() -> Self {
        kvstore_result::KVSTORE_ERR_PANIC
    }
}

impl<T> PanicDefault for *const T {
    fn panic_default() -> Self {
        std::ptr::null()
    }
}

impl<T> PanicDefault for *mut T {
    fn panic_default() -> Self {
        std::ptr::null_mut()
    }
}

impl PanicDefault for () {
    fn panic_default() -> Self {}
}

macro_rules! zero_default {
    ($($t:ty),*) => {$(
        impl PanicDefault for $t {
            fn panic_default() -> Self {
                0 as $t
            }
        }
    )*};
}
zero_default!(i32, i64, usize, f64);

/// Runs the body of the exported function `name`, catching any panic.
pub fn boundary<T: PanicDefault>(name: &str, body: impl FnOnce() -> T) -> T {
    let run = AssertUnwindSafe(|| {
        #[cfg(debug_assertions)]
        crate::hooks::point(crate::hooks::Stage::Entry);
        body()
    });
    match catch_unwind(run) {
        Ok(v) => v,
        Err(payload) => {
            set_message(&format!("{name}: panicked: {}", message(payload)));
            T::panic_default()
        }
    }
}

/// Runs the body of the exported function `name`, which returns a result
/// code: a [`Fail`] becomes its code plus the message `name: msg`.
pub fn call(name: &str, body: impl FnOnce() -> Result<kvstore_result, Fail>) -> kvstore_result {
    boundary(name, || match body() {
        Ok(rc) => rc,
        Err(f) => {
            set_message(&format!("{name}: {}", f.msg));
            f.code
        }
    })
}

/// The text of a panic payload. Dropping the payload runs foreign `Drop`
/// code that could itself panic: that second panic is caught and its
/// payload leaked, as unwinding out of here would abort the host.
fn message(payload: Box<dyn Any + Send>) -> String {
    let text = kvstore_core::error::panic_text(&*payload)
        .unwrap_or_else(|| "unknown panic payload".into());
    if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_default_and_a_message() {
        let rc = call("f", || panic!("boom"));
        assert_eq!(rc, kvstore_result::KVSTORE_ERR_PANIC);
        let p: *const u8 = boundary("g", || panic!("boom"));
        assert!(p.is_null());
        assert_eq!(boundary("h", || -> i64 { panic!("boom") }), 0);
        // SAFETY: kvstore_errmsg returns this thread's live message.
        let msg = unsafe { std::ffi::CStr::from_ptr(crate::error::kvstore_errmsg()) };
        assert_eq!(msg.to_str().unwrap(), "h: panicked: boom");
    }

    #[test]
    fn a_fail_becomes_its_code_and_a_named_message() {
        let rc = call("kvstore_x", || Err(Fail::null("key")));
        assert_eq!(rc, kvstore_result::KVSTORE_ERR_NULL);
        // SAFETY: as above.
        let msg = unsafe { std::ffi::CStr::from_ptr(crate::error::kvstore_errmsg()) };
        assert_eq!(msg.to_str().unwrap(), "kvstore_x: key is NULL");
    }
}
