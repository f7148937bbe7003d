//! SORT and SORT_RO, following Redis 7.0's `sortCommandGeneric` step by
//! step: options are parsed first (errors in argument order), then the key
//! is read, the elements loaded, weighted (BY), sorted, cut (LIMIT) and
//! projected (GET) into a reply or a stored list (STORE).
//!
//! Redis quirks kept on purpose:
//! - patterns and numbers are read as C strings (up to a NUL byte), and
//!   weights are parsed with C `strtod` (leading spaces, empty = 0);
//! - `BY` without `*` skips sorting: lists and sorted sets keep their order
//!   (DESC and LIMIT still apply), sets keep their iteration order (ascending
//!   integers for an intset), except with STORE, where a set is sorted
//!   ALPHA so the stored result is deterministic;
//! - sorting a sorted set converts it to the skiplist encoding;
//! - numeric ties are broken by comparing the elements, ALPHA compares as
//!   `strcmp` (the C.UTF-8 collation) unless STORE is given (binary compare).

mod partial;

use super::args;
use super::table::{BASE, Command, Handler, Keys, flags::*};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{Value, ValueMut};
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// A SORT row; `readonly` for SORT_RO.
const fn row(name: &'static str, readonly: bool, handler: Handler) -> Command {
    Command {
        name,
        arity: -2,
        flags: if readonly { READONLY } else { WRITE | DENYOOM },
        acl: if readonly {
            &["read", "set", "sortedset", "list", "slow", "dangerous"]
        } else {
            &["write", "set", "sortedset", "list", "slow", "dangerous"]
        },
        keys: Keys::Custom(sort_keys),
        spec_keys: Some(Keys::Custom(if readonly {
            sort_ro_spec
        } else {
            sort_spec
        })),
        handler,
        summary: if readonly {
            "Sort the elements in a list, set or sorted set. Read-only variant of SORT."
        } else {
            "Sort the elements in a list, set or sorted set"
        },
        since: if readonly { "7.0.0" } else { "1.0.0" },
        syntax: if readonly {
            "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]"
        } else {
            "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]"
        },
        ..BASE
    }
}

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[row("sort", false, sort), row("sort_ro", true, sort_ro)];

/// BY and GET read keys named by the data and STORE writes a key that may
/// be anywhere in argv: then the whole db is locked; else just the key.
fn sort_keys(argv: &[&[u8]]) -> Keys {
    let reaches_out = argv
        .iter()
        .skip(2)
        .any(|a| args::is(a, "by") || args::is(a, "get") || args::is(a, "store"));
    if reaches_out { Keys::Db } else { Keys::FIRST }
}

/// The key positions Redis reports (its `sortGetKeys`): the sorted key and
/// the destination of the last STORE, skipping the arguments of LIMIT, GET
/// and BY. Two positions `1` and `i` are the range `1..=i` by step `i - 1`.
fn sort_spec(argv: &[&[u8]]) -> Keys {
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        if args::is(argv[i], "limit") {
            i += 2;
        } else if args::is(argv[i], "get") || args::is(argv[i], "by") {
            i += 1;
        } else if args::is(argv[i], "store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    match store {
        Some(d) => Keys::Range {
            first: 1,
            last: d as i32,
            step: d as i32 - 1,
        },
        None => Keys::FIRST,
    }
}

/// SORT_RO reports only the sorted key (still as movable keys, like Redis).
fn sort_ro_spec(_: &[&[u8]]) -> Keys {
    Keys::FIRST
}

fn sort(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, argv, false)
}

fn sort_ro(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, argv, true)
}

/// The parsed options.
#[derive(Debug, Default)]
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    /// LIMIT offset, count (count -1: to the end).
    offset: i64,
    count: i64,
    /// BY pattern, when it contains `*`.
    by: Option<&'a [u8]>,
    /// BY without `*`: do not sort.
    dontsort: bool,
    gets: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
}

impl<'a> Opts<'a> {
    fn parse(argv: &[&'a [u8]], readonly: bool) -> Result<Opts<'a>, CmdError> {
        let mut o = Opts {
            count: -1,
            ..Opts::default()
        };
        let mut j = 2;
        while j < argv.len() {
            let (arg, left) = (argv[j], argv.len() - j - 1);
            if args::is(arg, "asc") {
                o.desc = false;
            } else if args::is(arg, "desc") {
                o.desc = true;
            } else if args::is(arg, "alpha") {
                o.alpha = true;
            } else if args::is(arg, "limit") && left >= 2 {
                o.offset = args::int(argv[j + 1])?;
                o.count = args::int(argv[j + 2])?;
                j += 2;
            } else if !readonly && args::is(arg, "store") && left >= 1 {
                o.store = Some(argv[j + 1]);
                j += 1;
            } else if args::is(arg, "by") && left >= 1 {
                // Like Redis, one BY without `*` disables sorting for good,
                // even if another BY follows.
                let p = argv[j + 1];
                o.dontsort |= !cstr(p).contains(&b'*');
                o.by = Some(p);
                j += 1;
            } else if args::is(arg, "get") && left >= 1 {
                o.gets.push(argv[j + 1]);
                j += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            j += 1;
        }
        Ok(o)
    }

    /// The BY pattern to weigh with, if any (none when not sorting).
    fn weight_pattern(&self) -> Option<&'a [u8]> {
        self.by.filter(|_| !self.dontsort)
    }
}

/// `b` as a C string: up to its first NUL byte.
fn cstr(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or_default()
}

/// One element to sort with its weight.
struct Item {
    elem: Vec<u8>,
    score: f64,
    /// ALPHA with BY: the weight string (None when missing: sorts first).
    by: Option<Vec<u8>>,
}

impl Item {
    fn new(elem: Vec<u8>) -> Item {
        Item {
            elem,
            score: 0.0,
            by: None,
        }
    }
}

/// The inclusive output range `start..=end` for `len` elements, clamped as
/// Redis does; empty when `end < start`.
fn limit_range(offset: i64, count: i64, len: i64) -> (i64, i64) {
    let mut start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

fn sort_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], readonly: bool) -> CmdResult {
    let mut o = Opts::parse(argv, readonly)?;
    let (mut items, start, end) = load(ctx, argv[1], &mut o)?;
    if !o.dontsort {
        weigh_and_sort(ctx, &mut items, &o, (start, end))?;
    }
    let range = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[][..]
    };
    match o.store {
        None => Ok(Reply::Array(project_reply(ctx, range, &o.gets))),
        Some(dst) => Ok(Reply::Int(store(ctx, dst, range, &o.gets))),
    }
}

/// Reads the key and loads its elements in Redis's vector order; for the
/// no-sort paths of lists and sorted sets only the LIMIT range is loaded
/// (already in DESC order). Returns the items and the output range.
fn load(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    o: &mut Opts<'_>,
) -> Result<(Vec<Item>, i64, i64), CmdError> {
    let Some(value) = ctx.get(key) else {
        return Ok((Vec::new(), -1, -2));
    };
    if matches!(value, ValueMut::Str(_) | ValueMut::Hash(_)) {
        return Err(CmdError::WrongType);
    }
    if o.dontsort && matches!(value, ValueMut::Set(_)) && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let len = value_len(&value) as i64;
    let (start, end) = limit_range(o.offset, o.count, len);
    let n = (end - start + 1).max(0) as usize;
    let skip = start.max(0) as usize;
    let picked: Vec<Vec<u8>> = match value {
        ValueMut::List(l) if o.dontsort && o.desc => {
            l.iter().rev().skip(skip).take(n).cloned().collect()
        }
        ValueMut::List(l) if o.dontsort => l.iter().skip(skip).take(n).cloned().collect(),
        ValueMut::ZSet(z) if o.dontsort => {
            z.big = true;
            let range = z.iter_from_rank(skip, o.desc).take(n);
            range.map(|(m, _)| m.to_vec()).collect()
        }
        v => {
            let all = all_elements(v).into_iter().map(Item::new).collect();
            return Ok((all, start, end));
        }
    };
    Ok((picked.into_iter().map(Item::new).collect(), 0, n as i64 - 1))
}

/// Number of elements of a list, set or sorted set.
fn value_len(v: &ValueMut<'_>) -> usize {
    match v {
        ValueMut::List(l) => l.len(),
        ValueMut::Set(s) => s.len(),
        ValueMut::ZSet(z) => z.len(),
        ValueMut::Str(_) | ValueMut::Hash(_) => 0,
    }
}

/// Every element in Redis's iteration order: list order, ascending integers
/// for an intset, table order for a hashtable set, score order for a
/// sorted set (which Redis converts to a skiplist here).
fn all_elements(v: ValueMut<'_>) -> Vec<Vec<u8>> {
    match v {
        ValueMut::List(l) => l.iter().cloned().collect(),
        ValueMut::Set(s) => s.iter().map(<[u8]>::to_vec).collect(),
        ValueMut::ZSet(z) => {
            z.big = true;
            z.iter().map(|(m, _)| m.to_vec()).collect()
        }
        ValueMut::Str(_) | ValueMut::Hash(_) => Vec::new(),
    }
}

/// Computes each item's weight (BY pattern or the element itself) and
/// sorts; a weight that is not a number fails numeric sorting. With BY and
/// a LIMIT that cuts, Redis sorts only the output range `start..=end` with
/// its partial quicksort, whose (unstable) order of ties we reproduce.
fn weigh_and_sort(
    ctx: &mut Ctx<'_>,
    items: &mut [Item],
    o: &Opts<'_>,
    (start, end): (i64, i64),
) -> Result<(), CmdError> {
    let by = o.weight_pattern();
    let mut bad = false;
    for it in items.iter_mut() {
        let weight = match by {
            Some(p) => match lookup_by_pattern(ctx, p, &it.elem) {
                Some(w) => w,
                None => continue,
            },
            None => it.elem.clone(),
        };
        if o.alpha {
            if by.is_some() {
                it.by = Some(weight);
            }
        } else {
            match strtod(&weight) {
                Some(s) => it.score = s,
                None => bad = true,
            }
        }
    }
    if bad {
        return Err(CmdError::err(
            "One or more scores can't be converted into double",
        ));
    }
    let binary = o.store.is_some();
    let cmp_text = |a: &[u8], b: &[u8]| {
        if binary {
            a.cmp(b)
        } else {
            cstr(a).cmp(cstr(b))
        }
    };
    let by_set = by.is_some();
    let order = |a: &Item, b: &Item| {
        let c = if !o.alpha {
            a.score
                .partial_cmp(&b.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.elem.cmp(&b.elem))
        } else if by_set {
            match (&a.by, &b.by) {
                (Some(x), Some(y)) => cmp_text(x, y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            }
        } else {
            cmp_text(&a.elem, &b.elem)
        };
        if o.desc { c.reverse() } else { c }
    };
    if by_set && (start != 0 || end != items.len() as i64 - 1) {
        partial::sort_range(items, start, end, &order);
    } else {
        // A stable sort, like glibc's merge-sort qsort: ties keep vector order.
        items.sort_by(order);
    }
    Ok(())
}

/// Redis's SORT weight parse: C `strtod` on the C string, which must be
/// consumed whole, without overflow or NaN (leading spaces and the empty
/// string, read as 0, are accepted).
fn strtod(b: &[u8]) -> Option<f64> {
    let s = cstr(b);
    let mut buf = Vec::with_capacity(s.len() + 1);
    buf.extend_from_slice(s);
    buf.push(0);
    let mut end: *mut std::ffi::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; errno is thread-local.
    let (v, errno) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr().cast(), &mut end);
        (v, *libc::__errno_location())
    };
    let consumed = end as usize - buf.as_ptr() as usize;
    (consumed == s.len() && errno != libc::ERANGE && !v.is_nan()).then_some(v)
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the
/// first `*` is replaced by the element to name a key, whose string value
/// is returned, or, with `->field` after the `*`, that field of the hash
/// at the key. A pattern without `*` or a missing/mistyped key gives None.
fn lookup_by_pattern(ctx: &mut Ctx<'_>, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    let c = cstr(pattern);
    if c == b"#" {
        return Some(elem.to_vec());
    }
    let star = c.iter().position(|&b| b == b'*')?;
    let arrow = c[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&a| a + 2 < c.len());
    let key_end = arrow.unwrap_or(pattern.len());
    let mut key = Vec::with_capacity(key_end + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    match (ctx.get(&key)?, arrow) {
        (ValueMut::Hash(h), Some(a)) => h.get(&pattern[a + 2..]).map(<[u8]>::to_vec),
        (ValueMut::Str(s), None) => Some(s.to_vec()),
        _ => None,
    }
}

/// The reply elements: each element, or its GET projections (nil when
/// missing).
fn project_reply(ctx: &mut Ctx<'_>, range: &[Item], gets: &[&[u8]]) -> Vec<Reply> {
    let mut out = Vec::with_capacity(range.len() * gets.len().max(1));
    for it in range {
        if gets.is_empty() {
            out.push(Reply::bulk(&it.elem));
        }
        for g in gets {
            out.push(lookup_by_pattern(ctx, g, &it.elem).map_or(Reply::Nil, Reply::Bulk));
        }
    }
    out
}

/// STORE: the result becomes a list at `dst` (TTL dropped), or `dst` is
/// deleted when empty; returns the stored length. GET misses store "".
fn store(ctx: &mut Ctx<'_>, dst: &[u8], range: &[Item], gets: &[&[u8]]) -> i64 {
    let mut list = VecDeque::with_capacity(range.len() * gets.len().max(1));
    for it in range {
        if gets.is_empty() {
            list.push_back(it.elem.clone());
        }
        for g in gets {
            list.push_back(lookup_by_pattern(ctx, g, &it.elem).unwrap_or_default());
        }
    }
    let n = list.len() as i64;
    if n > 0 {
        ctx.set(dst, Value::List(Box::new(list)));
        // Redis counts a change per element stored.
        ctx.modified_by(dst, n as u64);
        ctx.notify(ev::LIST, "sortstore", dst);
    } else if ctx.delete(dst) {
        ctx.modified(dst);
        ctx.notify(ev::GENERIC, "del", dst);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_clamp_like_redis() {
        assert_eq!(limit_range(0, -1, 5), (0, 4));
        assert_eq!(limit_range(1, 2, 5), (1, 2));
        assert_eq!(limit_range(-3, 2, 5), (0, 1));
        assert_eq!(limit_range(4, 100, 5), (4, 4));
        assert_eq!(limit_range(5, 1, 5), (4, 3));
        assert_eq!(limit_range(0, 0, 5), (0, -1));
        assert_eq!(limit_range(0, -1, 0), (-1, -2));
        assert_eq!(limit_range(i64::MAX, i64::MAX, 3), (2, 1));
        assert_eq!(limit_range(i64::MIN, i64::MIN, 3), (0, 2));
    }

    #[test]
    fn weights_parse_like_strtod() {
        assert_eq!(strtod(b"1.5"), Some(1.5));
        assert_eq!(strtod(b" 2"), Some(2.0));
        assert_eq!(strtod(b""), Some(0.0));
        assert_eq!(strtod(b"3\0junk"), Some(3.0));
        assert_eq!(strtod(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod(b"2 "), None);
        assert_eq!(strtod(b"nan"), None);
        assert_eq!(strtod(b"1e400"), None);
        assert_eq!(strtod(b"abc"), None);
    }
}
