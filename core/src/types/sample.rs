//! Random selection for HRANDFIELD, SRANDMEMBER and SPOP: the count
//! argument's rules and picking distinct or repeated random elements of a
//! [`Dict`] (big encodings) or of a small encoding's elements.

use crate::dict::Dict;
use crate::error::CmdError;
use rand::Rng;
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
        Count::Repeat(n) => {
            check_repeat(n)?;
            Ok((0..n).filter_map(|_| dict.random()).collect())
        }
        Count::Distinct(n) if n >= dict.len() => Ok(dict.iter().collect()),
        Count::Distinct(n) => Ok(distinct(dict, n)),
    }
}

/// Refuses a repeat count over [`MAX_REPEAT`].
fn check_repeat(n: usize) -> Result<(), CmdError> {
    if n > MAX_REPEAT {
        return Err(CmdError::err("value is out of range"));
    }
    Ok(())
}

/// Picks by `count` among `all`, a small encoding's elements (listpack,
/// intset) in iteration order, as Redis picks from those: a repeated pick
/// is uniform over the elements; `Distinct(n)` with `n >= len` is all of
/// them in order; fewer come in random order, except that with
/// `keep_order` (listpack hashes: `lpRandomPairsUnique`, Redis's "CASE
/// 2.5" of HRANDFIELD) a pick of at most a third keeps iteration order.
/// Refuses a repeat count over [`MAX_REPEAT`].
pub fn pick_listed<T: Copy>(
    mut all: Vec<T>,
    count: Count,
    keep_order: bool,
) -> Result<Vec<T>, CmdError> {
    if all.is_empty() {
        return Ok(all);
    }
    let mut rng = rand::rng();
    match count {
        Count::Repeat(n) => {
            check_repeat(n)?;
            Ok((0..n)
                .map(|_| all[rng.random_range(0..all.len())])
                .collect())
        }
        Count::Distinct(n) if n >= all.len() => Ok(all),
        Count::Distinct(n) if keep_order && n.saturating_mul(3) <= all.len() => {
            Ok(in_order(&all, n, &mut rng))
        }
        Count::Distinct(n) => {
            let (picked, _) = all.partial_shuffle(&mut rng, n);
            Ok(picked.to_vec())
        }
    }
}

/// `n` distinct elements of `all`, each subset equally likely, kept in
/// their order: selection sampling (Knuth's algorithm S), which Redis's
/// `lpRandomPairsUnique` also uses.
fn in_order<T: Copy>(all: &[T], n: usize, rng: &mut impl Rng) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    for (i, &x) in all.iter().enumerate() {
        let (wanted, left) = (n - out.len(), all.len() - i);
        if rng.random_range(0..left) < wanted {
            out.push(x);
        }
    }
    out
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
    fn listed_picks_follow_redis_cases() {
        let all: Vec<u32> = (0..30).collect();
        assert_eq!(
            pick_listed(all.clone(), Count::Distinct(30), true).unwrap(),
            all
        );
        assert_eq!(
            pick_listed(all.clone(), Count::Distinct(99), false).unwrap(),
            all
        );
        for keep_order in [true, false] {
            for n in [1, 5, 10, 11, 29] {
                let got = pick_listed(all.clone(), Count::Distinct(n), keep_order).unwrap();
                assert_eq!(got.len(), n);
                let distinct: std::collections::HashSet<_> = got.iter().collect();
                assert_eq!(distinct.len(), n);
                if keep_order && n * 3 <= 30 {
                    assert!(got.is_sorted(), "{got:?} keeps order for n={n}");
                }
            }
        }
        let repeated = pick_listed(all.clone(), Count::Repeat(500), true).unwrap();
        assert_eq!(repeated.len(), 500);
        assert!(repeated.iter().all(|x| *x < 30));
        assert!(pick_listed(all, Count::Repeat(MAX_REPEAT + 1), true).is_err());
        assert!(
            pick_listed(Vec::<u32>::new(), Count::Repeat(usize::MAX), true)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn in_order_covers_every_element() {
        let all: Vec<u32> = (0..9).collect();
        let mut seen = [0u32; 9];
        let mut rng = rand::rng();
        for _ in 0..3000 {
            let got = in_order(&all, 3, &mut rng);
            assert_eq!(got.len(), 3);
            assert!(got.is_sorted());
            for x in got {
                seen[x as usize] += 1;
            }
        }
        // Each element is expected 1000 times; this bound is ~9 sigma wide.
        assert!(seen.iter().all(|&c| (750..1250).contains(&c)), "{seen:?}");
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
