//! Stored values: [`Value`] owned, [`ValueRef`]/[`ValueMut`] borrowed from
//! the keyspace. Hashes and sets are kept in the encoding Redis 7.0 would
//! use (listpack or intset while small, a hash table once big), as the
//! small encodings' order is what users see in replies; Redis converts them
//! one way (small to big) when a limit is crossed. OBJECT ENCODING and the
//! one-shot SCAN of small collections follow the encoding too. Sorted sets
//! track theirs as a flag (their order does not depend on it).

use crate::dict::Dict;
use crate::error::CmdError;
use crate::small_bytes::SmallBytes;
use crate::types::intset::IntSet;
use crate::types::listpack::Listpack;
use crate::types::zset::ZSet;
use std::collections::VecDeque;

/// A value of one of the five types.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (also integers, bitmaps and HyperLogLogs).
    Str(Vec<u8>),
    /// A hash.
    Hash(Box<HashValue>),
    /// A list.
    List(Box<VecDeque<Vec<u8>>>),
    /// A set.
    Set(Box<SetValue>),
    /// A sorted set.
    ZSet(Box<ZSet>),
}

/// A hash: field → value, in one of Redis's two encodings (the rules that
/// pick one are in [`crate::types::hash`]).
#[derive(Debug, Clone)]
pub enum HashValue {
    /// A small hash, fields in insertion order (OBJECT ENCODING `listpack`).
    Listpack(Listpack),
    /// A hash Redis would have converted to a `hashtable` (values short
    /// enough kept in the field's node).
    Table(Dict<SmallBytes>),
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Listpack(Listpack::new())
    }
}

/// A set of members, in one of Redis's two encodings (the rules that pick
/// one are in [`crate::types::set`]).
#[derive(Debug, Clone)]
pub enum SetValue {
    /// A small set of integers, sorted (OBJECT ENCODING `intset`).
    Intset(IntSet),
    /// A set Redis would have converted to a `hashtable`.
    Table(Dict<()>),
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::Intset(IntSet::new())
    }
}

/// A key's entry taken out of (or on its way into) the keyspace: value,
/// expiry, access time and string-encoding flags. In the keyspace itself an
/// entry is a packed node (see [`Table`](super::Table)), read and changed
/// through [`EntryRef`](super::EntryRef) and [`EntryMut`](super::EntryMut).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry in Unix ms; 0 when the key is persistent.
    pub expire: u64,
    /// Last access, in seconds of the engine clock (OBJECT IDLETIME); the
    /// keyspace keeps its low 24 bits, as Redis's LRU clock.
    pub access: u32,
    /// True once a string was modified in place (APPEND, SETRANGE, SETBIT):
    /// Redis then reports encoding `raw`.
    pub raw: bool,
    /// True when a string that reads as an integer is nevertheless stored as
    /// a plain string (INCRBYFLOAT results, which Redis builds without
    /// `tryObjectEncoding`): OBJECT ENCODING then reports `embstr`, not `int`.
    pub not_int: bool,
}

impl Entry {
    /// A persistent entry.
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            expire: 0,
            access: 0,
            raw: false,
            not_int: false,
        }
    }
}

/// A stored value, borrowed: strings as bytes, collections by reference.
#[derive(Debug, Clone, Copy)]
pub enum ValueRef<'a> {
    /// A string.
    Str(&'a [u8]),
    /// A hash.
    Hash(&'a HashValue),
    /// A list.
    List(&'a VecDeque<Vec<u8>>),
    /// A set.
    Set(&'a SetValue),
    /// A sorted set.
    ZSet(&'a ZSet),
}

/// A stored value, borrowed for changing a collection. Strings stay
/// read-only here: they may live inside the keyspace node, so changing one
/// goes through [`EntryMut`](super::EntryMut), which can move the node.
#[derive(Debug)]
pub enum ValueMut<'a> {
    /// A string.
    Str(&'a [u8]),
    /// A hash.
    Hash(&'a mut HashValue),
    /// A list.
    List(&'a mut VecDeque<Vec<u8>>),
    /// A set.
    Set(&'a mut SetValue),
    /// A sorted set.
    ZSet(&'a mut ZSet),
}

impl<'a> ValueRef<'a> {
    /// The TYPE name.
    pub fn type_name(self) -> &'static str {
        match self {
            ValueRef::Str(_) => "string",
            ValueRef::Hash(_) => "hash",
            ValueRef::List(_) => "list",
            ValueRef::Set(_) => "set",
            ValueRef::ZSet(_) => "zset",
        }
    }

    /// An owned copy.
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Str(s) => Value::Str(s.to_vec()),
            ValueRef::Hash(h) => Value::Hash(Box::new(h.clone())),
            ValueRef::List(l) => Value::List(Box::new(l.clone())),
            ValueRef::Set(s) => Value::Set(Box::new(s.clone())),
            ValueRef::ZSet(z) => Value::ZSet(Box::new(z.clone())),
        }
    }
}

impl<'a> ValueMut<'a> {
    /// The same value, read-only.
    pub fn into_ref(self) -> ValueRef<'a> {
        match self {
            ValueMut::Str(s) => ValueRef::Str(s),
            ValueMut::Hash(h) => ValueRef::Hash(h),
            ValueMut::List(l) => ValueRef::List(l),
            ValueMut::Set(s) => ValueRef::Set(s),
            ValueMut::ZSet(z) => ValueRef::ZSet(z),
        }
    }

    /// True for an empty collection (such keys must not exist).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            ValueMut::Str(_) => false,
            ValueMut::Hash(h) => h.is_empty(),
            ValueMut::List(l) => l.is_empty(),
            ValueMut::Set(s) => s.is_empty(),
            ValueMut::ZSet(z) => z.is_empty(),
        }
    }
}

/// Typed accessors: the value as one type, or WRONGTYPE.
macro_rules! typed_access {
    ($variant:ident, $ty:ty, $as_ref:ident, $as_mut:ident) => {
        impl<'a> ValueRef<'a> {
            #[doc = concat!("The value as `", stringify!($variant), "`, or WRONGTYPE.")]
            pub fn $as_ref(self) -> Result<&'a $ty, CmdError> {
                match self {
                    ValueRef::$variant(v) => Ok(v),
                    _ => Err(CmdError::WrongType),
                }
            }
        }

        impl<'a> ValueMut<'a> {
            #[doc = concat!("The value as mutable `", stringify!($variant), "`, or WRONGTYPE.")]
            pub fn $as_mut(self) -> Result<&'a mut $ty, CmdError> {
                match self {
                    ValueMut::$variant(v) => Ok(v),
                    _ => Err(CmdError::WrongType),
                }
            }
        }
    };
}

typed_access!(Hash, HashValue, as_hash, as_hash_mut);
typed_access!(List, VecDeque<Vec<u8>>, as_list, as_list_mut);
typed_access!(Set, SetValue, as_set, as_set_mut);
typed_access!(ZSet, ZSet, as_zset, as_zset_mut);

impl<'a> ValueRef<'a> {
    /// The value as a string, or WRONGTYPE.
    pub fn as_str(self) -> Result<&'a [u8], CmdError> {
        match self {
            ValueRef::Str(s) => Ok(s),
            _ => Err(CmdError::WrongType),
        }
    }
}
