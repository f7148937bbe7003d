"""``r.lock()``: kvstore's ``Lock`` has redis-py 8.1's API and behaves like
redis-py's lock on redis-server (scenarios compared step by step); the
lock excludes under contention (8 threads), an expired lock is not
released by its old owner, and redis-py's own ``redis.lock.Lock`` works
on ``kvstore.Redis`` unchanged."""

import subprocess
import sys
import textwrap
import threading
import time

import pytest
import redis
import redis.lock

import kvstore
from kvstore.commands.locking import LockCommands
from kvstore.exceptions import LockError, LockNotOwnedError
from kvstore.lock import Lock
from conftest import fresh_client, outcome
from keyspace_support import same_signature


def test_lock_signature_matches_redis_py():
    """``lock()`` and the Lock methods take redis-py 8.1's parameters."""
    same_signature(LockCommands, redis.Redis, "lock")
    for name in ["__init__", "acquire", "release", "extend", "reacquire", "locked", "owned",
                 "do_acquire", "do_release", "do_extend", "do_reacquire", "__enter__", "__exit__"]:
        same_signature(Lock, redis.lock.Lock, name)


def _scenario(client, lock_factory):
    """A sequence of lock operations; each step's outcome (result or
    exception class and text) and the lock key's state after it."""
    steps = []

    def step(fn, *args, **kwargs):
        got = outcome(fn, *args, **kwargs)
        ttl = client.pttl("L")
        steps.append((got, client.exists("L"), ttl if ttl < 0 else "ttl>0"))

    a = lock_factory("L", timeout=10)
    b = lock_factory("L", timeout=10, blocking=False)
    step(a.locked)
    step(a.release)
    step(a.extend, 1)
    step(a.reacquire)
    step(a.acquire)
    step(a.owned)
    step(a.locked)
    step(b.acquire)
    step(b.owned)
    step(b.acquire, blocking=True, blocking_timeout=0.05, sleep=0.01)
    step(a.extend, 5)
    step(a.extend, 2, replace_ttl=True)
    step(a.reacquire)
    step(b.release)
    step(a.release)
    step(a.release)
    step(a.locked)
    forever = lock_factory("L")
    step(forever.acquire, token="given-token")
    step(forever.owned)
    step(forever.extend, 1)
    step(forever.reacquire)
    step(client.get, "L")
    step(forever.release)
    # Someone else takes the key: the old owner can neither extend nor release.
    step(a.acquire)
    step(client.set, "L", "intruder")
    step(a.owned)
    step(a.extend, 1)
    step(a.reacquire)
    step(a.release)
    step(client.delete, "L")
    # The key without a TTL: extend refuses it.
    step(a.acquire)
    step(client.persist, "L")
    step(a.extend, 1)
    step(a.release)
    return steps


@pytest.mark.parametrize("decode", [False, True], ids=["bytes", "decoded"])
def test_same_behaviour_as_redis_py(redis_server, decode):
    """The same scenario with kvstore's lock on kvstore and redis-py's lock
    on redis-server: every step's outcome and key state are equal."""
    rp = redis.Redis(port=redis_server, decode_responses=decode)
    rp.flushall()
    kv = fresh_client(decode_responses=decode)
    expected = _scenario(rp, rp.lock)
    got = _scenario(kv, kv.lock)
    assert got == expected


def test_extend_adds_or_replaces_ttl(r):
    """extend() adds to the remaining TTL, or replaces it; reacquire()
    resets it to the timeout."""
    lock = r.lock("L", timeout=10)
    assert lock.acquire()
    assert 9000 < r.pttl("L") <= 10000
    assert lock.extend(20) is True
    assert 29000 < r.pttl("L") <= 30000
    assert lock.extend(2, replace_ttl=True) is True
    assert 1000 < r.pttl("L") <= 2000
    assert lock.reacquire() is True
    assert 9000 < r.pttl("L") <= 10000
    lock.release()
    assert not r.exists("L")


def test_expired_lock_is_not_released_by_old_owner(r):
    """Once the lock expired and another owner took it, the old owner's
    release and extend raise LockNotOwnedError and leave it alone."""
    old = r.lock("L", timeout=0.05)
    new = r.lock("L", timeout=10)
    assert old.acquire(blocking=False)
    assert not new.acquire(blocking=False)
    time.sleep(0.1)
    assert not old.locked()
    assert new.acquire(blocking=False)
    with pytest.raises(LockNotOwnedError, match="Cannot extend a lock that's no longer owned"):
        old.extend(1)
    with pytest.raises(LockNotOwnedError, match="Cannot release a lock that's no longer owned"):
        old.release()
    assert new.owned() and r.pttl("L") > 9000
    new.release()


def test_blocking_timeout(r):
    """A blocked acquire gives up after blocking_timeout (not before, and
    not much later), and succeeds when the holder releases meanwhile."""
    holder = r.lock("L", thread_local=False)  # released by a timer thread
    assert holder.acquire()
    waiter = r.lock("L", sleep=0.01, blocking_timeout=0.2)
    start = time.monotonic()
    assert waiter.acquire() is False
    waited = time.monotonic() - start
    assert 0.15 <= waited < 1.0
    assert waiter.acquire(blocking=False) is False
    threading.Timer(0.05, holder.release).start()
    assert waiter.acquire(blocking_timeout=2) is True
    assert waiter.owned() and not holder.owned()
    waiter.release()


def test_context_manager(r):
    """``with r.lock(...)`` holds the lock inside and releases it after;
    failing to acquire raises LockError; an expired lock raises on exit
    unless raise_on_release_error is false."""
    with r.lock("L", timeout=5) as lock:
        assert lock.owned() and r.exists("L")
    assert not r.exists("L")
    holder = r.lock("L")
    holder.acquire()
    with pytest.raises(LockError, match="Unable to acquire lock within the time specified"):
        with r.lock("L", blocking_timeout=0.05, sleep=0.01):
            pass
    holder.release()
    with pytest.raises(LockNotOwnedError):
        with r.lock("L", timeout=0.02):
            time.sleep(0.06)
    with r.lock("L", timeout=0.02, raise_on_release_error=False):
        time.sleep(0.06)


def test_thread_local_tokens(r):
    """With thread-local tokens another thread cannot release the lock
    (LockError; redis-py's lock raises AttributeError there); with
    thread_local=False it can."""
    local = r.lock("A")
    shared = r.lock("B", thread_local=False)
    assert local.acquire() and shared.acquire()
    errors = []

    def release_both():
        errors.append(outcome(local.release))
        errors.append(outcome(shared.release))

    t = threading.Thread(target=release_both)
    t.start()
    t.join()
    assert errors[0][:2] == ("error", LockError)
    assert errors[1] == ("ok", None)
    assert r.exists("A") and not r.exists("B")
    local.release()


def test_lock_class_argument(r):
    """``lock_class`` picks the class built (redis-py's works too)."""
    lock = r.lock("L", lock_class=redis.lock.Lock, timeout=3)
    assert isinstance(lock, redis.lock.Lock)
    assert isinstance(r.lock("L"), kvstore.lock.Lock)


@pytest.mark.parametrize("lock_class", [Lock, redis.lock.Lock], ids=["kvstore", "redis-py"])
def test_contention_loses_no_update(lock_class):
    """8 threads, each with its own client on one store, increment a counter
    read-modify-write under the lock: no update is lost."""
    host = fresh_client().connection_pool.connection_kwargs["host"]
    threads, rounds = 8, 50

    def work():
        client = kvstore.Redis(host=host)
        for _ in range(rounds):
            with client.lock("counter-lock", timeout=5, sleep=0.001, lock_class=lock_class):
                value = int(client.get("counter") or 0)
                time.sleep(0)  # let other threads try to interleave
                client.set("counter", value + 1)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    client = kvstore.Redis(host=host)
    assert int(client.get("counter")) == threads * rounds
    assert not client.exists("counter-lock")


@pytest.mark.parametrize("decode", [False, True], ids=["bytes", "decoded"])
def test_redis_py_lock_unchanged(decode):
    """redis-py's ``redis.lock.Lock`` on a kvstore.Redis: every method,
    blocking, expiry and the context manager."""
    r = fresh_client(decode_responses=decode)
    r.script_flush()
    lock = redis.lock.Lock(r, "name", timeout=10)
    assert lock.acquire(blocking=False) and lock.owned() and lock.locked()
    assert lock.extend(5) and lock.reacquire()
    assert 9000 < r.pttl("name") <= 10000
    other = redis.lock.Lock(r, "name", blocking_timeout=0.05, sleep=0.01)
    assert other.acquire() is False
    lock.release()
    assert not lock.locked()
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        with redis.lock.Lock(r, "name", timeout=0.02):
            time.sleep(0.06)
            assert other.acquire(blocking=False)
    other.release()
    assert lock.acquire(token="mine") and r.get("name") in (b"mine", "mine") and lock.owned()
    lock.release()


def test_contention_through_the_listener():
    """4 processes (redis-py over the listener) and 4 in-process threads
    (kvstore's lock) increment one counter under the same lock: no update
    is lost, and redis-py's register_script works over the socket."""
    r = fresh_client()
    port = int(r.serve("127.0.0.1:0").rsplit(":", 1)[1])
    rounds = 25
    child = textwrap.dedent(f"""
        import redis
        c = redis.Redis(port={port})
        for _ in range({rounds}):
            with c.lock("counter-lock", timeout=5, sleep=0.001):
                c.set("counter", int(c.get("counter") or 0) + 1)
        print(c.register_script("return ARGV[1] * 2")(args=[21]))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    host = r.connection_pool.connection_kwargs["host"]

    def work():
        client = kvstore.Redis(host=host)
        for _ in range(rounds):
            with client.lock("counter-lock", timeout=5, sleep=0.001):
                client.set("counter", int(client.get("counter") or 0) + 1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        outputs = [p.communicate(timeout=60)[0] for p in procs]
    finally:
        r.stop_serving()
    assert [p.returncode for p in procs] == [0] * 4
    assert outputs == ["42\n"] * 4
    assert int(r.get("counter")) == 8 * rounds
    assert not r.exists("counter-lock")


def test_works_without_redis_py():
    """With redis-py unimportable, lock() and register_script still work
    (and raise kvstore's own LockNotOwnedError)."""
    code = textwrap.dedent("""
        import sys, time
        sys.modules["redis"] = None  # any `import redis` now fails
        import kvstore
        from kvstore.exceptions import LockNotOwnedError
        r = kvstore.Redis(host="no-redis-py")
        print(r.register_script("return KEYS[1]")(["k"]))
        with r.lock("l", timeout=5) as lock:
            print(lock.owned(), r.exists("l"))
        lock = r.lock("l", timeout=0.02)
        lock.acquire()
        time.sleep(0.05)
        try:
            lock.release()
        except LockNotOwnedError as e:
            print(type(e).__module__, e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "b'k'", "True 1", "kvstore._exceptions Cannot release a lock that's no longer owned"]
