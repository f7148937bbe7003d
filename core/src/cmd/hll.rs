//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
//!
//! The values are plain strings in Redis's exact HLL format (see
//! [`crate::types::hll`]). As in Redis, PFADD/PFCOUNT/PFMERGE/PFDEBUG turn
//! the string they touch into a private `raw` string (`dbUnshareStringValue`),
//! and single-key PFCOUNT writes the cached cardinality back into the value.

use super::args;
use super::table::{BASE, Command, Keys, flags::*};
use crate::ctx::Ctx;
use crate::engine::Shared;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::{Value, ValueRef};
use crate::pubsub::notify as ev;
use crate::reply::Reply;
use crate::types::hll::{self, Encoding, HllError, REGISTERS};

/// A row of this family (group `hyperloglog`, introduced in 2.8.9).
const ROW: Command = Command {
    since: "2.8.9",
    group: "hyperloglog",
    ..BASE
};

/// The rows of this family.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "pfadd",
        arity: -2,
        flags: WRITE | DENYOOM | FAST,
        acl: &["write", "hyperloglog", "fast"],
        keys: Keys::FIRST,
        handler: pfadd,
        summary: "Adds the specified elements to the specified HyperLogLog.",
        syntax: "key [element [element ...]]",
        ..ROW
    },
    Command {
        name: "pfcount",
        arity: -2,
        flags: READONLY,
        acl: &["read", "hyperloglog", "slow"],
        keys: Keys::ALL_ARGS,
        handler: pfcount,
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        syntax: "key [key ...]",
        ..ROW
    },
    Command {
        name: "pfmerge",
        arity: -2,
        flags: WRITE | DENYOOM,
        acl: &["write", "hyperloglog", "slow"],
        keys: Keys::ALL_ARGS,
        handler: pfmerge,
        summary: "Merge N different HyperLogLogs into a single one.",
        syntax: "destkey sourcekey [sourcekey ...]",
        ..ROW
    },
    Command {
        name: "pfdebug",
        arity: 3,
        flags: WRITE | DENYOOM | ADMIN,
        acl: &["write", "hyperloglog", "admin", "slow", "dangerous"],
        keys: Keys::Range {
            first: 2,
            last: 2,
            step: 1,
        },
        handler: pfdebug,
        summary: "Internal commands for debugging HyperLogLog values",
        syntax: "subcommand key",
        ..ROW
    },
    Command {
        name: "pfselftest",
        arity: 1,
        flags: ADMIN,
        acl: &["hyperloglog", "admin", "slow", "dangerous"],
        handler: pfselftest,
        summary: "An internal command for testing HyperLogLog values",
        ..ROW
    },
];

impl From<HllError> for CmdError {
    fn from(e: HllError) -> CmdError {
        CmdError::Raw(
            match e {
                HllError::NotHll => "WRONGTYPE Key is not a valid HyperLogLog string value.",
                HllError::Corrupt => "INVALIDOBJ Corrupted HLL object detected",
            }
            .into(),
        )
    }
}

/// `hll-sparse-max-bytes`: the size at which a sparse HLL turns dense.
fn sparse_max_bytes(shared: &Shared) -> usize {
    usize::try_from(shared.config.get_int("hll-sparse-max-bytes")).unwrap_or(0)
}

/// [`sparse_max_bytes`] for updating `s`; only a sparse HLL needs it, so a
/// dense one skips the config lookup.
fn sparse_max_for(shared: &Shared, s: &[u8]) -> usize {
    if hll::is_sparse(s) {
        sparse_max_bytes(shared)
    } else {
        0
    }
}

/// Checks that `v` holds an HLL string (WRONGTYPE otherwise) and returns it
/// with its encoding.
fn as_hll(v: ValueRef<'_>) -> Result<(&[u8], Encoding), CmdError> {
    let s = v.as_str()?;
    Ok((s, hll::encoding(s)?))
}

/// The HLL at `key` for modification, checked and made a private `raw`
/// string as Redis's `dbUnshareStringValue` does; `None` when absent. `read`
/// says whether the lookup counts as a read (keyspace hits/misses).
fn hll_for_update<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    read: bool,
) -> Result<Option<(&'c mut Vec<u8>, Encoding)>, CmdError> {
    if read && ctx.get(key).is_none() {
        return Ok(None);
    }
    let Some(entry) = ctx.entry(key) else {
        return Ok(None);
    };
    let (_, enc) = as_hll(entry.value())?;
    Ok(Some((entry.into_str_vec()?, enc)))
}

/// The HLL at `key` for modification, created empty (sparse) when absent.
fn hll_or_create<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<(&'c mut Vec<u8>, bool), CmdError> {
    let created = !ctx.exists(key);
    if created {
        ctx.set(key, Value::Str(hll::new_sparse()));
    }
    let (s, _) = hll_for_update(ctx, key, false)?.expect("present");
    Ok((s, created))
}

/// PFADD key [element ...]: 1 when a register changed or the key was created.
fn pfadd(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let shared = ctx.shared();
    let (s, created) = hll_or_create(ctx, key)?;
    let max = sparse_max_for(shared, s);
    // Redis counts a change for the creation and one per element that
    // changed a register.
    let mut updated = u64::from(created);
    for ele in &argv[2..] {
        updated += u64::from(hll::add(s, ele, max)?);
    }
    if updated > 0 {
        hll::invalidate_cache(s);
        ctx.modified_by(key, updated);
        ctx.notify(ev::STRING, "pfadd", key);
    }
    Ok(Reply::Int(i64::from(updated > 0)))
}

/// PFCOUNT key [key ...]: the cached or recomputed estimate of one key, or
/// the estimate of the union of several (nothing is modified then).
fn pfcount(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 2 {
        let mut max = [0u8; REGISTERS];
        merge_sources(ctx, &argv[1..], &mut max)?;
        return Ok(Reply::Int(hll::count_registers(&max) as i64));
    }
    let key = argv[1];
    let Some((s, _)) = hll_for_update(ctx, key, true)? else {
        return Ok(Reply::Int(0));
    };
    let card = match hll::cached(s) {
        Some(card) => card,
        None => {
            let card = hll::count(s)?;
            hll::store_cache(s, card);
            ctx.modified(key);
            card
        }
    };
    // Redis replies with the u64 as a long long (2^63 comes out negative).
    Ok(Reply::Int(card as i64))
}

/// Folds the registers of every existing HLL among `keys` into `max`;
/// returns whether one of them is dense.
fn merge_sources(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    max: &mut [u8; REGISTERS],
) -> Result<bool, CmdError> {
    let mut any_dense = false;
    for key in keys {
        let Some(v) = ctx.get(key) else { continue };
        let (s, enc) = as_hll(v.into_ref())?;
        any_dense |= enc == Encoding::Dense;
        hll::merge_into(max, s)?;
    }
    Ok(any_dense)
}

/// PFMERGE destkey [sourcekey ...]: the destination (itself one of the
/// inputs) gets the register-wise maximum; it turns dense when any input is.
fn pfmerge(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let dest = argv[1];
    let mut max = [0u8; REGISTERS];
    let use_dense = merge_sources(ctx, &argv[1..], &mut max)?;
    let shared = ctx.shared();
    let (s, _) = hll_or_create(ctx, dest)?;
    if use_dense {
        hll::to_dense(s)?;
    }
    let sparse_max = sparse_max_for(shared, s);
    for (i, &v) in max.iter().enumerate() {
        if v != 0 {
            // Every input was validated by the merge: this cannot fail, and
            // Redis ignores the result here too.
            let _ = hll::set(s, i, v, sparse_max);
        }
    }
    hll::invalidate_cache(s);
    ctx.modified(dest);
    ctx.notify(ev::STRING, "pfadd", dest);
    Ok(Reply::ok())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
fn pfdebug(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let (sub, key) = (argv[1], argv[2]);
    let Some((s, enc)) = hll_for_update(ctx, key, false)? else {
        return Err(CmdError::err("The specified key does not exist"));
    };
    let sparse = enc == Encoding::Sparse;
    if args::is(sub, "getreg") {
        if sparse {
            hll::to_dense(s)?;
        }
        let regs = hll::registers(s)?;
        if sparse {
            ctx.count_change();
        }
        Ok(Reply::Array(
            regs.into_iter().map(|r| Reply::Int(r.into())).collect(),
        ))
    } else if args::is(sub, "decode") {
        if !sparse {
            return Err(CmdError::err("HLL encoding is not sparse"));
        }
        Ok(Reply::Bulk(hll::decode(s).into_bytes()))
    } else if args::is(sub, "encoding") {
        Ok(Reply::Status(
            if sparse { "sparse" } else { "dense" }.into(),
        ))
    } else if args::is(sub, "todense") {
        if sparse {
            hll::to_dense(s)?;
            ctx.count_change();
        }
        Ok(Reply::Int(i64::from(sparse)))
    } else {
        // Redis formats the name with %s: it stops at a NUL byte.
        let name = sub.split(|&b| b == 0).next().unwrap_or_default();
        let name = String::from_utf8_lossy(name).replace(['\r', '\n'], " ");
        Err(CmdError::err(format!(
            "Unknown PFDEBUG subcommand '{name}'"
        )))
    }
}

/// PFSELFTEST: the register and estimator self-test.
fn pfselftest(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    let max = sparse_max_bytes(ctx.shared());
    hll::selftest(&mut rand::rng(), max).map_err(CmdError::Err)?;
    Ok(Reply::ok())
}
