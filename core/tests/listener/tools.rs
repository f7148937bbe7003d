//! Real clients against the listener: redis-py (RESP3 by default, and
//! RESP2), redis-cli (commands, --pipe with RESP and inline lines; it
//! parses with hiredis), and a short redis-benchmark run.

use crate::support::{RedisServer, Served, python, run};
use std::io::Write;
use std::process::{Command, Stdio};

/// A redis-py session; prints the repr of every result, so the output of a
/// run against redis-server and one against the listener must be equal.
const REDIS_PY: &str = r#"
import sys, redis
port, proto = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis(port=port, protocol=proto)
r.flushall()
out = []
out.append(r.ping())
out.append(r.set("a", "1"))
out.append(r.get("a"))
out.append(r.incr("a"))
out.append(r.hset("h", mapping={"f": "v", "g": "w"}))
out.append(sorted(r.hgetall("h").items()))
out.append(r.zadd("z", {"m": 1.5, "n": 2}))
out.append(r.zscore("z", "m"))
out.append(r.zrange("z", 0, -1, withscores=True))
out.append(r.zincrby("z", 0.25, "m"))
out.append(r.sadd("s", "x", "y"))
out.append(sorted(r.smembers("s")))
out.append(r.rpush("l", *range(10)))
out.append(r.lrange("l", 0, 2))
p = r.pipeline(transaction=False)
p.set("p", 1).get("p").delete("p").incr("a").lpush("a", "x")
out.append(p.execute(raise_on_error=False))
info = r.info()
out.append((info["redis_version"], info["connected_clients"]))
out.append(r.client_setname("pyclient"))
out.append(r.client_getname())
out.append([c["name"] for c in r.client_list()])
try:
    r.lpush("a", "x")
except redis.ResponseError as e:
    out.append(str(e))
d = redis.Redis(port=port, protocol=proto, decode_responses=True)
out.append(d.get("a"))
out.append(sorted(d.hgetall("h").items()))
out.append(d.execute_command("CLIENT", "GETNAME"))
big = "x" * 1_000_000
out.append(d.set("big", big))
out.append(d.get("big") == big)
out.append(d.type("big"))
out.append(d.expire("big", 100))
out.append(d.ttl("big"))
for line in out:
    print(repr(line))
"#;

#[test]
fn redis_py_resp3_and_resp2_as_redis_server() {
    let redis = RedisServer::start();
    let served = Served::start();
    let py = python();
    for proto in ["3", "2"] {
        let theirs = run(Command::new(&py).args(["-c", REDIS_PY, &redis.port.to_string(), proto]));
        let ours = run(Command::new(&py).args(["-c", REDIS_PY, &served.port.to_string(), proto]));
        assert_eq!(ours, theirs, "redis-py, protocol {proto}");
        assert!(ours.lines().count() > 25, "{ours}");
    }
}

fn cli(served: &Served, args: &[&str]) -> String {
    run(Command::new("redis-cli")
        .args(["-p", &served.port.to_string()])
        .args(args))
}

#[test]
fn redis_cli_commands_and_pipe() {
    let served = Served::start();
    assert_eq!(cli(&served, &["SET", "k", "hello world"]).trim(), "OK");
    assert_eq!(cli(&served, &["GET", "k"]).trim(), "hello world");
    assert_eq!(cli(&served, &["RPUSH", "l", "a", "b"]).trim(), "2");
    assert_eq!(cli(&served, &["LRANGE", "l", "0", "-1"]), "a\nb\n");
    let err = cli(&served, &["INCR", "k"]);
    assert!(err.contains("ERR value is not an integer"), "{err}");
    // Over the unix socket too.
    let sock = served.sock.to_string_lossy().into_owned();
    assert_eq!(
        run(Command::new("redis-cli").args(["-s", &sock, "GET", "k"])).trim(),
        "hello world"
    );
    // --pipe: RESP commands and inline lines, mixed.
    let mut input = Vec::new();
    for i in 0..1000 {
        kvstore_core::resp::encode_command(&["SET", &format!("p{i}"), &i.to_string()], &mut input);
        input.extend_from_slice(format!("INCR p{i}\r\n").as_bytes());
    }
    let mut child = Command::new("redis-cli")
        .args(["-p", &served.port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("redis-cli");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("errors: 0, replies: 2000"), "{text}");
    assert_eq!(cli(&served, &["GET", "p999"]).trim(), "1000");
    // redis-cli's --no-raw hints need COMMAND DOCS; an interactive-like call.
    let docs = cli(&served, &["COMMAND", "DOCS", "get"]);
    assert!(docs.contains("summary"), "{docs}");
}

#[test]
fn redis_benchmark_short_run() {
    let served = Served::start();
    for pipeline in ["1", "16"] {
        let out = run(Command::new("redis-benchmark").args([
            "-p",
            &served.port.to_string(),
            "-c",
            "10",
            "-n",
            "2000",
            "-r",
            "1000",
            "-d",
            "16",
            "-P",
            pipeline,
            "-t",
            "set,get,incr,lpush,rpop,sadd,hset,zadd,lrange_100",
            "--csv",
        ]));
        let rows: Vec<&str> = out.lines().skip(1).collect();
        assert!(rows.len() >= 9, "{out}");
        for row in rows {
            let rps: f64 = row
                .split(',')
                .nth(1)
                .unwrap()
                .trim_matches('"')
                .parse()
                .unwrap();
            assert!(rps > 0.0, "{row}");
        }
    }
    let n = cli(&served, &["LLEN", "mylist"]);
    assert!(n.trim().parse::<u64>().unwrap() > 0, "{n}");
}
