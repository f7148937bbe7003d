"""redis-py's methods for server and connection commands.

The argv and options are redis-py 8.1's, so replies take the same shapes
through ``kvstore.callbacks``. Methods whose command the engine does not
run answer with the engine's "unknown command" error, as a server without
the command would. The few methods redis-py refuses on purpose
(``hello``, ``command_docs``, ...) raise the same ``NotImplementedError``.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, List, Optional, Sequence, Union

from ..exceptions import ConnectionError, DataError, RedisError
from ._args import EncodableT, KeyT, list_or_args



def _not_in_client(command: str, url: Optional[str] = None) -> NotImplementedError:
    """redis-py's refusal for a command it leaves to redis-cli (the same
    text, layout included, so ``str(e)`` compares equal)."""
    text = f"{command} is intentionally not implemented in the client."
    if url is None:
        return NotImplementedError(text)
    pad = "\n" + " " * 12
    return NotImplementedError(
        f"{pad}{text}\n{pad}For more information, see {url}{pad}"
    )


class ServerCommands:
    """Methods for server and connection commands."""

    # Provided by the client or pipeline class the mixin is combined with
    # (annotations only: no attribute shadows theirs).
    execute_command: Callable[..., Any]
    connection_pool: Any

    # -- connection -----------------------------------------------------

    def auth(self, password: str, username: Optional[str] = None, **kwargs: Any) -> Any:
        """AUTH as ``username`` (default user when omitted): ``True``."""
        pieces = [] if username is None else [username]
        pieces.append(password)
        return self.execute_command("AUTH", *pieces, **kwargs)

    def echo(self, value: EncodableT, **kwargs: Any) -> Any:
        """ECHO: ``value`` back."""
        return self.execute_command("ECHO", value, **kwargs)

    def ping(self, **kwargs: Any) -> Any:
        """PING: ``True`` when the store answers PONG."""
        return self.execute_command("PING", **kwargs)

    def quit(self, **kwargs: Any) -> Any:
        """QUIT: closes the connection (``True``)."""
        return self.execute_command("QUIT", **kwargs)

    def reset(self) -> Any:
        """RESET: back to a fresh connection's state (db 0, no name)."""
        return self.execute_command("RESET")

    def select(self, index: int, **kwargs: Any) -> Any:
        """SELECT: this client now uses database ``index`` (``True``)."""
        return self.execute_command("SELECT", index, **kwargs)

    def hello(self) -> Any:
        """Refused, as in redis-py (the protocol is chosen at construction)."""
        raise _not_in_client("HELLO")

    def watch(self, *names: KeyT) -> None:
        """Only warns, as redis-py does: WATCH belongs on a pipeline."""
        warnings.warn(DeprecationWarning("Call WATCH from a Pipeline object"))

    def unwatch(self) -> None:
        """Only warns, as redis-py does: UNWATCH belongs on a pipeline."""
        warnings.warn(DeprecationWarning("Call UNWATCH from a Pipeline object"))

    # -- CLIENT ---------------------------------------------------------

    def client_id(self, **kwargs: Any) -> Any:
        """CLIENT ID: this connection's id."""
        return self.execute_command("CLIENT ID", **kwargs)

    def client_setname(self, name: str, **kwargs: Any) -> Any:
        """CLIENT SETNAME: names this connection (``True``)."""
        return self.execute_command("CLIENT SETNAME", name, **kwargs)

    def client_getname(self, **kwargs: Any) -> Any:
        """CLIENT GETNAME: this connection's name, or ``None``."""
        return self.execute_command("CLIENT GETNAME", **kwargs)

    def client_setinfo(self, attr: str, value: str, **kwargs: Any) -> Any:
        """CLIENT SETINFO: records the library name or version (``True``)."""
        return self.execute_command("CLIENT SETINFO", attr, value, **kwargs)

    def client_info(self, **kwargs: Any) -> Any:
        """CLIENT INFO: this connection's fields as a dict."""
        return self.execute_command("CLIENT INFO", **kwargs)

    def client_list(
        self, _type: Optional[str] = None, client_id: List[EncodableT] = [], **kwargs: Any
    ) -> Any:
        """CLIENT LIST: one dict per connection, optionally filtered by type
        or by a list of ids."""
        args: List[Any] = []
        if _type is not None:
            client_types = ("normal", "master", "replica", "pubsub")
            if str(_type).lower() not in client_types:
                raise DataError(f"CLIENT LIST _type must be one of {client_types!r}")
            args.extend([b"TYPE", _type])
        if not isinstance(client_id, list):
            raise DataError("client_id must be a list")
        if client_id:
            args.append(b"ID")
            args.extend(client_id)
        return self.execute_command("CLIENT LIST", *args, **kwargs)

    def client_kill(self, address: str, **kwargs: Any) -> Any:
        """CLIENT KILL ``ip:port`` (the old form)."""
        return self.execute_command("CLIENT KILL", address, **kwargs)

    def client_kill_filter(
        self,
        _id: Optional[str] = None,
        _type: Optional[str] = None,
        addr: Optional[str] = None,
        skipme: Optional[bool] = None,
        laddr: Optional[bool] = None,
        user: Optional[str] = None,
        maxage: Optional[int] = None,
        **kwargs: Any,
    ) -> Any:
        """CLIENT KILL with filters; the number of connections killed."""
        args: List[Any] = []
        if _type is not None:
            client_types = ("normal", "master", "slave", "replica", "pubsub")
            if str(_type).lower() not in client_types:
                raise DataError(f"CLIENT KILL type must be one of {client_types!r}")
            args.extend((b"TYPE", _type))
        if skipme is not None:
            if not isinstance(skipme, bool):
                raise DataError("CLIENT KILL skipme must be a bool")
            args.extend((b"SKIPME", b"YES" if skipme else b"NO"))
        for flag, value in ((b"ID", _id), (b"ADDR", addr), (b"LADDR", laddr),
                            (b"USER", user), (b"MAXAGE", maxage)):
            if value is not None:
                args.extend((flag, value))
        if not args:
            raise DataError(
                "CLIENT KILL <filter> <value> ... ... <filter> "
                "<value> must specify at least one filter"
            )
        return self.execute_command("CLIENT KILL", *args, **kwargs)

    def client_getredir(self, **kwargs: Any) -> Any:
        """CLIENT GETREDIR: the id tracking notifications go to (-1: none)."""
        return self.execute_command("CLIENT GETREDIR", **kwargs)

    def client_reply(self, reply: str, **kwargs: Any) -> Any:
        """CLIENT REPLY ON|OFF|SKIP."""
        replies = ["ON", "OFF", "SKIP"]
        if reply not in replies:
            raise DataError(f"CLIENT REPLY must be one of {replies!r}")
        return self.execute_command("CLIENT REPLY", reply, **kwargs)

    def client_tracking_on(
        self,
        clientid: Optional[int] = None,
        prefix: Sequence[KeyT] = [],
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
    ) -> Any:
        """CLIENT TRACKING ON with the given options."""
        return self.client_tracking(True, clientid, prefix, bcast, optin, optout, noloop)

    def client_tracking_off(
        self,
        clientid: Optional[int] = None,
        prefix: Sequence[KeyT] = [],
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
    ) -> Any:
        """CLIENT TRACKING OFF with the given options."""
        return self.client_tracking(False, clientid, prefix, bcast, optin, optout, noloop)

    def client_tracking(
        self,
        on: bool = True,
        clientid: Optional[int] = None,
        prefix: Sequence[KeyT] = [],
        bcast: bool = False,
        optin: bool = False,
        optout: bool = False,
        noloop: bool = False,
        **kwargs: Any,
    ) -> Any:
        """CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST]
        [OPTIN] [OPTOUT] [NOLOOP]."""
        if len(prefix) != 0 and bcast is False:
            raise DataError("Prefix can only be used with bcast")
        pieces: List[Any] = ["ON" if on else "OFF"]
        if clientid is not None:
            pieces.extend(["REDIRECT", clientid])
        for p in prefix:
            pieces.extend(["PREFIX", p])
        for flag, set_ in (("BCAST", bcast), ("OPTIN", optin), ("OPTOUT", optout),
                           ("NOLOOP", noloop)):
            if set_:
                pieces.append(flag)
        return self.execute_command("CLIENT TRACKING", *pieces, **kwargs)

    def client_trackinginfo(self, **kwargs: Any) -> Any:
        """CLIENT TRACKINGINFO: this connection's tracking state."""
        return self.execute_command("CLIENT TRACKINGINFO", **kwargs)

    def client_unblock(self, client_id: int, error: bool = False, **kwargs: Any) -> Any:
        """CLIENT UNBLOCK: wakes a blocked connection (``True`` if it was)."""
        args: List[Any] = ["CLIENT UNBLOCK", int(client_id)]
        if error:
            args.append(b"ERROR")
        return self.execute_command(*args, **kwargs)

    def client_pause(self, timeout: int, all: bool = True, **kwargs: Any) -> Any:
        """CLIENT PAUSE for ``timeout`` ms (writes only unless ``all``)."""
        args: List[Any] = ["CLIENT PAUSE", str(timeout)]
        if not isinstance(timeout, int):
            raise DataError("CLIENT PAUSE timeout must be an integer")
        if not all:
            args.append("WRITE")
        return self.execute_command(*args, **kwargs)

    def client_unpause(self, **kwargs: Any) -> Any:
        """CLIENT UNPAUSE."""
        return self.execute_command("CLIENT UNPAUSE", **kwargs)

    def client_no_evict(self, mode: str) -> Any:
        """CLIENT NO-EVICT ON|OFF."""
        return self.execute_command("CLIENT NO-EVICT", mode)

    def client_no_touch(self, mode: str) -> Any:
        """CLIENT NO-TOUCH ON|OFF."""
        return self.execute_command("CLIENT NO-TOUCH", mode)

    # -- COMMAND --------------------------------------------------------

    def command(self, **kwargs: Any) -> Any:
        """COMMAND: ``{name: details}`` for every command."""
        return self.execute_command("COMMAND", **kwargs)

    def command_info(self, **kwargs: Any) -> None:
        """Refused, as in redis-py (use ``command()``)."""
        raise _not_in_client("COMMAND INFO")

    def command_count(self, **kwargs: Any) -> Any:
        """COMMAND COUNT: how many commands there are."""
        return self.execute_command("COMMAND COUNT", **kwargs)

    def command_list(
        self,
        module: Optional[str] = None,
        category: Optional[str] = None,
        pattern: Optional[str] = None,
    ) -> Any:
        """COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]."""
        pieces: List[Any] = []
        for flag, value in (("MODULE", module), ("ACLCAT", category), ("PATTERN", pattern)):
            if value is not None:
                pieces.extend([flag, value])
        if pieces:
            pieces.insert(0, "FILTERBY")
        return self.execute_command("COMMAND LIST", *pieces)

    def command_getkeys(self, *args: Any) -> Any:
        """COMMAND GETKEYS: the keys of the command ``args``."""
        return self.execute_command("COMMAND GETKEYS", *args)

    def command_getkeysandflags(self, *args: str) -> Any:
        """COMMAND GETKEYSANDFLAGS: the keys of ``args`` with their flags."""
        return self.execute_command("COMMAND GETKEYSANDFLAGS", *args)

    def command_docs(self, *args: Any) -> None:
        """Refused, as in redis-py."""
        raise _not_in_client("COMMAND DOCS")

    # -- CONFIG ---------------------------------------------------------

    def config_get(self, pattern: KeyT = "*", *args: KeyT, **kwargs: Any) -> Any:
        """CONFIG GET: ``{name: value}`` for the matching parameters."""
        return self.execute_command("CONFIG GET", pattern, *args, **kwargs)

    def config_set(self, name: KeyT, value: EncodableT, *args: Any, **kwargs: Any) -> Any:
        """CONFIG SET name value [name value ...]: ``True``."""
        return self.execute_command("CONFIG SET", name, value, *args, **kwargs)

    def config_resetstat(self, **kwargs: Any) -> Any:
        """CONFIG RESETSTAT: zeroes the statistics (``True``)."""
        return self.execute_command("CONFIG RESETSTAT", **kwargs)

    def config_rewrite(self, **kwargs: Any) -> Any:
        """CONFIG REWRITE: writes the running config to the config file."""
        return self.execute_command("CONFIG REWRITE", **kwargs)

    # -- keyspace and persistence ---------------------------------------

    def dbsize(self, **kwargs: Any) -> Any:
        """DBSIZE: the number of keys in the current database."""
        return self.execute_command("DBSIZE", **kwargs)

    def flushall(self, asynchronous: bool = False, **kwargs: Any) -> Any:
        """FLUSHALL [ASYNC]: empties every database (``True``)."""
        args = [b"ASYNC"] if asynchronous else []
        return self.execute_command("FLUSHALL", *args, **kwargs)

    def flushdb(self, asynchronous: bool = False, **kwargs: Any) -> Any:
        """FLUSHDB [ASYNC]: empties the current database (``True``)."""
        args = [b"ASYNC"] if asynchronous else []
        return self.execute_command("FLUSHDB", *args, **kwargs)

    def swapdb(self, first: int, second: int, **kwargs: Any) -> Any:
        """SWAPDB: exchanges two databases' contents (``True``)."""
        return self.execute_command("SWAPDB", first, second, **kwargs)

    def save(self, **kwargs: Any) -> Any:
        """SAVE: a blocking snapshot (``True``)."""
        return self.execute_command("SAVE", **kwargs)

    def bgsave(self, schedule: bool = True, **kwargs: Any) -> Any:
        """BGSAVE [SCHEDULE]: a background snapshot (``True``)."""
        pieces = ["SCHEDULE"] if schedule else []
        return self.execute_command("BGSAVE", *pieces, **kwargs)

    def bgrewriteaof(self, **kwargs: Any) -> Any:
        """BGREWRITEAOF: rewrites the append-only file (``True``)."""
        return self.execute_command("BGREWRITEAOF", **kwargs)

    def lastsave(self, **kwargs: Any) -> Any:
        """LASTSAVE: the last successful save as a ``datetime``."""
        return self.execute_command("LASTSAVE", **kwargs)

    def object(self, infotype: str, key: KeyT, **kwargs: Any) -> Any:
        """OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT of ``key``."""
        return self.execute_command("OBJECT", infotype, key, infotype=infotype, **kwargs)

    def debug_object(self, key: KeyT, **kwargs: Any) -> Any:
        """DEBUG OBJECT: the key's internals as a dict."""
        return self.execute_command("DEBUG OBJECT", key, **kwargs)

    def debug_segfault(self, **kwargs: Any) -> None:
        """Refused, as in redis-py."""
        raise _not_in_client("DEBUG SEGFAULT", "https://redis.io/commands/debug-segfault")

    def migrate(
        self,
        host: str,
        port: int,
        keys: Any,
        destination_db: int,
        timeout: int,
        copy: bool = False,
        replace: bool = False,
        auth: Optional[str] = None,
        **kwargs: Any,
    ) -> Any:
        """MIGRATE ``keys`` to another server."""
        keys = list_or_args(keys, [])
        if not keys:
            raise DataError("MIGRATE requires at least one key")
        pieces: List[Any] = []
        if copy:
            pieces.append(b"COPY")
        if replace:
            pieces.append(b"REPLACE")
        if auth:
            pieces.extend([b"AUTH", auth])
        pieces.append(b"KEYS")
        pieces.extend(keys)
        return self.execute_command(
            "MIGRATE", host, port, "", destination_db, timeout, *pieces, **kwargs
        )

    # -- server information ---------------------------------------------

    def info(self, section: Optional[str] = None, *args: str, **kwargs: Any) -> Any:
        """INFO [section ...]: the server's fields as a typed dict."""
        if section is None:
            return self.execute_command("INFO", **kwargs)
        return self.execute_command("INFO", section, *args, **kwargs)

    def time(self, **kwargs: Any) -> Any:
        """TIME: ``(seconds, microseconds)``."""
        return self.execute_command("TIME", **kwargs)

    def role(self) -> Any:
        """ROLE: ``[b"master", offset, replicas]``."""
        return self.execute_command("ROLE")

    def lolwut(self, *version_numbers: Union[str, float], **kwargs: Any) -> Any:
        """LOLWUT [VERSION v]: the version and some art."""
        if version_numbers:
            return self.execute_command("LOLWUT VERSION", *version_numbers, **kwargs)
        return self.execute_command("LOLWUT", **kwargs)

    def wait(self, num_replicas: int, timeout: int, **kwargs: Any) -> Any:
        """WAIT: how many replicas acknowledged the writes so far."""
        return self.execute_command("WAIT", num_replicas, timeout, **kwargs)

    def waitaof(self, num_local: int, num_replicas: int, timeout: int, **kwargs: Any) -> Any:
        """WAITAOF: ``[local, replicas]`` that fsynced the writes so far."""
        return self.execute_command("WAITAOF", num_local, num_replicas, timeout, **kwargs)

    def shutdown(
        self,
        save: bool = False,
        nosave: bool = False,
        now: bool = False,
        force: bool = False,
        abort: bool = False,
        **kwargs: Any,
    ) -> None:
        """SHUTDOWN [SAVE|NOSAVE] [NOW] [FORCE] [ABORT]: returns when the
        connection drops; raises ``RedisError`` when the server stays up."""
        if save and nosave:
            raise DataError("SHUTDOWN save and nosave cannot both be set")
        args = ["SHUTDOWN"]
        for flag, set_ in (("SAVE", save), ("NOSAVE", nosave), ("NOW", now),
                           ("FORCE", force), ("ABORT", abort)):
            if set_:
                args.append(flag)
        try:
            self.execute_command(*args, **kwargs)
        except ConnectionError:
            return
        raise RedisError("SHUTDOWN seems to have failed.")

    def failover(self) -> Any:
        """Refused, as in redis-py."""
        raise _not_in_client("FAILOVER")

    # -- replication ----------------------------------------------------

    def replicaof(self, *args: Any, **kwargs: Any) -> Any:
        """REPLICAOF host port | NO ONE."""
        return self.execute_command("REPLICAOF", *args, **kwargs)

    def slaveof(self, host: Optional[str] = None, port: Optional[int] = None,
                **kwargs: Any) -> Any:
        """SLAVEOF host port, or SLAVEOF NO ONE without arguments."""
        if host is None and port is None:
            return self.execute_command("SLAVEOF", b"NO", b"ONE", **kwargs)
        return self.execute_command("SLAVEOF", host, port, **kwargs)

    def sync(self) -> Any:
        """SYNC: the replication stream (never decoded)."""
        return self.execute_command("SYNC", NEVER_DECODE=[])

    def psync(self, replicationid: str, offset: int) -> Any:
        """PSYNC: the replication stream from an offset (never decoded)."""
        return self.execute_command("PSYNC", replicationid, offset, NEVER_DECODE=[])

    # -- MEMORY ---------------------------------------------------------

    def memory_doctor(self, **kwargs: Any) -> None:
        """Refused, as in redis-py."""
        raise _not_in_client("MEMORY DOCTOR", "https://redis.io/commands/memory-doctor")

    def memory_help(self, **kwargs: Any) -> None:
        """Refused, as in redis-py."""
        raise _not_in_client("MEMORY HELP", "https://redis.io/commands/memory-help")

    def memory_stats(self, **kwargs: Any) -> Any:
        """MEMORY STATS as a dict."""
        return self.execute_command("MEMORY STATS", **kwargs)

    def memory_malloc_stats(self, **kwargs: Any) -> Any:
        """MEMORY MALLOC-STATS: the allocator's report."""
        return self.execute_command("MEMORY MALLOC-STATS", **kwargs)

    def memory_usage(self, key: KeyT, samples: Optional[int] = None, **kwargs: Any) -> Any:
        """MEMORY USAGE: bytes used by ``key``, ``None`` if missing."""
        args: List[Any] = []
        if isinstance(samples, int):
            args.extend([b"SAMPLES", samples])
        return self.execute_command("MEMORY USAGE", key, *args, **kwargs)

    def memory_purge(self, **kwargs: Any) -> Any:
        """MEMORY PURGE (``True``)."""
        return self.execute_command("MEMORY PURGE", **kwargs)

    # -- SLOWLOG and LATENCY --------------------------------------------

    def slowlog_get(self, num: Optional[int] = None, **kwargs: Any) -> Any:
        """SLOWLOG GET [num]: the slow-log entries as dicts."""
        args: List[Any] = ["SLOWLOG GET"]
        if num is not None:
            args.append(num)
        if self.connection_pool.connection_kwargs.get("decode_responses", False) is True:
            kwargs["NEVER_DECODE"] = []
        return self.execute_command(*args, **kwargs)

    def slowlog_len(self, **kwargs: Any) -> Any:
        """SLOWLOG LEN: the number of slow-log entries."""
        return self.execute_command("SLOWLOG LEN", **kwargs)

    def slowlog_reset(self, **kwargs: Any) -> Any:
        """SLOWLOG RESET (``True``)."""
        return self.execute_command("SLOWLOG RESET", **kwargs)

    def latency_doctor(self) -> None:
        """Refused, as in redis-py."""
        raise _not_in_client("LATENCY DOCTOR", "https://redis.io/commands/latency-doctor")

    def latency_graph(self) -> None:
        """Refused, as in redis-py."""
        raise _not_in_client("LATENCY GRAPH", "https://redis.io/commands/latency-graph")

    def latency_histogram(self, *args: Any) -> None:
        """Refused, as in redis-py."""
        raise _not_in_client("LATENCY HISTOGRAM")

    def latency_history(self, event: str) -> Any:
        """LATENCY HISTORY: ``[[timestamp, latency], ...]`` of ``event``."""
        return self.execute_command("LATENCY HISTORY", event)

    def latency_latest(self) -> Any:
        """LATENCY LATEST: the latest spike of each event."""
        return self.execute_command("LATENCY LATEST")

    def latency_reset(self, *events: str) -> Any:
        """LATENCY RESET [event ...]: how many series were reset."""
        return self.execute_command("LATENCY RESET", *events)

    # -- HOTKEYS (Redis 8) ----------------------------------------------

    def hotkeys_start(
        self,
        metrics: List[Any],
        count: Optional[int] = None,
        duration: Optional[int] = None,
        sample_ratio: Optional[int] = None,
        slots: Optional[List[int]] = None,
        **kwargs: Any,
    ) -> Any:
        """HOTKEYS START METRICS n m... [COUNT] [DURATION] [SAMPLE] [SLOTS]
        (``metrics``: redis-py's ``HotkeysMetricsTypes`` members)."""
        args: List[Any] = ["HOTKEYS", "START", "METRICS", len(metrics)]
        args.extend(str(getattr(m, "value", m)) for m in metrics)
        for flag, value in (("COUNT", count), ("DURATION", duration), ("SAMPLE", sample_ratio)):
            if value is not None:
                args.extend([flag, value])
        if slots is not None:
            args.extend(["SLOTS", len(slots)])
            args.extend(slots)
        return self.execute_command(*args, **kwargs)

    def hotkeys_stop(self, **kwargs: Any) -> Any:
        """HOTKEYS STOP."""
        return self.execute_command("HOTKEYS STOP", **kwargs)

    def hotkeys_reset(self, **kwargs: Any) -> Any:
        """HOTKEYS RESET."""
        return self.execute_command("HOTKEYS RESET", **kwargs)

    def hotkeys_get(self, **kwargs: Any) -> Any:
        """HOTKEYS GET."""
        return self.execute_command("HOTKEYS GET", **kwargs)

