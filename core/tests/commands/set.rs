//! The set commands.
