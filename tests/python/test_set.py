"""Set methods: kvstore.Redis against redis-py + redis-server 7.0.

Replies that are Python sets compare exactly; list replies of members
(SPOP/SRANDMEMBER with a count, SSCAN pages of big sets) are compared as
multisets or by property where Redis picks at random."""

import random

import pytest

import kvstore
from conftest import outcome
from engine_support import engine_runs
from family_support import (
    assert_mixin_matches,
    assert_same_pipeline,
    sent_by_mixin,
    sorted_reply,
)
from kvstore.commands.set import SetCommands


def _seed(pair):
    pair.sadd("s1", "a", "b", "c", "d")
    pair.sadd("s2", "c", "d", "e")
    pair.sadd("ints", 1, 2, 3, -5, 10**18)


def _scan_canon(page):
    """An SSCAN ``(cursor, members)`` page with its members sorted (other
    values unchanged): a page's order is not part of the contract."""
    if isinstance(page, tuple) and len(page) == 2 and isinstance(page[1], list):
        return page[0], sorted_reply(page[1])
    return page


def _sscan(pair, *args, **kwargs):
    """``pair.sscan(...)`` with each page's members compared as a multiset
    (Redis 7.0 keeps small non-integer sets in a hash table, whose order
    depends on the server's hash seed)."""
    got, want = (outcome(c.sscan, *args, **kwargs) for c in (pair.kv, pair.rp))
    got, want = ((o[0], _scan_canon(o[1])) if o[0] == "ok" else o for o in (got, want))
    assert got == want, f"sscan{args}{kwargs}:\n kvstore: {got!r}\n redis:   {want!r}"
    return got


# -- membership ----------------------------------------------------------


def test_sadd_srem(pair):
    assert pair.sadd("s", "a", "b", "a") == 2
    pair.sadd("s", 1, 2.5, b"\x00", "", 10**30)
    pair.sadd("s")
    pair.sadd("s", None)
    pair.sadd("s", True)
    pair.sadd(None, "a")
    pair.srem("s", "a", "nope", "a")
    pair.srem("s")
    pair.srem("missing", "a")
    pair.srem("s", None)
    pair.sadd("i", 3, 1, 2)
    pair.srem("i", 1, 2, 3)
    pair.exists("i")
    pair.smembers("s")
    pair.same_data()


def test_membership_reads(pair):
    _seed(pair)
    for key in ["s1", "ints", "missing"]:
        pair.smembers(key)
        pair.scard(key)
        for value in ["a", "e", 1, "1", 10**18, "01"]:
            pair.sismember(key, value)
        pair.smismember(key, ["a", "e", 1, "x"])
        pair.smismember(key, "a", "b")
        pair.smismember(key, "a")
        pair.smismember(key, ("c",), "d")
    pair.smismember("s1", [])
    pair.sismember("s1", None)


def test_smove(pair):
    _seed(pair)
    assert pair.smove("s1", "s2", "a") is True
    assert pair.smove("s1", "s2", "a") is False
    pair.smove("s1", "s2", "c")
    pair.smove("s1", "new", "b")
    pair.smove("s1", "s1", "d")
    pair.smove("missing", "s1", "a")
    pair.smove("ints", "s1", 1)
    pair.set("str", "v")
    pair.smove("s1", "str", "d")
    pair.smove("str", "s1", "d")
    pair.smove("s2", "str", "nope")
    pair.smove("s1", "s2", "d")
    pair.same_data()


def test_spop_srandmember(pair):
    pair.sadd("one", "only")
    pair.srandmember("one")
    pair.srandmember("one", 3)
    pair.srandmember("one", -3)
    pair.srandmember("one", 0)
    pair.srandmember("missing")
    pair.srandmember("missing", 2)
    pair.srandmember("one", "x")
    pair.spop("one", 0)
    pair.spop("one", -1)
    pair.spop("one", "x")
    pair.spop("missing")
    pair.spop("missing", 2)
    pair.spop("one")
    pair.exists("one")
    pair.sadd("two", "p", "q")
    pair.unordered("spop", "two", 5)
    pair.exists("two")
    _seed(pair)
    everything = pair.unordered("srandmember", "s1", 10)
    assert len(everything) == 4
    members = pair.kv.smembers("s1")
    assert pair.kv.srandmember("s1") in members
    assert len(pair.kv.srandmember("s1", -20)) == 20
    assert set(pair.kv.srandmember("s1", -20)) <= members
    assert len(set(pair.kv.srandmember("s1", 3))) == 3
    popped = pair.kv.spop("s1", 2)
    assert len(popped) == 2 and set(popped) <= members
    assert pair.kv.smembers("s1") == members - set(popped)
    assert pair.kv.spop("ints") in {b"1", b"2", b"3", b"-5", b"1000000000000000000",
                                    "1", "2", "3", "-5", "1000000000000000000"}


# -- algebra -------------------------------------------------------------


def test_algebra(pair):
    _seed(pair)
    pair.set("str", "v")
    for keys, args in [(["s1", "s2"], ()), ("s1", ("s2",)), (["s1", "missing"], ()),
                       (("s2",), ()), (["missing"], ()), (["s1", "ints"], ()),
                       ("s1", ("s2", "ints")), (["s1", "str"], ()), (["missing", "str"], ())]:
        pair.sdiff(keys, *args)
        pair.sinter(keys, *args)
        pair.sunion(keys, *args)
        pair.sdiffstore("d1", keys, *args)
        pair.sinterstore("d2", keys, *args)
        pair.sunionstore("d3", keys, *args)
        pair.smembers("d1")
    pair.sunionstore("s1", ["s1", "s2"])
    pair.sinterstore("s2", "s2", "missing")
    pair.exists("s2")
    pair.sdiff([])
    pair.sunionstore("d", [])
    pair.same_data()


def test_sintercard(pair):
    _seed(pair)
    pair.sadd("s3", "c", "x")
    pair.sintercard(2, ["s1", "s2"])
    pair.sintercard(2, ["s1", "s2"], limit=1)
    pair.sintercard(3, ["s1", "s2", "s3"])
    pair.sintercard(1, ["s1"], limit=-1)
    pair.sintercard(2, ["s1", "missing"])
    pair.sintercard(3, ["s1", "s2"])
    pair.sintercard(0, [])
    pair.sintercard(1, ["s1"], limit="x")
    pair.set("str", "v")
    pair.sintercard(2, ["s1", "str"])


def test_card_methods_newer_than_redis_7(pair):
    """SDIFFCARD/SUNIONCARD: the same unknown command from both."""
    _seed(pair)
    pair.sdiffcard(2, ["s1", "s2"])
    pair.sdiffcard(2, ["s1", "s2"], limit=1)
    pair.sunioncard(2, ["s1", "s2"])
    pair.sunioncard(2, ["s1", "s2"], limit=3, approx=True)
    assert not engine_runs("sunioncard") and not engine_runs("sdiffcard")


# -- scan ----------------------------------------------------------------


def test_sscan(pair):
    _seed(pair)
    _sscan(pair, "s1")
    _sscan(pair, "ints")
    _sscan(pair, "s1", match="[ab]")
    # A hash-table set's cursor steps depend on the hash seed: walk fully.
    assert sorted(pair.kv.sscan_iter("s1", count=1)) == sorted(pair.rp.sscan_iter("s1", count=1))
    _sscan(pair, "ints", count=1)
    _sscan(pair, "s1", cursor=0, match="*", count=100)
    _sscan(pair, "missing")
    _sscan(pair, "s1", cursor="x")
    _sscan(pair, "s1", count=0)
    _sscan(pair, "s1", match=b"c*")
    assert sorted(pair.kv.sscan_iter("s1", match="[a-c]")) == sorted(
        pair.rp.sscan_iter("s1", match="[a-c]"))
    pair.sadd("big", *[f"m{i}" for i in range(300)])
    got = list(pair.kv.sscan_iter("big", count=7))
    want = list(pair.rp.sscan_iter("big", count=7))
    assert sorted(got) == sorted(want)
    assert len(got) == 300
    assert sorted(pair.kv.sscan_iter("big", match="m1?")) == sorted(
        pair.rp.sscan_iter("big", match="m1?"))
    pair.set("str", "v")
    assert outcome(lambda c: list(c.sscan_iter("str")), pair.kv) == \
        outcome(lambda c: list(c.sscan_iter("str")), pair.rp)


# -- errors, encodings, protocols ----------------------------------------


def test_wrong_type(pair):
    pair.set("str", "v")
    pair.rpush("l", "x")
    for key in ["str", "l"]:
        for method, args in [
            ("sadd", (key, "a")), ("srem", (key, "a")), ("smembers", (key,)),
            ("sismember", (key, "a")), ("smismember", (key, ["a"])), ("scard", (key,)),
            ("spop", (key,)), ("spop", (key, 2)), ("srandmember", (key,)),
            ("srandmember", (key, 2)), ("smove", (key, "d", "a")), ("sscan", (key,)),
            ("sdiff", ([key],)), ("sinter", ([key],)), ("sunion", ([key],)),
            ("sdiffstore", ("d", [key])), ("sinterstore", ("d", [key])),
            ("sunionstore", ("d", [key])), ("sintercard", (1, [key])),
        ]:
            pair.call(method, *args)
    pair.same_data()


def test_non_utf8(pair):
    pair.sadd("s", b"\xff")
    pair.sadd("t", b"\xfe", "ok")
    pair.smembers("s")
    pair.sismember("s", b"\xff")
    pair.smismember("s", [b"\xff", "x"])
    pair.sscan("s")
    pair.sdiff(["s", "t"])
    pair.sunion("s")
    pair.srandmember("s")
    pair.srandmember("s", 2)
    pair.smove("t", "s", b"\xfe")
    pair.spop("t")
    pair.spop("s", 0)
    pair.srem("s", b"\xff", b"\xfe")
    pair.same_data()


def test_resp2_shapes(proto_pair):
    p = proto_pair
    _seed(p)
    p.smembers("s1")
    p.sdiff(["s1", "s2"])
    p.sinter(["s1", "s2"])
    p.sunion(["s1", "s2"])
    p.smismember("s1", ["a", "z"])
    p.sismember("s1", "a")
    p.smove("s1", "s2", "a")
    p.sscan("ints", match="1*")
    p.sadd("one", "only")
    p.spop("one", 3)
    p.srandmember("s2", 0)
    p.same_data()


# -- the Python methods: pipelines, native fallbacks, argv -----------------


def _set_script(c):
    """The same set commands on a client or pipeline ``c``."""
    c.sadd("s1", "a", "b", "c")
    c.sadd("s2", "b", "c", "d")
    c.sadd("ints", 1, 2, 3)
    c.srem("s1", "a", "zz")
    c.scard("s1")
    c.sismember("s1", "b")
    c.smismember("s1", ["b", "zz"])
    c.smembers("s1")
    c.sdiff(["s2", "s1"])
    c.sinter("s1", "s2")
    c.sunion(["s1", "s2", "ints"])
    c.sdiffstore("d", ["s2", "s1"])
    c.sinterstore("i", "s1", "s2")
    c.sunionstore("u", ["s1", "s2"])
    c.sintercard(2, ["s1", "s2"], limit=1)
    c.smove("s1", "s2", "b")
    c.sscan("ints")
    c.srandmember("d")
    c.spop("d")
    c.spop("missing", 2)
    c.smembers("missing")
    c.set("str", "v")
    c.sadd("str", "x")
    c.sdiffcard(1, ["s1"])


def test_pipeline(pair):
    def canon(i, r):
        return _scan_canon(r) if i == 16 else r  # SSCAN page

    results = assert_same_pipeline(pair, _set_script, canon)
    assert results[0] == 3


def test_native_methods_have_python_twins(pair):
    """Each native set method's pure-Python mixin method (what a pipeline
    runs) gives redis-py's results too."""
    for name in ["sadd", "srem", "smembers", "sismember", "scard"]:
        assert getattr(kvstore.Redis, name) is not getattr(SetCommands, name)
    m = SetCommands
    assert_mixin_matches(pair, m, "sadd", "s", "a", "b", 3)
    assert_mixin_matches(pair, m, "sadd", "s")
    assert_mixin_matches(pair, m, "sadd", "s", None)
    assert_mixin_matches(pair, m, "srem", "s", "a", "zz")
    assert_mixin_matches(pair, m, "smembers", "s")
    assert_mixin_matches(pair, m, "smembers", "missing")
    assert_mixin_matches(pair, m, "sismember", "s", "b")
    assert_mixin_matches(pair, m, "sismember", "s", "zz")
    assert_mixin_matches(pair, m, "scard", "s")
    pair.set("str", "v")
    assert_mixin_matches(pair, m, "smembers", "str")
    pair.same_data()


def test_argv_matches_redis_py():
    m = SetCommands
    sent_by_mixin(m, "sadd", "s", "a", "b")
    sent_by_mixin(m, "scard", "s")
    sent_by_mixin(m, "sdiff", ["a", "b"], "c")
    sent_by_mixin(m, "sdiff", "a")
    sent_by_mixin(m, "sdiffstore", "d", ["a", "b"])
    sent_by_mixin(m, "sdiffcard", 2, ["a", "b"], 3)
    sent_by_mixin(m, "sinter", ("a", "b"))
    sent_by_mixin(m, "sintercard", 2, ["a", "b"])
    sent_by_mixin(m, "sinterstore", "d", "a", "b")
    sent_by_mixin(m, "sismember", "s", "a")
    sent_by_mixin(m, "smembers", "s")
    sent_by_mixin(m, "smismember", "s", ["a", "b"], "c")
    sent_by_mixin(m, "smove", "a", "b", "m")
    sent_by_mixin(m, "spop", "s")
    sent_by_mixin(m, "spop", "s", 0)
    sent_by_mixin(m, "srandmember", "s")
    sent_by_mixin(m, "srandmember", "s", -2)
    sent_by_mixin(m, "srem", "s", "a")
    sent_by_mixin(m, "sscan", "s", 4, "a*", 10)
    sent_by_mixin(m, "sscan", "s")
    sent_by_mixin(m, "sunion", ["a"], "b")
    sent_by_mixin(m, "sunionstore", "d", ["a", "b"])
    sent_by_mixin(m, "sunioncard", 2, ["a", "b"], 5, True)
    sent_by_mixin(m, "sunioncard", 1, ["a"])


# -- random differential sequences ---------------------------------------

_KEYS = ["s1", "s2", "s3", "str"]
_MEMBERS = ["a", "b", "c", "d", 1, 2, 30, -4, "", 10**20]


def _random_call(rng):
    k = rng.choice(_KEYS)
    v = rng.choice(_MEMBERS)

    def keys():
        return rng.sample(_KEYS, rng.randint(1, 3))

    return rng.choice([
        ("sadd", (k, v, rng.choice(_MEMBERS)), {}),
        ("sadd", (k, *rng.sample(_MEMBERS, 4)), {}),
        ("srem", (k, v, rng.choice(_MEMBERS)), {}),
        ("smembers", (k,), {}),
        ("scard", (k,), {}),
        ("sismember", (k, v), {}),
        ("smismember", (k, rng.sample(_MEMBERS, 3)), {}),
        ("smove", (k, rng.choice(_KEYS), v), {}),
        ("sdiff", (keys(),), {}),
        ("sinter", (keys(),), {}),
        ("sunion", (keys(),), {}),
        ("sdiffstore", (rng.choice(_KEYS), keys()), {}),
        ("sinterstore", (rng.choice(_KEYS), keys()), {}),
        ("sunionstore", (rng.choice(_KEYS), keys()), {}),
        ("sintercard", (2, rng.sample(_KEYS, 2)), {"limit": rng.choice([0, 1, 2])}),
        ("srandmember", (k, 20), {}),
        ("spop", (k, 20), {}),
        ("sscan", (k,), {}),
        ("delete", (k,), {}),
    ])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_sequences(pair, seed):
    rng = random.Random(seed)
    pair.set("str", "not a set")
    for _ in range(500):
        method, args, kwargs = _random_call(rng)
        if method in ("srandmember", "spop"):
            # count 20 >= any size here: every member, in any order.
            pair.unordered(method, *args, **kwargs)
        elif method == "sscan":
            _sscan(pair, *args, **kwargs)
        else:
            pair.call(method, *args, **kwargs)
    pair.same_data()


def test_engine_command_table_has_family():
    for name in ["sadd", "scard", "sdiff", "sdiffstore", "sinter", "sintercard",
                 "sinterstore", "sismember", "smembers", "smismember", "smove", "spop",
                 "srandmember", "srem", "sscan", "sunion", "sunionstore"]:
        assert engine_runs(name), name
        assert callable(getattr(kvstore.Redis, name))
