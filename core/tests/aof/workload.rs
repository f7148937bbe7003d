//! The crash tests' workload and oracle (RELIABILITY.md §1). Writer thread
//! `t` issues numbered ops `1, 2, ...` on its own keys `t{t}:*`: SET of a
//! new key, INCR of a counter, RPUSH, HSET of a new field, ZADD of a new
//! member, a far-future PEXPIRE of an earlier SET's key, and every 50th op
//! a MULTI/EXEC block of three of them. Each step adds exactly one to the
//! thread's [`State::size`], so a recovered state can equal the state after
//! ops `1..=k` for one `k` only: the one of its size ([`prefix_of`]).

use crate::common::ours;
use kvstore_core::{Engine, Reply, Session};
use std::collections::BTreeMap;

/// Writer threads of a crash trial.
pub const THREADS: usize = 4;
/// Every this many ops, the op is a MULTI/EXEC block.
const BLOCK_EVERY: u64 = 50;
/// A relative expiry of about 11 days: never reached during a test.
const FAR_MS: &str = "1000000000";

/// One command of an op, as the model sees it.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// `SET t:k{j} v{j}`.
    Set(u64),
    /// `INCR t:ctr`.
    Incr,
    /// `RPUSH t:list j`.
    Push(u64),
    /// `HSET t:h f{j} j`.
    HSet(u64),
    /// `ZADD t:z j m{j}`.
    ZAdd(u64),
    /// `PEXPIRE t:k{j} <far>`: the key of an earlier SET gets a TTL.
    Expire(u64),
}

/// The steps of op `j` (three for a MULTI block).
pub fn steps(j: u64) -> Vec<Step> {
    if j % BLOCK_EVERY == 0 {
        return vec![Step::Set(j), Step::Push(j), Step::Incr];
    }
    vec![match j % 6 {
        0 => Step::Set(j),
        1 => Step::Incr,
        2 => Step::Push(j),
        3 => Step::HSet(j),
        4 => Step::ZAdd(j),
        // Op j - 5 (≡ 0 mod 6) set key k{j-5}, alone or in a block.
        _ if j > 6 => Step::Expire(j - 5),
        _ => Step::Set(j),
    }]
}

/// The command of `step` for thread `t`.
pub fn argv(t: usize, step: Step) -> Vec<String> {
    let p = format!("t{t}:");
    match step {
        Step::Set(j) => vec!["SET".into(), format!("{p}k{j}"), format!("v{j}")],
        Step::Incr => vec!["INCR".into(), format!("{p}ctr")],
        Step::Push(j) => vec!["RPUSH".into(), format!("{p}list"), j.to_string()],
        Step::HSet(j) => vec![
            "HSET".into(),
            format!("{p}h"),
            format!("f{j}"),
            j.to_string(),
        ],
        Step::ZAdd(j) => vec![
            "ZADD".into(),
            format!("{p}z"),
            j.to_string(),
            format!("m{j}"),
        ],
        Step::Expire(j) => vec!["PEXPIRE".into(), format!("{p}k{j}"), FAR_MS.into()],
    }
}

/// Runs op `j` of thread `t`; the error text when it did not succeed.
pub fn run_op(engine: &Engine, s: &mut Session, t: usize, j: u64) -> Result<(), String> {
    let steps = steps(j);
    let check = |r: Reply, what: &str| match r {
        Reply::Error(e) => Err(format!("op {j} ({what}): {e}")),
        Reply::Array(v) if v.iter().any(|r| matches!(r, Reply::Error(_))) => {
            Err(format!("op {j} ({what}): {v:?}"))
        }
        _ => Ok(()),
    };
    if steps.len() == 1 {
        return check(engine.execute(s, &argv(t, steps[0])), "command");
    }
    check(engine.execute(s, &["MULTI"]), "MULTI")?;
    for st in steps {
        check(engine.execute(s, &argv(t, st)), "queueing")?;
    }
    check(engine.execute(s, &["EXEC"]), "EXEC")
}

/// What one thread's keys hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct State {
    /// `k{j}` → (value, has a TTL).
    pub strings: BTreeMap<u64, (String, bool)>,
    pub ctr: u64,
    pub list: Vec<u64>,
    /// `f{j}` → value.
    pub hash: BTreeMap<u64, String>,
    /// `m{j}` → score.
    pub zset: BTreeMap<u64, String>,
}

impl State {
    /// Applies one step.
    pub fn apply(&mut self, step: Step) {
        match step {
            Step::Set(j) => {
                self.strings.insert(j, (format!("v{j}"), false));
            }
            Step::Incr => self.ctr += 1,
            Step::Push(j) => self.list.push(j),
            Step::HSet(j) => {
                self.hash.insert(j, j.to_string());
            }
            Step::ZAdd(j) => {
                self.zset.insert(j, j.to_string());
            }
            Step::Expire(j) => {
                if let Some(v) = self.strings.get_mut(&j) {
                    v.1 = true;
                }
            }
        }
    }

    /// Steps applied: every step adds one.
    pub fn size(&self) -> u64 {
        let ttls = self.strings.values().filter(|v| v.1).count();
        (self.strings.len() + ttls + self.list.len() + self.hash.len() + self.zset.len()) as u64
            + self.ctr
    }

    /// A MULTI block whose SET and RPUSH are not both present or both
    /// absent (a torn transaction).
    pub fn torn_block(&self) -> Option<u64> {
        let blocks_set = self.strings.keys().filter(|&&j| j % BLOCK_EVERY == 0);
        let blocks_pushed = self.list.iter().filter(|&&j| j % BLOCK_EVERY == 0);
        let set: Vec<u64> = blocks_set.copied().collect();
        let pushed: Vec<u64> = blocks_pushed.copied().collect();
        set.iter()
            .find(|j| !pushed.contains(j))
            .or_else(|| pushed.iter().find(|j| !set.contains(j)))
            .copied()
    }

    /// A one-line summary for failure messages.
    pub fn summary(&self) -> String {
        format!(
            "size {} (strings {}, ctr {}, list {} ending {:?}, hash {}, zset {})",
            self.size(),
            self.strings.len(),
            self.ctr,
            self.list.len(),
            self.list.last(),
            self.hash.len(),
            self.zset.len()
        )
    }
}

/// The `k ≤ max` such that ops `1..=k` leave exactly `got`, if any.
pub fn prefix_of(got: &State, max: u64) -> Option<u64> {
    let target = got.size();
    let mut model = State::default();
    // Every step adds one to the size (tested below): count them rather
    // than recount the model.
    let (mut k, mut size) = (0, 0);
    while size < target && k < max {
        k += 1;
        for st in steps(k) {
            model.apply(st);
            size += 1;
        }
    }
    (model == *got).then_some(k)
}

/// Reads the state of every thread's keys from `engine`; keys outside the
/// workload's names, or of the wrong type, are listed as errors.
pub fn read(engine: &Engine) -> (Vec<State>, Vec<String>) {
    let mut s = engine.session();
    let mut call = |argv: &[&[u8]]| ours(engine, &mut s, argv);
    let mut states = vec![State::default(); THREADS];
    let mut bad = Vec::new();
    let Reply::Array(keys) = call(&[b"KEYS", b"*"]) else {
        panic!("KEYS failed");
    };
    for key in keys {
        let Reply::Bulk(key) = key else { continue };
        let name = String::from_utf8_lossy(&key).into_owned();
        let Some((t, field)) = parse_key(&name) else {
            bad.push(format!("unexpected key {name}"));
            continue;
        };
        let st = &mut states[t];
        let ok = match field {
            Field::Str(j) => {
                let v = text(call(&[b"GET", &key]));
                let ttl = matches!(call(&[b"PTTL", &key]), Reply::Int(n) if n > 0);
                st.strings.insert(j, (v, ttl));
                true
            }
            Field::Ctr => match text(call(&[b"GET", &key])).parse() {
                Ok(n) => {
                    st.ctr = n;
                    true
                }
                Err(_) => false,
            },
            Field::List => {
                let items = texts(call(&[b"LRANGE", &key, b"0", b"-1"]));
                st.list = items.iter().filter_map(|i| i.parse().ok()).collect();
                st.list.len() == items.len()
            }
            Field::Hash => {
                let flat = texts(call(&[b"HGETALL", &key]));
                for pair in flat.chunks(2) {
                    let j = pair[0].strip_prefix('f').and_then(|j| j.parse().ok());
                    st.hash.insert(j.unwrap_or(u64::MAX), pair[1].clone());
                }
                true
            }
            Field::ZSet => {
                let flat = texts(call(&[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"]));
                for pair in flat.chunks(2) {
                    let j = pair[0].strip_prefix('m').and_then(|j| j.parse().ok());
                    st.zset.insert(j.unwrap_or(u64::MAX), pair[1].clone());
                }
                true
            }
        };
        if !ok {
            bad.push(format!("key {name} holds unexpected data"));
        }
    }
    (states, bad)
}

enum Field {
    Str(u64),
    Ctr,
    List,
    Hash,
    ZSet,
}

/// `t{t}:<field>` → (t, field).
fn parse_key(name: &str) -> Option<(usize, Field)> {
    let (t, field) = name.strip_prefix('t')?.split_once(':')?;
    let t: usize = t.parse().ok().filter(|&t| t < THREADS)?;
    let f = match field {
        "ctr" => Field::Ctr,
        "list" => Field::List,
        "h" => Field::Hash,
        "z" => Field::ZSet,
        _ => Field::Str(field.strip_prefix('k')?.parse().ok()?),
    };
    Some((t, f))
}

fn text(r: Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => format!("{other:?}"),
    }
}

fn texts(r: Reply) -> Vec<String> {
    match r {
        Reply::Array(v) => v.into_iter().map(text).collect(),
        other => vec![format!("{other:?}")],
    }
}

#[test]
fn every_op_adds_to_the_size_and_a_state_names_its_prefix() {
    let mut m = State::default();
    let mut sizes = vec![0];
    for j in 1..=400 {
        for st in steps(j) {
            m.apply(st);
        }
        assert!(m.size() > *sizes.last().unwrap(), "op {j} added nothing");
        sizes.push(m.size());
    }
    assert_eq!(prefix_of(&m, 400), Some(400));
    assert_eq!(prefix_of(&m, 399), None, "the bound on issued ops holds");
    // A block applied in part matches no prefix and is reported torn.
    let mut torn = State::default();
    for j in 1..50 {
        for st in steps(j) {
            torn.apply(st);
        }
    }
    torn.apply(Step::Set(50));
    assert_eq!(prefix_of(&torn, 400), None);
    assert_eq!(torn.torn_block(), Some(50));
}
