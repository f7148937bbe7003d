//! The hash commands.
