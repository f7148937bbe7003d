//! Numbers as the text redis-py sends for them, formatted in place (no
//! Python call, no allocation): `int` as its decimal digits, `float` as
//! Python's `repr()`: the shortest digits that read back to the same
//! double, in positional notation unless the decimal exponent is below -4
//! or at least 16 (`1e-05`, `0.0001`, `1e+16`, `1000000000000000.0`),
//! `inf`, `-inf` and `nan` (never `-nan`), and `.0` after a whole number.

use std::fmt::Write;

/// A number's text. The longest is a float's repr, 24 bytes
/// (`-2.2250738585072014e-308`); an `i64` takes 20.
pub(crate) struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl Digits {
    fn new() -> Digits {
        Digits {
            buf: [0; 32],
            len: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// `n` in decimal (what `repr(int)` gives).
    pub fn int(n: i64) -> Digits {
        let mut d = Digits::new();
        write!(d, "{n}").expect("an i64 fits");
        d
    }

    /// `repr(x)` of a Python float `x`.
    pub fn float(x: f64) -> Digits {
        let mut d = Digits::new();
        if x.is_nan() {
            d.push(b"nan");
            return d;
        }
        if x.is_sign_negative() {
            d.push(b"-");
        }
        let x = x.abs();
        if x.is_infinite() {
            d.push(b"inf");
            return d;
        }
        let (digits, exp) = few_decimals(x).unwrap_or_else(|| {
            let (mut digits, exp) = scientific(x, None);
            if digits.len >= 15 {
                round_half_even(x, &mut digits, exp);
            }
            (digits, exp)
        });
        d.layout(digits.as_bytes(), exp);
        d
    }

    /// Lays out the significant `digits` (the first before the point) of a
    /// number times `10^exp` as Python's `float_repr_style = 'short'` does.
    fn layout(&mut self, digits: &[u8], exp: i32) {
        // Python's `decpt`: the point's position relative to the digits.
        let decpt = exp + 1;
        if !(-4 < decpt && decpt <= 16) {
            self.push(&digits[..1]);
            if digits.len() > 1 {
                self.push(b".");
                self.push(&digits[1..]);
            }
            write!(self, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
                .expect("an exponent fits");
        } else if decpt <= 0 {
            self.push(b"0.");
            for _ in decpt..0 {
                self.push(b"0");
            }
            self.push(digits);
        } else {
            let point = decpt as usize;
            if point >= digits.len() {
                self.push(digits);
                for _ in digits.len()..point {
                    self.push(b"0");
                }
                self.push(b".0");
            } else {
                self.push(&digits[..point]);
                self.push(b".");
                self.push(&digits[point..]);
            }
        }
    }
}

/// The fast path of [`Digits::float`] for the usual scores and values
/// (`1.5`, `0.25`, `100.0`): the first `k` for which `x` (finite, not
/// negative) rounded to `k` decimals reads back as `x`, found with double
/// arithmetic alone. It is Python's answer while `x * 10^k` stays under
/// 2^50: the error of the scaled product is then under 1/3 of a unit, so
/// a rounding interval holds at most one `k`-decimal number and the
/// product rounds to it; the first `k` that has one gives the fewest
/// digits. `None` past that bound (the general path decides).
fn few_decimals(x: f64) -> Option<(Digits, i32)> {
    const LIMIT: f64 = (1u64 << 50) as f64;
    let mut scale = 1.0;
    for k in 0..=17 {
        let t = x * scale;
        if t >= LIMIT {
            return None;
        }
        let m = t.round();
        // `m` and `scale` are exact, so the division rounds correctly: it
        // is what parsing `m` with `k` decimals gives.
        if m / scale == x {
            let mut digits = Digits::int(m as i64);
            let exp = digits.len as i32 - 1 - k;
            while digits.len > 1 && digits.buf[digits.len - 1] == b'0' {
                digits.len -= 1;
            }
            return Some((digits, exp));
        }
        scale *= 10.0;
    }
    None
}

/// The significant digits of `x` (finite, not negative) and the decimal
/// exponent of the first: the shortest that read back to `x`, or the first
/// `precision` + 1 digits, correctly rounded.
fn scientific(x: f64, precision: Option<usize>) -> (Digits, i32) {
    let mut text = Digits::new();
    match precision {
        None => write!(text, "{x:e}"),
        Some(p) => write!(text, "{x:.p$e}"),
    }
    .expect("a float's digits fit");
    let text = text.as_bytes();
    let e = text.iter().position(|&c| c == b'e').expect("{:e} has an e");
    let exp = std::str::from_utf8(&text[e + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("{:e} has a decimal exponent");
    let mut digits = Digits::new();
    for &c in text[..e].iter().filter(|c| c.is_ascii_digit()) {
        digits.push(&[c]);
    }
    (digits, exp)
}

/// Where `x` lies exactly halfway between two shortest candidates, Rust
/// rounds the last digit up; Python's `dtoa` takes the even one (when it
/// also reads back to `x`). A tie needs `x` to have exactly one digit more
/// than the shortest form, which only happens for 15 digits or more.
fn round_half_even(x: f64, digits: &mut Digits, exp: i32) {
    let n = digits.len;
    let tie = |digits: &[u8]| digits[n] == b'5' && digits[n + 1..].iter().all(|&c| c == b'0');
    // A cheap test first (20 digits: a tie shows as `5` then zeros, but so
    // may a number rounded to them), then the exact expansion (a double
    // has at most 767 significant digits) for the rare candidates.
    let (near, near_exp) = scientific(x, Some(19));
    if near_exp != exp || !tie(near.as_bytes()) {
        return;
    }
    let exact = format!("{x:.780e}");
    let exact: Vec<u8> = exact
        .bytes()
        .take_while(|&c| c != b'e')
        .filter(u8::is_ascii_digit)
        .collect();
    if !tie(&exact) {
        return;
    }
    let mut even = Digits::new();
    even.push(&exact[..n]);
    if (exact[n - 1] - b'0') % 2 == 1 {
        // Round up, carrying through nines (past the first digit the
        // exponent would change: no tie worth taking then).
        let mut i = n;
        loop {
            if i == 0 {
                return;
            }
            i -= 1;
            if even.buf[i] == b'9' {
                even.buf[i] = b'0';
            } else {
                even.buf[i] += 1;
                break;
            }
        }
    }
    if even.as_bytes() == digits.as_bytes() {
        return;
    }
    let mut text = Digits::new();
    text.push(&even.as_bytes()[..1]);
    text.push(b".");
    text.push(&even.as_bytes()[1..]);
    write!(text, "e{exp}").expect("an exponent fits");
    let back = std::str::from_utf8(text.as_bytes())
        .ok()
        .and_then(|s| s.parse::<f64>().ok());
    if back == Some(x) {
        *digits = even;
    }
}

impl Write for Digits {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.push(s.as_bytes());
        Ok(())
    }
}
