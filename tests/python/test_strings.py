"""String and bitmap methods against redis-py → redis-server 7.0: every
method and option, the client-side checks, wrong types, bad and huge
arguments, binary values, RESP2, pipelines and a random sequence."""

import datetime
import random
import time

import pytest
import redis
from redis.commands.core import BitFieldOperation as RedisPyBitField
from redis.commands.core import BasicKeyCommands

from kvstore.commands.strings import BitFieldOperation, StringCommands
from keyspace_support import (
    same_argv,
    same_keyspace,
    same_pipeline,
    same_signature,
    same_warnings,
)

# redis-py warns on setex and on the Redis 8 methods; test_warnings checks them.
pytestmark = pytest.mark.filterwarnings("ignore:Call to")

STRING_METHODS = """append bitcount bitfield bitfield_ro bitop bitpos decr decrby delex digest
digest_local get getbit getdel getex getrange getset incr incrby incrbyfloat increx lcs mget mset
msetex msetnx psetex set setbit setex setnx setrange stralgo strlen substr __getitem__
__setitem__""".split()


@pytest.mark.parametrize("name", STRING_METHODS)
def test_signatures_match_redis_py(name):
    """Each method takes redis-py 8.1's parameters (names, kinds, defaults)."""
    same_signature(StringCommands, BasicKeyCommands, name)


@pytest.mark.parametrize("name", ["__init__", "reset", "overflow", "incrby", "get", "set", "execute"])
def test_bitfield_operation_signatures(name):
    """``BitFieldOperation`` has redis-py's builder API."""
    same_signature(BitFieldOperation, RedisPyBitField, name)


def test_aliases_are_the_same_methods():
    """``incr``/``decr`` are ``incrby``/``decrby``, as in redis-py."""
    assert StringCommands.incr is StringCommands.incrby
    assert StringCommands.decr is StringCommands.decrby


ARGV_CASES = [
    ("set", ("k", "v"), {}),
    ("set", ("k", "v"), dict(ex=10, nx=True, get=True)),
    ("set", ("k", "v"), dict(px=datetime.timedelta(milliseconds=1500), xx=True)),
    ("set", ("k", "v"), dict(ex=datetime.timedelta(seconds=7))),
    ("set", ("k", "v"), dict(ex="12")),
    ("set", ("k", "v"), dict(ex="1.5")),
    ("set", ("k", "v"), dict(ex=1.5)),
    ("set", ("k", "v"), dict(px=1.5)),
    ("set", ("k", "v"), dict(exat=datetime.datetime(2100, 1, 1, 12, 0, 0))),
    ("set", ("k", "v"), dict(pxat=datetime.datetime(2100, 1, 1, 12, 0, 0, 5000))),
    ("set", ("k", "v"), dict(exat=4102444800, keepttl=False)),
    ("set", ("k", "v"), dict(pxat=4102444800000)),
    ("set", ("k", "v"), dict(keepttl=True, get=True)),
    ("set", ("k", "v"), dict(ex=1, px=1)),
    ("set", ("k", "v"), dict(ex=1, keepttl=True)),
    ("set", ("k", "v"), dict(nx=True, xx=True)),
    ("set", ("k", "v"), dict(ifeq="a")),
    ("set", ("k", "v"), dict(ifne="a", get=True)),
    ("set", ("k", "v"), dict(ifdeq="abcd")),
    ("set", ("k", "v"), dict(ifdne="abcd")),
    ("set", ("k", "v"), dict(ifeq="a", ifne="b")),
    ("set", ("k", "v"), dict(nx=True, ifdeq="a")),
    ("set", ("k", "v", 5, None, True), {}),
    ("getex", ("k",), {}),
    ("getex", ("k",), dict(ex=5)),
    ("getex", ("k",), dict(px=datetime.timedelta(seconds=2))),
    ("getex", ("k",), dict(exat=datetime.datetime(2100, 1, 1))),
    ("getex", ("k",), dict(pxat=123)),
    ("getex", ("k",), dict(persist=True)),
    ("getex", ("k",), dict(ex=5, persist=True)),
    ("getex", ("k",), dict(ex=[1])),
    ("psetex", ("k", datetime.timedelta(seconds=1.25), "v"), {}),
    ("psetex", ("k", 100, "v"), {}),
    ("setex", ("k", datetime.timedelta(minutes=1), "v"), {}),
    ("setex", ("k", 60, "v"), {}),
    ("mget", ("a", "b"), {}),
    ("mget", (["a", "b"], "c"), {}),
    ("mget", ([],), {}),
    ("mget", (b"a",), {}),
    ("mget", ({"a": 1, "b": 2}.keys(),), {}),
    ("mget", (5,), {}),
    ("mset", ({"a": 1, "b": 2},), {}),
    ("msetnx", ({"a": 1},), {}),
    ("msetex", ({"a": 1, "b": 2},), {}),
    ("msetex", ({"a": 1},), dict(ex=10)),
    ("msetex", ({"a": 1},), dict(px=datetime.timedelta(seconds=3), keepttl=False)),
    ("msetex", ({"a": 1},), dict(keepttl=True)),
    ("msetex", ({"a": 1},), dict(ex=1, keepttl=True)),
    ("msetex", ({"a": 1},), dict(exat=9, pxat=9)),
    ("increx", ("k",), {}),
    ("increx", ("k",), dict(byint=5, lbound=0, ubound=10, saturate=True, ex=5)),
    ("increx", ("k",), dict(byfloat=1.5, pxat=datetime.datetime(2100, 1, 1), enx=True)),
    ("increx", ("k",), dict(persist=True)),
    ("increx", ("k",), dict(byint=1, byfloat=1.0)),
    ("increx", ("k",), dict(ex=1, persist=True)),
    ("increx", ("k",), dict(enx=True)),
    ("delex", ("k",), {}),
    ("delex", ("k",), dict(ifeq="v")),
    ("delex", ("k",), dict(ifne=b"v")),
    ("delex", ("k",), dict(ifdeq="ab")),
    ("delex", ("k",), dict(ifdne="ab")),
    ("delex", ("k",), dict(ifeq="v", ifdne="x")),
    ("digest", ("k",), {}),
    ("digest_local", ("abc",), {}),
    ("bitcount", ("k",), {}),
    ("bitcount", ("k", 1, 2), {}),
    ("bitcount", ("k", 1, 2, "BIT"), {}),
    ("bitcount", ("k", 1), {}),
    ("bitcount", ("k",), dict(end=1)),
    ("bitcount", ("k",), dict(mode="BYTE")),
    ("bitpos", ("k", 1), {}),
    ("bitpos", ("k", 0, 3), {}),
    ("bitpos", ("k", 0, 3, 5, "bit"), {}),
    ("bitpos", ("k", 0), dict(end=5)),
    ("bitpos", ("k", 2), {}),
    ("bitpos", ("k", 1, None, None, "BIT"), {}),
    ("bitfield_ro", ("k", "u8", 0), {}),
    ("bitfield_ro", ("k", "u8", 0, [("i4", "#1"), ("u2", 3)]), {}),
    ("bitop", ("AND", "d", "a", "b"), {}),
    ("setbit", ("k", 3, 5), {}),
    ("setbit", ("k", 3, 0), {}),
    ("setbit", ("k", 3, None), {}),
    ("lcs", ("a", "b"), {}),
    ("lcs", ("a", "b"), dict(len=True, idx=True, minmatchlen=3, withmatchlen=True)),
    ("lcs", ("a", "b"), dict(minmatchlen=None)),
    ("lcs", ("a", "b"), dict(minmatchlen=0, idx=True)),
    ("stralgo", ("LCS", "a", "b"), {}),
    ("stralgo", ("LCS", "a", "b", "keys", False, True, 4, True), {}),
    ("stralgo", ("LCS", "a", "b"), dict(len=True, extra=1)),
    ("stralgo", ("LCS", "a", "b"), dict(minmatchlen="x")),
    ("stralgo", ("LCS", "a", "b"), dict(minmatchlen=[1])),
    ("stralgo", ("XYZ", "a", "b"), {}),
    ("stralgo", (b"LCS", "a", "b"), {}),
    ("stralgo", ("LCS", "a", "b", "values"), {}),
    ("stralgo", ("LCS", "a", "b"), dict(len=True, idx=True)),
    ("substr", ("k", 1), {}),
    ("substr", ("k", 1, 3), {}),
    ("getrange", ("k", 1, 3), {}),
    ("strlen", ("k",), {}),
    ("get", ("k",), {}),
    ("getbit", ("k", 1), {}),
    ("getdel", ("k",), {}),
    ("getset", ("k", "v"), {}),
    ("append", ("k", "v"), {}),
    ("incrby", ("k",), {}),
    ("incr", ("k", 5), {}),
    ("decrby", ("k",), {}),
    ("decr", ("k", 5), {}),
    ("incrbyfloat", ("k",), {}),
    ("incrbyfloat", ("k", 2), {}),
    ("setnx", ("k", "v"), {}),
    ("setrange", ("k", 3, "v"), {}),
    ("__setitem__", ("k", "v"), {}),
    ("__getitem__", ("k",), {}),
]


@pytest.mark.parametrize("method,args,kwargs", ARGV_CASES)
def test_argv_matches_redis_py(method, args, kwargs):
    """kvstore builds redis-py's argv and options (and raises its errors)
    for every option, including commands Redis 7.0 does not have."""
    same_argv(method, *args, **kwargs)


def test_bitfield_builder_argv():
    """The builder's command and reset behaviour match redis-py's."""
    for ops in (
        lambda b: b.get("u8", 0),
        lambda b: b.set("i5", "#3", -1).incrby("u8", 8, 2, overflow="sat").incrby("u8", 8, 2),
        lambda b: b.overflow("wrap").overflow("FAIL").incrby("u4", 0, 1, "fail").get("u4", 0),
    ):
        for default in (None, "SAT", "wrap"):
            ours, theirs = BitFieldOperation(None, "k", default), RedisPyBitField(None, "k", default)
            ops(ours)
            ops(theirs)
            assert ours.command == theirs.command
            ours.reset()
            theirs.reset()
            assert ours.command == theirs.command


def test_set_options(pair):
    """SET's options: conditions, GET, every expiry form, KEEPTTL, and
    redis-py's client-side errors."""
    later = datetime.datetime.now() + datetime.timedelta(hours=1)
    pair.set("k", "v")
    pair.set("k", "w", nx=True)
    pair.set("new", "w", nx=True)
    pair.set("k", "x", xx=True)
    pair.set("absent", "x", xx=True)
    pair.set("k", "y", get=True)
    pair.set("absent", "y", get=True)
    pair.set("k", "z", xx=True, get=True)
    pair.set("absent2", "z", xx=True, get=True)
    pair.set("k", "z", nx=True, get=True)
    pair.set("k", 1, ex=100)
    pair.ttl("k")
    pair.set("k", 1, px=200000)
    pair.ttl("k")
    pair.set("k", 1, ex=datetime.timedelta(seconds=300))
    pair.ttl("k")
    pair.set("k", 1, px=datetime.timedelta(seconds=400))
    pair.ttl("k")
    pair.set("k", 1, ex="500")
    pair.ttl("k")
    pair.set("k", 1, exat=int(time.time()) + 600)
    pair.ttl("k")
    pair.set("k", 1, exat=later)
    pair.ttl("k")
    pair.set("k", 1, pxat=later)
    pair.ttl("k")
    pair.set("k", 2, keepttl=True)
    pair.ttl("k")
    pair.set("k", 3)
    pair.ttl("k")
    pair.set("k", 1, ex=0)
    pair.set("k", 1, ex=-1)
    pair.set("k", 1, px=0)
    pair.set("k", 1, ex=2**63)
    pair.set("k", 1, exat=1)
    pair.exists("k")
    pair.set("k", 1, ex=1.5)
    pair.set("k", 1, ex="x")
    pair.set("k", 1, px="100")
    pair.set("k", 1, ex=1, px=1)
    pair.set("k", 1, exat=1, keepttl=True)
    pair.set("k", 1, nx=True, xx=True)
    pair.set("k", 1, ifeq="1")
    pair.set("k", 1, ifne="1", nx=True)
    pair.set("k", True)
    pair.set("k", None)
    pair.set(None, "v")
    pair.set("k", 1.5)
    pair.set("k", 10**30)
    pair.set("k", b"\x00\xff")
    pair.set("k", bytearray(b"ab"))
    pair.set("k", memoryview(b"cd"))
    pair.get("k")
    pair.set("", "")
    pair.get("")
    same_keyspace(pair)


def test_item_syntax(pair):
    """``r[k] = v``, ``r[k]`` (``KeyError`` when missing), ``del r[k]``,
    ``k in r``."""
    pair.__setitem__("k", "v")
    pair.__getitem__("k")
    pair.__getitem__("missing")
    pair.__contains__("k")
    pair.__contains__("missing")
    pair.__delitem__("k")
    pair.__delitem__("k")
    pair.__contains__("k")
    pair.kv["a"] = "1"
    pair.rp["a"] = "1"
    assert ("a" in pair.kv) == ("a" in pair.rp) is True
    assert pair.kv["a"] == pair.rp["a"]
    with pytest.raises(KeyError):
        pair.kv["nope"]
    del pair.kv["a"]
    del pair.rp["a"]
    assert ("a" in pair.kv) == ("a" in pair.rp) is False
    pair.same_data()


def test_get_family(pair):
    """GET, GETDEL, GETSET, GETRANGE/SUBSTR, STRLEN, APPEND, SETRANGE,
    SETNX on strings, missing keys and bad offsets."""
    pair.get("missing")
    pair.set("s", "hello")
    pair.append("s", " world")
    pair.append("n", 5)
    pair.append("n", 1.5)
    pair.get("n")
    pair.strlen("s")
    pair.strlen("missing")
    pair.getrange("s", 0, 4)
    pair.getrange("s", -5, -1)
    pair.getrange("s", 5, 1)
    pair.getrange("s", 0, 2**64)
    pair.getrange("s", "a", 1)
    pair.getrange("missing", 0, 10)
    pair.substr("s", 3)
    pair.substr("s", 1, 2)
    pair.substr("s", -3)
    pair.setrange("s", 3, "XY")
    pair.setrange("z", 5, "ab")
    pair.get("z")
    pair.setrange("z", -1, "a")
    pair.setrange("z", 2**29, "a")
    pair.setrange("z", 512 * 1024 * 1024 - 2, "ab")
    pair.setrange("z", "x", "a")
    pair.setrange("q", 10, "")
    pair.exists("q")
    pair.setrange("z", 0, "")
    pair.getset("s", "new")
    pair.getset("fresh", "v")
    pair.getdel("fresh")
    pair.getdel("fresh")
    pair.setnx("nx", 1)
    pair.setnx("nx", 2)
    pair.get("nx")
    pair.same_data()


def test_expiring_sets_and_getex(pair):
    """SETEX/PSETEX (ints and timedeltas) and GETEX's every option."""
    pair.setex("ex", 100, "v")
    pair.ttl("ex")
    pair.setex("ex", datetime.timedelta(seconds=50), "v")
    pair.ttl("ex")
    pair.setex("ex", 0, "v")
    pair.setex("ex", -1, "v")
    pair.setex("ex", "a", "v")
    pair.setex("ex", 2**63, "v")
    pair.psetex("px", 100000, "v")
    pair.ttl("px")
    pair.psetex("px", datetime.timedelta(seconds=70), "v")
    pair.ttl("px")
    pair.psetex("px", 0, "v")
    pair.getex("px")
    pair.getex("px", ex=200)
    pair.ttl("px")
    pair.getex("px", persist=True)
    pair.ttl("px")
    pair.getex("px", px=300000)
    pair.ttl("px")
    pair.getex("px", exat=int(time.time()) + 500)
    pair.ttl("px")
    pair.getex("px", pxat=datetime.datetime.now() + datetime.timedelta(seconds=600))
    pair.ttl("px")
    pair.getex("px", ex=datetime.timedelta(seconds=5))
    pair.ttl("px")
    pair.getex("px", px=datetime.timedelta(seconds=6))
    pair.ttl("px")
    pair.getex("px", ex="77")
    pair.ttl("px")
    pair.getex("px", ex=1.5)
    pair.getex("px", px=1.5)
    pair.getex("px", ex=1, px=2)
    pair.getex("px", ex=1, persist=True)
    pair.getex("missing", ex=10)
    pair.getex("px", ex=0)
    pair.getex("px", ex=-5)
    pair.getex("px", exat=1)
    pair.exists("px")
    pair.same_data()


def test_counters(pair):
    """INCR/DECR family and INCRBYFLOAT: limits, overflow, non-numbers,
    float formats."""
    pair.incr("c")
    pair.incrby("c", 10)
    pair.incr("c", -3)
    pair.decr("c")
    pair.decrby("c", 5)
    pair.decr("c", -5)
    pair.incrby("c", 2**63)
    pair.incrby("c", 2**64)
    pair.incrby("c", 1.5)
    pair.incrby("c", "x")
    pair.incrby("c", True)
    pair.set("big", 2**63 - 1)
    pair.incr("big")
    pair.set("small", -(2**63))
    pair.decr("small")
    pair.decrby("small", -(2**63))
    pair.set("s", "abc")
    pair.incr("s")
    pair.incrbyfloat("s", 1)
    for value in (" 1", "1 ", "01", "+1", "-0", "1e3", "0x10", "", "3.0", "9" * 25):
        pair.set("n", value)
        pair.incr("n")
        pair.set("n", value)
        pair.incrbyfloat("n", 0.5)
    pair.incrbyfloat("f")
    pair.incrbyfloat("f", 2.5)
    pair.incrbyfloat("f", -1e10)
    pair.incrbyfloat("f", 1e-5)
    pair.incrbyfloat("f", "inf")
    pair.incrbyfloat("f", "nan")
    pair.incrbyfloat("f", "x")
    pair.incrbyfloat("g", 1e308)
    pair.incrbyfloat("g", 1e308)
    pair.incrbyfloat("h", 10**20)
    pair.incrbyfloat("h", 0.1)
    pair.get("h")
    pair.same_data()


def test_multi_key(pair):
    """MGET (args, lists, empty), MSET, MSETNX."""
    pair.mset({"a": 1, "b": "x", "c": b"\x01"})
    pair.mget("a", "b", "zz")
    pair.mget(["a", "b"])
    pair.mget(("a", "c"), "b")
    pair.mget([])
    pair.mget("a")
    pair.mget(["zz"])
    pair.msetnx({"a": 1, "new": 2})
    pair.exists("new")
    pair.msetnx({"n1": 1, "n2": 2})
    pair.mset({})
    pair.msetnx({})
    pair.mset({"k": None})
    pair.mset({"k": True})
    pair.execute_command("RPUSH", "list", "x")
    pair.mget("a", "list")
    pair.msetnx({"list": 1, "q": 2})
    pair.mset({"list": "now-a-string"})
    pair.same_data()


def test_bitmaps(pair):
    """SETBIT/GETBIT, BITCOUNT and BITPOS (byte and bit ranges), BITOP."""
    pair.setbit("b", 7, 1)
    pair.setbit("b", 7, 0)
    pair.setbit("b", 100, 5)
    pair.getbit("b", 100)
    pair.getbit("b", 10**6)
    pair.getbit("missing", 1)
    pair.setbit("b", -1, 1)
    pair.setbit("b", 2**32, 1)
    pair.getbit("b", "x")
    pair.setbit("b", 1, "x")
    pair.set("bc", "foobar")
    pair.bitcount("bc")
    pair.bitcount("bc", 0, 0)
    pair.bitcount("bc", 1, 1)
    pair.bitcount("bc", -3, -1)
    pair.bitcount("bc", 5, 30, "BIT")
    pair.bitcount("bc", 0, -1, "byte")
    pair.bitcount("bc", 0, -1, "xx")
    pair.bitcount("bc", 1)
    pair.bitcount("bc", end=1)
    pair.bitcount("bc", "a", "b")
    pair.bitcount("bc", 0, 2**64)
    pair.bitcount("missing")
    pair.set("bp", b"\xff\xf0\x00")
    pair.bitpos("bp", 0)
    pair.bitpos("bp", 1, 2)
    pair.bitpos("bp", 0, 1, 2)
    pair.bitpos("bp", 1, 7, 15, "BIT")
    pair.bitpos("bp", 1, 0, -1, "bit")
    pair.bitpos("bp", 1, 0, None, "BIT")
    pair.bitpos("bp", 2)
    pair.bitpos("bp", 0, end=3)
    pair.bitpos("bp", True)
    pair.bitpos("missing", 0)
    pair.bitpos("missing", 1)
    pair.set("ones", b"\xff\xff")
    pair.bitpos("ones", 0)
    pair.bitpos("ones", 0, 0, -1)
    pair.set("x1", "abc")
    pair.set("x2", b"\x01\x02")
    for op in ("AND", "OR", "XOR", "and"):
        pair.bitop(op, "dst", "x1", "x2", "missing")
        pair.get("dst")
    pair.bitop("NOT", "dst", "x1")
    pair.get("dst")
    pair.bitop("NOT", "dst", "x1", "x2")
    pair.bitop("NAND", "dst", "x1")
    pair.bitop("DIFF", "dst", "x1", "x2")
    pair.bitop("AND", "dst")
    pair.bitop("AND", "dst", "missing", "missing2")
    pair.exists("dst")
    same_keyspace(pair)


def test_bitfield(pair):
    """BITFIELD through the builder (overflow modes, ``#n`` offsets,
    default overflow) and BITFIELD_RO."""
    results = []
    for client in (pair.kv, pair.rp):
        op = client.bitfield("fld")
        (
            op.set("u8", 0, 255)
            .get("u8", 0)
            .incrby("u8", 0, 10)
            .overflow("SAT")
            .incrby("u8", 0, 300)
            .overflow("fail")
            .incrby("i8", 8, 200)
            .get("i4", "#1")
            .set("u4", "#2", 3)
            .incrby("u16", 100, -5, overflow="WRAP")
        )
        first = op.execute()
        second = op.get("u8", 0).execute()
        sat = client.bitfield("fld", default_overflow="SAT").incrby("u8", 0, 1000).execute()
        empty = client.bitfield("fld").execute()
        results.append((first, second, sat, empty))
    assert results[0] == results[1]
    pair.bitfield_ro("fld", "u8", 0)
    pair.bitfield_ro("fld", "u8", 0, items=[("i4", 4), ("u16", "#1")])
    pair.bitfield_ro("fld", "x8", 0)
    pair.bitfield_ro("missing", "u8", 0)
    pair.execute_command("BITFIELD", "fld", "GET", "u8", "-1")
    pair.execute_command("BITFIELD", "fld", "SET", "u8", 2**32 * 8, 1)
    pair.execute_command("BITFIELD", "fld", "OVERFLOW", "nope")
    pair.execute_command("BITFIELD", "fld", "INCRBY", "i64", 0, 2**64)
    pair.execute_command("BITFIELD_RO", "fld", "SET", "u8", 0, 1)
    pair.execute_command(
        "BITFIELD", "nf", "GET", "i64", 0, "SET", "i64", 0, -(2**63), "INCRBY", "i64", 0, -1, "GET", "u63", 0
    )
    same_keyspace(pair)


def test_lcs_and_stralgo(pair):
    """LCS with LEN/IDX/MINMATCHLEN/WITHMATCHLEN; STRALGO (gone in Redis 7)."""
    pair.set("l1", "ohmytext")
    pair.set("l2", "mynewtext")
    pair.lcs("l1", "l2")
    pair.lcs("l1", "l2", len=True)
    pair.lcs("l1", "l2", idx=True)
    pair.lcs("l1", "l2", idx=True, minmatchlen=4)
    pair.lcs("l1", "l2", idx=True, withmatchlen=True)
    pair.lcs("l1", "l2", idx=True, minmatchlen=2, withmatchlen=True)
    pair.lcs("l1", "l2", len=True, idx=True)
    pair.lcs("l1", "missing")
    pair.lcs("missing", "missing2", idx=True)
    pair.execute_command("SADD", "set", "x")
    pair.lcs("l1", "set")
    pair.stralgo("LCS", "ohmytext", "mynewtext")
    pair.stralgo("LCS", "l1", "l2", specific_argument="keys", idx=True)
    pair.stralgo("LCX", "a", "b")
    pair.stralgo("LCS", "a", "b", specific_argument="x")
    pair.stralgo("LCS", "a", "b", len=True, idx=True)
    same_keyspace(pair)


def test_lcs_by_protocol(proto_pair):
    """LCS IDX keeps RESP2's flat list shape on either wire."""
    proto_pair.set("l1", "ohmytext")
    proto_pair.set("l2", "mynewtext")
    proto_pair.lcs("l1", "l2", idx=True, withmatchlen=True)
    proto_pair.lcs("l1", "l2", idx=True, minmatchlen=3)
    proto_pair.lcs("l1", "l2", len=True)
    proto_pair.lcs("l1", "l2")
    proto_pair.incrbyfloat("f", 1.25)
    proto_pair.bitfield_ro("l1", "u8", 0, items=[("i8", 8)])
    proto_pair.getex("l1", persist=True)
    proto_pair.set("l1", "x", get=True)
    proto_pair.setnx("l1", "y")
    proto_pair.msetnx({"l1": 1})
    proto_pair.same_data()


def test_redis8_commands_fail_like_redis7(pair):
    """Methods for Redis 8 commands send redis-py's argv; Redis 7.0's
    answer (unknown command or syntax error) comes back alike."""
    pair.set("k", "v")
    pair.delex("k")
    pair.delex("k", ifeq="v")
    pair.delex("k", ifeq="v", ifne="w")
    pair.digest("k")
    pair.digest_local("abc")
    pair.msetex({"a": 1, "b": 2}, ex=5)
    pair.msetex({"a": 1}, ex=5, px=5)
    pair.increx("k")
    pair.increx("k", byint=1, byfloat=1.0)
    pair.increx("k", enx=True)
    pair.set("k", 1, ifeq="v")
    pair.set("k", 1, ifdne="abc", get=True)
    pair.same_data()


def test_wrong_type(pair):
    """Every string command on a list key: WRONGTYPE, as Redis answers."""
    pair.execute_command("RPUSH", "l", "a")
    pair.set("s", "v")
    pair.get("l")
    pair.append("l", "x")
    pair.strlen("l")
    pair.getrange("l", 0, 1)
    pair.substr("l", 0)
    pair.setrange("l", 0, "x")
    pair.incr("l")
    pair.decrby("l", 2)
    pair.incrbyfloat("l", 1)
    pair.getdel("l")
    pair.getex("l", ex=5)
    pair.getset("l", 1)
    pair.lcs("l", "s")
    pair.mget("l", "s")
    pair.setnx("l", 1)
    pair.getbit("l", 0)
    pair.setbit("l", 0, 1)
    pair.bitcount("l")
    pair.bitpos("l", 1)
    pair.bitop("AND", "d", "l")
    pair.bitop("AND", "l", "s")
    pair.bitfield_ro("l", "u8", 0)
    pair.type("l")
    pair.set("l", "replaced", get=True)
    pair.set("l", "replaced")
    pair.type("l")
    pair.same_data()


def test_binary_values(pair):
    """Non-UTF-8 values and keys: bytes without decoding; with
    ``decode_responses`` the same UnicodeDecodeError as redis-py."""
    pair.set(b"\xff\xfe", b"\x80\x81")
    pair.get(b"\xff\xfe")
    pair.getrange(b"\xff\xfe", 0, 0)
    pair.mget(b"\xff\xfe", "missing")
    pair.getset(b"\xff\xfe", "ok")
    pair.set("k", b"\xc3")
    pair.append("k", b"\xa9")
    pair.get("k")
    pair.set("k", "é")
    pair.getrange("k", 0, 0)
    pair.getdel("k")
    pair.set("k", "é")
    pair.set("é", "ü")
    pair.get("é")
    pair.lcs("k", "é")
    same_keyspace(pair)


def test_pipeline(pair):
    """The string and bitmap methods through a non-transactional pipeline,
    errors included."""

    def build(p):
        p.set("a", 1).set("b", "x", ex=100, get=True).get("a").incr("a").incrby("a", 5)
        p.decr("a").decrby("a", 2).incrbyfloat("a", 0.5).incr("b").append("c", "xyz")
        p.getrange("c", 0, 1).substr("c", 1).strlen("c").setrange("c", 5, "!").getset("c", "v")
        p.getdel("c").getex("b", persist=True).setnx("n", 1).setex("e", 60, "v").psetex("f", 60000, "v")
        p.mset({"m1": 1, "m2": 2}).msetnx({"m1": 3}).mget("m1", "m2", "zz").mget([])
        p.setbit("bits", 3, 1).getbit("bits", 3).bitcount("bits").bitpos("bits", 1)
        p.bitop("NOT", "nbits", "bits").bitfield_ro("bits", "u8", 0)
        p.bitfield("bf").set("u8", 0, 42).get("u8", 0).execute()
        p.lcs("m1", "m2", idx=True).delex("a").set("z", 1, ifeq="x")

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_pipeline(pair, build)
    same_keyspace(pair)


def test_pipeline_raises_first_error(pair):
    """``raise_on_error=True`` raises the first error, annotated the same."""

    def build(p):
        p.set("s", "x").incr("s").get("s")

    same_pipeline(pair, build, raise_on_error=True)
    pair.same_data()


def test_warnings(pair):
    """redis-py's deprecation and experimental warnings, same text."""
    same_warnings(pair, "setex", "k", 10, "v")
    same_warnings(pair, "set", "k", "v", ifeq="v")
    same_warnings(pair, "set", "k", "v", ifne=None)
    same_warnings(pair, "set", "k", "v", None, None, False, False, False, False, None, None, "x")
    same_warnings(pair, "set", "k", "v", ex=5)
    same_warnings(pair, "delex", "k")
    same_warnings(pair, "digest", "k")
    same_warnings(pair, "digest_local", "v")
    same_warnings(pair, "msetex", {"k": 1})
    pair.same_data()


VALUES = ["", "0", "1", "-5", "10", "3.5", "abc", "9223372036854775807", "x" * 20, "é", "1e2"]


def _random_call(rng, keys):
    """One random string/bitmap call: (method, args, kwargs)."""
    k = rng.choice(keys)
    k2 = rng.choice(keys)
    v = rng.choice(VALUES)
    simple = [
        ("get", (k,)), ("append", (k, v)), ("incr", (k,)), ("incrby", (k, rng.randint(-100, 100))),
        ("decr", (k,)), ("decrby", (k, rng.choice([1, 2**62, -(2**62)]))),
        ("incrbyfloat", (k, rng.choice([0.5, -2.25, 1e3]))), ("getdel", (k,)), ("strlen", (k,)),
        ("getrange", (k, rng.randint(-5, 5), rng.randint(-5, 5))), ("setrange", (k, rng.randint(0, 8), v)),
        ("mget", (keys,)), ("mset", ({k: v, k2: rng.choice(VALUES)},)), ("msetnx", ({k: v},)),
        ("setnx", (k, v)), ("getset", (k, v)), ("setbit", (k, rng.randint(0, 40), rng.randint(0, 1))),
        ("getbit", (k, rng.randint(0, 40))), ("bitcount", (k,)), ("bitpos", (k, rng.randint(0, 1))),
        ("bitop", (rng.choice(["AND", "OR", "XOR"]), k, k2, rng.choice(keys))), ("lcs", (k, k2)),
        ("substr", (k, rng.randint(0, 3))), ("delete", (k,)), ("exists", (k, k2)),
        ("getex", (k,)), ("bitfield_ro", (k, "u8", rng.randint(0, 16))),
    ]
    choice = rng.randrange(len(simple) + 1)
    if choice == len(simple):
        opts = rng.choice([{}, {"nx": True}, {"xx": True}, {"get": True}, {"ex": 1000}, {"px": 900000},
                           {"keepttl": True}, {"xx": True, "get": True}, {"ex": 1000, "nx": True}])
        return "set", (k, v), opts
    method, args = simple[choice]
    return method, args, {}


def test_random_sequence(pair):
    """600 random string/bitmap calls over five keys (one a list, for
    WRONGTYPE): every outcome equal, then the same data."""
    rng = random.Random(20260101)
    keys = ["k0", "k1", "k2", "k3", "lst"]
    pair.execute_command("RPUSH", "lst", "a", "b")
    for _ in range(600):
        method, args, kwargs = _random_call(rng, keys)
        pair.call(method, *args, **kwargs)
    same_keyspace(pair)


def test_redis_py_exceptions_are_kvstore_exceptions():
    """A failing call raises redis-py's own exception classes."""
    from conftest import fresh_client

    r = fresh_client()
    r.execute_command("RPUSH", "l", "a")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.incr("l")
    with pytest.raises(redis.DataError, match="Both start and end"):
        r.bitcount("l", 1)
