//! Data structures behind the value types that need more than a std
//! container, and the encoding rules of the ones that do not.

pub mod hash;
pub mod sample;
pub mod set;
pub mod zset;
