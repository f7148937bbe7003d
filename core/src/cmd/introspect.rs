//! COMMAND and its subcommands, generated from the command table.

use super::table::Command;

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[];
