//! `Listpack`: a small hash as Redis 7.0 keeps it while it is under
//! `hash-max-listpack-entries`/`-value`: field/value pairs packed one after
//! another in a single buffer, in insertion order. That order is what
//! HKEYS, HGETALL, HSCAN and friends return; replacing a value keeps the
//! field where it is and deleting closes the gap, as `lpReplace` and
//! `lpDeleteRange` do.
//!
//! Lookups walk the buffer (O(n), as in Redis: the limits keep n small), and
//! the buffer holds no pointers: a pair costs its bytes plus a length prefix
//! per string, so a small hash takes a fraction of a hash table's memory.
//!
//! Layout: each string is its length as an unsigned LEB128 varint (1 byte
//! under 128) followed by its bytes; a pair is the field then the value.

/// Field/value pairs in insertion order, packed in one buffer.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    len: usize,
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = String::from_utf8_lossy;
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (show(k), show(v))))
            .finish()
    }
}

/// Bytes `s` takes packed: its length prefix and itself.
fn packed_len(s: &[u8]) -> usize {
    let prefix = (usize::BITS - s.len().leading_zeros()).div_ceil(7).max(1);
    prefix as usize + s.len()
}

/// Appends `s` with its length prefix.
fn put(buf: &mut Vec<u8>, s: &[u8]) {
    let mut n = s.len();
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
    buf.extend_from_slice(s);
}

/// The string that starts at `at` and the offset just past it.
fn get(buf: &[u8], mut at: usize) -> (&[u8], usize) {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[at];
        at += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    (&buf[at..at + n], at + n)
}

/// Where a pair sits in the buffer.
struct Slot {
    /// Offset of the field's length prefix.
    start: usize,
    /// Offset of the value's length prefix.
    value: usize,
    /// Offset just past the value.
    end: usize,
}

impl Listpack {
    /// An empty listpack.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn find(&self, field: &[u8]) -> Option<Slot> {
        let mut at = 0;
        while at < self.buf.len() {
            let (f, value) = get(&self.buf, at);
            let (_, end) = get(&self.buf, value);
            if f == field {
                return Some(Slot {
                    start: at,
                    value,
                    end,
                });
            }
            at = end;
        }
        None
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|s| get(&self.buf, s.value).0)
    }

    /// Sets `field` to `value`: in place when the field exists (it keeps its
    /// position), appended otherwise. True when the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.find(field) {
            Some(slot) => {
                let old = get(&self.buf, slot.value).0;
                if old.len() == value.len() {
                    // Same length (the usual HINCRBY): the prefix stays.
                    self.buf[slot.end - value.len()..slot.end].copy_from_slice(value);
                } else {
                    let mut packed = Vec::with_capacity(packed_len(value));
                    put(&mut packed, value);
                    self.buf.splice(slot.value..slot.end, packed);
                }
                false
            }
            None => {
                // Exact growth, as Redis reallocates a listpack per insert:
                // small hashes are many, and doubling would waste a third
                // of their memory on average.
                self.buf
                    .reserve_exact(packed_len(field) + packed_len(value));
                put(&mut self.buf, field);
                put(&mut self.buf, value);
                self.len += 1;
                true
            }
        }
    }

    /// Removes `field`; true when it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(slot) = self.find(field) else {
            return false;
        };
        self.buf.drain(slot.start..slot.end);
        self.len -= 1;
        if self.buf.capacity() > 2 * self.buf.len() {
            self.buf.shrink_to_fit();
        }
        true
    }

    /// Every (field, value), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut at = 0;
        std::iter::from_fn(move || {
            if at == self.buf.len() {
                return None;
            }
            let (f, value) = get(&self.buf, at);
            let (v, end) = get(&self.buf, value);
            at = end;
            Some((f, v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(l: &Listpack) -> Vec<&[u8]> {
        l.iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn keeps_insertion_order_through_updates_and_deletes() {
        let mut l = Listpack::new();
        assert!(l.set(b"a", b"1"));
        assert!(l.set(b"b", b"2"));
        assert!(l.set(b"c", b"3"));
        assert!(!l.set(b"b", b"9"));
        assert_eq!(l.get(b"b"), Some(&b"9"[..]), "same-length update in place");
        assert!(!l.set(b"a", b"a much longer value than before"));
        assert_eq!(fields(&l), [b"a", b"b", b"c"]);
        assert_eq!(l.get(b"a"), Some(&b"a much longer value than before"[..]));
        assert!(l.remove(b"b"));
        assert!(!l.remove(b"b"));
        assert!(l.set(b"b", b""));
        assert_eq!(fields(&l), [b"a", b"c", b"b"]);
        assert_eq!(l.get(b"b"), Some(&b""[..]));
        assert_eq!(l.get(b"x"), None);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn packed_len_counts_the_prefix() {
        for n in [0, 1, 127, 128, 16_383, 16_384, 70_000] {
            let s = vec![7u8; n];
            let mut buf = Vec::new();
            put(&mut buf, &s);
            assert_eq!(packed_len(&s), buf.len(), "{n}");
        }
    }

    #[test]
    fn long_and_binary_strings_round_trip() {
        let mut l = Listpack::new();
        let long = vec![0xffu8; 70_000];
        l.set(b"", &long);
        l.set(&long[..200], b"\x00\r\n");
        assert_eq!(l.get(b""), Some(&long[..]));
        assert_eq!(l.get(&long[..200]), Some(&b"\x00\r\n"[..]));
        assert_eq!(l.get(&long[..199]), None);
        l.set(b"", b"short");
        assert_eq!(l.iter().count(), 2);
        assert_eq!(l.get(b""), Some(&b"short"[..]));
    }
}
