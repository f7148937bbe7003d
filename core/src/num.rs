//! Number parsing and formatting exactly as Redis does it: `string2ll` for
//! integers, `strtod` with Redis's checks for doubles, `%.17g` for double
//! replies, and C `long double` for INCRBYFLOAT (through `native/ldouble.c`).

use std::ffi::{c_char, c_int};

unsafe extern "C" {
    fn kvstore_ld_incr(
        cur: *const c_char,
        curlen: usize,
        incr: *const c_char,
        incrlen: usize,
        out: *mut c_char,
        outlen: usize,
    ) -> c_int;
    fn kvstore_ld_millis(s: *const c_char, len: usize, out: *mut i64) -> c_int;
}

/// Parses a signed 64-bit integer with Redis's `string2ll` rules: optional
/// `-`, no `+`, no leading zeros, no spaces, no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Parses a double as Redis's `getDoubleFromObject` does (C `strtod`, so hex
/// floats and `inf` are accepted): no leading space, the whole input must be
/// consumed, no NaN, no overflow to infinity, no underflow to zero.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s.len() > 4096 {
        return None;
    }
    plain_decimal(s).or_else(|| strtod_whole(s))
}

/// The fast path of [`parse_f64`]: plain decimal text (digits, sign,
/// point, exponent: no hex, `inf` or `nan`) through Rust's parser. On that
/// alphabet Rust accepts exactly what `strtod` consumes whole, and both
/// round correctly, so the value is the same; `None` (then `strtod`
/// decides) for anything else, and for the range errors `strtod` reports.
fn plain_decimal(s: &[u8]) -> Option<f64> {
    if !s
        .iter()
        .all(|&c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    // Overflow to infinity, or a non-zero number rounded to zero: strtod's
    // ERANGE cases, which Redis refuses (the fallback says so).
    let mantissa = s
        .split(|&c| c == b'e' || c == b'E')
        .next()
        .unwrap_or_default();
    let underflow = v == 0.0 && mantissa.iter().any(|&c| (b'1'..=b'9').contains(&c));
    (v.is_finite() && !underflow).then_some(v)
}

/// `strtod` over all of `s` with Redis's checks (see [`parse_f64`]).
fn strtod_whole(s: &[u8]) -> Option<f64> {
    let mut buf = Vec::with_capacity(s.len() + 1);
    buf.extend_from_slice(s);
    buf.push(0);
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; errno is thread-local.
    let (value, errno) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr().cast(), &mut end);
        (v, *libc::__errno_location())
    };
    let consumed = end as usize - buf.as_ptr() as usize;
    if consumed != s.len()
        || value.is_nan()
        || (errno == libc::ERANGE && (value.is_infinite() || value == 0.0))
    {
        return None;
    }
    Some(value)
}

/// Seconds read as a C `long double` (Redis's `string2ld`: hex and `inf`
/// accepted, no spaces, no NaN) and turned into milliseconds as Redis's
/// `(long long)ceill(seconds * 1000.0)`, with `i64::MIN` where that cast
/// is out of range; `None` when the text is not a number.
pub fn seconds_to_millis(s: &[u8]) -> Option<i64> {
    let mut out = 0i64;
    // SAFETY: `s` is valid for `s.len()` bytes (the C side copies at most
    // that many, NUL-terminating its own buffer); `out` is a valid pointer.
    let ok = unsafe { kvstore_ld_millis(s.as_ptr().cast(), s.len(), &mut out) };
    (ok == 1).then_some(out)
}

/// Parses a score-range bound as Redis's `zslParseRange` does: plain C
/// `strtod` over the text up to its first NUL byte, which must consume all
/// of it. Unlike [`parse_f64`] it accepts leading spaces, the empty string
/// (0), overflow to ±inf and underflow; only NaN is refused.
pub fn strtod_loose(s: &[u8]) -> Option<f64> {
    let (value, consumed, len) = strtod(s);
    (consumed == len && !value.is_nan()).then_some(value)
}

/// C's `strtod` over the text up to its first NUL byte, ignoring what
/// follows the number, as Redis reads DEBUG SLEEP's seconds: 0 when the
/// text does not start with one.
pub fn strtod_prefix(s: &[u8]) -> f64 {
    strtod(s).0
}

/// C's `strtod` over `s` up to its first NUL: (value, bytes consumed, bytes
/// of text).
fn strtod(s: &[u8]) -> (f64, usize, usize) {
    let text = s.split(|&b| b == 0).next().unwrap_or_default();
    let mut buf = Vec::with_capacity(text.len() + 1);
    buf.extend_from_slice(text);
    buf.push(0);
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call.
    let value = unsafe { libc::strtod(buf.as_ptr().cast(), &mut end) };
    (value, end as usize - buf.as_ptr() as usize, text.len())
}

/// Formats a double as C's `%.17g` (Redis 7.0's double replies), with
/// `inf`/`-inf` for infinities.
pub fn fmt_g17(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mut buf = [0u8; 64];
    // SAFETY: the buffer is large enough for any %.17g output and snprintf
    // NUL-terminates within its size.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), d) };
    String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned()
}

/// Formats a double as Redis's `d2string`: integral values inside ±2^52 as
/// integers, `-0`/`0`, `inf`/`-inf`/`nan`, anything else as `%.17g`.
pub fn d2string(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let min = -4503599627370495.0; // (2^52)-1
    let max = 4503599627370496.0; // 2^52
    if d > min && d < max && d == (d as i64) as f64 {
        return (d as i64).to_string();
    }
    fmt_g17(d)
}

/// Why a long-double increment failed.
#[derive(Debug, PartialEq, Eq)]
pub enum LdError {
    /// An input is not a valid float.
    NotFloat,
    /// The result is NaN or infinite.
    NanOrInf,
}

/// Adds `incr` to `cur` (absent means 0) in C `long double` and formats the
/// result as Redis's INCRBYFLOAT does (`%.17Lf`, trailing zeros removed).
pub fn ld_incr(cur: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, LdError> {
    let mut out = [0u8; 5200];
    let (cp, cl) = cur.map_or((std::ptr::null(), 0), |c| (c.as_ptr().cast(), c.len()));
    // SAFETY: pointers and lengths describe live slices; the C side never
    // writes past `out.len()`.
    let n = unsafe {
        kvstore_ld_incr(
            cp,
            cl,
            incr.as_ptr().cast(),
            incr.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match n {
        -2 => Err(LdError::NanOrInf),
        n if n <= 0 => Err(LdError::NotFloat),
        n => Ok(out[..n as usize].to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b"9223372036854775808"[..],
            b"-0",
            b"+1",
            b"01",
            b" 1",
            b"1 ",
            b"",
            b"-",
            b"1a",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn doubles_follow_strtod_with_redis_checks() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        for bad in [&b"nan"[..], b" 1", b"1 ", b"", b"1e400", b"abc", b"1\x002"] {
            assert_eq!(parse_f64(bad), None);
        }
        assert_eq!(strtod_loose(b""), Some(0.0));
        assert_eq!(strtod_loose(b" 1"), Some(1.0));
        assert_eq!(strtod_loose(b"1\x00junk"), Some(1.0));
        assert_eq!(strtod_loose(b"1e400"), Some(f64::INFINITY));
        assert_eq!(strtod_loose(b"nan"), None);
        assert_eq!(strtod_loose(b"1 "), None);
    }

    #[test]
    fn the_fast_path_agrees_with_strtod() {
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "+0",
            "1.",
            ".5",
            "-.5",
            "+.5e1",
            "1e",
            "1e+",
            "e5",
            ".",
            "-",
            "+",
            "1.5.2",
            "1e5e5",
            "--1",
            "+-1",
            "1-",
            "00012.50",
            "1E-3",
            "4.9e-324",
            "2e-324",
            "3e-324",
            "1e-400",
            "0e-400",
            "0.000e999999",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "1e309",
            "-1e309",
            "123456789012345678901234567890",
            "9007199254740993",
            "2.2250738585072011e-308",
            "0.1e-307",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let x = f64::from_bits(rng.random());
            cases.push(format!("{x:e}"));
            cases.push(format!("{:.*}", rng.random_range(0..25), x));
            let len = rng.random_range(1..12);
            cases.push(
                (0..len)
                    .map(|_| b"0123456789.eE+-"[rng.random_range(0..15)] as char)
                    .collect(),
            );
        }
        for c in &cases {
            let (fast, slow) = (parse_f64(c.as_bytes()), strtod_whole(c.as_bytes()));
            assert_eq!(fast.map(f64::to_bits), slow.map(f64::to_bits), "{c:?}");
        }
    }

    #[test]
    fn formatting_matches_c() {
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(1.0), "1");
        assert_eq!(fmt_g17(f64::INFINITY), "inf");
        assert_eq!(ld_incr(Some(b"0.1"), b"0.2").unwrap(), b"0.3");
        assert_eq!(ld_incr(None, b"10.5").unwrap(), b"10.5");
        assert_eq!(ld_incr(Some(b"5.0e3"), b"2.0e2").unwrap(), b"5200");
        assert_eq!(ld_incr(Some(b"abc"), b"1"), Err(LdError::NotFloat));
        assert_eq!(ld_incr(Some(b"1"), b"inf"), Err(LdError::NanOrInf));
    }
}
