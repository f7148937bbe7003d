"""pytest fixtures: a real redis-server (started on a free loopback port)
and ``Pair``, which makes the same call on ``kvstore.Redis`` and on
redis-py's ``redis.Redis`` connected to that server, and asserts equal
results or equal exceptions (class and message)."""

import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import redis

import kvstore


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server():
    """The port of a redis-server that lives for the whole test session."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed (the tests compare against it)")
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="kvstore-pytest-")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    client.close()
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)


def outcome(fn, *args, **kwargs):
    """``("ok", result)`` or ``("error", exception class, message)``."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - the outcome is what we compare
        return ("error", type(e), str(e))


def fresh_client(**kwargs):
    """A ``kvstore.Redis`` on a store of its own."""
    return kvstore.Redis(host=f"pytest-{uuid.uuid4().hex}", **kwargs)


class Pair:
    """``kv`` (kvstore) and ``rp`` (redis-py → redis-server), both empty.
    ``pair.hset("h", "f", "v")`` calls ``hset`` on both and asserts the
    outcomes are equal; it returns the common result."""

    def __init__(self, port, decode, protocol=None):
        self.decode = decode
        self.kv = fresh_client(decode_responses=decode, protocol=protocol)
        self.rp = redis.Redis(port=port, decode_responses=decode, protocol=protocol)
        self.rp.flushall()

    def __getattr__(self, method):
        return lambda *args, **kwargs: self.call(method, *args, **kwargs)

    def call(self, method, *args, **kwargs):
        """Same call on both clients; equal outcomes asserted."""
        expected = outcome(getattr(self.rp, method), *args, **kwargs)
        got = outcome(getattr(self.kv, method), *args, **kwargs)
        assert got == expected, f"{method}{args}{kwargs}:\n kvstore: {got!r}\n redis:   {expected!r}"
        return got[1] if got[0] == "ok" else None

    def unordered(self, method, *args, **kwargs):
        """Same call on both; results compared as sorted lists (for replies
        whose order Redis does not define, such as KEYS)."""
        expected = outcome(getattr(self.rp, method), *args, **kwargs)
        got = outcome(getattr(self.kv, method), *args, **kwargs)
        if expected[0] == got[0] == "ok":
            assert sorted(got[1], key=repr) == sorted(expected[1], key=repr), (
                f"{method}{args}{kwargs}:\n kvstore: {got!r}\n redis:   {expected!r}")
            return got[1]
        assert got == expected, f"{method}{args}{kwargs}:\n kvstore: {got!r}\n redis:   {expected!r}"
        return None

    def same_data(self):
        """Both stores hold the same keys with the same values and types."""
        def dump(c):
            out = {}
            # Raw KEYS/TYPE: the check must not depend on the key family's
            # methods (replies have no callbacks on either client).
            for k in c.execute_command("KEYS", "*"):
                t = c.execute_command("TYPE", k)
                t = t.decode() if isinstance(t, bytes) else t
                if t == "string":
                    v = c.get(k)
                elif t == "hash":
                    v = c.hgetall(k)
                elif t == "list":
                    v = c.lrange(k, 0, -1)
                elif t == "set":
                    v = c.smembers(k)
                elif t == "zset":
                    v = c.zrange(k, 0, -1, withscores=True)
                else:
                    v = None
                out[k] = (t, v)
            return out

        assert dump(self.kv) == dump(self.rp)


@pytest.fixture(params=[False, True], ids=["bytes", "decoded"])
def pair(request, redis_server):
    """A ``Pair`` with ``decode_responses`` off, then on."""
    return Pair(redis_server, request.param)


@pytest.fixture(params=[None, 2], ids=["resp3", "resp2"])
def proto_pair(request, redis_server):
    """A ``Pair`` with redis-py's default protocol (3), then ``protocol=2``."""
    return Pair(redis_server, False, protocol=request.param)


@pytest.fixture
def r():
    """A ``kvstore.Redis`` on a store of its own."""
    return fresh_client()


