//! `Reply`: what a command answers, in RESP3's vocabulary. Fronts that speak
//! RESP2 downgrade it with [`crate::resp::encode`] (maps become flat arrays, doubles
//! become bulk strings, booleans become integers), exactly as Redis does.

use std::borrow::Cow;

/// A command's reply. Errors carry Redis's full text, code word first
/// (`ERR ...`, `WRONGTYPE ...`), because clients dispatch on that word.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`-style simple string; static texts need no allocation.
    Status(Cow<'static, str>),
    /// `-ERR ...` error with its code word.
    Error(String),
    /// `:n` integer.
    Int(i64),
    /// `$n` binary-safe string.
    Bulk(Vec<u8>),
    /// The null value: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// A null array: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    /// `*n` array.
    Array(Vec<Reply>),
    /// `%n` map; a flat array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// `~n` set; an array in RESP2.
    Set(Vec<Reply>),
    /// `,d` double; a bulk string formatted as Redis 7.0 does (`%.17g`) in RESP2.
    Double(f64),
    /// `#t`/`#f`; the integer 1/0 in RESP2.
    Bool(bool),
    /// `=n` verbatim string with a three-letter format; a bulk string in RESP2.
    Verbatim(&'static str, Vec<u8>),
    /// `>n` out-of-band push (pub/sub); an array in RESP2.
    Push(Vec<Reply>),
}

impl Reply {
    /// The `+OK` reply.
    pub fn ok() -> Reply {
        Reply::Status(Cow::Borrowed("OK"))
    }

    /// A bulk reply copied from a byte slice.
    pub fn bulk(b: &[u8]) -> Reply {
        Reply::Bulk(b.to_vec())
    }

    /// A bulk reply or nil.
    pub fn opt_bulk(b: Option<&[u8]>) -> Reply {
        b.map_or(Reply::Nil, Reply::bulk)
    }

    /// An array of bulk strings.
    pub fn bulks<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Reply::Array(items.into_iter().map(|b| Reply::bulk(b.as_ref())).collect())
    }

    /// True for error replies.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}
