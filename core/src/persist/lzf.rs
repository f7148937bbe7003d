//! LZF, the compression of RDB strings: liblzf 3.6 as redis-server 7.0
//! runs it (`HLOG 16`, `VERY_FAST`, the shift-based hash). The compressor
//! follows it step by step, so a value compresses to the bytes Redis
//! writes for it: checked against redis-server on hundreds of inputs.
//! liblzf's hash table starts uninitialised, so Redis can now and then
//! find an extra match left from an earlier call; ours starts empty (the
//! reference behaviour). Any LZF stream decompresses anywhere.
//!
//! Stream format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a
//! back reference of L+2 bytes at distance o+1; `111ooooo LLLLLLLL
//! oooooooo` one of L+9 bytes.

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// A reusable compressor. liblzf's hash table (64 Ki slots) is too big to
/// clear for every short string, so each slot holds `base + position` and
/// a call counts only slots above its own `base` (older ones read as empty).
#[derive(Debug)]
pub struct Compressor {
    table: Box<[u64]>,
    base: u64,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor {
            table: vec![0; HSIZE].into_boxed_slice(),
            base: 0,
        }
    }
}

#[inline]
fn first(input: &[u8], p: usize) -> u32 {
    (u32::from(input[p]) << 8) | u32::from(input[p + 1])
}

#[inline]
fn next(h: u32, input: &[u8], p: usize) -> u32 {
    (h << 8) | u32::from(input[p + 2])
}

#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

impl Compressor {
    /// Compresses `input` into at most `max_out` bytes (liblzf's
    /// `lzf_compress`); `None` when it does not fit.
    pub fn compress(&mut self, input: &[u8], max_out: usize) -> Option<Vec<u8>> {
        // liblzf may store one byte past the limit (a run header it then
        // drops); Redis gives it `max_out + 1` bytes, so do we.
        let mut out = vec![0u8; max_out + 1];
        let n = self.compress_into(input, &mut out, max_out);
        self.base += input.len() as u64 + 1;
        (n > 0).then(|| {
            out.truncate(n);
            out
        })
    }

    /// The looked-up position of slot `slot`, if set during this call; the
    /// slot then holds `ip`.
    #[inline]
    fn swap(&mut self, slot: usize, ip: usize) -> Option<usize> {
        let old = self.table[slot];
        self.table[slot] = self.base + ip as u64;
        (old > self.base).then(|| (old - self.base) as usize)
    }

    /// liblzf's loop, limited to `out_len` bytes of output in `out`
    /// (which has one more byte of room).
    fn compress_into(&mut self, input: &[u8], out: &mut [u8], out_len: usize) -> usize {
        let in_len = input.len();
        if in_len == 0 || out_len == 0 {
            return 0;
        }
        let mut lit: usize = 0;
        let mut op: usize = 1; // start run
        let mut ip: usize = 0;
        let mut hval = if in_len >= 2 { first(input, 0) } else { 0 };
        while ip + 2 < in_len {
            hval = next(hval, input, ip);
            let found = self.swap(idx(hval), ip);
            let matched = found.filter(|&r| {
                r < ip && ip - r - 1 < MAX_OFF && input[r..r + 3] == input[ip..ip + 3]
            });
            if let Some(r) = matched {
                let off = ip - r - 1;
                let maxlen = (in_len - ip - 2).min(MAX_REF);
                if op - usize::from(lit == 0) + 3 + 1 >= out_len {
                    return 0;
                }
                out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
                op -= usize::from(lit == 0); // undo run if length is zero
                let mut len = match_len(input, r, ip, maxlen);
                len -= 2; // now #octets - 1
                ip += 1;
                if len < 7 {
                    out[op] = ((off >> 8) + (len << 5)) as u8;
                    op += 1;
                } else {
                    out[op] = ((off >> 8) + (7 << 5)) as u8;
                    out[op + 1] = (len - 7) as u8;
                    op += 2;
                }
                out[op] = off as u8;
                op += 2; // the offset byte, then start a run
                lit = 0;
                ip += len + 1;
                if ip + 2 >= in_len {
                    break;
                }
                // VERY_FAST: hash the two positions before the new `ip`.
                ip -= 2;
                hval = first(input, ip);
                for _ in 0..2 {
                    hval = next(hval, input, ip);
                    self.table[idx(hval)] = self.base + ip as u64;
                    ip += 1;
                }
            } else {
                if op >= out_len {
                    return 0;
                }
                out[op] = input[ip];
                (lit, op, ip) = (lit + 1, op + 1, ip + 1);
                if lit == MAX_LIT {
                    out[op - lit - 1] = (lit - 1) as u8;
                    lit = 0;
                    op += 1;
                }
            }
        }
        if op + 3 > out_len {
            return 0;
        }
        while ip < in_len {
            out[op] = input[ip];
            (lit, op, ip) = (lit + 1, op + 1, ip + 1);
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
        out[op - lit - 1] = (lit as u8).wrapping_sub(1); // end run
        op - usize::from(lit == 0)
    }
}

/// liblzf's match extension: bytes 0..3 are known equal; an unrolled block
/// of 16 compares (taken when more than 16 bytes may follow, and able to
/// run up to two bytes past `maxlen`, still inside the input), then one
/// compare at a time. Returns the number of equal bytes.
fn match_len(input: &[u8], r: usize, ip: usize, maxlen: usize) -> usize {
    let mut len = 2;
    if maxlen > 16 {
        for _ in 0..16 {
            len += 1;
            if input[r + len] != input[ip + len] {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if !(len < maxlen && input[r + len] == input[ip + len]) {
            return len;
        }
    }
}

thread_local! {
    static COMPRESSOR: RefCell<Compressor> = RefCell::new(Compressor::default());
}

/// Compresses `input` into at most `max_out` bytes with this thread's
/// compressor; `None` when it does not fit.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    COMPRESSOR.with(|c| c.borrow_mut().compress(input, max_out))
}

/// Decompresses `input`, which must expand to exactly `len` bytes.
pub fn decompress(input: &[u8], len: usize) -> Result<Vec<u8>, &'static str> {
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lits = input
                .get(ip..ip + n)
                .ok_or("LZF literal run past the end of the data")?;
            if out.len() + n > len {
                return Err("LZF data expands past its stated length");
            }
            out.extend_from_slice(lits);
            ip += n;
            continue;
        }
        let mut n = ctrl >> 5;
        if n == 7 {
            n += usize::from(*input.get(ip).ok_or("LZF back reference cut short")?);
            ip += 1;
        }
        let low = usize::from(*input.get(ip).ok_or("LZF back reference cut short")?);
        ip += 1;
        let back = ((ctrl & 0x1f) << 8) + low + 1;
        if back > out.len() {
            return Err("LZF back reference before the start of the data");
        }
        n += 2;
        if out.len() + n > len {
            return Err("LZF data expands past its stated length");
        }
        let from = out.len() - back;
        for i in 0..n {
            out.push(out[from + i]);
        }
    }
    if out.len() != len {
        return Err("LZF data expands to less than its stated length");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn round_trip(data: &[u8]) {
        let max = data.len().saturating_sub(4);
        if let Some(c) = compress(data, max) {
            assert!(c.len() <= max);
            assert_eq!(decompress(&c, data.len()).unwrap(), data);
        }
        // With room to spare every input compresses (possibly larger).
        let c = compress(data, data.len() * 2 + 16).unwrap_or_default();
        if !data.is_empty() {
            assert_eq!(decompress(&c, data.len()).unwrap(), data);
        }
    }

    #[test]
    fn round_trips_text_runs_and_noise() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"ab");
        round_trip(b"abcabcabcabcabcabcabcabcabcabcabc");
        round_trip(&[b'x'; 100_000]);
        let text: Vec<u8> = (0..5000)
            .flat_map(|i| format!("field:{i}:value:{}", i * 7).into_bytes())
            .collect();
        round_trip(&text);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for len in [1usize, 2, 3, 5, 17, 18, 19, 20, 21, 33, 300, 9000] {
            let noise: Vec<u8> = (0..len).map(|_| rng.random_range(0..4u8)).collect();
            round_trip(&noise);
            let noise: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            round_trip(&noise);
        }
    }

    #[test]
    fn repetitive_data_shrinks() {
        let c = compress(&[b'a'; 1000], 996).unwrap();
        assert!(c.len() < 30, "{}", c.len());
    }

    #[test]
    fn bad_streams_are_errors() {
        assert!(decompress(&[5, b'a'], 6).is_err(), "literal past end");
        assert!(
            decompress(&[0, b'a', 0x20, 5], 10).is_err(),
            "reference before start"
        );
        assert!(decompress(&[0, b'a'], 2).is_err(), "too short");
        assert!(decompress(&[1, b'a', b'b'], 1).is_err(), "too long");
        assert!(decompress(&[0xe0], 10).is_err(), "cut reference");
    }
}
