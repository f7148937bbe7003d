//! The RESP listener from the outside: raw protocol against redis-server
//! byte for byte, bad input, limits, connection commands, and real
//! clients (redis-py, redis-cli, redis-benchmark) and the kvstore-server
//! binary.

#[path = "../commands/harness.rs"]
mod harness;
mod support;

mod binary;
mod binary_data;
mod clients;
mod protocol;
mod tools;
