//! `Table`: one shard's keys, packed so that a key costs one allocation.
//!
//! The table is a [`Chains`] (Redis's chained hash table with its SCAN
//! cursor and random sampling, shared with [`Dict`](crate::dict::Dict)); only
//! the node is special. A node holds the key, a packed header, the deadline
//! when the key has one, and the value: short strings inline, anything else
//! through one pointer.
//!
//! # Node layout
//!
//! One allocation, 8-byte aligned; offsets in bytes:
//!
//! ```text
//!  0        8       12            13|16                 +8 if TTL
//!  +--------+-------+-------------+-----------+----------+------------------+
//!  | next   | meta  | klen        | key bytes | deadline | payload          |
//!  | *Node  | u32   | u8 (or u32) | klen      | u64 (ms) |                  |
//!  +--------+-------+-------------+-----------+----------+------------------+
//!
//!  meta = tag (bits 0-7) | access << 8 (24-bit seconds clock, as Redis's LRU)
//!  tag  = kind (bits 0-2) | RAW | NOT_INT | VOLATILE | LONG_KEY | STAMP
//!
//!  payload, by kind:
//!    INLINE string  [len: u8][bytes: len]        len <= INLINE_MAX
//!    HEAP string    [pad to 8][Vec<u8>: 24]      longer strings, HLLs
//!    HASH/LIST/...  [pad to 8][Box pointer: 8]   collections
//! ```
//!
//! `klen` is one byte unless `LONG_KEY` is set (keys of 256 bytes or more),
//! then four. The deadline is present only when `VOLATILE` is set, so a
//! persistent key never pays for it and the expiry check of a lookup reads
//! one bit of a line it has already loaded (Redis keeps a separate `expires`
//! dict; an optional field in the node costs less and needs no second
//! lookup). Deadlines and lengths are read unaligned.
//!
//! With `key:N` keys (~10 bytes) and 16-byte values a node asks malloc for
//! 40 bytes, which glibc serves from a 48-byte chunk: 22 bytes of overhead
//! per key plus the bucket array (8 bytes per bucket, about one per key).
//!
//! A node moves (is reallocated and re-linked) when its layout changes: a
//! TTL set on a persistent key or removed, an inline string changing length
//! or outgrowing the inline limit, a value changing type. [`EntryMut`] does
//! that, so it hands out strings read-only, or mutable only by consuming
//! itself (no later change can move the node under the borrow).
//!
//! # Snapshots
//!
//! A snapshot in progress (see [`crate::persist::snapshot`]) gives the
//! table a [`Pending`]. The `STAMP` bit tells whether the snapshot has
//! the entry: an entry is captured when its bit equals the table's
//! `stamp`, and the cut flips `stamp`, so every entry then waits, at no
//! cost per key. Every way to change or free an entry goes through
//! `Table::find_mut` first, which encodes an entry still waiting into the
//! `Pending` and stamps it; new entries are born stamped. Outside a
//! snapshot every entry carries the table's `stamp` (the snapshot's walk
//! ends by stamping them all, even when abandoned).

use super::value::{Entry, HashValue, SetValue, Value, ValueMut, ValueRef};
use crate::chain::{Chains, Link, Node};
use crate::error::CmdError;
use crate::persist::snapshot::Pending;
use crate::types::zset::ZSet;
use std::alloc::{Layout, alloc, dealloc, handle_alloc_error, realloc};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// Longest string stored inline in its node: as long as the one-byte length
/// allows. Inline never costs more memory than a heap buffer (which takes a
/// 24-byte `Vec` in the node plus a chunk of its own) and a read touches
/// only the node. Longer strings, and HyperLogLogs once a PF command updates
/// them (their size changes freely), live in a heap buffer, whose growth
/// (APPEND) is amortized.
pub const INLINE_MAX: usize = u8::MAX as usize;

/// The access clock's mask: the node keeps 24 bits of seconds (194 days
/// before wrapping, as Redis's `LRU_CLOCK_MAX`).
pub const ACCESS_MASK: u32 = (1 << 24) - 1;

/// Tag bits.
mod tag {
    /// The payload kind (one of the constants below).
    pub const KIND: u8 = 0b111;
    /// A string stored inline.
    pub const INLINE: u8 = 0;
    /// A string in a heap `Vec<u8>`.
    pub const HEAP: u8 = 1;
    /// A `Box<HashValue>`.
    pub const HASH: u8 = 2;
    /// A `Box<VecDeque<Vec<u8>>>`.
    pub const LIST: u8 = 3;
    /// A `Box<SetValue>`.
    pub const SET: u8 = 4;
    /// A `Box<ZSet>`.
    pub const ZSET: u8 = 5;
    /// The string was modified in place ([`Entry::raw`](crate::keyspace::Entry::raw)).
    pub const RAW: u8 = 1 << 3;
    /// The string is never integer-encoded ([`Entry::not_int`](crate::keyspace::Entry::not_int)).
    pub const NOT_INT: u8 = 1 << 4;
    /// A deadline follows the key.
    pub const VOLATILE: u8 = 1 << 5;
    /// `klen` takes four bytes.
    pub const LONG_KEY: u8 = 1 << 6;
    /// Compared with [`Table`]'s `stamp`: whether the snapshot in
    /// progress has this entry (see the module doc).
    pub const STAMP: u8 = 1 << 7;
    /// The bits that decide where the payload starts (not the string flags).
    pub const LAYOUT: u8 = KIND | VOLATILE | LONG_KEY;
}

/// Offset of the packed `meta` word.
const META: usize = 8;
/// Offset of the key length.
const KLEN: usize = 12;

/// An opaque keyspace node: its first field is the chain link, everything
/// else is read at byte offsets (see the module doc).
#[repr(C)]
struct KeyNode {
    next: Link<KeyNode>,
}

/// Where a node's parts are, as decided by its layout tag bits, key length
/// and (inline strings) value length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// The tag's [`tag::LAYOUT`] bits.
    tag: u8,
    klen: usize,
    /// Length of an inline string; 0 for other kinds.
    vlen: usize,
}

impl Shape {
    fn new(klen: usize, volatile: bool, payload: &Payload<'_>) -> Shape {
        let mut t = payload.kind();
        if volatile {
            t |= tag::VOLATILE;
        }
        if klen > u8::MAX as usize {
            t |= tag::LONG_KEY;
        }
        let vlen = match payload {
            Payload::Inline(s) => s.len(),
            _ => 0,
        };
        Shape { tag: t, klen, vlen }
    }

    fn kind(self) -> u8 {
        self.tag & tag::KIND
    }

    fn volatile(self) -> bool {
        self.tag & tag::VOLATILE != 0
    }

    fn key_off(self) -> usize {
        if self.tag & tag::LONG_KEY != 0 {
            KLEN + 4
        } else {
            KLEN + 1
        }
    }

    fn deadline_off(self) -> usize {
        self.key_off() + self.klen
    }

    fn payload_off(self) -> usize {
        let at = self.deadline_off() + if self.volatile() { 8 } else { 0 };
        match self.kind() {
            tag::INLINE => at,
            _ => at.next_multiple_of(8),
        }
    }

    fn size(self) -> usize {
        self.payload_off()
            + match self.kind() {
                tag::INLINE => 1 + self.vlen,
                tag::HEAP => size_of::<Vec<u8>>(),
                _ => size_of::<usize>(),
            }
    }

    fn layout(self) -> Layout {
        Layout::from_size_align(self.size(), 8).expect("node size fits a layout")
    }

    /// True when `self` and `other` place everything before the payload
    /// alike, so a node can change from one to the other in place (after a
    /// `realloc` when the sizes differ).
    fn same_prefix(self, other: Shape) -> bool {
        self.klen == other.klen
            && self.volatile() == other.volatile()
            && self.payload_off() == other.payload_off()
    }
}

/// A value on its way into a node.
enum Payload<'v> {
    /// String bytes to copy into the node.
    Inline(&'v [u8]),
    /// A string buffer to move into the node.
    Heap(Vec<u8>),
    /// A collection (never `Value::Str`) whose box moves into the node.
    Boxed(Value),
}

impl<'v> Payload<'v> {
    /// String bytes: inline when short enough, else copied to a buffer.
    fn bytes(s: &'v [u8]) -> Payload<'v> {
        if s.len() <= INLINE_MAX {
            Payload::Inline(s)
        } else {
            Payload::Heap(s.to_vec())
        }
    }

    /// Runs `f` on the payload of `value` (short strings are copied inline,
    /// then their buffer freed).
    fn with<R>(value: Value, f: impl FnOnce(Payload<'_>) -> R) -> R {
        match value {
            Value::Str(s) if s.len() <= INLINE_MAX => f(Payload::Inline(&s)),
            Value::Str(s) => f(Payload::Heap(s)),
            boxed => f(Payload::Boxed(boxed)),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            Payload::Inline(_) => tag::INLINE,
            Payload::Heap(_) => tag::HEAP,
            Payload::Boxed(Value::Hash(_)) => tag::HASH,
            Payload::Boxed(Value::List(_)) => tag::LIST,
            Payload::Boxed(Value::Set(_)) => tag::SET,
            Payload::Boxed(Value::ZSet(_)) => tag::ZSET,
            Payload::Boxed(Value::Str(_)) => unreachable!("strings are never boxed"),
        }
    }
}

/// A pointer `off` bytes into node `n`.
///
/// # Safety
/// `n` must be live and `off` within its allocation.
#[inline]
unsafe fn at(n: NonNull<KeyNode>, off: usize) -> *mut u8 {
    // SAFETY: per the contract.
    unsafe { n.as_ptr().cast::<u8>().add(off) }
}

impl KeyNode {
    /// The packed tag and access time.
    ///
    /// # Safety
    /// `n` must be live.
    #[inline]
    unsafe fn meta(n: NonNull<Self>) -> u32 {
        // SAFETY: `meta` is 4-aligned at offset 8 of every node.
        unsafe { at(n, META).cast::<u32>().read() }
    }

    /// # Safety
    /// `n` must be live.
    #[inline]
    unsafe fn set_meta(n: NonNull<Self>, meta: u32) {
        // SAFETY: as in `meta`.
        unsafe { at(n, META).cast::<u32>().write(meta) }
    }

    /// # Safety
    /// `n` must be live.
    #[inline]
    unsafe fn tag(n: NonNull<Self>) -> u8 {
        // SAFETY: per the contract.
        unsafe { Self::meta(n) as u8 }
    }

    /// The node's shape without the inline string length (`vlen` 0):
    /// enough to find the key, the deadline and the payload.
    ///
    /// # Safety
    /// `n` must be live.
    #[inline]
    unsafe fn prefix(n: NonNull<Self>) -> Shape {
        // SAFETY: the header fields exist in every node.
        unsafe {
            let t = Self::tag(n) & tag::LAYOUT;
            let klen = if t & tag::LONG_KEY != 0 {
                at(n, KLEN).cast::<u32>().read_unaligned() as usize
            } else {
                *at(n, KLEN) as usize
            };
            Shape {
                tag: t,
                klen,
                vlen: 0,
            }
        }
    }

    /// The node's shape, read from its header.
    ///
    /// # Safety
    /// `n` must be live.
    #[inline]
    unsafe fn shape(n: NonNull<Self>) -> Shape {
        // SAFETY: an inline string's length byte starts its payload.
        unsafe {
            let mut s = Self::prefix(n);
            if s.kind() == tag::INLINE {
                s.vlen = *at(n, s.payload_off()) as usize;
            }
            s
        }
    }

    /// The deadline, 0 when the node has none.
    ///
    /// # Safety
    /// `n` must be live.
    #[inline]
    unsafe fn deadline(n: NonNull<Self>) -> u64 {
        // SAFETY: the deadline is present exactly when VOLATILE is set.
        unsafe {
            if Self::tag(n) & tag::VOLATILE == 0 {
                return 0;
            }
            let s = Self::prefix(n);
            at(n, s.deadline_off()).cast::<u64>().read_unaligned()
        }
    }

    /// Allocates an unlinked node.
    fn build(key: &[u8], meta: u32, deadline: u64, payload: Payload<'_>) -> NonNull<Self> {
        assert!(
            u32::try_from(key.len()).is_ok(),
            "keys are shorter than 4 GiB"
        );
        let shape = Shape::new(key.len(), deadline != 0, &payload);
        let layout = shape.layout();
        // SAFETY: the layout is non-zero (the header); every field is
        // written before the node is used.
        unsafe {
            let Some(n) = NonNull::new(alloc(layout).cast::<Self>()) else {
                handle_alloc_error(layout)
            };
            n.as_ptr().write(KeyNode { next: None });
            if shape.tag & tag::LONG_KEY != 0 {
                at(n, KLEN).cast::<u32>().write_unaligned(key.len() as u32);
            } else {
                *at(n, KLEN) = key.len() as u8;
            }
            std::ptr::copy_nonoverlapping(key.as_ptr(), at(n, shape.key_off()), key.len());
            Self::write_tail(n, shape, meta, deadline, payload);
            n
        }
    }

    /// Writes meta (with the layout bits of `shape`), the deadline and the
    /// payload of a node whose prefix up to the key is already laid out for
    /// `shape`. Whatever payload the node held must be gone.
    ///
    /// # Safety
    /// `n` must be live, allocated for `shape`.
    unsafe fn write_tail(n: NonNull<Self>, shape: Shape, meta: u32, deadline: u64, p: Payload<'_>) {
        let meta = (meta & !u32::from(tag::LAYOUT)) | u32::from(shape.tag);
        // SAFETY: per the contract every offset below is inside the node;
        // pointer payloads are 8-aligned by `Shape::payload_off`.
        unsafe {
            Self::set_meta(n, meta);
            if shape.volatile() {
                at(n, shape.deadline_off())
                    .cast::<u64>()
                    .write_unaligned(deadline);
            }
            let dst = at(n, shape.payload_off());
            match p {
                Payload::Inline(s) => {
                    *dst = s.len() as u8;
                    std::ptr::copy_nonoverlapping(s.as_ptr(), dst.add(1), s.len());
                }
                Payload::Heap(v) => dst.cast::<Vec<u8>>().write(v),
                Payload::Boxed(v) => {
                    let ptr: *mut u8 = match v {
                        Value::Hash(b) => Box::into_raw(b).cast(),
                        Value::List(b) => Box::into_raw(b).cast(),
                        Value::Set(b) => Box::into_raw(b).cast(),
                        Value::ZSet(b) => Box::into_raw(b).cast(),
                        Value::Str(_) => unreachable!("strings are never boxed"),
                    };
                    dst.cast::<*mut u8>().write(ptr);
                }
            }
        }
    }

    /// The collection pointer of a boxed payload.
    ///
    /// # Safety
    /// `n` must be live, of a collection kind.
    unsafe fn boxed(n: NonNull<Self>, s: Shape) -> *mut u8 {
        // SAFETY: per the contract the payload is an aligned pointer.
        unsafe { at(n, s.payload_off()).cast::<*mut u8>().read() }
    }

    /// The heap string buffer of a HEAP payload.
    ///
    /// # Safety
    /// `n` must be live, of kind HEAP.
    unsafe fn heap(n: NonNull<Self>, s: Shape) -> *mut Vec<u8> {
        // SAFETY: per the contract the payload is an aligned `Vec<u8>`.
        unsafe { at(n, s.payload_off()).cast() }
    }

    /// The inline string bytes.
    ///
    /// # Safety
    /// `n` must be live for `'a`, of kind INLINE, not borrowed mutably meanwhile.
    unsafe fn inline<'a>(n: NonNull<Self>, s: Shape) -> &'a mut [u8] {
        // SAFETY: per the contract; the bytes follow the length byte.
        unsafe { std::slice::from_raw_parts_mut(at(n, s.payload_off() + 1), s.vlen) }
    }

    /// The value, borrowed.
    ///
    /// # Safety
    /// `n` must be live for `'a` and not changed meanwhile.
    unsafe fn value<'a>(n: NonNull<Self>) -> ValueRef<'a> {
        // SAFETY: per the contract; the kind says what the payload is.
        unsafe {
            let s = Self::shape(n);
            match s.kind() {
                tag::INLINE => ValueRef::Str(Self::inline(n, s)),
                tag::HEAP => ValueRef::Str(&*Self::heap(n, s)),
                tag::HASH => ValueRef::Hash(&*Self::boxed(n, s).cast::<HashValue>()),
                tag::LIST => ValueRef::List(&*Self::boxed(n, s).cast::<VecDeque<Vec<u8>>>()),
                tag::SET => ValueRef::Set(&*Self::boxed(n, s).cast::<SetValue>()),
                _ => ValueRef::ZSet(&*Self::boxed(n, s).cast::<ZSet>()),
            }
        }
    }

    /// The value, borrowed for changing collections.
    ///
    /// # Safety
    /// `n` must be live for `'a` and not otherwise borrowed meanwhile.
    unsafe fn value_mut<'a>(n: NonNull<Self>) -> ValueMut<'a> {
        // SAFETY: per the contract; the kind says what the payload is.
        unsafe {
            let s = Self::shape(n);
            match s.kind() {
                tag::INLINE => ValueMut::Str(Self::inline(n, s)),
                tag::HEAP => ValueMut::Str(&*Self::heap(n, s)),
                tag::HASH => ValueMut::Hash(&mut *Self::boxed(n, s).cast::<HashValue>()),
                tag::LIST => ValueMut::List(&mut *Self::boxed(n, s).cast::<VecDeque<Vec<u8>>>()),
                tag::SET => ValueMut::Set(&mut *Self::boxed(n, s).cast::<SetValue>()),
                _ => ValueMut::ZSet(&mut *Self::boxed(n, s).cast::<ZSet>()),
            }
        }
    }

    /// Moves the value out as an owned [`Value`]; the node's payload is
    /// gone afterwards (only its memory remains to free).
    ///
    /// # Safety
    /// `n` must be live; its payload must not be used again.
    unsafe fn take_value(n: NonNull<Self>) -> Value {
        // SAFETY: per the contract; each pointer payload is read exactly once.
        unsafe {
            let s = Self::shape(n);
            match s.kind() {
                tag::INLINE => Value::Str(Self::inline(n, s).to_vec()),
                tag::HEAP => Value::Str(Self::heap(n, s).read()),
                tag::HASH => Value::Hash(Box::from_raw(Self::boxed(n, s).cast())),
                tag::LIST => Value::List(Box::from_raw(Self::boxed(n, s).cast())),
                tag::SET => Value::Set(Box::from_raw(Self::boxed(n, s).cast())),
                _ => Value::ZSet(Box::from_raw(Self::boxed(n, s).cast())),
            }
        }
    }

    /// Drops the payload in place (the node's memory stays).
    ///
    /// # Safety
    /// As [`KeyNode::take_value`].
    unsafe fn drop_payload(n: NonNull<Self>) {
        // SAFETY: per the contract. Inline strings own nothing, so only the
        // other kinds are taken (and dropped).
        unsafe {
            if Self::tag(n) & tag::KIND != tag::INLINE {
                drop(Self::take_value(n));
            }
        }
    }

    /// Releases a node's memory (its payload already dropped or moved out).
    ///
    /// # Safety
    /// `n` must be live and unreachable; it is dangling afterwards.
    unsafe fn dealloc(n: NonNull<Self>) {
        // SAFETY: per the contract; the shape gives the allocation's layout.
        unsafe { dealloc(n.as_ptr().cast(), Self::shape(n).layout()) }
    }

    /// An owned copy of the node's entry.
    ///
    /// # Safety
    /// `n` must be live.
    unsafe fn to_entry(n: NonNull<Self>) -> Entry {
        // SAFETY: per the contract.
        unsafe { Self::entry_with(n, Self::value(n).to_value()) }
    }

    /// The node's entry carrying `value`.
    ///
    /// # Safety
    /// `n` must be live.
    unsafe fn entry_with(n: NonNull<Self>, value: Value) -> Entry {
        // SAFETY: per the contract.
        let (meta, expire) = unsafe { (Self::meta(n), Self::deadline(n)) };
        Entry {
            value,
            expire,
            access: meta >> 8,
            raw: meta & u32::from(tag::RAW) != 0,
            not_int: meta & u32::from(tag::NOT_INT) != 0,
        }
    }
}

// SAFETY: `next` is the first field of every node; the key lies at the
// offset its shape gives; `free` drops the payload, then frees the memory
// with the layout `build` (or a later `realloc`) gave it.
unsafe impl Node for KeyNode {
    #[inline]
    unsafe fn next(n: NonNull<Self>) -> *mut Link<Self> {
        // SAFETY: the node is live (caller's contract).
        unsafe { &raw mut (*n.as_ptr()).next }
    }

    #[inline]
    unsafe fn key<'a>(n: NonNull<Self>) -> &'a [u8] {
        // SAFETY: the node is live (caller's contract); the key lies at
        // `key_off` for `klen` bytes.
        unsafe {
            let s = Self::prefix(n);
            std::slice::from_raw_parts(at(n, s.key_off()), s.klen)
        }
    }

    unsafe fn free(n: NonNull<Self>) {
        // SAFETY: the node is live and unreachable (caller's contract).
        unsafe {
            Self::drop_payload(n);
            Self::dealloc(n);
        }
    }
}

/// The packed meta word of a new entry: string flags and access time (the
/// layout bits are filled in when the node is written).
fn meta_of(access: u32, raw: bool, not_int: bool) -> u32 {
    let mut t = 0;
    if raw {
        t |= tag::RAW;
    }
    if not_int {
        t |= tag::NOT_INT;
    }
    u32::from(t) | ((access & ACCESS_MASK) << 8)
}

/// One shard's keys: key → packed entry (see the module doc).
#[derive(Default)]
pub struct Table {
    chains: Chains<KeyNode>,
    volatile: usize,
    /// The [`tag::STAMP`] value of the entries a snapshot has (or needs
    /// not have: all of them when none is in progress).
    stamp: u8,
    /// The snapshot in progress, while it still waits for some entries.
    pending: Option<Box<Pending>>,
}

impl Drop for Table {
    /// A table dropped while a snapshot waits for some of its entries
    /// (FLUSHDB, FLUSHALL) encodes them first and hands the image over.
    fn drop(&mut self) {
        if let Some(mut p) = self.pending.take() {
            for n in self.chains.iter() {
                // SAFETY: the table is borrowed (uniquely) throughout.
                unsafe { capture(&mut p, self.stamp, n) };
            }
            p.orphan();
        }
    }
}

/// Saves node `n` into `p` unless its stamp says the snapshot has it,
/// then stamps it.
///
/// # Safety
/// `n` must be a live node of a table borrowed mutably, whose stamp is `stamp`.
#[inline]
unsafe fn capture(p: &mut Pending, stamp: u8, n: NonNull<KeyNode>) {
    // SAFETY: per the contract; only the stamp bit of the node changes.
    unsafe {
        let meta = KeyNode::meta(n);
        if meta as u8 & tag::STAMP != stamp {
            let e = EntryRef::new(n);
            p.save(e.key(), e);
            KeyNode::set_meta(n, meta ^ u32::from(tag::STAMP));
        }
    }
}

// SAFETY: a Table owns its nodes and their values exclusively; every value
// type it holds, and its snapshot part, is `Send` (checked below).
unsafe impl Send for Table {}
// SAFETY: shared access only reads nodes; every value type, and the
// snapshot part, is `Sync`.
unsafe impl Sync for Table {}

/// Compile-time check behind the two impls above.
const _: fn() = || {
    fn thread_safe<T: Send + Sync>() {}
    thread_safe::<Value>();
    thread_safe::<Pending>();
};

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("len", &self.len())
            .field("volatile", &self.volatile)
            .finish()
    }
}

/// What a store found at its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Nothing: the key is new.
    Created,
    /// An entry, now replaced, with this deadline (0: none; it may have
    /// passed, as the table keeps no time).
    Replaced(u64),
}

/// The outcome of [`Table::lookup`].
pub enum Lookup<'a> {
    /// Present and live.
    Found(EntryMut<'a>),
    /// Present but expired: it was deleted.
    Expired,
    /// Absent.
    Missing,
}

impl Table {
    /// Number of keys.
    #[inline]
    pub fn len(&self) -> usize {
        self.chains.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of keys with a deadline.
    #[inline]
    pub fn volatile(&self) -> usize {
        self.volatile
    }

    /// The entry of `key`, expired or not.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<EntryRef<'_>> {
        self.chains.find(key).map(EntryRef::new)
    }

    /// The link to `key`'s node, for changing or freeing it. It is the one
    /// way to reach a node mutably, so it is where the snapshot in
    /// progress, if it still waits for the entry, gets it as it is now.
    #[inline]
    fn find_mut(&mut self, key: &[u8]) -> Option<*mut Link<KeyNode>> {
        let link = self.chains.find_link(key)?;
        if let Some(p) = self.pending.as_deref_mut() {
            // SAFETY: the link was just found and points at a live node
            // of this table, borrowed mutably.
            unsafe { capture(p, self.stamp, (*link).expect("found")) };
        }
        Some(link)
    }

    /// Starts capturing for a snapshot (at its cut, the shard locked):
    /// every entry now waits for it.
    pub(crate) fn begin_capture(&mut self, p: Box<Pending>) {
        assert!(self.pending.is_none(), "one snapshot at a time");
        self.stamp ^= tag::STAMP;
        self.pending = Some(p);
    }

    /// The snapshot in progress, while it waits for some entries.
    pub(crate) fn pending(&self) -> Option<&Pending> {
        self.pending.as_deref()
    }

    /// [`Table::pending`], mutable.
    pub(crate) fn pending_mut(&mut self) -> Option<&mut Pending> {
        self.pending.as_deref_mut()
    }

    /// Ends capturing (every entry captured) and hands the `Pending` back.
    pub(crate) fn end_capture(&mut self) -> Option<Box<Pending>> {
        self.pending.take()
    }

    /// Captures the entries still waiting in the buckets from `cursor` on
    /// (a SCAN cursor), visiting at least `budget` entries unless the
    /// table ends first; returns the next cursor, 0 once the whole table
    /// is visited. Entries met twice (the cursor may revisit after a
    /// resize) are stamped already.
    pub(crate) fn capture_chunk(&mut self, mut cursor: u64, budget: usize) -> u64 {
        let Some(p) = self.pending.as_deref_mut() else {
            return 0;
        };
        let mut visited = 0;
        loop {
            cursor = self.chains.scan(cursor, |n| {
                visited += 1;
                // SAFETY: nodes reachable from the table are live; the
                // table is borrowed mutably.
                unsafe { capture(p, self.stamp, n) };
            });
            if cursor == 0 || visited >= budget {
                return cursor;
            }
        }
    }

    /// The entry of `key` for changing, expired or not.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<EntryMut<'_>> {
        let link = self.find_mut(key)?;
        // SAFETY: the link was just found, and the table stays borrowed.
        Some(unsafe { EntryMut::new(link, &mut self.volatile) })
    }

    /// Looks `key` up at Unix ms `now`: a key whose deadline is before
    /// `now` is deleted (lazy expiry) and reported as [`Lookup::Expired`].
    /// `now` = 0 expires nothing.
    #[inline]
    pub fn lookup(&mut self, key: &[u8], now: u64) -> Lookup<'_> {
        let Some(link) = self.find_mut(key) else {
            return Lookup::Missing;
        };
        // SAFETY: the link was just found and points at a live node.
        let deadline = unsafe { KeyNode::deadline((*link).expect("found")) };
        if deadline != 0 && deadline < now {
            // SAFETY: as above; the node is ours to free once unlinked.
            unsafe { KeyNode::free(self.unlink_at(link)) };
            return Lookup::Expired;
        }
        // SAFETY: as above; the table stays borrowed for the entry's life.
        Lookup::Found(unsafe { EntryMut::new(link, &mut self.volatile) })
    }

    /// Stores a persistent string at `key` (replacing any entry), with
    /// access time `access`. See [`Table::insert`] for the result.
    #[inline]
    pub fn set_str(&mut self, key: &[u8], s: &[u8], access: u32) -> Stored {
        self.put(key, meta_of(access, false, false), 0, Payload::bytes(s))
    }

    /// Stores `value` at `key` (replacing any entry), persistent, with
    /// access time `access`. See [`Table::insert`] for the result.
    pub fn set(&mut self, key: &[u8], value: Value, access: u32) -> Stored {
        let meta = meta_of(access, false, false);
        Payload::with(value, |p| self.put(key, meta, 0, p))
    }

    /// Stores a whole entry at `key` (replacing any): whether the key was
    /// absent, or the deadline of the entry replaced.
    pub fn insert(&mut self, key: &[u8], e: Entry) -> Stored {
        let meta = meta_of(e.access, e.raw, e.not_int);
        Payload::with(e.value, |p| self.put(key, meta, e.expire, p))
    }

    fn put(&mut self, key: &[u8], meta: u32, deadline: u64, payload: Payload<'_>) -> Stored {
        let meta = meta | u32::from(self.stamp);
        match self.get_mut(key) {
            Some(e) if e.holds(meta, deadline, &payload) => Stored::Replaced(e.expire()),
            Some(mut e) => {
                let old = e.expire();
                // SAFETY: the old payload is dropped before the new one lands.
                unsafe {
                    KeyNode::drop_payload(e.node);
                    e.refill(meta, deadline, payload);
                }
                Stored::Replaced(old)
            }
            None => {
                if deadline != 0 {
                    self.volatile += 1;
                }
                self.chains
                    .push(KeyNode::build(key, meta, deadline, payload));
                Stored::Created
            }
        }
    }

    /// Removes `key` and returns its entry (expired or not).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let link = self.find_mut(key)?;
        // SAFETY: the link was just found; the value is moved out of the
        // unlinked node before its memory is released.
        unsafe {
            let n = self.unlink_at(link);
            let e = KeyNode::entry_with(n, KeyNode::take_value(n));
            KeyNode::dealloc(n);
            Some(e)
        }
    }

    /// Deletes `key` (expired or not); true when it was present.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let Some(link) = self.find_mut(key) else {
            return false;
        };
        // SAFETY: the link was just found; the unlinked node is ours.
        unsafe { KeyNode::free(self.unlink_at(link)) };
        true
    }

    /// Unlinks the node at `link` and hands it back (to be freed by the
    /// caller), keeping the count of volatile keys and the bucket array right.
    ///
    /// # Safety
    /// `link` must come from `find_mut` with no change to the table since.
    unsafe fn unlink_at(&mut self, link: *mut Link<KeyNode>) -> NonNull<KeyNode> {
        // SAFETY: per the contract.
        let n = unsafe { self.chains.unlink(link) };
        // SAFETY: unlinked but not freed: still live.
        if unsafe { KeyNode::tag(n) } & tag::VOLATILE != 0 {
            self.volatile -= 1;
        }
        self.chains.maybe_shrink();
        n
    }

    /// Every (key, entry), in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], EntryRef<'_>)> {
        self.chains.iter().map(|n| {
            let e = EntryRef::new(n);
            (e.key(), e)
        })
    }

    /// Visits the bucket named by `cursor` and returns the next cursor (0
    /// when done): Redis's `dictScan` (see [`crate::chain`]).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], EntryRef<'_>)) -> u64 {
        self.chains.scan(cursor, |n| {
            let e = EntryRef::new(n);
            visit(e.key(), e);
        })
    }

    /// A random key, chosen like Redis's `dictGetRandomKey`.
    pub fn random_key(&self) -> Option<&[u8]> {
        self.chains.random().map(|n| EntryRef::new(n).key())
    }
}

/// An entry in a [`Table`], read-only, borrowed for `'a`.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    node: NonNull<KeyNode>,
    _table: PhantomData<&'a Table>,
}

impl<'a> EntryRef<'a> {
    fn new(node: NonNull<KeyNode>) -> Self {
        EntryRef {
            node,
            _table: PhantomData,
        }
    }

    /// The key.
    pub fn key(self) -> &'a [u8] {
        // SAFETY: the node lives while the table is borrowed for 'a.
        unsafe { KeyNode::key(self.node) }
    }

    /// The value.
    #[inline]
    pub fn value(self) -> ValueRef<'a> {
        // SAFETY: the node lives, unchanged, while the table is borrowed for 'a.
        unsafe { KeyNode::value(self.node) }
    }

    /// The absolute expiry in Unix ms; 0 when the key is persistent.
    #[inline]
    pub fn expire(self) -> u64 {
        // SAFETY: the node is live.
        unsafe { KeyNode::deadline(self.node) }
    }

    /// The last access time (24 bits of the engine's seconds clock).
    pub fn access(self) -> u32 {
        // SAFETY: the node is live.
        unsafe { KeyNode::meta(self.node) >> 8 }
    }

    /// Seconds since the last access when the clock reads `clock`, modulo
    /// the 24-bit wrap (Redis's `estimateObjectIdleTime`).
    pub fn idle(self, clock: u32) -> u32 {
        clock.wrapping_sub(self.access()) & ACCESS_MASK
    }

    /// See [`Entry::raw`].
    pub fn raw(self) -> bool {
        // SAFETY: the node is live.
        unsafe { KeyNode::tag(self.node) & tag::RAW != 0 }
    }

    /// See [`Entry::not_int`].
    pub fn not_int(self) -> bool {
        // SAFETY: the node is live.
        unsafe { KeyNode::tag(self.node) & tag::NOT_INT != 0 }
    }

    /// An owned copy (COPY).
    pub fn to_entry(self) -> Entry {
        // SAFETY: the node is live.
        unsafe { KeyNode::to_entry(self.node) }
    }
}

/// An entry in a [`Table`], borrowed for changing. Changes that alter the
/// node's layout move the node, so strings are handed out only through
/// borrows of the `EntryMut` itself (or by consuming it).
pub struct EntryMut<'a> {
    /// The link that points at the node: re-pointed when the node moves.
    link: *mut Link<KeyNode>,
    node: NonNull<KeyNode>,
    /// The table's count of volatile keys.
    volatile: &'a mut usize,
}

impl<'a> EntryMut<'a> {
    /// # Safety
    /// `link` must be a live link of a table borrowed mutably for `'a`
    /// (whose volatile count is `volatile`), pointing at a node.
    unsafe fn new(link: *mut Link<KeyNode>, volatile: &'a mut usize) -> Self {
        // SAFETY: per the contract.
        let node = unsafe { (*link).expect("the link points at a node") };
        EntryMut {
            link,
            node,
            volatile,
        }
    }

    /// The entry, read-only.
    #[inline]
    pub fn view(&self) -> EntryRef<'_> {
        EntryRef::new(self.node)
    }

    /// The value.
    #[inline]
    pub fn value(&self) -> ValueRef<'_> {
        self.view().value()
    }

    /// The absolute expiry in Unix ms; 0 when the key is persistent.
    pub fn expire(&self) -> u64 {
        self.view().expire()
    }

    /// The value, for changing a collection.
    pub fn value_mut(&mut self) -> ValueMut<'_> {
        // SAFETY: exclusive access through `&mut self`.
        unsafe { KeyNode::value_mut(self.node) }
    }

    /// The value for the rest of the table borrow.
    #[inline]
    pub fn into_value(self) -> ValueMut<'a> {
        // SAFETY: the entry is consumed, so nothing else can move the node
        // while the table stays borrowed for 'a.
        unsafe { KeyNode::value_mut(self.node) }
    }

    /// Stamps the access time (24 bits kept). A node already stamped with
    /// this second is not written, so reads of hot keys leave their cache
    /// line clean.
    #[inline]
    pub fn touch(&mut self, access: u32) {
        // SAFETY: exclusive access to a live node.
        unsafe {
            let meta = KeyNode::meta(self.node);
            let stamped = (meta & 0xff) | ((access & ACCESS_MASK) << 8);
            if stamped != meta {
                KeyNode::set_meta(self.node, stamped);
            }
        }
    }

    /// Sets or clears the string flag `bit`.
    fn set_flag(&mut self, bit: u8, on: bool) {
        // SAFETY: exclusive access to a live node; only a flag bit changes.
        unsafe {
            let meta = KeyNode::meta(self.node) & !u32::from(bit);
            KeyNode::set_meta(self.node, meta | if on { u32::from(bit) } else { 0 });
        }
    }

    /// Sets [`Entry::not_int`].
    pub fn set_not_int(&mut self, on: bool) {
        self.set_flag(tag::NOT_INT, on);
    }

    /// Sets the absolute expiry in Unix ms; 0 removes it.
    pub fn set_expire(&mut self, deadline: u64) {
        let shape = self.shape();
        if shape.volatile() == (deadline != 0) {
            if deadline != 0 {
                // SAFETY: the node has its deadline field.
                unsafe {
                    at(self.node, shape.deadline_off())
                        .cast::<u64>()
                        .write_unaligned(deadline);
                }
            }
            return;
        }
        // The deadline field comes or goes: move everything to a new node.
        // SAFETY: the payload is moved out of the old node exactly once,
        // and the old node's memory released without dropping it again.
        unsafe {
            let meta = KeyNode::meta(self.node);
            let key = KeyNode::key(self.node);
            let payload = match shape.kind() {
                tag::INLINE => Payload::Inline(KeyNode::inline(self.node, shape)),
                tag::HEAP => Payload::Heap(KeyNode::heap(self.node, shape).read()),
                _ => Payload::Boxed(KeyNode::take_value(self.node)),
            };
            let new = KeyNode::build(key, meta, deadline, payload);
            self.relink(new);
        }
    }

    /// Replaces the value with the string `s`, keeping the key's deadline
    /// and access time; clears the string flags (INCR, SET KEEPTTL).
    pub fn replace_str(&mut self, s: &[u8]) {
        let meta = self.meta_cleared();
        let deadline = self.expire();
        // SAFETY: the old payload is dropped before the new one lands.
        unsafe {
            KeyNode::drop_payload(self.node);
            self.refill(meta, deadline, Payload::bytes(s));
        }
    }

    /// The string, zero-padded to at least `len` bytes, for writing in
    /// place (SETRANGE, SETBIT, BITFIELD, APPEND); WRONGTYPE for another
    /// type. As Redis's in-place changes, it makes the string `raw`. A
    /// string growing past [`INLINE_MAX`] moves to a heap buffer, whose
    /// growth is amortized.
    pub fn into_padded_str(mut self, len: usize) -> Result<&'a mut [u8], CmdError> {
        let cur = self.value().as_str()?.len();
        self.mark_raw();
        let shape = self.shape();
        if shape.kind() == tag::INLINE && len > cur {
            if len <= INLINE_MAX {
                let grown = Shape { vlen: len, ..shape };
                // SAFETY: same prefix, longer inline string: the node grows
                // in place, then the new length is recorded and the new
                // bytes zeroed.
                unsafe {
                    self.resize(shape, grown);
                    let p = at(self.node, grown.payload_off());
                    *p = len as u8;
                    p.add(1 + cur).write_bytes(0, len - cur);
                }
            } else {
                self.move_to_heap(len);
            }
        }
        let shape = self.shape();
        // SAFETY: the entry is consumed; the node stays put for 'a.
        unsafe {
            if shape.kind() == tag::INLINE {
                return Ok(KeyNode::inline(self.node, shape));
            }
            let v = &mut *KeyNode::heap(self.node, shape);
            if v.len() < len {
                v.resize(len, 0);
            }
            Ok(v)
        }
    }

    /// The string as its heap buffer, for changes of any size
    /// (HyperLogLog updates); WRONGTYPE for another type. As Redis's
    /// in-place changes, it makes the string `raw`.
    pub fn into_str_vec(mut self) -> Result<&'a mut Vec<u8>, CmdError> {
        let len = self.value().as_str()?.len();
        self.mark_raw();
        if self.shape().kind() == tag::INLINE {
            self.move_to_heap(len);
        }
        let shape = self.shape();
        // SAFETY: the node now holds a heap string; the entry is consumed.
        Ok(unsafe { &mut *KeyNode::heap(self.node, shape) })
    }

    /// True when the node already holds exactly this meta (flags, access
    /// second), deadline and inline string: storing them again would change
    /// nothing, and skipping the write keeps the node's cache line clean
    /// (a written line costs a write-back to memory later).
    fn holds(&self, meta: u32, deadline: u64, payload: &Payload<'_>) -> bool {
        let Payload::Inline(new) = payload else {
            return false;
        };
        // SAFETY: the node is live.
        let old_meta = unsafe { KeyNode::meta(self.node) };
        let flags = !u32::from(tag::LAYOUT);
        old_meta & u32::from(tag::KIND) == u32::from(tag::INLINE)
            && old_meta & flags == meta & flags
            && self.expire() == deadline
            && matches!(self.value(), ValueRef::Str(old) if old == *new)
    }

    /// Marks the string modified in place: `raw`, and not `not_int`.
    fn mark_raw(&mut self) {
        self.set_flag(tag::RAW, true);
        self.set_flag(tag::NOT_INT, false);
    }

    fn shape(&self) -> Shape {
        // SAFETY: the node is live.
        unsafe { KeyNode::shape(self.node) }
    }

    /// The meta word with the string flags cleared.
    fn meta_cleared(&self) -> u32 {
        // SAFETY: the node is live.
        let meta = unsafe { KeyNode::meta(self.node) };
        meta & !u32::from(tag::RAW | tag::NOT_INT)
    }

    /// Moves an inline string to a heap buffer of `len` bytes (its bytes
    /// then zeros).
    fn move_to_heap(&mut self, len: usize) {
        let shape = self.shape();
        // SAFETY: the node holds an inline string, which owns nothing, so
        // the new payload can take its place directly.
        unsafe {
            let mut v = Vec::with_capacity(len);
            v.extend_from_slice(KeyNode::inline(self.node, shape));
            v.resize(len, 0);
            let meta = KeyNode::meta(self.node);
            let deadline = KeyNode::deadline(self.node);
            self.refill(meta, deadline, Payload::Heap(v));
        }
    }

    /// Writes a new meta, deadline and payload into the node: in place when
    /// the layout before the payload stays the same (after a `realloc`
    /// when the size changes), else in a new node that takes the old one's
    /// place in its chain.
    ///
    /// # Safety
    /// The node's old payload must already be dropped or moved out.
    unsafe fn refill(&mut self, meta: u32, deadline: u64, payload: Payload<'_>) {
        let old = self.shape();
        let new = Shape::new(old.klen, deadline != 0, &payload);
        // SAFETY: per the contract; `resize` keeps the prefix, `write_tail`
        // fills the rest; a new node gets the same key.
        unsafe {
            if old.same_prefix(new) {
                self.resize(old, new);
                KeyNode::write_tail(self.node, new, meta, deadline, payload);
            } else {
                let key = KeyNode::key(self.node);
                let n = KeyNode::build(key, meta, deadline, payload);
                self.relink(n);
            }
        }
    }

    /// Reallocates the node from shape `old` to `new` (same prefix),
    /// re-linking it if it moved. Only the bytes both shapes share are kept.
    ///
    /// # Safety
    /// The node must have shape `old`; `old.same_prefix(new)`.
    unsafe fn resize(&mut self, old: Shape, new: Shape) {
        if old.size() == new.size() {
            return;
        }
        // SAFETY: the node was allocated with `old.layout()`; realloc keeps
        // its first min(old, new) bytes, the link included.
        unsafe {
            let layout = old.layout();
            let p = realloc(self.node.as_ptr().cast(), layout, new.size());
            let Some(n) = NonNull::new(p.cast::<KeyNode>()) else {
                handle_alloc_error(new.layout())
            };
            self.node = n;
            *self.link = Some(n);
        }
    }

    /// Puts `new` (an unlinked node with the same key) in the old node's
    /// place and releases the old node's memory; its payload must already
    /// be dropped or moved out.
    ///
    /// # Safety
    /// As said.
    unsafe fn relink(&mut self, new: NonNull<KeyNode>) {
        // SAFETY: `link` points at the old node, which is live until freed here.
        unsafe {
            let old = self.node;
            let was = KeyNode::tag(old) & tag::VOLATILE != 0;
            let is = KeyNode::tag(new) & tag::VOLATILE != 0;
            *KeyNode::next(new) = *KeyNode::next(old);
            *self.link = Some(new);
            self.node = new;
            KeyNode::dealloc(old);
            match (was, is) {
                (false, true) => *self.volatile += 1,
                (true, false) => *self.volatile -= 1,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use std::collections::{HashMap, HashSet};

    /// The string at `key` (panics on another type).
    fn bytes(t: &Table, key: &[u8]) -> Option<Vec<u8>> {
        t.get(key).map(|e| e.value().as_str().unwrap().to_vec())
    }

    /// The payload kind of `key`'s node.
    fn kind(t: &Table, key: &[u8]) -> u8 {
        // SAFETY: the node is live while `t` is borrowed.
        unsafe { KeyNode::tag(t.get(key).unwrap().node) & tag::KIND }
    }

    fn list(items: &[&str]) -> Value {
        Value::List(Box::new(
            items.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ))
    }

    #[test]
    fn insert_replace_remove_grow_shrink() {
        let mut t = Table::default();
        for i in 0..1000u32 {
            t.set_str(format!("k{i}").as_bytes(), i.to_string().as_bytes(), i);
        }
        assert_eq!(t.len(), 1000);
        assert_eq!(t.chains.buckets(), 1024);
        assert_eq!(bytes(&t, b"k500").unwrap(), b"500");
        assert_eq!(t.get(b"k500").unwrap().access(), 500);
        // Replacing keeps the count; a new length or type moves the node.
        t.set_str(b"k1", b"one", 0);
        t.set_str(b"k2", &[7; 300], 0);
        t.set(b"k3", list(&["a", "b"]), 0);
        assert_eq!(t.len(), 1000);
        assert_eq!(bytes(&t, b"k1").unwrap(), b"one");
        assert_eq!(bytes(&t, b"k2").unwrap(), vec![7; 300]);
        assert_eq!(t.get(b"k3").unwrap().value().type_name(), "list");
        let Some(Entry {
            value: Value::List(l),
            ..
        }) = t.remove(b"k3")
        else {
            panic!("k3 is a list")
        };
        assert_eq!(l.len(), 2);
        assert!(t.get(b"k3").is_none());
        assert!(!t.delete(b"k3"));
        for i in 0..990u32 {
            t.delete(format!("k{i}").as_bytes());
        }
        assert_eq!(t.len(), 10);
        assert!(t.chains.buckets() <= 16);
        assert_eq!(t.iter().count(), 10);
        let keys: HashSet<Vec<u8>> = t.iter().map(|(k, _)| k.to_vec()).collect();
        for _ in 0..50 {
            assert!(keys.contains(t.random_key().unwrap()));
        }
    }

    #[test]
    fn scan_survives_resizes() {
        let mut t = Table::default();
        for i in 0..500u32 {
            t.set_str(format!("k{i}").as_bytes(), b"v", 0);
        }
        let mut seen = HashSet::new();
        let (mut cursor, mut round) = (0, 0);
        loop {
            cursor = t.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            round += 1;
            // Grow then shrink the table mid-iteration with keys we do not
            // check, moving some checked keys to other layouts meanwhile.
            if round == 20 {
                for i in 0..3000u32 {
                    t.set_str(format!("x{i}").as_bytes(), b"v", 0);
                }
                for i in (0..500u32).step_by(7) {
                    t.get_mut(format!("k{i}").as_bytes())
                        .unwrap()
                        .set_expire(u64::MAX);
                }
            }
            if round == 200 {
                for i in 0..3000u32 {
                    t.delete(format!("x{i}").as_bytes());
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
    fn strings_at_the_inline_limit() {
        let mut t = Table::default();
        let at_limit = vec![b'a'; INLINE_MAX];
        let over = vec![b'b'; INLINE_MAX + 1];
        t.set_str(b"in", &at_limit, 0);
        t.set_str(b"out", &over, 0);
        t.set(b"owned-in", Value::Str(at_limit.clone()), 0);
        t.set(b"owned-out", Value::Str(over.clone()), 0);
        assert_eq!(kind(&t, b"in"), tag::INLINE);
        assert_eq!(kind(&t, b"owned-in"), tag::INLINE);
        assert_eq!(kind(&t, b"out"), tag::HEAP);
        assert_eq!(kind(&t, b"owned-out"), tag::HEAP);
        assert_eq!(bytes(&t, b"in").unwrap(), at_limit);
        assert_eq!(bytes(&t, b"out").unwrap(), over);
        // Replacing crosses the limit both ways.
        t.get_mut(b"in").unwrap().replace_str(&over);
        t.get_mut(b"out").unwrap().replace_str(&at_limit);
        assert_eq!(kind(&t, b"in"), tag::HEAP);
        assert_eq!(kind(&t, b"out"), tag::INLINE);
        assert_eq!(bytes(&t, b"in").unwrap(), over);
        assert_eq!(bytes(&t, b"out").unwrap(), at_limit);
        // Owned copies come back whole from either form.
        assert!(matches!(t.remove(b"in").unwrap().value, Value::Str(s) if s == over));
        assert!(matches!(t.remove(b"out").unwrap().value, Value::Str(s) if s == at_limit));
    }

    #[test]
    fn padded_strings_grow_inline_then_on_the_heap() {
        let mut t = Table::default();
        t.set_str(b"k", b"ab", 0);
        let s = t.get_mut(b"k").unwrap().into_padded_str(1).unwrap();
        assert_eq!(s, b"ab");
        let s = t.get_mut(b"k").unwrap().into_padded_str(5).unwrap();
        s[4] = b'z';
        assert_eq!(bytes(&t, b"k").unwrap(), b"ab\0\0z");
        assert_eq!(kind(&t, b"k"), tag::INLINE);
        assert!(t.get(b"k").unwrap().raw());
        t.get_mut(b"k")
            .unwrap()
            .into_padded_str(INLINE_MAX)
            .unwrap();
        assert_eq!(kind(&t, b"k"), tag::INLINE);
        // One byte more moves the string to a heap buffer, whose later
        // growth is amortized (APPEND): capacity at least doubles.
        let s = t.get_mut(b"k").unwrap().into_padded_str(INLINE_MAX + 1);
        assert_eq!(s.unwrap().len(), INLINE_MAX + 1);
        assert_eq!(kind(&t, b"k"), tag::HEAP);
        let mut reallocs = 0;
        let mut cap = 0;
        for len in INLINE_MAX + 2..20_000 {
            t.get_mut(b"k").unwrap().into_padded_str(len).unwrap();
            // SAFETY: the node holds a heap string while `t` is borrowed.
            let now = unsafe {
                let n = t.get(b"k").unwrap().node;
                (*KeyNode::heap(n, KeyNode::shape(n))).capacity()
            };
            if now != cap {
                reallocs += 1;
                cap = now;
            }
        }
        assert!(reallocs < 20, "{reallocs} reallocations");
        let v = bytes(&t, b"k").unwrap();
        assert_eq!(&v[..5], b"ab\0\0z");
        assert_eq!(v.len(), 19_999);
        // A type other than string is refused, untouched.
        t.set(b"l", list(&["x"]), 0);
        let e = t.get_mut(b"l").unwrap();
        assert_eq!(e.into_padded_str(3).unwrap_err(), CmdError::WrongType);
        assert!(!t.get(b"l").unwrap().raw());
    }

    #[test]
    fn str_vec_moves_inline_strings_to_the_heap() {
        let mut t = Table::default();
        t.set_str(b"k", b"abc", 0);
        t.get_mut(b"k").unwrap().set_not_int(true);
        let v = t.get_mut(b"k").unwrap().into_str_vec().unwrap();
        v.extend_from_slice(&[b'x'; 1000]);
        v.truncate(4);
        let e = t.get(b"k").unwrap();
        assert_eq!(kind(&t, b"k"), tag::HEAP);
        assert!(e.raw() && !e.not_int());
        assert_eq!(bytes(&t, b"k").unwrap(), b"abcx");
        // A new value of inline size goes back inline, flags cleared.
        t.get_mut(b"k").unwrap().replace_str(b"12");
        assert_eq!(kind(&t, b"k"), tag::INLINE);
        assert!(!t.get(b"k").unwrap().raw());
    }

    #[test]
    fn empty_keys_and_values() {
        let mut t = Table::default();
        t.set_str(b"", b"", 0);
        t.set_str(b"e", b"", 0);
        assert_eq!(bytes(&t, b"").unwrap(), b"");
        assert_eq!(bytes(&t, b"e").unwrap(), b"");
        t.get_mut(b"").unwrap().set_expire(9);
        assert_eq!(t.get(b"").unwrap().expire(), 9);
        assert_eq!(t.iter().filter(|(k, _)| k.is_empty()).count(), 1);
        let s = t.get_mut(b"e").unwrap().into_padded_str(0).unwrap();
        assert!(s.is_empty());
        assert!(t.delete(b""));
        assert_eq!(t.volatile(), 0);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn long_keys() {
        let mut t = Table::default();
        let keys: Vec<Vec<u8>> = [255, 256, 64 * 1024]
            .iter()
            .map(|&n| (0..n).map(|i| (i % 251) as u8).collect())
            .collect();
        for (i, k) in keys.iter().enumerate() {
            t.set_str(k, &[i as u8; 3], 7);
        }
        for (i, k) in keys.iter().enumerate() {
            let e = t.get(k).unwrap();
            assert_eq!(e.key(), &k[..]);
            assert_eq!(e.value().as_str().unwrap(), &[i as u8; 3]);
            assert_eq!(e.access(), 7);
        }
        let big = &keys[2];
        // A deadline, a heap string, a collection: each layout keeps the key.
        t.get_mut(big).unwrap().set_expire(1234);
        t.get_mut(big).unwrap().into_padded_str(1000).unwrap();
        assert_eq!(t.get(big).unwrap().expire(), 1234);
        assert_eq!(t.get(big).unwrap().key(), &big[..]);
        t.insert(
            big,
            Entry {
                expire: 99,
                ..Entry::new(list(&["x"]))
            },
        );
        assert_eq!(t.get(big).unwrap().expire(), 99);
        assert_eq!(t.volatile(), 1);
        assert_eq!(t.len(), 3);
        let mut found = 0;
        let mut cursor = 0;
        loop {
            cursor = t.scan(cursor, |k, _| found += usize::from(k == &big[..]));
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(found, 1);
        assert_eq!(t.remove(big).unwrap().expire, 99);
        assert_eq!(t.volatile(), 0);
    }

    #[test]
    fn deadlines_and_the_volatile_count() {
        let mut t = Table::default();
        t.set_str(b"s", b"small", 0);
        t.set_str(b"h", &[1; 500], 0);
        t.set(b"c", list(&["a"]), 0);
        for k in [&b"s"[..], b"h", b"c"] {
            let mut e = t.get_mut(k).unwrap();
            e.set_expire(100);
            e.set_expire(200);
        }
        assert_eq!(t.volatile(), 3);
        for k in [&b"s"[..], b"h", b"c"] {
            assert_eq!(t.get(k).unwrap().expire(), 200, "{k:?}");
        }
        assert_eq!(bytes(&t, b"s").unwrap(), b"small");
        assert_eq!(bytes(&t, b"h").unwrap(), vec![1; 500]);
        // Changing a value keeps the deadline; SET drops it.
        t.get_mut(b"s").unwrap().replace_str(&[2; 300]);
        t.get_mut(b"h").unwrap().replace_str(b"x");
        assert_eq!(t.get(b"s").unwrap().expire(), 200);
        assert_eq!(t.get(b"h").unwrap().expire(), 200);
        t.set_str(b"h", b"y", 0);
        assert_eq!(t.get(b"h").unwrap().expire(), 0);
        assert_eq!(t.volatile(), 2);
        // Clearing, lazy expiry, removal.
        t.get_mut(b"s").unwrap().set_expire(0);
        assert_eq!(t.get(b"s").unwrap().expire(), 0);
        assert_eq!(t.volatile(), 1);
        assert!(matches!(t.lookup(b"c", 200), Lookup::Found(_)));
        assert!(matches!(t.lookup(b"c", 0), Lookup::Found(_)));
        assert!(matches!(t.lookup(b"c", 201), Lookup::Expired));
        assert!(matches!(t.lookup(b"c", 201), Lookup::Missing));
        assert_eq!(t.volatile(), 0);
        t.insert(
            b"e",
            Entry {
                expire: 5,
                ..Entry::new(Value::Str(b"v".to_vec()))
            },
        );
        assert_eq!(t.volatile(), 1);
        assert_eq!(t.remove(b"e").unwrap().expire, 5);
        assert_eq!(t.volatile(), 0);
    }

    #[test]
    fn storing_the_same_string_changes_only_what_differs() {
        let mut t = Table::default();
        t.set_str(b"k", b"v", 1);
        t.set_str(b"k", b"v", 1);
        assert_eq!(t.get(b"k").unwrap().access(), 1);
        t.set_str(b"k", b"v", 2);
        assert_eq!(t.get(b"k").unwrap().access(), 2);
        // Same bytes, but flags or a deadline to drop: rewritten.
        t.get_mut(b"k").unwrap().into_padded_str(1).unwrap();
        t.set_str(b"k", b"v", 2);
        assert!(!t.get(b"k").unwrap().raw());
        t.get_mut(b"k").unwrap().set_expire(50);
        t.set_str(b"k", b"v", 2);
        assert_eq!((t.get(b"k").unwrap().expire(), t.volatile()), (0, 0));
        // Same bytes held on the heap: stored inline again.
        t.get_mut(b"k").unwrap().into_str_vec().unwrap();
        t.set_str(b"k", b"v", 2);
        let e = t.get(b"k").unwrap();
        assert_eq!((kind(&t, b"k"), e.raw()), (tag::INLINE, false));
        assert_eq!(e.value().as_str().unwrap(), b"v");
    }

    #[test]
    fn flags_and_access_survive_moves() {
        let mut t = Table::default();
        t.insert(
            b"k",
            Entry {
                access: 42,
                raw: true,
                not_int: true,
                ..Entry::new(Value::Str(b"1".to_vec()))
            },
        );
        t.get_mut(b"k").unwrap().set_expire(77);
        let e = t.get(b"k").unwrap();
        assert!(e.raw() && e.not_int());
        assert_eq!((e.access(), e.expire()), (42, 77));
        let copy = e.to_entry();
        assert!(copy.raw && copy.not_int);
        assert_eq!((copy.access, copy.expire), (42, 77));
        // The clock keeps 24 bits; idle time wraps like Redis's.
        let mut e = t.get_mut(b"k").unwrap();
        e.touch(ACCESS_MASK + 5);
        assert_eq!(e.view().access(), 4);
        assert_eq!(e.view().idle(ACCESS_MASK + 10), 5);
        assert_eq!(e.view().idle(3), ACCESS_MASK);
        assert_eq!(e.expire(), 77);
    }

    #[test]
    fn collections_change_in_place() {
        use crate::types::hash::HashLimits;
        let mut t = Table::default();
        t.set(b"h", Value::Hash(Box::default()), 0);
        t.set(b"z", Value::ZSet(Box::default()), 0);
        t.set(b"s", Value::Set(Box::default()), 0);
        let ValueMut::Hash(h) = t.get_mut(b"h").unwrap().into_value() else {
            panic!("a hash")
        };
        h.set(b"f", b"v", &HashLimits::NONE);
        let ValueMut::Set(s) = t.get_mut(b"s").unwrap().into_value() else {
            panic!("a set")
        };
        s.add(b"m", 512);
        t.get_mut(b"h").unwrap().set_expire(10);
        let h = t.get(b"h").unwrap().value().as_hash().unwrap();
        assert_eq!(h.get(b"f"), Some(&b"v"[..]));
        assert_eq!(t.get(b"z").unwrap().value().type_name(), "zset");
        assert!(matches!(t.get(b"s").unwrap().to_entry().value, Value::Set(s) if s.len() == 1));
        assert!(
            t.get_mut(b"s")
                .unwrap()
                .value_mut()
                .into_ref()
                .as_set()
                .is_ok()
        );
    }

    /// Random operations against a model: every layout transition, checked
    /// after each step (keys, values, deadlines, flags, counts).
    #[test]
    fn matches_a_model_under_random_operations() {
        let mut rng = SmallRng::seed_from_u64(11);
        let mut t = Table::default();
        let mut model: HashMap<Vec<u8>, (Vec<u8>, u64)> = HashMap::new();
        let key = |rng: &mut SmallRng| -> Vec<u8> {
            let n = rng.random_range(0..64u32);
            let long = rng.random_range(0..10) == 0;
            let mut k = format!("k{n}").into_bytes();
            if long {
                k.resize(300 + n as usize, b'#');
            }
            k
        };
        let value = |rng: &mut SmallRng| -> Vec<u8> {
            let len = *[0, 1, 16, 254, 255, 256, 700]
                .get(rng.random_range(0..7))
                .unwrap();
            vec![rng.random::<u8>(); len]
        };
        for step in 0..20_000 {
            let k = key(&mut rng);
            match rng.random_range(0..8) {
                0 => {
                    let v = value(&mut rng);
                    t.set_str(&k, &v, 0);
                    model.insert(k, (v, 0));
                }
                1 => {
                    let v = value(&mut rng);
                    t.set(&k, Value::Str(v.clone()), 0);
                    model.insert(k, (v, 0));
                }
                2 => {
                    let at = rng.random_range(0..3u64);
                    if let Some(m) = model.get_mut(&k) {
                        t.get_mut(&k).unwrap().set_expire(at);
                        m.1 = at;
                    }
                }
                3 => {
                    let v = value(&mut rng);
                    if let Some(m) = model.get_mut(&k) {
                        t.get_mut(&k).unwrap().replace_str(&v);
                        m.0 = v;
                    }
                }
                4 => {
                    let len = rng.random_range(0..600);
                    if let Some(m) = model.get_mut(&k) {
                        let s = t.get_mut(&k).unwrap().into_padded_str(len).unwrap();
                        if m.0.len() < len {
                            m.0.resize(len, 0);
                        }
                        assert_eq!(s, &m.0[..]);
                    }
                }
                5 => {
                    if let Some(m) = model.get_mut(&k) {
                        let v = t.get_mut(&k).unwrap().into_str_vec().unwrap();
                        v.push(b'!');
                        m.0.push(b'!');
                    }
                }
                6 => {
                    let gone = model.remove(&k);
                    let e = t.remove(&k);
                    assert_eq!(
                        e.map(|e| match e.value {
                            Value::Str(s) => (s, e.expire),
                            _ => unreachable!(),
                        }),
                        gone
                    );
                }
                _ => {
                    let Some(at) = model.get(&k).map(|m| m.1) else {
                        continue;
                    };
                    let fresh = vec![b'i'; rng.random_range(0..300)];
                    t.insert(
                        &k,
                        Entry {
                            expire: at,
                            ..Entry::new(Value::Str(fresh.clone()))
                        },
                    );
                    t.get_mut(&k).unwrap().touch(step);
                    assert_eq!(t.get(&k).unwrap().access(), step);
                    model.insert(k, (fresh, at));
                }
            }
            assert_eq!(t.len(), model.len(), "step {step}");
            assert_eq!(t.volatile(), model.values().filter(|m| m.1 != 0).count());
        }
        for (k, (v, at)) in &model {
            let e = t.get(k).unwrap();
            assert_eq!(e.value().as_str().unwrap(), &v[..]);
            assert_eq!(e.expire(), *at);
            assert_eq!(e.key(), &k[..]);
        }
    }
}
