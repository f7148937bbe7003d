//! Whole-keyspace commands over a sharded db: SCAN and RANDOMKEY.
//!
//! # SCAN cursor layout
//! A db is `2^b` shards, each its own [`Table`](crate::keyspace::Table). A SCAN
//! cursor packs the shard being walked in its low `b` bits and that shard's
//! own dict cursor above them:
//!
//! ```text
//!   cursor = (dict_cursor << b) | shard
//! ```
//!
//! Shards are walked in order, each with Redis's reverse-binary dict cursor
//! from 0 until it wraps to 0, then the next shard starts. As each dict
//! cursor alone guarantees that every element present for its whole walk is
//! returned even when that table grows or shrinks between calls, and
//! shards never exchange keys, a full iteration returns every key present
//! throughout. The final cursor is 0 (shard 0, dict cursor 0). Any 64-bit
//! cursor is accepted: the shard bits always name a shard, and a dict masks
//! its cursor to its size.

use crate::cmd::scan::{self, Budget};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::reply::Reply;
use rand::Rng;

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub(super) fn scan(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let o = scan::parse(&argv[1..], true)?;
    let (keys, next) = walk(ctx, o.cursor, o.count);
    let db = ctx.db();
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        if !scan::matches(o.pattern, &k) {
            continue;
        }
        if let Some(wanted) = o.type_name {
            // As Redis: the type lookup deletes an expired key and calls it
            // "none"; the expiry check after it then finds nothing to
            // expire, so `TYPE none` lists keys that just expired.
            let ty = ctx
                .read_notouch(&k)
                .map_or("none", |e| e.value().type_name());
            if !cstr(wanted).eq_ignore_ascii_case(ty.as_bytes()) {
                continue;
            }
        } else if ctx.entry_notouch_in(db, &k).is_none() {
            continue;
        }
        out.push(Reply::Bulk(k));
    }
    Ok(scan::reply(next, out))
}

/// `arg` as a C string (up to its first NUL byte), as Redis compares it.
fn cstr(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or_default()
}

/// Walks the selected db from `cursor` (layout in the module doc) on one
/// COUNT budget; returns the keys of the visited buckets and the next cursor.
fn walk(ctx: &mut Ctx<'_>, cursor: u64, count: usize) -> (Vec<Vec<u8>>, u64) {
    let shards = ctx.shared().keyspace.shard_count();
    let bits = shards.trailing_zeros();
    let db = ctx.db();
    let mut shard = (cursor & (shards as u64 - 1)) as usize;
    let mut inner = cursor >> bits;
    let mut budget = Budget::new(count);
    let mut keys = Vec::new();
    loop {
        let map = &ctx.shard_at(db, shard).map;
        inner = scan::walk_budget(inner, &mut budget, |cursor, found| {
            map.scan(cursor, |k, _| {
                *found += 1;
                keys.push(k.to_vec());
            })
        });
        if inner == 0 {
            shard += 1;
            if shard == shards {
                return (keys, 0);
            }
        }
        if budget.spent() {
            return (keys, (inner << bits) | shard as u64);
        }
    }
}

/// RANDOMKEY: a shard picked with probability proportional to its size,
/// then a random key of it (Redis's `dbRandomKey`); an expired key found is
/// deleted and another one drawn.
pub(super) fn randomkey(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    let db = ctx.db();
    let shards = ctx.shared().keyspace.shard_count();
    let mut rng = rand::rng();
    loop {
        let sizes: Vec<usize> = (0..shards).map(|s| ctx.shard_at(db, s).map.len()).collect();
        let total: usize = sizes.iter().sum();
        if total == 0 {
            return Ok(Reply::Nil);
        }
        let mut pick = rng.random_range(0..total);
        let shard = sizes
            .iter()
            .position(|&n| {
                let here = pick < n;
                pick = pick.saturating_sub(n);
                here
            })
            .expect("pick < total");
        let key = ctx
            .shard_at(db, shard)
            .map
            .random_key()
            .expect("non-empty shard")
            .to_vec();
        if ctx.entry_notouch_in(db, &key).is_some() {
            return Ok(Reply::Bulk(key));
        }
    }
}
