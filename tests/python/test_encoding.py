"""Arguments encoded natively: ints and floats become exactly the text
redis-py sends (``repr``), and the typed fast paths (ZADD scores, HSET,
HGET, HKEYS/HVALS/HGETALL, EVALSHA) answer as the command table does."""

import math
import random
import struct

import pytest

import kvstore

from conftest import fresh_client


def floats(rng, n):
    """Specials, every power of two and ten, exact ties between shortest
    candidates, and ``n`` each of random bit patterns, short decimals and
    integers scaled by powers of ten."""
    out = [0.0, -0.0, 1.0, -1.5, 0.1, 0.2, 0.30000000000000004, 1 / 3, 1e16, 1e15,
           9999999999999998.0, 1e-4, 1e-5, 0.0001234, 5e-324, 2.2250738585072014e-308,
           1.7976931348623157e308, math.inf, -math.inf, math.nan, 1e22, 1e23,
           123456789012345678.0, 2.0 ** -25, 1006989659655489.25, 117485088342979.625]
    out += [2.0 ** e for e in range(-1074, 1024)]
    out += [10.0 ** e for e in range(-323, 309)]
    for _ in range(n):
        out.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
        out.append(round(rng.uniform(-1e4, 1e4), rng.randrange(0, 8)))
        out.append(float(f"{rng.randrange(10 ** rng.randrange(1, 18))}e{rng.randrange(-25, 5)}"))
        out.append(math.ldexp(rng.getrandbits(53) | 1 << 52, rng.randrange(-80, 40)))
        out.append((2 ** 50 + rng.randrange(-1000, 1000)) / 10 ** rng.randrange(0, 18))
    return out


def test_floats_are_sent_as_their_repr(r):
    for x in floats(random.Random(5), 20_000):
        r.set("k", x)
        assert r.get("k") == repr(x).encode(), repr(x)
    # The generic path encodes the same way.
    r.execute_command("SET", "k", 2.0 ** -25)
    assert r.get("k") == b"2.9802322387695312e-08"


def test_ints_and_subclasses_are_sent_as_their_repr(r):
    class Tagged(float):
        def __repr__(self):
            return "tagged"

    class Big(int):
        def __repr__(self):
            return "big"

    for v, want in [(0, b"0"), (-7, b"-7"), (2 ** 63 - 1, b"9223372036854775807"),
                    (-2 ** 63, b"-9223372036854775808"), (2 ** 64, b"18446744073709551616"),
                    (-10 ** 30, b"-" + b"1" + b"0" * 30), (Tagged(1.5), b"tagged"),
                    (Big(3), b"big")]:
        r.set("k", v)
        assert r.get("k") == want


def test_zadd_scores_match_redis(pair):
    rng = random.Random(9)
    scores = [x for x in floats(rng, 200) if not math.isnan(x)]
    scores += [0, -1, 2 ** 53 + 1, 2 ** 63 - 1, -2 ** 63, 2 ** 64 + 1, 10 ** 400, "1.5", b"-inf",
               "(1", math.nan, None, True]
    for i, s in enumerate(scores):
        pair.zadd("z", {f"m{i % 50}": s})
        pair.zscore("z", f"m{i % 50}")
    # Several pairs at once, typed and not (a string score among them).
    pair.zadd("z2", {"a": 1.5, "b": 2 ** 60, "c": -0.0})
    pair.zadd("z2", {"a": 3, "d": "7", "e": 1e-300})
    pair.zadd("z2", {"x": 1.0, "y": math.nan})
    pair.zadd("z2", {None: 1.0})
    pair.set("s", "v")
    pair.zadd("s", {"a": 1.0})
    pair.zadd("s", {"a": 1.0, "b": 2.0})
    pair.same_data()


def test_typed_hash_paths_match_redis(pair):
    pair.hset("h", "f", 1.5)
    pair.hset("h", "f", "longer than twenty-two bytes, kept in a box")
    for i in range(300):
        pair.hset("h", f"f{i}", f"v{i}" * (i % 7))
    pair.hget("h", "f")
    pair.hget("h", "f299")
    pair.hget("h", "missing")
    pair.hget("missing", "f")
    pair.unordered("hkeys", "h")
    pair.unordered("hvals", "h")
    pair.hgetall("h")
    pair.hkeys("missing")
    pair.hgetall("missing")
    pair.set("s", "v")
    for method, args in [("hget", ("s", "f")), ("hset", ("s", "f", "v")), ("hkeys", ("s",)),
                         ("hvals", ("s",)), ("hgetall", ("s",))]:
        pair.call(method, *args)
    pair.same_data()


def test_typed_paths_queue_inside_multi():
    r = fresh_client()
    r.execute_command("MULTI")
    assert r.hset("h", "f", "v") == b"QUEUED"
    assert r.hget("h", "f") == b"QUEUED"
    assert r.zadd("z", {"m": 1.5}) == b"QUEUED"
    assert r.execute_command("EXEC") == [1, b"v", 1]


@pytest.mark.parametrize("decode", [False, True])
def test_evalsha_applies_a_registered_callback(decode):
    r = fresh_client(decode_responses=decode)
    sha = r.script_load("return ARGV[1]")
    assert r.evalsha(sha, 0, "x") == ("x" if decode else b"x")
    r.set_response_callback("EVALSHA", lambda response, **options: ("seen", response))
    assert r.evalsha(sha, 0, 7) == ("seen", "7" if decode else b"7")


def test_a_registered_callback_applies_to_every_native_method():
    """Each native method gives way to its Python version once a callback
    is registered for its command (redis-py code that reshapes replies)."""
    from kvstore.client import _NATIVE_METHODS

    native = {n for n in dir(kvstore._kvstore.Client) if not n.startswith("_")}
    listed = {m for names in _NATIVE_METHODS.values() for m in names}
    assert native - {"execute_command", "evalsha"} <= listed
    calls = {
        "get": ("k",), "set": ("k", "v"), "delete": ("k",), "exists": ("k",), "ttl": ("k",),
        "incrby": ("n",), "incr": ("n",), "decrby": ("n",), "decr": ("n",),
        "hdel": ("h", "f"), "hexists": ("h", "f"), "hget": ("h", "f"), "hgetall": ("h",),
        "hincrby": ("hn", "f"), "hkeys": ("h",), "hlen": ("h",), "hset": ("h", "f", "v"),
        "hvals": ("h",), "llen": ("l",), "lpop": ("l",), "lpush": ("l", "x"),
        "lrange": ("l", 0, -1), "rpop": ("l",), "rpush": ("l", "x"), "sadd": ("s", "m"),
        "scard": ("s",), "sismember": ("s", "m"), "smembers": ("s",), "srem": ("s", "m"),
        "zadd": ("z", {"m": 1}),
    }
    for command, names in _NATIVE_METHODS.items():
        r = fresh_client()
        r.set_response_callback(command, lambda response, **options: ("seen", response))
        for name in names:
            got = getattr(r, name)(*calls[name])
            assert isinstance(got, tuple) and got[0] == "seen", (command, name, got)
        # Another client keeps the native method and the default shape.
        other = fresh_client()
        assert not isinstance(getattr(other, names[0])(*calls[names[0]]), tuple)
