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
use std::hash::BuildHasher;
use std::sync::LazyLock;

/// One per-process random seed, so hashes resist crafted collisions.
static SEED: LazyLock<u64> = LazyLock::new(|| rand::rng().random());

/// Hashes a key with the process seed.
#[inline]
pub fn hash_key(key: &[u8]) -> u64 {
    FixedState::with_seed(*SEED).hash_one(key)
}

struct Node<V> {
    next: Option<Box<Node<V>>>,
    key: Box<[u8]>,
    val: V,
}

/// A hash table from byte strings to `V`.
pub struct Dict<V> {
    buckets: Vec<Option<Box<Node<V>>>>,
    len: usize,
}

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
            d.insert(k.into(), v.clone());
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
        // Unlink chains iteratively so a long chain cannot overflow the stack.
        for b in &mut self.buckets {
            let mut cur = b.take();
            while let Some(mut n) = cur {
                cur = n.next.take();
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

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.buckets[self.slot(key)].as_deref();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(&n.val);
            }
            cur = n.next.as_deref();
        }
        None
    }

    /// The value of `key`, mutable.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.len == 0 {
            return None;
        }
        let slot = self.slot(key);
        let mut cur = self.buckets[slot].as_deref_mut();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(&mut n.val);
            }
            cur = n.next.as_deref_mut();
        }
        None
    }

    /// Looks `key` up for writing; when `evict` says the found value is
    /// stale (an expired key), removes it instead and hands it back.
    #[inline]
    pub fn lookup_evict(&mut self, key: &[u8], evict: impl FnOnce(&V) -> bool) -> Lookup<'_, V> {
        if self.len == 0 {
            return Lookup::Missing;
        }
        let slot = self.slot(key);
        let mut depth = 0;
        let mut cur = self.buckets[slot].as_deref();
        let found = loop {
            match cur {
                None => return Lookup::Missing,
                Some(n) if &*n.key == key => break n,
                Some(n) => {
                    depth += 1;
                    cur = n.next.as_deref();
                }
            }
        };
        if evict(&found.val) {
            let (k, v) = self.remove_entry(key).expect("found above");
            return Lookup::Evicted(k, v);
        }
        let mut n = self.buckets[slot].as_deref_mut().expect("found above");
        for _ in 0..depth {
            n = n.next.as_deref_mut().expect("found above");
        }
        Lookup::Found(&mut n.val)
    }

    /// The stored key and value of `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.buckets[self.slot(key)].as_deref();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some((&n.key, &n.val));
            }
            cur = n.next.as_deref();
        }
        None
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, key: Box<[u8]>, val: V) -> Option<V> {
        if let Some(v) = self.get_mut(&key) {
            return Some(std::mem::replace(v, val));
        }
        self.insert_new(key, val);
        None
    }

    /// Inserts a key known to be absent; returns a reference to its value.
    pub fn insert_new(&mut self, key: Box<[u8]>, val: V) -> &mut V {
        if self.len >= self.buckets.len() {
            self.resize((self.buckets.len() * 2).max(4));
        }
        let slot = self.slot(&key);
        let next = self.buckets[slot].take();
        self.len += 1;
        let node = self.buckets[slot].insert(Box::new(Node { next, key, val }));
        &mut node.val
    }

    /// The value of `key`, inserting `make()` first when absent.
    pub fn entry_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> &mut V {
        if self.contains_key(key) {
            return self.get_mut(key).expect("present");
        }
        self.insert_new(key.into(), make())
    }

    /// Removes `key`; returns its stored key and value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        if self.len == 0 {
            return None;
        }
        let slot = self.slot(key);
        let mut link = &mut self.buckets[slot];
        loop {
            match link {
                None => return None,
                Some(n) if &*n.key == key => {
                    let mut n = link.take().expect("matched");
                    *link = n.next.take();
                    self.len -= 1;
                    self.maybe_shrink();
                    return Some((n.key, n.val));
                }
                Some(n) => link = &mut n.next,
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
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
        let old = std::mem::replace(&mut self.buckets, (0..size).map(|_| None).collect());
        let mask = size - 1;
        for mut head in old {
            while let Some(mut n) = head {
                head = n.next.take();
                let slot = (hash_key(&n.key) as usize) & mask;
                n.next = self.buckets[slot].take();
                self.buckets[slot] = Some(n);
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
        self.buckets.iter_mut().flat_map(|b| {
            let mut out = Vec::new();
            let mut cur = b.as_deref_mut();
            while let Some(n) = cur {
                out.push(&mut n.val);
                cur = n.next.as_deref_mut();
            }
            out
        })
    }

    /// Keeps only the elements for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &mut V) -> bool) {
        for b in &mut self.buckets {
            let mut link = b;
            while link.is_some() {
                let n = link.as_mut().expect("some");
                if keep(&n.key, &mut n.val) {
                    link = &mut link.as_mut().expect("some").next;
                } else {
                    let mut n = link.take().expect("some");
                    *link = n.next.take();
                    self.len -= 1;
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
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref();
        while let Some(n) = cur {
            visit(&n.key, &n.val);
            cur = n.next.as_deref();
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
            let b = rng.random::<u64>() as usize & mask;
            if let Some(head) = self.buckets[b].as_deref() {
                let mut chain = 0;
                let mut cur = Some(head);
                while let Some(n) = cur {
                    chain += 1;
                    cur = n.next.as_deref();
                }
                let mut pick = rng.random_range(0..chain);
                let mut n = head;
                while pick > 0 {
                    n = n.next.as_deref().expect("within chain");
                    pick -= 1;
                }
                return Some((&n.key, &n.val));
            }
        }
    }
}

/// The outcome of [`Dict::lookup_evict`].
pub enum Lookup<'a, V> {
    /// Present and kept.
    Found(&'a mut V),
    /// Present but evicted: the removed key and value.
    Evicted(Box<[u8]>, V),
    /// Absent.
    Missing,
}

/// Iterator over a [`Dict`].
pub struct Iter<'a, V> {
    buckets: &'a [Option<Box<Node<V>>>],
    bucket: usize,
    node: Option<&'a Node<V>>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next.as_deref();
                return Some((&n.key, &n.val));
            }
            let b = self.buckets.get(self.bucket)?;
            self.bucket += 1;
            self.node = b.as_deref();
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
            assert!(d.insert(i.to_string().into_bytes().into(), i).is_none());
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
            d.insert(format!("k{i}").into_bytes().into(), ());
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
                    d.insert(format!("x{i}").into_bytes().into(), ());
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
            d.insert(i.to_string().into_bytes().into(), i);
        }
        d.retain(|_, v| *v % 2 == 0);
        assert_eq!(d.len(), 50);
        for _ in 0..100 {
            let (_, v) = d.random().unwrap();
            assert_eq!(v % 2, 0);
        }
    }
}
