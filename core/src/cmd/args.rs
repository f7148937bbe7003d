//! Argument parsing helpers shared by the handlers, with Redis's error texts.

use crate::error::CmdError;
use crate::num;

/// Parses an integer argument (`ERR value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    num::parse_i64(arg).ok_or(CmdError::NotInt)
}

/// Parses a float argument (`ERR value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64, CmdError> {
    num::parse_f64(arg).ok_or(CmdError::NotFloat)
}

/// Parses a non-negative integer that must fit `usize`, with Redis's
/// "value is out of range, must be positive" error.
pub fn positive(arg: &[u8]) -> Result<usize, CmdError> {
    let n = int(arg)?;
    usize::try_from(n).map_err(|_| CmdError::err("value is out of range, must be positive"))
}

/// True when `arg` equals `word`, ignoring ASCII case, as Redis's
/// `strcasecmp` on the argument sees it: a C string, up to a NUL byte (so
/// `NX\0junk` is `NX`). Redis compares option words that way everywhere.
#[inline]
pub fn is(arg: &[u8], word: &str) -> bool {
    cstr(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// The argument as lossy UTF-8, for messages.
pub fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// The bytes of `arg` up to its first NUL: what Redis's `%s` prints of it.
pub fn cstr(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or_default()
}

/// The text of `arg` up to its first NUL byte, for messages Redis formats
/// with `%s`.
pub fn cstr_text(arg: &[u8]) -> String {
    text(cstr(arg))
}
