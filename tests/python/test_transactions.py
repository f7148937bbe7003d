"""Pipelines with transaction=True, WATCH and the transaction() helper:
kvstore against redis-py → redis-server, outcome by outcome."""

import threading

import pytest
import redis

from conftest import fresh_client, outcome


def both(pair, build, raise_on_error=True, transaction=True):
    """Builds the same pipeline on both sides and compares ``execute()``."""
    results = []
    for client in (pair.kv, pair.rp):
        with client.pipeline(transaction=transaction) as p:
            build(p)
            results.append(outcome(p.execute, raise_on_error=raise_on_error))
    norm = [
        ("ok", [(type(x), str(x)) if isinstance(x, Exception) else x for x in r[1]])
        if r[0] == "ok" else r
        for r in results
    ]
    assert norm[0] == norm[1], f"kvstore {results[0]!r}\nredis   {results[1]!r}"
    return results[0]


def test_multi_exec_results_and_callbacks(pair):
    both(pair, lambda p: p.set("a", 1).incr("a").get("a").hset("h", mapping={"f": 1, "g": 2})
         .hgetall("h").sadd("s", 1, 2).smembers("s").zadd("z", {"m": 1.5})
         .zrange("z", 0, -1, withscores=True).expire("a", 100).ttl("a").set("a", 1, nx=True))
    pair.same_data()


def test_runtime_error_keeps_the_rest(pair):
    both(pair, lambda p: p.set("a", "x").incr("a").set("b", 2), raise_on_error=False)
    both(pair, lambda p: p.set("a", "x").incr("a").set("b", 3))
    pair.same_data()


def test_queue_time_error_aborts(pair):
    both(pair, lambda p: p.set("a", 1).execute_command("NOSUCH").set("b", 2))
    both(pair, lambda p: p.set("a", 1).execute_command("GET").set("b", 2), raise_on_error=False)
    pair.same_data()


def test_empty_pipeline(pair):
    both(pair, lambda p: None)


def test_watch_then_change_raises_watch_error(pair):
    for client in (pair.kv, pair.rp):
        client.set("k", 1)
        with client.pipeline() as p:
            p.watch("k")
            assert p.get("k") in (b"1", "1")
            client.set("k", 2)
            p.multi()
            p.set("k", 3)
            with pytest.raises(redis.WatchError, match="Watched variable changed"):
                p.execute()
        assert client.get("k") in (b"2", "2")


def test_watch_without_change_commits(pair):
    for client in (pair.kv, pair.rp):
        client.set("k", 1)
        with client.pipeline() as p:
            p.watch("k")
            v = int(p.get("k"))
            p.multi()
            p.set("k", v + 1)
            assert p.execute() == [True]
        assert int(client.get("k")) == 2


def test_multi_misuse(pair):
    for client in (pair.kv, pair.rp):
        p = client.pipeline()
        p.multi()
        with pytest.raises(redis.RedisError, match="Cannot issue nested calls to MULTI"):
            p.multi()
        p.reset()
        p.set("a", 1)
        with pytest.raises(redis.RedisError, match="Commands without an initial WATCH"):
            p.multi()
        p.reset()
        p.multi()
        with pytest.raises(redis.RedisError, match="Cannot issue a WATCH after a MULTI"):
            p.watch("a")


def test_transaction_helper_retries(pair):
    for client in (pair.kv, pair.rp):
        client.set("n", 0)
        calls = []

        def bump(pipe):
            calls.append(1)
            v = int(pipe.get("n"))
            if len(calls) == 1:
                client.set("n", 10)  # a concurrent change: the first try fails
            pipe.multi()
            pipe.set("n", v + 1)

        assert client.transaction(bump, "n") == [True]
        assert len(calls) == 2 and int(client.get("n")) == 11
        assert client.transaction(lambda p: "value", "n", value_from_callable=True) == "value"


def test_watch_counter_across_threads():
    r = fresh_client()
    r.set("n", 0)

    def work():
        for _ in range(200):
            def incr(pipe):
                v = int(pipe.get("n"))
                pipe.multi()
                pipe.set("n", v + 1)
            r.transaction(incr, "n")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.get("n") == b"800"


def test_raw_multi_queues_native_commands(pair):
    for client in (pair.kv, pair.rp):
        client.execute_command("MULTI")
    pair.set("k", "v")
    pair.get("k")
    pair.incr("n")
    pair.hset("h", "f", "v")
    pair.execute_command("EXEC")
    pair.same_data()
