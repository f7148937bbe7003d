//! Data structures and algorithms behind the value types that need more
//! than a std container, and the encoding rules of the ones that do not.

pub mod bits;
pub mod hash;
pub mod hll;
pub mod intset;
pub mod listpack;
pub mod sample;
pub mod set;
pub mod zset;
