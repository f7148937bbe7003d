//! Random selection for HRANDFIELD, SRANDMEMBER and SPOP: the count
//! argument's rules and picking distinct or repeated random elements of a
//! [`Dict`].

use crate::dict::Dict;
use crate::error::CmdError;
use rand::seq::SliceRandom;

/// Most elements a repeated pick may return. Redis streams a negative
/// count's reply without a bound (`SRANDMEMBER k -9223372036854775807` makes
/// it allocate until the OS kills it); we build replies in memory, so larger
/// counts are refused with Redis's own "value is out of range" error. The
/// bound is ZRANDMEMBER's: a million picks already build a reply of some
/// 150 MB (HRANDFIELD WITHVALUES); 16 million made that gigabytes.
pub const MAX_REPEAT: usize = 1 << 20;

/// A parsed count argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// A positive count: up to that many distinct elements.
    Distinct(usize),
    /// A negative count: exactly that many, repetitions allowed.
    Repeat(usize),
}

impl Count {
    /// Parses a count as Redis's `getRangeLongFromObjectOrReply(-LONG_MAX,
    /// LONG_MAX)`: a non-integer is `ERR value is not an integer or out of
    /// range`, and `-9223372036854775808` has its own range error.
    pub fn parse(arg: &[u8]) -> Result<Count, CmdError> {
        let n = crate::num::parse_i64(arg).ok_or(CmdError::NotInt)?;
        if n == i64::MIN {
            return Err(CmdError::err(
                "value is out of range, value must between -9223372036854775807 and \
                 9223372036854775807",
            ));
        }
        let magnitude = n.unsigned_abs() as usize;
        Ok(if n < 0 {
            Count::Repeat(magnitude)
        } else {
            Count::Distinct(magnitude)
        })
    }

    /// The absolute value of the count.
    pub fn magnitude(self) -> usize {
        match self {
            Count::Distinct(n) | Count::Repeat(n) => n,
        }
    }
}

/// Picks elements of `dict` by `count`: for `Distinct(n)`, `min(n, len)`
/// distinct elements (the whole dict, in table order, when `n >= len`); for
/// `Repeat(n)`, `n` independent picks (none from an empty dict). Refuses a
/// repeat count over [`MAX_REPEAT`].
pub fn pick<V>(dict: &Dict<V>, count: Count) -> Result<Vec<(&[u8], &V)>, CmdError> {
    if dict.is_empty() {
        return Ok(Vec::new());
    }
    match count {
        Count::Repeat(n) if n > MAX_REPEAT => Err(CmdError::err("value is out of range")),
        Count::Repeat(n) => Ok((0..n).filter_map(|_| dict.random()).collect()),
        Count::Distinct(n) if n >= dict.len() => Ok(dict.iter().collect()),
        Count::Distinct(n) => Ok(distinct(dict, n)),
    }
}

/// `n < dict.len()` distinct random elements. Like Redis, when `n` is a
/// large share of the dict it shuffles a copy of all entries; otherwise it
/// draws random elements until it has `n` different ones.
fn distinct<V>(dict: &Dict<V>, n: usize) -> Vec<(&[u8], &V)> {
    if n.saturating_mul(3) > dict.len() {
        let mut all: Vec<(&[u8], &V)> = dict.iter().collect();
        let (picked, _) = all.partial_shuffle(&mut rand::rng(), n);
        return picked.to_vec();
    }
    // Keys are unique in the dict, so a key's address identifies it.
    let mut seen: foldhash::HashSet<usize> = foldhash::HashSet::default();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let (k, v) = dict.random().expect("non-empty");
        if seen.insert(k.as_ptr() as usize) {
            out.push((k, v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(n: u32) -> Dict<u32> {
        let mut d = Dict::new();
        for i in 0..n {
            d.insert(i.to_string().as_bytes(), i);
        }
        d
    }

    #[test]
    fn parse_follows_redis_ranges() {
        assert_eq!(Count::parse(b"3"), Ok(Count::Distinct(3)));
        assert_eq!(Count::parse(b"-3"), Ok(Count::Repeat(3)));
        assert_eq!(Count::parse(b"0"), Ok(Count::Distinct(0)));
        assert_eq!(Count::parse(b"x"), Err(CmdError::NotInt));
        assert!(Count::parse(b"-9223372036854775808").is_err());
        assert_eq!(
            Count::parse(b"-9223372036854775807").map(Count::magnitude),
            Ok(i64::MAX as usize)
        );
    }

    #[test]
    fn distinct_picks_are_distinct_members() {
        let d = dict(100);
        for n in [1, 10, 33, 34, 99, 100, 1000] {
            let got = pick(&d, Count::Distinct(n)).unwrap();
            assert_eq!(got.len(), n.min(100));
            let keys: std::collections::HashSet<&[u8]> = got.iter().map(|(k, _)| *k).collect();
            assert_eq!(keys.len(), got.len(), "distinct for n={n}");
            assert!(got.iter().all(|(k, v)| d.get(k) == Some(*v)));
        }
    }

    #[test]
    fn repeats_have_the_exact_count_and_a_bound() {
        let d = dict(3);
        assert_eq!(pick(&d, Count::Repeat(50)).unwrap().len(), 50);
        assert!(pick(&d, Count::Repeat(MAX_REPEAT + 1)).is_err());
        assert!(
            pick(&Dict::<u32>::new(), Count::Repeat(usize::MAX))
                .unwrap()
                .is_empty()
        );
    }
}
