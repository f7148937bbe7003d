//! The partial quicksort Redis uses for `SORT ... BY pattern LIMIT`
//! (`pqsort`): Bentley and McIlroy's quicksort ("Engineering a Sort
//! Function", 1993: pseudo-median pivot, three-way partition keeping equal
//! keys at both ends, insertion sort for small or already-ordered slices)
//! that skips every partition lying outside the wanted output range.
//!
//! It is not stable, and which of several equal elements lands where is part
//! of what SORT replies (ALPHA weights that are equal or missing), so it is
//! reproduced step for step rather than replaced by another sort.

use std::cmp::Ordering;

/// Sorts enough of `v` that positions `lo..=hi` hold what a full sort would
/// put there (`hi < lo` is allowed: nothing is wanted, Redis still
/// partitions once). `cmp` is the element order.
pub(super) fn sort_range<T>(v: &mut [T], lo: i64, hi: i64, cmp: &impl Fn(&T, &T) -> Ordering) {
    sort_at(v, 0, lo, hi, cmp);
}

/// True when the slice at `base..base + len` of the whole vector overlaps
/// the wanted range. This is Redis's test on byte addresses (the range ends
/// at the last byte of element `hi`), which is what decides for empty or
/// inverted ranges too.
fn overlaps(base: i64, len: i64, lo: i64, hi: i64) -> bool {
    let end = base + len;
    !((lo < base && hi < base) || (lo >= end && hi >= end))
}

/// The index of the median of `v[a]`, `v[b]`, `v[c]`.
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

/// Straight insertion sort (adjacent swaps while the left one is greater).
fn insertion<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    for m in 1..v.len() {
        let mut l = m;
        while l > 0 && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

/// Swaps the `n` elements at `a..` with those at `b..`, pairwise in order.
fn swap_blocks<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// The pivot position: the middle element, or a median of three (of nine
/// above 40 elements).
fn pivot<T>(v: &[T], cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let n = v.len();
    let mut m = n / 2;
    if n > 7 {
        let (mut l, mut r) = (0, n - 1);
        if n > 40 {
            let d = n / 8;
            l = med3(v, l, l + d, l + 2 * d, cmp);
            m = med3(v, m - d, m, m + d, cmp);
            r = med3(v, r - 2 * d, r - d, r, cmp);
        }
        m = med3(v, l, m, r, cmp);
    }
    m
}

/// One level of the sort on `v`, which starts at `base` in the whole vector.
fn sort_at<T>(mut v: &mut [T], mut base: i64, lo: i64, hi: i64, cmp: &impl Fn(&T, &T) -> Ordering) {
    loop {
        let n = v.len();
        if n < 7 {
            insertion(v, cmp);
            return;
        }
        let m = pivot(v, cmp);
        v.swap(0, m);
        // Partition: [equal | less | ... | greater | equal], with the pivot
        // at 0. `pa`/`pd` bound the equal runs, `pb`/`pc` scan inwards.
        let (mut pa, mut pb) = (1usize, 1usize);
        let (mut pc, mut pd) = (n as isize - 1, n as isize - 1);
        let mut swapped = false;
        loop {
            while pb as isize <= pc {
                let c = cmp(&v[pb], &v[0]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb as isize <= pc {
                let c = cmp(&v[pc as usize], &v[0]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    swapped = true;
                    v.swap(pc as usize, pd as usize);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb as isize > pc {
                break;
            }
            v.swap(pb, pc as usize);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            // Nothing moved: the slice is probably ordered already.
            insertion(v, cmp);
            return;
        }
        let (pc, pd) = (pc as usize, pd as usize);
        // Move the equal runs from both ends to the middle.
        let r = pa.min(pb - pa);
        swap_blocks(v, 0, pb - r, r);
        let r = (pd - pc).min(n - pd - 1);
        swap_blocks(v, pb, n - r, r);
        let less = pb - pa;
        if less > 1 && overlaps(base, less as i64, lo, hi) {
            sort_at(&mut v[..less], base, lo, hi, cmp);
        }
        let greater = pd - pc;
        if greater <= 1 {
            return;
        }
        let start = n - greater;
        base += start as i64;
        if !overlaps(base, greater as i64, lo, hi) {
            return;
        }
        v = &mut v[start..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn wanted_range_is_sorted() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for _ in 0..300 {
            let n = rng.random_range(0..120);
            let v: Vec<u32> = (0..n).map(|_| rng.random_range(0..20)).collect();
            let mut full = v.clone();
            full.sort();
            let lo = rng.random_range(0..=n as i64);
            let hi = rng.random_range(lo - 1..=n as i64 - 1);
            let mut part = v.clone();
            sort_range(&mut part, lo, hi, &|a: &u32, b: &u32| a.cmp(b));
            if lo <= hi {
                assert_eq!(
                    part[lo as usize..=hi as usize],
                    full[lo as usize..=hi as usize]
                );
            }
            let mut whole = v;
            sort_range(&mut whole, 0, n as i64 - 1, &|a: &u32, b: &u32| a.cmp(b));
            assert_eq!(whole, full);
        }
    }
}
