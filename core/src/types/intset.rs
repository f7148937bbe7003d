//! `IntSet`: a small all-integer set as Redis 7.0 keeps it while it is under
//! `set-max-intset-entries`: members sorted by numeric value, which is the
//! order SMEMBERS, SSCAN and the set algebra return for such a set.
//!
//! Redis stores fixed-width binary integers and widens them all when a
//! larger one arrives (`intsetUpgradeAndAdd`). We do the same with the
//! members' decimal text, so that members can be lent out as byte strings
//! like any other set's: each slot is `width` bytes, a length byte followed
//! by the digits, zero padded; `width` grows to fit the longest member ever
//! added and never shrinks. Fixed slots give binary search and O(1) access
//! by rank (random picks).

use std::cmp::Ordering;

/// Canonical decimal integers (as `string2ll` accepts them), sorted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IntSet {
    slots: Vec<u8>,
    /// Bytes per slot; 0 while nothing was ever added.
    width: u8,
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Compares two canonical decimal integers by value, without parsing: a
/// negative number is below any other; among non-negative ones more digits
/// mean larger, and equal lengths compare as text; negatives the reverse.
pub fn cmp_ints(a: &[u8], b: &[u8]) -> Ordering {
    match (a.first() == Some(&b'-'), b.first() == Some(&b'-')) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        (true, true) => b.len().cmp(&a.len()).then_with(|| b.cmp(a)),
    }
}

impl IntSet {
    /// An empty intset.
    pub fn new() -> Self {
        Self::default()
    }

    /// An intset of distinct canonical integers, in any order.
    pub fn from_members<'a>(members: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut sorted: Vec<&[u8]> = members.into_iter().collect();
        sorted.sort_unstable_by(|a, b| cmp_ints(a, b));
        let longest = sorted.iter().map(|m| m.len()).max().unwrap_or(0);
        let mut set = IntSet::new();
        if !sorted.is_empty() {
            set.width = slot_width(longest);
            set.slots
                .reserve_exact(sorted.len() * usize::from(set.width));
            for m in sorted {
                set.slots.extend(slot(m, set.width));
            }
        }
        set
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self.width {
            0 => 0,
            w => self.slots.len() / usize::from(w),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The member of rank `i` (0 is the smallest).
    pub fn get(&self, i: usize) -> &[u8] {
        let w = usize::from(self.width);
        member(&self.slots[i * w..(i + 1) * w])
    }

    /// The rank of `m`, or where it would go.
    fn search(&self, m: &[u8]) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match cmp_ints(self.get(mid), m) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// True when `m` is a member (anything but a canonical integer is not).
    pub fn contains(&self, m: &[u8]) -> bool {
        super::set::is_int(m) && self.search(m).is_ok()
    }

    /// Adds `m`, which must be a canonical integer; true when new.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        debug_assert!(super::set::is_int(m), "intset members are integers");
        let Err(rank) = self.search(m) else {
            return false;
        };
        if slot_width(m.len()) > self.width {
            self.widen(slot_width(m.len()));
        }
        let w = usize::from(self.width);
        // Exact growth, as Redis resizes an intset per insert: small sets
        // are many, and doubling would waste a third of their memory.
        self.slots.reserve_exact(w);
        self.slots.splice(rank * w..rank * w, slot(m, self.width));
        true
    }

    /// Removes `m`; true when it was a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        if !super::set::is_int(m) {
            return false;
        }
        let Ok(rank) = self.search(m) else {
            return false;
        };
        let w = usize::from(self.width);
        self.slots.drain(rank * w..(rank + 1) * w);
        if self.slots.capacity() > 2 * self.slots.len() {
            self.slots.shrink_to_fit();
        }
        true
    }

    /// Every member, ascending.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.slots
            .chunks_exact(usize::from(self.width.max(1)))
            .map(member)
    }

    /// Re-lays every slot at `width` bytes.
    fn widen(&mut self, width: u8) {
        let mut slots = Vec::with_capacity((self.len() + 1) * usize::from(width));
        for m in self.iter() {
            slots.extend(slot(m, width));
        }
        self.slots = slots;
        self.width = width;
    }
}

/// The slot width that fits a member of `len` bytes (at most 20).
fn slot_width(len: usize) -> u8 {
    u8::try_from(len + 1).expect("integers have at most 20 characters")
}

/// The slot for `m`: its length byte, then its text, zero padded to `width`.
fn slot(m: &[u8], width: u8) -> impl Iterator<Item = u8> + '_ {
    let pad = usize::from(width) - 1 - m.len();
    std::iter::once(m.len() as u8)
        .chain(m.iter().copied())
        .chain(std::iter::repeat_n(0, pad))
}

/// The member held in `slot`.
fn member(slot: &[u8]) -> &[u8] {
    &slot[1..1 + usize::from(slot[0])]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &IntSet) -> Vec<String> {
        s.iter()
            .map(|m| String::from_utf8(m.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn cmp_ints_orders_by_value() {
        let mut v = [
            "10",
            "-3",
            "2",
            "0",
            "-10",
            "-9223372036854775808",
            "9223372036854775807",
            "-2",
            "99",
            "100",
        ];
        v.sort_by(|a, b| cmp_ints(a.as_bytes(), b.as_bytes()));
        let mut want = v;
        want.sort_by_key(|m| m.parse::<i64>().unwrap());
        assert_eq!(v, want);
    }

    #[test]
    fn stays_sorted_and_widens() {
        let mut s = IntSet::new();
        for m in ["5", "-3", "100", "7", "-3", "0"] {
            s.insert(m.as_bytes());
        }
        assert_eq!(members(&s), ["-3", "0", "5", "7", "100"]);
        assert!(s.insert(b"-9223372036854775808"));
        assert!(!s.insert(b"100"));
        assert_eq!(s.len(), 6);
        assert_eq!(s.get(0), b"-9223372036854775808");
        assert!(s.contains(b"7"));
        assert!(!s.contains(b"8"));
        assert!(!s.contains(b"07"));
        assert!(!s.contains(b""));
        assert!(s.remove(b"7"));
        assert!(!s.remove(b"7"));
        assert!(!s.remove(b"x"));
        assert_eq!(members(&s), ["-9223372036854775808", "-3", "0", "5", "100"]);
    }

    #[test]
    fn from_members_matches_inserts() {
        let ms: [&[u8]; 5] = [b"42", b"-1", b"1000000", b"3", b"-77"];
        let mut one_by_one = IntSet::new();
        for m in ms {
            one_by_one.insert(m);
        }
        assert_eq!(IntSet::from_members(ms), one_by_one);
        assert!(IntSet::from_members([]).is_empty());
        assert_eq!(IntSet::from_members([]).iter().count(), 0);
    }
}
