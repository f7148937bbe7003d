"""Server and connection methods: kvstore.Redis against redis-py +
redis-server. Replies that depend on the server's identity (ids,
addresses, clocks, memory) are compared by shape and type; the rest by
value."""

import datetime
import random
import time
import warnings

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import kvstore
from conftest import fresh_client, outcome
from engine_support import (
    assert_unknown_command,
    differential_or_unknown,
    engine_runs,
    sent,
)

# -- connection ----------------------------------------------------------


def test_ping_echo(pair):
    assert pair.ping() is True
    for value in ["hello", b"bytes", 42, 1.5, "", "\u00e9t\u00e9", 10**30]:
        pair.echo(value)
    pair.echo(None)
    pair.echo(True)
    pair.echo(b"\xff\xfe")


def test_select_and_dbsize(pair):
    pair.set("k", "v")
    pair.dbsize()
    assert pair.select(1) is True
    pair.get("k")
    pair.set("k1", "in db1")
    pair.dbsize()
    pair.select(0)
    pair.get("k")
    pair.get("k1")
    pair.select(16)
    pair.select(-1)
    pair.select("x")
    pair.same_data()


def test_flush_and_swapdb(pair):
    pair.set("a", "0")
    pair.select(1)
    pair.set("b", "1")
    pair.select(0)
    assert pair.swapdb(0, 1) is True
    pair.get("a")
    pair.get("b")
    pair.swapdb(0, 0)
    pair.swapdb(0, 99)
    pair.swapdb("x", 1)
    pair.flushdb()
    pair.dbsize()
    pair.select(1)
    pair.dbsize()
    pair.flushdb(asynchronous=True)
    pair.dbsize()
    pair.set("c", "1")
    pair.flushall()
    pair.dbsize()
    pair.set("d", "1")
    pair.flushall(asynchronous=True)
    pair.dbsize()
    pair.select(0)
    pair.same_data()


def test_reset(pair):
    pair.select(2)
    pair.set("k", "v")
    pair.client_setname("before-reset")
    assert pair.reset() == "RESET"
    # RESET also drops redis-py's connection back to RESP2 (its next
    # command then stalls), so the state after it is checked on kvstore:
    # db 0 and no name, as RESET documents.
    assert pair.kv.client_getname() is None
    assert pair.kv.get("k") is None
    pair.kv.select(2)
    assert pair.kv.get("k") in ("v", b"v")


def test_auth_without_password(pair):
    # redis-py retries AuthenticationError (a ConnectionError) with backoff
    # by default; without retries the answer is the same, only faster.
    port = pair.rp.connection_pool.connection_kwargs["port"]
    pair.rp = redis.Redis(port=port, decode_responses=pair.decode, retry=Retry(NoBackoff(), 0))
    pair.auth("secret")
    pair.auth("secret", username="default")
    pair.auth("secret", username="nobody")


def test_watch_unwatch_warn(pair):
    for client in (pair.kv, pair.rp):
        with pytest.warns(DeprecationWarning, match="Call WATCH from a Pipeline object"):
            assert client.watch("a", "b") is None
        with pytest.warns(DeprecationWarning, match="Call UNWATCH from a Pipeline object"):
            assert client.unwatch() is None


@pytest.mark.parametrize(
    "method", ["hello", "failover", "command_info", "command_docs", "debug_segfault",
               "memory_doctor", "memory_help", "latency_doctor", "latency_graph",
               "latency_histogram"])
def test_refused_like_redis_py(pair, method):
    pair.call(method)


def test_quit(pair):
    differential_or_unknown(pair, "quit", "quit")


# -- CLIENT --------------------------------------------------------------


def test_client_name(pair):
    pair.client_getname()
    assert pair.client_setname("worker-1") is True
    pair.client_getname()
    pair.client_setname("has space")
    pair.client_setname("")
    pair.client_getname()
    pair.client_setname(b"\xe9")
    pair.client_setname(None)


def test_client_name_in_list_and_info(pair):
    pair.client_setname("me")
    for c in (pair.kv, pair.rp):
        info = c.client_info()
        assert info["name"] == "me"
        assert info["id"] == c.client_id()
        mine = c.client_list(client_id=[info["id"]])
        assert len(mine) == 1 and mine[0]["name"] == "me"
        assert mine[0]["id"] == str(info["id"])


def test_client_info_shape(pair):
    kv, rp = pair.kv.client_info(), pair.rp.client_info()
    assert set(rp) <= set(kv), f"missing fields: {set(rp) - set(kv)}"
    assert {k: type(v) for k, v in kv.items() if k in rp} == {k: type(v) for k, v in rp.items()}
    for field in ("name", "db", "sub", "psub", "ssub", "multi", "flags", "user", "redir"):
        assert kv[field] == rp[field], field
    assert kv["cmd"] == rp["cmd"] == "client|info"
    assert kv["resp"] == rp["resp"] == "3"


def test_client_list_shape(pair):
    kv = pair.kv.client_list()
    rp = [c for c in pair.rp.client_list() if c["id"] == str(pair.rp.client_id())]
    assert len(kv) >= 1 and len(rp) == 1
    mine = [c for c in kv if c["id"] == str(pair.kv.client_id())]
    assert len(mine) == 1
    assert set(rp[0]) <= set(mine[0])
    assert all(isinstance(v, str) for c in kv for v in c.values())
    assert str(pair.kv.client_id()) in [c["id"] for c in pair.kv.client_list(_type="normal")]
    pair.call("client_list", _type="pubsub")
    pair.client_list(_type="bogus")
    pair.client_list(client_id="1")
    pair.client_list(client_id=["x"])
    pair.client_list(client_id=[10**9])


def test_client_id(pair):
    assert isinstance(pair.kv.client_id(), int) and isinstance(pair.rp.client_id(), int)
    assert pair.kv.client_id() == pair.kv.client_id()
    other = kvstore.Redis(connection_pool=pair.kv.connection_pool)
    assert other.client_id() != pair.kv.client_id()


def test_client_misc(pair):
    pair.client_getredir()
    pair.client_trackinginfo()
    assert pair.client_no_evict("on") in ("OK", b"OK")
    pair.client_no_evict("off")
    pair.client_no_evict("maybe")


def test_client_setinfo_and_no_touch_kvstore():
    """CLIENT SETINFO and NO-TOUCH are Redis 7.2; the engine runs them
    (clients send them), redis-server 7.0 does not, so they are checked on
    kvstore alone."""
    r = fresh_client(decode_responses=True)
    assert r.client_setinfo("lib-name", "mylib") is True
    assert r.client_info()["lib-name"] == "mylib"
    with pytest.raises(kvstore.ResponseError):
        r.client_setinfo("lib-name", "has space")
    assert r.client_no_touch("on") == "OK"
    assert "T" in r.client_info()["flags"]
    assert r.client_no_touch("off") == "OK"
    with pytest.raises(kvstore.ResponseError, match="syntax error"):
        r.client_no_touch("maybe")


def test_client_commands_the_engine_may_lack(pair):
    pair.client_kill_filter()
    pair.client_kill_filter(_type="weird")
    pair.client_kill_filter(skipme="yes")
    pair.client_reply("MAYBE")
    pair.client_pause("10")
    pair.client_tracking(prefix=["p"])
    differential_or_unknown(pair, "client|kill", "client_kill", "1.2.3.4:5")
    differential_or_unknown(pair, "client|kill", "client_kill_filter", _id=10**9)
    differential_or_unknown(pair, "client|kill", "client_kill_filter", _type="pubsub", skipme=True)
    differential_or_unknown(pair, "client|unblock", "client_unblock", 10**9)
    differential_or_unknown(pair, "client|unblock", "client_unblock", 10**9, error=True)
    differential_or_unknown(pair, "client|reply", "client_reply", "ON")
    differential_or_unknown(pair, "client|tracking", "client_tracking_off")
    differential_or_unknown(pair, "client|pause", "client_pause", 1, all=False)
    differential_or_unknown(pair, "client|unpause", "client_unpause")


# -- COMMAND -------------------------------------------------------------


def test_command_entries(pair):
    """Every command the engine has is described as redis-server does
    (the ``tips`` and ``key_specifications`` details are not compared)."""
    kv, rp = pair.kv.command(), pair.rp.command()
    assert kv, "COMMAND gave nothing"
    assert set(kv) <= set(rp), set(kv) - set(rp)
    fields = ("name", "arity", "flags", "first_key_pos", "last_key_pos", "step_count",
              "acl_categories")
    for name, entry in kv.items():
        assert {f: entry[f] for f in fields} == {f: rp[name][f] for f in fields}, name


# Commands the engine runs that redis-server 7.0 does not (reported as an
# engine mismatch: CLIENT SETINFO arrived in Redis 7.2).
_NEWER_THAN_7_0 = {"client|setinfo", "client|no-touch"}


def test_command_list_and_count(pair):
    names = [n.decode() if isinstance(n, bytes) else n for n in pair.kv.command_list()]
    assert pair.kv.command_count() == len(pair.kv.command()) == len(
        [n for n in names if "|" not in n])
    rp_names = {n.decode() if isinstance(n, bytes) else n for n in pair.rp.command_list()}
    assert set(names) - _NEWER_THAN_7_0 <= rp_names
    for kwargs in [dict(pattern="z*"), dict(category="sortedset"), dict(category="fast"),
                   dict(pattern="client|*")]:
        kv = set(pair.kv.command_list(**kwargs)) - {n.encode() for n in _NEWER_THAN_7_0}
        kv -= _NEWER_THAN_7_0
        assert kv and kv <= set(pair.rp.command_list(**kwargs)), kwargs
    pair.command_list(module="nosuchmodule")
    pair.command_list(category="nosuchcategory")
    pair.command_list(pattern="nomatch*")
    pair.command_list(module="x", category="y")


def test_command_getkeys(pair):
    pair.command_getkeys("SET", "a", "b")
    pair.command_getkeys("MSET", "a", "1", "b", "2")
    pair.command_getkeys("ZUNIONSTORE", "d", 2, "x", "y", "WEIGHTS", 1, 2)
    pair.command_getkeys("GET")
    pair.command_getkeys("NOSUCH", "a")
    pair.command_getkeys("PING")
    pair.command_getkeysandflags("GET", "a")
    pair.command_getkeysandflags("ZRANGE", "s", 0, 1)
    pair.command_getkeysandflags("NOSUCH")


# -- CONFIG --------------------------------------------------------------

_SHARED_PARAMS = [
    "maxmemory", "maxmemory-policy", "maxmemory-samples", "hash-max-listpack-entries",
    "hash-max-listpack-value", "zset-max-listpack-entries", "zset-max-ziplist-entries",
    "set-max-intset-entries", "list-max-listpack-size", "list-compress-depth", "databases",
    "timeout", "notify-keyspace-events", "lfu-log-factor", "lfu-decay-time",
    "slowlog-log-slower-than", "slowlog-max-len", "proto-max-bulk-len", "hll-sparse-max-bytes",
    "appendonly",
]


def test_config_get(pair):
    for name in _SHARED_PARAMS:
        pair.config_get(name)
    pair.config_get("zset-max-*")
    pair.config_get("maxmemory", "timeout", "databases")
    pair.config_get("no-such-parameter")
    pair.config_get("nomatch*")
    kv = pair.kv.config_get()
    assert kv and set(kv) <= set(pair.rp.config_get())
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in kv.items())


def test_config_set(pair):
    try:
        assert pair.config_set("zset-max-listpack-entries", 3) is True
        pair.config_get("zset-max-listpack-entries")
        pair.zadd("z", {"a": 1, "b": 2, "c": 3})
        pair.object("encoding", "z")
        pair.zadd("z", {"d": 4})
        pair.object("encoding", "z")
        pair.config_set("zset-max-listpack-entries", 10, "zset-max-listpack-value", 16)
        pair.config_get("zset-max-listpack-*")
        pair.config_set("zset-max-listpack-entries", "abc")
        pair.config_set("no-such-parameter", 1)
        pair.config_set("maxmemory-policy", "bogus")
        pair.config_set("zset-max-listpack-entries", 5, "zset-max-listpack-entries", 6)
        pair.config_set("timeout", None)
    finally:
        pair.rp.config_set("zset-max-listpack-entries", 128, "zset-max-listpack-value", 64)


def test_config_resetstat_rewrite(pair):
    assert pair.config_resetstat() is True
    # redis-server runs without a config file here; so does the engine.
    pair.config_rewrite()


# -- keys' internals -----------------------------------------------------


def test_object(pair):
    pair.zadd("z", {"a": 1})
    pair.set("n", 12)
    pair.set("s", "text")
    for key in ["z", "n", "s", "missing"]:
        pair.object("encoding", key)
        pair.object("refcount", key)
    pair.object("freq", "z")
    pair.object("freq", "missing")
    pair.object("nosuch", "z")
    for c in (pair.kv, pair.rp):
        assert c.object("idletime", "z") in (0, 1)
        assert c.object("idletime", "missing") is None


def test_memory_debug_latency_slowlog(pair):
    pair.zadd("z", {"a": 1})
    # samples not an int: no SAMPLES sent
    differential_or_unknown(pair, "memory|usage", "memory_usage", "z", samples="x")
    differential_or_unknown(pair, "memory|usage", "memory_usage", "missing")
    differential_or_unknown(pair, "memory|purge", "memory_purge")
    differential_or_unknown(pair, "slowlog|len", "slowlog_len")
    differential_or_unknown(pair, "slowlog|reset", "slowlog_reset")
    differential_or_unknown(pair, "latency|latest", "latency_latest")
    differential_or_unknown(pair, "latency|history", "latency_history", "command")
    differential_or_unknown(pair, "latency|reset", "latency_reset")
    differential_or_unknown(pair, "debug", "debug_object", "z")
    for method, args, command in [("memory_usage", ("z",), "memory|usage"),
                                  ("memory_stats", (), "memory|stats"),
                                  ("memory_malloc_stats", (), "memory|malloc-stats"),
                                  ("slowlog_get", (), "slowlog|get"),
                                  ("lolwut", (), "lolwut")]:
        if engine_runs(command):
            kv, rp = getattr(pair.kv, method)(*args), getattr(pair.rp, method)(*args)
            assert type(kv) is type(rp), method
        else:
            assert_unknown_command(getattr(pair.kv, method), *args)


# -- server information --------------------------------------------------


def test_info(pair):
    kv, rp = pair.kv.info(), pair.rp.info()
    assert kv["redis_version"] == rp["redis_version"] == kvstore.REDIS_VERSION
    assert set(kv) <= set(rp) | {k for k in kv if k.startswith("db")}
    assert {k: type(v) for k, v in kv.items() if k in rp} == {
        k: type(rp[k]) for k in kv if k in rp}
    for section in ["server", "clients", "memory", "persistence", "stats", "replication",
                    "cpu", "keyspace"]:
        kvs, rps = pair.kv.info(section), pair.rp.info(section)
        assert set(kvs) <= set(rps), (section, set(kvs) - set(rps))
    assert set(pair.kv.info("server", "clients")) <= set(pair.rp.info("server", "clients"))
    assert set(pair.kv.info("everything")) - set(pair.rp.info("everything")) <= {
        k for k in pair.kv.info("everything") if k.startswith(("cmdstat_", "latency_", "errorstat_"))}
    pair.info("nosuchsection")
    for key in pair.kv.info("server"):
        assert key in pair.rp.info("server"), key


def test_info_keyspace_values(pair):
    pair.info("keyspace")
    pair.set("a", "1")
    pair.zadd("z", {"m": 1})
    pair.select(3)
    pair.set("b", "1")
    pair.select(0)
    pair.info("keyspace")
    pair.info("KEYSPACE")
    pair.info("keyspace")["db0"]


def test_time_lastsave_role(pair):
    kv, rp = pair.kv.time(), pair.rp.time()
    assert isinstance(kv, tuple) and len(kv) == 2 and all(isinstance(x, int) for x in kv)
    assert abs(kv[0] - rp[0]) < 5
    assert 0 <= kv[1] < 1_000_000
    assert isinstance(pair.kv.lastsave(), datetime.datetime)
    assert isinstance(pair.rp.lastsave(), datetime.datetime)
    pair.role()


def test_snapshots(pair, tmp_path):
    """SAVE/BGSAVE: redis-py's results from a store with a data directory;
    an in-memory store says it has nowhere to save."""
    on_disk = kvstore.Redis(path=str(tmp_path), decode_responses=pair.decode)
    for method, kwargs in [("save", {}), ("bgsave", {}), ("bgsave", {"schedule": False})]:
        while on_disk.info("persistence")["rdb_bgsave_in_progress"]:
            time.sleep(0.01)
        for _ in range(100):
            expected = outcome(getattr(pair.rp, method), **kwargs)
            if expected[0] == "ok":
                break
            time.sleep(0.05)  # redis-server's own BGSAVE still running
        assert outcome(getattr(on_disk, method), **kwargs) == expected
        with pytest.raises(kvstore.ResponseError, match="in memory"):
            getattr(pair.kv, method)(**kwargs)


def test_persistence_and_replication(pair):
    """Commands the engine answers only once it persists or replicates;
    the server is never asked to shut down."""
    for method, args, kwargs, command in [
        ("wait", (0, 0), {}, "wait"),
        ("slaveof", (), {}, "slaveof"), ("replicaof", ("NO", "ONE"), {}, "replicaof"),
    ]:
        if engine_runs(command):
            pair.call(method, *args, **kwargs)
        else:
            assert_unknown_command(getattr(pair.kv, method), *args, **kwargs)
    # An in-memory engine has no append-only file to rewrite.
    with pytest.raises(kvstore.ResponseError, match="in memory"):
        pair.kv.bgrewriteaof()
    pair.shutdown(save=True, nosave=True)
    pair.migrate("127.0.0.1", 1, [], 0, 10)
    assert_unknown_command(pair.kv.sync)
    assert_unknown_command(pair.kv.psync, "?", -1)
    # In-process there is no server to stop: the engine says so.
    with pytest.raises(kvstore.ResponseError, match="SHUTDOWN is not available: the engine is embedded"):
        pair.kv.shutdown(nosave=True)
    assert_unknown_command(pair.kv.migrate, "127.0.0.1", 1, "k", 0, 10)


def test_redis8_commands(pair):
    """Methods for commands newer than Redis 7.0: the same error on both."""
    pair.waitaof(0, 0, 0)
    pair.hotkeys_stop()
    pair.hotkeys_reset()
    pair.hotkeys_get()


# -- argv fidelity -------------------------------------------------------


def test_argv_matches_redis_py():
    sent("auth", "pw")
    sent("auth", "pw", "user")
    sent("bgrewriteaof")
    sent("bgsave")
    sent("bgsave", False)
    sent("role")
    sent("client_kill", "1.2.3.4:5")
    sent("client_kill_filter", _id=1, _type="normal", addr="a:1", skipme=False, laddr="b:2",
         user="u", maxage=3)
    sent("client_info")
    sent("client_list", "normal", [1, 2])
    sent("client_getname")
    sent("client_getredir")
    sent("client_reply", "SKIP")
    sent("client_id")
    sent("client_tracking_on", 5, ["a", "b"], True, True, True, True)
    sent("client_tracking_off")
    sent("client_tracking", False, 1, [], False, False, False, True)
    sent("client_trackinginfo")
    sent("client_setname", "n")
    sent("client_setinfo", "lib-ver", "1")
    sent("client_unblock", "7", True)
    sent("client_pause", 10, False)
    sent("client_pause", 10)
    sent("client_unpause")
    sent("client_no_evict", "ON")
    sent("client_no_touch", "OFF")
    sent("command")
    sent("command_count")
    sent("command_list", "m", "c", "p")
    sent("command_list")
    sent("command_getkeys", "GET", "k")
    sent("command_getkeysandflags", "GET", "k")
    sent("config_get")
    sent("config_get", "a", "b")
    sent("config_set", "a", 1, "b", 2)
    sent("config_resetstat")
    sent("config_rewrite")
    sent("dbsize")
    sent("debug_object", "k")
    sent("echo", "x")
    sent("flushall", True)
    sent("flushdb")
    sent("sync")
    sent("psync", "id", 5)
    sent("swapdb", 0, 1)
    sent("select", 3)
    sent("info")
    sent("info", "server", "clients")
    sent("lastsave")
    sent("lolwut")
    sent("lolwut", 5, 1)
    sent("reset")
    sent("migrate", "h", 1, ["a", "b"], 0, 10, True, True, "pw")
    sent("object", "encoding", "k")
    sent("memory_stats")
    sent("memory_malloc_stats")
    sent("memory_usage", "k", 5)
    sent("memory_purge")
    sent("latency_history", "command")
    sent("latency_latest")
    sent("latency_reset", "a", "b")
    sent("ping")
    sent("quit")
    sent("replicaof", "NO", "ONE")
    sent("save")
    sent("shutdown", save=True, now=True, force=True, abort=True)
    sent("shutdown", nosave=True)
    sent("slaveof")
    sent("slaveof", "h", 1)
    sent("slowlog_get", 5)
    sent("slowlog_len")
    sent("slowlog_reset")
    sent("time")
    sent("wait", 1, 2)
    sent("waitaof", 1, 2, 3)
    sent("hotkeys_stop")
    sent("hotkeys_reset")
    sent("hotkeys_get")


def test_hotkeys_start_argv():
    from redis.commands.core import HotkeysMetricsTypes

    sent("hotkeys_start", [HotkeysMetricsTypes.CPU, HotkeysMetricsTypes.NET], count=5,
         duration=10, sample_ratio=2, slots=[1, 2])
    sent("hotkeys_start", [HotkeysMetricsTypes.CPU])


def test_slowlog_get_never_decodes():
    r = fresh_client(decode_responses=True)
    calls = []
    r.execute_command = lambda *a, **o: calls.append((a, o))
    r.slowlog_get()
    assert calls == [(("SLOWLOG GET",), {"NEVER_DECODE": []})]


# -- RESP2, pipelines, random sequences ------------------------------------


def test_resp2_shapes(proto_pair):
    p = proto_pair
    p.ping()
    p.echo("x")
    p.config_get("maxmemory")
    p.config_get("zset-max-*")
    p.client_getname()
    p.client_setname("two")
    p.client_getname()
    p.client_trackinginfo()
    p.command_getkeys("SET", "a", "b")
    p.command_getkeysandflags("ZRANGE", "s", 0, 1)
    p.role()
    p.set("k", "v")
    p.info("keyspace")
    p.dbsize()
    p.object("encoding", "k")
    kv, rp = p.kv.command(), p.rp.command()
    assert kv["get"] == rp["get"]
    assert p.kv.client_info()["resp"] == p.rp.client_info()["resp"]
    assert isinstance(p.kv.time(), tuple)


def _server_script(c):
    c.ping()
    c.echo("hello")
    c.set("a", "1")
    c.dbsize()
    c.config_get("maxmemory")
    c.client_getname()
    c.client_setname("pipe")
    c.client_getname()
    c.select(1)
    c.dbsize()
    c.select(0)
    c.swapdb(0, 1)
    c.dbsize()
    c.object("encoding", "a")
    c.command_getkeys("GET", "x")
    c.role()
    c.flushdb()
    c.echo(b"\x00bin")
    c.select(99)
    c.flushall()


def test_pipeline(pair):
    kv = pair.kv.pipeline(transaction=False)
    rp = pair.rp.pipeline(transaction=False)
    _server_script(kv)
    _server_script(rp)
    got = kv.execute(raise_on_error=False)
    want = rp.execute(raise_on_error=False)
    norm = [lambda x: (type(x), str(x)) if isinstance(x, Exception) else x][0]
    assert list(map(norm, got)) == list(map(norm, want))
    pair.same_data()


@pytest.mark.parametrize("seed", [7, 8])
def test_random_sequences(pair, seed):
    """Random connection/keyspace commands interleaved with writes."""
    rng = random.Random(seed)
    compared = 0
    while compared < 500:
        db = rng.randint(0, 3)
        key = rng.choice(["k1", "k2", "k3", "z"])
        method, args, kwargs = rng.choice([
            ("select", (db,), {}),
            ("set", (key, rng.randint(0, 9)), {}),
            ("zadd", ("z", {rng.choice("abc"): rng.randint(0, 3)}), {}),
            ("dbsize", (), {}),
            ("swapdb", (db, rng.randint(0, 3)), {}),
            ("flushdb", (), {"asynchronous": rng.random() < 0.5}),
            ("echo", (rng.choice(["x", b"y", 3]),), {}),
            ("ping", (), {}),
            ("object", ("encoding", key), {}),
            ("get", (key,), {}),
            ("info", ("keyspace",), {}),
            ("client_setname", (rng.choice(["a", "b", "has space"]),), {}),
            ("client_getname", (), {}),
        ])
        if method == "flushdb" and rng.random() < 0.7:
            continue  # keep the keyspace populated most of the time
        pair.call(method, *args, **kwargs)
        compared += 1
    pair.select(0)
    pair.same_data()


def test_methods_present_with_redis_py_signatures():
    """Every redis-py 8.1 server/connection method exists on kvstore.Redis
    and Pipeline with the same parameters."""
    import inspect

    import redis
    from redis.commands.core import ManagementCommands

    names = [n for n in vars(ManagementCommands) if not n.startswith("_")]
    names += ["command_getkeys", "watch", "unwatch"]
    for name in names:
        ours = inspect.signature(getattr(kvstore.Redis, name))
        theirs = inspect.signature(getattr(redis.Redis, name))
        strip = [p.replace(annotation=inspect.Parameter.empty) for p in theirs.parameters.values()]
        mine = [p.replace(annotation=inspect.Parameter.empty) for p in ours.parameters.values()]
        assert mine == strip, name
        assert callable(getattr(kvstore.Pipeline, name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert outcome(fresh_client().ping) == ("ok", True)
