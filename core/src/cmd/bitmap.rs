//! The bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD
//! and BITFIELD_RO. Bitmaps are strings; bit 0 is the most significant bit
//! of the first byte. Argument checks and their order follow Redis 7.0's
//! `bitops.c`, as the error a client sees depends on it.

use super::args;
use super::strings::{Built, add_string, c_str, get as read, max_bulk_len};
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::engine::Shared;
use crate::error::{CmdError, CmdResult};
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use crate::types::bits::{self, Overflow};

/// A row of this family (group `bitmap`, one key at index 1 unless overridden).
const ROW: Command = Command {
    group: "bitmap",
    keys: Keys::FIRST,
    ..BASE
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "setbit",
        arity: 4,
        flags: WRITE | DENYOOM,
        acl: &["write", "bitmap", "slow"],
        handler: setbit,
        summary: "Sets or clears the bit at offset in the string value stored at key",
        since: "2.2.0",
        syntax: "key offset value",
        ..ROW
    },
    Command {
        name: "getbit",
        arity: 3,
        flags: READONLY | FAST,
        acl: &["read", "bitmap", "fast"],
        handler: getbit,
        summary: "Returns the bit value at offset in the string value stored at key",
        since: "2.2.0",
        syntax: "key offset",
        ..ROW
    },
    Command {
        name: "bitcount",
        arity: -2,
        flags: READONLY,
        acl: &["read", "bitmap", "slow"],
        handler: bitcount,
        summary: "Count set bits in a string",
        since: "2.6.0",
        syntax: "key [start end [BYTE | BIT]]",
        ..ROW
    },
    Command {
        name: "bitpos",
        arity: -3,
        flags: READONLY,
        acl: &["read", "bitmap", "slow"],
        handler: bitpos,
        summary: "Find first bit set or clear in a string",
        since: "2.8.7",
        syntax: "key bit [start [end [BYTE | BIT]]]",
        ..ROW
    },
    Command {
        name: "bitop",
        arity: -4,
        flags: WRITE | DENYOOM,
        acl: &["write", "bitmap", "slow"],
        keys: Keys::Range {
            first: 2,
            last: -1,
            step: 1,
        },
        handler: bitop,
        summary: "Perform bitwise operations between strings",
        since: "2.6.0",
        syntax: "operation destkey key [key ...]",
        ..ROW
    },
    Command {
        name: "bitfield",
        arity: -2,
        flags: WRITE | DENYOOM,
        acl: &["write", "bitmap", "slow"],
        handler: bitfield,
        summary: "Perform arbitrary bitfield integer operations on strings",
        since: "3.2.0",
        syntax: "key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]",
        ..ROW
    },
    Command {
        name: "bitfield_ro",
        arity: -2,
        flags: READONLY | FAST,
        acl: &["read", "bitmap", "fast"],
        handler: bitfield_ro,
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        since: "6.0.0",
        syntax: "key [GET encoding offset [GET encoding offset ...]]",
        ..ROW
    },
];

// ---------------------------------------------------------------------------
// Shared helpers.
// ---------------------------------------------------------------------------

/// `ERR bit offset is not an integer or out of range`.
fn bad_offset() -> CmdError {
    CmdError::err("bit offset is not an integer or out of range")
}

/// Parses a bit offset (Redis's `getBitOffsetFromArgument`). With
/// `hash_bits` (BITFIELD), `#N` means N fields of that width; the product
/// wraps as it does in C. The offset's byte must lie below
/// `proto-max-bulk-len`.
fn bit_offset(shared: &Shared, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, times) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], i64::from(bits)),
        _ => (arg, 1),
    };
    let n = crate::num::parse_i64(digits)
        .ok_or_else(bad_offset)?
        .wrapping_mul(times);
    // Any offset below 8 MiB bits is within every allowed limit (>= 1 MiB).
    if n < 0 || (n >= 1 << 23 && (n as u64 >> 3) >= max_bulk_len(shared)) {
        return Err(bad_offset());
    }
    Ok(n as u64)
}

/// Runs `f` on the string at `key` grown (zero-padded) to hold bit `max_bit`,
/// creating it when absent (Redis's `lookupStringForBitCommand`). The string
/// is modified in place, so it is `raw` from now on. Also says whether the
/// string was created or grew.
fn with_bits<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    max_bit: u64,
    f: impl FnOnce(&mut [u8]) -> R,
) -> Result<(R, bool), CmdError> {
    let len = (max_bit >> 3) as usize + 1;
    if let Some(e) = ctx.entry(key) {
        let grew = e.value().as_str()?.len() < len;
        return Ok((f(e.into_padded_str(len)?), grew));
    }
    let mut s = vec![0u8; len];
    let r = f(&mut s);
    add_string(ctx, key, s, Built::InPlace);
    Ok((r, true))
}

// ---------------------------------------------------------------------------
// SETBIT, GETBIT.
// ---------------------------------------------------------------------------

fn setbit(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let offset = bit_offset(ctx.shared(), argv[2], None)?;
    let bad_bit = || CmdError::err("bit is not an integer or out of range");
    let on = crate::num::parse_i64(argv[3]).ok_or_else(bad_bit)?;
    if on & !1 != 0 {
        return Err(bad_bit());
    }
    let (old, grew) = with_bits(ctx, key, offset, |s| {
        let byte = &mut s[(offset >> 3) as usize];
        let mask = 0x80u8 >> (offset & 7);
        let old = *byte & mask != 0;
        if on == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
        old
    })?;
    // As Redis 7.0: a bit set to what it was in a string that did not
    // grow is no change (nothing signalled, counted or propagated).
    if grew || old != (on == 1) {
        ctx.modified(key);
        ctx.notify(ev::STRING, "setbit", key);
    }
    Ok(Reply::Int(i64::from(old)))
}

fn getbit(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let offset = bit_offset(ctx.shared(), argv[2], None)?;
    let s = read(ctx, argv[1])?.unwrap_or_default();
    let bit = s
        .get((offset >> 3) as usize)
        .is_some_and(|b| b & (0x80 >> (offset & 7)) != 0);
    Ok(Reply::Int(i64::from(bit)))
}

// ---------------------------------------------------------------------------
// BITCOUNT, BITPOS.
// ---------------------------------------------------------------------------

/// Parses a BYTE|BIT unit argument; true for BIT.
fn unit_is_bit(arg: &[u8]) -> Result<bool, CmdError> {
    match c_str(arg) {
        w if w.eq_ignore_ascii_case(b"bit") => Ok(true),
        w if w.eq_ignore_ascii_case(b"byte") => Ok(false),
        _ => Err(CmdError::Syntax),
    }
}

/// A resolved BITCOUNT/BITPOS range over a string: inclusive byte indexes
/// and, in BIT mode, the masks of the bits of the first and last byte that
/// lie outside the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    first_out: u8,
    last_out: u8,
}

/// Resolves `[start, end]` (negative from the end, in bytes or bits) over
/// a `len`-byte string, clamping as Redis does; None for an empty range.
fn span(start: i64, end: i64, len: usize, bit_unit: bool) -> Option<Span> {
    let total = if bit_unit { len as i64 * 8 } else { len as i64 };
    let start = if start < 0 { start + total } else { start }.max(0);
    let end = if end < 0 { end + total } else { end }
        .max(0)
        .min(total - 1);
    if start > end {
        return None;
    }
    if !bit_unit {
        let (start, end) = (start as usize, end as usize);
        return Some(Span {
            start,
            end,
            first_out: 0,
            last_out: 0,
        });
    }
    Some(Span {
        start: (start >> 3) as usize,
        end: (end >> 3) as usize,
        first_out: !(0xffu8 >> (start & 7)),
        last_out: (1u8 << (7 - (end & 7))).wrapping_sub(1),
    })
}

fn bitcount(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    // Redis 7.0 looks the key up before parsing the range.
    let Some(s) = read(ctx, argv[1])? else {
        return Ok(Reply::Int(0));
    };
    let range = match argv.len() {
        2 => span(0, -1, s.len(), false),
        4 | 5 => {
            let start = args::int(argv[2])?;
            let end = args::int(argv[3])?;
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Int(0));
            }
            let bit_unit = argv.len() == 5 && unit_is_bit(argv[4])?;
            span(start, end, s.len(), bit_unit)
        }
        _ => return Err(CmdError::Syntax),
    };
    let Some(r) = range else {
        return Ok(Reply::Int(0));
    };
    let outside = bits::popcount(&[s[r.start] & r.first_out, s[r.end] & r.last_out]);
    Ok(Reply::Int(
        (bits::popcount(&s[r.start..=r.end]) - outside) as i64,
    ))
}

fn bitpos(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let bit = args::int(argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::err("The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    // An absent key is an infinite run of zeros.
    let Some(s) = read(ctx, argv[1])? else {
        return Ok(Reply::Int(if bit { -1 } else { 0 }));
    };
    let (range, end_given) = match argv.len() {
        3 => (span(0, -1, s.len(), false), false),
        4..=6 => {
            let start = args::int(argv[3])?;
            let bit_unit = argv.len() == 6 && unit_is_bit(argv[5])?;
            let end = if argv.len() >= 5 {
                args::int(argv[4])?
            } else {
                -1
            };
            (span(start, end, s.len(), bit_unit), argv.len() >= 5)
        }
        _ => return Err(CmdError::Syntax),
    };
    Ok(Reply::Int(match range {
        Some(r) => first_in_span(s, bit, r, end_given),
        None => -1,
    }))
}

/// Redis's BITPOS search over a resolved span: the edge bytes of a BIT
/// range are masked (outside bits forced to the value not looked for), and
/// a clear bit found only past an explicit end does not count.
fn first_in_span(s: &[u8], bit: bool, r: Span, end_given: bool) -> i64 {
    let hide = |b: u8, out: u8| if bit { b & !out } else { b | out };
    let mut start = r.start;
    let mut bytes = r.end - r.start + 1;
    let pos = 'found: {
        if r.first_out != 0 {
            let mut b = hide(s[start], r.first_out);
            if bytes == 1 {
                b = hide(b, r.last_out);
            }
            let pos = bits::first_bit(&[b], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'found pos;
            }
            start += 1;
            bytes -= 1;
        }
        let whole = bytes - usize::from(r.last_out != 0);
        if whole > 0 {
            let pos = bits::first_bit(&s[start..start + whole], bit);
            if bytes == whole || (pos != -1 && pos != whole as i64 * 8) {
                break 'found pos;
            }
            start += whole;
            bytes -= whole;
        }
        bits::first_bit(&[hide(s[r.end], r.last_out)], bit)
    };
    if end_given && !bit && pos == bytes as i64 * 8 {
        return -1;
    }
    if pos == -1 {
        -1
    } else {
        pos + start as i64 * 8
    }
}

// ---------------------------------------------------------------------------
// BITOP.
// ---------------------------------------------------------------------------

/// A BITOP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

impl BitOp {
    fn parse(arg: &[u8]) -> Result<BitOp, CmdError> {
        let w = c_str(arg);
        [
            ("and", BitOp::And),
            ("or", BitOp::Or),
            ("xor", BitOp::Xor),
            ("not", BitOp::Not),
        ]
        .into_iter()
        .find(|(name, _)| w.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, op)| op)
        .ok_or(CmdError::Syntax)
    }

    /// Folds `src` into `acc` (both zero-padded on the right to the longer).
    fn fold(self, acc: &mut Vec<u8>, src: &[u8]) {
        if acc.len() < src.len() {
            acc.resize(src.len(), 0);
        }
        let (head, tail) = acc.split_at_mut(src.len());
        match self {
            BitOp::And => {
                head.iter_mut().zip(src).for_each(|(a, b)| *a &= b);
                tail.fill(0);
            }
            BitOp::Or => head.iter_mut().zip(src).for_each(|(a, b)| *a |= b),
            BitOp::Xor => head.iter_mut().zip(src).for_each(|(a, b)| *a ^= b),
            BitOp::Not => unreachable!("NOT has a single source"),
        }
    }
}

fn bitop(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let op = BitOp::parse(argv[1])?;
    if op == BitOp::Not && argv.len() != 4 {
        return Err(CmdError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let dest = argv[2];
    // Sources are folded one at a time: an absent key is an empty string,
    // and the first non-string one fails the command before any write.
    let mut acc: Vec<u8> = Vec::new();
    for (i, key) in argv[3..].iter().enumerate() {
        let src = read(ctx, key)?.unwrap_or_default();
        match (i, op) {
            (0, BitOp::Not) => acc = src.iter().map(|b| !b).collect(),
            (0, _) => acc = src.to_vec(),
            _ => op.fold(&mut acc, src),
        }
    }
    let len = acc.len();
    if len > 0 {
        add_string(ctx, dest, acc, Built::InPlace);
        ctx.modified(dest);
        ctx.notify(ev::STRING, "set", dest);
    } else if ctx.delete(dest) {
        ctx.modified(dest);
        ctx.notify(ev::GENERIC, "del", dest);
    }
    Ok(Reply::Int(len as i64))
}

// ---------------------------------------------------------------------------
// BITFIELD.
// ---------------------------------------------------------------------------

/// What one BITFIELD operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Get,
    Set,
    IncrBy,
}

/// One parsed BITFIELD operation.
#[derive(Debug, Clone, Copy)]
struct FieldOp {
    kind: FieldKind,
    signed: bool,
    bits: u32,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
}

/// `ERR Invalid bitfield type...`.
fn bad_type() -> CmdError {
    CmdError::err(
        "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    )
}

/// Parses a field type `i1`..`i64` or `u1`..`u63` (as C reads it: up to a NUL).
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let t = c_str(arg);
    let signed = match t.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad_type()),
    };
    let max = if signed { 64 } else { 63 };
    match crate::num::parse_i64(&t[1..]) {
        Some(n) if (1..=max).contains(&n) => Ok((signed, n as u32)),
        _ => Err(bad_type()),
    }
}

/// Parses the operations after the key. Errors come in Redis's order: an
/// unknown or truncated subcommand, a bad OVERFLOW, type, offset or value.
fn parse_ops(shared: &Shared, args: &[&[u8]]) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 0;
    while i < args.len() {
        let word = c_str(args[i]);
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        let rest = args.len() - i - 1;
        let kind = if is("get") && rest >= 2 {
            FieldKind::Get
        } else if is("set") && rest >= 3 {
            FieldKind::Set
        } else if is("incrby") && rest >= 3 {
            FieldKind::IncrBy
        } else if is("overflow") && rest >= 1 {
            overflow = parse_overflow(args[i + 1])?;
            i += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(args[i + 1])?;
        let offset = bit_offset(shared, args[i + 2], Some(bits))?;
        let value = if kind == FieldKind::Get {
            0
        } else {
            args::int(args[i + 3])?
        };
        ops.push(FieldOp {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        i += if kind == FieldKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

fn parse_overflow(arg: &[u8]) -> Result<Overflow, CmdError> {
    let w = c_str(arg);
    [
        ("wrap", Overflow::Wrap),
        ("sat", Overflow::Sat),
        ("fail", Overflow::Fail),
    ]
    .into_iter()
    .find(|(name, _)| w.eq_ignore_ascii_case(name.as_bytes()))
    .map(|(_, o)| o)
    .ok_or_else(|| CmdError::err("Invalid OVERFLOW type specified"))
}

impl FieldOp {
    /// The field's current value, as an integer reply.
    fn get(&self, s: &[u8]) -> Reply {
        Reply::Int(if self.signed {
            bits::get_signed(s, self.offset, self.bits)
        } else {
            bits::get_unsigned(s, self.offset, self.bits) as i64
        })
    }

    /// SET or INCRBY on `s` (already grown to hold the field): the old value
    /// for SET, the new one for INCRBY, or nil when OVERFLOW FAIL refuses it;
    /// and whether the field's value changed.
    fn write(&self, s: &mut [u8]) -> (Reply, bool) {
        let incr = self.kind == FieldKind::IncrBy;
        let (old, new, overflowed) = if self.signed {
            let old = bits::get_signed(s, self.offset, self.bits);
            let (base, by) = if incr {
                (old, self.value)
            } else {
                (self.value, 0)
            };
            let (new, o) = bits::add_signed(base, by, self.bits, self.overflow);
            (old, new as u64, o)
        } else {
            let old = bits::get_unsigned(s, self.offset, self.bits);
            let (base, by) = if incr {
                (old, self.value)
            } else {
                (self.value as u64, 0)
            };
            let (new, o) = bits::add_unsigned(base, by, self.bits, self.overflow);
            (old as i64, new, o)
        };
        if overflowed && self.overflow == Overflow::Fail {
            return (Reply::Nil, false);
        }
        bits::set_field(s, self.offset, self.bits, new);
        // `new` holds a signed value's two's complement, or an unsigned
        // value below 2^63: either way it reads back as an i64.
        let new = new as i64;
        (Reply::Int(if incr { new } else { old }), new != old)
    }
}

fn bitfield(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, argv, false)
}

fn bitfield_ro(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, argv, true)
}

/// BITFIELD and BITFIELD_RO: parse every operation first, then run them in
/// order on one string (created and grown only when something writes).
fn bitfield_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], read_only: bool) -> CmdResult {
    let key = argv[1];
    let ops = parse_ops(ctx.shared(), &argv[2..])?;
    let highest = ops
        .iter()
        .filter(|op| op.kind != FieldKind::Get)
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max();
    let Some(highest) = highest else {
        let s = read(ctx, key)?.unwrap_or_default();
        return Ok(Reply::Array(ops.iter().map(|op| op.get(s)).collect()));
    };
    if read_only {
        return Err(CmdError::err(
            "BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let ((replies, changed), grew) = with_bits(ctx, key, highest, |s| {
        let mut changed = Vec::with_capacity(ops.len());
        let replies: Vec<Reply> = ops
            .iter()
            .map(|op| match op.kind {
                FieldKind::Get => op.get(s),
                _ => {
                    let (reply, change) = op.write(s);
                    // A write refused by OVERFLOW FAIL changes nothing.
                    changed.push((reply != Reply::Nil, change));
                    reply
                }
            })
            .collect();
        (replies, changed)
    })?;
    // As Redis 7.0: a change per write that changed its field, or per
    // write at all when the string was created or grown.
    let changes = changed
        .iter()
        .filter(|&&(wrote, change)| wrote && (grew || change))
        .count();
    if changes > 0 {
        ctx.modified_by(key, changes as u64);
        ctx.notify(ev::STRING, "setbit", key);
    }
    Ok(Reply::Array(replies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_clamp_and_mask() {
        assert_eq!(
            span(0, -1, 3, false),
            Some(Span {
                start: 0,
                end: 2,
                first_out: 0,
                last_out: 0
            })
        );
        assert_eq!(span(2, 1, 3, false), None);
        assert_eq!(span(0, -1, 0, false), None);
        assert_eq!(
            span(3, 12, 3, true),
            Some(Span {
                start: 0,
                end: 1,
                first_out: 0b1110_0000,
                last_out: 0b0000_0111
            })
        );
        assert_eq!(
            span(-100, 100, 2, true),
            Some(Span {
                start: 0,
                end: 1,
                first_out: 0,
                last_out: 0
            })
        );
    }

    #[test]
    fn bitpos_in_bit_ranges() {
        let s = [0b0001_0000u8, 0xff, 0];
        let r = span(0, 2, 3, true).unwrap();
        assert_eq!(first_in_span(&s, true, r, true), -1);
        let r = span(0, 3, 3, true).unwrap();
        assert_eq!(first_in_span(&s, true, r, true), 3);
        let r = span(8, 15, 3, true).unwrap();
        assert_eq!(first_in_span(&s, false, r, true), -1);
        let r = span(0, -1, 3, false).unwrap();
        assert_eq!(first_in_span(&s, false, r, false), 0);
        let all = [0xffu8; 2];
        let r = span(0, -1, 2, false).unwrap();
        assert_eq!(first_in_span(&all, false, r, false), 16);
        assert_eq!(first_in_span(&all, false, r, true), -1);
    }

    #[test]
    fn field_types() {
        assert_eq!(field_type(b"i64").unwrap(), (true, 64));
        assert_eq!(field_type(b"u63").unwrap(), (false, 63));
        assert_eq!(field_type(b"u8\0x").unwrap(), (false, 8));
        for bad in [&b"u64"[..], b"i0", b"I8", b"", b"u", b"i65", b"u-1"] {
            assert!(field_type(bad).is_err());
        }
    }
}
