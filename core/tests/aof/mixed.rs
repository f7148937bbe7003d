//! A seeded random workload over every type and its encodings, TTLs that
//! run out while it goes (the engine's clock is a `ManualClock` the
//! workload moves), several dbs, MULTI/EXEC blocks and scripts, and the
//! active expiry cycle: what the round-trip and interop tests write.

use kvstore_core::clock::ManualClock;
use kvstore_core::{Engine, Reply, Session};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// One step of the workload.
#[derive(Debug)]
pub enum Step {
    /// A command.
    Cmd(Vec<Vec<u8>>),
    /// MULTI, the commands, EXEC.
    Multi(Vec<Vec<Vec<u8>>>),
    /// The commands, run by one EVAL through `redis.pcall`.
    Script(Vec<Vec<Vec<u8>>>),
    /// The clock moves on by this many ms.
    Advance(u64),
    /// One active expiry cycle.
    ActiveExpire,
}

/// Runs a script's commands from ARGV: `n, argv of n words, n, ...`.
/// `redis.pcall`, so that a failing command does not stop the rest.
const SCRIPT: &str = "local i = 1 \
     while i <= #ARGV do \
       local n = tonumber(ARGV[i]) \
       redis.pcall(unpack(ARGV, i + 1, i + n)) \
       i = i + n + 1 \
     end \
     return 1";

/// The workload's generator.
pub struct Workload {
    rng: SmallRng,
    /// The time the clock reads at the start.
    pub start_ms: u64,
}

fn words(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

impl Workload {
    /// The workload of `seed`.
    pub fn new(seed: u64) -> Workload {
        Workload {
            rng: SmallRng::seed_from_u64(seed),
            start_ms: 1_700_000_000_000,
        }
    }

    /// The same workload starting at Unix ms `start_ms`.
    pub fn starting_at(self, start_ms: u64) -> Workload {
        Workload { start_ms, ..self }
    }

    /// A clock at the workload's start time.
    pub fn clock(&self) -> Arc<ManualClock> {
        Arc::new(ManualClock::new(self.start_ms))
    }

    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.rng.random_range(0..of.len())]
    }

    /// One of the few keys of type `kind`.
    fn key(&mut self, kind: &str) -> String {
        format!("{kind}:{}", self.rng.random_range(0..6))
    }

    /// A value: small and large integers, floats, short and long text.
    fn value(&mut self) -> String {
        match self.rng.random_range(0..6) {
            0 => self.rng.random_range(-100..1000).to_string(),
            1 => self
                .rng
                .random_range(i64::MIN / 2..i64::MAX / 2)
                .to_string(),
            2 => format!("{:.3}", self.rng.random_range(-1e6..1e6)),
            3 => "x".repeat(self.rng.random_range(0..100)),
            _ => format!("v{}", self.rng.random_range(0..50)),
        }
    }

    /// A TTL in ms short enough to run out during the run.
    fn ttl(&mut self) -> String {
        self.rng.random_range(50..20_000).to_string()
    }

    /// A command with `n` generated elements after `head`.
    fn many(&mut self, head: &[&str], n: usize, pairs: bool) -> Vec<Vec<u8>> {
        let mut c = words(head);
        for i in 0..n {
            if pairs {
                c.push(format!("{}", self.rng.random_range(-50.0..50.0)).into_bytes());
            }
            c.push(format!("e{i}").into_bytes());
        }
        c
    }

    fn string_cmd(&mut self) -> Vec<Vec<u8>> {
        let k = self.key("s");
        let v = self.value();
        let t = self.ttl();
        let at = (self.start_ms + self.rng.random_range(0..60_000)).to_string();
        let c: Vec<&str> = match self.rng.random_range(0..18) {
            0 => vec!["SET", &k, &v],
            1 => vec!["SET", &k, &v, "PX", &t],
            2 => vec!["SET", &k, &v, "KEEPTTL"],
            3 => vec!["SET", &k, &v, "NX", "GET"],
            4 => vec!["SET", &k, &v, "XX", "PXAT", &at],
            5 => vec!["PSETEX", &k, &t, &v],
            6 => vec!["GETEX", &k, "PX", &t],
            7 => vec!["GETEX", &k, "PERSIST"],
            8 => vec!["GETDEL", &k],
            9 => vec!["INCRBY", &k, "7"],
            10 => vec!["INCRBYFLOAT", &k, "1.25"],
            11 => vec!["APPEND", &k, &v],
            12 => vec!["SETRANGE", &k, "3", &v],
            13 => vec!["MSET", &k, &v, "s:7", "seven"],
            14 => vec!["SETBIT", &k, "77", "1"],
            15 => vec!["BITFIELD", &k, "INCRBY", "u8", "8", "3"],
            16 => vec!["GETSET", &k, &v],
            _ => vec!["SETEX", &k, "5", &v],
        };
        words(&c)
    }

    fn key_cmd(&mut self) -> Vec<Vec<u8>> {
        let kind = self.pick(&["s", "h", "l", "z", "t", "p"]);
        let k = self.key(kind);
        let k2 = self.key(kind);
        let t = self.ttl();
        let secs = self.rng.random_range(1..30).to_string();
        let at = (self.start_ms + self.rng.random_range(0..120_000)).to_string();
        let db = self.rng.random_range(0..4).to_string();
        let flag = self.pick(&["NX", "XX", "GT", "LT"]);
        let c: Vec<&str> = match self.rng.random_range(0..13) {
            0 => vec!["DEL", &k],
            1 => vec!["UNLINK", &k, &k2],
            2 => vec!["PEXPIRE", &k, &t],
            3 => vec!["EXPIRE", &k, &secs, flag],
            4 => vec!["PEXPIREAT", &k, &at],
            5 => vec!["EXPIREAT", &k, "1"],
            6 => vec!["PERSIST", &k],
            7 => vec!["RENAME", &k, &k2],
            8 => vec!["RENAMENX", &k, &k2],
            9 => vec!["MOVE", &k, &db],
            10 => vec!["COPY", &k, &k2, "DB", &db, "REPLACE"],
            11 => vec!["SELECT", &db],
            _ => vec!["EXPIRE", &k, "-5"],
        };
        words(&c)
    }

    fn hash_cmd(&mut self) -> Vec<Vec<u8>> {
        let k = self.key("h");
        let f = format!("f{}", self.rng.random_range(0..10));
        let v = self.value();
        match self.rng.random_range(0..8) {
            0 => {
                let n = if self.rng.random_bool(0.1) { 200 } else { 3 };
                let mut c = words(&["HSET", &k]);
                for i in 0..n {
                    c.push(format!("f{i}").into_bytes());
                    c.push(v.clone().into_bytes());
                }
                c
            }
            1 => words(&["HSETNX", &k, &f, &v]),
            2 => words(&["HDEL", &k, &f, "f1", "f2"]),
            3 => words(&["HINCRBY", &k, &f, "3"]),
            4 => words(&["HINCRBYFLOAT", &k, &f, "0.5"]),
            5 => words(&["HSET", &k, &f, &"y".repeat(100)]),
            _ => words(&["HSET", &k, &f, &v]),
        }
    }

    fn list_cmd(&mut self) -> Vec<Vec<u8>> {
        let k = self.key("l");
        let k2 = self.key("l");
        let v = self.value();
        let end = self.pick(&["LEFT", "RIGHT"]);
        let end2 = self.pick(&["LEFT", "RIGHT"]);
        match self.rng.random_range(0..12) {
            0 if self.rng.random_bool(0.2) => self.many(&["RPUSH", &k], 300, false),
            0 | 1 => words(&["LPUSH", &k, &v, "a", "b"]),
            2 => words(&["RPOP", &k, "2"]),
            3 => words(&["LPOP", &k]),
            4 => words(&["LMPOP", "2", &k, &k2, end, "COUNT", "3"]),
            5 => words(&["LMOVE", &k, &k2, end, end2]),
            6 => words(&["LINSERT", &k, "BEFORE", "a", &v]),
            7 => words(&["LSET", &k, "0", &v]),
            8 => words(&["LTRIM", &k, "1", "-2"]),
            9 => words(&["LREM", &k, "0", "a"]),
            10 => words(&["BLPOP", &k, &k2, "0"]),
            _ => words(&["BRPOPLPUSH", &k, &k2, "0"]),
        }
    }

    fn set_cmd(&mut self) -> Vec<Vec<u8>> {
        let k = self.key("t");
        let k2 = self.key("t");
        let m = self.value();
        match self.rng.random_range(0..10) {
            0 if self.rng.random_bool(0.2) => {
                let mut c = words(&["SADD", &k]);
                c.extend((0..600).map(|i| (i * 3).to_string().into_bytes()));
                c
            }
            0 | 1 => words(&["SADD", &k, "1", "2", "3", &m]),
            2 => words(&["SADD", &k, &m]),
            3 => words(&["SREM", &k, &m, "1"]),
            4 => words(&["SPOP", &k]),
            5 => words(&["SPOP", &k, "3"]),
            6 => words(&["SMOVE", &k, &k2, "2"]),
            7 => words(&["SINTERSTORE", &k, &k, &k2]),
            8 => words(&["SUNIONSTORE", &k2, &k, &k2]),
            _ => words(&["SDIFFSTORE", &k, &k2, &k]),
        }
    }

    fn zset_cmd(&mut self) -> Vec<Vec<u8>> {
        let k = self.key("z");
        let k2 = self.key("z");
        let m = self.value();
        let score = format!("{}", self.rng.random_range(-100..100));
        match self.rng.random_range(0..11) {
            0 if self.rng.random_bool(0.2) => self.many(&["ZADD", &k], 200, true),
            0 | 1 => words(&["ZADD", &k, &score, &m, "1", "one"]),
            2 => words(&["ZADD", &k, "INCR", &score, &m]),
            3 => words(&["ZINCRBY", &k, "2.5", "one"]),
            4 => words(&["ZREM", &k, &m]),
            5 => words(&["ZPOPMIN", &k, "2"]),
            6 => words(&["ZMPOP", "2", &k, &k2, "MAX", "COUNT", "2"]),
            7 => words(&["ZRANGESTORE", &k2, &k, "0", "4"]),
            8 => words(&["ZUNIONSTORE", &k, "2", &k, &k2, "WEIGHTS", "1", "0.5"]),
            9 => words(&["BZPOPMAX", &k, "0"]),
            _ => words(&["ZREMRANGEBYRANK", &k, "0", "0"]),
        }
    }

    fn hll_cmd(&mut self) -> Vec<Vec<u8>> {
        let k = self.key("p");
        let k2 = self.key("p");
        match self.rng.random_range(0..3) {
            0 => {
                let n = self.rng.random_range(1..40);
                self.many(&["PFADD", &k], n, false)
            }
            1 => words(&["PFCOUNT", &k]),
            _ => words(&["PFMERGE", &k, &k2]),
        }
    }

    /// A data command of a random family.
    fn command(&mut self) -> Vec<Vec<u8>> {
        match self.rng.random_range(0..7) {
            0 => self.string_cmd(),
            1 => self.key_cmd(),
            2 => self.hash_cmd(),
            3 => self.list_cmd(),
            4 => self.set_cmd(),
            5 => self.zset_cmd(),
            _ => self.hll_cmd(),
        }
    }

    /// The next step.
    pub fn step(&mut self) -> Step {
        match self.rng.random_range(0..100) {
            0..4 => Step::Advance(self.rng.random_range(1..3_000)),
            4..6 => Step::ActiveExpire,
            6..10 => {
                let n = self.rng.random_range(1..5);
                Step::Multi((0..n).map(|_| self.command()).collect())
            }
            10..14 => {
                let n = self.rng.random_range(0..5);
                Step::Script((0..n).map(|_| self.command()).collect())
            }
            _ => Step::Cmd(self.command()),
        }
    }
}

/// A session for [`run`]: its blocking commands do not park the thread.
pub fn session(engine: &Engine) -> Session {
    let mut s = engine.session();
    s.defer_blocking(true);
    s
}

/// Runs `step` on `engine` through `s` (made by [`session`]), moving
/// `clock`.
pub fn run(engine: &Engine, s: &mut Session, clock: &ManualClock, step: Step) {
    let exec = |s: &mut Session, argv: &[Vec<u8>]| {
        let r = engine.execute(s, argv);
        // Errors (WRONGTYPE, ...) are part of the workload; a refused
        // write would not be.
        if let Reply::Error(e) = &r {
            assert!(!e.starts_with("MISCONF"), "{e}");
        }
        // A blocking command that found nothing stops waiting at once (the
        // session defers its waits: see `session`).
        drop(s.take_blocked());
    };
    match step {
        Step::Cmd(argv) => exec(s, &argv),
        Step::Multi(cmds) => {
            exec(s, &words(&["MULTI"]));
            for c in &cmds {
                exec(s, c);
            }
            exec(s, &words(&["EXEC"]));
        }
        Step::Script(cmds) => {
            let mut argv = words(&["EVAL", SCRIPT, "0"]);
            for c in cmds {
                argv.push(c.len().to_string().into_bytes());
                argv.extend(c);
            }
            exec(s, &argv);
        }
        Step::Advance(ms) => clock.advance(ms),
        Step::ActiveExpire => {
            engine.active_expire_cycle();
        }
    }
}
