//! RESP2/RESP3 wire format: [`encode`] writes a [`Reply`](crate::Reply) for a
//! client's protocol version; [`decode`] parses reply frames incrementally
//! and [`RequestParser`] parses client requests as Redis does, both with
//! Redis's size limits, never allocating more than the bytes they have seen.

mod decode;
mod encode;
mod request;

pub use decode::{Limits, ProtocolError, decode};
pub use encode::{encode, encode_command};
pub(crate) use encode::{encode_arg, encode_command_head};
pub use request::{
    RequestParser, UNAUTHENTICATED_MAX_BULK, UNAUTHENTICATED_MAX_MULTIBULK, decode_command,
    split_args,
};
