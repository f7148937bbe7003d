//! Reading RDB data: whole files ([`load`]) and single values (DUMP
//! payloads), every type and encoding Redis 7.0 loads. Input is a byte
//! slice, so every length is checked against what is left before it is
//! used (a corrupt length is an error, never a huge allocation), and every
//! error names the offset where the bad item starts. Streams, modules and
//! function libraries are refused by name: kvstore has none of them.
//!
//! Values get the encoding flags Redis would give them after loading, from
//! the live configuration (a hash of few short fields is a listpack even if
//! the file held it as a hashtable, as in Redis).

use super::crc64::crc64;
use super::format::{RDB_VERSION_MAX_LOAD, container, enc, op, ty};
use super::listpack::Elem;
use super::{intset, legacy, listpack, lzf};
use crate::config::Config;
use crate::keyspace::{HashValue, SetValue, Value};
use crate::types::hash::HashLimits;
use crate::types::zset::ZSet;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;

/// Why RDB data could not be read: the byte offset of the item that is
/// wrong, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// Offset from the start of the data.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for FormatError {}

type Result<T> = std::result::Result<T, FormatError>;

/// The encoding limits that decide the flags of loaded values.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    hash: HashLimits,
    set_max_intset: usize,
    zset_entries: usize,
    zset_value: usize,
}

impl Limits {
    /// The limits in `config` now.
    pub fn from_config(config: &Config) -> Limits {
        let get = |name| usize::try_from(config.get_int(name)).unwrap_or(0);
        Limits {
            hash: HashLimits {
                entries: get("hash-max-listpack-entries"),
                value: get("hash-max-listpack-value"),
            },
            set_max_intset: get("set-max-intset-entries"),
            zset_entries: get("zset-max-listpack-entries"),
            zset_value: get("zset-max-listpack-value"),
        }
    }
}

/// A cursor over RDB bytes.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    fn err<T>(&self, at: usize, reason: impl Into<String>) -> Result<T> {
        Err(FormatError {
            offset: at,
            reason: reason.into(),
        })
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        let left = self.data.len() - self.pos;
        if n > left as u64 {
            return self.err(
                self.pos,
                format!("unexpected end of data: {n} bytes needed, {left} left"),
            );
        }
        let s = &self.data[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N as u64)?.try_into().expect("N bytes"))
    }

    /// A length, or a special string encoding (`true` with its kind).
    fn len_or_enc(&mut self) -> Result<(u64, bool)> {
        let at = self.pos;
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => (u64::from(b & 0x3F), false),
            1 => (u64::from(b & 0x3F) << 8 | u64::from(self.u8()?), false),
            3 => (u64::from(b & 0x3F), true),
            _ => match b {
                0x80 => (u64::from(u32::from_be_bytes(self.fixed()?)), false),
                0x81 => (u64::from_be_bytes(self.fixed()?), false),
                _ => return self.err(at, format!("bad length byte {b:#04x}")),
            },
        })
    }

    /// A length.
    fn len(&mut self) -> Result<u64> {
        let at = self.pos;
        match self.len_or_enc()? {
            (n, false) => Ok(n),
            (_, true) => self.err(at, "an encoded string where a length belongs"),
        }
    }

    /// A count of items each at least one byte long: larger than what is
    /// left of the data is corruption (and must not size an allocation).
    fn count(&mut self) -> Result<usize> {
        let at = self.pos;
        let n = self.len()?;
        if n > (self.data.len() - self.pos) as u64 {
            return self.err(at, format!("count {n} exceeds the data left"));
        }
        Ok(n as usize)
    }

    /// A string in any encoding.
    pub fn string(&mut self) -> Result<Cow<'a, [u8]>> {
        let at = self.pos;
        let (n, special) = self.len_or_enc()?;
        if !special {
            return Ok(Cow::Borrowed(self.take(n)?));
        }
        let int = match n as u8 {
            enc::INT8 => i64::from(self.u8()? as i8),
            enc::INT16 => i64::from(i16::from_le_bytes(self.fixed()?)),
            enc::INT32 => i64::from(i32::from_le_bytes(self.fixed()?)),
            enc::LZF => {
                let clen = self.len()?;
                let ulen = self.len()?;
                let data = self.take(clen)?;
                // LZF expands at most 88 times (3 bytes for 264).
                if ulen > clen.saturating_mul(88) {
                    return self.err(at, format!("LZF length {ulen} impossible for {clen} bytes"));
                }
                return lzf::decompress(data, ulen as usize)
                    .map(Cow::Owned)
                    .or_else(|e| self.err(at, e));
            }
            _ => return self.err(at, format!("unknown string encoding {n}")),
        };
        Ok(Cow::Owned(int.to_string().into_bytes()))
    }

    /// A double as text with a length byte (old sorted sets): 253 NaN,
    /// 254 +inf, 255 -inf.
    fn double_text(&mut self) -> Result<f64> {
        let at = self.pos;
        match self.u8()? {
            253 => self.err(at, "NaN score"),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.take(u64::from(n))?;
                match crate::num::strtod_loose(text) {
                    Some(d) => Ok(d),
                    None => self.err(at, "bad score text"),
                }
            }
        }
    }

    /// A double as 8 little-endian bytes.
    fn double_bin(&mut self) -> Result<f64> {
        let at = self.pos;
        let d = f64::from_le_bytes(self.fixed()?);
        if d.is_nan() {
            return self.err(at, "NaN score");
        }
        Ok(d)
    }

    /// A string holding a compact blob (listpack, ziplist, intset, ...),
    /// parsed by `parse`; errors point at the blob.
    fn blob<T>(
        &mut self,
        parse: impl FnOnce(&[u8]) -> std::result::Result<T, String>,
    ) -> Result<T> {
        let at = self.pos;
        let b = self.string()?;
        parse(&b).or_else(|e| self.err(at, e))
    }

    /// The value of type `t`; `None` for an empty collection, which Redis
    /// skips when loading.
    pub fn object(&mut self, t: u8, limits: &Limits) -> Result<Option<Value>> {
        let at = self.pos;
        let v = match t {
            ty::STRING => return Ok(Some(Value::Str(self.string()?.into_owned()))),
            ty::LIST => {
                let n = self.count()?;
                let mut l = VecDeque::with_capacity(n);
                for _ in 0..n {
                    l.push_back(self.string()?.into_owned());
                }
                list(l)
            }
            ty::LIST_ZIPLIST => list(self.blob(|b| elems(legacy::read_ziplist(b)?))?.into()),
            ty::LIST_QUICKLIST | ty::LIST_QUICKLIST_2 => self.quicklist(t == ty::LIST_QUICKLIST)?,
            ty::SET => {
                let n = self.count()?;
                let mut members = Vec::with_capacity(n);
                for _ in 0..n {
                    members.push(self.string()?);
                }
                build_set(members.iter().map(|m| &m[..]), limits)
            }
            ty::SET_INTSET => {
                let ints = self.blob(intset::decode)?;
                let text: Vec<Vec<u8>> = ints.iter().map(|i| i.to_string().into_bytes()).collect();
                build_set(text.iter().map(Vec::as_slice), limits)
            }
            ty::SET_LISTPACK => {
                let members = self.blob(|b| elems(listpack::read(b)?))?;
                build_set(members.iter().map(Vec::as_slice), limits)
            }
            ty::ZSET | ty::ZSET_2 => {
                let n = self.count()?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    let m = self.string()?.into_owned();
                    let s = if t == ty::ZSET {
                        self.double_text()?
                    } else {
                        self.double_bin()?
                    };
                    pairs.push((m, s));
                }
                build_zset(pairs, limits, true)
            }
            ty::ZSET_ZIPLIST | ty::ZSET_LISTPACK => {
                let e = self.blob(|b| {
                    if t == ty::ZSET_LISTPACK {
                        listpack::read(b)
                    } else {
                        legacy::read_ziplist(b)
                    }
                    .map(|v| v.into_iter().map(owned).collect::<Vec<_>>())
                })?;
                let pairs = zset_pairs(e).or_else(|r| self.err(at, r))?;
                build_zset(pairs, limits, false)
            }
            ty::HASH => {
                let n = self.count()?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    pairs.push((self.string()?, self.string()?));
                }
                build_hash(pairs, limits)
            }
            ty::HASH_ZIPMAP => {
                let pairs = self.blob(|b| {
                    Ok(legacy::read_zipmap(b)?
                        .into_iter()
                        .map(|(f, v)| (f.to_vec(), v.to_vec()))
                        .collect())
                })?;
                build_hash(pairs, limits)
            }
            ty::HASH_ZIPLIST | ty::HASH_LISTPACK => {
                let e = self.blob(|b| {
                    let v = if t == ty::HASH_LISTPACK {
                        listpack::read(b)?
                    } else {
                        legacy::read_ziplist(b)?
                    };
                    elems(v)
                })?;
                if e.len() % 2 != 0 {
                    return self.err(at, "hash with a field but no value");
                }
                let mut it = e.into_iter();
                let mut pairs = Vec::new();
                while let (Some(f), Some(v)) = (it.next(), it.next()) {
                    pairs.push((f, v));
                }
                build_hash(pairs, limits)
            }
            ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 | ty::STREAM_LISTPACKS_3 => {
                return self.err(
                    at,
                    format!("a stream (RDB type {t}): kvstore has no streams"),
                );
            }
            ty::MODULE_PRE_GA | ty::MODULE_2 => {
                let id = self.len()?;
                return self.err(
                    at,
                    format!(
                        "a value of module type '{}' (RDB type {t}): kvstore has no modules",
                        module_name(id)
                    ),
                );
            }
            _ => return self.err(at, format!("unknown value type {t}")),
        };
        v.map_err(|reason| FormatError { offset: at, reason })
    }

    fn quicklist(&mut self, v1: bool) -> Result<std::result::Result<Option<Value>, String>> {
        let nodes = self.count()?;
        let mut l = VecDeque::new();
        for _ in 0..nodes {
            let at = self.pos;
            let kind = if v1 { container::PACKED } else { self.len()? };
            match kind {
                container::PLAIN => l.push_back(self.string()?.into_owned()),
                container::PACKED => {
                    let items = self.blob(|b| {
                        if v1 {
                            elems(legacy::read_ziplist(b)?)
                        } else {
                            elems(listpack::read(b)?)
                        }
                    })?;
                    l.extend(items);
                }
                k => return self.err(at, format!("unknown quicklist container {k}")),
            }
        }
        Ok(list(l))
    }
}

fn owned(e: Elem<'_>) -> OwnedElem {
    match e {
        Elem::Str(s) => OwnedElem::Str(s.to_vec()),
        Elem::Int(i) => OwnedElem::Int(i),
    }
}

/// A listpack/ziplist element detached from its blob.
enum OwnedElem {
    Str(Vec<u8>),
    Int(i64),
}

fn elems(v: Vec<Elem<'_>>) -> std::result::Result<Vec<Vec<u8>>, String> {
    Ok(v.into_iter().map(Elem::to_vec).collect())
}

fn list(l: VecDeque<Vec<u8>>) -> std::result::Result<Option<Value>, String> {
    Ok((!l.is_empty()).then(|| Value::List(Box::new(l))))
}

fn build_set<'m>(
    members: impl IntoIterator<Item = &'m [u8]>,
    limits: &Limits,
) -> std::result::Result<Option<Value>, String> {
    let mut s = SetValue::default();
    for m in members {
        if !s.add(m, limits.set_max_intset) {
            return Err(format!(
                "duplicate set member '{}'",
                String::from_utf8_lossy(m)
            ));
        }
    }
    Ok((!s.is_empty()).then(|| Value::Set(Box::new(s))))
}

fn build_hash<F: AsRef<[u8]>, V: AsRef<[u8]>>(
    pairs: Vec<(F, V)>,
    limits: &Limits,
) -> std::result::Result<Option<Value>, String> {
    // Too many fields for a listpack: a table from the start, as Redis
    // loads it (growing a listpack to the limit would search it once per
    // field).
    let mut h = match pairs.len() > limits.hash.entries {
        true => HashValue::Table(crate::dict::Dict::with_capacity(pairs.len())),
        false => HashValue::default(),
    };
    for (f, v) in pairs {
        let (f, v) = (f.as_ref(), v.as_ref());
        let limits = if h.is_big() {
            HashLimits::NONE
        } else {
            limits.hash
        };
        if !h.set(f, v, &limits) {
            return Err(format!(
                "duplicate hash field '{}'",
                String::from_utf8_lossy(f)
            ));
        }
    }
    Ok((!h.is_empty()).then(|| Value::Hash(Box::new(h))))
}

/// Pairs (member, score) of a listpack or ziplist sorted set.
fn zset_pairs(e: Vec<OwnedElem>) -> std::result::Result<Vec<(Vec<u8>, f64)>, String> {
    if e.len() % 2 != 0 {
        return Err("sorted set member without a score".into());
    }
    let mut out = Vec::with_capacity(e.len() / 2);
    let mut it = e.into_iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        let m = match m {
            OwnedElem::Str(s) => s,
            OwnedElem::Int(i) => i.to_string().into_bytes(),
        };
        let score = match s {
            OwnedElem::Int(i) => i as f64,
            OwnedElem::Str(t) => crate::num::strtod_loose(&t).ok_or("bad score text")?,
        };
        out.push((m, score));
    }
    Ok(out)
}

/// A sorted set from its pairs. Redis keeps a compact (listpack/ziplist)
/// input compact unless it has too many members; a skiplist input becomes
/// compact when both count and member lengths fit.
fn build_zset(
    pairs: Vec<(Vec<u8>, f64)>,
    limits: &Limits,
    from_skiplist: bool,
) -> std::result::Result<Option<Value>, String> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let longest = pairs.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let big = pairs.len() > limits.zset_entries || (from_skiplist && longest > limits.zset_value);
    let mut z = ZSet::with_big(big);
    for (m, s) in pairs {
        if z.insert(&m, s).is_some() {
            return Err(format!(
                "duplicate sorted set member '{}'",
                String::from_utf8_lossy(&m)
            ));
        }
    }
    Ok(Some(Value::ZSet(Box::new(z))))
}

/// The name of a module type from its 64-bit id (Redis's
/// `moduleTypeNameByID`: nine 6-bit characters above a 10-bit version).
fn module_name(id: u64) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let name = id >> 10;
    (0..9)
        .map(|i| CHARS[((name >> (6 * (8 - i))) & 63) as usize] as char)
        .collect()
}

/// Counts of a whole-file load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Keys loaded.
    pub keys: u64,
    /// Keys skipped because their expiry had passed.
    pub expired: u64,
    /// Empty collections skipped.
    pub empty: u64,
    /// Bytes the RDB data took (what follows in an append-only file is
    /// its command tail).
    pub bytes: usize,
}

/// One key read from a file, handed to the caller of [`load`].
#[derive(Debug)]
pub struct Loaded {
    /// Its db.
    pub db: usize,
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Value,
    /// Absolute expiry in Unix ms, 0 for none.
    pub expire: u64,
    /// Seconds idle, when the file recorded it.
    pub idle: Option<u64>,
}

/// Reads a whole RDB file: header, aux fields, dbs, keys, EOF and the
/// CRC-64 (verified unless `check_crc` is off or the file stored 0). Keys
/// whose expiry is before `now_ms` are skipped, as a Redis master does.
/// `put` receives each key; its error (a duplicate key, say) stops the
/// load at that key's offset. Nothing is applied by this function itself:
/// a caller that keeps the keys only on `Ok` never loads part of a file.
pub fn load(
    data: &[u8],
    now_ms: u64,
    limits: &Limits,
    check_crc: bool,
    dbs: usize,
    mut put: impl FnMut(Loaded) -> std::result::Result<(), String>,
) -> Result<LoadStats> {
    let mut r = Reader::new(data);
    let magic = r.take(9)?;
    if &magic[..5] != b"REDIS" {
        return r.err(0, "not an RDB file (no REDIS signature)");
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|v| v.parse::<u16>().ok())
        .filter(|v| (1..=RDB_VERSION_MAX_LOAD).contains(v));
    let Some(version) = version else {
        return r.err(
            5,
            format!(
                "unsupported RDB version '{}'",
                String::from_utf8_lossy(&magic[5..])
            ),
        );
    };
    let mut stats = LoadStats::default();
    let (mut db, mut expire, mut idle) = (0usize, 0u64, None);
    loop {
        let at = r.pos;
        let t = r.u8()?;
        match t {
            op::EXPIRETIME => expire = u64::from(u32::from_le_bytes(r.fixed()?)) * 1000,
            op::EXPIRETIME_MS => expire = u64::from_le_bytes(r.fixed()?),
            op::FREQ => {
                r.u8()?;
            }
            op::IDLE => idle = Some(r.len()?),
            op::EOF => break,
            op::SELECTDB => {
                let n = r.len()?;
                if n >= dbs as u64 {
                    return r.err(at, format!("db index {n} out of range ({dbs} dbs)"));
                }
                db = n as usize;
            }
            op::RESIZEDB => {
                r.len()?;
                r.len()?;
            }
            op::AUX => {
                r.string()?;
                r.string()?;
            }
            op::MODULE_AUX => {
                let id = r.len()?;
                return r.err(
                    at,
                    format!(
                        "auxiliary data of module '{}': kvstore has no modules",
                        module_name(id)
                    ),
                );
            }
            op::FUNCTION2 | op::FUNCTION_PRE_GA => {
                return r.err(
                    at,
                    "a function library (FUNCTION LOAD): not supported by kvstore",
                );
            }
            _ => {
                let key = r.string()?.into_owned();
                let value = r.object(t, limits)?;
                let expired = expire != 0 && expire < now_ms;
                match value {
                    _ if expired => stats.expired += 1,
                    None => stats.empty += 1,
                    Some(value) => {
                        let item = Loaded {
                            db,
                            key,
                            value,
                            expire,
                            idle,
                        };
                        put(item).or_else(|e| r.err(at, e))?;
                        stats.keys += 1;
                    }
                }
                (expire, idle) = (0, None);
            }
        }
    }
    if version >= 5 {
        let at = r.pos;
        let stored = u64::from_le_bytes(r.fixed()?);
        let computed = crc64(0, &data[..at]);
        if check_crc && stored != 0 && stored != computed {
            return r.err(
                at,
                format!(
                    "checksum mismatch: file says {stored:016x}, contents give {computed:016x}"
                ),
            );
        }
    }
    stats.bytes = r.pos;
    Ok(stats)
}
