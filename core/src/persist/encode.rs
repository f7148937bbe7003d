//! Serializing values the way Redis 7.0's `rdbSaveObject` does, for RDB
//! files and DUMP payloads alike. Small collections are written in the
//! compact encoding Redis would hold them in (following the values' `big`
//! flags): listpack hashes and sorted sets, intset sets; lists are
//! quicklists whose listpack nodes are cut where Redis's tail pushes would
//! cut them (`list-max-listpack-size`), so Redis loads the same layout.
//!
//! Compression can be deferred: a snapshot encodes entries while holding
//! their shard's lock, and LZF would lengthen that stall, so [`Compress::Defer`]
//! leaves strings that may compress as bare byte ranges that
//! [`Encoder::emit`] compresses later, outside the lock.

use super::format::{COMPRESS_MIN, container, enc, op, ty};
use super::{intset, listpack, lzf};
use crate::keyspace::{EntryRef, HashValue, SetValue, ValueRef};
use crate::types::zset::ZSet;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::ops::Range;

/// Elements this long or longer get a quicklist node of their own (Redis's
/// `packed_threshold`, 1 GiB).
const PLAIN_THRESHOLD: usize = 1 << 30;

/// When strings are LZF-compressed.
#[derive(Debug)]
pub enum Compress {
    /// Never (`rdbcompression no`).
    Off,
    /// While encoding.
    Now,
    /// Later, in [`Encoder::emit`]: the ranges of the buffer holding
    /// strings still to be written (without their length prefix).
    Defer(Vec<Range<usize>>),
}

/// An RDB byte stream under construction.
#[derive(Debug)]
pub struct Encoder {
    /// The bytes so far (with deferred strings as bare bytes).
    pub buf: Vec<u8>,
    compress: Compress,
    /// `list-max-listpack-size`, clamped as Redis's `quicklistSetFill`.
    list_fill: i64,
}

impl Encoder {
    /// An empty encoder; `list_fill` is `list-max-listpack-size`.
    pub fn new(compress: Compress, list_fill: i64) -> Encoder {
        Encoder {
            buf: Vec::new(),
            compress,
            list_fill: clamp_fill(list_fill),
        }
    }

    /// Appends one byte.
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// Appends a length in RDB's variable-size encoding.
    pub fn len(&mut self, n: u64) {
        if n < 1 << 6 {
            self.buf.push(n as u8);
        } else if n < 1 << 14 {
            self.buf
                .extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
        } else if n <= u64::from(u32::MAX) {
            self.buf.push(0x80);
            self.buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            self.buf.push(0x81);
            self.buf.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// Appends a string as `rdbSaveRawString`: integers of up to 11
    /// characters in 8/16/32 bits, then LZF for strings over 20 bytes
    /// when it saves at least 4 bytes, else the length and the bytes.
    pub fn string(&mut self, s: &[u8]) {
        if s.len() <= 11 && self.int_string(s) {
            return;
        }
        if s.len() > COMPRESS_MIN {
            match &mut self.compress {
                Compress::Off => {}
                Compress::Now => {
                    if self.lzf(s) {
                        return;
                    }
                }
                Compress::Defer(ranges) => {
                    let start = self.buf.len();
                    ranges.push(start..start + s.len());
                    self.buf.extend_from_slice(s);
                    return;
                }
            }
        }
        self.len(s.len() as u64);
        self.buf.extend_from_slice(s);
    }

    /// Writes `s` as an 8/16/32-bit integer if it is the canonical text of one.
    fn int_string(&mut self, s: &[u8]) -> bool {
        let Some(v) = crate::num::parse_i64(s) else {
            return false;
        };
        if let Ok(v) = i8::try_from(v) {
            self.buf.extend_from_slice(&[0xC0 | enc::INT8, v as u8]);
        } else if let Ok(v) = i16::try_from(v) {
            self.buf.push(0xC0 | enc::INT16);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if let Ok(v) = i32::try_from(v) {
            self.buf.push(0xC0 | enc::INT32);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            return false;
        }
        true
    }

    /// Writes `s` LZF-compressed if that saves at least 4 bytes (Redis's
    /// `rdbSaveLzfStringObject`).
    fn lzf(&mut self, s: &[u8]) -> bool {
        let Some(c) = lzf::compress(s, s.len() - 4) else {
            return false;
        };
        self.buf.push(0xC0 | enc::LZF);
        self.len(c.len() as u64);
        self.len(s.len() as u64);
        self.buf.extend_from_slice(&c);
        true
    }

    /// Appends a double as 8 little-endian bytes (`rdbSaveBinaryDoubleValue`).
    fn double(&mut self, d: f64) {
        self.buf.extend_from_slice(&d.to_le_bytes());
    }

    /// Appends the payload of `v` and returns its RDB type byte.
    pub fn object(&mut self, v: ValueRef<'_>) -> u8 {
        match v {
            ValueRef::Str(s) => {
                self.string(s);
                ty::STRING
            }
            ValueRef::List(l) => {
                self.quicklist(l);
                ty::LIST_QUICKLIST_2
            }
            ValueRef::Set(s) => self.set(s),
            ValueRef::ZSet(z) => self.zset(z),
            ValueRef::Hash(h) => self.hash(h),
        }
    }

    /// Appends one key: its expiry, then type, key and value.
    pub fn entry(&mut self, key: &[u8], e: EntryRef<'_>) {
        if e.expire() != 0 {
            self.buf.push(op::EXPIRETIME_MS);
            self.buf.extend_from_slice(&e.expire().to_le_bytes());
        }
        let at = self.buf.len();
        self.buf.push(0);
        self.string(key);
        self.buf[at] = self.object(e.value());
    }

    fn set(&mut self, s: &SetValue) -> u8 {
        if !s.is_big() {
            let ints: Option<Vec<i64>> = s.iter().map(crate::num::parse_i64).collect();
            if let Some(mut ints) = ints {
                self.string(&intset::encode(&mut ints));
                return ty::SET_INTSET;
            }
        }
        self.len(s.len() as u64);
        for m in s.iter() {
            self.string(m);
        }
        ty::SET
    }

    fn zset(&mut self, z: &ZSet) -> u8 {
        if !z.big {
            let mut lp = listpack::Builder::default();
            for (m, score) in z.iter() {
                lp.push(m);
                lp.push(crate::num::d2string(score).as_bytes());
            }
            self.string(&lp.finish());
            return ty::ZSET_LISTPACK;
        }
        // Highest score first, as Redis writes skiplists (so its loader
        // always inserts at the head).
        self.len(z.len() as u64);
        for (m, score) in z.iter_rev() {
            self.string(m);
            self.double(score);
        }
        ty::ZSET_2
    }

    fn hash(&mut self, h: &HashValue) -> u8 {
        if !h.is_big() {
            let mut lp = listpack::Builder::default();
            for (f, v) in h.iter() {
                lp.push(f);
                lp.push(v);
            }
            self.string(&lp.finish());
            return ty::HASH_LISTPACK;
        }
        self.len(h.len() as u64);
        for (f, v) in h.iter() {
            self.string(f);
            self.string(v);
        }
        ty::HASH
    }

    /// A quicklist: nodes of listpacks filled as Redis's tail pushes fill
    /// them, an element of 1 GiB or more alone in a plain node.
    fn quicklist(&mut self, l: &VecDeque<Vec<u8>>) {
        let nodes = quicklist_nodes(l, self.list_fill);
        self.len(nodes.len() as u64);
        for n in nodes {
            match n {
                QuickNode::Plain(e) => {
                    self.len(container::PLAIN);
                    self.string(e);
                }
                QuickNode::Packed(lp) => {
                    self.len(container::PACKED);
                    self.string(&lp.finish());
                }
            }
        }
    }

    /// Writes the encoded bytes to `w`, compressing the deferred strings.
    pub fn emit(self, w: &mut impl Write) -> io::Result<()> {
        let Compress::Defer(ranges) = self.compress else {
            return w.write_all(&self.buf);
        };
        let mut out = Encoder::new(Compress::Now, self.list_fill);
        let mut at = 0;
        for r in ranges {
            out.buf.extend_from_slice(&self.buf[at..r.start]);
            out.string(&self.buf[r.clone()]);
            at = r.end;
            if out.buf.len() >= 1 << 16 {
                w.write_all(&out.buf)?;
                out.buf.clear();
            }
        }
        out.buf.extend_from_slice(&self.buf[at..]);
        w.write_all(&out.buf)
    }
}

/// `list-max-listpack-size` as Redis's `quicklistSetFill` keeps it.
pub(crate) fn clamp_fill(fill: i64) -> i64 {
    fill.clamp(-5, (1 << 15) - 1)
}

/// One node of a list as Redis's quicklist holds it.
pub(crate) enum QuickNode<'a> {
    /// An element of 1 GiB or more, alone.
    Plain(&'a [u8]),
    /// A listpack of elements.
    Packed(listpack::Builder),
}

impl QuickNode<'_> {
    /// The node's `sz`: its listpack's bytes, or a plain node's element's.
    pub(crate) fn size(&self) -> usize {
        match self {
            QuickNode::Plain(e) => e.len(),
            QuickNode::Packed(lp) => lp.bytes(),
        }
    }
}

/// The nodes Redis's tail pushes build for `l` under fill factor `fill`
/// (clamped by [`clamp_fill`]).
pub(crate) fn quicklist_nodes(l: &VecDeque<Vec<u8>>, fill: i64) -> Vec<QuickNode<'_>> {
    let fill = clamp_fill(fill);
    let mut nodes: Vec<QuickNode<'_>> = Vec::new();
    for e in l {
        if e.len() >= PLAIN_THRESHOLD {
            nodes.push(QuickNode::Plain(e));
            continue;
        }
        match nodes.last_mut() {
            Some(QuickNode::Packed(lp)) if allow_insert(lp, fill, e.len()) => lp.push(e),
            _ => {
                let mut lp = listpack::Builder::default();
                lp.push(e);
                nodes.push(QuickNode::Packed(lp));
            }
        }
    }
    nodes
}

/// Redis 7.0's `_quicklistNodeAllowInsert`: may an element of `sz` bytes
/// join the node `lp` under fill factor `fill`? A negative fill caps the
/// node's bytes (-1: 4 KiB ... -5 and below: 64 KiB), a positive one its
/// count (0 counts as 1) within an 8 KiB safety limit. The new size is
/// estimated as Redis does: element bytes plus 8 of overhead.
fn allow_insert(lp: &listpack::Builder, fill: i64, sz: usize) -> bool {
    const LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    const SAFETY_LIMIT: usize = 8192;
    const OVERHEAD: usize = 8;
    let new_sz = lp.bytes() + sz + OVERHEAD;
    if fill < 0 {
        let level = ((-fill - 1) as usize).min(LEVELS.len() - 1);
        return new_sz <= LEVELS[level];
    }
    new_sz <= SAFETY_LIMIT && lp.len() < (fill.max(1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_bytes(s: &[u8], compress: Compress) -> Vec<u8> {
        let mut e = Encoder::new(compress, -2);
        e.string(s);
        let mut out = Vec::new();
        e.emit(&mut out).unwrap();
        out
    }

    #[test]
    fn lengths() {
        let enc = |n| {
            let mut e = Encoder::new(Compress::Off, -2);
            e.len(n);
            e.buf
        };
        assert_eq!(enc(63), vec![63]);
        assert_eq!(enc(64), vec![0x40, 64]);
        assert_eq!(enc(16383), vec![0x7F, 0xFF]);
        assert_eq!(enc(16384), vec![0x80, 0, 0, 0x40, 0]);
        assert_eq!(enc(1 << 32), vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn strings_as_redis_saves_them() {
        assert_eq!(string_bytes(b"12", Compress::Now), vec![0xC0, 12]);
        assert_eq!(string_bytes(b"-300", Compress::Now), vec![0xC1, 0xD4, 0xFE]);
        assert_eq!(
            string_bytes(b"100000", Compress::Now),
            vec![0xC2, 0xA0, 0x86, 1, 0]
        );
        // 11 characters but beyond 32 bits: a plain string.
        assert_eq!(string_bytes(b"99999999999", Compress::Now)[0], 11);
        assert_eq!(string_bytes(b"012", Compress::Now), b"\x03012".to_vec());
        let long = vec![b'a'; 100];
        let now = string_bytes(&long, Compress::Now);
        assert_eq!(now[0], 0xC3);
        assert_eq!(string_bytes(&long, Compress::Defer(Vec::new())), now);
        assert_eq!(string_bytes(&long, Compress::Off)[..2], [0x40, 100]);
    }

    #[test]
    fn quicklist_nodes_cut_like_redis() {
        // -2: nodes up to 8 KiB. A 100-byte element takes 103 bytes of
        // listpack and the estimate adds 108 for the next, so 79 fit
        // (7 + 78 * 103 + 108 <= 8192 < 7 + 79 * 103 + 108).
        let mut lp = listpack::Builder::default();
        let e = vec![b'x'; 100];
        let mut n = 0;
        while allow_insert(&lp, -2, e.len()) {
            lp.push(&e);
            n += 1;
        }
        assert_eq!(n, 79);
        // Count-limited fill.
        let mut lp = listpack::Builder::default();
        let mut n = 0;
        while allow_insert(&lp, 3, 1) {
            lp.push(b"1");
            n += 1;
        }
        assert_eq!(n, 3);
    }
}
