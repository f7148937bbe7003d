#!/usr/bin/env python3
"""redis-benchmark against kvstore-server and redis-server, in one run.

Both servers run without persistence on loopback. Each test of each
configuration (`-P 1`, `-P 16`, `-c 1`) runs `ROUNDS` times on both servers
back to back, alternating which goes first (so a burst of load from another
process hits both alike), and the best requests/s and lowest p99 of each
server are kept.
Then idle memory per connection: the RSS growth of each server while
redis-benchmark holds 1000 idle connections open (`-I`).

Prints a Markdown table of kvstore/redis ratios (requests/s: higher is
better; p99 latency and memory: lower is better) for BENCHMARKS.md.

Usage: bench/redis_benchmark.py [--requests N] [--rounds R] [--tests LIST]
       [--threads T]   (kvstore-server's io-threads; default: one per core)
"""

import argparse
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KVSTORE = os.path.join(ROOT, "target", "release", "kvstore-server")
TESTS = "set,get,incr,lpush,rpop,sadd,hset,zadd,lrange_100"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, port):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"{cmd[0]} did not start")


def bench(port, args):
    """One redis-benchmark run: {test: (rps, p99 ms)}."""
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "--csv", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = csv.DictReader(io.StringIO(out))
    return {r["test"]: (float(r["rps"]), float(r["p99_latency_ms"])) for r in rows}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_memory(proc, port, n=1000):
    """Bytes of RSS per idle connection."""
    before = rss_kib(proc.pid)
    idle = subprocess.Popen(
        ["redis-benchmark", "-p", str(port), "-c", str(n), "-I"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(3)
    after = rss_kib(proc.pid)
    idle.kill()
    idle.wait()
    time.sleep(0.5)
    return (after - before) * 1024 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", default=TESTS)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    subprocess.run(
        ["cargo", "build", "--release", "-j2", "-p", "kvstore-core", "--features", "server",
         "--bin", "kvstore-server"],
        check=True, cwd=ROOT,
    )
    rport, kport = free_port(), free_port()
    # Both servers own a scratch directory (kvstore-server locks its --dir).
    work = tempfile.mkdtemp(prefix="rbench-")
    common = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--dir", work]
    commands = {"redis": ["redis-server"], "kvstore": [KVSTORE]}
    if a.threads:
        commands["kvstore"] += ["--io-threads", str(a.threads)]
    redis = start([*commands["redis"], "--port", str(rport), *common], rport)
    kv = start([*commands["kvstore"], "--port", str(kport), *common], kport)
    servers = {"redis": rport, "kvstore": kport}
    configs = {
        "-P 1": ["-c", "50", "-n", str(a.requests), "-P", "1"],
        "-P 16": ["-c", "50", "-n", str(a.requests * 4), "-P", "16"],
        "-c 1": ["-c", "1", "-n", str(a.requests // 10), "-P", "1"],
    }
    best = {}
    try:
        for conf, args in configs.items():
            for t in a.tests.split(","):
                targs = args + ["-r", "100000", "-d", "16", "-t", t]
                for rnd in range(a.rounds):
                    order = list(servers) if rnd % 2 == 0 else list(reversed(servers))
                    for name in order:
                        for test, (rps, p99) in bench(servers[name], targs).items():
                            key = (conf, test, name)
                            old = best.get(key, (0.0, float("inf")))
                            best[key] = (max(old[0], rps), min(old[1], p99))
    finally:
        redis.kill()
        kv.kill()
        redis.wait()
        kv.wait()
    # Idle memory on freshly started servers: after the benchmarks, the RSS
    # growth would measure how much freed memory each allocator kept to
    # reuse (glibc keeps it, mimalloc and jemalloc return it to the system
    # after a delay), not what a connection costs.
    try:
        mem = {}
        for name, port in servers.items():
            proc = start([*commands[name], "--port", str(port), *common], port)
            try:
                mem[name] = idle_memory(proc, port)
            finally:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| config | test | redis req/s | kvstore req/s | ratio | redis p99 ms | kvstore p99 ms | p99 ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for conf in configs:
        for test in sorted({k[1] for k in best if k[0] == conf}, key=str):
            r, k = best[(conf, test, "redis")], best[(conf, test, "kvstore")]
            print(f"| {conf} | {test} | {r[0]:,.0f} | {k[0]:,.0f} | {k[0] / r[0]:.2f}× "
                  f"| {r[1]:.3f} | {k[1]:.3f} | {k[1] / r[1]:.2f}× |")
    print()
    print(f"Idle memory per connection (RSS, 1000 connections): redis {mem['redis']:,.0f} B, "
          f"kvstore {mem['kvstore']:,.0f} B, ratio {mem['kvstore'] / max(mem['redis'], 1):.2f}×")


if __name__ == "__main__":
    main()
