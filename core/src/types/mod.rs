//! Data structures and algorithms behind the value types that need more
//! than a std container.

pub mod bits;
pub mod hll;
pub mod zset;
