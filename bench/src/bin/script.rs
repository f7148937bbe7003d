//! Scripting benchmark: EVALSHA of a three-command script and EVAL of a
//! trivial one, single-threaded through `Engine::execute`, beside GET and
//! SET through the same path. A script locks every shard of every db for
//! its duration, so its fixed cost grows with the shard count: it is
//! measured at the default count and at the minimum.
//!
//! Run: `cargo run --release -p kvstore-bench --bin script`.

use kvstore_core::{Engine, Options, Reply};
use std::hint::black_box;
use std::time::Instant;

const OPS: usize = 200_000;

/// Calls per second of `argv`, run `OPS` times.
fn rate(e: &Engine, argv: &[&[u8]]) -> f64 {
    let mut s = e.session();
    let start = Instant::now();
    for _ in 0..OPS {
        let r = e.execute(&mut s, argv);
        assert!(!r.is_error(), "{r:?}");
        black_box(r);
    }
    OPS as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let script = "redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 100) \
                  return redis.call('get', KEYS[1])";
    println!(
        "| shards/db | GET k/s | SET k/s | EVALSHA (3 cmds) k/s | µs | EVAL return 1 k/s | µs |"
    );
    println!("|---|---|---|---|---|---|---|");
    for shards in [Options::default().shards, 1] {
        let e = Engine::with_options(Options {
            shards,
            background: false,
            ..Options::default()
        });
        let mut s = e.session();
        let Reply::Bulk(sha) =
            e.execute(&mut s, &[b"SCRIPT".as_slice(), b"LOAD", script.as_bytes()])
        else {
            panic!("SCRIPT LOAD failed")
        };
        e.execute(&mut s, &["SET", "k", "v"]);
        let get = rate(&e, &[b"GET", b"k"]);
        let set = rate(&e, &[b"SET", b"k", b"v"]);
        let evalsha = rate(&e, &[b"EVALSHA", &sha, b"1", b"counter"]);
        let eval = rate(&e, &[b"EVAL", b"return 1", b"0"]);
        println!(
            "| {shards} | {:.0} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} |",
            get / 1e3,
            set / 1e3,
            evalsha / 1e3,
            1e6 / evalsha,
            eval / 1e3,
            1e6 / eval
        );
    }
}
