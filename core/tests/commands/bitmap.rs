//! The bitmap commands.
