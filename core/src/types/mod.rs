//! Data structures behind the value types that need more than a std
//! container.

pub mod zset;
