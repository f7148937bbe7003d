//! Set encoding rules: when Redis 7.0 keeps a set as an intset (sorted
//! integers) and when it converts it to a hashtable. The conversion is
//! one-way for a stored set, but sets that Redis builds afresh (the
//! destination of SINTERSTORE and friends, the remainder of a large SPOP)
//! start as intsets again, so [`SetValue::build`] recomputes the flag.

use crate::config::Config;
use crate::keyspace::SetValue;

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
    members.sort_unstable_by_key(|m| crate::num::parse_i64(m.as_ref()).unwrap_or(0));
}

impl SetValue {
    /// Adds `member` as Redis's `setTypeAdd` does: a non-integer member, or
    /// more than `max_intset` members, makes the set big. True when new.
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        if self.map.contains_key(member) {
            return false;
        }
        if !self.big && !is_int(member) {
            self.big = true;
        }
        self.map.insert_new(member, ());
        if self.map.len() > max_intset {
            self.big = true;
        }
        true
    }

    /// A fresh set of distinct `members`, with the encoding Redis picks
    /// when it builds one by adding them to a new intset.
    pub fn build(members: &[&[u8]], max_intset: usize) -> SetValue {
        let mut map = crate::dict::Dict::with_capacity(members.len());
        for m in members {
            map.insert_new(m, ());
        }
        let big = !fits_intset(members.len(), members.iter().copied(), max_intset);
        SetValue { map, big }
    }

    /// Recomputes the encoding as if the set had been rebuilt from its
    /// members (what SPOP does when it keeps only a few).
    pub fn rebuild_encoding(&mut self, max_intset: usize) {
        self.big = !fits_intset(self.map.len(), self.map.keys(), max_intset);
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
        assert!(!s.big);
        s.add(b"3", 2);
        assert!(s.big);
        let mut s = SetValue::default();
        s.add(b"a", 2);
        assert!(s.big);
    }

    #[test]
    fn build_and_rebuild_pick_the_fresh_encoding() {
        assert!(!SetValue::build(&[b"1", b"2"], 2).big);
        assert!(SetValue::build(&[b"1", b"2", b"3"], 2).big);
        assert!(SetValue::build(&[b"1", b"x"], 5).big);
        let mut s = SetValue::build(&[b"1", b"x"], 5);
        s.map.remove(b"x");
        s.rebuild_encoding(5);
        assert!(!s.big);
    }

    #[test]
    fn intset_order_is_numeric() {
        let mut v: Vec<&[u8]> = vec![b"10", b"-3", b"2"];
        intset_order(&mut v);
        assert_eq!(v, vec![&b"-3"[..], b"2", b"10"]);
    }
}
