//! The SCAN family's shared parts: cursor and option parsing (MATCH, COUNT,
//! TYPE) and the bucket walk over a [`Dict`] with Redis's COUNT semantics.

use super::args;
use crate::dict::Dict;
use crate::error::CmdError;
use crate::reply::Reply;

/// Parsed SCAN options.
#[derive(Debug)]
pub struct ScanOpts<'a> {
    /// The cursor from the client.
    pub cursor: u64,
    /// MATCH pattern, if any (`*` alone is treated as none, as Redis does).
    pub pattern: Option<&'a [u8]>,
    /// COUNT hint (default 10).
    pub count: usize,
    /// TYPE filter (SCAN only).
    pub type_name: Option<&'a [u8]>,
}

/// Parses `cursor [MATCH p] [COUNT n] [TYPE t]`; `allow_type` for SCAN.
/// `rest` starts at the cursor argument.
pub fn parse<'a>(rest: &[&'a [u8]], allow_type: bool) -> Result<ScanOpts<'a>, CmdError> {
    let cursor = parse_cursor(rest[0])?;
    let mut o = ScanOpts {
        cursor,
        pattern: None,
        count: 10,
        type_name: None,
    };
    let mut i = 1;
    while i < rest.len() {
        let has_value = i + 1 < rest.len();
        if args::is(rest[i], "count") && has_value {
            let n = args::int(rest[i + 1])?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = n as usize;
        } else if args::is(rest[i], "match") && has_value {
            let p = rest[i + 1];
            o.pattern = if p == b"*" { None } else { Some(p) };
        } else if allow_type && args::is(rest[i], "type") && has_value {
            o.type_name = Some(rest[i + 1]);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// Parses a cursor as Redis's `parseScanCursorOrReply` does: C `strtoul`
/// in base 10 over the text up to its first NUL (so a sign is accepted, `-n`
/// wrapping around, and the empty string is 0); a leading space, trailing
/// junk or overflow is `ERR invalid cursor`.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::err("invalid cursor");
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    if text.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let v: u64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid)?;
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// True when `key` passes the MATCH pattern.
pub fn matches(pattern: Option<&[u8]>, key: &[u8]) -> bool {
    pattern.is_none_or(|p| crate::glob::matches(p, key, false))
}

/// The work allowance of one SCAN call, as Redis's `scanGenericCommand`:
/// stop once `count` elements were collected or `count * 10` buckets were
/// visited. Shared by consecutive [`walk_budget`] calls (the keyspace SCAN
/// walks several shards on one budget).
#[derive(Debug)]
pub struct Budget {
    count: usize,
    found: usize,
    buckets: usize,
}

impl Budget {
    /// The allowance for a COUNT of `count`.
    pub fn new(count: usize) -> Budget {
        Budget {
            count,
            found: 0,
            buckets: count.saturating_mul(10),
        }
    }

    /// True once the call has done its share of work.
    pub fn spent(&self) -> bool {
        self.found >= self.count || self.buckets == 0
    }
}

/// Walks `dict` from `cursor` like Redis's `scanGenericCommand`: visit
/// buckets until `count` elements were collected or `count * 10` buckets
/// were visited; returns the next cursor. `emit` gets every element of each
/// visited bucket (filtering by pattern is the caller's job, done after the
/// walk as Redis does).
pub fn walk<V>(dict: &Dict<V>, cursor: u64, count: usize, mut emit: impl FnMut(&[u8], &V)) -> u64 {
    walk_budget(cursor, &mut Budget::new(count), |cursor, found| {
        dict.scan(cursor, |k, v| {
            *found += 1;
            emit(k, v);
        })
    })
}

/// [`walk`] on a shared [`Budget`] over any table: `scan(cursor, found)`
/// visits one bucket (adding the elements it emits to `found`) and returns
/// the next cursor. Returns the next cursor, 0 when the table was walked to
/// its end (with budget possibly left).
pub fn walk_budget(
    cursor: u64,
    budget: &mut Budget,
    mut scan: impl FnMut(u64, &mut usize) -> u64,
) -> u64 {
    let mut cursor = cursor;
    loop {
        cursor = scan(cursor, &mut budget.found);
        budget.buckets = budget.buckets.saturating_sub(1);
        if cursor == 0 || budget.spent() {
            return cursor;
        }
    }
}

/// The SCAN reply: `[cursor, [items...]]`.
pub fn reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(cursor.to_string().into_bytes()),
        Reply::Array(items),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+12"), Ok(12));
        assert_eq!(parse_cursor(b"00012"), Ok(12));
        assert_eq!(parse_cursor(b"-0"), Ok(0));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Ok(1));
        for bad in [
            &b"18446744073709551616"[..],
            b"-",
            b"+",
            b" 1",
            b"1 ",
            b"0x10",
            b"-+1",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
