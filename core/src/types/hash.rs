//! Hashes: the operations of [`HashValue`] over both its encodings, and
//! the rules by which Redis 7.0 converts a hash from listpack to hashtable
//! (one way: a hashtable never goes back).

use crate::config::Config;
use crate::dict::Dict;
use crate::error::CmdError;
use crate::keyspace::HashValue;
use crate::small_bytes::SmallBytes;
use crate::types::sample::{self, Count};
use rand::Rng;

/// The listpack limits of hashes (`hash-max-listpack-entries` and
/// `hash-max-listpack-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    /// Most fields a listpack hash holds.
    pub entries: usize,
    /// Longest field or value (bytes) a listpack hash holds.
    pub value: usize,
}

impl HashLimits {
    /// Limits that never convert (for hashes that are already big).
    pub const NONE: HashLimits = HashLimits {
        entries: usize::MAX,
        value: usize::MAX,
    };

    /// The limits that apply to `h`: the config's while it is small; a big
    /// hash never converts back, so the config is not read for it.
    pub fn for_hash(config: &Config, h: &HashValue) -> HashLimits {
        if h.is_big() {
            return HashLimits::NONE;
        }
        let read = |name| usize::try_from(config.get_int(name)).unwrap_or(0);
        HashLimits {
            entries: read("hash-max-listpack-entries"),
            value: read("hash-max-listpack-value"),
        }
    }
}

/// A field and its value, borrowed from a hash.
pub type FieldValue<'a> = (&'a [u8], &'a [u8]);

impl HashValue {
    /// True once Redis would have converted the hash to a hashtable.
    pub fn is_big(&self) -> bool {
        matches!(self, HashValue::Table(_))
    }

    /// OBJECT ENCODING's name for the encoding.
    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Listpack(_) => "listpack",
            HashValue::Table(_) => "hashtable",
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            HashValue::Listpack(l) => l.len(),
            HashValue::Table(d) => d.len(),
        }
    }

    /// True when there are no fields (such keys must not exist).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            HashValue::Listpack(l) => l.get(field),
            HashValue::Table(d) => d.get(field).map(|v| &**v),
        }
    }

    /// True when `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value` as Redis's `hashTypeSet` does: a field or
    /// value longer than `limits.value`, or more than `limits.entries`
    /// fields, converts a listpack to a hashtable. Returns true when the
    /// field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &HashLimits) -> bool {
        if field.len() > limits.value || value.len() > limits.value {
            self.convert();
        }
        let added = match self {
            HashValue::Listpack(l) => l.set(field, value),
            HashValue::Table(d) => match d.get_mut(field) {
                Some(old) => {
                    *old = value.into();
                    false
                }
                None => {
                    d.insert_new(field, value.into());
                    true
                }
            },
        };
        if self.len() > limits.entries {
            self.convert();
        }
        added
    }

    /// Removes `field`; true when it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Listpack(l) => l.remove(field),
            HashValue::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Every (field, value) in Redis's iteration order: insertion order
    /// for a listpack, table order for a hashtable.
    pub fn iter(&self) -> impl Iterator<Item = FieldValue<'_>> {
        let (small, big) = match self {
            HashValue::Listpack(l) => (Some(l.iter()), None),
            HashValue::Table(d) => (None, Some(d.iter())),
        };
        let big = big.into_iter().flatten().map(|(f, v)| (f, &**v));
        small.into_iter().flatten().chain(big)
    }

    /// A random (field, value): uniform over a listpack (`lpRandomPair`),
    /// `dictGetRandomKey` over a hashtable.
    pub fn random(&self) -> Option<FieldValue<'_>> {
        match self {
            HashValue::Listpack(l) if l.is_empty() => None,
            HashValue::Listpack(l) => l.iter().nth(rand::rng().random_range(0..l.len())),
            HashValue::Table(d) => d.random().map(|(f, v)| (f, &**v)),
        }
    }

    /// HRANDFIELD's pick of (field, value) pairs by `count` (see
    /// [`sample::pick`] and [`sample::pick_listed`]).
    pub fn pick(&self, count: Count) -> Result<Vec<FieldValue<'_>>, CmdError> {
        match self {
            HashValue::Listpack(l) => sample::pick_listed(l.iter().collect(), count, true),
            HashValue::Table(d) => Ok(sample::pick(d, count)?
                .into_iter()
                .map(|(f, v)| (f, &**v))
                .collect()),
        }
    }

    /// Converts a listpack to a hashtable (nothing for a hashtable).
    fn convert(&mut self) {
        if let HashValue::Listpack(l) = self {
            let mut d = Dict::with_capacity(l.len());
            for (f, v) in l.iter() {
                d.insert_new(f, SmallBytes::from(v));
            }
            *self = HashValue::Table(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: HashLimits = HashLimits {
        entries: 2,
        value: 3,
    };

    #[test]
    fn converts_on_length_or_count_and_never_back() {
        let mut h = HashValue::default();
        assert!(h.set(b"a", b"123", &SMALL));
        assert!(!h.set(b"a", b"1", &SMALL));
        assert!(h.set(b"b", b"1", &SMALL));
        assert!(!h.is_big(), "two short fields fit");
        h.set(b"c", b"1", &SMALL);
        assert!(h.is_big(), "three fields exceed entries=2");
        assert_eq!(
            h.get(b"a"),
            Some(&b"1"[..]),
            "fields survive the conversion"
        );
        assert_eq!(h.len(), 3);

        let mut h = HashValue::default();
        h.set(b"abcd", b"1", &SMALL);
        assert!(h.is_big(), "a long field converts");
        h.remove(b"abcd");
        h.set(b"a", b"1", &SMALL);
        assert!(h.is_big(), "conversion is one-way");

        let mut h = HashValue::default();
        h.set(b"a", b"1234", &SMALL);
        assert!(h.is_big(), "a long value converts");
    }

    #[test]
    fn a_listpack_iterates_in_insertion_order() {
        let mut h = HashValue::default();
        for f in ["task1", "task2", "task3"] {
            h.set(f.as_bytes(), b"v", &HashLimits::NONE);
        }
        h.set(b"task1", b"again", &HashLimits::NONE);
        let fields: Vec<&[u8]> = h.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [b"task1", b"task2", b"task3"]);
        assert_eq!(
            h.pick(Count::Distinct(3)).unwrap(),
            h.iter().collect::<Vec<_>>()
        );
        assert!(h.random().is_some_and(|(f, _)| h.contains(f)));
        assert_eq!(HashValue::default().random(), None);
    }

    #[test]
    fn default_limits_come_from_config() {
        let config = Config::default();
        let h = HashValue::default();
        assert_eq!(
            HashLimits::for_hash(&config, &h),
            HashLimits {
                entries: 512,
                value: 64
            }
        );
        let big = HashValue::Table(Dict::new());
        assert_eq!(HashLimits::for_hash(&config, &big), HashLimits::NONE);
    }
}
