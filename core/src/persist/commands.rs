//! The dataset as commands: what an append-only file rewrite writes with
//! `aof-use-rdb-preamble no`, as Redis 7.0's `rewriteAppendOnlyFileRio`:
//! `SELECT` before each non-empty db; per key `SET`, or `RPUSH`, `SADD`,
//! `ZADD` (score as `%.17g`, then member), `HMSET` in batches of at most
//! [`ITEMS_PER_CMD`] elements (pairs for the last two); then `PEXPIREAT`
//! with the key's deadline when it has one.

use crate::keyspace::{EntryRef, ValueRef};
use crate::num::fmt_g17;
use crate::resp::{encode_arg, encode_command, encode_command_head};

/// Elements per command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
pub const ITEMS_PER_CMD: usize = 64;

/// Appends `SELECT db`.
pub(crate) fn select(out: &mut Vec<u8>, db: usize) {
    encode_command(&[b"SELECT", db.to_string().as_bytes()], out);
}

/// Writes one collection as commands `name key item...`, each holding at
/// most [`ITEMS_PER_CMD`] items of `width` arguments.
struct Batches<'o> {
    out: &'o mut Vec<u8>,
    name: &'static [u8],
    key: &'o [u8],
    width: usize,
    /// Items not written yet.
    left: usize,
    /// Items in the current command so far.
    count: usize,
}

impl<'o> Batches<'o> {
    /// Commands `name key ...` for `left` items of `width` arguments.
    fn new(
        out: &'o mut Vec<u8>,
        name: &'static [u8],
        key: &'o [u8],
        width: usize,
        left: usize,
    ) -> Self {
        Batches {
            out,
            name,
            key,
            width,
            left,
            count: 0,
        }
    }

    fn item(&mut self, args: &[&[u8]]) {
        if self.count == 0 {
            let n = self.left.min(ITEMS_PER_CMD);
            encode_command_head(self.out, 2 + n * self.width);
            encode_arg(self.out, self.name);
            encode_arg(self.out, self.key);
        }
        for a in args {
            encode_arg(self.out, a);
        }
        self.count = (self.count + 1) % ITEMS_PER_CMD;
        self.left -= 1;
    }
}

/// Appends the commands that rebuild `key` holding `e`.
pub(crate) fn entry(out: &mut Vec<u8>, key: &[u8], e: EntryRef<'_>) {
    match e.value() {
        ValueRef::Str(s) => {
            encode_command(&[b"SET", key, s], out);
        }
        ValueRef::List(l) => {
            let mut b = Batches::new(out, b"RPUSH", key, 1, l.len());
            l.iter().for_each(|v| b.item(&[v]));
        }
        ValueRef::Set(s) => {
            let mut b = Batches::new(out, b"SADD", key, 1, s.len());
            s.iter().for_each(|m| b.item(&[m]));
        }
        ValueRef::ZSet(z) => {
            let mut b = Batches::new(out, b"ZADD", key, 2, z.len());
            z.iter()
                .for_each(|(m, score)| b.item(&[fmt_g17(score).as_bytes(), m]));
        }
        ValueRef::Hash(h) => {
            let mut b = Batches::new(out, b"HMSET", key, 2, h.len());
            h.iter().for_each(|(f, v)| b.item(&[f, v]));
        }
    }
    if e.expire() != 0 {
        encode_command(&[b"PEXPIREAT", key, e.expire().to_string().as_bytes()], out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_64_items() {
        let mut out = Vec::new();
        let mut b = Batches::new(&mut out, b"RPUSH", b"k", 1, 130);
        for i in 0..130 {
            b.item(&[i.to_string().as_bytes()]);
        }
        let text = String::from_utf8(out).unwrap();
        let heads: Vec<&str> = text.lines().filter(|l| l.starts_with('*')).collect();
        assert_eq!(heads, ["*66", "*66", "*4"]);
        assert!(text.ends_with("$3\r\n129\r\n"));
    }
}
