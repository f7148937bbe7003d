//! Configuration parameters for CONFIG GET/SET: the ones the engine honours,
//! with Redis's names and defaults.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};

/// How a parameter's value is checked on CONFIG SET.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A non-negative integer.
    Int,
    /// `yes` or `no`.
    Bool,
    /// Free text.
    Text,
}

/// (name, default, kind) of every parameter we honour.
pub const PARAMS: &[(&str, &str, Kind)] = &[
    ("hash-max-listpack-entries", "512", Kind::Int),
    ("hash-max-listpack-value", "64", Kind::Int),
    ("set-max-intset-entries", "512", Kind::Int),
    ("zset-max-listpack-entries", "128", Kind::Int),
    ("zset-max-listpack-value", "64", Kind::Int),
    ("list-max-listpack-size", "-2", Kind::Text),
    ("hll-sparse-max-bytes", "3000", Kind::Int),
    ("databases", "16", Kind::Int),
    ("maxmemory", "0", Kind::Int),
    ("notify-keyspace-events", "", Kind::Text),
    ("proto-max-bulk-len", "536870912", Kind::Int),
    ("lazyfree-lazy-user-flush", "no", Kind::Bool),
];

/// Old names Redis still accepts, mapped to the current ones.
pub const ALIASES: &[(&str, &str)] = &[
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
];

/// The live parameter values.
#[derive(Debug)]
pub struct Config {
    values: RwLock<BTreeMap<&'static str, String>>,
    /// The numeric value of every parameter, in `PARAMS` order, so that hot
    /// paths (HSET, SADD, ... reading encoding limits) read an atomic
    /// instead of taking the lock; kept in step by [`Config::set`].
    ints: Box<[AtomicI64]>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: RwLock::new(PARAMS.iter().map(|(n, d, _)| (*n, d.to_string())).collect()),
            ints: PARAMS
                .iter()
                .map(|(_, d, _)| AtomicI64::new(d.parse().unwrap_or(0)))
                .collect(),
        }
    }
}

impl Config {
    /// The value of `name` (canonical name or alias).
    pub fn get(&self, name: &str) -> Option<String> {
        let name = canonical(name)?;
        self.values
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// An integer parameter (0 when unset or not a number). Lock-free for a
    /// canonical (lowercase) name.
    pub fn get_int(&self, name: &str) -> i64 {
        match PARAMS.iter().position(|p| p.0 == name) {
            Some(i) => self.ints[i].load(Ordering::Relaxed),
            None => self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    }

    /// Every (name, value), sorted by name.
    pub fn all(&self) -> Vec<(&'static str, String)> {
        let v = self.values.read().unwrap_or_else(|p| p.into_inner());
        v.iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    /// Sets `name` to `value` after checking it; the error is Redis's reason text.
    pub fn set(&self, name: &str, value: &str) -> Result<(), String> {
        let Some(name) = canonical(name) else {
            return Err("Unknown option or number of arguments for CONFIG SET".into());
        };
        let index = PARAMS
            .iter()
            .position(|(n, _, _)| *n == name)
            .expect("canonical");
        let kind = PARAMS[index].2;
        let ok = match kind {
            Kind::Int => value.parse::<i64>().is_ok_and(|n| n >= 0),
            Kind::Bool => value.eq_ignore_ascii_case("yes") || value.eq_ignore_ascii_case("no"),
            Kind::Text => true,
        };
        if !ok {
            return Err("argument couldn't be parsed into an integer".into());
        }
        let value = if matches!(kind, Kind::Bool) {
            value.to_ascii_lowercase()
        } else {
            value.into()
        };
        let mut values = self.values.write().unwrap_or_else(|p| p.into_inner());
        self.ints[index].store(value.parse().unwrap_or(0), Ordering::Relaxed);
        values.insert(name, value);
        Ok(())
    }
}

/// The canonical name of a parameter or alias (case-insensitive).
pub fn canonical(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    PARAMS
        .iter()
        .map(|p| p.0)
        .find(|n| *n == lower)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == lower).map(|(_, n)| *n))
}
