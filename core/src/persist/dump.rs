//! DUMP payloads (Redis's `createDumpPayload`/`verifyDumpPayload`): the
//! value's RDB type byte and payload, the RDB version as 2 little-endian
//! bytes, then the CRC-64 of all of that, 8 bytes little endian.

use super::decode::{Limits, Reader};
use super::encode::{Compress, Encoder};
use super::format::RDB_VERSION;
use crate::keyspace::{Value, ValueRef};

/// The DUMP payload of `v`. `compress` is `rdbcompression`, `list_fill`
/// is `list-max-listpack-size`.
pub fn serialize(v: ValueRef<'_>, compress: bool, list_fill: i64) -> Vec<u8> {
    let mut e = Encoder::new(mode(compress), list_fill);
    e.byte(0);
    let t = e.object(v);
    let mut buf = e.buf;
    buf[0] = t;
    buf.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = super::crc64::crc64(0, &buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf
}

/// The length of `v`'s serialized payload, without its type byte (Redis's
/// `rdbSavedObjectLen`, DEBUG OBJECT's `serializedlength`); `compress` and
/// `list_fill` as for [`serialize`].
pub fn saved_len(v: ValueRef<'_>, compress: bool, list_fill: i64) -> usize {
    let mut e = Encoder::new(mode(compress), list_fill);
    e.object(v);
    e.buf.len()
}

/// Strings are LZF-compressed while encoding with `rdbcompression` on.
fn mode(compress: bool) -> Compress {
    if compress {
        Compress::Now
    } else {
        Compress::Off
    }
}

/// Why a payload was refused, as RESTORE reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a checksum mismatch.
    VersionOrChecksum,
    /// The checks passed but the value does not parse (or is empty).
    BadFormat,
}

/// Checks the footer of `payload` (version at most ours, CRC-64 equal
/// unless the stored CRC is skipped by `check_crc`), as Redis's
/// `verifyDumpPayload`.
pub fn verify(payload: &[u8], check_crc: bool) -> Result<(), PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let footer = &payload[payload.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    let crc = super::crc64::crc64(0, &payload[..payload.len() - 8]);
    if check_crc && crc.to_le_bytes() != footer[2..] {
        return Err(PayloadError::VersionOrChecksum);
    }
    Ok(())
}

/// The value in a verified `payload`.
pub fn deserialize(payload: &[u8], limits: &Limits) -> Result<Value, PayloadError> {
    let body = &payload[..payload.len() - 10];
    let (&t, rest) = body.split_first().ok_or(PayloadError::BadFormat)?;
    match Reader::new(rest).object(t, limits) {
        Ok(Some(v)) => Ok(v),
        Ok(None) | Err(_) => Err(PayloadError::BadFormat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// `DUMP` of the string "v" as redis-server 7.0 returns it.
    const REDIS_V: &[u8] = b"\x00\x01v\x0a\x00\x91\x08\xce\xb2\x19\x38\x8a\xce";

    #[test]
    fn matches_redis_bytes() {
        assert_eq!(serialize(ValueRef::Str(b"v"), true, -2), REDIS_V);
        assert_eq!(verify(REDIS_V, true), Ok(()));
        let limits = Limits::from_config(&Config::default());
        assert!(matches!(deserialize(REDIS_V, &limits), Ok(Value::Str(s)) if s == b"v"));
    }

    #[test]
    fn refuses_damage() {
        assert_eq!(
            verify(&REDIS_V[..9], true),
            Err(PayloadError::VersionOrChecksum)
        );
        let mut newer = REDIS_V.to_vec();
        newer[3] = 11;
        assert_eq!(verify(&newer, false), Err(PayloadError::VersionOrChecksum));
        let mut flipped = REDIS_V.to_vec();
        flipped[2] = b'w';
        assert_eq!(verify(&flipped, true), Err(PayloadError::VersionOrChecksum));
        assert_eq!(verify(&flipped, false), Ok(()));
        let limits = Limits::from_config(&Config::default());
        let stream = [15u8, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            deserialize(&stream, &limits).err(),
            Some(PayloadError::BadFormat)
        );
    }
}
