//! RDB format constants (Redis 7.0's `rdb.h`): the file is
//! `REDIS0010`, auxiliary fields, then per non-empty db `SELECTDB n`,
//! `RESIZEDB keys expires` and its keys (`[EXPIRETIME_MS t] type key
//! value`), then `EOF` and the CRC-64 of everything before it
//! (little endian; 0 means "not computed").
//!
//! Lengths: `00xxxxxx` (6 bits), `01xxxxxx xxxxxxxx` (14 bits, big
//! endian), `0x80` + 32-bit big endian, `0x81` + 64-bit big endian.
//! `11xxxxxx` starts a specially encoded string: an 8, 16 or 32-bit
//! little-endian integer, or LZF (`0xC3`, compressed length, length, data).

/// The RDB version written (Redis 7.0).
pub const RDB_VERSION: u16 = 10;
/// The newest version loaded (Redis 7.2's 11 adds only the set listpack
/// and a stream type).
pub const RDB_VERSION_MAX_LOAD: u16 = 11;

/// Value types.
pub mod ty {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// Opcodes (bytes that are not value types).
pub mod op {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// Special string encodings (after a `11` length prefix).
pub mod enc {
    pub const INT8: u8 = 0;
    pub const INT16: u8 = 1;
    pub const INT32: u8 = 2;
    pub const LZF: u8 = 3;
}

/// Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2).
pub mod container {
    /// One element stored as itself.
    pub const PLAIN: u64 = 1;
    /// A listpack of elements.
    pub const PACKED: u64 = 2;
}

/// Strings longer than this are LZF-compressed when `rdbcompression` is on.
pub const COMPRESS_MIN: usize = 20;
