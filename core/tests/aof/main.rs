//! Append-only file tests: what is logged for each kind of command (and
//! the replay giving back the same dataset), the file's life (creation,
//! rewrite, turning it on and off), damaged files, and process crashes.

#[path = "../commands/harness.rs"]
mod harness;
// Shared with the persistence tests, which use all of it.
#[allow(dead_code)]
#[path = "../persist/common.rs"]
mod common;

mod barrier;
mod basics;
mod crash;
mod damage;
mod interop;
mod ioerrors;
mod mixed;
mod nopreamble;
mod powerloss;
mod propagation;
mod roundtrip;
mod sim;
mod snapshot;
mod workload;
