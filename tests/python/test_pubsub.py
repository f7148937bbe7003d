"""``Redis.pubsub()`` against redis-py's ``PubSub`` on a real redis-server:
the same calls on both, the same message dicts (RESP2 and RESP3, bytes and
decoded), handlers, ``get_message`` timeouts, ``listen``,
``run_in_thread``, and the introspection commands."""

import threading
import time

import pytest
import redis
from redis.typing import Subscription as RedisSubscription

import kvstore
from conftest import fresh_client, outcome


@pytest.fixture(params=[(False, 3), (True, 3), (False, 2), (True, 2)],
                ids=["bytes-resp3", "str-resp3", "bytes-resp2", "str-resp2"])
def clients(request, redis_server):
    """(kvstore client, redis-py client) with the same options."""
    decode, protocol = request.param
    kv = fresh_client(decode_responses=decode, protocol=protocol)
    rp = redis.Redis(port=redis_server, decode_responses=decode, protocol=protocol)
    rp.flushall()
    yield kv, rp
    rp.close()


def messages(ps, n, timeout=2.0):
    """The outcomes of the next ``n`` ``get_message`` calls (each waiting
    up to ``timeout``): a result, or the exception redis-py's own message
    handling raises (it indexes some replies as strings)."""
    return [outcome(ps.get_message, timeout=timeout) for _ in range(n)]


def test_message_dicts(clients):
    kv, rp = clients
    out = []
    for client in (kv, rp):
        ps = client.pubsub()
        ps.subscribe("a", b"b")
        ps.psubscribe("p*")
        got = messages(ps, 3)
        client.publish("a", "hello")
        client.publish("pq", "\x00é".encode())
        client.publish("nobody", "x")
        got += messages(ps, 2)
        ps.unsubscribe("a")
        got += messages(ps, 1)
        got.append(sorted(ps.channels))
        got.append(ps.subscribed)
        ps.punsubscribe()
        ps.unsubscribe()
        got += messages(ps, 2)
        got.append(ps.subscribed)
        got.append(ps.get_message(timeout=0.05))
        ps.close()
        out.append(got)
    assert out[0] == out[1]


def test_shard_channels(clients):
    kv, rp = clients
    out = []
    for client in (kv, rp):
        ps = client.pubsub()
        ps.ssubscribe("s1")
        got = messages(ps, 1)
        got.append(client.spublish("s1", "m"))
        got += [ps.get_sharded_message(timeout=2)]
        got.append(client.pubsub_shardnumsub("s1", "s2"))
        got.append(client.pubsub_shardchannels())
        ps.sunsubscribe("s1")
        got += messages(ps, 1)
        got.append(ps.subscribed)
        ps.close()
        out.append(got)
    assert out[0] == out[1]


def test_ping_while_subscribed_and_not(clients):
    kv, rp = clients
    out = []
    for client in (kv, rp):
        ps = client.pubsub()
        ps.subscribe("a")
        got = messages(ps, 1)
        ps.ping()
        ps.ping("hi")
        got += messages(ps, 2)
        ps.unsubscribe()
        got += messages(ps, 1)
        ps.close()
        out.append(got)
    assert out[0] == out[1]


def test_handlers_and_ignored_subscribe_messages(clients):
    kv, rp = clients
    out = []
    for client, subscription in ((kv, kvstore.Subscription), (rp, RedisSubscription)):
        seen = []
        ps = client.pubsub(ignore_subscribe_messages=True)
        ps.subscribe(subscription("a", seen.append), "plain", b=seen.append)
        ps.psubscribe(**{"c*": seen.append})
        got = [ps.get_message(timeout=0.1) for _ in range(4)]
        client.publish("a", "1")
        client.publish("b", "2")
        client.publish("cc", "3")
        client.publish("plain", "4")
        # Handled messages come back as None; the plain one as a dict.
        got += messages(ps, 4)
        got.append(seen)
        got.append(sorted(ps.channels, key=repr))
        ps.close()
        out.append(got)
    assert out[0] == out[1]


def test_get_message_timeouts(clients):
    kv, rp = clients
    for client in (kv, rp):
        ps = client.pubsub()
        # Not subscribed: waits for a subscription up to the timeout.
        start = time.monotonic()
        assert ps.get_message(timeout=0.2) is None
        assert time.monotonic() - start >= 0.19
        ps.subscribe("a")
        assert ps.get_message(timeout=1)["type"] == "subscribe"
        start = time.monotonic()
        assert ps.get_message(timeout=0.3) is None
        assert 0.29 <= time.monotonic() - start < 2
        assert ps.get_message() is None
        ps.close()


def test_a_waiting_get_message_releases_the_gil():
    r = fresh_client(decode_responses=True)
    ps = r.pubsub(ignore_subscribe_messages=True)
    ps.subscribe("a")
    ps.get_message(timeout=1)
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    try:
        # Waits on the engine with the GIL released: the other thread runs.
        assert ps.get_message(timeout=0.3) is None
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 50
    ps.close()


def test_listen_across_threads(clients):
    kv, rp = clients
    out = []
    for client in (kv, rp):
        ps = client.pubsub()
        ps.subscribe("a")

        def publish():
            time.sleep(0.05)
            for i in range(3):
                client.publish("a", str(i))
            client.publish("a", "stop")

        t = threading.Thread(target=publish)
        t.start()
        got = []
        for m in ps.listen():
            got.append(m)
            if m["data"] in ("stop", b"stop"):
                break
        t.join()
        ps.close()
        out.append(got)
    assert out[0] == out[1]


def test_run_in_thread(clients):
    kv, rp = clients
    out = []
    for client in (kv, rp):
        seen = []
        done = threading.Event()

        def handler(m, seen=seen, done=done):
            seen.append(m)
            if len(seen) == 3:
                done.set()

        ps = client.pubsub()
        ps.subscribe(a=handler)
        ps.psubscribe(**{"b*": handler})
        worker = ps.run_in_thread(sleep_time=0.01, daemon=True)
        time.sleep(0.05)
        client.publish("a", "1")
        client.publish("bb", "2")
        client.publish("a", "3")
        assert done.wait(5)
        worker.stop()
        worker.join(5)
        assert not worker.is_alive()
        out.append(seen)
    assert out[0] == out[1]


def test_run_in_thread_needs_handlers_and_reports_errors(clients):
    kv, rp = clients
    for client, errors in ((kv, kvstore.exceptions), (rp, redis.exceptions)):
        ps = client.pubsub()
        ps.subscribe("nohandler")
        with pytest.raises(errors.PubSubError, match="Channel: '.*nohandler'+ has no handler"):
            ps.run_in_thread()
        ps.close()
        ps = client.pubsub()
        caught = []

        def boom(m):
            raise ValueError("handler failed")

        def on_error(e, pubsub, thread):
            caught.append(str(e))
            thread.stop()

        ps.subscribe(a=boom)
        worker = ps.run_in_thread(sleep_time=0.01, exception_handler=on_error)
        time.sleep(0.05)
        client.publish("a", "x")
        worker.join(5)
        assert caught == ["handler failed"]


def test_introspection_commands(clients):
    kv, rp = clients
    out = []
    for client in (kv, rp):
        a, b = client.pubsub(), client.pubsub()
        a.subscribe("x", "y")
        b.subscribe("x")
        b.psubscribe("p*", "q*")
        messages(a, 2)
        messages(b, 3)
        got = [
            sorted(client.pubsub_channels()),
            client.pubsub_channels("y"),
            client.pubsub_numsub("x", "y", "z"),
            client.pubsub_numpat(),
            client.publish("x", "m"),
            client.publish("pp", "m"),
        ]
        a.close()
        b.close()
        got.append(client.pubsub_numsub("x"))
        out.append(got)
    assert out[0] == out[1]


def test_subscribed_mode_errors_come_through_get_message(clients):
    kv, rp = clients
    out = []
    for client in (kv, rp):
        ps = client.pubsub()
        ps.subscribe("a")
        messages(ps, 1)
        ps.execute_command("GET", "x")
        try:
            got = ps.get_message(timeout=1)
        except Exception as e:  # noqa: BLE001 - the outcome is what we compare
            got = (type(e).__name__, str(e))
        ps.close()
        out.append(got)
    assert out[0] == out[1]


def test_keyspace_notifications_reach_a_pubsub():
    r = fresh_client(decode_responses=True)
    r.config_set("notify-keyspace-events", "KEA")
    ps = r.pubsub(ignore_subscribe_messages=True)
    ps.psubscribe("__keyevent@0__:*")
    ps.get_message(timeout=1)
    r.set("k", "v")
    r.lpush("l", "a")
    got = [ps.get_message(timeout=1) for _ in range(2)]
    assert [(m["channel"], m["data"]) for m in got] == [
        ("__keyevent@0__:set", "k"),
        ("__keyevent@0__:lpush", "l"),
    ]
    ps.close()
    r.config_set("notify-keyspace-events", "")


def test_ten_thousand_messages_to_four_subscribers_in_order():
    r = fresh_client()
    subs = [r.pubsub(ignore_subscribe_messages=True) for _ in range(4)]
    for ps in subs:
        ps.subscribe("ch")
        ps.get_message(timeout=1)
    results = [[] for _ in subs]

    def consume(ps, out):
        while len(out) < 10_000:
            m = ps.get_message(timeout=5)
            assert m is not None
            out.append(m["data"])

    threads = [threading.Thread(target=consume, args=(ps, out)) for ps, out in zip(subs, results)]
    for t in threads:
        t.start()
    for i in range(10_000):
        assert r.publish("ch", i) == 4
    for t in threads:
        t.join(30)
    expected = [str(i).encode() for i in range(10_000)]
    assert all(out == expected for out in results)
