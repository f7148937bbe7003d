"""Python benchmark: kvstore.Redis against the anchors a Python user would
otherwise use, measured in the same run, single thread, 16-byte values.

Anchors: redis-py -> redis-server over TCP and over a unix socket (with the
hiredis parser when installed), redis-py pipelines of 100 over the unix
socket, fakeredis, and a plain dict doing the same work. Prints a Markdown
table of ops/s and kvstore's ratio to each anchor; then the seed
task-distribution example at N tasks against fakeredis, and EVALSHA of a
three-command script.

Run through bench/python/run (it builds kvstore, installs the anchors into
.venv-bench and starts redis-server).
"""

import argparse
import os
import sys
import time

import fakeredis
import redis

import kvstore

VALUE = b"0123456789abcdef"
KEYS = [f"key:{i}" for i in range(1000)]


def rate(fn, min_time):
    """Best ops/s of 3 runs of ``fn(n)`` (n grows until a run takes
    ``min_time`` seconds)."""
    n = 100
    while True:
        t = time.perf_counter()
        fn(n)
        dt = time.perf_counter() - t
        if dt >= min_time:
            break
        n = int(n * max(2.0, min_time / max(dt, 1e-6) * 1.2))
    best = n / dt
    for _ in range(2):
        t = time.perf_counter()
        fn(n)
        best = max(best, n / (time.perf_counter() - t))
    return best


def workloads(c):
    """name -> (setup, fn(n)) for client ``c`` (a redis-py-like client)."""
    keys = KEYS

    def loop(op):
        def run(n):
            for i in range(n):
                op(keys[i % 1000])
        return run

    return {
        "GET": (lambda: [c.set(k, VALUE) for k in keys], loop(lambda k: c.get(k))),
        "SET": (lambda: None, loop(lambda k: c.set(k, VALUE))),
        "HGET": (lambda: [c.hset("h", k, VALUE) for k in keys], loop(lambda k: c.hget("h", k))),
        "HSET": (lambda: None, loop(lambda k: c.hset("h", k, VALUE))),
        "INCR": (lambda: None, loop(lambda k: c.incr("counter"))),
        "LPUSH+RPOP": (lambda: None, loop(lambda k: (c.lpush("l", VALUE), c.rpop("l")))),
        "SADD": (lambda: None, loop(lambda k: c.sadd("s", k))),
        "ZADD": (lambda: None, loop(lambda k: c.zadd("z", {k: 1.5}))),
    }


class DictStore:
    """A plain dict doing the same work (the in-process floor)."""

    def __init__(self):
        self.d = {}

    def get(self, k):
        return self.d.get(k)

    def set(self, k, v):
        self.d[k] = v
        return True

    def hget(self, h, f):
        return self.d.get(h, {}).get(f)

    def hset(self, h, f, v):
        m = self.d.setdefault(h, {})
        new = f not in m
        m[f] = v
        return int(new)

    def incr(self, k):
        self.d[k] = self.d.get(k, 0) + 1
        return self.d[k]

    def lpush(self, k, v):
        lst = self.d.setdefault(k, [])
        lst.insert(0, v)
        return len(lst)

    def rpop(self, k):
        lst = self.d.get(k)
        return lst.pop() if lst else None

    def sadd(self, k, m):
        s = self.d.setdefault(k, set())
        new = m not in s
        s.add(m)
        return int(new)

    def zadd(self, k, mapping):
        z = self.d.setdefault(k, {})
        new = sum(m not in z for m in mapping)
        z.update(mapping)
        return new


class Piped:
    """redis-py calls batched in pipelines of 100 (transaction=False)."""

    def __init__(self, client):
        self.pipe = client.pipeline(transaction=False)

    def __getattr__(self, name):
        method = getattr(self.pipe, name)

        def call(*args, **kwargs):
            method(*args, **kwargs)
            if len(self.pipe) >= 100:
                self.pipe.execute()

        return call


SCRIPT = ("redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 100) "
          "return redis.call('get', KEYS[1])")


def evalsha_loop(c, sha, n):
    """``n`` calls of the three-command script."""
    for _ in range(n):
        c.evalsha(sha, 1, "counter")


def publish_loop(c, n):
    """n PUBLISHes to a channel with one subscriber, each message read."""
    p = c.pubsub(ignore_subscribe_messages=True)
    p.subscribe("bench")
    p.get_message(timeout=1)
    for _ in range(n):
        c.publish("bench", VALUE)
    got = 0
    while got < n:
        if p.get_message(timeout=1) is None:
            raise SystemExit(f"PUBLISH: {got} of {n} messages arrived")
        got += 1
    p.close()


def publish_side(c, n=50000):
    """PUBLISH rate with one subscriber attached, publisher side only (the
    messages are read afterwards, untimed): best of 3 runs of n."""
    p = c.pubsub(ignore_subscribe_messages=True)
    p.subscribe("bench")
    p.get_message(timeout=1)
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n):
            c.publish("bench", VALUE)
        best = max(best, n / (time.perf_counter() - t))
        for _ in range(n):
            if p.get_message(timeout=1) is None:
                raise SystemExit("PUBLISH: a message did not arrive")
    p.close()
    return best


def lock_loop(c, n):
    """n acquire + release of one redis-py-style lock."""
    lock = c.lock("bench-lock", timeout=10)
    for _ in range(n):
        lock.acquire()
        lock.release()


def task_distribution(c, n):
    """The seed example with n tasks (decode_responses=True client)."""
    for i in range(n):
        c.hset("tasks", f"task{i}", f"10.0.{i // 256 % 256}.{i % 256}")
    for task in c.hkeys("tasks"):
        server = c.hget("tasks", task)
        c.set("task:" + task, server)
    c.delete("tasks")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--unix", required=True)
    ap.add_argument("--time", type=float, default=0.3, help="seconds per measurement")
    ap.add_argument("--tasks", type=int, default=100_000)
    a = ap.parse_args()

    tcp = redis.Redis(port=a.port)
    unix = redis.Redis(unix_socket_path=a.unix)
    clients = {
        "kvstore": kvstore.Redis(host="bench"),
        "dict": DictStore(),
        "redis-py tcp": tcp,
        "redis-py unix": unix,
        "redis-py unix pipe100": Piped(unix),
        "fakeredis": fakeredis.FakeRedis(),
    }
    try:
        import hiredis  # noqa: F401
        parser = "hiredis"
    except ImportError:
        parser = "python"
    print(f"Python {sys.version.split()[0]}, redis-py {redis.__version__} ({parser} parser), "
          f"fakeredis {fakeredis.__version__}, {os.cpu_count()} cpus")
    names = list(clients)
    results = {}
    for name, client in clients.items():
        if hasattr(client, "flushall"):
            client.flushall()
        for op, (setup, fn) in workloads(client).items():
            setup()
            if isinstance(client, Piped):
                client.pipe.execute()
            results[(name, op)] = rate(fn, a.time)
            if isinstance(client, Piped):
                client.pipe.execute()

    head = "| command | " + " | ".join(names) + " | ÷ redis-py unix | ÷ fakeredis |"
    print(head)
    print("|" + "---|" * (len(names) + 3))
    for op in workloads(DictStore()):
        row = [f"{results[(n, op)] / 1e6:.3f} M" for n in names]
        kv = results[("kvstore", op)]
        print(f"| {op} | " + " | ".join(row) +
              f" | {kv / results[('redis-py unix', op)]:.0f}× | {kv / results[('fakeredis', op)]:.0f}× |")

    times = {}
    for name, client in (("kvstore", kvstore.Redis(host="bench-seed", decode_responses=True)),
                         ("fakeredis", fakeredis.FakeRedis(decode_responses=True))):
        # Best of three, as the rows above (a fresh run each time: the hash
        # is deleted at its end; the task:* keys are overwritten).
        for _ in range(3):
            t = time.perf_counter()
            task_distribution(client, a.tasks)
            times[name] = min(times.get(name, float("inf")), time.perf_counter() - t)
    print(f"\nseed example, {a.tasks} tasks (best of 3): kvstore {times['kvstore']:.3f} s, "
          f"fakeredis {times['fakeredis']:.3f} s, ratio {times['fakeredis'] / times['kvstore']:.0f}×")

    # Issue 7's script goal: EVALSHA of a three-command script (fakeredis
    # runs Lua only with lupa installed, so redis-py over the unix socket
    # is the anchor here).
    evalsha = {}
    for name, client in (("kvstore", clients["kvstore"]), ("redis-py unix", unix)):
        sha = client.script_load(SCRIPT)
        evalsha[name] = rate(lambda n, c=client, s=sha: evalsha_loop(c, s, n), a.time)
    print(f"EVALSHA (INCR, EXPIRE, GET): kvstore {evalsha['kvstore'] / 1e3:.0f} k/s, "
          f"redis-py unix {evalsha['redis-py unix'] / 1e3:.1f} k/s")

    # Issue 7's other goals: PUBLISH to one in-process subscriber (each
    # message received too), and lock acquire + release.
    for name, client in (("kvstore", clients["kvstore"]), ("redis-py unix", unix)):
        print(f"{name}: PUBLISH with one subscriber, publisher side "
              f"{publish_side(client) / 1e3:.0f} k/s")
        published = rate(lambda n, c=client: publish_loop(c, n), a.time)
        locked = rate(lambda n, c=client: lock_loop(c, n), a.time)
        print(f"{name}: PUBLISH + get_message {published / 1e3:.0f} k/s, "
              f"lock acquire+release {locked / 1e3:.0f} k/s")


if __name__ == "__main__":
    main()
