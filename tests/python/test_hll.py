"""HyperLogLog methods against redis-py → redis-server 7.0: estimates,
the stored representation (sparse and dense, byte for byte), merges,
wrong types, corrupt values, RESP2, pipelines and a random sequence."""

import random

import pytest
from redis.commands.core import HyperlogCommands

from kvstore.commands.hll import HyperLogLogCommands
from keyspace_support import same_argv, same_keyspace, same_pipeline, same_signature


@pytest.mark.parametrize("name", ["pfadd", "pfcount", "pfmerge"])
def test_signatures_match_redis_py(name):
    """Each method takes redis-py 8.1's parameters."""
    same_signature(HyperLogLogCommands, HyperlogCommands, name)


@pytest.mark.parametrize(
    "method,args",
    [("pfadd", ("h",)), ("pfadd", ("h", "a", 1, 2.5, b"\xff")), ("pfcount", ()),
     ("pfcount", ("a", "b")), ("pfmerge", ("d",)), ("pfmerge", ("d", "a", "b"))],
)
def test_argv_matches_redis_py(method, args):
    """kvstore sends redis-py's argv."""
    same_argv(method, *args)


def test_add_count_merge(pair):
    """PFADD (changed or not, no elements), PFCOUNT of one and many keys,
    PFMERGE into new and existing keys; the values stay byte-identical."""
    pair.pfadd("h", "a", "b", "c")
    pair.pfadd("h", "a")
    pair.pfadd("h")
    pair.pfadd("empty")
    pair.pfcount("h")
    pair.pfcount("h", "empty", "missing")
    pair.pfcount("missing")
    pair.pfcount()
    pair.pfmerge("m", "h", "empty")
    pair.pfcount("m")
    pair.pfmerge("solo")
    pair.type("solo")
    pair.pfmerge("m", "missing")
    pair.pfadd("num", 1, 2.5, 10**20, b"\x00\xff")
    pair.pfcount("num", "h")
    pair.pfadd("h", True)
    pair.pfadd("h", None)
    same_keyspace(pair)


def test_dense_representation(pair):
    """Enough elements turn the sparse encoding dense: estimates, merges
    and the stored bytes stay equal."""
    pair.pfadd("big", *range(3000))
    pair.pfcount("big")
    pair.pfadd("big2", *range(2000, 9000))
    pair.pfcount("big", "big2")
    pair.pfmerge("merged", "big", "big2")
    pair.pfcount("merged")
    pair.pfmerge("small", "big")
    pair.pfadd("tiny", "x")
    pair.pfmerge("tiny", "big2")
    pair.pfcount("tiny")
    pair.strlen("big")
    pair.getrange("merged", 0, 3)
    same_keyspace(pair)


def test_wrong_type_and_corrupt(pair):
    """PF* on non-HyperLogLog strings, other types and corrupt payloads."""
    pair.set("s", "not a hll")
    pair.pfadd("s", "x")
    pair.pfcount("s")
    pair.pfmerge("s", "s")
    pair.pfmerge("d", "s")
    pair.execute_command("RPUSH", "l", "x")
    pair.pfadd("l", "x")
    pair.pfcount("l")
    pair.pfmerge("l")
    pair.pfadd("h", "a", "b")
    pair.setrange("h", 4, b"\x09")
    pair.pfcount("h")
    pair.pfadd("h", "c")
    pair.pfadd("g", "a")
    pair.setrange("g", 16, b"\xff\xff\xff")
    pair.pfcount("g")
    pair.pfadd("g", "q")
    pair.pfmerge("g2", "g")
    pair.set("hdr", b"HYLL")
    pair.pfcount("hdr")
    same_keyspace(pair)


def test_by_protocol(proto_pair):
    """PFMERGE's ``True`` and the integer replies on both wires."""
    proto_pair.pfadd("a", 1, 2)
    proto_pair.pfadd("b", 2, 3)
    proto_pair.pfmerge("c", "a", "b")
    proto_pair.pfcount("c")
    same_keyspace(proto_pair)


def test_pipeline(pair):
    """The HyperLogLog methods through a non-transactional pipeline."""

    def build(p):
        p.pfadd("a", 1, 2, 3).pfadd("a", 1).pfadd("b", 4).pfcount("a", "b")
        p.pfmerge("c", "a", "b").pfcount("c").set("s", "x").pfadd("s", 1).pfcount("s")

    same_pipeline(pair, build)
    same_keyspace(pair)


def test_random_sequence(pair):
    """500 random PFADD/PFCOUNT/PFMERGE calls over four keys (one a plain
    string): every outcome equal, then byte-identical values."""
    rng = random.Random(7)
    keys = ["h0", "h1", "h2", "plain"]
    pair.set("plain", "x")
    for _ in range(500):
        k = rng.choice(keys)
        choice = rng.randrange(3)
        if choice == 0:
            size = rng.choice([1, 5, 50, 400])
            pair.pfadd(k, *[rng.randrange(20000) for _ in range(size)])
        elif choice == 1:
            pair.pfcount(*rng.sample(keys, rng.randint(1, 3)))
        else:
            pair.pfmerge(k, *rng.sample(keys, rng.randint(0, 2)))
    same_keyspace(pair)
