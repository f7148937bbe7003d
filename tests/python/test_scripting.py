"""Scripting methods against redis-py → redis-server 7.0: EVAL/EVALSHA
(and their _RO forms) with Redis's type conversions and errors, the
SCRIPT subcommands, ``register_script`` with and without the script
cached, and scripts queued in pipelines (both kinds)."""

import hashlib

import pytest
from redis.commands.core import ScriptCommands as RedisPyScriptCommands

from kvstore.commands.scripting import ScriptCommands
from kvstore.script import Script
from conftest import fresh_client
from keyspace_support import same_argv, same_keyspace, same_pipeline, same_signature

METHODS = ["eval", "eval_ro", "evalsha", "evalsha_ro", "script_exists", "script_debug",
           "script_flush", "script_kill", "script_load", "register_script"]


@pytest.mark.parametrize("name", METHODS)
def test_signatures_match_redis_py(name):
    """Each method takes redis-py 8.1's parameters."""
    same_signature(ScriptCommands, RedisPyScriptCommands, name)


@pytest.mark.parametrize(
    "method,args",
    [("eval", ("return 1", 0)), ("eval", ("return KEYS[1]", 1, "k", "a", 2, 1.5)),
     ("eval_ro", ("return 1", 0)), ("evalsha", ("a" * 40, 1, "k")), ("evalsha_ro", ("a" * 40, 0)),
     ("script_exists", ("a" * 40, "b" * 40)), ("script_exists", ()), ("script_flush", ()),
     ("script_flush", ("SYNC",)), ("script_flush", ("ASYNC",)), ("script_flush", ("sync",)),
     ("script_kill", ()), ("script_load", ("return 1",)), ("script_debug", ("YES",))],
)
def test_argv_matches_redis_py(method, args):
    """kvstore sends redis-py's argv (or raises the same client-side error)."""
    same_argv(method, *args)


CONVERSIONS = [
    "return 1", "return 3.99", "return -2.5", "return 'text'", "return true", "return false",
    "return nil", "return {1, 'two', {3, {'four'}}, true, false}", "return {1, nil, 3}",
    "return {}", "return redis.status_reply('FINE')", "return {ok='STATUS'}",
    "return redis.error_reply('MYERR custom failure')", "return {err='plain failure'}",
    "return redis.sha1hex('abc')", "return #KEYS + #ARGV", "return {KEYS[1], ARGV[1], ARGV[2]}",
    "return cjson.encode({a={1,2}})", "return cjson.decode('[1,2,\"x\"]')",
    "return redis.call('incrby', KEYS[1], ARGV[3])", "return redis.call('get', 'missing')",
    "return redis.pcall('hget', KEYS[1], 'f')", "return redis.call('hget', KEYS[1], 'f')",
    "return redis.call('nosuchcommand')", "return redis.pcall('nosuchcommand')",
    "return type(redis.pcall('lpush', KEYS[1], 1))", "return tostring(unpack({5}))",
    "syntax error here", "error('raised')", "return loadstring(string.dump(function() end))",
    "return os.execute('true')", "newglobal = 1",
]


@pytest.mark.parametrize("script", CONVERSIONS)
def test_eval_conversions_and_errors(pair, script):
    """EVAL and EVALSHA of the same script: replies converted the way Redis
    converts Lua values, and errors of the same class and text."""
    pair.set("counter", 10)
    pair.eval(script, 1, "counter", "arg", 5)
    sha = hashlib.sha1(script.encode()).hexdigest()
    # A script that does not compile fails to load (the same error).
    assert pair.script_load(script) in (sha, None)
    pair.evalsha(sha, 1, "counter", "arg", 5)
    pair.evalsha_ro(sha, 1, "counter", "arg", 5)
    pair.eval_ro(script, 1, "counter", "arg", 5)
    same_keyspace(pair)


def test_eval_argument_errors(pair):
    """Bad key counts, unknown SHAs, None/bool arguments, non-UTF-8 replies
    with decode_responses, huge integers and writes under _RO."""
    pair.eval("return 1", -1)
    pair.eval("return 1", 2, "only-one")
    pair.eval("return 1", "x")
    pair.eval("return ARGV[1]", 0, 10**30)
    pair.eval("return ARGV[1]", 0, None)
    pair.eval("return ARGV[1]", 0, True)
    pair.eval("return ARGV[1]", 0, b"\xff\xfe")
    pair.eval("return {ARGV[1], 'x'}", 0, b"\xff")
    pair.evalsha("0" * 40, 0)
    pair.evalsha("short", 0)
    pair.evalsha_ro("0" * 40, 0)
    pair.eval_ro("return redis.call('set', KEYS[1], 1)", 1, "k")
    pair.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, "k", "v")
    pair.eval("return redis.call('lpush', KEYS[1], 1)", 1, "k")
    same_keyspace(pair)


def test_script_subcommands(pair):
    """SCRIPT LOAD/EXISTS/FLUSH (every sync_type, bad ones refused)/KILL
    (nothing running) and SCRIPT DEBUG (refused client-side)."""
    pair.script_flush()
    sha = pair.script_load("return 'loaded'")
    pair.script_load(b"return 'bytes'")
    pair.script_load("syntax error")
    pair.script_exists(sha, "0" * 40, sha.upper())
    pair.script_exists()
    pair.script_flush("SYNC")
    pair.script_exists(sha)
    pair.script_load("return 'loaded'")
    pair.script_flush("ASYNC")
    pair.script_exists(sha)
    pair.script_flush("sync")
    pair.script_flush(None)
    pair.script_kill()
    pair.script_debug("YES")


def test_register_script_with_and_without_cache(pair):
    """A registered script computes its SHA1 locally (str and bytes
    sources), loads itself after SCRIPT FLUSH and runs with keys/args."""
    pair.script_flush()
    src = "redis.call('incrby', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])"
    kv, rp = pair.kv.register_script(src), pair.rp.register_script(src)
    assert isinstance(kv, Script)
    assert kv.sha == rp.sha == hashlib.sha1(src.encode()).hexdigest()
    assert kv(keys=["n"], args=[3]) == rp(keys=["n"], args=[3])
    assert pair.kv.script_exists(kv.sha) == [True]
    assert kv(["n"], [4]) == rp(["n"], [4])
    pair.script_flush()
    assert kv(["n"], [5]) == rp(["n"], [5])
    raw = b"return {KEYS[1], ARGV[1]}"
    kvb, rpb = pair.kv.register_script(raw), pair.rp.register_script(raw)
    assert kvb.sha == rpb.sha
    assert kvb() == rpb() == []
    failing = "return redis.call('incr', KEYS[1])"
    pair.set("s", "text")
    with pytest.raises(Exception) as got:
        pair.kv.register_script(failing)(["s"])
    with pytest.raises(Exception) as expected:
        pair.rp.register_script(failing)(["s"])
    assert (type(got.value), str(got.value)) == (type(expected.value), str(expected.value))
    same_keyspace(pair)


def test_register_script_on_another_client(pair):
    """A script registered on one client runs on another client of the
    same store given as ``client=``."""
    src = "return redis.call('set', KEYS[1], ARGV[1])"
    script = pair.kv.register_script(src)
    host = pair.kv.connection_pool.connection_kwargs["host"]
    other = fresh_client()
    other.script_flush()
    assert script(["elsewhere"], ["v"], client=other) == b"OK"
    assert other.get("elsewhere") == b"v"
    same_store = type(pair.kv)(host=host)
    assert script(["k"], ["w"], client=same_store) == b"OK"
    assert pair.kv.get("k") in (b"w", "w")


@pytest.mark.parametrize("transaction", [False, True])
def test_register_script_in_pipelines(pair, transaction):
    """Scripts queued in a pipeline (uncached, then cached, then flushed by
    another client before execute()) are loaded before it runs."""
    src = "return redis.call('incrby', KEYS[1], ARGV[1])"
    for attempt in range(3):
        pair.script_flush()
        results = []
        for client in (pair.rp, pair.kv):
            script = client.register_script(src)
            if attempt == 1:
                client.script_load(src)
            pipe = client.pipeline(transaction=transaction)
            script(["c"], [2], client=pipe)
            pipe.set("plain", attempt)
            script(keys=["c"], args=[5], client=pipe)
            if attempt == 2:
                client.script_flush()
            assert script.sha in {s.sha for s in pipe.scripts}
            results.append(pipe.execute())
            assert not pipe.scripts
        assert results[0] == results[1]
    same_keyspace(pair)


def test_pipeline_methods(pair):
    """The scripting methods through a non-transactional pipeline,
    errors included."""
    pair.script_flush()

    def build(p):
        p.eval("return {KEYS[1], tonumber(ARGV[1]) * 2}", 1, "k", 21)
        p.script_load("return 'x'")
        p.evalsha(hashlib.sha1(b"return 'x'").hexdigest(), 0)
        p.evalsha("0" * 40, 0)
        p.script_exists(hashlib.sha1(b"return 'x'").hexdigest(), "1" * 40)
        p.eval_ro("return redis.call('del', 'k')", 1, "k")
        p.script_flush()
        p.script_exists(hashlib.sha1(b"return 'x'").hexdigest())

    same_pipeline(pair, build)
    same_keyspace(pair)


def test_resp2_replies(proto_pair):
    """RESP2 and RESP3 clients see the same conversions as redis-py."""
    for script in ["return {1, 'a', {2.5}}", "return true", "return redis.status_reply('S')",
                   "return {double=3.5}", "return redis.error_reply('E x')"]:
        proto_pair.eval(script, 0)
    proto_pair.script_exists(proto_pair.script_load("return 1"), "0" * 40)
