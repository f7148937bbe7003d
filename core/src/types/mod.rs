//! Data structures behind the value types that need more than a std
//! container.

pub mod hll;
pub mod zset;
