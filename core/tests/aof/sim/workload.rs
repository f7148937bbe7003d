//! The single-threaded workload of the simulated-disk tests and its oracle
//! (RELIABILITY.md §1): op `j` is one of `SET k{j%16} v{j}`, `INCR ctr`,
//! `RPUSH list j`, `HSET h f{j%8} j`, `ZADD z j m{j%8}`, a far-future
//! `PEXPIREAT`, a `SET` in db 1, and every 50th op a `MULTI` of three.
//!
//! The oracle keeps a model of the keyspace after every op that ran (an
//! op refused with MISCONF before it ran changes nothing, so the sequence
//! a recovered store must be a prefix of is the sequence of ops that ran),
//! and maps the state after each prefix to the op numbers that leave it.
//! A recovered store passes when its state is one of those (prefix), at
//! or after the last op that must be there (no loss), and not after the
//! last op issued (no invention).

use kvstore_core::{Engine, Reply, Session};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;

/// 2100-01-01 in Unix ms: expiries that never fire during a test.
const FAR: u64 = 4_102_444_800_000;
/// String keys of db 0 and db 1.
const KEYS: usize = 16;
const DB1_KEYS: usize = 4;

/// Everything the workload can change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct State {
    strings: BTreeMap<(usize, String), String>,
    expire: BTreeMap<String, u64>,
    ctr: i64,
    list: Vec<String>,
    hash: BTreeMap<String, String>,
    zset: BTreeMap<String, String>,
}

impl State {
    fn digest(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.hash(&mut h);
        h.finish()
    }

    /// Reads the state of `engine`.
    pub fn read(engine: &Engine) -> State {
        let mut s = engine.session();
        let mut st = State::default();
        for i in 0..KEYS {
            let k = format!("k{i}");
            if let Reply::Bulk(v) = engine.execute(&mut s, &["GET", &k]) {
                st.strings.insert((0, k.clone()), text(v));
                if let Reply::Int(at) = engine.execute(&mut s, &["PEXPIRETIME", &k]) {
                    if at >= 0 {
                        st.expire.insert(k, at as u64);
                    }
                }
            }
        }
        engine.execute(&mut s, &["SELECT", "1"]);
        for i in 0..DB1_KEYS {
            let k = format!("d1:{i}");
            if let Reply::Bulk(v) = engine.execute(&mut s, &["GET", &k]) {
                st.strings.insert((1, k), text(v));
            }
        }
        engine.execute(&mut s, &["SELECT", "0"]);
        if let Reply::Bulk(v) = engine.execute(&mut s, &["GET", "ctr"]) {
            st.ctr = text(v).parse().expect("ctr is an integer");
        }
        st.list = strings(engine.execute(&mut s, &["LRANGE", "list", "0", "-1"]));
        st.hash = pairs(engine.execute(&mut s, &["HGETALL", "h"]));
        st.zset = pairs(engine.execute(&mut s, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]));
        st
    }
}

fn text(v: Vec<u8>) -> String {
    String::from_utf8(v).expect("workload values are text")
}

fn strings(r: Reply) -> Vec<String> {
    match r {
        Reply::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(b) => text(b),
                Reply::Double(d) => d.to_string(),
                other => panic!("expected a bulk string, got {other:?}"),
            })
            .collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

/// A map reply, or a flat array of pairs.
fn pairs(r: Reply) -> BTreeMap<String, String> {
    let flat = match r {
        Reply::Map(m) => strings(Reply::Array(
            m.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        )),
        other => strings(other),
    };
    flat.chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect()
}

/// The commands of op `j` (1-based).
pub fn op(j: usize) -> Vec<Vec<String>> {
    let cmd = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    let (key, val, n) = (format!("k{}", j % KEYS), format!("v{j}"), j.to_string());
    if j % 50 == 0 {
        return vec![
            cmd(&["MULTI"]),
            cmd(&["SET", &key, &val]),
            cmd(&["INCR", "ctr"]),
            cmd(&["RPUSH", "list", &n]),
            cmd(&["EXEC"]),
        ];
    }
    match j % 7 {
        0 => vec![cmd(&["SET", &key, &val])],
        1 => vec![cmd(&["INCR", "ctr"])],
        2 => vec![cmd(&["RPUSH", "list", &n])],
        3 => vec![cmd(&["HSET", "h", &format!("f{}", j % 8), &n])],
        4 => vec![cmd(&["ZADD", "z", &n, &format!("m{}", j % 8)])],
        5 => vec![cmd(&[
            "PEXPIREAT",
            &format!("k{}", (j * 5) % KEYS),
            &(FAR + j as u64).to_string(),
        ])],
        _ => vec![
            cmd(&["SELECT", "1"]),
            cmd(&["SET", &format!("d1:{}", j % DB1_KEYS), &val]),
            cmd(&["SELECT", "0"]),
        ],
    }
}

impl State {
    /// The state after `op(j)` ran on this one.
    fn apply(&mut self, j: usize) {
        for c in op(j) {
            let args: Vec<&str> = c.iter().map(String::as_str).collect();
            match args[..] {
                ["SET", k, v] if k.starts_with("d1:") => {
                    self.strings.insert((1, k.into()), v.into());
                }
                ["SET", k, v] => {
                    self.strings.insert((0, k.into()), v.into());
                    self.expire.remove(k);
                }
                ["INCR", _] => self.ctr += 1,
                ["RPUSH", _, v] => self.list.push(v.into()),
                ["HSET", _, f, v] => {
                    self.hash.insert(f.into(), v.into());
                }
                ["ZADD", _, score, m] => {
                    self.zset.insert(m.into(), score.into());
                }
                // On a missing key it does nothing.
                ["PEXPIREAT", k, at] if self.strings.contains_key(&(0, k.to_string())) => {
                    self.expire
                        .insert(k.into(), at.parse().expect("a deadline"));
                }
                _ => {}
            }
        }
    }
}

/// What running one op gave.
#[derive(Debug)]
pub struct Outcome {
    /// Every reply was a success: the op is acknowledged.
    pub acked: bool,
    /// The error replies.
    pub errors: Vec<String>,
}

/// The model of the store and the states every prefix of the ops that
/// ran leaves.
#[derive(Debug)]
pub struct Oracle {
    model: State,
    /// State digest → (first, last) op number that leaves it.
    prefixes: HashMap<u64, (usize, usize)>,
}

impl Default for Oracle {
    fn default() -> Self {
        let model = State::default();
        let prefixes = HashMap::from([(model.digest(), (0, 0))]);
        Oracle { model, prefixes }
    }
}

impl Oracle {
    /// Runs `op(j)` on `engine` and records its effect.
    pub fn run(&mut self, engine: &Engine, session: &mut Session, j: usize) -> Outcome {
        // The change counter tells an op that ran (and then failed to
        // become durable) from one refused before it ran; the check of
        // the recovered state would catch a wrong guess.
        let changes = || engine.shared().stats.dirty.load(Ordering::Relaxed);
        let before = changes();
        let mut errors = Vec::new();
        for c in op(j) {
            if let Reply::Error(e) = engine.execute(session, &c) {
                errors.push(e);
            }
        }
        let acked = errors.is_empty();
        let ran = acked || changes() != before;
        if ran {
            self.model.apply(j);
            let e = self.prefixes.entry(self.model.digest()).or_insert((j, j));
            e.1 = j;
        }
        Outcome { acked, errors }
    }

    /// The (first, last) op numbers whose prefix leaves the state of
    /// `engine`; an error describing it when none does.
    pub fn check(&self, engine: &Engine) -> Result<(usize, usize), String> {
        let state = State::read(engine);
        self.prefixes
            .get(&state.digest())
            .copied()
            .ok_or_else(|| format!("not the state of any prefix of the ops: {state:?}"))
    }

    /// The state of every op run so far.
    pub fn last(&self) -> (usize, usize) {
        self.prefixes[&self.model.digest()]
    }
}
