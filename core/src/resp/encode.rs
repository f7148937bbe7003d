//! The RESP encoder. RESP2 clients get RESP3 types downgraded as Redis does.

use crate::Reply;
use crate::num::fmt_g17;

/// Appends `reply` to `out` in protocol `proto` (2 or 3).
pub fn encode(reply: &Reply, proto: u8, out: &mut Vec<u8>) {
    let resp3 = proto >= 3;
    match reply {
        Reply::Status(s) => line(out, b'+', s.as_bytes()),
        Reply::Error(s) => line(out, b'-', s.as_bytes()),
        Reply::Int(n) => {
            out.push(b':');
            push_int(out, *n);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Bulk(b) => bulk(out, b'$', b),
        Reply::Nil if resp3 => out.extend_from_slice(b"_\r\n"),
        Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
        Reply::NilArray if resp3 => out.extend_from_slice(b"_\r\n"),
        Reply::NilArray => out.extend_from_slice(b"*-1\r\n"),
        Reply::Array(items) => seq(out, b'*', items, proto),
        Reply::Set(items) => seq(out, if resp3 { b'~' } else { b'*' }, items, proto),
        Reply::Push(items) => seq(out, if resp3 { b'>' } else { b'*' }, items, proto),
        Reply::Map(pairs) => {
            if resp3 {
                header(out, b'%', pairs.len());
            } else {
                header(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                encode(k, proto, out);
                encode(v, proto, out);
            }
        }
        Reply::Double(d) => {
            let s = fmt_g17(*d);
            if resp3 {
                line(out, b',', s.as_bytes());
            } else {
                bulk(out, b'$', s.as_bytes());
            }
        }
        Reply::Bool(b) if resp3 => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Reply::Bool(b) => out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
        Reply::Verbatim(fmt, body) if resp3 => {
            let mut v = Vec::with_capacity(body.len() + 4);
            v.extend_from_slice(fmt.as_bytes());
            v.push(b':');
            v.extend_from_slice(body);
            bulk(out, b'=', &v);
        }
        Reply::Verbatim(_, body) => bulk(out, b'$', body),
    }
}

/// Appends a command (an array of bulk strings) to `out`.
pub fn encode_command<A: AsRef<[u8]>>(argv: &[A], out: &mut Vec<u8>) {
    header(out, b'*', argv.len());
    for a in argv {
        bulk(out, b'$', a.as_ref());
    }
}

/// Appends the header of a command of `n` arguments (`*<n>\r\n`), for a
/// writer that appends the arguments one by one ([`encode_arg`]).
pub(crate) fn encode_command_head(out: &mut Vec<u8>, n: usize) {
    header(out, b'*', n);
}

/// Appends one argument of a command (`$<len>\r\n<arg>\r\n`).
pub(crate) fn encode_arg(out: &mut Vec<u8>, arg: &[u8]) {
    bulk(out, b'$', arg);
}

/// Appends the decimal digits of `n` (no allocation: replies are full of
/// lengths and integers).
fn push_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_digits(out, n.unsigned_abs());
}

/// Appends the digits of `v` byte by byte: copying a 1-3 byte slice with
/// `extend_from_slice` is a call to libc's memcpy, which was 15 % of the
/// server's time under LRANGE (two headers per element).
#[inline]
fn push_digits(out: &mut Vec<u8>, mut v: u64) {
    // Most lengths and counts have one or two digits.
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    if v < 100 {
        out.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
        return;
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while v > 0 {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.reserve(digits.len() - i);
    for &d in &digits[i..] {
        out.push(d);
    }
}

/// `<tag><len>\r\n`: an aggregate or bulk header.
#[inline]
fn header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    push_digits(out, len as u64);
    out.extend_from_slice(b"\r\n");
}

fn line(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    // One reservation for the whole element: header, body, CRLF.
    out.reserve(body.len() + 24);
    header(out, tag, body.len());
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn seq(out: &mut Vec<u8>, tag: u8, items: &[Reply], proto: u8) {
    header(out, tag, items.len());
    for item in items {
        encode(item, proto, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, proto: u8) -> String {
        let mut out = Vec::new();
        encode(r, proto, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn resp3_types_downgrade_to_resp2() {
        let m = Reply::Map(vec![(Reply::bulk(b"a"), Reply::Double(1.5))]);
        assert_eq!(enc(&m, 2), "*2\r\n$1\r\na\r\n$3\r\n1.5\r\n");
        assert_eq!(enc(&m, 3), "%1\r\n$1\r\na\r\n,1.5\r\n");
        assert_eq!(enc(&Reply::Bool(true), 2), ":1\r\n");
        assert_eq!(enc(&Reply::Int(i64::MIN), 2), ":-9223372036854775808\r\n");
        assert_eq!(enc(&Reply::Int(0), 2), ":0\r\n");
        assert_eq!(enc(&Reply::Int(-7), 3), ":-7\r\n");
        assert_eq!(enc(&Reply::Nil, 2), "$-1\r\n");
        assert_eq!(enc(&Reply::NilArray, 2), "*-1\r\n");
        assert_eq!(enc(&Reply::Nil, 3), "_\r\n");
        assert_eq!(
            enc(&Reply::Verbatim("txt", b"hi".to_vec()), 3),
            "=6\r\ntxt:hi\r\n"
        );
    }
}
