//! RESP2/RESP3 wire format: [`encode`] writes a [`Reply`](crate::Reply) for a
//! client's protocol version; [`decode`] parses frames incrementally with
//! Redis's size limits, never allocating more than the bytes it has seen.

mod decode;
mod encode;

/// Redis's `sdssplitargs` (inline commands, script shebangs).
pub(crate) use decode::split_inline as split_args;
pub use decode::{Limits, ProtocolError, decode, decode_command};
pub use encode::{encode, encode_command};
