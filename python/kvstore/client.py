"""``kvstore.Redis``: redis-py's client API over an in-process engine.

The class subclasses the native ``_kvstore.Client`` (whose hot methods --
``get``, ``set``, ``hget``, ... -- are written in Rust) and the pure-Python
command mixins of ``kvstore.commands`` for everything else. Every method ends
in the engine's one command table, exactly as a RESP client's commands do.
"""

import atexit
import os
import textwrap
import threading
import time
import types
from urllib.parse import parse_qs, unquote, urlparse

from . import _kvstore
from .callbacks import default_callbacks
from .commands import CoreCommands
from . import exceptions
from .exceptions import ExecAbortError, RedisError, ResponseError, WatchError
from .pubsub import PubSub

_stores: dict = {}
_stores_lock = threading.Lock()


def _forget_stores_in_child():
    """After ``os.fork()`` the child starts with no stores: the parent's
    belong to the parent (their clients raise ``ConnectionError`` here)."""
    global _stores_lock
    _stores.clear()
    _stores_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_stores_in_child)


def _store(identity):
    """The store named ``identity``, created on first use: clients of the
    same identity share their data, as clients of one server do. A
    ``("path", dir)`` identity is a store on that data directory."""
    with _stores_lock:
        store = _stores.get(identity)
        if store is None:
            path = identity[1] if identity[0] == "path" else None
            store = _stores[identity] = _kvstore.Store(path)
        return store


@atexit.register
def _close_stores():
    """At exit, served stores stop serving (no client writes after the final
    save), then stores with a data directory save (per their ``save``
    rules, when anything changed) and release the directory."""
    with _stores_lock:
        stores = list(_stores.values())
        for store in stores:
            store.unlisten()
        for store in stores:
            store.close()


def _listen_address(address):
    """The ``Store.listen`` form of a ``serve`` address: a port number
    means that port on 127.0.0.1."""
    if isinstance(address, int) and not isinstance(address, bool):
        return f"127.0.0.1:{address}"
    if isinstance(address, str):
        return address
    raise TypeError(
        "serve address must be 'host:port', 'unix:/path/to/socket' or a port number, "
        f"not {type(address).__name__}"
    )


class ConnectionPool:
    """A stand-in for redis-py's pool: there are no connections in-process,
    but libraries read and copy ``connection_kwargs`` and call ``reset()``,
    and clients built from one pool share its store."""

    def __init__(self, connection_class=None, max_connections=None, **connection_kwargs):
        self.connection_class = connection_class
        self.max_connections = max_connections
        self.connection_kwargs = connection_kwargs

    @classmethod
    def from_url(cls, url, **kwargs):
        """A pool whose ``connection_kwargs`` come from ``url``."""
        kwargs.update(parse_url(url))
        return cls(**kwargs)

    def get_encoder(self):
        """redis-py's pool API; there is nothing to encode through here."""
        return None

    def reset(self):
        """Nothing to reset: kept for libraries that call it."""

    def disconnect(self, inuse_connections=True):
        """Nothing to disconnect: kept for libraries that call it."""

    def close(self):
        """Nothing to close: kept for libraries that call it."""

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__}({self.connection_kwargs!r})>"


_URL_TYPES = {
    "db": int,
    "decode_responses": lambda v: v.lower() in ("1", "true", "yes", "on"),
    "protocol": int,
    "socket_timeout": float,
    "socket_connect_timeout": float,
    "health_check_interval": int,
    "max_connections": int,
    "retry_on_timeout": lambda v: v.lower() in ("1", "true", "yes", "on"),
}


def parse_url(url):
    """Client keyword arguments from a URL.

    ``kvstore://`` is the default in-memory store; ``kvstore:///abs/dir`` a
    store with a data directory. ``redis://host:port/db``, ``rediss://`` and
    ``unix:///path`` name an in-process store by that address, so code keeps
    its URLs. Query parameters (``?db=1&decode_responses=true``) win over the
    URL's path, as in redis-py.
    """
    u = urlparse(url)
    kwargs = {}
    if u.scheme == "kvstore":
        if u.path not in ("", "/"):
            kwargs["path"] = unquote(u.path)
    elif u.scheme in ("redis", "rediss"):
        if u.hostname:
            kwargs["host"] = unquote(u.hostname)
        if u.port:
            kwargs["port"] = u.port
        if u.path and u.path != "/":
            try:
                kwargs["db"] = int(unquote(u.path).lstrip("/"))
            except ValueError:
                pass
    elif u.scheme == "unix":
        kwargs["unix_socket_path"] = unquote(u.path)
    else:
        raise ValueError(
            "URL scheme must be one of kvstore://, redis://, rediss:// or unix:// "
            f"(got {url!r})"
        )
    if u.username:
        kwargs["username"] = unquote(u.username)
    if u.password:
        kwargs["password"] = unquote(u.password)
    for name, values in parse_qs(u.query).items():
        value = unquote(values[0])
        kwargs[name] = _URL_TYPES.get(name, str)(value) if value else None
    return kwargs


# The native methods (``_kvstore.Client``) by the command whose reply they
# shape; ``incr``/``decr`` are redis-py's names for INCRBY/DECRBY. EVALSHA's
# native method applies a registered callback itself.
_NATIVE_METHODS = {
    "GET": ("get",), "SET": ("set",), "DEL": ("delete",), "EXISTS": ("exists",),
    "TTL": ("ttl",), "INCRBY": ("incrby", "incr"), "DECRBY": ("decrby", "decr"),
    "HDEL": ("hdel",), "HEXISTS": ("hexists",), "HGET": ("hget",), "HGETALL": ("hgetall",),
    "HINCRBY": ("hincrby",), "HKEYS": ("hkeys",), "HLEN": ("hlen",), "HSET": ("hset",),
    "HVALS": ("hvals",), "LLEN": ("llen",), "LPOP": ("lpop",), "LPUSH": ("lpush",),
    "LRANGE": ("lrange",), "RPOP": ("rpop",), "RPUSH": ("rpush",), "SADD": ("sadd",),
    "SCARD": ("scard",), "SISMEMBER": ("sismember",), "SMEMBERS": ("smembers",),
    "SREM": ("srem",), "ZADD": ("zadd",),
}


class Redis(_kvstore.Client, CoreCommands):
    """An in-process Redis: redis-py's ``Redis`` API, no server.

    Takes redis-py's arguments. ``host``, ``port`` and ``unix_socket_path``
    name the in-process store (clients with the same address share data;
    ``Redis()`` is the default store), ``db`` selects a logical database,
    ``decode_responses``/``encoding``/``encoding_errors``/``protocol`` work
    as in redis-py. Network options (timeouts, retries, SSL, pools) are
    accepted and ignored. ``path`` names a data directory: its
    ``dump.rdb`` is loaded, and saved by SAVE/BGSAVE, the ``save`` rules
    and at exit. ``serve`` (an address, see :meth:`serve`) also serves the
    store over RESP to other processes.
    """

    # redis-py's incr/decr are incrby/decrby; the native ones serve both.
    incr = _kvstore.Client.incrby
    decr = _kvstore.Client.decrby

    @classmethod
    def from_url(cls, url, **kwargs):
        """A client for ``url`` (see :func:`kvstore.client.parse_url`)."""
        kwargs.update(parse_url(url))
        return cls(**kwargs)

    @classmethod
    def from_pool(cls, connection_pool):
        """A client that uses ``connection_pool``'s arguments."""
        return cls(connection_pool=connection_pool)

    def __init__(
        self,
        host="localhost",
        port=6379,
        db=0,
        password=None,
        socket_timeout=None,
        socket_connect_timeout=None,
        socket_keepalive=None,
        socket_keepalive_options=None,
        connection_pool=None,
        unix_socket_path=None,
        encoding="utf-8",
        encoding_errors="strict",
        decode_responses=False,
        retry_on_timeout=False,
        retry=None,
        retry_on_error=None,
        ssl=False,
        max_connections=None,
        single_connection_client=False,
        health_check_interval=0,
        client_name=None,
        username=None,
        protocol=None,
        legacy_responses=True,
        path=None,
        serve=None,
        **kwargs,
    ):
        if connection_pool is not None:
            kw = dict(connection_pool.connection_kwargs)
            host = kw.get("host", host)
            port = kw.get("port", port)
            db = kw.get("db", db)
            unix_socket_path = kw.get("unix_socket_path", unix_socket_path)
            encoding = kw.get("encoding", encoding)
            encoding_errors = kw.get("encoding_errors", encoding_errors)
            decode_responses = kw.get("decode_responses", decode_responses)
            protocol = kw.get("protocol", protocol)
            path = kw.get("path", path)
            serve = kw.get("serve", serve)
        else:
            kw = dict(
                kwargs,
                host=host,
                port=port,
                db=db,
                password=password,
                username=username,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_connect_timeout,
                unix_socket_path=unix_socket_path,
                encoding=encoding,
                encoding_errors=encoding_errors,
                decode_responses=decode_responses,
                retry_on_timeout=retry_on_timeout,
                health_check_interval=health_check_interval,
                client_name=client_name,
                protocol=protocol,
                path=path,
                serve=serve,
            )
            connection_pool = ConnectionPool(max_connections=max_connections, **kw)
        self.connection_pool = connection_pool
        if protocol in (None, 3, "3"):
            proto = 3
        elif protocol in (2, "2"):
            proto = 2
        else:
            raise exceptions.ConnectionError("Invalid RESP version")
        if path is not None:
            identity = ("path", os.path.abspath(os.fspath(path)))
        elif unix_socket_path is not None:
            identity = ("unix", unix_socket_path)
        else:
            identity = ("tcp", host, int(port))
        self.response_callbacks = default_callbacks(proto)
        self._store = _store(identity)
        self._bind(
            self._store,
            int(db),
            bool(decode_responses),
            proto,
            encoding,
            encoding_errors,
            self.response_callbacks,
        )
        if client_name is not None:
            self.client_setname(client_name)
        if serve is not None:
            self.serve(serve)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__}({self.connection_pool!r})>"

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def close(self):
        """Nothing to release in-process; kept for redis-py code."""

    def serve(self, address):
        """Serves this client's store over RESP at ``address``, so that other
        processes (redis-cli, redis-py, any Redis client) use it as a server
        and see the data this process sees; returns the address bound.

        ``address`` is ``"host:port"`` (an IP address or ``localhost``; port
        0 picks a free port), ``"unix:/path/to/socket"``, or a port number
        (on 127.0.0.1). A store is served at one address: serving it again
        at the same address (from any client of the store) returns that
        address, another address raises ``RuntimeError`` (call
        :meth:`stop_serving` first), as does an address another store of
        this process serves; an address that cannot be bound raises
        ``OSError``. Redis's protected mode applies: with no ``requirepass``
        only loopback peers are served. Serving stops at interpreter exit.
        """
        return self._store.listen(_listen_address(address))

    def stop_serving(self):
        """Stops serving this client's store (closing its connections);
        nothing happens when it is not served."""
        self._store.unlisten()

    @property
    def served_address(self):
        """The address this client's store is served at, or ``None``."""
        return self._store.address

    def get_connection_kwargs(self):
        """The keyword arguments this client was built with."""
        return self.connection_pool.connection_kwargs

    def set_response_callback(self, command, callback):
        """Sets the callback that shapes ``command``'s reply. The native
        methods of that command shape their replies themselves, so for this
        client they give way to their Python versions, which go through
        ``execute_command`` and so through the callback."""
        command = command.upper()
        self.response_callbacks[command] = callback
        for name in _NATIVE_METHODS.get(command, ()):
            setattr(self, name, types.MethodType(getattr(CoreCommands, name), self))

    def pubsub(self, **kwargs):
        """A ``PubSub`` on this client's store (see ``kvstore.pubsub``)."""
        return PubSub(self, **kwargs)

    def pipeline(self, transaction=True, shard_hint=None):
        """A pipeline: commands are queued and run by ``execute()``, inside
        MULTI/EXEC when ``transaction`` is true."""
        return Pipeline(self, transaction, shard_hint)

    def transaction(self, func, *watches, **kwargs):
        """Runs ``func(pipe)`` then ``pipe.execute()`` while WATCHing
        ``watches``, retrying on ``WatchError``."""
        shard_hint = kwargs.pop("shard_hint", None)
        value_from_callable = kwargs.pop("value_from_callable", False)
        watch_delay = kwargs.pop("watch_delay", None)
        with self.pipeline(True, shard_hint) as pipe:
            while True:
                try:
                    if watches:
                        pipe.watch(*watches)
                    func_value = func(pipe)
                    exec_value = pipe.execute()
                    return func_value if value_from_callable else exec_value
                except WatchError:
                    if watch_delay is not None and watch_delay > 0:
                        time.sleep(watch_delay)
                    continue


StrictRedis = Redis


def _safe_str(v):
    return v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v)


def _shorten(text, width=100):
    return textwrap.shorten(text=text, width=width, placeholder="...", break_long_words=True)


class Pipeline(CoreCommands):
    """Queued commands run by ``execute()``: in MULTI/EXEC when built with
    ``transaction=True`` (atomically), else one after another. After
    ``watch()`` commands run at once until ``multi()``. Like redis-py's, a
    pipeline is not meant to be shared between threads."""

    UNWATCH_COMMANDS = {"DISCARD", "EXEC", "UNWATCH"}

    def __init__(self, client, transaction, shard_hint):
        self.client = client
        self.connection_pool = client.connection_pool
        self.response_callbacks = client.response_callbacks
        self.transaction = transaction
        self.shard_hint = shard_hint
        self._conn = client._connection()
        self.watching = False
        self.command_stack = []
        self.explicit_transaction = False
        # Scripts queued through Script.__call__: loaded before execute().
        self.scripts = set()

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__}({self.connection_pool!r})>"

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.reset()

    def __len__(self):
        return len(self.command_stack)

    def __bool__(self):
        return True

    def reset(self):
        """Empties the queue and ends any WATCH."""
        self.command_stack = []
        self.scripts = set()
        if self.watching:
            self._conn._execute_raw(("UNWATCH",))
        self.watching = False
        self.explicit_transaction = False

    def close(self):
        """Same as ``reset()``."""
        self.reset()

    def multi(self):
        """Starts the transactional block after ``watch()``."""
        if self.explicit_transaction:
            raise RedisError("Cannot issue nested calls to MULTI")
        if self.command_stack:
            raise RedisError("Commands without an initial WATCH have already been issued")
        self.explicit_transaction = True

    def watch(self, *names):
        """WATCHes ``names``; commands then run at once until ``multi()``."""
        if self.explicit_transaction:
            raise RedisError("Cannot issue a WATCH after a MULTI")
        return self.execute_command("WATCH", *names)

    def unwatch(self):
        """Ends the WATCH (``True``)."""
        return self.watching and self.execute_command("UNWATCH") or True

    def execute_command(self, *args, **options):
        """Queues the command (or runs it at once while watching)."""
        if (self.watching or args[0] == "WATCH") and not self.explicit_transaction:
            return self._immediate(*args, **options)
        self.command_stack.append((args, options))
        return self

    def _immediate(self, *args, **options):
        name = _safe_str(args[0]).upper()
        result = self._conn.execute_command(*args, **options)
        if name in self.UNWATCH_COMMANDS:
            self.watching = False
        elif name == "WATCH":
            self.watching = True
        return result

    def execute(self, raise_on_error=True):
        """Runs the queued commands; returns their results in order."""
        stack = self.command_stack
        if not stack and not self.watching:
            return []
        if self.scripts:
            self.load_scripts()
        try:
            if self.transaction or self.explicit_transaction:
                return self._execute_transaction(stack, raise_on_error)
            return self._execute_pipeline(stack, raise_on_error)
        finally:
            self.reset()

    def load_scripts(self):
        """Loads the queued scripts the store does not have (SCRIPT EXISTS,
        then SCRIPT LOAD), so their EVALSHAs find them."""
        scripts = list(self.scripts)
        exists = self._conn.execute_command("SCRIPT EXISTS", *[s.sha for s in scripts])
        for script, cached in zip(scripts, exists):
            if not cached:
                script.sha = self._conn.execute_command("SCRIPT LOAD", script.script)

    def _execute_pipeline(self, commands, raise_on_error):
        responses = []
        for args, options in commands:
            try:
                responses.append(self._conn.execute_command(*args, **options))
            except ResponseError as e:
                responses.append(e)
        if raise_on_error:
            self._raise_first_error(commands, responses)
        return responses

    def _execute_transaction(self, commands, raise_on_error):
        conn = self._conn
        errors = []
        try:
            conn._execute_raw(("MULTI",))
        except ResponseError as e:
            errors.append((0, e))
        for i, (args, options) in enumerate(commands):
            if "EMPTY_RESPONSE" in options:
                errors.append((i, options["EMPTY_RESPONSE"]))
                continue
            try:
                conn._execute_raw(args)
            except ResponseError as e:
                self._annotate(e, i + 1, args)
                errors.append((i, e))
        try:
            response = conn._execute_raw(("EXEC",))
        except ExecAbortError:
            if errors:
                raise errors[0][1] from None
            raise
        self.watching = False
        if response is None:
            raise WatchError("Watched variable changed.")
        for i, err in errors:
            response.insert(i, err)
        if len(response) != len(commands):
            raise ResponseError("Wrong number of response items from pipeline execution")
        if raise_on_error:
            self._raise_first_error(commands, response)
        data = []
        for r, (args, options) in zip(response, commands):
            if not isinstance(r, Exception):
                r = conn._callback(args[0], r, options)
            data.append(r)
        return data

    def _raise_first_error(self, commands, responses):
        for i, r in enumerate(responses):
            if isinstance(r, ResponseError):
                self._annotate(r, i + 1, commands[i][0])
                raise r

    @staticmethod
    def _annotate(exception, number, command):
        cmd = " ".join(map(_safe_str, command))
        msg = f"Command # {number} ({_shorten(cmd)}) of pipeline caused error: {exception.args[0]}"
        exception.args = (msg,) + exception.args[1:]
