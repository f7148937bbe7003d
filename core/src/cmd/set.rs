//! The set commands.

use super::table::Command;

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[];
