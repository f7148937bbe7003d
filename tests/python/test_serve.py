"""``serve``: a store served over RESP to other processes, which use it as a
Redis server (redis-py over TCP with RESP2 and RESP3, a unix socket,
redis-cli) and see the data this process sees."""

import errno
import socket
import subprocess
import sys
import textwrap
import uuid

import pytest
import redis

import kvstore


def run(code, **kwargs):
    """Runs ``code`` in a fresh interpreter; returns its stdout."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=60, **kwargs)
    assert out.returncode == 0, out.stderr
    return out.stdout


def client(**kwargs):
    """A client of a store of its own."""
    return kvstore.Redis(host=f"serve-{uuid.uuid4().hex}", **kwargs)


def port_of(address):
    return int(address.rsplit(":", 1)[1])


@pytest.mark.parametrize("protocol", [2, None])
def test_a_second_process_shares_the_data(protocol):
    r = client(decode_responses=True)
    address = r.serve("127.0.0.1:0")
    assert address.startswith("127.0.0.1:") and port_of(address) > 0
    assert r.served_address == address
    r.set("from-here", "1")
    r.hset("h", mapping={"a": "1"})
    out = run(f"""
        import redis
        c = redis.Redis(port={port_of(address)}, protocol={protocol!r}, decode_responses=True)
        print(c.client_info()["resp"])
        print(c.get("from-here"), c.hgetall("h"))
        c.set("from-there", "2")
        c.hset("h", "b", "2")
        c.rpush("l", "x", "y")
        with c.pipeline() as p:
            p.incr("counter").incr("counter")
            print(p.execute())
    """)
    resp, seen, piped = out.splitlines()
    assert resp == ("2" if protocol == 2 else "3")
    assert seen == "1 {'a': '1'}"
    assert piped == "[1, 2]"
    # The writes of the other process are here, in-process.
    assert r.get("from-there") == "2"
    assert r.hgetall("h") == {"a": "1", "b": "2"}
    assert r.lrange("l", 0, -1) == ["x", "y"]
    assert r.get("counter") == "2"
    r.stop_serving()


def test_redis_cli_over_a_unix_socket(tmp_path):
    r = client()
    sock = tmp_path / "kv.sock"
    assert r.serve(f"unix:{sock}") == f"unix:{sock}"
    r.set("k", "v")
    cli = subprocess.run(["redis-cli", "-s", str(sock), "GET", "k"], capture_output=True,
                         text=True, timeout=30)
    assert cli.stdout == "v\n"
    run(f"""
        import redis
        c = redis.Redis(unix_socket_path={str(sock)!r})
        assert c.get("k") == b"v"
        c.set("k2", "v2")
    """)
    assert r.get("k2") == b"v2"
    r.stop_serving()
    assert not sock.exists()


def test_constructor_serves_and_clients_of_a_store_share_the_listener():
    name = f"serve-{uuid.uuid4().hex}"
    a = kvstore.Redis(host=name, serve="127.0.0.1:0")
    address = a.served_address
    # The same store asked again, by its requested or its bound address.
    b = kvstore.Redis(host=name, serve="127.0.0.1:0")
    assert b.served_address == address
    assert kvstore.Redis(host=name, serve=address).served_address == address
    assert b.serve(port_of(address)) == address
    # Another address for the same store, or this address for another store.
    with pytest.raises(RuntimeError, match="already served at"):
        kvstore.Redis(host=name, serve="127.0.0.1:1")
    with pytest.raises(RuntimeError, match="already served by another store"):
        client(serve=address)
    a.stop_serving()
    assert b.served_address is None
    # Stopping twice is harmless; serving again works.
    b.stop_serving()
    again = b.serve("localhost:0")
    assert again.startswith("127.0.0.1:")
    assert redis.Redis(port=port_of(again)).ping() is True
    b.stop_serving()


def test_stop_serving_closes_connections():
    r = client()
    port = port_of(r.serve(0))
    c = redis.Redis(port=port, retry=None)
    assert c.ping() is True
    r.stop_serving()
    with pytest.raises(redis.ConnectionError):
        c.ping()
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=port, retry=None).ping()


def test_requirepass_applies_to_network_clients_only():
    r = client()
    port = port_of(r.serve(0))
    assert r.config_set("requirepass", "s3cret") is True
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port, retry=None).get("k")
    assert redis.Redis(port=port, password="s3cret").set("k", "v") is True
    assert r.get("k") == b"v"
    r.stop_serving()


def test_an_address_in_use_is_an_os_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = client()
        with pytest.raises(OSError) as e:
            r.serve(port)
        assert e.value.errno == errno.EADDRINUSE
        assert f"127.0.0.1:{port}" in str(e.value)
        assert r.served_address is None


def test_bad_addresses_are_clear_errors(tmp_path):
    r = client()
    for bad in ["nope", "127.0.0.1", "127.0.0.1:65536", "somehost:80", ":x"]:
        with pytest.raises(ValueError, match="is not \"host:port\""):
            r.serve(bad)
    with pytest.raises(ValueError, match="no socket path"):
        r.serve("unix:")
    with pytest.raises(TypeError):
        r.serve(1.5)
    # A path that is not a socket is never removed to make room.
    precious = tmp_path / "data.txt"
    precious.write_text("keep me")
    with pytest.raises(RuntimeError, match="not a socket"):
        r.serve(f"unix:{precious}")
    assert precious.read_text() == "keep me"
    assert r.served_address is None


def test_a_persistent_store_served_to_another_process(tmp_path):
    data = tmp_path / "data"
    owner = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            import kvstore
            r = kvstore.Redis(path={str(data)!r}, serve="127.0.0.1:0", decode_responses=True)
            print(r.served_address, flush=True)
            sys.stdin.read()
            print(r.hgetall("h"), flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = port_of(owner.stdout.readline().strip())
        c = redis.Redis(port=port, decode_responses=True)
        c.hset("h", mapping={"a": "1", "b": "2"})
        c.set("k", "v")
        assert c.config_get("dir")["dir"] == str(data.resolve())
        out, err = owner.communicate("", timeout=60)
    finally:
        owner.kill()
    assert owner.returncode == 0, err
    assert out == "{'a': '1', 'b': '2'}\n"
    # The owner saved at exit (its save rules, data changed): a new process
    # loads what the other process wrote.
    assert (data / "dump.rdb").exists()
    out = run(f"""
        import kvstore
        r = kvstore.Redis(path={str(data)!r}, decode_responses=True)
        print(r.get("k"), r.hgetall("h"))
    """)
    assert out == "v {'a': '1', 'b': '2'}\n"


def test_a_forked_child_leaves_the_listener_alone():
    # In a fresh interpreter: forking the (threaded) pytest process is not.
    run("""
        import gc, os
        import redis
        import kvstore
        r = kvstore.Redis(serve="127.0.0.1:0")
        port = int(r.served_address.rsplit(":", 1)[1])
        pid = os.fork()
        if pid == 0:
            # The listener's threads are the parent's: dropping the store
            # here must not wait for them.
            del r
            gc.collect()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        c = redis.Redis(port=port)
        c.set("k", "v")
        assert r.get("k") == b"v"
    """)
