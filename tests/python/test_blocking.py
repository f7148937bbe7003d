"""Blocking list and sorted set methods woken by another thread: the GIL is
released while they wait, waiters are served in the order they blocked,
timeouts return None, CLIENT UNBLOCK ends a wait; replies compared with
redis-py against a real redis-server running the same scenario."""

import threading
import time

import pytest
import redis

from conftest import fresh_client, outcome


def woken(call, push):
    """Runs ``call()`` on a thread, runs ``push()`` once it waits, and
    returns what the call returned (or raised)."""
    result = []
    t = threading.Thread(target=lambda: result.append(outcome(call)))
    t.start()
    time.sleep(0.1)
    push()
    t.join(10)
    assert not t.is_alive(), "the call was not woken"
    return result[0]


CASES = {
    "blpop": (lambda c: c.blpop(["a", "b"], 0), lambda c: c.rpush("b", "x", "y")),
    "brpop": (lambda c: c.brpop("a", 5), lambda c: c.rpush("a", "x", "y")),
    "brpoplpush": (lambda c: c.brpoplpush("a", "dst", 0), lambda c: c.rpush("a", "x")),
    "blmove": (lambda c: c.blmove("a", "dst", 0, "LEFT", "LEFT"),
               lambda c: c.rpush("a", "x", "y")),
    "blmpop": (lambda c: c.blmpop(0, 2, "a", "b", direction="RIGHT", count=2),
               lambda c: c.rpush("b", "1", "2", "3")),
    "bzpopmin": (lambda c: c.bzpopmin(["z1", "z2"], 0), lambda c: c.zadd("z2", {"m": 1.5, "n": 2})),
    "bzpopmax": (lambda c: c.bzpopmax("z1", 0), lambda c: c.zadd("z1", {"m": 1.5, "n": 2})),
    "bzmpop": (lambda c: c.bzmpop(0, 1, ["z1"], min=True, count=2),
               lambda c: c.zadd("z1", {"m": 1, "n": 2, "o": 3})),
}


@pytest.mark.parametrize("decode", [False, True])
@pytest.mark.parametrize("name", list(CASES))
def test_woken_by_another_thread(redis_server, decode, name):
    call, push = CASES[name]
    out = []
    for client in (fresh_client(decode_responses=decode),
                   redis.Redis(port=redis_server, decode_responses=decode)):
        client.flushall()
        got = woken(lambda: call(client), lambda: push(client))
        out.append((got, sorted(client.keys("*"))))
    assert out[0] == out[1]


def test_timeouts_return_none(redis_server):
    kv = fresh_client()
    rp = redis.Redis(port=redis_server)
    for client in (kv, rp):
        start = time.monotonic()
        assert client.blpop("nokey", 0.2) is None
        assert client.bzpopmin("nokey", 0.2) is None
        assert client.blmove("nokey", "d", 0.2) is None
        assert time.monotonic() - start >= 0.59


def test_waiting_releases_the_gil():
    r = fresh_client()
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    try:
        assert r.blpop("q", 0.3) is None
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 50


def test_three_waiters_are_served_in_order():
    r = fresh_client(decode_responses=True)
    results = {}
    threads = []
    for name in ("first", "second", "third"):
        t = threading.Thread(target=lambda n=name: results.__setitem__(n, r.brpop("q", 0)))
        t.start()
        threads.append(t)
        time.sleep(0.05)
    r.lpush("q", "a", "b", "c")
    for t in threads:
        t.join(5)
    assert results == {"first": ("q", "a"), "second": ("q", "b"), "third": ("q", "c")}


def test_blpop_from_four_threads_gets_every_item_once():
    r = fresh_client(decode_responses=True)
    got = [[] for _ in range(4)]

    def consume(out):
        while True:
            _, v = r.blpop("q", 0)
            if v == "end":
                return
            out.append(int(v))

    threads = [threading.Thread(target=consume, args=(out,)) for out in got]
    for t in threads:
        t.start()
    for i in range(2000):
        r.rpush("q", i)
    r.rpush("q", *["end"] * 4)
    for t in threads:
        t.join(30)
    assert all(out == sorted(out) for out in got)
    assert sorted(sum(got, [])) == list(range(2000))


def test_client_unblock_ends_a_wait(redis_server):
    out = []
    for client, other in ((fresh_client(), None),
                          (redis.Redis(port=redis_server), redis.Redis(port=redis_server))):
        waiter = client
        control = other or client
        ident = waiter.client_id()
        results = []
        t = threading.Thread(target=lambda: results.append(outcome(waiter.blpop, "q", 0)))
        t.start()
        time.sleep(0.1)
        unblocked = control.client_unblock(ident, error=True)
        t.join(5)
        out.append((unblocked, results[0][0], str(results[0][-1])))
    assert out[0] == out[1]


def test_blocking_inside_a_transaction_does_not_wait(redis_server):
    out = []
    for client in (fresh_client(), redis.Redis(port=redis_server)):
        client.flushall()
        pipe = client.pipeline()
        pipe.blpop("q", 0)
        pipe.bzpopmax("z", 0)
        pipe.rpush("q", "v")
        pipe.brpop("q", 0)
        out.append(pipe.execute())
    assert out[0] == out[1]
