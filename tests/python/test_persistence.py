"""``path=``: a store on a data directory (RDB snapshots, the append-only
file), across processes."""

import os
import subprocess
import sys
import textwrap

import pytest
import redis

import kvstore


def run(code, **env):
    """Runs ``code`` in a fresh interpreter; returns its stdout."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env={**os.environ, **env}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_data_survives_the_process(tmp_path):
    run(f"""
        import kvstore
        r = kvstore.Redis(path={str(tmp_path)!r})
        r.set("k", "v")
        r.hset("h", mapping={{"a": 1, "b": 2}})
        r.rpush("l", 1, 2, 3)
        r.zadd("z", {{"m": 1.5}})
        r.sadd("s", "x")
        r.set("ttl", "v", ex=1000)
        r.set("gone", "v", px=1)
    """)
    assert (tmp_path / "dump.rdb").exists()
    out = run(f"""
        import kvstore
        r = kvstore.Redis(path={str(tmp_path)!r}, decode_responses=True)
        print(r.get("k"), r.hgetall("h"), r.lrange("l", 0, -1), r.zrange("z", 0, -1, withscores=True),
              r.smembers("s"), 990 < r.ttl("ttl") <= 1000, r.exists("gone"))
    """)
    assert out.split("\n")[0] == "v {'a': '1', 'b': '2'} ['1', '2', '3'] [('m', 1.5)] {'x'} True 0"


def test_save_and_lastsave(tmp_path):
    r = kvstore.Redis(path=str(tmp_path / "d"))
    r.set("k", "v")
    assert r.save() is True
    assert (tmp_path / "d" / "dump.rdb").exists()
    assert r.lastsave().year >= 2024
    # The same path in one process is one store.
    assert kvstore.Redis(path=str(tmp_path / "d")).get("k") == b"v"


def test_in_memory_save_is_a_clear_error():
    r = kvstore.Redis(host="in-memory-save")
    with pytest.raises(redis.ResponseError, match="in memory"):
        r.save()


def test_second_process_gets_a_clear_error(tmp_path):
    r = kvstore.Redis(path=str(tmp_path))
    r.set("k", "v")
    out = run(f"""
        import kvstore
        try:
            kvstore.Redis(path={str(tmp_path)!r})
            print("opened")
        except kvstore.ConnectionError as e:
            print("error:", e)
    """)
    assert out.startswith("error:") and str(os.getpid()) in out, out


def test_corrupt_dump_refuses_to_open(tmp_path):
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0010" + b"\xff" * 20)
    out = run(f"""
        import kvstore
        try:
            kvstore.Redis(path={str(tmp_path)!r})
            print("opened")
        except kvstore.ConnectionError as e:
            print("error:", e)
    """)
    assert out.startswith("error:") and "dump.rdb" in out, out


def test_append_only_file_survives_a_kill(tmp_path):
    """With appendonly on (and no save rules), writes reach the file: a
    process killed without any save keeps them, and the next open replays
    the file and keeps logging to it."""
    code = f"""
        import os, time
        import kvstore
        r = kvstore.Redis(path={str(tmp_path)!r})
        r.config_set("save", "")
        r.config_set("appendfsync", "always")
        r.config_set("appendonly", "yes")
        while r.info("persistence")["aof_rewrite_in_progress"]:
            time.sleep(0.01)
        r.set("k", "v")
        r.incrbyfloat("f", 1.5)
        r.expire("k", 1000)
        os.kill(os.getpid(), 9)
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == -9, out.stderr
    assert (tmp_path / "appendonly.aof").exists()
    assert not (tmp_path / "dump.rdb").exists()
    r = kvstore.Redis(path=str(tmp_path))
    assert r.get("k") == b"v"
    assert r.get("f") == b"1.5"
    assert 990 < r.ttl("k") <= 1000
    assert r.info("persistence")["aof_enabled"] == 1
    assert r.bgrewriteaof() is True
