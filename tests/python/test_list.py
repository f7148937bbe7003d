"""List methods: kvstore.Redis against redis-py + redis-server 7.0.

The blocking pops are exercised on non-empty lists only (they pop at
once): the engine does not block yet, so while its command table lacks
them kvstore must answer with the "unknown command" error."""

import random

import pytest

import kvstore
from engine_support import differential_or_unknown, engine_runs
from family_support import assert_mixin_matches, assert_same_pipeline, sent_by_mixin
from kvstore.commands.list import ListCommands


def _seed(pair, key="l", values=("a", "b", "c", "b", "d", "b")):
    return pair.rpush(key, *values)


# -- pushes and pops -----------------------------------------------------


def test_push(pair):
    assert pair.lpush("l", "a") == 1
    pair.lpush("l", "b", "c", 1, 2.5, b"\x00")
    pair.rpush("l", "x", "y")
    pair.rpush("l", 10**30, "")
    pair.lpushx("l", "px1", "px2")
    pair.rpushx("l", "rx")
    pair.lpushx("missing", "a")
    pair.rpushx("missing", "a", "b")
    pair.lpush("l")
    pair.rpush("l")
    pair.lpushx("l")
    pair.rpushx("l")
    pair.lpush("l", None)
    pair.rpush("l", True)
    pair.lpush(None, "a")
    pair.rpush("l", [1])
    pair.lrange("l", 0, -1)
    pair.exists("missing")
    pair.same_data()


def test_pop(pair):
    _seed(pair)
    assert pair.lpop("l") == (b"a" if not pair.decode else "a")
    pair.rpop("l")
    pair.lpop("l", 2)
    pair.rpop("l", 1)
    pair.lpop("l", 0)
    pair.rpop("l", 0)
    pair.lpop("l", 10)
    pair.lpop("l")
    pair.lpop("l", 2)
    pair.rpop("missing")
    pair.rpop("missing", 3)
    pair.lpop("missing", 0)
    _seed(pair)
    pair.lpop("l", -1)
    pair.rpop("l", "x")
    pair.rpop("l", 2**63)
    pair.lpop("l", True)
    pair.same_data()


def test_len_index_range(pair):
    _seed(pair)
    pair.llen("l")
    pair.llen("missing")
    for index in [0, 1, 5, 6, -1, -6, -7, 100, "1", "x", 2**63, 1.5]:
        pair.lindex("l", index)
    pair.lindex("missing", 0)
    for start, end in [(0, -1), (1, 3), (-3, -1), (4, 2), (5, 100), (-100, 100), (6, 10),
                       (-1, -2), ("a", 1), (0, 2**64), (0, "-1")]:
        pair.lrange("l", start, end)
    pair.lrange("missing", 0, -1)


def test_linsert(pair):
    _seed(pair)
    pair.linsert("l", "BEFORE", "b", "new")
    pair.linsert("l", "after", "d", 5)
    pair.linsert("l", "After", "a", "x")
    pair.linsert("l", "BEFORE", "nope", "x")
    pair.linsert("l", "MIDDLE", "a", "x")
    pair.linsert("missing", "BEFORE", "a", "x")
    pair.linsert("l", "BEFORE", "b", None)
    pair.lrange("l", 0, -1)
    pair.exists("missing")
    pair.same_data()


def test_lset_ltrim_lrem(pair):
    _seed(pair)
    assert pair.lset("l", 0, "A") is True
    pair.lset("l", -1, "Z")
    pair.lset("l", 6, "x")
    pair.lset("l", -7, "x")
    pair.lset("l", "x", "x")
    pair.lset("missing", 0, "x")
    pair.lrem("l", 1, "b")
    pair.lrem("l", -1, "b")
    pair.lrem("l", 0, "b")
    pair.lrem("l", 0, "nope")
    pair.lrem("l", "x", "b")
    pair.lrem("missing", 0, "a")
    pair.lrange("l", 0, -1)
    _seed(pair, "t")
    assert pair.ltrim("t", 1, -2) is True
    pair.lrange("t", 0, -1)
    pair.ltrim("t", 1, 1)
    pair.ltrim("missing", 0, 1)
    pair.ltrim("t", "a", 1)
    pair.ltrim("t", 5, 1)
    pair.exists("t")
    pair.same_data()


def test_lpos(pair):
    _seed(pair)
    for kwargs in [{}, {"rank": 1}, {"rank": 2}, {"rank": -1}, {"rank": -3}, {"rank": 4},
                   {"count": 0}, {"count": 2}, {"count": 10}, {"rank": -1, "count": 2},
                   {"maxlen": 2}, {"maxlen": 0}, {"count": 0, "maxlen": 3},
                   {"rank": 2, "count": 0, "maxlen": 4}, {"rank": 0}, {"count": -1},
                   {"maxlen": -1}, {"rank": "x"}, {"rank": -(2**63)}]:
        pair.lpos("l", "b", **kwargs)
        pair.lpos("l", "nope", **kwargs)
    pair.lpos("missing", "a")
    pair.lpos("missing", "a", count=2)


def test_lmove_rpoplpush(pair):
    _seed(pair, "a", ("1", "2", "3"))
    for src, dest in [("LEFT", "RIGHT"), ("RIGHT", "LEFT"), ("left", "left"), ("RIGHT", "RIGHT")]:
        pair.lmove("a", "b", src, dest)
    pair.lmove("a", "a")
    pair.lmove("a", "b", "UP", "LEFT")
    pair.lmove("missing", "b")
    pair.rpoplpush("a", "c")
    pair.rpoplpush("a", "a")
    pair.rpoplpush("missing", "c")
    pair.set("s", "v")
    pair.lmove("a", "s")
    pair.rpoplpush("a", "s")
    pair.lmove("s", "a")
    for key in ["a", "b", "c"]:
        pair.lrange(key, 0, -1)
    pair.same_data()


def test_lmpop(pair):
    _seed(pair, "l1")
    _seed(pair, "l2", ("x", "y"))
    pair.lmpop(2, "missing", "l1", direction="LEFT")
    pair.lmpop(2, "l1", "l2", direction="RIGHT", count=2)
    pair.lmpop(2, "l2", "l1", direction="left", count=100)
    pair.lmpop(1, "missing", direction="LEFT")
    pair.lmpop(1, "l1", direction="RIGHT", count=0)
    pair.lmpop(1, "l1", direction="RIGHT", count=-1)
    pair.lmpop(1, "l1", direction="UP")
    pair.lmpop(0, direction="LEFT")
    pair.lmpop(3, "l1", direction="LEFT")
    pair.lmpop(1, "l1", "l2", direction="LEFT")
    pair.lmpop(1, "l1", direction="LEFT", count=None)
    pair.same_data()


def test_lmovem_is_newer_than_redis_7(pair):
    """LMOVEM/BLMOVEM: the same client-side errors, and the same unknown
    command from both stores."""
    _seed(pair, "a", ("1", "2", "3"))
    pair.lmovem("a", "b")
    pair.lmovem("a", "b", "RIGHT", "LEFT", count=2, ordering="OBO")
    pair.lmovem("a", "b", count=2, mode="EXACTLY", ordering="BULK")
    pair.lmovem("a", "b", count=2)
    pair.lmovem("a", "b", mode="COUNT")
    pair.lmovem("a", "b", ordering="OBO")
    pair.blmovem("a", "b", 0.1)
    pair.blmovem("a", "b", 1, "LEFT", "LEFT", count=3, mode="COUNT", ordering="OBO")
    pair.blmovem("a", "b", 1, count=3)
    pair.blmovem("a", "b", 1, ordering="BULK")
    assert not engine_runs("lmovem")
    pair.same_data()


def test_blocking_pops_non_empty(pair):
    """Blocking pops where a list is non-empty (no wait involved)."""
    _seed(pair, "l1")
    _seed(pair, "l2", ("x", "y"))
    differential_or_unknown(pair, "blpop", "blpop", ["missing", "l1"], 1)
    differential_or_unknown(pair, "brpop", "brpop", "l2", timeout=1)
    differential_or_unknown(pair, "blpop", "blpop", ("l2",), None)
    differential_or_unknown(pair, "brpoplpush", "brpoplpush", "l1", "l3", 1)
    differential_or_unknown(pair, "brpoplpush", "brpoplpush", "l1", "l3", None)
    differential_or_unknown(pair, "blmove", "blmove", "l1", "l3", 1, "RIGHT", "LEFT")
    differential_or_unknown(pair, "blmove", "blmove", "l1", "l3", 0.5)
    differential_or_unknown(pair, "blmpop", "blmpop", 1, 2, "missing", "l1", direction="LEFT")
    differential_or_unknown(pair, "blmpop", "blmpop", 1, 1, "l1", direction="RIGHT", count=3)
    pair.same_data()


def test_blocking_pops_argv():
    for args, kwargs in [((["a", "b"], 3), {}), (("a",), {}), ((("a", "b"), None), {}),
                         (("a", 0.5), {})]:
        sent_by_mixin(ListCommands, "blpop", *args, **kwargs)
        sent_by_mixin(ListCommands, "brpop", *args, **kwargs)
    sent_by_mixin(ListCommands, "brpoplpush", "a", "b")
    sent_by_mixin(ListCommands, "brpoplpush", "a", "b", None)
    sent_by_mixin(ListCommands, "brpoplpush", "a", "b", 2.5)
    sent_by_mixin(ListCommands, "blmove", "a", "b", 1)
    sent_by_mixin(ListCommands, "blmove", "a", "b", 1, "RIGHT", "LEFT")
    sent_by_mixin(ListCommands, "blmpop", 1, 2, "a", "b", direction="LEFT")
    sent_by_mixin(ListCommands, "blmpop", 0, 1, "a", direction="RIGHT", count=5)
    sent_by_mixin(ListCommands, "blmpop", 0, 1, "a", direction="RIGHT", count=None)
    sent_by_mixin(ListCommands, "blmovem", "a", "b", 1, count=2, mode="EXACTLY", ordering="OBO")
    sent_by_mixin(ListCommands, "blmovem", "a", "b", 1, mode="EXACTLY")


# -- errors, encodings, protocols ----------------------------------------


def test_wrong_type(pair):
    pair.set("s", "v")
    pair.hset("h", "f", "v")
    for key in ["s", "h"]:
        for method, args, kwargs in [
            ("lpush", (key, "a"), {}), ("rpush", (key, "a"), {}), ("lpushx", (key, "a"), {}),
            ("rpushx", (key, "a"), {}), ("lpop", (key,), {}), ("rpop", (key, 2), {}),
            ("llen", (key,), {}), ("lindex", (key, 0), {}), ("lrange", (key, 0, -1), {}),
            ("linsert", (key, "BEFORE", "a", "b"), {}), ("lset", (key, 0, "a"), {}),
            ("ltrim", (key, 0, 1), {}), ("lrem", (key, 0, "a"), {}), ("lpos", (key, "a"), {}),
            ("lmove", (key, "dst"), {}), ("rpoplpush", (key, "dst"), {}),
            ("lmpop", (1, key), {"direction": "LEFT"}),
        ]:
            pair.call(method, *args, **kwargs)
    pair.same_data()


def test_non_utf8(pair):
    pair.rpush("l", b"\xff", "ok", b"\xfe\xfd")
    pair.lrange("l", 0, -1)
    pair.lindex("l", 0)
    pair.lindex("l", 1)
    pair.lpos("l", b"\xfe\xfd")
    pair.lrem("l", 0, b"\xfe\xfd")
    pair.lmpop(1, "l", direction="RIGHT")
    pair.rpush("l", b"\xc3")
    pair.lmove("l", "m", "RIGHT", "LEFT")
    pair.rpoplpush("l", "m")
    pair.lpop("l", 5)
    pair.rpop("m")
    if not pair.decode:  # decoding the dump would fail on both sides alike
        pair.same_data()


def test_resp2_shapes(proto_pair):
    p = proto_pair
    _seed(p)
    p.lrange("l", 0, -1)
    p.lpop("l", 2)
    p.lpos("l", "b", count=0)
    p.lmpop(1, "l", direction="LEFT", count=2)
    p.lmpop(1, "missing", direction="LEFT")
    p.lset("l", 0, "x")
    p.ltrim("l", 0, 5)
    p.same_data()


# -- the Python methods: pipelines, native fallbacks, argv -----------------


def _list_script(c):
    """The same list commands on a client or pipeline ``c``."""
    c.rpush("l", "a", "b", "c", "b")
    c.lpush("l", "z")
    c.lpushx("l", "y")
    c.rpushx("nope", "y")
    c.llen("l")
    c.lrange("l", 0, -1)
    c.lindex("l", -1)
    c.linsert("l", "AFTER", "a", "a2")
    c.lset("l", 0, "Y")
    c.lrem("l", 0, "b")
    c.lpos("l", "a2")
    c.lpos("l", "c", count=0)
    c.ltrim("l", 0, 4)
    c.lmove("l", "m", "LEFT", "RIGHT")
    c.rpoplpush("l", "m")
    c.lmpop(2, "nope", "l", direction="RIGHT", count=2)
    c.lpop("m")
    c.rpop("m", 5)
    c.rpop("nope")
    c.lpop("nope", 2)
    c.lset("nope", 0, "x")
    c.set("s", "v")
    c.lpush("s", "x")
    c.lmovem("l", "m")


def test_pipeline(pair):
    results = assert_same_pipeline(pair, _list_script)
    assert results[0] == 4


def test_native_methods_have_python_twins(pair):
    """Each native list method's pure-Python mixin method (what a pipeline
    runs) gives redis-py's results too."""
    for name in ["lpush", "rpush", "lpop", "rpop", "llen", "lrange"]:
        assert getattr(kvstore.Redis, name) is not getattr(ListCommands, name)
    m = ListCommands
    assert_mixin_matches(pair, m, "rpush", "l", "a", "b", "c", "d")
    assert_mixin_matches(pair, m, "lpush", "l", "x", 1)
    assert_mixin_matches(pair, m, "lpush", "l")
    assert_mixin_matches(pair, m, "rpush", "l", None)
    assert_mixin_matches(pair, m, "llen", "l")
    assert_mixin_matches(pair, m, "llen", "missing")
    assert_mixin_matches(pair, m, "lrange", "l", 1, -2)
    assert_mixin_matches(pair, m, "lrange", "l", "x", 1)
    assert_mixin_matches(pair, m, "lpop", "l")
    assert_mixin_matches(pair, m, "lpop", "l", 2)
    assert_mixin_matches(pair, m, "rpop", "l")
    assert_mixin_matches(pair, m, "rpop", "l", 0)
    assert_mixin_matches(pair, m, "rpop", "missing", 2)
    assert_mixin_matches(pair, m, "lpop", "l", -1)
    pair.same_data()


def test_argv_matches_redis_py():
    m = ListCommands
    sent_by_mixin(m, "lmpop", 2, "a", "b", direction="LEFT")
    sent_by_mixin(m, "lmpop", 1, "a", direction="RIGHT", count=3)
    sent_by_mixin(m, "lindex", "l", -1)
    sent_by_mixin(m, "linsert", "l", "BEFORE", "p", "v")
    sent_by_mixin(m, "llen", "l")
    sent_by_mixin(m, "lmove", "a", "b")
    sent_by_mixin(m, "lmove", "a", "b", "RIGHT", "LEFT")
    sent_by_mixin(m, "lmovem", "a", "b", count=1, ordering="BULK")
    sent_by_mixin(m, "lmovem", "a", "b", "LEFT", "LEFT", 3, "EXACTLY", "OBO")
    sent_by_mixin(m, "lmovem", "a", "b", mode="COUNT")
    sent_by_mixin(m, "lmovem", "a", "b", count=1)
    sent_by_mixin(m, "lpop", "l")
    sent_by_mixin(m, "lpop", "l", 2)
    sent_by_mixin(m, "lpos", "l", "v", 1, 2, 3)
    sent_by_mixin(m, "lpos", "l", "v", maxlen=0)
    sent_by_mixin(m, "lpush", "l", "a", "b")
    sent_by_mixin(m, "lpushx", "l", "a")
    sent_by_mixin(m, "lrange", "l", 0, -1)
    sent_by_mixin(m, "lrem", "l", -2, "v")
    sent_by_mixin(m, "lset", "l", 0, "v")
    sent_by_mixin(m, "ltrim", "l", 0, 1)
    sent_by_mixin(m, "rpop", "l")
    sent_by_mixin(m, "rpop", "l", 0)
    sent_by_mixin(m, "rpoplpush", "a", "b")
    sent_by_mixin(m, "rpush", "l", "a")
    sent_by_mixin(m, "rpushx", "l", "a", "b")


# -- random differential sequences ---------------------------------------

_KEYS = ["l1", "l2", "l3", "str"]
_VALUES = ["a", "b", "c", "", "1", 10**20, b"\x00", 2.5]


def _random_call(rng):
    k = rng.choice(_KEYS)
    k2 = rng.choice(_KEYS)
    v = rng.choice(_VALUES)
    i = rng.randint(-5, 5)
    side = rng.choice(["LEFT", "RIGHT"])
    return rng.choice([
        ("lpush", (k, v, rng.choice(_VALUES)), {}),
        ("rpush", (k, v), {}),
        ("lpushx", (k, v), {}),
        ("rpushx", (k, v), {}),
        ("lpop", (k,), {}),
        ("rpop", (k,), {"count": rng.choice([None, 0, 1, 3])}),
        ("lpop", (k, rng.randint(0, 3)), {}),
        ("llen", (k,), {}),
        ("lindex", (k, i), {}),
        ("lrange", (k, i, rng.randint(-5, 5)), {}),
        ("linsert", (k, rng.choice(["BEFORE", "AFTER"]), rng.choice(_VALUES), v), {}),
        ("lset", (k, i, v), {}),
        ("ltrim", (k, i, rng.randint(-5, 5)), {}),
        ("lrem", (k, rng.randint(-2, 2), v), {}),
        ("lpos", (k, v), {"rank": rng.choice([None, 1, -1, 2]), "count": rng.choice([None, 0, 2])}),
        ("lmove", (k, k2, side, rng.choice(["LEFT", "RIGHT"])), {}),
        ("rpoplpush", (k, k2), {}),
        ("lmpop", (2, k, k2), {"direction": side, "count": rng.randint(1, 3)}),
        ("delete", (k,), {}),
    ])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_sequences(pair, seed):
    rng = random.Random(seed)
    pair.set("str", "not a list")
    for _ in range(500):
        method, args, kwargs = _random_call(rng)
        pair.call(method, *args, **kwargs)
    pair.same_data()


def test_engine_command_table_has_family():
    for name in ["lindex", "linsert", "llen", "lmove", "lmpop", "lpop", "lpos", "lpush",
                 "lpushx", "lrange", "lrem", "lset", "ltrim", "rpop", "rpoplpush", "rpush",
                 "rpushx"]:
        assert engine_runs(name), name
        assert callable(getattr(kvstore.Redis, name))
