//! Persistence benchmark: SAVE and load of two datasets (1 M small keys;
//! 1,000 hashes × 1,000 fields) by kvstore and by redis-server 7.0 in the
//! same run, the file sizes, and the latency of a foreground client while
//! a BGSAVE of 1 M keys runs.
//!
//! Run: `cargo run --release -p kvstore-bench --bin persist`

use kvstore_core::{Engine, Options, Reply};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Commands that build one dataset.
struct Dataset {
    name: &'static str,
    commands: Vec<Vec<Vec<u8>>>,
}

fn small_keys(n: usize) -> Dataset {
    let commands = (0..n)
        .map(|i| {
            vec![
                b"SET".to_vec(),
                format!("key:{i}").into_bytes(),
                format!("value:{i:010}").into_bytes(),
            ]
        })
        .collect();
    Dataset {
        name: "1 M keys (`key:N` → 16-byte value)",
        commands,
    }
}

fn big_hashes(hashes: usize, fields: usize) -> Dataset {
    let mut commands = Vec::new();
    for h in 0..hashes {
        for start in (0..fields).step_by(100) {
            let mut c = vec![b"HSET".to_vec(), format!("hash:{h}").into_bytes()];
            for f in start..(start + 100).min(fields) {
                c.push(format!("field:{f}").into_bytes());
                c.push(format!("value:{}", f * 7).into_bytes());
            }
            commands.push(c);
        }
    }
    Dataset {
        name: "1,000 hashes × 1,000 fields",
        commands,
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("kvstore-bench-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The best of three timings of `f` (the machine is shared and noisy).
fn best(mut f: impl FnMut() -> Duration) -> Duration {
    (0..3).map(|_| f()).min().unwrap()
}

/// A redis-server on a free port with its data in `dir`, and a client.
struct Redis {
    child: Child,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

fn resp(argv: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Redis {
    /// Starts the server and waits until its data is loaded.
    fn start(dir: &Path) -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", &dir.to_string_lossy()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        let stream = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                break s;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let reader = BufReader::new(stream.try_clone().unwrap());
        let mut r = Redis {
            child,
            stream,
            reader,
        };
        while r.call(&[b"PING"]).starts_with("-LOADING") {
            std::thread::sleep(Duration::from_millis(1));
        }
        r
    }

    /// One command whose reply is one line (status, error, integer).
    fn call(&mut self, argv: &[&[u8]]) -> String {
        let mut out = Vec::new();
        resp(argv, &mut out);
        self.stream.write_all(&out).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line
    }

    /// Pipelines `commands` (one-line replies), 10,000 at a time.
    fn fill(&mut self, commands: &[Vec<Vec<u8>>]) {
        for batch in commands.chunks(10_000) {
            let mut out = Vec::new();
            for c in batch {
                let argv: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
                resp(&argv, &mut out);
            }
            self.stream.write_all(&out).unwrap();
            let mut line = String::new();
            for _ in batch {
                line.clear();
                self.reader.read_line(&mut line).unwrap();
            }
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SAVE time, load time and file size.
struct Figures {
    save: Duration,
    load: Duration,
    size: u64,
}

fn kvstore_figures(d: &Dataset) -> Figures {
    let dir = temp_dir("kv");
    let engine = Engine::open(&dir, Options::default()).unwrap();
    let mut s = engine.session();
    for c in &d.commands {
        engine.execute(&mut s, c);
    }
    let save = best(|| {
        let t = Instant::now();
        assert_eq!(engine.execute(&mut s, &["SAVE"]), Reply::ok());
        t.elapsed()
    });
    let size = std::fs::metadata(dir.join("dump.rdb")).unwrap().len();
    drop(s);
    drop(engine);
    // Unchanged since its SAVE, so closing writes nothing.
    let load = best(|| {
        let t = Instant::now();
        let e = Engine::open(&dir, Options::default()).unwrap();
        let took = t.elapsed();
        drop(e);
        took
    });
    let _ = std::fs::remove_dir_all(&dir);
    Figures { save, load, size }
}

fn redis_figures(d: &Dataset) -> Figures {
    let dir = temp_dir("redis");
    let mut r = Redis::start(&dir);
    r.fill(&d.commands);
    let save = best(|| {
        let t = Instant::now();
        assert!(r.call(&[b"SAVE"]).starts_with("+OK"));
        t.elapsed()
    });
    drop(r);
    let size = std::fs::metadata(dir.join("dump.rdb")).unwrap().len();
    // The load: start-up with the dump, less start-up without one.
    let empty = temp_dir("redis-empty");
    let startup = best(|| {
        let t = Instant::now();
        drop(Redis::start(&empty));
        t.elapsed()
    });
    let load = best(|| {
        let t = Instant::now();
        drop(Redis::start(&dir));
        t.elapsed()
    })
    .saturating_sub(startup);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&empty);
    Figures { save, load, size }
}

/// Latencies of a foreground client alternating SET and GET on `d`'s
/// keys, with `shards` shards per db: (p99.9, max) without a save, then
/// during a BGSAVE, and the BGSAVE's duration.
fn bgsave_stall(
    d: &Dataset,
    shards: usize,
) -> ((Duration, Duration), (Duration, Duration), Duration) {
    let dir = temp_dir("stall");
    let opts = Options {
        shards,
        ..Options::default()
    };
    let engine = Engine::open(&dir, opts).unwrap();
    let mut s = engine.session();
    for c in &d.commands {
        engine.execute(&mut s, c);
    }
    let n = d.commands.len();
    let client = |stop: &AtomicBool, min_ops: usize| -> Vec<Duration> {
        let mut s = engine.session();
        let mut lat = Vec::new();
        let mut i = 0usize;
        while !stop.load(Ordering::Relaxed) || lat.len() < min_ops {
            let key = format!("key:{}", (i * 7919) % n);
            let t = Instant::now();
            if i & 1 == 0 {
                engine.execute(&mut s, &[b"SET", key.as_bytes(), b"changed-value-xx"]);
            } else {
                engine.execute(&mut s, &[b"GET", key.as_bytes()]);
            }
            lat.push(t.elapsed());
            i += 1;
        }
        lat
    };
    let stop = AtomicBool::new(true);
    let mut quiet = client(&stop, 300_000);
    stop.store(false, Ordering::Relaxed);
    let (mut during, took) = std::thread::scope(|sc| {
        let worker = sc.spawn(|| client(&stop, 0));
        std::thread::sleep(Duration::from_millis(50));
        let t = Instant::now();
        assert!(matches!(
            engine.execute(&mut s, &["BGSAVE"]),
            Reply::Status(_)
        ));
        loop {
            let Reply::Verbatim(_, info) = engine.execute(&mut s, &["INFO", "persistence"]) else {
                panic!("INFO")
            };
            if String::from_utf8_lossy(&info).contains("rdb_bgsave_in_progress:0") {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let took = t.elapsed();
        stop.store(true, Ordering::Relaxed);
        (worker.join().unwrap(), took)
    });
    let tail = |v: &mut Vec<Duration>| {
        v.sort();
        (v[v.len() * 999 / 1000], *v.last().unwrap())
    };
    let result = (tail(&mut quiet), tail(&mut during), took);
    drop(s);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn main() {
    let s = |d: Duration| d.as_secs_f64();
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "| dataset | SAVE kvstore | SAVE redis | ratio | load kvstore | load redis | ratio | \
         file kvstore | file redis | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let small = small_keys(1_000_000);
    for d in [&small, &big_hashes(1000, 1000)] {
        let (ours, theirs) = (kvstore_figures(d), redis_figures(d));
        println!(
            "| {} | {:.3} s | {:.3} s | {:.2}× | {:.3} s | {:.3} s | {:.2}× | {:.1} MiB | {:.1} MiB | {:.3}× |",
            d.name,
            s(ours.save),
            s(theirs.save),
            s(ours.save) / s(theirs.save),
            s(ours.load),
            s(theirs.load),
            s(ours.load) / s(theirs.load),
            mib(ours.size),
            mib(theirs.size),
            ours.size as f64 / theirs.size as f64,
        );
    }
    println!(
        "\n| shards per db | p99.9 without save | max without save | BGSAVE time | p99.9 during BGSAVE | max during BGSAVE |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for shards in [Options::default().shards, 64, 256] {
        let ((q999, qmax), (d999, dmax), took) = bgsave_stall(&small, shards);
        println!(
            "| {shards} | {:.1} µs | {:.2} ms | {:.2} s | {:.1} µs | {:.2} ms |",
            q999.as_secs_f64() * 1e6,
            qmax.as_secs_f64() * 1e3,
            s(took),
            d999.as_secs_f64() * 1e6,
            dmax.as_secs_f64() * 1e3,
        );
    }
}
