"""Test helpers shared by the string, key and HyperLogLog tests.

* ``same_argv``: a method's argv and options, built by kvstore's mixin and
  by redis-py's, without running anything (covers commands Redis 7.0 lacks).
* ``same_signature``: parameter names, kinds and defaults equal redis-py's.
* ``same_pipeline``: the same commands queued on both pipelines give equal
  ``execute()`` lists.
* ``same_warnings``: a call warns the same category and text on both.
* ``same_keyspace``: both stores hold the same keys, types, values and
  TTL-or-not, read with raw commands (works for every type, any bytes).
"""

import inspect
import warnings

import redis
from redis.commands.core import CoreCommands as RedisPyCommands

import kvstore
from kvstore.commands import CoreCommands as KvCommands
from conftest import outcome


class _Recorder:
    """``execute_command`` that records instead of running."""

    def __init__(self, decode=False):
        self.calls = []
        self.connection_pool = kvstore.ConnectionPool(decode_responses=decode)

    def execute_command(self, *args, **options):
        self.calls.append((args, options))
        return "recorded"


class KvRecorder(_Recorder, KvCommands):
    """kvstore's command methods over a recorder."""


class RedisPyRecorder(_Recorder, RedisPyCommands):
    """redis-py's command methods over a recorder."""


def _normal(outcome_):
    """An outcome with results made comparable (generators listed)."""
    if outcome_[0] == "ok" and inspect.isgenerator(outcome_[1]):
        return ("ok", "generator")
    return outcome_


def same_argv(method, *args, **kwargs):
    """Calls ``method`` on both recorders; asserts equal outcomes and equal
    recorded ``(argv, options)``. Returns the recorded calls."""
    kv, rp = KvRecorder(), RedisPyRecorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _normal(outcome(getattr(kv, method), *args, **kwargs))
        expected = _normal(outcome(getattr(rp, method), *args, **kwargs))
    assert got == expected, f"{method}{args}{kwargs}: {got!r} != {expected!r}"
    assert kv.calls == rp.calls, f"{method}{args}{kwargs}:\n kvstore: {kv.calls}\n redis:   {rp.calls}"
    return kv.calls


def same_signature(ours, theirs, name):
    """``ours.name`` takes the parameters of ``theirs.name`` (names, kinds,
    defaults, order)."""

    def shape(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert shape(getattr(ours, name)) == shape(getattr(theirs, name)), name


def _comparable(result):
    if isinstance(result, Exception):
        return (type(result), str(result))
    return result


def same_pipeline(pair, build, raise_on_error=False):
    """``build(pipe)`` queues commands on a non-transactional pipeline of
    each client; asserts equal ``execute()`` results and returns them."""
    results = []
    for client in (pair.rp, pair.kv):
        pipe = client.pipeline(transaction=False)
        build(pipe)
        results.append(outcome(pipe.execute, raise_on_error=raise_on_error))
    expected, got = results
    if expected[0] == got[0] == "ok":
        expected = ("ok", [_comparable(r) for r in expected[1]])
        got = ("ok", [_comparable(r) for r in got[1]])
    assert got == expected, f"pipeline:\n kvstore: {got!r}\n redis:   {expected!r}"
    return got[1]


def same_warnings(pair, method, *args, **kwargs):
    """Calls ``method`` on both clients; asserts the same warnings
    (category, text) and the same outcome."""
    seen = []
    for client in (pair.rp, pair.kv):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = outcome(getattr(client, method), *args, **kwargs)
        seen.append((result, [(w.category, str(w.message)) for w in caught]))
    assert seen[1] == seen[0], f"{method}{args}{kwargs}:\n kvstore: {seen[1]}\n redis:   {seen[0]}"
    return seen[0][1]


def _raw_dump(client):
    out = {}
    for key in client.execute_command("KEYS", "*"):
        kind = client.execute_command("TYPE", key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        read = {
            "string": ("GET", key),
            "list": ("LRANGE", key, 0, -1),
            "set": ("SMEMBERS", key),
            "zset": ("ZRANGE", key, 0, -1, "WITHSCORES"),
            "hash": ("HGETALL", key),
        }[kind]
        value = client.execute_command(*read)
        if isinstance(value, (set, list)) and kind == "set":
            value = sorted(value)
        if isinstance(value, list) and value and isinstance(value[0], list):
            value = [tuple(v) for v in value]
        has_ttl = client.execute_command("PTTL", key) > 0
        out[key] = (kind, value, has_ttl)
    return out


def same_keyspace(pair):
    """Both stores (db 0) hold the same keys with equal types, values and
    TTL-or-not; read through bytes clients on the same stores."""
    kv_kwargs = pair.kv.connection_pool.connection_kwargs
    kv = kvstore.Redis(host=kv_kwargs["host"], port=kv_kwargs["port"], protocol=2)
    rp = redis.Redis(port=pair.rp.connection_pool.connection_kwargs["port"], protocol=2)
    try:
        assert _raw_dump(kv) == _raw_dump(rp)
    finally:
        rp.close()
