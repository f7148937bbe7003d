//! Bit-level primitives behind the bitmap commands, in Redis's bit order:
//! bit 0 is the most significant bit of byte 0, so a bitmap reads left to
//! right like a big-endian number. Overflow handling follows Redis's
//! `bitops.c` exactly, since BITFIELD replies expose it.

/// Number of set bits in `s`.
pub fn popcount(s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        let w = u64::from_ne_bytes(c.try_into().expect("chunk of 8"));
        n += u64::from(w.count_ones());
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum::<u64>()
}

/// Position of the first bit equal to `bit` in `s` (Redis's `redisBitpos`).
/// When looking for a 1 and there is none, -1; when looking for a 0 and
/// there is none, `s.len() * 8`, as the string is taken as zero-padded on
/// the right.
pub fn first_bit(s: &[u8], bit: bool) -> i64 {
    let skip: u8 = if bit { 0 } else { 0xff };
    let word_skip = u64::from_ne_bytes([skip; 8]);
    let mut start = 0;
    // Skip whole words of the uninteresting value first.
    for c in s.chunks_exact(8) {
        if u64::from_ne_bytes(c.try_into().expect("chunk of 8")) != word_skip {
            break;
        }
        start += 8;
    }
    match s[start..].iter().position(|&b| b != skip) {
        Some(i) => {
            let b = s[start + i];
            let b = if bit { b } else { !b };
            ((start + i) * 8) as i64 + i64::from(b.leading_zeros())
        }
        None if bit => -1,
        None => (s.len() * 8) as i64,
    }
}

/// The byte window `[offset / 8 ..= (offset + bits - 1) / 8]` of a field, as
/// (first byte, byte count, left shift of the field inside a 128-bit word
/// holding the window left-aligned).
fn window(offset: u64, bits: u32) -> (usize, usize, u32) {
    let first = (offset >> 3) as usize;
    let last = ((offset + u64::from(bits) - 1) >> 3) as usize;
    let shift = 128 - (offset & 7) as u32 - bits;
    (first, last - first + 1, shift)
}

/// The unsigned `bits`-wide field (1..=64) at bit `offset`; bytes past the
/// end of `s` read as zero.
pub fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    let (first, n, shift) = window(offset, bits);
    let mut buf = [0u8; 16];
    if first < s.len() {
        let avail = (s.len() - first).min(n);
        buf[..avail].copy_from_slice(&s[first..first + avail]);
    }
    let w = u128::from_be_bytes(buf);
    ((w >> shift) & mask(bits)) as u64
}

/// The signed (two's complement) `bits`-wide field at bit `offset`.
pub fn get_signed(s: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(s, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Writes the low `bits` bits of `value` at bit `offset`. `s` must already
/// cover the field (the callers grow the string first).
pub fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    let (first, n, shift) = window(offset, bits);
    let mut buf = [0u8; 16];
    buf[..n].copy_from_slice(&s[first..first + n]);
    let w = u128::from_be_bytes(buf);
    let m = mask(bits) << shift;
    let w = (w & !m) | ((u128::from(value) << shift) & m);
    s[first..first + n].copy_from_slice(&w.to_be_bytes()[..n]);
}

fn mask(bits: u32) -> u128 {
    (1u128 << bits) - 1
}

/// BITFIELD's OVERFLOW behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Wrap around (modular arithmetic; signed values wrap to the negative end).
    Wrap,
    /// Saturate at the type's minimum or maximum.
    Sat,
    /// Refuse the operation (the reply is nil).
    Fail,
}

/// Adds `incr` to the unsigned `value` in a `bits`-wide field (`bits` ≤ 63).
/// Returns the value to store and whether it overflowed; for
/// [`Overflow::Fail`] an overflowed result must not be stored.
/// (Redis's `checkUnsignedBitfieldOverflow`; SET checks with `incr` 0.)
pub fn add_unsigned(value: u64, incr: i64, bits: u32, ow: Overflow) -> (u64, bool) {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrapped = value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > maxincr) {
        let v = match ow {
            Overflow::Wrap => wrapped,
            Overflow::Sat => max,
            Overflow::Fail => value,
        };
        (v, true)
    } else if incr < 0 && incr < minincr {
        let v = match ow {
            Overflow::Wrap => wrapped,
            Overflow::Sat => 0,
            Overflow::Fail => value,
        };
        (v, true)
    } else {
        (value.wrapping_add(incr as u64), false)
    }
}

/// Adds `incr` to the signed `value` in a `bits`-wide field (`bits` ≤ 64);
/// as [`add_unsigned`] (Redis's `checkSignedBitfieldOverflow`).
pub fn add_signed(value: i64, incr: i64, bits: u32, ow: Overflow) -> (i64, bool) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    // These may wrap, but are only used once `value` is known to be in range.
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wide = bits != 64;
    let over =
        value > max || (wide && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr);
    let under =
        value < min || (wide && incr < minincr) || (value < 0 && incr < 0 && incr < minincr);
    let limit = if over { max } else { min };
    if !over && !under {
        return (value.wrapping_add(incr), false);
    }
    let v = match ow {
        Overflow::Wrap => wrap_signed(value, incr, bits),
        Overflow::Sat => limit,
        Overflow::Fail => value,
    };
    (v, true)
}

/// `value + incr` wrapped into a signed `bits`-wide field: the sum's sign bit
/// is propagated to the higher bits.
fn wrap_signed(value: i64, incr: i64, bits: u32) -> i64 {
    let c = (value as u64).wrapping_add(incr as u64);
    if bits == 64 {
        return c as i64;
    }
    let high = u64::MAX << bits;
    if c & (1 << (bits - 1)) != 0 {
        (c | high) as i64
    } else {
        (c & !high) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_and_first_bit() {
        let s = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
        assert_eq!(popcount(&s), 1);
        assert_eq!(popcount(&[0xff; 19]), 152);
        assert_eq!(first_bit(&s, true), 9 * 8 + 3);
        assert_eq!(first_bit(&s, false), 0);
        assert_eq!(first_bit(&[0xff; 9], false), 72);
        assert_eq!(first_bit(&[0; 9], true), -1);
        assert_eq!(first_bit(&[], false), 0);
        assert_eq!(first_bit(&[0xff, 0xfe], false), 15);
    }

    #[test]
    fn fields_read_and_write_big_endian_bits() {
        // Redis's example: u5 value 23 at offset 7 -> 00000001|01110000.
        let mut s = [0u8; 2];
        set_field(&mut s, 7, 5, 23);
        assert_eq!(s, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned(&s, 7, 5), 23);
        assert_eq!(get_signed(&s, 7, 5), 23 - 32);
        let mut s = [0u8; 9];
        set_field(&mut s, 3, 64, u64::MAX);
        assert_eq!(get_signed(&s, 3, 64), -1);
        assert_eq!(s[0], 0x1f);
        assert_eq!(s[8], 0xe0);
        assert_eq!(
            get_unsigned(&[0xab], 4, 8),
            0xb0,
            "zero padded past the end"
        );
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Wrap), (4, true));
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Sat), (255, true));
        assert_eq!(add_unsigned(5, -10, 8, Overflow::Sat), (0, true));
        assert_eq!(add_unsigned(5, -10, 8, Overflow::Wrap), (251, true));
        assert_eq!(add_unsigned(5, 1, 8, Overflow::Fail), (6, false));
        assert_eq!(add_signed(127, 1, 8, Overflow::Wrap), (-128, true));
        assert_eq!(add_signed(-128, -1, 8, Overflow::Sat), (-128, true));
        assert_eq!(
            add_signed(i64::MAX, 1, 64, Overflow::Wrap),
            (i64::MIN, true)
        );
        assert_eq!(add_signed(i64::MAX, 1, 64, Overflow::Sat), (i64::MAX, true));
        assert_eq!(
            add_signed(i64::MIN, -1, 64, Overflow::Sat),
            (i64::MIN, true)
        );
        assert_eq!(add_signed(-5, 3, 64, Overflow::Fail), (-2, false));
        // SET checks the new value with a zero increment.
        assert_eq!(add_signed(300, 0, 8, Overflow::Wrap), (44, true));
        assert_eq!(add_unsigned(u64::MAX, 0, 8, Overflow::Sat), (255, true));
    }
}
