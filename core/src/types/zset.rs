//! The sorted set: member → score map plus a score-ordered index.

use crate::dict::Dict;
use std::collections::BTreeSet;

/// A score usable as an ordered key (scores are never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score(pub f64);
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .partial_cmp(&other.0)
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

/// A sorted set.
#[derive(Debug, Clone, Default)]
pub struct ZSet {
    /// Member → score.
    pub dict: Dict<f64>,
    /// (score, member) in order.
    pub index: BTreeSet<(Score, Vec<u8>)>,
    /// True once Redis would have converted it from listpack to a skiplist.
    pub big: bool,
}

impl ZSet {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// True when it has no members.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }
}
