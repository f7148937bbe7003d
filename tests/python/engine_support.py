"""Test helpers for methods whose command the engine may not run yet, and
for checking that a method sends what redis-py sends.

``differential_or_unknown`` compares kvstore with redis-server when the
engine's command table has the command, and otherwise checks that kvstore
answers like a server without it (the "unknown command" error) -- so the
test turns into a full comparison by itself once the engine grows the
command. ``sent`` records the argv and options a method hands to
``execute_command``, for commands no server can be asked about here
(blocking pops, replication, SHUTDOWN).
"""

import functools

import pytest
import redis

import kvstore
from conftest import fresh_client, outcome


@functools.lru_cache(maxsize=None)
def _engine_commands():
    names = fresh_client(decode_responses=True).command_list()
    return frozenset(n.lower() for n in names)


def engine_runs(command):
    """Whether the engine's command table has ``command`` (``"zadd"``,
    ``"client|kill"``)."""
    return command.lower() in _engine_commands()


def assert_unknown_command(fn, *args, **kwargs):
    """``fn`` fails with the engine's unknown (sub)command error."""
    with pytest.raises(kvstore.ResponseError, match=r"^unknown (sub)?command"):
        fn(*args, **kwargs)


def differential_or_unknown(pair, command, method, *args, **kwargs):
    """``pair.call(method, ...)`` when the engine runs ``command``; else
    kvstore's call must fail as unknown and the server is not asked."""
    if engine_runs(command):
        return pair.call(method, *args, **kwargs)
    assert_unknown_command(getattr(pair.kv, method), *args, **kwargs)
    return None


def _recorded(client, method, args, kwargs):
    calls = []

    def record(*a, **o):
        calls.append((a, o))

    client.execute_command = record
    return calls, outcome(getattr(client, method), *args, **kwargs)


def sent(method, *args, **kwargs):
    """Asserts kvstore's ``method`` passes ``execute_command`` the same
    argv and options as redis-py's (or raises the same client-side error);
    returns the recorded calls."""
    rp = redis.Redis()  # never connects: execute_command is replaced
    kv = fresh_client()
    expected = _recorded(rp, method, args, kwargs)
    got = _recorded(kv, method, args, kwargs)
    assert got == expected, f"{method}{args}{kwargs}:\n kvstore: {got!r}\n redis:   {expected!r}"
    return got[0]
