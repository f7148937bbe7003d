//! The request parser: client commands as Redis 7.0's `processMultibulkBuffer`
//! and `processInlineBuffer` read them, with the same limits, the same
//! error texts and the same leniencies (a bulk's two trailing bytes are
//! skipped unchecked; a header line ends at `\r` and the byte after it is
//! skipped; like C's `strchr` on the query buffer, a line search stops at a
//! NUL byte, so `\0` before the end of a line means "not found yet").
//!
//! [`RequestParser`] is incremental: it keeps its place inside a command
//! that has not fully arrived, so a command of many arguments sent slowly
//! costs linear time, not a rescan per read. Arguments of a RESP request
//! are ranges of the caller's buffer (no copy); an inline request's
//! arguments, which may carry escapes, are owned. Nothing is allocated from
//! a declared length: the argument list grows with arguments actually
//! received.

use super::{Limits, ProtocolError};
use std::ops::Range;

/// Redis's limits for a client that has to authenticate and has not yet:
/// at most this many arguments ...
pub const UNAUTHENTICATED_MAX_MULTIBULK: i64 = 10;
/// ... of at most this many bytes each.
pub const UNAUTHENTICATED_MAX_BULK: i64 = 16 * 1024;

/// Where the parser is inside the current request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing of the request read yet.
    #[default]
    Start,
    /// An inline request; `\n` not found before this offset.
    Inline,
    /// A RESP request: `left` bulk strings still expected; `bulk` is the
    /// length of the one whose `$` header was read, if any.
    Multibulk { left: i64, bulk: Option<usize> },
}

/// One client's request parser (keep one per connection).
#[derive(Debug, Default)]
pub struct RequestParser {
    state: State,
    /// Offset, from the start of the request, where parsing resumes.
    pos: usize,
    /// The RESP request's arguments, as ranges of the request's bytes.
    ranges: Vec<Range<usize>>,
    /// The inline request's arguments.
    inline: Vec<Vec<u8>>,
}

/// The position of `byte` in `buf` from `from`, as `strchr` on a C string
/// finds it: a NUL byte first means "not found".
fn find(buf: &[u8], from: usize, byte: u8) -> Option<usize> {
    let at = buf.get(from..)?.iter().position(|&b| b == byte || b == 0)?;
    (buf[from + at] == byte).then_some(from + at)
}

fn perr<T>(msg: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.into()))
}

impl RequestParser {
    /// A parser at the start of a request.
    pub fn new() -> RequestParser {
        RequestParser::default()
    }

    /// Parses the request at the start of `buf`, resuming where the last
    /// call stopped: `buf` must hold the same request start as then (more
    /// bytes may have been appended). `Ok(Some(n))`: a whole request of `n`
    /// bytes, whose arguments [`RequestParser::args`] gives (none for an
    /// empty line or a `*0`/`*-1` header, which Redis ignores); `Ok(None)`:
    /// more bytes are needed; `Err`: Redis's protocol error (the client is
    /// then closed). `unauthenticated` applies Redis's limits for a client
    /// that must authenticate first. After `Some` or `Err` the parser is
    /// ready for the next request.
    pub fn parse(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        unauthenticated: bool,
    ) -> Result<Option<usize>, ProtocolError> {
        let done = self.step(buf, limits, unauthenticated);
        if !matches!(done, Ok(None)) {
            self.state = State::Start;
            self.pos = 0;
        }
        done
    }

    fn step(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        unauthenticated: bool,
    ) -> Result<Option<usize>, ProtocolError> {
        if self.state == State::Start {
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            self.ranges.clear();
            self.inline.clear();
            self.state = if first == b'*' {
                State::Multibulk {
                    left: 0,
                    bulk: None,
                }
            } else {
                State::Inline
            };
        }
        if self.state == State::Inline {
            return self.inline_request(buf, limits);
        }
        let State::Multibulk { mut left, mut bulk } = self.state else {
            unreachable!("inline and start handled above")
        };
        if self.pos == 0 {
            let Some(cr) = find(buf, 1, b'\r') else {
                return if buf.len() > limits.max_inline_len {
                    perr("too big mbulk count string")
                } else {
                    Ok(None)
                };
            };
            // The line's end is `\r` plus one more byte, whatever it is.
            if cr + 2 > buf.len() {
                return Ok(None);
            }
            let n = crate::num::parse_i64(&buf[1..cr]);
            let n = match n {
                Some(n) if n <= limits.max_multibulk_len as i64 && n <= i64::from(i32::MAX) => n,
                _ => return perr("invalid multibulk length"),
            };
            if unauthenticated && n > UNAUTHENTICATED_MAX_MULTIBULK {
                return perr("unauthenticated multibulk length");
            }
            self.pos = cr + 2;
            if n <= 0 {
                return Ok(Some(self.pos));
            }
            left = n;
        }
        while left > 0 {
            let len = match bulk {
                Some(len) => len,
                None => {
                    let Some(cr) = find(buf, self.pos, b'\r') else {
                        return if buf.len() - self.pos > limits.max_inline_len {
                            perr("too big bulk count string")
                        } else {
                            self.state = State::Multibulk { left, bulk };
                            Ok(None)
                        };
                    };
                    if cr + 2 > buf.len() {
                        self.state = State::Multibulk { left, bulk };
                        return Ok(None);
                    }
                    let tag = buf[self.pos];
                    if tag != b'$' {
                        return perr(format!("expected '$', got '{}'", tag as char));
                    }
                    let len = crate::num::parse_i64(&buf[self.pos + 1..cr])
                        .filter(|&n| n >= 0 && n as u64 <= limits.max_bulk_len as u64);
                    let Some(len) = len else {
                        return perr("invalid bulk length");
                    };
                    if unauthenticated && len > UNAUTHENTICATED_MAX_BULK {
                        return perr("unauthenticated bulk length");
                    }
                    self.pos = cr + 2;
                    len as usize
                }
            };
            // The body and two more bytes (Redis skips them unchecked).
            if buf.len() - self.pos < len + 2 {
                self.state = State::Multibulk {
                    left,
                    bulk: Some(len),
                };
                return Ok(None);
            }
            self.ranges.push(self.pos..self.pos + len);
            self.pos += len + 2;
            bulk = None;
            left -= 1;
        }
        Ok(Some(self.pos))
    }

    fn inline_request(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<usize>, ProtocolError> {
        let Some(nl) = find(buf, self.pos, b'\n') else {
            // Resume the search where this one ended (at a NUL, the
            // search can never get past it).
            if !buf[self.pos..].contains(&0) {
                self.pos = buf.len();
            }
            return if buf.len() > limits.max_inline_len {
                perr("too big inline request")
            } else {
                Ok(None)
            };
        };
        let line = &buf[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > limits.max_inline_len {
            return perr("too big inline request");
        }
        self.inline =
            split_args(line).ok_or_else(|| ProtocolError("unbalanced quotes in request".into()))?;
        Ok(Some(nl + 1))
    }

    /// The number of arguments of the request just parsed.
    pub fn argc(&self) -> usize {
        self.ranges.len() + self.inline.len()
    }

    /// Calls `f` with the arguments of the request just parsed; `buf` is
    /// the buffer given to [`RequestParser::parse`].
    pub fn with_args<R>(&self, buf: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> R {
        const STACK: usize = 16;
        let n = self.argc();
        let mut stack: [&[u8]; STACK] = [&[]; STACK];
        let heap: Vec<&[u8]>;
        let args: &[&[u8]] = if n <= STACK {
            let items = self
                .ranges
                .iter()
                .map(|r| &buf[r.clone()])
                .chain(self.inline.iter().map(Vec::as_slice));
            for (slot, a) in stack.iter_mut().zip(items) {
                *slot = a;
            }
            &stack[..n]
        } else {
            heap = self
                .ranges
                .iter()
                .map(|r| &buf[r.clone()])
                .chain(self.inline.iter().map(Vec::as_slice))
                .collect();
            &heap
        };
        f(args)
    }

    /// Bytes of memory the arguments of the current request take beyond
    /// the query buffer (CLIENT LIST `argv-mem`).
    pub fn argv_mem(&self) -> usize {
        self.inline.iter().map(Vec::len).sum()
    }
}

/// A whole request's arguments, owned, and the bytes it took.
pub type Decoded = (Vec<Vec<u8>>, usize);

/// Decodes one request from the start of `buf` (a one-shot
/// [`RequestParser`]): the arguments, owned, and the bytes used.
pub fn decode_command(buf: &[u8], limits: &Limits) -> Result<Option<Decoded>, ProtocolError> {
    let mut p = RequestParser::new();
    Ok(p.parse(buf, limits, false)?.map(|used| {
        (
            p.with_args(buf, |a| a.iter().map(|a| a.to_vec()).collect()),
            used,
        )
    }))
}

/// Splits an inline command (or a configuration file line) the way
/// Redis's `sdssplitargs` does: spaces separate words, "double quotes" take
/// C escapes (`\n`, `\xHH`, ...), 'single quotes' take only `\'`. `None`
/// on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            return Some(out);
        }
        let mut word = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            let c = line.get(i).copied();
            if inq {
                match c {
                    None => return None,
                    Some(b'\\')
                        if i + 3 < line.len()
                            && line[i + 1] == b'x'
                            && line[i + 2].is_ascii_hexdigit()
                            && line[i + 3].is_ascii_hexdigit() =>
                    {
                        let hex = std::str::from_utf8(&line[i + 2..i + 4]).ok()?;
                        word.push(u8::from_str_radix(hex, 16).ok()?);
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        word.push(match line[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if line.get(i + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(b) => word.push(b),
                }
            } else if insq {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        word.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(b) => word.push(b),
                }
            } else {
                match c {
                    None => break,
                    Some(b) if b.is_ascii_whitespace() => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(b) => word.push(b),
                }
            }
            i += 1;
        }
        out.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn lim() -> Limits {
        Limits::default()
    }

    /// Parses all of `buf` at once: argv and bytes used, or the error text.
    fn one(buf: &[u8], unauth: bool) -> Result<Option<Decoded>, String> {
        let mut p = RequestParser::new();
        match p.parse(buf, &lim(), unauth) {
            Ok(Some(n)) => Ok(Some((
                p.with_args(buf, |a| a.iter().map(|a| a.to_vec()).collect()),
                n,
            ))),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn err(buf: &[u8]) -> String {
        one(buf, false).expect_err("a protocol error")
    }

    #[test]
    fn incomplete_is_none_at_every_prefix() {
        let full = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        for i in 0..full.len() {
            assert_eq!(one(&full[..i], false), Ok(None), "prefix {i}");
        }
        let (argv, used) = one(full, false).unwrap().unwrap();
        assert_eq!(used, full.len());
        assert_eq!(
            argv,
            vec![b"SET".to_vec(), b"k".to_vec(), b"hello".to_vec()]
        );
    }

    #[test]
    fn resumes_byte_by_byte() {
        let full = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\nPING\r\n";
        let mut p = RequestParser::new();
        let mut got = None;
        for i in 0..=full.len() {
            if let Some(n) = p.parse(&full[..i], &lim(), false).unwrap() {
                got = Some(n);
                break;
            }
        }
        let n = got.unwrap();
        assert_eq!(p.argc(), 3);
        let rest = &full[n..];
        assert_eq!(p.parse(rest, &lim(), false), Ok(Some(6)));
        assert_eq!(p.with_args(rest, |a| a[0].to_vec()), b"PING");
    }

    #[test]
    fn redis_protocol_errors() {
        assert_eq!(
            err(b"*3000000000\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(err(b"*01\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(err(b"*1 \r\n"), "Protocol error: invalid multibulk length");
        // The count line ends at `\r`, not `\n`.
        assert_eq!(
            err(b"*1\n$4\nPING\r\n"),
            "Protocol error: invalid multibulk length"
        );
        let set = b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n";
        for bad in [
            &b"$-10\r\n"[..],
            b"$2000000000\r\n",
            b"$blabla\r\n",
            b"$+4\r\n",
        ] {
            let req = [&set[..], bad].concat();
            assert_eq!(err(&req), "Protocol error: invalid bulk length");
        }
        assert_eq!(
            err(b"*1\r\nfoo\r\n"),
            "Protocol error: expected '$', got 'f'"
        );
        assert_eq!(
            err(b"set \"\"\"test-key\"\"\" test-value\r\n"),
            "Protocol error: unbalanced quotes in request"
        );
        let big = [&b"*"[..], &[b'1'; 70_000]].concat();
        assert_eq!(err(&big), "Protocol error: too big mbulk count string");
        let big = [&b"*2\r\n$3\r\nGET\r\n$"[..], &[b'1'; 70_000]].concat();
        assert_eq!(err(&big), "Protocol error: too big bulk count string");
        assert_eq!(
            err(&[b'a'; 70_000]),
            "Protocol error: too big inline request"
        );
    }

    #[test]
    fn ignored_and_lenient_forms() {
        // Empty and negative counts and empty lines are no command.
        for empty in [&b"*0\r\n"[..], b"*-10\r\n", b"*-1\r\n", b"\r\n", b"\n"] {
            assert_eq!(one(empty, false), Ok(Some((vec![], empty.len()))));
        }
        // The two bytes after a bulk are skipped whatever they are.
        assert_eq!(
            one(b"*1\r\n$4\r\nPINGxx", false),
            Ok(Some((vec![b"PING".to_vec()], 14)))
        );
        // `$-5` is an inline command named `$-5`.
        assert_eq!(one(b"$-5\r\n", false), Ok(Some((vec![b"$-5".to_vec()], 5))));
    }

    #[test]
    fn nul_hides_the_line_end() {
        // Redis's strchr stops at the NUL: the line never ends, until the
        // buffer passes the inline limit.
        for start in [&b"\x00"[..], b"*\x00", b"$\x00"] {
            let mut buf = [start, b"\r\n"].concat();
            assert_eq!(one(&buf, false), Ok(None));
            buf.extend(b"AAAA\n".repeat(20_000));
            let e = err(&buf);
            assert!(e.starts_with("Protocol error: too big"), "{e}");
        }
    }

    #[test]
    fn unauthenticated_limits() {
        let e = one(b"*11\r\n", true).unwrap_err();
        assert_eq!(e, "Protocol error: unauthenticated multibulk length");
        assert_eq!(one(b"*10\r\n", true), Ok(None));
        let e = one(b"*1\r\n$16385\r\n", true).unwrap_err();
        assert_eq!(e, "Protocol error: unauthenticated bulk length");
        assert_eq!(one(b"*1\r\n$16384\r\n", true), Ok(None));
    }

    #[test]
    fn huge_declared_lengths_allocate_nothing() {
        let mut p = RequestParser::new();
        assert_eq!(p.parse(b"*2147483647\r\n", &lim(), false), Ok(None));
        assert_eq!(p.ranges.capacity(), 0);
        assert!(one(b"*1\r\n$536870913\r\n", false).is_err());
        assert_eq!(one(b"*1\r\n$536870912\r\n", false), Ok(None));
    }

    #[test]
    fn inline_commands_split_like_redis() {
        let (argv, _) = one(b"set k \"a b\\x41\" 'c\\'d'\r\n", false)
            .unwrap()
            .unwrap();
        assert_eq!(
            argv,
            vec![
                b"set".to_vec(),
                b"k".to_vec(),
                b"a bA".to_vec(),
                b"c'd".to_vec()
            ]
        );
        assert!(one(b"set \"k\r\n", false).is_err());
    }

    /// Random requests, valid and mangled, fed whole and in random pieces:
    /// the parser never panics, and piecewise parsing agrees with parsing
    /// the whole buffer.
    #[test]
    fn random_input_whole_and_split_agree() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(0x7e9);
        let alphabet = b"*$\r\n0123456789-+ \"'\\x\x00abc";
        for round in 0..20_000 {
            let mut buf = Vec::new();
            if round % 2 == 0 {
                let argv: Vec<Vec<u8>> = (0..rng.random_range(0..4))
                    .map(|_| (0..rng.random_range(0..6)).map(|_| rng.random()).collect())
                    .collect();
                super::super::encode_command(&argv, &mut buf);
            }
            for _ in 0..rng.random_range(0..12) {
                let b = alphabet[rng.random_range(0..alphabet.len())];
                let at = rng.random_range(0..=buf.len());
                buf.insert(at, b);
            }
            let whole = one(&buf, false);
            let mut p = RequestParser::new();
            let mut piecewise = Ok(None);
            let mut end = 0;
            while end < buf.len() {
                end = (end + rng.random_range(1..8)).min(buf.len());
                piecewise = match p.parse(&buf[..end], &lim(), false) {
                    Ok(Some(n)) => Ok(Some((
                        p.with_args(&buf, |a| a.iter().map(|a| a.to_vec()).collect()),
                        n,
                    ))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e.to_string()),
                };
                if !matches!(piecewise, Ok(None)) {
                    break;
                }
            }
            if buf.is_empty() {
                continue;
            }
            // A complete request may have been found on a shorter prefix
            // when more requests follow it; compare only the first one.
            assert_eq!(
                whole,
                piecewise,
                "input {:?}",
                String::from_utf8_lossy(&buf)
            );
        }
    }
}
