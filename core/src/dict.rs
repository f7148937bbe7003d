//! `Dict`: a chained hash table from byte strings to `V`, the shape of
//! Redis's `dict.c` (buckets, SCAN cursor and sampling live in
//! [`chain`](crate::chain)). It holds hash fields, set members and sorted-set
//! members; the keyspace has its own packed table on the same chains.

use crate::chain::{Chains, Link, Node};
use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::ptr::NonNull;

/// A node's fixed part. Each node is ONE allocation: this header followed
/// by the key bytes, so a lookup touches one cache line less than a node
/// pointing at a separately boxed key, and no allocator header is spent on
/// the key.
#[repr(C)]
struct Head<V> {
    next: Link<Head<V>>,
    val: V,
    klen: u32,
}

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

    /// Allocates an unlinked node holding `key` and `val`.
    fn alloc(key: &[u8], val: V) -> NonNull<Head<V>> {
        let klen = u32::try_from(key.len()).expect("keys are shorter than 4 GiB");
        let layout = Head::<V>::layout(key.len());
        // SAFETY: the layout has a non-zero size (the header); the header is
        // written before use and the key copied into the bytes reserved after it.
        unsafe {
            let p = alloc(layout).cast::<Head<V>>();
            let Some(node) = NonNull::new(p) else {
                handle_alloc_error(layout)
            };
            p.write(Head {
                next: None,
                val,
                klen,
            });
            let kp = p.cast::<u8>().add(size_of::<Head<V>>());
            std::ptr::copy_nonoverlapping(key.as_ptr(), kp, key.len());
            node
        }
    }

    /// Frees an unlinked node and returns its value.
    ///
    /// # Safety
    /// `n` must be a live node no longer reachable from a table.
    unsafe fn take(n: NonNull<Head<V>>) -> V {
        // SAFETY: per the contract; the value is moved out before the memory goes.
        unsafe {
            let p = n.as_ptr();
            let layout = Head::<V>::layout((*p).klen as usize);
            let val = std::ptr::read(&(*p).val);
            dealloc(p.cast(), layout);
            val
        }
    }

    /// The value of a live node, for as long as the caller's borrow of its table.
    ///
    /// # Safety
    /// `n` must be live for `'a`, and not borrowed mutably meanwhile.
    unsafe fn val<'a>(n: NonNull<Head<V>>) -> &'a V {
        // SAFETY: per the contract.
        unsafe { &(*n.as_ptr()).val }
    }

    /// The value of a live node, mutable.
    ///
    /// # Safety
    /// `n` must be live for `'a`, and not otherwise borrowed meanwhile.
    unsafe fn val_mut<'a>(n: NonNull<Head<V>>) -> &'a mut V {
        // SAFETY: per the contract.
        unsafe { &mut (*n.as_ptr()).val }
    }
}

// SAFETY: `next` and the key are the node's own fields, live as long as the
// node; `free` drops the value and releases the allocation `alloc` made.
unsafe impl<V> Node for Head<V> {
    unsafe fn next(n: NonNull<Self>) -> *mut Link<Self> {
        // SAFETY: the node is live (caller's contract).
        unsafe { &raw mut (*n.as_ptr()).next }
    }

    unsafe fn key<'a>(n: NonNull<Self>) -> &'a [u8] {
        // SAFETY: the node is live and its key follows the header.
        unsafe {
            let p = n.as_ptr();
            let klen = (*p).klen as usize;
            std::slice::from_raw_parts(p.cast::<u8>().add(size_of::<Head<V>>()), klen)
        }
    }

    unsafe fn free(n: NonNull<Self>) {
        // SAFETY: the node is live and unreachable (caller's contract).
        drop(unsafe { Head::take(n) });
    }
}

/// A hash table from byte strings to `V`.
pub struct Dict<V> {
    chains: Chains<Head<V>>,
}

// SAFETY: a Dict owns its nodes exclusively (no sharing between tables), so
// it is as thread-safe as the values it holds.
unsafe impl<V: Send> Send for Dict<V> {}
// SAFETY: shared access only reads nodes.
unsafe impl<V: Sync> Sync for Dict<V> {}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict {
            chains: Chains::default(),
        }
    }
}

impl<V: Clone> Clone for Dict<V> {
    fn clone(&self) -> Self {
        let mut d = Dict::with_capacity(self.len());
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

/// A node's key and value, borrowed for `'a`.
///
/// # Safety
/// `n` must be a live node of a table borrowed (shared) for `'a`.
unsafe fn pair<'a, V>(n: NonNull<Head<V>>) -> (&'a [u8], &'a V) {
    // SAFETY: per the contract.
    unsafe { (Head::key(n), Head::val(n)) }
}

impl<V> Dict<V> {
    /// An empty dict.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty dict sized for `n` elements.
    pub fn with_capacity(n: usize) -> Self {
        Dict {
            chains: Chains::with_capacity(n),
        }
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.chains.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of buckets (a power of two, or 0).
    pub fn buckets(&self) -> usize {
        self.chains.buckets()
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        // SAFETY: the node lives as long as `&self` (removal needs `&mut self`).
        self.chains.find(key).map(|n| unsafe { Head::val(n) })
    }

    /// The value of `key`, mutable.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        // SAFETY: exclusive access through `&mut self`.
        self.chains.find(key).map(|n| unsafe { Head::val_mut(n) })
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.chains.find(key).is_some()
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
        let node = Head::alloc(key, val);
        self.chains.push(node);
        // SAFETY: just linked; exclusive through `&mut self`.
        unsafe { Head::val_mut(node) }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        let link = self.chains.find_link(key)?;
        // SAFETY: the link was just found; the unlinked node is ours to free.
        let v = unsafe { Head::take(self.chains.unlink(link)) };
        self.chains.maybe_shrink();
        Some(v)
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Every (key, value), in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        // SAFETY: the table is borrowed for the iterator's life.
        self.chains.iter().map(|n| unsafe { pair(n) })
    }

    /// Every key, in table order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.iter().map(|(k, _)| k)
    }

    /// Keeps only the elements for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &mut V) -> bool) {
        // SAFETY: each node is offered once, under `&mut self`.
        self.chains
            .retain(|n| unsafe { keep(Head::key(n), Head::val_mut(n)) });
    }

    /// Visits the bucket named by `cursor` and returns the next cursor (0 when
    /// the iteration is complete): Redis's `dictScan` (see [`crate::chain`]).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        self.chains.scan(cursor, |n| {
            // SAFETY: the node lives while `&self` is borrowed.
            let (k, v) = unsafe { pair(n) };
            visit(k, v);
        })
    }

    /// A random element, chosen like Redis's `dictGetRandomKey`.
    pub fn random(&self) -> Option<(&[u8], &V)> {
        // SAFETY: the node lives while `&self` is borrowed.
        self.chains.random().map(|n| unsafe { pair(n) })
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
