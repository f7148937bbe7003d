//! Hash encoding rules: when Redis 7.0 converts a hash from listpack to
//! hashtable. The conversion is one-way, so [`HashValue::big`] only ever
//! turns on.

use crate::config::Config;
use crate::keyspace::HashValue;

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
        if h.big {
            return HashLimits::NONE;
        }
        let read = |name| usize::try_from(config.get_int(name)).unwrap_or(0);
        HashLimits {
            entries: read("hash-max-listpack-entries"),
            value: read("hash-max-listpack-value"),
        }
    }
}

impl HashValue {
    /// Sets `field` to `value` as Redis's `hashTypeSet` does: a field or
    /// value longer than `limits.value`, or more than `limits.entries`
    /// fields, makes the hash big. Returns true when the field is new.
    pub fn set(&mut self, field: &[u8], value: Vec<u8>, limits: &HashLimits) -> bool {
        if field.len() > limits.value || value.len() > limits.value {
            self.big = true;
        }
        let added = match self.map.get_mut(field) {
            Some(old) => {
                *old = value;
                false
            }
            None => {
                self.map.insert_new(field, value);
                true
            }
        };
        if self.map.len() > limits.entries {
            self.big = true;
        }
        added
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
        assert!(h.set(b"a", b"123".to_vec(), &SMALL));
        assert!(!h.set(b"a", b"1".to_vec(), &SMALL));
        assert!(h.set(b"b", b"1".to_vec(), &SMALL));
        assert!(!h.big, "two short fields fit");
        h.set(b"c", b"1".to_vec(), &SMALL);
        assert!(h.big, "three fields exceed entries=2");

        let mut h = HashValue::default();
        h.set(b"abcd", b"1".to_vec(), &SMALL);
        assert!(h.big, "a long field converts");
        h.map.remove(b"abcd");
        h.set(b"a", b"1".to_vec(), &SMALL);
        assert!(h.big, "conversion is one-way");

        let mut h = HashValue::default();
        h.set(b"a", b"1234".to_vec(), &SMALL);
        assert!(h.big, "a long value converts");
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
        let big = HashValue {
            big: true,
            ..HashValue::default()
        };
        assert_eq!(HashLimits::for_hash(&config, &big), HashLimits::NONE);
    }
}
