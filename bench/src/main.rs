//! Engine benchmark: single-thread GET/SET on 100 k keys (and optionally
//! 10 M), two threads on disjoint keys, and memory per key at 1 M keys, each
//! reported beside a floor (a bare `Mutex<HashMap<Vec<u8>, Vec<u8>>>` doing
//! the same work on the same keys) measured in the same run. Then small
//! hashes and sets (Redis's listpack and intset encodings): memory per
//! element beside redis-server's, and the time of a lookup in one.
//!
//! Run: `cargo run --release -p kvstore-bench -- [--big]`; with
//! `--c BINARY` it runs the C benchmark instead (see [`c`] and
//! `bench/c/run.sh`).

mod c;

use kvstore_core::{Engine, Reply};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes as the allocator really spends them
/// (`malloc_usable_size` plus glibc's 8-byte chunk header).
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Counting is on only while memory is measured, so timings do not pay it.
static COUNTING: AtomicBool = AtomicBool::new(false);

fn charge(p: *mut u8) -> isize {
    // SAFETY: `p` was just returned by (or is about to be given to) malloc.
    (unsafe { libc::malloc_usable_size(p.cast()) } + 8) as isize
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded to the system allocator with the same layout.
        let p = unsafe { System.alloc(l) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(charge(p), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(charge(p), Ordering::Relaxed);
        }
        // SAFETY: `p` came from `alloc` with layout `l`.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const VALUE: &[u8; 16] = b"0123456789abcdef";

fn keys(n: usize, prefix: &str) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{prefix}{i}").into_bytes())
        .collect()
}

fn shuffled(keys: &[Vec<u8>], ops: usize) -> Vec<usize> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.shuffle(&mut rng);
    order.iter().cycle().take(ops).copied().collect()
}

/// Nanoseconds per call of `f` over `order`: the best of three rounds, as
/// this machine is shared and noisy.
fn time(order: &[usize], mut f: impl FnMut(usize)) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            for &i in order {
                f(i);
            }
            t.elapsed().as_nanos() as f64 / order.len() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

type Floor = Mutex<HashMap<Vec<u8>, Vec<u8>, foldhash::fast::RandomState>>;

fn floor_fill(keys: &[Vec<u8>]) -> Floor {
    let m = Mutex::new(HashMap::default());
    for k in keys {
        m.lock().unwrap().insert(k.clone(), VALUE.to_vec());
    }
    m
}

fn engine_fill(e: &Engine, keys: &[Vec<u8>]) {
    let mut s = e.session();
    for k in keys {
        e.execute(&mut s, &[&b"SET"[..], k, VALUE]);
    }
}

struct Row {
    name: String,
    ns: f64,
    floor: f64,
}

/// ns per call of each single-thread operation, measured on one key set.
struct Timings {
    floor_get: f64,
    floor_set: f64,
    typed_get: f64,
    typed_set: f64,
    exec_get: f64,
    exec_set: f64,
}

fn measure(n: usize, ops: usize) -> Timings {
    let ks = keys(n, "key:");
    let order = shuffled(&ks, ops);
    let floor = floor_fill(&ks);
    let engine = Engine::new();
    engine_fill(&engine, &ks);
    let mut s = engine.session();

    let floor_get = time(&order, |i| {
        black_box(floor.lock().unwrap().get(&ks[i]).cloned());
    });
    let exec_get = time(&order, |i| {
        let r = engine.execute(&mut s, &[&b"GET"[..], &ks[i]]);
        debug_assert!(matches!(r, Reply::Bulk(_)));
        black_box(r);
    });
    // Like the floor's GET, the typed GET copies the value out.
    let typed_get = time(&order, |i| {
        black_box(engine.get(&mut s, &ks[i]).unwrap());
    });
    let floor_set = time(&order, |i| {
        black_box(floor.lock().unwrap().insert(ks[i].clone(), VALUE.to_vec()));
    });
    let exec_set = time(&order, |i| {
        black_box(engine.execute(&mut s, &[&b"SET"[..], &ks[i], VALUE]));
    });
    let typed_set = time(&order, |i| engine.set(&mut s, &ks[i], VALUE).unwrap());
    Timings {
        floor_get,
        floor_set,
        typed_get,
        typed_set,
        exec_get,
        exec_set,
    }
}

fn single_thread(n: usize, ops: usize, rows: &mut Vec<Row>) {
    let t = measure(n, ops);
    let label = if n >= 1_000_000 {
        format!("{} M", n / 1_000_000)
    } else {
        format!("{} k", n / 1000)
    };
    let mut row = |name: &str, ns: f64, floor: f64| {
        rows.push(Row {
            name: format!("{name}, {label} keys"),
            ns,
            floor,
        });
    };
    row("GET, typed", t.typed_get, t.floor_get);
    row("SET overwrite, typed", t.typed_set, t.floor_set);
    row("GET, execute(argv)", t.exec_get, t.floor_get);
    row("SET overwrite, execute(argv)", t.exec_set, t.floor_set);
}

fn two_threads(n: usize, ops: usize) -> (f64, f64) {
    let engine = Engine::new();
    let sets: Vec<Vec<Vec<u8>>> = (0..2).map(|t| keys(n, &format!("t{t}:key:"))).collect();
    for ks in &sets {
        engine_fill(&engine, ks);
    }
    let run = |ks: &Vec<Vec<u8>>| {
        let mut s = engine.session();
        let order = shuffled(ks, ops);
        let t = Instant::now();
        for &i in &order {
            black_box(engine.execute(&mut s, &[&b"GET"[..], &ks[i]]));
        }
        t.elapsed().as_secs_f64()
    };
    let one = ops as f64 / run(&sets[0]);
    let t = Instant::now();
    std::thread::scope(|sc| {
        for ks in &sets {
            sc.spawn(|| run(ks));
        }
    });
    let two = 2.0 * ops as f64 / t.elapsed().as_secs_f64();
    (one, two)
}

fn memory(n: usize) -> (f64, f64) {
    let ks = keys(n, "key:");
    let payload: usize = ks.iter().map(|k| k.len() + VALUE.len()).sum();
    // Only memory allocated (and freed) while counting is seen: every
    // structure measured here is created and dropped inside this window.
    COUNTING.store(true, Ordering::Relaxed);
    let base = LIVE.load(Ordering::Relaxed);
    let floor = floor_fill(&ks);
    let floor_bytes = LIVE.load(Ordering::Relaxed) - base;
    drop(floor);
    let base = LIVE.load(Ordering::Relaxed);
    let engine = Engine::new();
    engine_fill(&engine, &ks);
    let engine_bytes = LIVE.load(Ordering::Relaxed) - base;
    drop(engine);
    COUNTING.store(false, Ordering::Relaxed);
    let per = |b: isize| (b as f64 - payload as f64) / n as f64;
    (per(engine_bytes), per(floor_bytes))
}

/// A pipelining RESP connection to redis-server.
struct Conn {
    stream: std::net::TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Sends `cmds` in one write and reads their replies.
    fn pipeline(&mut self, cmds: &[Vec<&[u8]>]) -> Vec<Reply> {
        use kvstore_core::resp::{Limits, decode, encode_command};
        use std::io::{Read, Write};
        let mut req = Vec::new();
        for c in cmds {
            encode_command(c, &mut req);
        }
        self.stream.write_all(&req).expect("write to redis-server");
        let mut out = Vec::with_capacity(cmds.len());
        let mut chunk = vec![0u8; 1 << 16];
        while out.len() < cmds.len() {
            while let Ok(Some((r, used))) = decode(&self.buf, &Limits::default()) {
                self.buf.drain(..used);
                out.push(r);
            }
            if out.len() < cmds.len() {
                let k = self
                    .stream
                    .read(&mut chunk)
                    .expect("read from redis-server");
                assert!(k > 0, "redis-server closed the connection");
                self.buf.extend_from_slice(&chunk[..k]);
            }
        }
        out
    }

    /// INFO memory's `used_memory`.
    fn used_memory(&mut self) -> f64 {
        let Reply::Bulk(info) = self.pipeline(&[vec![b"INFO", b"memory"]]).remove(0) else {
            return 0.0;
        };
        String::from_utf8_lossy(&info)
            .lines()
            .find_map(|l| {
                l.strip_prefix("used_memory:")
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0.0)
    }
}

/// Bytes per key beyond key+value that redis-server spends for the same
/// `n` keys (its INFO `used_memory` before and after a pipelined fill), or
/// `None` when redis-server cannot be started.
fn redis_memory(n: usize) -> Option<f64> {
    let ks = keys(n, "key:");
    let payload: usize = ks.iter().map(|k| k.len() + VALUE.len()).sum();
    let grown = redis_growth(n, |i| vec![b"SET".to_vec(), ks[i].clone(), VALUE.to_vec()])?;
    Some((grown - payload as f64) / n as f64)
}

/// How much redis-server's INFO `used_memory` grows over `n` commands
/// (the i-th is `cmd(i)`), sent pipelined; `None` when redis-server cannot
/// be started.
fn redis_growth(n: usize, cmd: impl Fn(usize) -> Vec<Vec<u8>>) -> Option<f64> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let mut child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let stream = (0..200).find_map(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    let result = stream.map(|stream| {
        let mut conn = Conn {
            stream,
            buf: Vec::new(),
        };
        let before = conn.used_memory();
        for start in (0..n).step_by(10_000) {
            let cmds: Vec<Vec<Vec<u8>>> = (start..n.min(start + 10_000)).map(&cmd).collect();
            let argvs: Vec<Vec<&[u8]>> = cmds
                .iter()
                .map(|c| c.iter().map(Vec::as_slice).collect())
                .collect();
            conn.pipeline(&argvs);
        }
        conn.used_memory() - before
    });
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// Elements per small collection: well under Redis's listpack and intset
/// limits (128 fields, 512 members), so both stay in the small encoding.
const SMALL: usize = 10;

/// The command that fills small collection `i`: a hash of [`SMALL`]
/// fields `field:j` → 16-byte values, or a set of [`SMALL`] integers.
fn small_fill(hash: bool, i: usize) -> Vec<Vec<u8>> {
    let mut argv = if hash {
        vec![b"HSET".to_vec(), format!("hash:{i}").into_bytes()]
    } else {
        vec![b"SADD".to_vec(), format!("set:{i}").into_bytes()]
    };
    for j in 0..SMALL {
        if hash {
            argv.extend([format!("field:{j}").into_bytes(), VALUE.to_vec()]);
        } else {
            argv.push((i * SMALL + j).to_string().into_bytes());
        }
    }
    argv
}

/// Payload of [`small_fill`]`(hash, i)`: key, fields/members and values.
fn small_payload(hash: bool, i: usize) -> usize {
    small_fill(hash, i)[1..].iter().map(Vec::len).sum()
}

/// Small collections: bytes per element beyond the payload (ours, then
/// redis-server's when it runs) at `n` collections, and the ns of one
/// HGET or SISMEMBER (execute) over them.
fn small_collections(n: usize, hash: bool) -> (f64, Option<f64>, f64) {
    let payload: usize = (0..n).map(|i| small_payload(hash, i)).sum();
    let per = |bytes: f64| (bytes - payload as f64) / (n * SMALL) as f64;
    COUNTING.store(true, Ordering::Relaxed);
    let base = LIVE.load(Ordering::Relaxed);
    let engine = Engine::new();
    let mut s = engine.session();
    for i in 0..n {
        let argv = small_fill(hash, i);
        let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        engine.execute(&mut s, &argv);
    }
    let ours = per((LIVE.load(Ordering::Relaxed) - base) as f64);
    COUNTING.store(false, Ordering::Relaxed);
    let lookups: Vec<Vec<Vec<u8>>> = (0..n)
        .map(|i| {
            let mut argv = small_fill(hash, i);
            // The middle element: half the listpack is walked to find it.
            let at = 2 + if hash { SMALL / 2 * 2 } else { SMALL / 2 };
            let target = argv.swap_remove(at);
            let cmd = if hash { &b"HGET"[..] } else { b"SISMEMBER" };
            vec![cmd.to_vec(), argv.swap_remove(1), target]
        })
        .collect();
    let order = shuffled(
        &lookups.iter().map(|l| l[1].clone()).collect::<Vec<_>>(),
        1_000_000,
    );
    let ns = time(&order, |i| {
        let argv: Vec<&[u8]> = lookups[i].iter().map(Vec::as_slice).collect();
        black_box(engine.execute(&mut s, &argv));
    });
    drop(engine);
    let redis = redis_growth(n, |i| small_fill(hash, i)).map(per);
    (ours, redis, ns)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--c") {
        let exe = args.get(i + 1).expect("--c needs the C benchmark's path");
        c::compare(std::path::Path::new(exe));
        return;
    }
    let big = args.iter().any(|a| a == "--big");
    let mut rows = Vec::new();
    single_thread(100_000, 1_000_000, &mut rows);
    if big {
        single_thread(10_000_000, 2_000_000, &mut rows);
    }
    println!("| operation | kvstore ns/op | kvstore M ops/s | floor ns/op | ratio to floor |");
    println!("|---|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.0} | {:.2} | {:.0} | {:.2}× |",
            r.name,
            r.ns,
            1000.0 / r.ns,
            r.floor,
            r.ns / r.floor
        );
    }
    let (one, two) = two_threads(100_000, 2_000_000);
    println!(
        "\n2 threads on disjoint keys (GET, execute): {:.2} M ops/s vs 1 thread {:.2} M ops/s = {:.2}×",
        two / 1e6,
        one / 1e6,
        two / one
    );
    let (ours, floor) = memory(1_000_000);
    let redis = redis_memory(1_000_000).map_or_else(
        || "not measured (no redis-server)".into(),
        |b| format!("{b:.1}"),
    );
    println!(
        "\nMemory at 1 M keys (`key:N` → 16-byte value), bytes per key beyond key+value: \
         kvstore {ours:.1}, floor {floor:.1} (heap, as malloc spends it), redis-server {redis} (its used_memory)"
    );
    println!(
        "\nSmall collections ({SMALL} elements each, 100 k keys), bytes per element beyond the payload:"
    );
    for (name, hash) in [("hash (listpack)", true), ("set (intset)", false)] {
        let (ours, redis, ns) = small_collections(100_000, hash);
        let redis = redis.map_or_else(|| "not measured".into(), |b| format!("{b:.1}"));
        let op = if hash { "HGET" } else { "SISMEMBER" };
        println!("- {name}: kvstore {ours:.1}, redis-server {redis}; {op} (execute) {ns:.0} ns");
    }
}
