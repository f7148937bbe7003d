//! The hll commands.
