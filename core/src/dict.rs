//! `Dict`: a chained hash table with power-of-two bucket arrays, the shape of
//! Redis's `dict.c`. We keep our own table (rather than a std map) because
//! SCAN needs Redis's guarantee: a reverse-binary cursor over the bucket
//! array returns every element present for the whole iteration at least
//! once, even when the table grows or shrinks between calls. It also gives
//! cheap random sampling (RANDOMKEY, SPOP, active expiry).
//!
//! Resizing is done at once (not incrementally): tables here are per shard,
//! so each is small relative to the keyspace.

use foldhash::fast::FixedState;
use rand::Rng;
use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
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

/// A node's fixed part. Each node is ONE allocation: this header followed
/// by the key bytes, so a lookup touches one cache line less than a node
/// pointing at a separately boxed key, and no allocator header is spent on
/// the key.
#[repr(C)]
struct Head<V> {
    next: Link<V>,
    val: V,
    klen: u32,
}

type Link<V> = Option<NonNull<Head<V>>>;

impl<V> Head<V> {
    /// The layout of a node whose key has `klen` bytes; keys follow the
    /// header at offset `size_of::<Head<V>>()`.
    fn layout(klen: usize) -> Layout {
        let key = Layout::array::<u8>(klen).expect("key size fits a layout");
        Layout::new::<Head<V>>()
            .extend(key)
            .expect("node size fits a layout")
            .0
            .pad_to_align()
    }
}

/// Allocates a node holding `key` and `val`.
fn new_node<V>(key: &[u8], val: V, next: Link<V>) -> NonNull<Head<V>> {
    let klen = u32::try_from(key.len()).expect("keys are shorter than 4 GiB");
    let layout = Head::<V>::layout(key.len());
    // SAFETY: the layout has a non-zero size (the header); the header is
    // written before use and the key copied into the bytes reserved after it.
    unsafe {
        let p = alloc(layout).cast::<Head<V>>();
        let Some(node) = NonNull::new(p) else {
            handle_alloc_error(layout)
        };
        p.write(Head { next, val, klen });
        let kp = p.cast::<u8>().add(size_of::<Head<V>>());
        std::ptr::copy_nonoverlapping(key.as_ptr(), kp, key.len());
        node
    }
}

/// The key bytes of a live node.
///
/// # Safety
/// `n` must point to a live node; the slice must not outlive it.
#[inline]
unsafe fn key_of<'a, V>(n: NonNull<Head<V>>) -> &'a [u8] {
    // SAFETY: per the contract, the node is live and its key follows the header.
    unsafe {
        let p = n.as_ptr();
        let klen = (*p).klen as usize;
        std::slice::from_raw_parts(p.cast::<u8>().add(size_of::<Head<V>>()), klen)
    }
}

/// Frees a node (already unlinked) and returns its value.
///
/// # Safety
/// `n` must be a live node no longer reachable from the table.
unsafe fn free_node<V>(n: NonNull<Head<V>>) -> V {
    // SAFETY: per the contract; the value is moved out before the memory goes.
    unsafe {
        let p = n.as_ptr();
        let layout = Head::<V>::layout((*p).klen as usize);
        let val = std::ptr::read(&(*p).val);
        dealloc(p.cast(), layout);
        val
    }
}

/// A hash table from byte strings to `V`.
pub struct Dict<V> {
    buckets: Vec<Link<V>>,
    len: usize,
}

// SAFETY: a Dict owns its nodes exclusively (no sharing between tables), so
// it is as thread-safe as the values it holds.
unsafe impl<V: Send> Send for Dict<V> {}
// SAFETY: shared access only reads nodes.
unsafe impl<V: Sync> Sync for Dict<V> {}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict {
            buckets: Vec::new(),
            len: 0,
        }
    }
}

impl<V: Clone> Clone for Dict<V> {
    fn clone(&self) -> Self {
        let mut d = Dict::with_capacity(self.len);
        for (k, v) in self.iter() {
            d.insert_new(k, v.clone());
        }
        d
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (String::from_utf8_lossy(k), v)))
            .finish()
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        for b in &mut self.buckets {
            let mut cur = b.take();
            while let Some(n) = cur {
                // SAFETY: each node is reachable once; read its link, then free it.
                unsafe {
                    cur = (*n.as_ptr()).next;
                    drop(free_node(n));
                }
            }
        }
    }
}

impl<V> Dict<V> {
    /// An empty dict.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty dict sized for `n` elements.
    pub fn with_capacity(n: usize) -> Self {
        let mut d = Self::default();
        if n > 0 {
            d.resize(n.next_power_of_two());
        }
        d
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
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
    fn find(&self, key: &[u8]) -> Link<V> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.buckets[self.slot(key)];
        while let Some(n) = cur {
            // SAFETY: nodes reachable from the table are live.
            unsafe {
                if key_of(n) == key {
                    return Some(n);
                }
                cur = (*n.as_ptr()).next;
            }
        }
        None
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        // SAFETY: the node lives as long as `&self` (removal needs `&mut self`).
        self.find(key).map(|n| unsafe { &(*n.as_ptr()).val })
    }

    /// The value of `key`, mutable.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        // SAFETY: exclusive access through `&mut self`.
        self.find(key).map(|n| unsafe { &mut (*n.as_ptr()).val })
    }

    /// Looks `key` up for writing; when `evict` says the found value is
    /// stale (an expired key), removes it instead and hands it back.
    #[inline]
    pub fn lookup_evict(&mut self, key: &[u8], evict: impl FnOnce(&V) -> bool) -> Lookup<'_, V> {
        match self.find(key) {
            None => Lookup::Missing,
            // SAFETY: exclusive access through `&mut self`.
            Some(n) if !evict(unsafe { &(*n.as_ptr()).val }) => {
                Lookup::Found(unsafe { &mut (*n.as_ptr()).val })
            }
            Some(_) => Lookup::Evicted(self.remove(key).expect("found above")),
        }
    }

    /// The stored key and value of `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        // SAFETY: the node lives as long as `&self`.
        self.find(key)
            .map(|n| unsafe { (key_of(n), &(*n.as_ptr()).val) })
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, key: &[u8], val: V) -> Option<V> {
        if let Some(v) = self.get_mut(key) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new(key, val);
        None
    }

    /// Inserts a key known to be absent; returns a reference to its value.
    pub fn insert_new(&mut self, key: &[u8], val: V) -> &mut V {
        if self.len >= self.buckets.len() {
            self.resize((self.buckets.len() * 2).max(4));
        }
        let slot = self.slot(key);
        let node = new_node(key, val, self.buckets[slot]);
        self.buckets[slot] = Some(node);
        self.len += 1;
        // SAFETY: just allocated and linked; exclusive through `&mut self`.
        unsafe { &mut (*node.as_ptr()).val }
    }

    /// The value of `key`, inserting `make()` first when absent.
    pub fn entry_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> &mut V {
        match self.find(key) {
            // SAFETY: exclusive access through `&mut self`.
            Some(n) => unsafe { &mut (*n.as_ptr()).val },
            None => self.insert_new(key, make()),
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        if self.len == 0 {
            return None;
        }
        let slot = self.slot(key);
        let mut link: *mut Link<V> = &mut self.buckets[slot];
        // SAFETY: `link` always points at a live link (a bucket or a live
        // node's `next`); the matched node is unlinked before it is freed.
        unsafe {
            while let Some(n) = *link {
                if key_of(n) == key {
                    *link = (*n.as_ptr()).next;
                    self.len -= 1;
                    let v = free_node(n);
                    self.maybe_shrink();
                    return Some(v);
                }
                link = &mut (*n.as_ptr()).next;
            }
        }
        None
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    fn maybe_shrink(&mut self) {
        // Like Redis: shrink when the fill drops under 1/8 (HASHTABLE_MIN_FILL).
        if self.buckets.len() > 4 && self.len * 8 < self.buckets.len() {
            self.resize(self.len.next_power_of_two().max(4));
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.buckets, vec![None; size]);
        let mask = size - 1;
        for mut head in old {
            while let Some(n) = head {
                // SAFETY: every node is moved exactly once from the old
                // chains to a new bucket.
                unsafe {
                    head = (*n.as_ptr()).next;
                    let slot = (hash_key(key_of(n)) as usize) & mask;
                    (*n.as_ptr()).next = self.buckets[slot];
                    self.buckets[slot] = Some(n);
                }
            }
        }
    }

    /// Every (key, value), in table order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            buckets: &self.buckets,
            bucket: 0,
            node: None,
        }
    }

    /// Every key, in table order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.iter().map(|(k, _)| k)
    }

    /// Every value, mutable.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        let mut nodes = self.buckets.iter().copied();
        let mut cur: Link<V> = None;
        std::iter::from_fn(move || {
            loop {
                if let Some(n) = cur {
                    // SAFETY: each node is yielded once while `self` is
                    // mutably borrowed, so the references never alias.
                    unsafe {
                        cur = (*n.as_ptr()).next;
                        return Some(&mut (*n.as_ptr()).val);
                    }
                }
                cur = nodes.next()?;
            }
        })
    }

    /// Keeps only the elements for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &mut V) -> bool) {
        for b in 0..self.buckets.len() {
            let mut link: *mut Link<V> = &mut self.buckets[b];
            // SAFETY: as in `remove`: unlink before freeing.
            unsafe {
                while let Some(n) = *link {
                    if keep(key_of(n), &mut (*n.as_ptr()).val) {
                        link = &mut (*n.as_ptr()).next;
                    } else {
                        *link = (*n.as_ptr()).next;
                        self.len -= 1;
                        drop(free_node(n));
                    }
                }
            }
        }
        self.maybe_shrink();
    }

    /// Visits the bucket named by `cursor` and returns the next cursor (0 when
    /// the iteration is complete). This is Redis's `dictScan`: the cursor is
    /// incremented on its reversed bits so that growing or shrinking the table
    /// between calls never skips an element.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut cur = self.buckets[(cursor & mask) as usize];
        while let Some(n) = cur {
            // SAFETY: nodes reachable from the table are live.
            unsafe {
                visit(key_of(n), &(*n.as_ptr()).val);
                cur = (*n.as_ptr()).next;
            }
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// A random element, chosen like Redis's `dictGetRandomKey`: a random
    /// non-empty bucket, then a random node of its chain.
    pub fn random(&self) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        let mut rng = rand::rng();
        let mask = self.buckets.len() - 1;
        loop {
            let Some(head) = self.buckets[rng.random::<u64>() as usize & mask] else {
                continue;
            };
            let chain: Vec<NonNull<Head<V>>> = std::iter::successors(Some(head), |n| {
                // SAFETY: nodes reachable from the table are live.
                unsafe { (*n.as_ptr()).next }
            })
            .collect();
            let n = chain[rng.random_range(0..chain.len())];
            // SAFETY: as above; borrowed for the lifetime of `&self`.
            return Some(unsafe { (key_of(n), &(*n.as_ptr()).val) });
        }
    }
}

/// The outcome of [`Dict::lookup_evict`].
pub enum Lookup<'a, V> {
    /// Present and kept.
    Found(&'a mut V),
    /// Present but evicted: the removed value.
    Evicted(V),
    /// Absent.
    Missing,
}

/// Iterator over a [`Dict`].
pub struct Iter<'a, V> {
    buckets: &'a [Link<V>],
    bucket: usize,
    node: Link<V>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                // SAFETY: the table is borrowed for 'a, so its nodes live.
                unsafe {
                    self.node = (*n.as_ptr()).next;
                    return Some((key_of(n), &(*n.as_ptr()).val));
                }
            }
            self.node = *self.buckets.get(self.bucket)?;
            self.bucket += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::new();
        for i in 0..1000u32 {
            assert!(d.insert(i.to_string().as_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        assert_eq!(d.get(b"500"), Some(&500));
        for i in 0..990u32 {
            assert_eq!(d.remove(i.to_string().as_bytes()), Some(i));
        }
        assert_eq!(d.len(), 10);
        assert!(d.buckets() <= 16);
        assert_eq!(d.iter().count(), 10);
    }

    #[test]
    fn scan_survives_resizes() {
        let mut d = Dict::new();
        for i in 0..500u32 {
            d.insert(format!("k{i}").as_bytes(), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            round += 1;
            // Grow then shrink the table mid-iteration with keys we do not check.
            if round == 20 {
                for i in 0..3000u32 {
                    d.insert(format!("x{i}").as_bytes(), ());
                }
            }
            if round == 200 {
                for i in 0..3000u32 {
                    d.remove(format!("x{i}").as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500u32 {
            assert!(seen.contains(format!("k{i}").as_bytes()), "k{i} missed");
        }
    }

    #[test]
    fn retain_and_random() {
        let mut d = Dict::new();
        for i in 0..100u32 {
            d.insert(i.to_string().as_bytes(), i);
        }
        d.retain(|_, v| *v % 2 == 0);
        assert_eq!(d.len(), 50);
        for _ in 0..100 {
            let (_, v) = d.random().unwrap();
            assert_eq!(v % 2, 0);
        }
    }
}
