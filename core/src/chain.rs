//! `Chains`: the bucket array of a chained hash table, generic over its node
//! type, in the shape of Redis's `dict.c`. Two tables are built on it:
//! [`Dict`](crate::dict::Dict) (hash fields, set and zset members) and the
//! keyspace's [`Table`](crate::keyspace::Table), whose nodes are packed
//! differently but must behave exactly alike.
//!
//! We keep our own table (rather than a std map) because SCAN needs Redis's
//! guarantee: a reverse-binary cursor over the bucket array returns every
//! element present for the whole iteration at least once, even when the
//! table grows or shrinks between calls. It also gives cheap random sampling
//! (RANDOMKEY, SPOP, active expiry).
//!
//! Each node is one allocation owned by the table; the `Node` trait tells
//! `Chains` where a node's link and key are and how to free it. Resizing is
//! done at once (not incrementally): tables here are per shard, so each is
//! small relative to the keyspace.

use foldhash::fast::FixedState;
use rand::Rng;
use std::hash::BuildHasher;
use std::ptr::NonNull;
use std::sync::LazyLock;

/// One per-process random seed, so hashes resist crafted collisions.
static SEED: LazyLock<u64> = LazyLock::new(|| rand::rng().random());

/// Hashes a key with the process seed.
#[inline]
pub fn hash_key(key: &[u8]) -> u64 {
    FixedState::with_seed(*SEED).hash_one(key)
}

/// A pointer to the next node of a chain (or to a bucket's first node).
pub(crate) type Link<N> = Option<NonNull<N>>;

/// A node type of [`Chains`].
///
/// # Safety
/// For a live node `n` (allocated by the implementor and not yet freed),
/// `next(n)` must point at the node's own link field and `key(n)` at its key
/// bytes, both valid until the node is freed; `free(n)` must release the node
/// and everything it owns.
pub(crate) unsafe trait Node: Sized {
    /// The node's link to the next node of its chain.
    ///
    /// # Safety
    /// `n` must be live.
    unsafe fn next(n: NonNull<Self>) -> *mut Link<Self>;

    /// The node's key.
    ///
    /// # Safety
    /// `n` must be live, and stay so while the slice is used.
    unsafe fn key<'a>(n: NonNull<Self>) -> &'a [u8];

    /// Frees a node that no table links to any more.
    ///
    /// # Safety
    /// `n` must be live and unreachable; it is dangling afterwards.
    unsafe fn free(n: NonNull<Self>);
}

/// The buckets of a chained hash table of `N` nodes. It owns its nodes
/// exclusively; the tables built on it declare `Send`/`Sync` for the values
/// their nodes hold.
pub(crate) struct Chains<N: Node> {
    buckets: Vec<Link<N>>,
    len: usize,
}

impl<N: Node> Default for Chains<N> {
    fn default() -> Self {
        Chains {
            buckets: Vec::new(),
            len: 0,
        }
    }
}

impl<N: Node> Drop for Chains<N> {
    fn drop(&mut self) {
        for i in 0..self.buckets.len() {
            prefetch_bucket(&self.buckets, i + PREFETCH_AHEAD);
            let mut cur = self.buckets[i].take();
            while let Some(n) = cur {
                // SAFETY: each node is reachable once; read its link, then free it.
                unsafe {
                    cur = *N::next(n);
                    N::free(n);
                }
            }
        }
    }
}

/// Walks a chain from `link` to the link that points at the node holding
/// `key`; `None` when no node of the chain holds it. Only reads.
///
/// # Safety
/// `link` must point at a live link (a bucket or a live node's `next`).
#[inline]
unsafe fn seek<N: Node>(mut link: *mut Link<N>, key: &[u8]) -> Option<*mut Link<N>> {
    // SAFETY: per the contract; every node reachable from a live link is live.
    unsafe {
        while let Some(n) = *link {
            prefetch_tail(n.as_ptr().cast());
            if N::key(n) == key {
                return Some(link);
            }
            link = N::next(n);
        }
    }
    None
}

/// How many buckets ahead the walks over every node (iteration, scans,
/// resizing, freeing) ask for the first node of a bucket: the nodes lie at random
/// in memory, and fetching them ahead overlaps the cache misses that
/// would otherwise come one after another.
const PREFETCH_AHEAD: usize = 8;

/// The bucket `steps` buckets after `cursor` in [`Chains::scan`]'s order
/// (a table of `mask + 1` buckets): `steps` added to the reversed bucket
/// index, as the cursor's own increment.
#[inline(always)]
fn advance(cursor: u64, mask: u64, steps: u64) -> usize {
    // One step of the reversed index is the lowest bit of the reversed mask.
    let rm = mask.reverse_bits();
    let step = rm & rm.wrapping_neg();
    let r = (cursor & mask).reverse_bits();
    (r.wrapping_add(step.wrapping_mul(steps)).reverse_bits() & mask) as usize
}

/// Asks for the first node of bucket `i` (if any) and its second line.
#[inline(always)]
fn prefetch_bucket<N>(buckets: &[Link<N>], i: usize) {
    if let Some(Some(n)) = buckets.get(i) {
        prefetch(n.as_ptr().cast());
        prefetch_tail(n.as_ptr().cast());
    }
}

/// Asks for the cache line `p` is in.
#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Asks for the cache line after the one `node` starts in: a node is under
/// 64 bytes but straddles two lines half the time, and the value (after the
/// key) is then in the second; fetching both at once overlaps the misses.
#[inline(always)]
fn prefetch_tail(node: *const u8) {
    prefetch(node.wrapping_add(63));
}

impl<N: Node> Chains<N> {
    /// Empty chains sized for `n` elements.
    pub fn with_capacity(n: usize) -> Self {
        let mut c = Self::default();
        if n > 0 {
            c.resize(n.next_power_of_two());
        }
        c
    }

    /// Number of nodes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Number of buckets (a power of two, or 0).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    #[inline]
    fn slot(&self, key: &[u8]) -> usize {
        (hash_key(key) as usize) & (self.buckets.len() - 1)
    }

    /// The node holding `key`.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<NonNull<N>> {
        if self.len == 0 {
            return None;
        }
        let bucket = &self.buckets[self.slot(key)];
        // SAFETY: the bucket is a live link; `seek` only reads through it and
        // so does this function.
        unsafe { seek(std::ptr::from_ref(bucket).cast_mut(), key).and_then(|l| *l) }
    }

    /// The link (a bucket or a node's `next`) that points at the node holding
    /// `key`: what [`Chains::unlink`] takes, and where a node that moves
    /// (is reallocated) must be re-linked. It stays valid until the table
    /// changes otherwise.
    #[inline]
    pub fn find_link(&mut self, key: &[u8]) -> Option<*mut Link<N>> {
        if self.len == 0 {
            return None;
        }
        let slot = self.slot(key);
        let bucket: *mut Link<N> = &mut self.buckets[slot];
        // SAFETY: the bucket is a live link, borrowed mutably.
        unsafe { seek(bucket, key) }
    }

    /// Links a new node whose key is absent; grows first when the table is
    /// full (one node per bucket on average, as Redis).
    pub fn push(&mut self, node: NonNull<N>) {
        if self.len >= self.buckets.len() {
            self.resize((self.buckets.len() * 2).max(4));
        }
        // SAFETY: the caller hands over a live node it owns.
        let slot = self.slot(unsafe { N::key(node) });
        // SAFETY: as above; the node joins the chain at its head.
        unsafe { *N::next(node) = self.buckets[slot] };
        self.buckets[slot] = Some(node);
        self.len += 1;
    }

    /// Unlinks the node `link` points at and hands it back (to be freed or
    /// reused by the caller). Does not shrink: see [`Chains::maybe_shrink`].
    ///
    /// # Safety
    /// `link` must come from [`Chains::find_link`] on this table, with no
    /// change to the table since, and point at a node.
    pub unsafe fn unlink(&mut self, link: *mut Link<N>) -> NonNull<N> {
        // SAFETY: per the contract `link` is live and points at a node.
        unsafe {
            let n = (*link).expect("the link points at a node");
            *link = *N::next(n);
            self.len -= 1;
            n
        }
    }

    /// Shrinks the bucket array when the fill dropped under 1/8, like Redis
    /// (`HASHTABLE_MIN_FILL`).
    pub fn maybe_shrink(&mut self) {
        if self.buckets.len() > 4 && self.len * 8 < self.buckets.len() {
            self.resize(self.len.next_power_of_two().max(4));
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.buckets, vec![None; size]);
        let mask = size - 1;
        for (i, &first) in old.iter().enumerate() {
            prefetch_bucket(&old, i + PREFETCH_AHEAD);
            let mut head = first;
            while let Some(n) = head {
                // SAFETY: every node is moved exactly once from the old
                // chains to a new bucket.
                unsafe {
                    head = *N::next(n);
                    let slot = (hash_key(N::key(n)) as usize) & mask;
                    *N::next(n) = self.buckets[slot];
                    self.buckets[slot] = Some(n);
                }
            }
        }
    }

    /// Every node, in table order.
    pub fn iter(&self) -> impl Iterator<Item = NonNull<N>> + '_ {
        let buckets = &self.buckets;
        let mut next_bucket = 0;
        let mut cur: Link<N> = None;
        std::iter::from_fn(move || {
            loop {
                if let Some(n) = cur {
                    // SAFETY: the table is borrowed, so its nodes live.
                    cur = unsafe { *N::next(n) };
                    return Some(n);
                }
                cur = *buckets.get(next_bucket)?;
                prefetch_bucket(buckets, next_bucket + PREFETCH_AHEAD);
                next_bucket += 1;
            }
        })
    }

    /// Keeps only the nodes for which `keep` is true; frees the others.
    pub fn retain(&mut self, mut keep: impl FnMut(NonNull<N>) -> bool) {
        for b in 0..self.buckets.len() {
            let mut link: *mut Link<N> = &mut self.buckets[b];
            // SAFETY: `link` is always a live link; a node is unlinked before
            // it is freed.
            unsafe {
                while let Some(n) = *link {
                    if keep(n) {
                        link = N::next(n);
                    } else {
                        *link = *N::next(n);
                        self.len -= 1;
                        N::free(n);
                    }
                }
            }
        }
        self.maybe_shrink();
    }

    /// Visits the nodes of the bucket named by `cursor` and returns the next
    /// cursor (0 when the iteration is complete). This is Redis's `dictScan`:
    /// the cursor is incremented on its reversed bits so that growing or
    /// shrinking the table between calls never skips an element.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(NonNull<N>)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        // The order is not the array's, so the array itself is fetched
        // ahead too, further than the nodes its buckets point at.
        let far = advance(cursor, mask, 2 * PREFETCH_AHEAD as u64);
        prefetch(self.buckets[far..].as_ptr().cast());
        prefetch_bucket(&self.buckets, advance(cursor, mask, PREFETCH_AHEAD as u64));
        let mut cur = self.buckets[(cursor & mask) as usize];
        while let Some(n) = cur {
            visit(n);
            // SAFETY: nodes reachable from the table are live (the table is
            // borrowed, so `visit` cannot unlink them).
            cur = unsafe { *N::next(n) };
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// A random node, chosen like Redis's `dictGetRandomKey`: a random
    /// non-empty bucket, then a random node of its chain.
    pub fn random(&self) -> Option<NonNull<N>> {
        if self.len == 0 {
            return None;
        }
        let mut rng = rand::rng();
        let mask = self.buckets.len() - 1;
        loop {
            let Some(head) = self.buckets[rng.random::<u64>() as usize & mask] else {
                continue;
            };
            // SAFETY: nodes reachable from the table are live.
            let chain = std::iter::successors(Some(head), |&n| unsafe { *N::next(n) });
            let pick = rng.random_range(0..chain.clone().count());
            return chain.clone().nth(pick);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::advance;

    /// `advance` lands where that many of the scan cursor's own
    /// increments land (wrapping around at the end of the table).
    #[test]
    fn advance_follows_the_scan_order() {
        for mask in [0u64, 3, 15, 1023] {
            let mut order = vec![0u64];
            loop {
                let c = *order.last().unwrap();
                let next = (c | !mask).reverse_bits().wrapping_add(1).reverse_bits();
                if next == 0 {
                    break;
                }
                order.push(next);
            }
            assert_eq!(order.len() as u64, mask + 1);
            for (i, &c) in order.iter().enumerate() {
                for steps in [0, 1, 8, 16, 5000] {
                    let want = order[(i + steps) % order.len()];
                    assert_eq!(
                        advance(c, mask, steps as u64) as u64,
                        want,
                        "{mask} {c} {steps}"
                    );
                }
            }
        }
    }
}
