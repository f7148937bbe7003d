//! Stored values. The encodings Redis would use (listpack, intset, ...) are
//! tracked as one-way flags, as Redis converts small encodings to big ones
//! but never back; OBJECT ENCODING and the one-shot SCAN of small
//! collections follow them.

use crate::dict::Dict;
use crate::error::CmdError;
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

/// A hash: field → value.
#[derive(Debug, Clone, Default)]
pub struct HashValue {
    /// The fields.
    pub map: Dict<Vec<u8>>,
    /// True once Redis would have converted it to a hashtable.
    pub big: bool,
}

/// A set of members.
#[derive(Debug, Clone, Default)]
pub struct SetValue {
    /// The members.
    pub map: Dict<()>,
    /// True once Redis would have converted it from intset to a hashtable.
    pub big: bool,
}

/// A key's entry: its value, expiry and access time.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry in Unix ms; 0 when the key is persistent.
    pub expire: u64,
    /// Last access, in seconds of the engine clock (OBJECT IDLETIME).
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

impl Value {
    /// The TYPE name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// True for an empty collection (such keys must not exist).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::Hash(h) => h.map.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.map.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }
}

macro_rules! typed_access {
    ($as_ref:ident, $as_mut:ident, $variant:ident, $ty:ty) => {
        impl Value {
            #[doc = concat!("The value as `", stringify!($variant), "`, or WRONGTYPE.")]
            pub fn $as_ref(&self) -> Result<&$ty, CmdError> {
                match self {
                    Value::$variant(v) => Ok(v),
                    _ => Err(CmdError::WrongType),
                }
            }
            #[doc = concat!("The value as mutable `", stringify!($variant), "`, or WRONGTYPE.")]
            pub fn $as_mut(&mut self) -> Result<&mut $ty, CmdError> {
                match self {
                    Value::$variant(v) => Ok(v),
                    _ => Err(CmdError::WrongType),
                }
            }
        }
    };
}

typed_access!(as_str, as_str_mut, Str, Vec<u8>);
typed_access!(as_hash, as_hash_mut, Hash, HashValue);
typed_access!(as_list, as_list_mut, List, VecDeque<Vec<u8>>);
typed_access!(as_set, as_set_mut, Set, SetValue);
typed_access!(as_zset, as_zset_mut, ZSet, ZSet);
