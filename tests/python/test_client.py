"""The client object itself: construction, URLs, shared stores, threads,
fork, bad input, and the exceptions module without redis-py."""

import os
import subprocess
import sys
import threading

import pytest
import redis

import kvstore
from conftest import fresh_client


def test_strict_redis_is_redis():
    assert kvstore.StrictRedis is kvstore.Redis


def test_default_store_is_shared():
    a, b = kvstore.Redis(), kvstore.Redis(host="localhost", port=6379)
    a.set("default-store-key", "v")
    assert b.get("default-store-key") == b"v"
    assert a.delete("default-store-key") == 1


def test_same_address_same_data_other_address_isolated():
    a = kvstore.Redis(host="identity-a", port=1)
    b = kvstore.Redis(host="identity-a", port=1, decode_responses=True)
    c = kvstore.Redis(host="identity-a", port=2)
    a.set("k", "v")
    assert b.get("k") == "v"
    assert c.get("k") is None


def test_db_selects_logical_database():
    a = fresh_client()
    host = a.connection_pool.connection_kwargs["host"]
    one = kvstore.Redis(host=host, db=1)
    a.set("k", "zero")
    one.set("k", "one")
    assert a.get("k") == b"zero" and one.get("k") == b"one"
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        kvstore.Redis(host=host, db=16)


def test_from_url():
    r = kvstore.Redis.from_url("kvstore://?db=2&decode_responses=true")
    assert r.connection_pool.connection_kwargs["db"] == 2
    r.set("url-key", "v")
    assert r.get("url-key") == "v"
    assert kvstore.Redis(db=2).get("url-key") == b"v"
    r.delete("url-key")
    u = kvstore.from_url("redis://somehost:7000/3")
    kw = u.connection_pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"]) == ("somehost", 7000, 3)
    with pytest.raises(ValueError, match="scheme"):
        kvstore.Redis.from_url("http://x")


def test_connection_arguments_are_accepted():
    r = kvstore.Redis(
        host="args-host", port=1234, password="pw", socket_timeout=1, socket_connect_timeout=1,
        retry_on_timeout=True, health_check_interval=5, ssl=False, max_connections=3,
        client_name="worker-1", lib_name="x", some_future_kwarg=True,
    )
    assert r.ping() is True
    assert r.connection_pool.connection_kwargs["socket_timeout"] == 1
    assert r.connection_pool.max_connections == 3
    pool = kvstore.ConnectionPool(host="pool-host", db=1)
    a, b = kvstore.Redis(connection_pool=pool), kvstore.Redis.from_pool(pool)
    a.set("k", 1)
    assert b.get("k") == b"1"
    pool.reset()
    pool.disconnect()


def test_context_manager_and_close():
    with fresh_client() as r:
        assert r.set("k", "v") is True
    r.close()


def test_invalid_protocol():
    with pytest.raises(redis.ConnectionError, match="Invalid RESP version"):
        kvstore.Redis(protocol=4)


def test_bad_input_raises_redis_py_errors(r):
    for bad in (None, True, False, [1], {"a": 1}, object()):
        with pytest.raises(redis.DataError, match="Invalid input of type"):
            r.set("k", bad)
        with pytest.raises(redis.DataError):
            r.get(bad)
    assert r.set(b"\xff\xfe", b"\x00\x01") is True
    assert r.get(b"\xff\xfe") == b"\x00\x01"
    assert r.set("k", 10**100) is True
    assert r.get("k") == str(10**100).encode()
    with pytest.raises(redis.ResponseError, match="not an integer or out of range"):
        r.incr("k")
    with pytest.raises(UnicodeEncodeError):
        r.set("\udc80", "v")
    d = kvstore.Redis(host=r.connection_pool.connection_kwargs["host"], decode_responses=True)
    r.set("bin", b"\xff")
    with pytest.raises(UnicodeDecodeError):
        d.get("bin")
    lenient = kvstore.Redis(
        host=r.connection_pool.connection_kwargs["host"], decode_responses=True,
        encoding_errors="replace",
    )
    assert lenient.get("bin") == "\ufffd"
    latin = kvstore.Redis(
        host=r.connection_pool.connection_kwargs["host"], decode_responses=True,
        encoding="latin-1",
    )
    latin.set("latin", "é")
    assert r.get("latin") == b"\xe9" and latin.get("latin") == "é"


def test_execute_command_errors(r):
    with pytest.raises(redis.ResponseError, match="unknown command 'NOPE'"):
        r.execute_command("NOPE")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'get' command"):
        r.execute_command("GET")
    with pytest.raises(redis.DataError):
        r.execute_command()
    assert r.execute_command("CONFIG GET", "maxmemory") == {"maxmemory": "0"}


def test_threads_lose_no_update():
    r = fresh_client()
    n, per = 4, 5000

    def work(i):
        for j in range(per):
            r.incr("counter")
            r.hset("h", f"{i}:{j}", j)
            r.lpush("l", j)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.get("counter") == str(n * per).encode()
    assert r.hlen("h") == n * per
    assert r.llen("l") == n * per


def test_long_commands_release_the_gil():
    r = fresh_client()
    r.mset({f"k{i}": i for i in range(20000)}) if hasattr(r, "mset") else [
        r.set(f"k{i}", i) for i in range(20000)
    ]
    seen = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            seen.append(r.get("k1"))

    t = threading.Thread(target=reader)
    t.start()
    for _ in range(20):
        assert len(r.execute_command("KEYS", "*")) == 20000
    stop.set()
    t.join()
    assert seen and all(v == b"1" for v in seen)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_gets_clear_error_and_can_start_over():
    r = fresh_client()
    r.set("k", "parent")
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            try:
                r.get("k")
                msg = "no error"
            except redis.ConnectionError as e:
                msg = "error:" + str(e)
            child = kvstore.Redis()
            child.set("k", "child")
            msg += "|" + child.get("k").decode()
            os.write(wr, msg.encode())
        finally:
            os._exit(0)
    os.close(wr)
    out = b""
    while chunk := os.read(rd, 4096):
        out += chunk
    os.waitpid(pid, 0)
    text = out.decode()
    assert text.startswith("error:") and "os.fork()" in text, text
    assert text.endswith("|child")
    assert r.get("k") == b"parent"


def test_exceptions_without_redis_py():
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import kvstore\n"
        "from kvstore.exceptions import ResponseError, RedisError, DataError, WatchError\n"
        "assert ResponseError.__module__.startswith('kvstore.')\n"
        "assert issubclass(ResponseError, RedisError) and issubclass(WatchError, RedisError)\n"
        "r = kvstore.Redis(host='no-redis-py')\n"
        "r.set('k', 'v')\n"
        "try:\n"
        "    r.execute_command('HGET', 'k', 'f')\n"
        "except ResponseError as e:\n"
        "    assert str(e).startswith('WRONGTYPE'), e\n"
        "try:\n"
        "    r.set('k', None)\n"
        "except DataError as e:\n"
        "    print('ok', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok Invalid input of type: 'NoneType'")


def test_pipeline_without_transaction(pair):
    kv = pair.kv.pipeline(transaction=False)
    rp = pair.rp.pipeline(transaction=False)
    for p in (kv, rp):
        p.set("a", 1).incr("a").get("a").hget("a", "x").incr("a")
    assert len(kv) == 5
    err_kv, err_rp = (pytest.raises(redis.ResponseError), pytest.raises(redis.ResponseError))
    with err_kv as e1:
        kv.execute()
    with err_rp as e2:
        rp.execute()
    assert str(e1.value) == str(e2.value)
    for p in (kv, rp):
        p.set("a", 1).hget("a", "x").incr("a")
    got, want = kv.execute(raise_on_error=False), rp.execute(raise_on_error=False)
    assert [repr(x) if isinstance(x, Exception) else x for x in got] == [
        repr(x) if isinstance(x, Exception) else x for x in want
    ]
    assert str(got[1]) == str(want[1])
    assert kv.execute() == [] == rp.execute()


def test_panic_is_an_exception_not_a_crash(r):
    hook = getattr(kvstore._kvstore, "_panic_in_session", None)
    assert hook is not None, "build the module with --features test-hooks (tests/run does)"
    with pytest.raises(redis.ResponseError, match="internal error: test hook") as e:
        hook(r)
    assert type(e.value).__name__ != "PanicException"
    assert r.set("k", "v") is True and r.get("k") == b"v"
