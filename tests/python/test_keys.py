"""Generic key methods against redis-py → redis-server 7.0: existence and
deletion, TYPE, expiry (ints, timedeltas, datetimes, NX/XX/GT/LT), RENAME,
COPY, MOVE, KEYS, SCAN/scan_iter, SORT, OBJECT, randomkey, the argv of
the commands the engine lacks, RESP2, pipelines and a random sequence."""

import datetime
import random
import time

import pytest
import redis
from redis.commands.core import BasicKeyCommands, ListCommands, ManagementCommands, ScanCommands

from kvstore.commands import CoreCommands
from kvstore.commands.keys import KeyCommands
from keyspace_support import (
    same_argv,
    same_keyspace,
    same_pipeline,
    same_signature,
    same_warnings,
)

SIGNATURES = [
    (BasicKeyCommands, """copy delete dump exists expire expireat expiretime keys move persist
     pexpire pexpireat pexpiretime pttl randomkey rename renamenx restore touch ttl type unlink
     watch unwatch __delitem__ __contains__"""),
    (ScanCommands, "scan scan_iter"),
    (ListCommands, "sort sort_ro"),
    (ManagementCommands, "object memory_usage migrate"),
]


@pytest.mark.parametrize(
    "theirs,name", [(cls, name) for cls, names in SIGNATURES for name in names.split()]
)
def test_signatures_match_redis_py(theirs, name):
    """Each method takes redis-py 8.1's parameters (names, kinds, defaults)."""
    same_signature(CoreCommands, theirs, name)


def test_contains_is_exists():
    """``key in r`` is EXISTS, as in redis-py."""
    assert KeyCommands.__contains__ is KeyCommands.exists


WHEN = datetime.datetime(2100, 1, 2, 3, 4, 5, 678000)

ARGV_CASES = [
    ("copy", ("a", "b"), {}),
    ("copy", ("a", "b", 3, True), {}),
    ("delete", ("a", "b"), {}),
    ("delete", (), {}),
    ("__delitem__", ("a",), {}),
    ("dump", ("a",), {}),
    ("exists", ("a", "b"), {}),
    ("__contains__", ("a",), {}),
    ("expire", ("a", 10), {}),
    ("expire", ("a", datetime.timedelta(seconds=90, milliseconds=900)), {}),
    ("expire", ("a", 10, True, True, True, True), {}),
    ("expire", ("a", 10), dict(gt=True)),
    ("expireat", ("a", 10), dict(lt=True, xx=True)),
    ("expireat", ("a", WHEN), {}),
    ("pexpire", ("a", datetime.timedelta(seconds=1.5)), dict(nx=True)),
    ("pexpire", ("a", 1500), {}),
    ("pexpireat", ("a", WHEN), dict(gt=True)),
    ("pexpireat", ("a", 123), {}),
    ("expiretime", ("a",), {}),
    ("pexpiretime", ("a",), {}),
    ("keys", (), {}),
    ("keys", ("a*",), dict(extra=1)),
    ("migrate", ("host", 6379, "a", 0, 100), {}),
    ("migrate", ("host", 6379, ["a", "b"], 0, 100, True, True, "pw"), {}),
    ("migrate", ("host", 6379, [], 0, 100), {}),
    ("move", ("a", 1), {}),
    ("memory_usage", ("a",), {}),
    ("memory_usage", ("a", 0), {}),
    ("memory_usage", ("a", "5"), dict(extra=1)),
    ("object", ("encoding", "a"), {}),
    ("object", ("FREQ", "a"), dict(extra=1)),
    ("persist", ("a",), {}),
    ("pttl", ("a",), {}),
    ("ttl", ("a",), {}),
    ("randomkey", (), {}),
    ("randomkey", (), dict(extra=1)),
    ("rename", ("a", "b"), {}),
    ("renamenx", ("a", "b"), {}),
    ("restore", ("a", 0, b"payload"), {}),
    ("restore", ("a", 10, b"payload", True, True, 5, 7), {}),
    ("restore", ("a", 10, b"payload"), dict(idletime="5", frequency="6")),
    ("restore", ("a", 10, b"payload"), dict(idletime="x")),
    ("restore", ("a", 10, b"payload"), dict(frequency="x")),
    ("restore", ("a", 10, b"payload"), dict(idletime=[1])),
    ("sort", ("a",), {}),
    ("sort", ("a", 1, 2, "w_*", ["#", "o_*"], True, True, "dst", True), {}),
    ("sort", ("a",), dict(get="o_*")),
    ("sort", ("a",), dict(get=b"o_*", groups=True)),
    ("sort", ("a",), dict(get=["o_*"], groups=True)),
    ("sort", ("a",), dict(groups=True)),
    ("sort", ("a",), dict(start=1)),
    ("sort", ("a",), dict(num=1)),
    ("sort", ("a",), dict(get=5)),
    ("sort_ro", ("a",), {}),
    ("sort_ro", ("a", 0, 5, "w_*", "o_*", True, True), {}),
    ("sort_ro", ("a",), dict(start=0)),
    ("scan", (), {}),
    ("scan", (5, "a*", 10, "string"), dict(extra=1)),
    ("scan_iter", (), {}),
    ("touch", ("a", "b"), {}),
    ("type", ("a",), {}),
    ("unlink", ("a", "b"), {}),
    ("watch", ("a",), {}),
    ("unwatch", (), {}),
]


@pytest.mark.parametrize("method,args,kwargs", ARGV_CASES)
def test_argv_matches_redis_py(method, args, kwargs):
    """kvstore builds redis-py's argv and options (and raises its errors)
    for every option, including DUMP/RESTORE/MIGRATE/MEMORY."""
    same_argv(method, *args, **kwargs)


def test_exists_delete_touch_type(pair):
    """EXISTS counts repeats, DEL/UNLINK/TOUCH count existing keys, TYPE of
    every type."""
    pair.mset({"a": 1, "b": 2, "c": 3})
    pair.exists("a")
    pair.exists("a", "a", "zz")
    pair.exists()
    pair.delete("a", "zz", "a")
    pair.delete()
    pair.unlink("b", "b")
    pair.unlink()
    pair.touch("c", "zz", "c")
    pair.touch()
    pair.type("c")
    pair.type("zz")
    pair.execute_command("SADD", "set", "x")
    pair.execute_command("HSET", "hash", "f", "v")
    pair.execute_command("ZADD", "zset", 1, "m")
    pair.execute_command("RPUSH", "list", "x")
    pair.pfadd("hll", "x")
    for key in ("set", "hash", "zset", "list", "hll"):
        pair.type(key)
    pair.exists("set", "hash", "zset", "list", "hll")
    pair.delete("set", "hash")
    pair.unlink("zset", "list")
    pair.exists("set", "hash", "zset", "list")
    pair.delete(None)
    pair.exists(True)
    pair.touch(1.5, 10**30)
    pair.rename("c", None)
    pair.type(False)
    same_keyspace(pair)


def test_expire_family(pair):
    """EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with every option and argument
    form, EXPIRETIME/PEXPIRETIME, PERSIST, TTL/PTTL."""
    now = int(time.time())
    pair.set("c", 1)
    pair.expire("c", 100)
    pair.ttl("c")
    pair.expire("c", datetime.timedelta(seconds=200))
    pair.ttl("c")
    pair.expire("c", 50, nx=True)
    pair.expire("c", 50, xx=True)
    pair.ttl("c")
    pair.expire("c", 500, gt=True)
    pair.ttl("c")
    pair.expire("c", 10, gt=True)
    pair.expire("c", 10, lt=True)
    pair.ttl("c")
    pair.expire("c", 10, nx=True, xx=True)
    pair.expire("c", 10, gt=True, lt=True)
    pair.expire("c", 10, nx=True, gt=True)
    pair.expire("missing", 10)
    pair.expire("c", "x")
    pair.expire("c", 2**63)
    pair.expire("c", 1.5)
    pair.expire("c", None)
    pair.pexpire("c", 100000)
    pair.ttl("c")
    pair.pexpire("c", datetime.timedelta(seconds=300))
    pair.ttl("c")
    pair.pexpire("c", 1000000, lt=True)
    pair.pexpire("c", 1000, nx=True)
    pair.ttl("c")
    pair.expireat("c", now + 1000)
    pair.ttl("c")
    pair.expiretime("c")
    pair.pexpiretime("c")
    pair.expireat("c", datetime.datetime.fromtimestamp(now + 2000))
    pair.expiretime("c")
    pair.expireat("c", now + 10, gt=True)
    pair.expireat("c", now + 10, xx=True)
    pair.expiretime("c")
    pair.pexpireat("c", (now + 3000) * 1000)
    pair.pexpiretime("c")
    pair.pexpireat("c", datetime.datetime.fromtimestamp(now + 4000, ) + datetime.timedelta(milliseconds=250))
    pair.pexpiretime("c")
    pair.pexpireat("c", 1, nx=True)
    pair.expiretime("missing")
    pair.pexpiretime("missing")
    pair.persist("c")
    pair.persist("c")
    pair.persist("missing")
    pair.ttl("c")
    pair.pttl("c")
    pair.pttl("missing")
    pair.ttl("missing")
    pair.expiretime("c")
    pair.pexpiretime("c")
    for expire in (
        lambda c: c.expire("e", -1),
        lambda c: c.expire("e", 0),
        lambda c: c.pexpireat("e", 1),
        lambda c: c.expireat("e", datetime.datetime(2000, 1, 1)),
    ):
        pair.set("e", 1)
        assert expire(pair.kv) == expire(pair.rp)
        pair.exists("e")
    same_keyspace(pair)


def test_pttl_is_close(pair):
    """PTTL right after PEXPIRE is within a few ms of Redis's."""
    pair.set("k", 1)
    pair.pexpire("k", 100000)
    got, expected = pair.kv.pttl("k"), pair.rp.pttl("k")
    assert 99000 < got <= 100000 and abs(got - expected) < 1000


def test_keys_expire(pair):
    """A key with a short expiry is gone after it (lazily and for KEYS)."""
    pair.set("short", 1, px=30)
    pair.set("long", 1, ex=1000)
    pair.pexpire("other", 30)
    time.sleep(0.1)
    pair.exists("short", "long")
    pair.get("short")
    pair.ttl("short")
    pair.unordered("keys")
    same_keyspace(pair)


def test_rename_copy_move(pair):
    """RENAME/RENAMENX (TTL kept), COPY (REPLACE, DB), MOVE between dbs."""
    pair.set("c", "v", ex=500)
    pair.rename("c", "c2")
    pair.ttl("c2")
    pair.rename("missing", "q")
    pair.rename("c2", "c2")
    pair.set("c3", "x")
    pair.renamenx("c2", "c3")
    pair.renamenx("c2", "c4")
    pair.renamenx("missing", "c5")
    pair.renamenx("c4", "c4")
    pair.ttl("c4")
    pair.copy("c4", "c5")
    pair.ttl("c5")
    pair.copy("c4", "c5")
    pair.copy("c4", "c5", replace=True)
    pair.copy("c4", "c6", destination_db=1)
    pair.copy("c4", "c6", destination_db=1)
    pair.copy("c4", "c6", destination_db="x")
    pair.copy("c4", "c6", destination_db=99)
    pair.copy("missing", "c7")
    pair.copy("c4", "c4")
    pair.execute_command("SADD", "set", "a", "b")
    pair.copy("set", "set2")
    pair.type("set2")
    pair.move("c5", 1)
    pair.move("c5", 1)
    pair.move("missing", 1)
    pair.move("c4", 0)
    pair.move("c4", 99)
    pair.move("c4", "x")
    pair.set("c5", "again")
    pair.move("c5", 1)
    kv1 = fresh_db(pair.kv, 1)
    rp1 = redis.Redis(port=pair.rp.connection_pool.connection_kwargs["port"], db=1)
    try:
        assert sorted(kv1.keys()) == sorted(rp1.keys()) == [b"c5", b"c6"]
        assert kv1.mget("c5", "c6") == rp1.mget("c5", "c6")
    finally:
        rp1.close()
    same_keyspace(pair)


def fresh_db(client, db):
    """A kvstore client on ``client``'s store, database ``db``."""
    import kvstore

    kwargs = client.connection_pool.connection_kwargs
    return kvstore.Redis(host=kwargs["host"], port=kwargs["port"], db=db)


def test_keys_patterns(pair):
    """KEYS with glob patterns, classes, escapes, binary patterns."""
    pair.mset({"c1": 1, "c2": 2, "c10": 3, "a*b": 4, "hello": 5, "hallo": 6, "hxllo": 7})
    for pattern in ("*", "c*", "c?", "c[1-2]", "h[ae]llo", "h[^e]llo", "h*llo", "a\\*b", "nomatch",
                    b"\xff*", "[", "c[", "*o"):
        pair.unordered("keys", pattern)
    pair.unordered("keys")
    same_keyspace(pair)


def test_scan(pair):
    """SCAN (MATCH, COUNT, TYPE, errors) and scan_iter return every key."""
    pair.mset({f"k{i}": i for i in range(60)})
    pair.execute_command("SADD", "s1", "x")
    pair.execute_command("RPUSH", "l1", "x")
    for kwargs in ({}, {"match": "k1*"}, {"_type": "string"}, {"_type": "set"}, {"_type": "nope"},
                   {"match": "k*", "_type": "list"}):
        expected = set(pair.rp.scan_iter(**kwargs))
        assert set(pair.kv.scan_iter(**kwargs)) == expected
        assert len(list(pair.kv.scan_iter(count=7, **kwargs))) == len(expected)
        cursor, batch = pair.kv.scan(0, count=1000, **kwargs)
        assert cursor == 0 and set(batch) == expected
    pair.scan("x")
    pair.scan(0, count=0)
    pair.scan(0, count=-1)
    pair.scan(2**64)
    cursor, batch = pair.kv.scan(0, count=5)
    assert cursor != 0 and 1 <= len(batch) <= 10
    same_keyspace(pair)


def test_randomkey(pair):
    """RANDOMKEY: None when empty, the only key, else some existing key."""
    pair.randomkey()
    pair.set("only", 1)
    pair.randomkey()
    pair.mset({"a": 1, "b": 2})
    assert pair.kv.randomkey() in {b"only", b"a", b"b", "only", "a", "b"}
    same_keyspace(pair)


def test_object(pair):
    """OBJECT ENCODING of each type and size, REFCOUNT, FREQ's error,
    unknown subcommands, missing keys."""
    pair.set("int", 12)
    pair.set("embstr", "short")
    pair.set("raw", "x" * 100)
    pair.execute_command("SADD", "intset", 1, 2)
    pair.execute_command("SADD", "set", "a")
    pair.execute_command("HSET", "hash", "f", "v")
    pair.execute_command("ZADD", "zset", 1, "m")
    pair.execute_command("RPUSH", "list", 1, 2)
    for key in ("int", "embstr", "raw", "intset", "set", "hash", "zset", "list", "missing"):
        pair.object("encoding", key)
    pair.object("ENCODING", "int")
    pair.object("refcount", "raw")
    pair.object("freq", "raw")
    pair.object("nope", "raw")
    pair.object("idletime", "missing")
    idle = pair.kv.object("idletime", "raw")
    assert isinstance(idle, int) and 0 <= idle < 5
    same_keyspace(pair)


def test_sort(pair):
    """SORT and sort_ro: numeric/alpha, DESC, LIMIT, BY (keys, hash fields,
    nosort), GET (#, patterns), groups, STORE, errors."""
    pair.execute_command("RPUSH", "sl", 3, 1, 2, 10)
    pair.sort("sl")
    pair.sort("sl", desc=True)
    pair.sort("sl", 1, 2)
    pair.sort("sl", start=1)
    pair.sort("sl", alpha=True)
    pair.sort("sl", store="sorted")
    pair.execute_command("LRANGE", "sorted", 0, -1)
    pair.sort("missing")
    pair.sort("missing", store="dst")
    pair.mset({"w_1": 30, "w_2": 20, "w_3": 10, "w_10": 5, "o_1": "one", "o_2": "two", "o_3": "three"})
    pair.sort("sl", by="w_*")
    pair.sort("sl", by="w_*", get="o_*")
    pair.sort("sl", by="nosort", get=["#", "o_*"])
    pair.sort("sl", get=["#", "o_*"], groups=True)
    pair.sort("sl", get="o_*", groups=True)
    pair.sort("sl", get=["o_*"], groups=True)
    pair.sort("sl", groups=True)
    pair.execute_command("HSET", "hw_1", "f", 3)
    pair.sort("sl", by="hw_*->f", get="hw_*->f")
    pair.execute_command("SADD", "ss", "b", "a", "c")
    pair.sort("ss", alpha=True)
    pair.sort("ss")
    pair.execute_command("ZADD", "zs", 2, "x", 1, "y")
    pair.sort("zs", alpha=True)
    pair.sort("zs", by="nosort")
    pair.set("str", "v")
    pair.sort("str")
    pair.sort_ro("sl")
    pair.sort_ro("sl", 0, 2, desc=True)
    pair.sort_ro("ss", alpha=True, get="#")
    pair.sort_ro("sl", by="w_*", get=["#", "o_*"])
    pair.sort_ro("sl", start=1)
    same_keyspace(pair)


def test_binary_key_names(pair):
    """Non-UTF-8 key names: bytes without decoding; with ``decode_responses``
    the same UnicodeDecodeError as redis-py."""
    pair.set(b"\xff", 1)
    pair.set("é", 2)
    pair.unordered("keys")
    pair.exists(b"\xff", "é")
    pair.rename(b"\xff", b"\xfe")
    pair.type(b"\xfe")
    pair.sort("missing", get=b"\xff")
    same_keyspace(pair)


def test_by_protocol(proto_pair):
    """SCAN, SORT groups, TYPE, OBJECT and the bool/int callbacks on both
    wires."""
    p = proto_pair
    p.mset({"a": 1, "b": 2})
    p.execute_command("RPUSH", "l", 2, 1)
    p.scan(0, match="a*", count=100)
    p.sort("l", get=["#", "#"], groups=True)
    p.type("l")
    p.object("encoding", "l")
    p.expire("a", 100)
    p.expire("a", 100, nx=True)
    p.persist("a")
    p.rename("a", "c")
    p.renamenx("b", "c")
    p.copy("c", "d")
    p.move("d", 1)
    p.expiretime("c")
    p.keys("c*")
    same_keyspace(p)


def test_pipeline(pair):
    """The key methods through a non-transactional pipeline, errors included."""

    def build(p):
        p.mset({"a": 1, "b": 2}).exists("a", "b", "z").type("a").expire("a", 100).ttl("a")
        p.persist("a").pexpire("b", 100000, nx=True).expiretime("a").pexpiretime("missing")
        p.rename("a", "c").renamenx("b", "c").copy("c", "d").move("d", 1).touch("c", "b")
        p.keys("c*").scan(0, match="c*", count=100).object("encoding", "c")
        p.execute_command("RPUSH", "l", 3, 1, 2)
        p.sort("l").sort("l", get=["#", "#"], groups=True).sort_ro("l", desc=True).sort("c4")
        p.rename("missing", "x").unlink("c").delete("b", "l")

    same_pipeline(pair, build)
    same_keyspace(pair)


def test_warnings(pair):
    """``watch``/``unwatch`` on a client warn as in redis-py."""
    same_warnings(pair, "watch", "k")
    same_warnings(pair, "unwatch")


def test_random_sequence(pair):
    """600 random generic-key calls over strings, lists and sets in five
    keys: every outcome equal, then the same data. Expiry values are all
    distinct, so GT/LT never compare equal times."""
    rng = random.Random(424242)
    keys = ["a", "b", "c", "d", "e"]
    for i in range(600):
        k, k2 = rng.choice(keys), rng.choice(keys)
        ttl = 10000 + i * 10 if rng.random() < 0.5 else 100000 - i * 10
        calls = [
            ("set", (k, rng.randint(0, 9)), {}),
            ("execute_command", ("RPUSH", k, rng.randint(0, 9)), {}),
            ("execute_command", ("SADD", k, rng.randint(0, 9)), {}),
            ("exists", (k, k2), {}),
            ("delete", (k,), {}),
            ("unlink", (k, k2), {}),
            ("touch", (k,), {}),
            ("type", (k,), {}),
            ("expire", (k, ttl), rng.choice([{}, {"nx": True}, {"xx": True}, {"gt": True}, {"lt": True}])),
            ("pexpire", (k, ttl * 1000), rng.choice([{}, {"gt": True}, {"lt": True}])),
            ("persist", (k,), {}),
            ("rename", (k, k2), {}),
            ("renamenx", (k, k2), {}),
            ("copy", (k, k2), rng.choice([{}, {"replace": True}])),
            ("expireat", (k, int(time.time()) - 10), {}),
            ("sort", (k,), rng.choice([{}, {"desc": True}, {"alpha": True}])),
            ("sort", (k,), {"store": k2}),
            ("expiretime", ("missing",), {}),
        ]
        method, args, kwargs = rng.choice(calls)
        pair.call(method, *args, **kwargs)
        if i % 50 == 0:
            pair.unordered("keys")
    same_keyspace(pair)
