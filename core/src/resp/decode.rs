//! The incremental RESP decoder. Each call parses one frame from the start of
//! a buffer: `Ok(None)` means "need more bytes" (a normal state), `Err` means
//! the bytes can never become a valid frame. Declared lengths are checked
//! against [`Limits`] and never trusted for allocation: capacity grows only
//! with bytes actually present, so a hostile `*2147483647` costs nothing.

use crate::Reply;
use std::fmt;

/// Size limits, Redis's defaults unless changed.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest bulk string (`proto-max-bulk-len`, 512 MB).
    pub max_bulk_len: usize,
    /// Largest array/map/set element count.
    pub max_multibulk_len: usize,
    /// Largest inline command line (64 KB in Redis).
    pub max_inline_len: usize,
    /// Deepest nesting of aggregates accepted in replies.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: 64 * 1024,
            max_depth: 128,
        }
    }
}

/// A malformed stream; the text is Redis's protocol error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

impl std::error::Error for ProtocolError {}

type Step<T> = Result<Option<(T, usize)>, ProtocolError>;

fn perr<T>(msg: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.into()))
}

/// Finds the line starting at `pos`; returns (line, index after CRLF).
fn read_line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(pos..)?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let line = &rest[..nl];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, pos + nl + 1))
}

fn parse_len(line: &[u8], what: &str) -> Result<i64, ProtocolError> {
    crate::num::parse_i64(line).ok_or_else(|| ProtocolError(format!("invalid {what} length")))
}

/// Reads `len` bytes plus CRLF at `pos`.
fn read_body(buf: &[u8], pos: usize, len: usize) -> Step<&[u8]> {
    let end = pos
        .checked_add(len)
        .ok_or_else(|| ProtocolError("invalid bulk length".into()))?;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return perr("bulk string not terminated by CRLF");
    }
    Ok(Some((&buf[pos..end], end + 2)))
}

/// Decodes one reply frame (RESP2 or RESP3) from the start of `buf`.
/// Returns the frame and the number of bytes it used.
pub fn decode(buf: &[u8], limits: &Limits) -> Step<Reply> {
    decode_at(buf, 0, limits, 0)
}

fn decode_at(buf: &[u8], pos: usize, limits: &Limits, depth: usize) -> Step<Reply> {
    if depth > limits.max_depth {
        return perr("nesting too deep");
    }
    let Some(&tag) = buf.get(pos) else {
        return Ok(None);
    };
    let Some((line, next)) = read_line(buf, pos + 1) else {
        return if buf.len() - pos > limits.max_inline_len {
            perr("too big inline request")
        } else {
            Ok(None)
        };
    };
    let text = || String::from_utf8_lossy(line).into_owned();
    let reply = match tag {
        b'+' => Reply::Status(text().into()),
        b'-' => Reply::Error(text()),
        b':' => Reply::Int(
            crate::num::parse_i64(line).ok_or_else(|| ProtocolError("invalid integer".into()))?,
        ),
        b'_' => Reply::Nil,
        b'#' => match line {
            b"t" => Reply::Bool(true),
            b"f" => Reply::Bool(false),
            _ => return perr("invalid boolean"),
        },
        b',' => {
            let d = match line {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                b"nan" => f64::NAN,
                _ => crate::num::parse_f64(line)
                    .ok_or_else(|| ProtocolError("invalid double".into()))?,
            };
            Reply::Double(d)
        }
        b'(' => Reply::Bulk(line.to_vec()),
        b'$' | b'=' | b'!' => {
            let n = parse_len(line, "bulk")?;
            if n == -1 && tag == b'$' {
                return Ok(Some((Reply::Nil, next)));
            }
            if n < 0 || n as u64 > limits.max_bulk_len as u64 {
                return perr("invalid bulk length");
            }
            let Some((body, end)) = read_body(buf, next, n as usize)? else {
                return Ok(None);
            };
            let reply = match tag {
                b'$' => Reply::Bulk(body.to_vec()),
                b'!' => Reply::Error(String::from_utf8_lossy(body).into_owned()),
                _ => {
                    if body.len() < 4 || body[3] != b':' {
                        return perr("invalid verbatim string");
                    }
                    let fmt = if &body[..3] == b"mkd" { "mkd" } else { "txt" };
                    Reply::Verbatim(fmt, body[4..].to_vec())
                }
            };
            return Ok(Some((reply, end)));
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n = parse_len(line, "multibulk")?;
            if n == -1 && tag == b'*' {
                return Ok(Some((Reply::NilArray, next)));
            }
            if n < 0 || n as u64 > limits.max_multibulk_len as u64 {
                return perr("invalid multibulk length");
            }
            let count = if tag == b'%' {
                (n as usize) * 2
            } else {
                n as usize
            };
            // Never trust the declared count for capacity: every element
            // takes at least 3 bytes, so cap by what the buffer could hold.
            let mut items = Vec::with_capacity(count.min((buf.len() - next) / 3));
            let mut at = next;
            for _ in 0..count {
                let Some((item, end)) = decode_at(buf, at, limits, depth + 1)? else {
                    return Ok(None);
                };
                items.push(item);
                at = end;
            }
            let reply = match tag {
                b'*' => Reply::Array(items),
                b'~' => Reply::Set(items),
                b'>' => Reply::Push(items),
                _ => {
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Reply::Map(pairs)
                }
            };
            return Ok(Some((reply, at)));
        }
        other => return perr(format!("unexpected reply type byte '{}'", other as char)),
    };
    Ok(Some((reply, next)))
}

/// Decodes one client request from the start of `buf`: a RESP array of bulk
/// strings, or an inline command line (space separated, with Redis's quoting).
/// An empty inline line yields an empty argv.
pub fn decode_command(buf: &[u8], limits: &Limits) -> Step<Vec<Vec<u8>>> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first != b'*' {
        let Some((line, next)) = read_line(buf, 0) else {
            return if buf.len() > limits.max_inline_len {
                perr("too big inline request")
            } else {
                Ok(None)
            };
        };
        if line.len() > limits.max_inline_len {
            return perr("too big inline request");
        }
        let argv = split_inline(line)
            .ok_or_else(|| ProtocolError("unbalanced quotes in request".into()))?;
        return Ok(Some((argv, next)));
    }
    let Some((line, mut at)) = read_line(buf, 1) else {
        return if buf.len() > limits.max_inline_len {
            perr("too big mbulk count string")
        } else {
            Ok(None)
        };
    };
    let n = parse_len(line, "multibulk")?;
    if n > limits.max_multibulk_len as i64 {
        return perr("invalid multibulk length");
    }
    if n <= 0 {
        return Ok(Some((Vec::new(), at)));
    }
    let mut argv = Vec::with_capacity((n as usize).min((buf.len() - at) / 4 + 1));
    for _ in 0..n {
        let Some(&tag) = buf.get(at) else {
            return Ok(None);
        };
        if tag != b'$' {
            return perr(format!("expected '$', got '{}'", tag as char));
        }
        let Some((line, next)) = read_line(buf, at + 1) else {
            return if buf.len() - at > limits.max_inline_len {
                perr("too big bulk count string")
            } else {
                Ok(None)
            };
        };
        let len = parse_len(line, "bulk")?;
        if len < 0 || len as u64 > limits.max_bulk_len as u64 {
            return perr("invalid bulk length");
        }
        let Some((body, end)) = read_body(buf, next, len as usize)? else {
            return Ok(None);
        };
        argv.push(body.to_vec());
        at = end;
    }
    Ok(Some((argv, at)))
}

/// Splits an inline command the way Redis's `sdssplitargs` does: spaces
/// separate words, "double quotes" take C escapes (`\n`, `\xHH`, ...),
/// 'single quotes' take only `\'`. `None` on unbalanced quotes.
pub(crate) fn split_inline(line: &[u8]) -> Option<Vec<Vec<u8>>> {
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

    fn lim() -> Limits {
        Limits::default()
    }

    #[test]
    fn incomplete_is_none_at_every_prefix() {
        let full = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        for i in 0..full.len() {
            assert_eq!(decode_command(&full[..i], &lim()), Ok(None), "prefix {i}");
            assert_eq!(decode(&full[..i], &lim()), Ok(None), "prefix {i}");
        }
        let (argv, used) = decode_command(full, &lim()).unwrap().unwrap();
        assert_eq!(used, full.len());
        assert_eq!(
            argv,
            vec![b"SET".to_vec(), b"k".to_vec(), b"hello".to_vec()]
        );
    }

    #[test]
    fn huge_declared_lengths_do_not_allocate() {
        assert_eq!(decode_command(b"*2147483647\r\n", &lim()), Ok(None));
        assert!(decode_command(b"*1\r\n$536870913\r\n", &lim()).is_err());
        assert_eq!(decode(b"*2147483647\r\n", &lim()), Ok(None));
        assert!(decode(b"*99999999999\r\n", &lim()).is_err());
    }

    #[test]
    fn inline_commands_split_like_redis() {
        let (argv, _) = decode_command(b"set k \"a b\\x41\" 'c\\'d'\r\n", &lim())
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
        assert!(decode_command(b"set \"k\r\n", &lim()).is_err());
    }

    #[test]
    fn resp3_frames_round_trip() {
        let r = Reply::Map(vec![(
            Reply::bulk(b"k"),
            Reply::Set(vec![Reply::Bool(true), Reply::Double(2.5)]),
        )]);
        let mut buf = Vec::new();
        crate::resp::encode(&r, 3, &mut buf);
        assert_eq!(decode(&buf, &lim()), Ok(Some((r, buf.len()))));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let buf = b"*1\r\n".repeat(100_000);
        assert!(decode(&buf, &lim()).is_err());
    }

    /// A random reply tree (RESP3 types included), bounded in size.
    fn random_reply(rng: &mut rand::rngs::SmallRng, depth: u32) -> Reply {
        use rand::Rng;
        let leaf = depth > 3 || rng.random_bool(0.6);
        let bytes = |rng: &mut rand::rngs::SmallRng| {
            let n = rng.random_range(0..20);
            (0..n).map(|_| rng.random::<u8>()).collect::<Vec<u8>>()
        };
        let text = |rng: &mut rand::rngs::SmallRng| {
            let n = rng.random_range(0..10);
            (0..n)
                .map(|_| rng.random_range(b'a'..=b'z') as char)
                .collect::<String>()
        };
        if leaf {
            match rng.random_range(0..8) {
                0 => Reply::Status(text(rng).into()),
                1 => Reply::Error(format!("ERR {}", text(rng))),
                2 => Reply::Int(rng.random()),
                3 => Reply::Bulk(bytes(rng)),
                4 => Reply::Nil,
                5 => Reply::Bool(rng.random()),
                6 => Reply::Double(rng.random_range(-1e6..1e6)),
                _ => Reply::Verbatim("txt", bytes(rng)),
            }
        } else {
            let n = rng.random_range(0..5);
            let items: Vec<Reply> = (0..n).map(|_| random_reply(rng, depth + 1)).collect();
            match rng.random_range(0..4) {
                0 => Reply::Array(items),
                1 => Reply::Set(items),
                2 => Reply::Push(items),
                _ => Reply::Map(
                    items
                        .into_iter()
                        .map(|v| (Reply::Bulk(b"k".to_vec()), v))
                        .collect(),
                ),
            }
        }
    }

    #[test]
    fn random_frames_round_trip_at_every_split() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed);
        for _ in 0..500 {
            let r = random_reply(&mut rng, 0);
            let mut buf = Vec::new();
            crate::resp::encode(&r, 3, &mut buf);
            let cut = rng.random_range(0..buf.len());
            assert_eq!(decode(&buf[..cut], &lim()), Ok(None));
            let (back, used) = decode(&buf, &lim()).unwrap().unwrap();
            assert_eq!(used, buf.len());
            // Doubles pass through %.17g and strtod: exact for finite values.
            assert_eq!(back, r);
        }
    }

    #[test]
    fn random_garbage_never_panics() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(0xbad);
        let alphabet = b"*$:+-_#,(=!%~>\r\n0123456789-abc";
        for _ in 0..20_000 {
            let n = rng.random_range(0..40);
            let buf: Vec<u8> = (0..n)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let _ = decode(&buf, &lim());
            let _ = decode_command(&buf, &lim());
        }
    }
}
