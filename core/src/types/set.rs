//! Sets: the operations of [`SetValue`] over both its encodings, and the
//! rules by which Redis 7.0 keeps a set as an intset (sorted integers) or
//! converts it to a hashtable. The conversion is one-way for a stored set,
//! but sets that Redis builds afresh (the destination of SINTERSTORE and
//! friends, the remainder of a large SPOP) start as intsets again, so
//! [`SetValue::build`] and [`SetValue::rebuild_encoding`] pick the
//! encoding anew.

use crate::config::Config;
use crate::dict::Dict;
use crate::error::CmdError;
use crate::keyspace::SetValue;
use crate::types::intset::{IntSet, cmp_ints};
use crate::types::sample::{self, Count};
use rand::Rng;

/// True when Redis stores `member` in an intset: it parses as a signed
/// 64-bit integer under `string2ll` rules (`isSdsRepresentableAsLongLong`).
#[inline]
pub fn is_int(member: &[u8]) -> bool {
    crate::num::parse_i64(member).is_some()
}

/// `set-max-intset-entries`.
pub fn max_intset(config: &Config) -> usize {
    usize::try_from(config.get_int("set-max-intset-entries")).unwrap_or(0)
}

/// True when a set of these `len` members would be an intset.
pub fn fits_intset<'a>(
    len: usize,
    members: impl IntoIterator<Item = &'a [u8]>,
    max: usize,
) -> bool {
    len <= max && members.into_iter().all(is_int)
}

/// Sorts members into intset order (ascending integers), the order in which
/// Redis iterates an intset; every member must be an integer.
pub fn intset_order<M: AsRef<[u8]>>(members: &mut [M]) {
    members.sort_unstable_by(|a, b| cmp_ints(a.as_ref(), b.as_ref()));
}

impl SetValue {
    /// True once Redis would have converted the set to a hashtable.
    pub fn is_big(&self) -> bool {
        matches!(self, SetValue::Table(_))
    }

    /// OBJECT ENCODING's name for the encoding.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Intset(_) => "intset",
            SetValue::Table(_) => "hashtable",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            SetValue::Intset(s) => s.len(),
            SetValue::Table(d) => d.len(),
        }
    }

    /// True when there are no members (such keys must not exist).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetValue::Intset(s) => s.contains(member),
            SetValue::Table(d) => d.contains_key(member),
        }
    }

    /// Adds `member` as Redis's `setTypeAdd` does: a non-integer member, or
    /// more than `max_intset` members, converts an intset to a hashtable.
    /// True when new.
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        if !self.is_big() && !is_int(member) {
            self.convert();
        }
        let added = match self {
            SetValue::Intset(s) => s.insert(member),
            SetValue::Table(d) if d.contains_key(member) => false,
            SetValue::Table(d) => {
                d.insert_new(member, ());
                true
            }
        };
        if self.len() > max_intset {
            self.convert();
        }
        added
    }

    /// Removes `member`; true when it was in the set.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::Intset(s) => s.remove(member),
            SetValue::Table(d) => d.remove(member).is_some(),
        }
    }

    /// Every member in Redis's iteration order: ascending integers for an
    /// intset, table order for a hashtable.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let (small, big) = match self {
            SetValue::Intset(s) => (Some(s.iter()), None),
            SetValue::Table(d) => (None, Some(d.keys())),
        };
        small.into_iter().flatten().chain(big.into_iter().flatten())
    }

    /// A random member: uniform over an intset (`intsetRandom`),
    /// `dictGetRandomKey` over a hashtable.
    pub fn random(&self) -> Option<&[u8]> {
        match self {
            SetValue::Intset(s) if s.is_empty() => None,
            SetValue::Intset(s) => Some(s.get(rand::rng().random_range(0..s.len()))),
            SetValue::Table(d) => d.random().map(|(m, _)| m),
        }
    }

    /// SRANDMEMBER's and SPOP's pick of members by `count` (see
    /// [`sample::pick`] and [`sample::pick_listed`]; Redis 7.0 samples an
    /// intset in random order).
    pub fn pick(&self, count: Count) -> Result<Vec<&[u8]>, CmdError> {
        match self {
            SetValue::Intset(s) => sample::pick_listed(s.iter().collect(), count, false),
            SetValue::Table(d) => Ok(sample::pick(d, count)?
                .into_iter()
                .map(|(m, _)| m)
                .collect()),
        }
    }

    /// A fresh set of distinct `members`, with the encoding Redis picks
    /// when it builds one by adding them to a new intset.
    pub fn build(members: &[&[u8]], max_intset: usize) -> SetValue {
        if fits_intset(members.len(), members.iter().copied(), max_intset) {
            return SetValue::Intset(IntSet::from_members(members.iter().copied()));
        }
        let mut d = Dict::with_capacity(members.len());
        for m in members {
            d.insert_new(m, ());
        }
        SetValue::Table(d)
    }

    /// Picks the encoding anew as if the set had been rebuilt from its
    /// members (what SPOP does when it keeps only a few).
    pub fn rebuild_encoding(&mut self, max_intset: usize) {
        if let SetValue::Table(d) = self {
            if fits_intset(d.len(), d.keys(), max_intset) {
                *self = SetValue::Intset(IntSet::from_members(d.keys()));
            }
        }
    }

    /// Converts an intset to a hashtable (nothing for a hashtable).
    fn convert(&mut self) {
        if let SetValue::Intset(s) = self {
            let mut d = Dict::with_capacity(s.len());
            for m in s.iter() {
                d.insert_new(m, ());
            }
            *self = SetValue::Table(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        for good in [
            &b"0"[..],
            b"-1",
            b"9223372036854775807",
            b"-9223372036854775808",
        ] {
            assert!(is_int(good));
        }
        for bad in [
            &b"01"[..],
            b"-0",
            b"+1",
            b"1.0",
            b" 1",
            b"9223372036854775808",
            b"a",
        ] {
            assert!(!is_int(bad));
        }
    }

    #[test]
    fn add_converts_on_string_or_size() {
        let mut s = SetValue::default();
        assert!(s.add(b"1", 2));
        assert!(!s.add(b"1", 2));
        assert!(s.add(b"2", 2));
        assert!(!s.is_big());
        s.add(b"3", 2);
        assert!(s.is_big());
        assert!(
            s.contains(b"1") && s.contains(b"3"),
            "members survive the conversion"
        );
        let mut s = SetValue::default();
        s.add(b"a", 2);
        assert!(s.is_big());
    }

    #[test]
    fn an_intset_iterates_in_numeric_order() {
        let mut s = SetValue::default();
        for m in ["10", "-3", "2", "9223372036854775807", "-10"] {
            s.add(m.as_bytes(), 512);
        }
        let members: Vec<&[u8]> = s.iter().collect();
        assert_eq!(
            members,
            [&b"-10"[..], b"-3", b"2", b"10", b"9223372036854775807"]
        );
        assert_eq!(s.pick(Count::Distinct(9)).unwrap(), members);
        assert!(s.random().is_some_and(|m| s.contains(m)));
        assert_eq!(SetValue::default().random(), None);
    }

    #[test]
    fn build_and_rebuild_pick_the_fresh_encoding() {
        assert!(!SetValue::build(&[b"2", b"1"], 2).is_big());
        assert_eq!(
            SetValue::build(&[b"2", b"1"], 2).iter().collect::<Vec<_>>(),
            [b"1", b"2"]
        );
        assert!(SetValue::build(&[b"1", b"2", b"3"], 2).is_big());
        assert!(SetValue::build(&[b"1", b"x"], 5).is_big());
        let mut s = SetValue::build(&[b"7", b"x", b"-1"], 5);
        s.remove(b"x");
        s.rebuild_encoding(5);
        assert!(!s.is_big());
        assert_eq!(s.iter().collect::<Vec<_>>(), [&b"-1"[..], b"7"]);
    }

    #[test]
    fn intset_order_is_numeric() {
        let mut v: Vec<&[u8]> = vec![b"10", b"-3", b"2"];
        intset_order(&mut v);
        assert_eq!(v, vec![&b"-3"[..], b"2", b"10"]);
    }
}
