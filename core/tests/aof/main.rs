//! Append-only file tests: what is logged for each kind of command (and
//! the replay giving back the same dataset), the file's life (creation,
//! rewrite, turning it on and off), damaged files, and process crashes.

#[path = "../commands/harness.rs"]
mod harness;
// Shared with the persistence tests, which use all of it.
#[allow(dead_code)]
#[path = "../persist/common.rs"]
mod common;

mod basics;
mod interop;
mod propagation;
mod roundtrip;
mod workload;
