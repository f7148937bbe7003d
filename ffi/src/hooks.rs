//! Test-only panic injection, compiled into debug builds only (the ones
//! `cargo test` links) and never declared in the public header. The C tests
//! arm a hook, call an exported function and check that the panic came back
//! as `KVSTORE_ERR_PANIC` (or the function's documented default), with no
//! leak and the handle still usable.

use std::ffi::c_int;
use std::sync::atomic::{AtomicI32, Ordering};

/// Where an armed hook panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Stage {
    /// At the start of the next exported call, inside its boundary.
    Entry = 1,
    /// While the next reply tree is built (after the command ran).
    Reply = 2,
}

/// The armed stage; 0 when disarmed.
static ARMED: AtomicI32 = AtomicI32::new(0);

/// Panics if `stage` is armed (disarming it first).
pub fn point(stage: Stage) {
    let s = stage as i32;
    if ARMED
        .compare_exchange(s, 0, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        panic!("forced panic at {stage:?} (kvstore_test_panic_next)");
    }
}

/// Arms a panic at `stage` (1: the entry of the next exported call, 2: the
/// building of the next reply tree); 0 disarms. Process-wide: test only.
#[unsafe(no_mangle)]
pub extern "C" fn kvstore_test_panic_next(stage: c_int) {
    // No boundary: this never panics, and arming it must not fire it.
    ARMED.store(stage, Ordering::Relaxed);
}
