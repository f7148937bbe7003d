//! [`SmallBytes`]: a byte string kept inside the value itself when short,
//! boxed otherwise. Hash values are mostly short (numbers, flags,
//! addresses); stored this way in a hash table's node they need no
//! allocation of their own, so a lookup reads one cache line less and a
//! hash is built and freed with half the allocator calls. It takes the 24
//! bytes a `Vec<u8>` would.

use std::fmt;
use std::ops::Deref;

/// The longest string kept in place.
const INLINE: usize = 22;

/// A byte string: in place up to 22 bytes, else in a box of its exact size.
#[derive(Clone)]
pub enum SmallBytes {
    /// `len` bytes at the start of `buf`.
    Inline { len: u8, buf: [u8; INLINE] },
    /// A longer string.
    Heap(Box<[u8]>),
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> SmallBytes {
        if b.len() > INLINE {
            return SmallBytes::Heap(b.into());
        }
        let mut buf = [0; INLINE];
        buf[..b.len()].copy_from_slice(b);
        SmallBytes::Inline {
            len: b.len() as u8,
            buf,
        }
    }
}

impl From<SmallBytes> for Box<[u8]> {
    /// The bytes boxed: a long string's box as it is, a short one copied.
    fn from(b: SmallBytes) -> Box<[u8]> {
        match b {
            SmallBytes::Heap(h) => h,
            inline => Box::from(&*inline),
        }
    }
}

impl Deref for SmallBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            SmallBytes::Heap(b) => b,
        }
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &SmallBytes) -> bool {
        **self == **other
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(self), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_stay_in_place_and_all_read_back() {
        assert_eq!(size_of::<SmallBytes>(), size_of::<Vec<u8>>());
        for len in [0, 1, 21, 22, 23, 100] {
            let text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let b = SmallBytes::from(&text[..]);
            assert_eq!(&*b, &text[..]);
            assert_eq!(matches!(b, SmallBytes::Inline { .. }), len <= INLINE);
            assert_eq!(b.clone(), b);
            assert_eq!(&*Box::<[u8]>::from(b), &text[..]);
        }
    }
}
