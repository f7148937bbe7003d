"""Hash methods: kvstore.Redis against redis-py + redis-server 7.0.

HKEYS/HVALS and HRANDFIELD lists are compared order-insensitively: the
order of a small hash's fields is not part of the contract (and the
engine's currently differs from Redis's listpack order)."""

import datetime
import random
import warnings

import pytest
import redis

import kvstore
from conftest import outcome
from engine_support import engine_runs
from family_support import (
    assert_mixin_matches,
    assert_same_pipeline,
    sent_by_mixin,
    sorted_reply,
)
from kvstore.commands.hash import HashCommands, HashDataPersistOptions


def _seed(pair, key="h"):
    return pair.hset(key, mapping={"a": "1", "b": "two", "c": "3.5", "empty": ""})


# -- HSET and friends ----------------------------------------------------


def test_hset_forms(pair):
    assert pair.hset("h", "f", "v") == 1
    assert pair.hset("h", "f", "w") == 0
    pair.hset("h", mapping={"g": 1, "h": 2.5, b"raw": b"\x00\x01"})
    pair.hset("h", items=["i1", "v1", "i2", "v2"])
    pair.hset("h", "k", "v", mapping={"m": "x"}, items=["it", "y"])
    pair.hset("h", key="f", value="z")
    pair.hset("h", "big", 10**30)
    pair.hset("h", "neg", -(2**63))
    pair.hset("h", 7, 8)
    pair.hset("h", "", "")
    pair.hset("h", "f", mapping={})
    pair.hset("h", "f", "dup", mapping={"f": "dup2"})
    pair.hgetall("h")
    pair.same_data()


def test_hset_client_side_errors(pair):
    pair.hset("h")
    pair.hset("h", mapping={})
    pair.hset("h", items=[])
    pair.hset("h", None, "v")
    pair.hset("h", "f")
    pair.hset("h", "f", None)
    pair.hset("h", "f", True)
    pair.hset("h", True, "v")
    pair.hset("h", mapping={"a": None})
    pair.hset("h", mapping={"a": False})
    pair.hset("h", items=["a"])
    pair.hset("h", items=["a", "b", "c"])
    pair.hset(None, "f", "v")
    pair.hset("h", "f", [1])
    pair.hset("h", "f", {"a": 1})
    pair.exists("h")
    pair.same_data()


def test_hsetnx(pair):
    assert pair.hsetnx("h", "f", "v") == 1
    assert pair.hsetnx("h", "f", "w") == 0
    pair.hsetnx("h", "g", 1.5)
    pair.hsetnx("h", "g", None)
    pair.hget("h", "f")
    pair.same_data()


def test_hmset_warns_like_redis_py(pair):
    for client in (pair.kv, pair.rp):
        with pytest.warns(DeprecationWarning) as caught:
            client.hmset("h", {"a": 1})
        assert [str(w.message) for w in caught] == [
            "Call to deprecated hmset. (Use 'hset' instead.) -- Deprecated since version 4.0.0."]
        assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert pair.hmset("h", {"a": 2, "b": b"x", "c": 3.25}) is True
        pair.hmset("h", {})
        pair.hmset("h", {"a": None})
        pair.set("s", "v")
        pair.hmset("s", {"a": 1})
    pair.hgetall("h")
    pair.same_data()


# -- reads ---------------------------------------------------------------


def test_reads(pair):
    _seed(pair)
    for field in ["a", "b", "empty", "missing", b"a", 1]:
        pair.hget("h", field)
        pair.hexists("h", field)
        pair.hstrlen("h", field)
    pair.hget("missing", "a")
    pair.hexists("missing", "a")
    pair.hstrlen("missing", "a")
    pair.hlen("h")
    pair.hlen("missing")
    assert pair.hgetall("h") == {k: v for k, v in pair.kv.hgetall("h").items()}
    pair.hgetall("missing")
    pair.unordered("hkeys", "h")
    pair.unordered("hvals", "h")
    assert pair.hkeys("missing") == []
    pair.hvals("missing")
    pair.hget("h", None)
    pair.hget("h", True)


def test_hmget(pair):
    _seed(pair)
    pair.hmget("h", ["a", "missing", "b"])
    pair.hmget("h", "a", "b", "nope")
    pair.hmget("h", "a")
    pair.hmget("h", ("a", "c"), "empty")
    pair.hmget("h", b"a")
    pair.hmget("h", 1)
    pair.hmget("missing", ["a", "b"])
    pair.hmget("h", [])
    pair.hmget("h", ["a", None])


def test_hdel(pair):
    _seed(pair)
    assert pair.hdel("h", "a", "a", "missing") == 1
    pair.hdel("h")
    pair.hdel("missing", "a")
    pair.hdel("h", "b", "c", "empty")
    pair.exists("h")
    pair.hdel("h", None)
    pair.same_data()


def test_hincrby(pair):
    pair.hset("h", mapping={"n": 10, "s": "abc", "f": "1.5", "max": 2**63 - 1, "min": -(2**63),
                            "sp": " 1", "lead": "01"})
    assert pair.hincrby("h", "n") == 11
    pair.hincrby("h", "n", -20)
    pair.hincrby("h", "new", 5)
    pair.hincrby("fresh", "x")
    for field in ["s", "f", "sp", "lead"]:
        pair.hincrby("h", field)
    pair.hincrby("h", "max", 1)
    pair.hincrby("h", "min", -1)
    pair.hincrby("h", "n", 10**30)
    pair.hincrby("h", "n", 1.5)
    pair.hincrby("h", "n", "x")
    pair.hincrby("h", "n", True)
    pair.hincrby("h", "n", 2**63)
    pair.hincrby("h", "n", -(2**63))
    pair.same_data()


def test_hincrbyfloat(pair):
    pair.hset("h", mapping={"n": 10, "s": "abc", "f": "1.5", "e": "1e3", "inf": "inf",
                            "sp": "1.5 ", "big": 10**30, "hexf": "0x10"})
    assert pair.hincrbyfloat("h", "n") == 11.0
    pair.hincrbyfloat("h", "f", 0.1)
    pair.hincrbyfloat("h", "f", -0.1)
    pair.hincrbyfloat("h", "e", 2.5)
    pair.hincrbyfloat("h", "new", 3)
    pair.hincrbyfloat("h", "big", 1)
    for field in ["s", "inf", "sp", "hexf"]:
        pair.hincrbyfloat("h", field)
    pair.hincrbyfloat("h", "n", "inf")
    pair.hincrbyfloat("h", "n", "nan")
    pair.hincrbyfloat("h", "n", "x")
    pair.hincrbyfloat("h", "n", 1e308)
    pair.hincrbyfloat("h", "n", 1e308)
    pair.hincrbyfloat("h", "n", None)
    pair.hincrbyfloat("h", "n", "1e-5")
    pair.hgetall("h")
    pair.same_data()


def test_hrandfield(pair):
    pair.hset("one", "only", "v")
    pair.hrandfield("one")
    pair.hrandfield("one", 1)
    pair.hrandfield("one", 3, withvalues=True)
    pair.hrandfield("one", -3)
    pair.hrandfield("one", -2, withvalues=True)
    pair.hrandfield("one", 0)
    pair.hrandfield("one", 0, withvalues=True)
    pair.hrandfield("missing")
    pair.hrandfield("missing", 2)
    pair.hrandfield("missing", 2, withvalues=True)
    pair.hrandfield("one", "x")
    pair.hrandfield("one", withvalues=True)
    _seed(pair)
    everything = pair.unordered("hrandfield", "h", 10)
    assert len(everything) == 4
    kv = pair.kv.hrandfield("h", 10, withvalues=True)
    rp = pair.rp.hrandfield("h", 10, withvalues=True)
    assert sorted(zip(kv[::2], kv[1::2])) == sorted(zip(rp[::2], rp[1::2]))
    fields = set(pair.kv.hkeys("h"))
    assert pair.kv.hrandfield("h") in fields
    assert len(pair.kv.hrandfield("h", -20)) == 20
    assert set(pair.kv.hrandfield("h", -20)) <= fields
    assert len(set(pair.kv.hrandfield("h", 3))) == 3
    flat = pair.kv.hrandfield("h", -5, withvalues=True)
    assert len(flat) == 10
    assert all(pair.kv.hget("h", f) == v for f, v in zip(flat[::2], flat[1::2]))


def test_hscan(pair):
    _seed(pair)
    pair.hscan("h")
    pair.hscan("h", match="[ab]")
    pair.hscan("h", count=1)
    pair.hscan("h", cursor=0, match="*", count=100)
    pair.hscan("missing")
    pair.hscan("h", cursor="x")
    pair.hscan("h", count=0)
    pair.hscan("h", match=b"e*")
    # NOVALUES is Redis 7.4: both answer with 7.0's syntax error.
    pair.hscan("h", no_values=True)
    pair.hscan("h", no_values=False)
    assert sorted(pair.kv.hscan_iter("h", match="a*")) == sorted(pair.rp.hscan_iter("h", match="a*"))
    pair.hset("big", mapping={f"f{i}": i for i in range(300)})
    got = list(pair.kv.hscan_iter("big", count=7))
    want = list(pair.rp.hscan_iter("big", count=7))
    assert sorted(got) == sorted(want)
    assert len(got) == 300
    assert sorted(pair.kv.hscan_iter("big", match="f1?")) == sorted(
        pair.rp.hscan_iter("big", match="f1?"))
    assert outcome(lambda c: list(c.hscan_iter("h", no_values=True)), pair.kv) == \
        outcome(lambda c: list(c.hscan_iter("h", no_values=True)), pair.rp)


# -- Redis 7.4 / 8 field expiry -------------------------------------------


def test_field_expiry_methods_answer_like_redis_7(pair):
    """Redis 7.0 has none of these commands: the same "unknown command"
    error from both (or the same client-side error)."""
    _seed(pair)
    in_an_hour = datetime.datetime.now() + datetime.timedelta(hours=1)
    pair.hgetdel("h", "a", "b")
    pair.hgetdel("h")
    pair.hgetex("h", "a")
    pair.hgetex("h", "a", "b", ex=10)
    pair.hgetex("h", "a", px=datetime.timedelta(seconds=3))
    pair.hgetex("h", "a", exat=in_an_hour)
    pair.hgetex("h", "a", pxat=123456789000)
    pair.hgetex("h", "a", persist=True)
    pair.hgetex("h")
    pair.hgetex("h", "a", ex=1, px=1)
    pair.hgetex("h", "a", ex=1, persist=True)
    pair.hgetex("h", "a", ex="12")
    pair.hgetex("h", "a", ex="x")
    pair.hgetex("h", "a", px=1.5)
    pair.hsetex("h", "f", "v")
    pair.hsetex("h", mapping={"a": 1}, items=["b", 2], ex=datetime.timedelta(minutes=1))
    pair.hsetex("h", "f", "v", px=100, data_persist_option=HashDataPersistOptions.FNX)
    pair.hsetex("h", "f", "v", data_persist_option=redis.commands.core.HashDataPersistOptions.FXX,
                keepttl=True)
    pair.hsetex("h", "f", "v", exat=in_an_hour)
    pair.hsetex("h", "f", "v", pxat=in_an_hour)
    pair.hsetex("h")
    pair.hsetex("h", items=["a", 1, "b"])
    pair.hsetex("h", "f", "v", ex=1, keepttl=True)
    pair.hsetex("h", "f", "v", ex=1.5)
    for method in ["hexpire", "hpexpire", "hexpireat", "hpexpireat"]:
        pair.call(method, "h", 100, "a", "b")
        pair.call(method, "h", 100, "a", nx=True)
        pair.call(method, "h", 100, "a", xx=True)
        pair.call(method, "h", 100, "a", gt=True)
        pair.call(method, "h", 100, "a", lt=True)
        pair.call(method, "h", 100, "a", nx=True, lt=True)
        pair.call(method, "h", 100)
    pair.hexpire("h", datetime.timedelta(seconds=90), "a")
    pair.hpexpire("h", datetime.timedelta(seconds=90), "a")
    pair.hexpireat("h", in_an_hour, "a")
    pair.hpexpireat("h", in_an_hour, "a")
    for method in ["hpersist", "hexpiretime", "hpexpiretime", "httl", "hpttl"]:
        pair.call(method, "h", "a", "b")
        pair.call(method, "h")
    for command in ["hgetdel", "hgetex", "hsetex", "hexpire", "httl", "hpersist"]:
        assert not engine_runs(command)
    pair.same_data()


def test_field_expiry_argv():
    when = datetime.datetime(2030, 1, 2, 3, 4, 5)
    sent_by_mixin(HashCommands, "hgetdel", "h", "a", "b")
    sent_by_mixin(HashCommands, "hgetex", "h", "a", "b", ex=datetime.timedelta(seconds=5))
    sent_by_mixin(HashCommands, "hgetex", "h", "a", px=7)
    sent_by_mixin(HashCommands, "hgetex", "h", "a", exat=when)
    sent_by_mixin(HashCommands, "hgetex", "h", "a", pxat=when)
    sent_by_mixin(HashCommands, "hgetex", "h", "a", persist=True)
    sent_by_mixin(HashCommands, "hgetex", "h", "a", ex="15")
    sent_by_mixin(HashCommands, "hsetex", "h", "f", "v", mapping={"m": 1}, items=["i", 2], ex=3,
         data_persist_option=HashDataPersistOptions.FXX)
    sent_by_mixin(HashCommands, "hsetex", "h", "f", "v", px=datetime.timedelta(milliseconds=1500), keepttl=False)
    sent_by_mixin(HashCommands, "hsetex", "h", "f", "v", keepttl=True)
    sent_by_mixin(HashCommands, "hsetex", "h", items=["a", 1, "b", 2], exat=when)
    sent_by_mixin(HashCommands, "hsetex", "h", "f", "v", pxat=when)
    sent_by_mixin(HashCommands, "hexpire", "h", datetime.timedelta(seconds=5), "a", "b", xx=True)
    sent_by_mixin(HashCommands, "hpexpire", "h", datetime.timedelta(seconds=5), "a", gt=True)
    sent_by_mixin(HashCommands, "hexpireat", "h", when, "a", nx=True)
    sent_by_mixin(HashCommands, "hpexpireat", "h", when, "a", lt=True)
    sent_by_mixin(HashCommands, "hpersist", "h", "a")
    sent_by_mixin(HashCommands, "hexpiretime", "h", "a", "b")
    sent_by_mixin(HashCommands, "hpexpiretime", "h", "a")
    sent_by_mixin(HashCommands, "httl", "h", "a")
    sent_by_mixin(HashCommands, "hpttl", "h", "a", "b")
    sent_by_mixin(HashCommands, "hexpire", "h", 5, "a", xx=True, lt=True)


# -- errors, encodings, protocols ----------------------------------------


def test_wrong_type(pair):
    pair.set("s", "v")
    pair.rpush("l", "x")
    for key in ["s", "l"]:
        for method, args in [
            ("hset", (key, "f", "v")), ("hset", (key,), ), ("hget", (key, "f")),
            ("hgetall", (key,)), ("hkeys", (key,)), ("hvals", (key,)), ("hlen", (key,)),
            ("hexists", (key, "f")), ("hdel", (key, "f")), ("hincrby", (key, "f")),
            ("hincrbyfloat", (key, "f")), ("hsetnx", (key, "f", "v")), ("hmget", (key, ["f"])),
            ("hstrlen", (key, "f")), ("hrandfield", (key,)), ("hrandfield", (key, 2, True)),
            ("hscan", (key,)),
        ]:
            pair.call(method, *args)
    pair.same_data()


def test_non_utf8(pair):
    """Undecodable bytes: the same values with bytes replies, the same
    UnicodeDecodeError with decode_responses=True (one bad byte per hash,
    so the error does not depend on field order)."""
    pair.hset("h", b"\xff", b"\xfe")
    pair.hset("v", mapping={"ok": b"\xc3", "fine": "x"})
    pair.hget("h", b"\xff")
    pair.hget("v", "ok")
    pair.hget("v", "fine")
    for key in ["h", "v"]:
        pair.hgetall(key)
        pair.unordered("hkeys", key)
        pair.unordered("hvals", key)
        pair.hscan(key)
        pair.unordered("hrandfield", key, 5)
    pair.hmget("v", ["ok", "fine"])
    pair.hrandfield("h")
    pair.hstrlen("v", "ok")
    pair.hdel("h", b"\xff")
    pair.hdel("v", "ok")
    pair.same_data()


def test_resp2_shapes(proto_pair):
    p = proto_pair
    _seed(p)
    p.hgetall("h")
    p.hgetall("missing")
    p.hincrbyfloat("h", "c", 1)
    p.hexists("h", "a")
    p.hset("one", "only", "1")
    p.hrandfield("one", 2, withvalues=True)
    p.hrandfield("one", -2, withvalues=True)
    p.hrandfield("one", 1)
    p.hscan("h")
    p.hmget("h", ["a", "x"])
    p.hsetnx("h", "a", "z")
    p.same_data()


# -- the Python methods: pipelines, native fallbacks, argv -----------------


def _hash_script(c):
    """The same hash commands on a client or pipeline ``c``."""
    c.hset("h", "a", "1")
    c.hset("h", mapping={"b": "2", "c": 3.5})
    c.hset("h", items=["d", "4"])
    c.hsetnx("h", "a", "x")
    c.hget("h", "a")
    c.hget("h", "zz")
    c.hgetall("h")
    c.hmget("h", ["a", "zz", "c"])
    c.hlen("h")
    c.hexists("h", "b")
    c.hexists("h", "zz")
    c.hstrlen("h", "c")
    c.hincrby("h", "a")
    c.hincrby("h", "a", 10)
    c.hincrbyfloat("h", "c", 0.25)
    c.hincrbyfloat("h", "b")
    c.hincrby("h", "c")
    c.hdel("h", "d", "zz")
    c.hkeys("h")
    c.hvals("h")
    c.hscan("h")
    c.hset("one", "f", "v")
    c.hrandfield("one")
    c.hrandfield("one", -2, withvalues=True)
    c.hgetall("missing")
    c.set("s", "v")
    c.hget("s", "a")
    c.hgetex("h", "a", ex=1)
    c.hexpire("h", 10, "a")


def test_pipeline(pair):
    def canon(i, r):
        return sorted_reply(r) if i in (18, 19) else r  # HKEYS, HVALS

    results = assert_same_pipeline(pair, _hash_script, canon)
    assert results[0] == 1


NATIVE = ["hget", "hset", "hgetall", "hkeys", "hvals", "hlen", "hexists", "hdel", "hincrby"]


def test_native_methods_have_python_twins(pair):
    """Each native hash method's pure-Python mixin method (what a pipeline
    runs) gives redis-py's results too."""
    for name in NATIVE:
        assert getattr(kvstore.Redis, name) is not getattr(HashCommands, name)
    _seed(pair)
    m = HashCommands
    assert_mixin_matches(pair, m, "hset", "h", "x", "1")
    assert_mixin_matches(pair, m, "hset", "h", mapping={"y": 2}, items=["z", 3])
    assert_mixin_matches(pair, m, "hset", "h")
    assert_mixin_matches(pair, m, "hset", "h", "x", None)
    assert_mixin_matches(pair, m, "hget", "h", "x")
    assert_mixin_matches(pair, m, "hget", "h", "nope")
    assert_mixin_matches(pair, m, "hgetall", "h")
    assert_mixin_matches(pair, m, "hgetall", "missing")
    assert_mixin_matches(pair, m, "hlen", "h")
    assert_mixin_matches(pair, m, "hexists", "h", "x")
    assert_mixin_matches(pair, m, "hexists", "h", "nope")
    assert_mixin_matches(pair, m, "hincrby", "h", "x")
    assert_mixin_matches(pair, m, "hincrby", "h", "x", -5)
    assert_mixin_matches(pair, m, "hincrby", "h", "b")
    assert_mixin_matches(pair, m, "hincrby", "h", "x", None)
    assert_mixin_matches(pair, m, "hdel", "h", "x", "nope")
    for name in ["hkeys", "hvals"]:
        got = sorted(getattr(m, name)(pair.kv, "h"))
        assert got == sorted(getattr(pair.rp, name)("h"))
    # The native hset hands every non-plain form to the Python method.
    assert pair.hset("h", "k", "v", mapping={"m": 1}) == 2
    pair.same_data()


def test_native_hincrby_rejects_none(pair):
    pair.hset("h", "n", 1)
    pair.hincrby("h", "n", None)


def test_argv_matches_redis_py():
    sent_by_mixin(HashCommands, "hdel", "h", "a", "b")
    sent_by_mixin(HashCommands, "hexists", "h", "a")
    sent_by_mixin(HashCommands, "hget", "h", "a")
    sent_by_mixin(HashCommands, "hgetall", "h")
    sent_by_mixin(HashCommands, "hincrby", "h", "a")
    sent_by_mixin(HashCommands, "hincrby", "h", "a", 5)
    sent_by_mixin(HashCommands, "hincrbyfloat", "h", "a")
    sent_by_mixin(HashCommands, "hincrbyfloat", "h", "a", 2.5)
    sent_by_mixin(HashCommands, "hkeys", "h")
    sent_by_mixin(HashCommands, "hlen", "h")
    sent_by_mixin(HashCommands, "hset", "h", "k", "v", {"m": 1}, ["i", 2])
    sent_by_mixin(HashCommands, "hset", "h", items=["a", "b"])
    sent_by_mixin(HashCommands, "hset", "h")
    sent_by_mixin(HashCommands, "hsetnx", "h", "a", "b")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sent_by_mixin(HashCommands, "hmset", "h", {"a": 1, "b": 2})
        sent_by_mixin(HashCommands, "hmset", "h", {})
    sent_by_mixin(HashCommands, "hmget", "h", ["a", "b"], "c")
    sent_by_mixin(HashCommands, "hmget", "h", "a")
    sent_by_mixin(HashCommands, "hvals", "h")
    sent_by_mixin(HashCommands, "hstrlen", "h", "a")
    sent_by_mixin(HashCommands, "hrandfield", "h")
    sent_by_mixin(HashCommands, "hrandfield", "h", -3, True)
    sent_by_mixin(HashCommands, "hrandfield", "h", withvalues=True)
    sent_by_mixin(HashCommands, "hscan", "h", 3, "a*", 10, True)
    sent_by_mixin(HashCommands, "hscan", "h", no_values=False)
    sent_by_mixin(HashCommands, "hscan", "h")


# -- random differential sequences ---------------------------------------

_KEYS = ["h1", "h2", "h3", "str"]
_FIELDS = ["a", "b", "c", "d", "e", 1]
_VALUES = ["x", "", "1", "-7", "2.5", "1e3", 10**20, b"\x00", 42, 0.5]


def _random_call(rng):
    k = rng.choice(_KEYS)
    f = rng.choice(_FIELDS)
    v = rng.choice(_VALUES)
    return rng.choice([
        ("hset", (k, f, v), {}),
        ("hset", (k,), {"mapping": {x: rng.choice(_VALUES) for x in rng.sample(_FIELDS, 2)}}),
        ("hset", (k,), {"items": [f, v, rng.choice(_FIELDS), rng.choice(_VALUES)]}),
        ("hsetnx", (k, f, v), {}),
        ("hget", (k, f), {}),
        ("hmget", (k, rng.sample(_FIELDS, 3)), {}),
        ("hgetall", (k,), {}),
        ("hdel", (k, f, rng.choice(_FIELDS)), {}),
        ("hlen", (k,), {}),
        ("hexists", (k, f), {}),
        ("hstrlen", (k, f), {}),
        ("hincrby", (k, f, rng.choice([1, -3, 10**6])), {}),
        ("hincrbyfloat", (k, f, rng.choice([0.5, -1, "1e2"])), {}),
        ("hkeys", (k,), {}),
        ("hvals", (k,), {}),
        ("hscan", (k,), {"match": rng.choice([None, "[ab]*", "c"])}),
        ("hrandfield", (k,), {"count": 10}),
        ("delete", (k,), {}),
    ])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_sequences(pair, seed):
    rng = random.Random(seed)
    pair.set("str", "not a hash")
    for _ in range(500):
        method, args, kwargs = _random_call(rng)
        if method in ("hkeys", "hvals", "hrandfield"):
            pair.unordered(method, *args, **kwargs)
        else:
            pair.call(method, *args, **kwargs)
    pair.same_data()


def test_engine_command_table_has_family():
    for name in ["hdel", "hexists", "hget", "hgetall", "hincrby", "hincrbyfloat", "hkeys",
                 "hlen", "hset", "hsetnx", "hmset", "hmget", "hvals", "hstrlen", "hrandfield",
                 "hscan"]:
        assert engine_runs(name), name
        assert callable(getattr(kvstore.Redis, name))
