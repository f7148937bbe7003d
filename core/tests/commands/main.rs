//! Behaviour tests through `Engine::execute`, most of them differential
//! against a real redis-server (see `harness`). One module per family.

mod harness;

mod bad_input;
mod bitmap;
mod blocking;
mod hash;
mod hll;
mod keys;
mod list;
mod mixed;
mod pubsub;
mod scripting;
mod server;
mod set;
mod sort;
mod strings;
mod transactions;
mod zset;
