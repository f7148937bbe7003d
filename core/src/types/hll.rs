//! HyperLogLog, byte for byte as Redis 7.0 stores it (`hyperloglog.c`).
//!
//! An HLL is a plain string value: a 16-byte header (`"HYLL"`, an encoding
//! byte, three unused bytes, and the cached cardinality as a little-endian
//! u64 whose top bit marks it stale) followed by 16384 six-bit registers,
//! either *dense* (packed LSB first, 12288 bytes) or *sparse* (run-length
//! opcodes: `00xxxxxx` ZERO, `01xxxxxx yyyyyyyy` XZERO, `1vvvvvxx` VAL).
//!
//! Every function here works on the string itself, so a `GET` returns the
//! exact bytes Redis would hold after the same commands. The value may be any
//! user bytes (`SET k ...`): [`encoding`] checks the header (every other
//! function expects a string that passed it), and nothing trusts the
//! opcodes: an XZERO cut by the end reads the terminating zero byte of
//! Redis's sds strings, register runs that overflow are rejected (Redis
//! 7.0.15 as shipped with the CVE-2025-32023 fix), and no index leaves the
//! buffer.
//!
//! One divergence, on corrupted strings only: when PFADD splits an XZERO cut
//! by the end of the string, Redis's `memcpy` of the new opcodes writes one
//! byte past the new end, and later commands read that hidden byte where we
//! read the terminator (0). Valid HLLs never end with a cut opcode.

/// Header size: magic, encoding, 3 unused bytes, cached cardinality.
pub const HDR_SIZE: usize = 16;
/// Bits of the hash that select the register.
const P: u32 = 14;
/// Bits of the hash left for the run of zeros.
const Q: usize = 64 - P as usize;
/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Largest value a six-bit register holds.
const REGISTER_MAX: u8 = 63;
/// Length of a dense HLL string.
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * 6).div_ceil(8);
/// Encoding byte of the dense representation.
const DENSE: u8 = 0;
/// Encoding byte of the sparse representation.
const SPARSE: u8 = 1;
/// MurmurHash64A seed Redis uses for elements.
const HASH_SEED: u32 = 0xadc8_3b19;
/// Largest register value a VAL opcode can hold.
const VAL_MAX_VALUE: u8 = 32;
/// Longest run of a VAL opcode.
const VAL_MAX_LEN: usize = 4;
/// Longest run of a ZERO opcode.
const ZERO_MAX_LEN: usize = 64;
/// 0.5 / ln(2), the bias constant of Ertl's estimator.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The two representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 16384 packed six-bit registers.
    Dense,
    /// Run-length opcodes.
    Sparse,
}

/// Why an HLL operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// The string is not an HLL at all (bad magic, encoding or size).
    NotHll,
    /// The header is fine but the registers are corrupted.
    Corrupt,
}

/// Checks the header as Redis's `isHLLObjectOrReply` does: length, magic,
/// encoding, and the exact length of a dense HLL. The sparse opcodes are
/// only checked when they are used.
pub fn encoding(s: &[u8]) -> Result<Encoding, HllError> {
    if s.len() < HDR_SIZE || &s[..4] != b"HYLL" {
        return Err(HllError::NotHll);
    }
    match s[4] {
        DENSE if s.len() == DENSE_SIZE => Ok(Encoding::Dense),
        SPARSE => Ok(Encoding::Sparse),
        _ => Err(HllError::NotHll),
    }
}

/// A new, empty HLL: sparse, a single XZERO covering every register, and a
/// valid cached cardinality of 0.
pub fn new_sparse() -> Vec<u8> {
    let mut s = Vec::with_capacity(HDR_SIZE + 2);
    s.extend_from_slice(b"HYLL");
    s.push(SPARSE);
    s.resize(HDR_SIZE, 0);
    let mut op = [0u8; 2];
    let n = Op::XZero(REGISTERS).write(&mut op);
    s.extend_from_slice(&op[..n]);
    s
}

/// MurmurHash64A, the endian-neutral variant Redis uses.
pub fn murmur64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = u64::from(seed) ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate() {
            h ^= u64::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the length of its `000..1` pattern
/// (1..=51) in the hash bits above the register index.
pub fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, HASH_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The sentinel bit makes the count at most Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---------------------------------------------------------------- header --

/// The cached cardinality, when it is valid.
pub fn cached(s: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(s[8..16].try_into().expect("header"));
    (card >> 63 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality. A value with the top bit set
/// (Redis's overflow result) reads back as stale, exactly as in Redis.
pub fn store_cache(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

// ----------------------------------------------------------------- dense --

/// Register `i` of the packed register bytes `regs`. The last register's
/// second byte is past the array (Redis reads the sds terminator): it
/// contributes no bits, so it reads as 0.
fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = u32::from(regs[byte]);
    let b1 = u32::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u32::from(REGISTER_MAX)) as u8
}

/// Sets register `i` of `regs` to `v` (at most 63).
fn dense_set(regs: &mut [u8], i: usize, v: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = u32::from(v);
    let max = u32::from(REGISTER_MAX);
    regs[byte] &= !(max << fb) as u8;
    regs[byte] |= (v << fb) as u8;
    if let Some(b1) = regs.get_mut(byte + 1) {
        *b1 &= !(max >> (8 - fb)) as u8;
        *b1 |= (v >> (8 - fb)) as u8;
    }
}

/// Raises register `i` to `count` if it is lower; true when it changed.
fn dense_raise(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set(regs, i, count);
        true
    } else {
        false
    }
}

/// Every register of a dense HLL, in order (three bytes hold four).
fn dense_values(s: &[u8]) -> impl Iterator<Item = u8> + '_ {
    s[HDR_SIZE..DENSE_SIZE].chunks_exact(3).flat_map(|c| {
        let (b0, b1, b2) = (c[0], c[1], c[2]);
        [
            b0 & 63,
            (b0 >> 6 | b1 << 2) & 63,
            (b1 >> 4 | b2 << 4) & 63,
            (b2 >> 2) & 63,
        ]
    })
}

// ---------------------------------------------------------------- sparse --

/// One sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `00xxxxxx`: 1..=64 registers at zero.
    Zero(usize),
    /// `01xxxxxx yyyyyyyy`: 1..=16384 registers at zero.
    XZero(usize),
    /// `1vvvvvxx`: 1..=4 registers at value 1..=32.
    Val(u8, usize),
}

impl Op {
    /// Decodes the opcode at `p` (< `s.len()`). The second byte of an XZERO
    /// at the very end is the string terminator, 0.
    fn at(s: &[u8], p: usize) -> Op {
        let b = s[p];
        if b & 0xc0 == 0 {
            Op::Zero(usize::from(b & 0x3f) + 1)
        } else if b & 0x80 != 0 {
            Op::Val(((b >> 2) & 0x1f) + 1, usize::from(b & 3) + 1)
        } else {
            let lo = usize::from(s.get(p + 1).copied().unwrap_or(0));
            Op::XZero((usize::from(b & 0x3f) << 8 | lo) + 1)
        }
    }

    /// Registers covered.
    fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }

    /// Encoded size in bytes.
    fn size(self) -> usize {
        if matches!(self, Op::XZero(_)) { 2 } else { 1 }
    }

    /// Encodes into `out`; returns the bytes written. Callers keep runs and
    /// values in range (the encodings truncate like Redis's macros).
    fn write(self, out: &mut [u8]) -> usize {
        match self {
            Op::Zero(n) => out[0] = (n - 1) as u8,
            Op::XZero(n) => {
                let l = n - 1;
                out[0] = (l >> 8) as u8 | 0x40;
                out[1] = (l & 0xff) as u8;
            }
            Op::Val(v, n) => out[0] = ((v - 1) << 2 | (n - 1) as u8) | 0x80,
        }
        self.size()
    }

    /// The shortest zero opcode for a run of `n` registers.
    fn zeros(n: usize) -> Op {
        if n > ZERO_MAX_LEN {
            Op::XZero(n)
        } else {
            Op::Zero(n)
        }
    }
}

/// The opcodes of a sparse HLL with their offsets in `s`.
fn ops(s: &[u8]) -> impl Iterator<Item = (usize, Op)> + '_ {
    let mut p = HDR_SIZE;
    std::iter::from_fn(move || {
        (p < s.len()).then(|| {
            let op = Op::at(s, p);
            let at = p;
            p += op.size();
            (at, op)
        })
    })
}

/// Walks the runs of a sparse HLL: `f(first, value, len)` per opcode
/// (value 0 for ZERO/XZERO). As in Redis 7.0.15 with the CVE-2025-32023
/// fix, a run that would pass the last register stops the walk before `f`
/// sees it and fails, as do runs that end short of 16384 registers.
fn sparse_runs(s: &[u8], mut f: impl FnMut(usize, u8, usize)) -> Result<(), HllError> {
    let mut idx = 0usize;
    for (_, op) in ops(s) {
        let (v, n) = match op {
            Op::Zero(n) | Op::XZero(n) => (0, n),
            Op::Val(v, n) => (v, n),
        };
        if idx + n > REGISTERS {
            return Err(HllError::Corrupt);
        }
        f(idx, v, n);
        idx += n;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(HllError::Corrupt)
    }
}

/// Calls `f(index, value)` for every register a valid sparse HLL sets to a
/// non-zero value (see [`sparse_runs`] for what fails).
fn sparse_for_each(s: &[u8], mut f: impl FnMut(usize, u8)) -> Result<(), HllError> {
    sparse_runs(s, |first, v, n| {
        if v != 0 {
            (first..first + n).for_each(|i| f(i, v));
        }
    })
}

/// Converts a sparse HLL to dense in place (a dense one is left alone). The
/// header, cached cardinality included, is kept. On a corrupted HLL the
/// value is left unchanged.
pub fn to_dense(s: &mut Vec<u8>) -> Result<(), HllError> {
    if s[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&s[..HDR_SIZE]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR_SIZE..];
    sparse_for_each(s, |i, v| dense_set(regs, i, v))?;
    *s = dense;
    Ok(())
}

/// Raises register `index` of a sparse HLL to `count` (Redis's
/// `hllSparseSet`), splitting the opcode that covers it. Promotes to dense
/// when `count` does not fit a VAL opcode or the string would outgrow
/// `sparse_max` bytes. Returns whether a register changed.
fn sparse_set(
    s: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max: usize,
) -> Result<bool, HllError> {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Step 1: find the opcode covering `index`, and the one before it.
    let mut first = 0;
    let mut prev = None;
    let mut found = None;
    for (at, op) in ops(s) {
        if index < first + op.span() {
            found = Some((at, op));
            break;
        }
        prev = Some(at);
        first += op.span();
    }
    let Some((p, op)) = found else {
        return Err(HllError::Corrupt);
    };
    // Step 2: the trivial in-place updates.
    match op {
        Op::Val(old, _) if old >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => {
            Op::Val(count, 1).write(&mut s[p..]);
            merge_adjacent_vals(s, prev.unwrap_or(HDR_SIZE));
            return Ok(true);
        }
        _ => {}
    }
    // General case: split the opcode into up to three (XZERO-VAL-XZERO is
    // the longest, 5 bytes).
    let last = first + op.span() - 1;
    let around = |n: usize| match op {
        Op::Val(cur, _) => Op::Val(cur, n),
        _ => Op::zeros(n),
    };
    let mut seq = [0u8; 5];
    let mut n = 0;
    if index != first {
        n += around(index - first).write(&mut seq[n..]);
    }
    n += Op::Val(count, 1).write(&mut seq[n..]);
    if index != last {
        n += around(last - index).write(&mut seq[n..]);
    }
    // Step 3: substitute the sequence for the opcode.
    let new_len = s.len() + n - op.size();
    if n > op.size() && new_len > sparse_max {
        return promote(s, index, count);
    }
    // An XZERO cut by the end of the string had its second byte in the
    // terminator: Redis then keeps one byte less of the new sequence (the
    // dropped byte is the hidden one of the module docs).
    let cut = (p + op.size()).min(s.len());
    s.splice(p..cut, seq[..n].iter().copied());
    s.truncate(new_len);
    merge_adjacent_vals(s, prev.unwrap_or(HDR_SIZE));
    Ok(true)
}

/// Step 4 of `hllSparseSet`: starting at the opcode `from`, looks at up to
/// five opcodes and fuses adjacent VALs of equal value whose runs fit one
/// opcode. Then marks the cached cardinality stale.
fn merge_adjacent_vals(s: &mut Vec<u8>, from: usize) {
    let mut p = from;
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        match Op::at(s, p) {
            Op::Zero(_) => p += 1,
            Op::XZero(_) => p += 2,
            Op::Val(v1, n1) => {
                let next = if p + 1 < s.len() {
                    Some(Op::at(s, p + 1))
                } else {
                    None
                };
                match next {
                    Some(Op::Val(v2, n2)) if v1 == v2 && n1 + n2 <= VAL_MAX_LEN => {
                        Op::Val(v1, n1 + n2).write(&mut s[p + 1..]);
                        s.remove(p);
                        // Retry at the same place: the fused run may fuse again.
                    }
                    _ => p += 1,
                }
            }
        }
    }
    invalidate_cache(s);
}

/// Converts to dense, then raises the register there.
fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, HllError> {
    to_dense(s)?;
    Ok(dense_raise(&mut s[HDR_SIZE..], index, count))
}

// ------------------------------------------------------------ operations --

/// Raises register `index` to `count` if lower (any encoding); true when it
/// changed. `sparse_max` is `hll-sparse-max-bytes`.
pub fn set(s: &mut Vec<u8>, index: usize, count: u8, sparse_max: usize) -> Result<bool, HllError> {
    match s[4] {
        DENSE => Ok(dense_raise(&mut s[HDR_SIZE..], index, count)),
        SPARSE => sparse_set(s, index, count, sparse_max),
        _ => Err(HllError::Corrupt),
    }
}

/// Adds an element (PFADD's per-element step); true when a register changed.
pub fn add(s: &mut Vec<u8>, ele: &[u8], sparse_max: usize) -> Result<bool, HllError> {
    let (index, count) = pattern(ele);
    set(s, index, count, sparse_max)
}

/// Folds the registers of `s` into `max` (one byte per register) by taking
/// the maximum of each. A corrupted sparse HLL fails (possibly after
/// raising some registers).
pub fn merge_into(max: &mut [u8; REGISTERS], s: &[u8]) -> Result<(), HllError> {
    if s[4] == DENSE {
        for (m, v) in max.iter_mut().zip(dense_values(s)) {
            *m = (*m).max(v);
        }
        Ok(())
    } else {
        sparse_for_each(s, |i, v| max[i] = max[i].max(v))
    }
}

/// The register histogram (how many registers hold each value 0..=63).
type Histogram = [u64; 64];

/// The histogram of an HLL string; fails on a sparse HLL whose runs do not
/// cover exactly 16384 registers.
fn histogram(s: &[u8]) -> Result<Histogram, HllError> {
    let mut h = [0u64; 64];
    if s[4] == DENSE {
        for v in dense_values(s) {
            h[usize::from(v)] += 1;
        }
        return Ok(h);
    }
    sparse_runs(s, |_, v, n| h[usize::from(v)] += n as u64)?;
    Ok(h)
}

/// The histogram of one-byte-per-register registers (multi-key PFCOUNT).
fn raw_histogram(regs: &[u8; REGISTERS]) -> Histogram {
    let mut h = [0u64; 64];
    for &v in regs {
        h[usize::from(v & REGISTER_MAX)] += 1;
    }
    h
}

/// Ertl's sigma function (arXiv:1702.01284), as Redis computes it.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

/// Ertl's tau function (arXiv:1702.01284), as Redis computes it.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// Ertl's improved raw estimator over a register histogram, with Redis's
/// exact floating-point order and its integer conversion: an estimate that
/// does not fit (registers all above 50, where the sum is 0) comes out as
/// 2^63, as C's `llroundl` overflow gives on x86-64.
fn estimate(h: &Histogram) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    let e = (ALPHA_INF * m * m / z).round();
    if (0.0..9_223_372_036_854_775_808.0).contains(&e) {
        e as u64
    } else {
        1 << 63
    }
}

/// The estimated cardinality of an HLL string (ignoring its cache).
pub fn count(s: &[u8]) -> Result<u64, HllError> {
    histogram(s).map(|h| estimate(&h))
}

/// The estimated cardinality of merged one-byte registers.
pub fn count_registers(regs: &[u8; REGISTERS]) -> u64 {
    estimate(&raw_histogram(regs))
}

/// Every register value of an HLL string (sparse ones must be valid).
pub fn registers(s: &[u8]) -> Result<Vec<u8>, HllError> {
    if s[4] == DENSE {
        return Ok(dense_values(s).collect());
    }
    let mut out = vec![0u8; REGISTERS];
    sparse_for_each(s, |i, v| out[i] = v)?;
    Ok(out)
}

/// The opcodes of a sparse HLL in PFDEBUG DECODE's notation
/// (`z:<n>`, `Z:<n>`, `v:<value>,<n>`), space separated.
pub fn decode(s: &[u8]) -> String {
    let mut out = String::new();
    for (_, op) in ops(s) {
        let item = match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&item);
    }
    out
}

/// Whether `s` (a valid header) is sparse.
pub fn is_sparse(s: &[u8]) -> bool {
    s[4] == SPARSE
}

/// PFSELFTEST: checks register access on random values, then adds
/// 10 million distinct elements to a dense and a sparse HLL side by side,
/// checking at every power of ten that the sparse one stays sparse while
/// small, that both estimate the same, and that the error is within six
/// standard errors. The error text is Redis's.
pub fn selftest(rng: &mut impl rand::Rng, sparse_max: usize) -> Result<(), String> {
    selftest_sized(rng, sparse_max, 1000, 10_000_000)
}

/// [`selftest`] with `cycles` rounds of register checks and `elements`
/// added elements.
fn selftest_sized(
    rng: &mut impl rand::Rng,
    sparse_max: usize,
    cycles: usize,
    elements: u64,
) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        let regs = &mut dense[HDR_SIZE..];
        for (i, e) in expected.iter_mut().enumerate() {
            *e = rng.random::<u8>() & REGISTER_MAX;
            dense_set(regs, i, *e);
        }
        for (i, e) in expected.iter().enumerate() {
            let v = dense_get(regs, i);
            if v != *e {
                return Err(format!("TESTFAILED Register {i} should be {e} but is {v}"));
            }
        }
    }
    dense[HDR_SIZE..].fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rng.random();
    let mut checkpoint = 1u64;
    for j in 1..=elements {
        let ele = (j ^ seed).to_le_bytes();
        add(&mut dense, &ele, sparse_max).map_err(|_| "TESTFAILED dense add")?;
        add(&mut sparse, &ele, sparse_max).map_err(|_| "TESTFAILED sparse add")?;
        if j != checkpoint {
            continue;
        }
        if j < (sparse_max / 2) as u64 && !is_sparse(&sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = count(&dense).unwrap_or(0);
        if count(&sparse) != Ok(card) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        let abserr = checkpoint.abs_diff(card);
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn new_dense() -> Vec<u8> {
        let mut s = vec![0u8; DENSE_SIZE];
        s[..4].copy_from_slice(b"HYLL");
        s
    }

    #[test]
    fn murmur_matches_redis_vectors() {
        // Registers and counts PFDEBUG reports on Redis 7.0 for "a", "b", "c".
        let empty = new_sparse();
        assert_eq!(&empty[..], b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        let mut s = empty.clone();
        for e in [&b"a"[..], b"b", b"c"] {
            assert!(add(&mut s, e, 3000).unwrap());
        }
        assert_eq!(decode(&s), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(cached(&s), None);
        assert_eq!(count(&s), Ok(3));
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut regs = vec![0u8; DENSE_SIZE - HDR_SIZE];
        let vals: Vec<u8> = (0..REGISTERS).map(|_| rng.random_range(0..=63)).collect();
        for (i, v) in vals.iter().enumerate() {
            dense_set(&mut regs, i, *v);
        }
        for (i, v) in vals.iter().enumerate() {
            assert_eq!(dense_get(&regs, i), *v);
        }
        let mut s = new_dense();
        s[HDR_SIZE..].copy_from_slice(&regs);
        assert_eq!(dense_values(&s).collect::<Vec<_>>(), vals);
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_dense();
        for i in 0..5000u32 {
            let e = i.to_le_bytes();
            add(&mut sparse, &e, usize::MAX).unwrap();
            add(&mut dense, &e, usize::MAX).unwrap();
            if i % 97 == 0 {
                assert_eq!(registers(&sparse), registers(&dense));
                assert_eq!(count(&sparse), count(&dense));
            }
        }
        assert!(is_sparse(&sparse), "no value above 32 expected here");
        to_dense(&mut sparse).unwrap();
        assert_eq!(&sparse[HDR_SIZE..], &dense[HDR_SIZE..]);
    }

    #[test]
    fn promotion_by_size() {
        let mut s = new_sparse();
        let mut i = 0u32;
        while is_sparse(&s) {
            assert!(s.len() <= 3000);
            add(&mut s, &i.to_le_bytes(), 3000).unwrap();
            i += 1;
        }
        assert_eq!(s.len(), DENSE_SIZE);
        assert!(i > 1000);
    }

    #[test]
    fn promotion_by_value() {
        // A run of 33+ zeros (odds 2^-32 per element) does not fit a VAL.
        let mut s = new_sparse();
        add(&mut s, b"a", 3000).unwrap();
        assert!(set(&mut s, 5, 32, 3000).unwrap());
        assert!(is_sparse(&s));
        assert!(set(&mut s, 6, 33, 3000).unwrap());
        assert_eq!(s.len(), DENSE_SIZE);
        let regs = registers(&s).unwrap();
        assert_eq!((regs[5], regs[6]), (32, 33));
        assert_eq!(regs.iter().filter(|&&r| r != 0).count(), 3);
    }

    #[test]
    fn estimator_edges() {
        assert_eq!(count(&new_sparse()), Ok(0));
        let mut all_max = new_dense();
        all_max[HDR_SIZE..].fill(0xff);
        assert_eq!(count(&all_max), Ok(1 << 63));
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, &all_max).unwrap();
        assert_eq!(count_registers(&max), 1 << 63);
    }

    #[test]
    fn corrupted_sparse_never_panics() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        for _ in 0..2000 {
            let len = rng.random_range(HDR_SIZE..HDR_SIZE + 40);
            let mut s: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            s[..5].copy_from_slice(b"HYLL\x01");
            let _ = count(&s);
            let mut max = [0u8; REGISTERS];
            let _ = merge_into(&mut max, &s);
            let _ = decode(&s);
            for _ in 0..4 {
                let idx = rng.random_range(0..REGISTERS);
                let _ = set(&mut s, idx, rng.random_range(1..=51), 3000);
            }
            let _ = to_dense(&mut s);
        }
    }

    #[test]
    fn selftest_small() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        for max in [0, 100, 3000] {
            assert_eq!(selftest_sized(&mut rng, max, 2, 20_000), Ok(()));
        }
    }

    #[test]
    fn truncated_xzero_reads_terminator() {
        // A lone 0x7f: XZERO whose low byte is the terminator (16129 zeros).
        let mut s = new_sparse();
        s.truncate(HDR_SIZE + 1);
        assert_eq!(decode(&s), "Z:16129");
        assert_eq!(count(&s), Err(HllError::Corrupt));
    }
}
