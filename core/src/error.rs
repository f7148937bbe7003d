//! `CmdError`: a command failure that becomes an error reply. The texts are
//! Redis 7.0's (`server.c` shared replies and the per-command messages),
//! because client libraries match on them.

use std::fmt;

/// An error reply. `Display` gives the exact Redis text, code word included.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmdError {
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR syntax error`
    Syntax,
    /// `ERR value is not an integer or out of range`
    NotInt,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR index out of range`
    OutOfRange,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR wrong number of arguments for '<cmd>' command`
    Arity(String),
    /// `ERR unknown command '<cmd>', with args beginning with: ...`
    UnknownCommand(String),
    /// `ERR <text>`: any other ERR-coded message (text without the code).
    Err(String),
    /// A full message with its own code word, e.g. `NOSCRIPT ...`.
    Raw(String),
}

impl CmdError {
    /// `ERR <msg>`.
    pub fn err(msg: impl Into<String>) -> CmdError {
        CmdError::Err(msg.into())
    }

    /// A caught panic as the error its caller gets:
    /// `ERR internal error: <the panic's message>`.
    pub fn internal(payload: &(dyn std::any::Any + Send)) -> CmdError {
        let msg = panic_text(payload).unwrap_or_default();
        CmdError::err(format!("internal error: {msg}"))
    }
}

/// The message of a caught panic's payload (`panic!` with a literal or a
/// formatted message), if it carries one.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdError::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            CmdError::Syntax => f.write_str("ERR syntax error"),
            CmdError::NotInt => f.write_str("ERR value is not an integer or out of range"),
            CmdError::NotFloat => f.write_str("ERR value is not a valid float"),
            CmdError::NoSuchKey => f.write_str("ERR no such key"),
            CmdError::OutOfRange => f.write_str("ERR index out of range"),
            CmdError::Overflow => f.write_str("ERR increment or decrement would overflow"),
            CmdError::Arity(cmd) => {
                write!(f, "ERR wrong number of arguments for '{cmd}' command")
            }
            CmdError::UnknownCommand(msg) => write!(f, "ERR unknown command {msg}"),
            CmdError::Err(msg) => write!(f, "ERR {msg}"),
            CmdError::Raw(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for CmdError {}

impl From<CmdError> for crate::Reply {
    fn from(e: CmdError) -> Self {
        let newline = ['\r', '\n'];
        let text = match &e {
            // A reply is one line: as Redis's addReplyErrorFormat, newlines
            // (from arguments quoted in the message) are trimmed at both
            // ends of the message and turned into spaces inside it.
            CmdError::Err(msg) if msg.contains(newline) => {
                format!("ERR {}", msg.trim_matches(newline).replace(newline, " "))
            }
            _ if matches!(e, CmdError::Raw(_) | CmdError::UnknownCommand(_)) => {
                e.to_string().replace(newline, " ")
            }
            _ => e.to_string(),
        };
        crate::Reply::Error(text)
    }
}

/// What a command handler returns: a reply, or an error that becomes one.
pub type CmdResult = Result<crate::Reply, CmdError>;
