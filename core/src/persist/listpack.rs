//! Listpacks, the compact encoding Redis 7.0 uses for small hashes, sorted
//! sets and the nodes of lists, as bytes: a header (total bytes `u32`,
//! element count `u16`, both little endian), the entries, and `0xFF`.
//! Each entry is an encoding byte (with the length or a small integer in
//! it), the data, and its own length written backwards (so it can be walked
//! from the end). Strings that read as integers are stored as integers in
//! the smallest of 7, 13, 16, 24, 32 or 64 bits, as `lpAppend` does.

use crate::num::parse_i64;

/// Size of the header.
const HEADER: usize = 6;
/// The terminator byte.
const END: u8 = 0xFF;
/// Header count meaning "too many to count here" (Redis's `LP_HDR_NUMELE_UNKNOWN`).
const COUNT_UNKNOWN: u16 = u16::MAX;

/// One element read back: listpacks keep integers as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    /// A string.
    Str(&'a [u8]),
    /// An integer (a string that read as one when it was added).
    Int(i64),
}

impl Elem<'_> {
    /// The element as the bytes a client sees.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Elem::Str(s) => s.to_vec(),
            Elem::Int(i) => i.to_string().into_bytes(),
        }
    }
}

/// Builds a listpack by appending at the tail.
#[derive(Debug, Clone)]
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Builder {
    fn default() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HEADER]);
        Builder { buf, count: 0 }
    }
}

impl Builder {
    /// Size in bytes the finished listpack would have now.
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Elements appended.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends `ele` (as an integer when it reads as one).
    pub fn push(&mut self, ele: &[u8]) {
        let start = self.buf.len();
        match parse_i64(ele) {
            Some(v) => encode_int(&mut self.buf, v),
            None => encode_str(&mut self.buf, ele),
        }
        let entry = self.buf.len() - start;
        push_backlen(&mut self.buf, entry);
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(END);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count).unwrap_or(COUNT_UNKNOWN);
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

fn encode_int(buf: &mut Vec<u8>, v: i64) {
    if (0..=127).contains(&v) {
        buf.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = (v as u64) & 0x1fff;
        buf.extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
    } else if i16::try_from(v).is_ok() {
        buf.push(0xF1);
        buf.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
        buf.push(0xF2);
        buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if i32::try_from(v).is_ok() {
        buf.push(0xF3);
        buf.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        buf.push(0xF4);
        buf.extend_from_slice(&v.to_le_bytes());
    }
}

fn encode_str(buf: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if n < 64 {
        buf.push(0x80 | n as u8);
    } else if n < 4096 {
        buf.extend_from_slice(&[0xE0 | (n >> 8) as u8, n as u8]);
    } else {
        buf.push(0xF0);
        buf.extend_from_slice(&(n as u32).to_le_bytes());
    }
    buf.extend_from_slice(s);
}

/// Writes an entry's length backwards, 7 bits a byte (Redis's `lpEncodeBacklen`).
fn push_backlen(buf: &mut Vec<u8>, l: usize) {
    let l = l as u64;
    let n = match l {
        0..=127 => 1,
        128..16383 => 2,
        16383..2097151 => 3,
        2097151..268435455 => 4,
        _ => 5,
    };
    for i in (0..n).rev() {
        let byte = ((l >> (7 * i)) & 127) as u8;
        buf.push(if i == n - 1 { byte } else { byte | 128 });
    }
}

/// Reads every element of the listpack `lp`, checking its structure: the
/// header's size and count, every entry inside the blob with a matching
/// back-length, and the terminator.
pub fn read(lp: &[u8]) -> Result<Vec<Elem<'_>>, String> {
    if lp.len() < HEADER + 1 {
        return Err(format!("listpack of {} bytes is too short", lp.len()));
    }
    let total = u32::from_le_bytes(lp[0..4].try_into().expect("4 bytes")) as usize;
    if total != lp.len() {
        return Err(format!(
            "listpack header says {total} bytes, blob has {}",
            lp.len()
        ));
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    let body = &lp[..lp.len() - 1];
    if lp[lp.len() - 1] != END {
        return Err("listpack does not end with 0xFF".into());
    }
    let mut out = Vec::with_capacity(usize::from(count).min(body.len()));
    let mut p = HEADER;
    while p < body.len() {
        let (elem, size) = entry_at(body, p)?;
        let mut want = Vec::with_capacity(5);
        push_backlen(&mut want, size);
        if body.get(p + size..p + size + want.len()) != Some(&want[..]) {
            return Err(format!("listpack entry at {p}: bad back-length"));
        }
        out.push(elem);
        p += size + want.len();
    }
    if count != COUNT_UNKNOWN && usize::from(count) != out.len() {
        return Err(format!(
            "listpack header counts {count} elements, found {}",
            out.len()
        ));
    }
    Ok(out)
}

/// The entry at `p` (without its back-length) and its size.
fn entry_at(b: &[u8], p: usize) -> Result<(Elem<'_>, usize), String> {
    let get = |from: usize, n: usize| -> Result<&[u8], String> {
        b.get(from..from + n)
            .ok_or_else(|| format!("listpack entry at {p} runs past the end"))
    };
    let e = b[p];
    let le = |bytes: &[u8]| {
        let mut v = [0u8; 8];
        v[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(v)
    };
    // Sign-extends the low `bits` of `u`.
    let signed = |u: u64, bits: u32| ((u << (64 - bits)) as i64) >> (64 - bits);
    Ok(match e {
        0x00..=0x7F => (Elem::Int(i64::from(e)), 1),
        0x80..=0xBF => {
            let n = usize::from(e & 0x3F);
            (Elem::Str(get(p + 1, n)?), 1 + n)
        }
        0xC0..=0xDF => {
            let lo = get(p + 1, 1)?[0];
            let u = (u64::from(e & 0x1F) << 8) | u64::from(lo);
            (Elem::Int(signed(u, 13)), 2)
        }
        0xE0..=0xEF => {
            let lo = get(p + 1, 1)?[0];
            let n = (usize::from(e & 0x0F) << 8) | usize::from(lo);
            (Elem::Str(get(p + 2, n)?), 2 + n)
        }
        0xF0 => {
            let n = le(get(p + 1, 4)?) as usize;
            (Elem::Str(get(p + 5, n)?), 5 + n)
        }
        0xF1 => (Elem::Int(signed(le(get(p + 1, 2)?), 16)), 3),
        0xF2 => (Elem::Int(signed(le(get(p + 1, 3)?), 24)), 4),
        0xF3 => (Elem::Int(signed(le(get(p + 1, 4)?), 32)), 5),
        0xF4 => (Elem::Int(le(get(p + 1, 8)?) as i64), 9),
        _ => return Err(format!("listpack entry at {p}: bad encoding byte {e:#04x}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let items: Vec<Vec<u8>> = [
            &b"0"[..],
            b"127",
            b"128",
            b"-1",
            b"-4096",
            b"4095",
            b"4096",
            b"-32768",
            b"32767",
            b"8388607",
            b"-8388608",
            b"2147483647",
            b"-2147483648",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"",
            b"a",
            b"01",
            b"-0",
            &mid,
            &long,
        ]
        .iter()
        .map(|s| s.to_vec())
        .collect();
        let mut b = Builder::default();
        for it in &items {
            b.push(it);
        }
        assert_eq!(b.len(), items.len());
        let size = b.bytes();
        let lp = b.finish();
        assert_eq!(lp.len(), size);
        let back: Vec<Vec<u8>> = read(&lp).unwrap().into_iter().map(Elem::to_vec).collect();
        assert_eq!(back, items);
    }

    #[test]
    fn known_bytes() {
        // Redis: a listpack of "a" and 1.
        let mut b = Builder::default();
        b.push(b"a");
        b.push(b"1");
        assert_eq!(
            b.finish(),
            vec![12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0x01, 1, 0xFF]
        );
    }

    #[test]
    fn rejects_damage() {
        let mut b = Builder::default();
        b.push(b"hello");
        b.push(b"1000");
        let lp = b.finish();
        for cut in 0..lp.len() {
            assert!(read(&lp[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = lp.clone();
        bad[5] = 9;
        assert!(read(&bad).is_err(), "count");
        let mut bad = lp.clone();
        bad[6] = 0x85 + 10;
        assert!(read(&bad).is_err(), "length");
    }
}
