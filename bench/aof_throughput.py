#!/usr/bin/env python3
"""SET throughput with the append-only file, kvstore-server and redis-server
in one run.

Each server runs on loopback with its data directory on the machine's disk
(under target/, not a tmpfs), three times: `appendonly no`, `appendonly yes
--appendfsync everysec`, and `appendonly yes --appendfsync always`. For
each, `redis-benchmark -t set -c 50 -r 100000` runs `ROUNDS` times, the two
servers alternating, and the best requests/s is kept. Prints a Markdown
table: requests/s and the ratio to the same server without the file (the
issue's goals: everysec >= 0.9x, always >= 0.7x, Redis's own ratios).

Usage: bench/aof_throughput.py [--requests N] [--rounds R]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_benchmark import KVSTORE, ROOT, bench, free_port, start  # noqa: E402

MODES = [
    ("no AOF", ["--appendonly", "no"]),
    ("everysec", ["--appendonly", "yes", "--appendfsync", "everysec"]),
    ("always", ["--appendonly", "yes", "--appendfsync", "always"]),
]


def run_mode(server, flags, requests):
    """Best-of-one run of SET against `server` started with `flags`."""
    work = tempfile.mkdtemp(prefix="aofbench-", dir=os.path.join(ROOT, "target"))
    port = free_port()
    cmd = [server, "--port", str(port), "--save", "", "--dir", work, *flags]
    proc = start(cmd, port)
    try:
        args = ["-t", "set", "-n", str(requests), "-c", "50", "-r", "100000"]
        return bench(port, args)["SET"][0]
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if not os.path.exists(KVSTORE):
        subprocess.run(
            ["cargo", "build", "--release", "-p", "kvstore-core", "--features", "server",
             "--bin", "kvstore-server"],
            check=True, cwd=ROOT,
        )
    servers = [("kvstore-server", KVSTORE), ("redis-server", shutil.which("redis-server"))]
    best = {}
    for r in range(a.rounds):
        order = servers if r % 2 == 0 else servers[::-1]
        for mode, flags in MODES:
            for name, path in order:
                rps = run_mode(path, flags, a.requests)
                key = (name, mode)
                best[key] = max(best.get(key, 0.0), rps)
    print("| server | mode | SET requests/s | ratio to no AOF |")
    print("|---|---|---:|---:|")
    for name, _ in servers:
        base = best[(name, "no AOF")]
        for mode, _ in MODES:
            rps = best[(name, mode)]
            print(f"| {name} | {mode} | {rps:,.0f} | {rps / base:.2f}x |")
    for mode, _ in MODES:
        ours, theirs = best[("kvstore-server", mode)], best[("redis-server", mode)]
        print(f"\nkvstore/redis, {mode}: {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
