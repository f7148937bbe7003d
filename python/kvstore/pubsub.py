"""``kvstore.PubSub``: redis-py 8.1's ``PubSub`` over an in-process store.

``Redis.pubsub()`` returns one. It behaves as redis-py's: ``subscribe``,
``psubscribe``, ``ssubscribe`` (handlers as keyword arguments or
``Subscription`` objects), their ``un``-variants, ``get_message``,
``listen``, ``ping``, ``run_in_thread``, ``close``, the ``channels``,
``patterns`` and ``shard_channels`` dicts, and message dicts with
``type``, ``pattern``, ``channel`` and ``data``. Where redis-py reads its
dedicated connection, this reads the engine session's inbox
(``_kvstore.PubSubConnection``), waiting with the GIL released.
Messages published through the RESP listener arrive here too, and the
other way round.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .exceptions import PubSubError

#: A message handler: called with the message dict.
PubSubHandler = Callable[[dict], Any]


@dataclass(frozen=True)
class Subscription:
    """A channel or pattern with an optional handler (redis-py's
    ``redis.typing.Subscription``; any object with ``name`` and
    ``handler`` attributes is accepted the same way)."""

    name: Any
    handler: Optional[PubSubHandler] = None


def _str_if_bytes(value):
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _list_or_args(keys, args):
    if isinstance(keys, (bytes, str, bytearray, memoryview)):
        out = [keys]
    else:
        try:
            out = list(keys)
        except TypeError:
            out = [keys]
    if args:
        out.extend(args)
    return out


def _is_subscription(arg):
    return not isinstance(arg, (bytes, str, bytearray, memoryview, int, float)) and all(
        hasattr(arg, a) for a in ("name", "handler")
    )


def _parse_subscriptions(args, kwargs):
    """``{name: handler or None}`` from positional names or subscriptions
    and ``name=handler`` keywords (redis-py's ``parse_pubsub_subscriptions``)."""
    parsed = _list_or_args(args[0], args[1:]) if args else []
    out = {}
    for arg in parsed:
        if _is_subscription(arg):
            out[arg.name] = arg.handler
        else:
            out[arg] = None
    out.update(kwargs)
    return out


class PubSub:
    """Publish/subscribe on an in-process store (see the module docs)."""

    PUBLISH_MESSAGE_TYPES = ("message", "pmessage", "smessage")
    UNSUBSCRIBE_MESSAGE_TYPES = ("unsubscribe", "punsubscribe", "sunsubscribe")

    def __init__(self, client, ignore_subscribe_messages=False, **kwargs):
        self.client = client
        self.connection_pool = client.connection_pool
        self.ignore_subscribe_messages = ignore_subscribe_messages
        # redis-py's encoding rules, for channel names used as dict keys.
        self.encoder = client.get_encoder()
        self.connection = None
        self.subscribed_event = threading.Event()
        self._lock = threading.RLock()
        self.reset()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.reset()

    def __del__(self):
        try:
            self.reset()
        except Exception:
            pass

    def reset(self):
        """Leaves every subscription and forgets the handlers."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self.channels = {}
        self.pending_unsubscribe_channels = set()
        self.shard_channels = {}
        self.pending_unsubscribe_shard_channels = set()
        self.patterns = {}
        self.pending_unsubscribe_patterns = set()
        self.subscribed_event.clear()

    def close(self):
        """Same as ``reset()``."""
        self.reset()

    @property
    def subscribed(self):
        """True while subscribed to any channel, pattern or shard channel."""
        return self.subscribed_event.is_set()

    def execute_command(self, *args):
        """Sends a command on the Pub/Sub connection; its replies are read
        with ``get_message``/``listen``."""
        with self._lock:
            if self.connection is None:
                self.connection = self.client._pubsub()
            self.connection.execute(*args)

    def parse_response(self, block=True, timeout=0):
        """The next raw reply: waits forever with ``block``, else up to
        ``timeout`` seconds; ``None`` when nothing came."""
        conn = self.connection
        if conn is None:
            raise RuntimeError(
                "pubsub connection not set: did you forget to call subscribe() or psubscribe()?"
            )
        return conn.read(None if block else timeout)

    def _normalize_keys(self, data):
        encode, decode = self.encoder.encode, self.encoder.decode
        # bytes(): a memoryview name becomes a bytes key.
        return {decode(bytes(encode(k))): v for k, v in data.items()}

    def _subscribe(self, command, registry, pending, args, kwargs):
        new = _parse_subscriptions(args, kwargs)
        ret = self.execute_command(command, *new.keys())
        new = self._normalize_keys(new)
        registry.update(new)
        if not self.subscribed:
            self.subscribed_event.set()
        pending.difference_update(new)
        return ret

    def _unsubscribe(self, command, registry, pending, args):
        if args:
            args = _list_or_args(args[0], args[1:])
            names = self._normalize_keys(dict.fromkeys(args))
        else:
            names = registry
        pending.update(names)
        return self.execute_command(command, *args)

    def psubscribe(self, *args, **kwargs):
        """Subscribes to patterns; ``pattern=handler`` keywords (or
        ``Subscription`` objects) call the handler instead of returning
        the message."""
        return self._subscribe(
            "PSUBSCRIBE", self.patterns, self.pending_unsubscribe_patterns, args, kwargs
        )

    def punsubscribe(self, *args):
        """Leaves the given patterns (all without arguments)."""
        return self._unsubscribe(
            "PUNSUBSCRIBE", self.patterns, self.pending_unsubscribe_patterns, args
        )

    def subscribe(self, *args, **kwargs):
        """Subscribes to channels; ``channel=handler`` keywords (or
        ``Subscription`` objects) call the handler instead of returning
        the message."""
        return self._subscribe(
            "SUBSCRIBE", self.channels, self.pending_unsubscribe_channels, args, kwargs
        )

    def unsubscribe(self, *args):
        """Leaves the given channels (all without arguments)."""
        return self._unsubscribe(
            "UNSUBSCRIBE", self.channels, self.pending_unsubscribe_channels, args
        )

    def ssubscribe(self, *args, target_node=None, **kwargs):
        """Subscribes to shard channels."""
        return self._subscribe(
            "SSUBSCRIBE",
            self.shard_channels,
            self.pending_unsubscribe_shard_channels,
            args,
            kwargs,
        )

    def sunsubscribe(self, *args, target_node=None):
        """Leaves the given shard channels (all without arguments)."""
        return self._unsubscribe(
            "SUNSUBSCRIBE",
            self.shard_channels,
            self.pending_unsubscribe_shard_channels,
            args,
        )

    def listen(self):
        """Yields messages while subscribed (waiting for each)."""
        while self.subscribed:
            response = self.handle_message(self.parse_response(block=True))
            if response is not None:
                yield response

    def get_message(self, ignore_subscribe_messages=False, timeout=0.0):
        """The next message, or ``None``: waits up to ``timeout`` seconds
        (forever with ``None``). Not subscribed, it waits for a
        subscription within the timeout first, as redis-py does."""
        if not self.subscribed:
            start = time.monotonic()
            if self.subscribed_event.wait(timeout) is True:
                timeout = max(0.0, timeout - (time.monotonic() - start))
            else:
                return None
        response = self.parse_response(block=(timeout is None), timeout=timeout)
        if response:
            return self.handle_message(response, ignore_subscribe_messages)
        return None

    get_sharded_message = get_message

    def ping(self, message=None):
        """Sends PING; its reply comes back as a ``pong`` message."""
        args = ["PING", message] if message is not None else ["PING"]
        return self.execute_command(*args)

    def handle_message(self, response, ignore_subscribe_messages=False):
        """A reply as a message dict, or ``None`` when a handler took it
        (or it is a subscription message being ignored)."""
        if response is None:
            return None
        if isinstance(response, bytes):
            response = [b"pong", response] if response != b"PONG" else [b"pong", b""]
        message_type = _str_if_bytes(response[0])
        if message_type == "pmessage":
            message = {
                "type": message_type,
                "pattern": response[1],
                "channel": response[2],
                "data": response[3],
            }
        elif message_type == "pong":
            message = {"type": message_type, "pattern": None, "channel": None, "data": response[1]}
        else:
            message = {
                "type": message_type,
                "pattern": None,
                "channel": response[1],
                "data": response[2],
            }
        if message_type in self.UNSUBSCRIBE_MESSAGE_TYPES:
            if message_type == "punsubscribe":
                registry, pending = self.patterns, self.pending_unsubscribe_patterns
            elif message_type == "sunsubscribe":
                registry, pending = self.shard_channels, self.pending_unsubscribe_shard_channels
            else:
                registry, pending = self.channels, self.pending_unsubscribe_channels
            name = response[1]
            if name in pending:
                pending.remove(name)
                registry.pop(name, None)
            if not self.channels and not self.patterns and not self.shard_channels:
                self.subscribed_event.clear()
        if message_type in self.PUBLISH_MESSAGE_TYPES:
            if message_type == "pmessage":
                handler = self.patterns.get(message["pattern"], None)
            elif message_type == "smessage":
                handler = self.shard_channels.get(message["channel"], None)
            else:
                handler = self.channels.get(message["channel"], None)
            if handler:
                handler(message)
                return None
        elif message_type != "pong":
            if ignore_subscribe_messages or self.ignore_subscribe_messages:
                return None
        return message

    def run_in_thread(
        self,
        sleep_time=0.0,
        daemon=False,
        exception_handler=None,
        pubsub=None,
        sharded_pubsub=False,
    ):
        """Starts a thread calling ``get_message`` in a loop, so handlers
        run; every subscription needs one. Returns the thread (``stop()``)."""
        for kind, registry in (
            ("Channel", self.channels),
            ("Pattern", self.patterns),
            ("Shard Channel", self.shard_channels),
        ):
            for name, handler in registry.items():
                if handler is None:
                    raise PubSubError(f"{kind}: '{name}' has no handler registered")
        thread = PubSubWorkerThread(
            self if pubsub is None else pubsub,
            sleep_time,
            daemon=daemon,
            exception_handler=exception_handler,
            sharded_pubsub=sharded_pubsub,
        )
        thread.start()
        return thread


class PubSubWorkerThread(threading.Thread):
    """The thread of ``PubSub.run_in_thread``: calls ``get_message`` until
    ``stop()``, then closes the PubSub."""

    def __init__(
        self, pubsub, sleep_time, daemon=False, exception_handler=None, sharded_pubsub=False
    ):
        super().__init__()
        self.daemon = daemon
        self.pubsub = pubsub
        self.sleep_time = sleep_time
        self.exception_handler = exception_handler
        self.sharded_pubsub = sharded_pubsub
        self._running = threading.Event()

    def run(self):
        if self._running.is_set():
            return
        self._running.set()
        pubsub = self.pubsub
        while self._running.is_set():
            try:
                pubsub.get_message(ignore_subscribe_messages=True, timeout=self.sleep_time)
            except BaseException as e:
                if self.exception_handler is None:
                    raise
                self.exception_handler(e, pubsub, self)
        pubsub.close()

    def stop(self):
        """Ends the loop (within ``sleep_time``); the thread then closes
        the PubSub."""
        self._running.clear()
