"""``Script`` (what ``register_script`` returns) and the ``Encoder`` that
turns arguments into the bytes a script's SHA1 and a lock's token are
computed from, with redis-py's rules."""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Optional, Sequence, Union

from .exceptions import DataError, NoScriptError

#: A script's source: text (encoded with the client's encoding) or bytes.
ScriptTextT = Union[str, bytes]


class Encoder:
    """Encodes a command argument to bytes as redis-py does: bytes-like
    values as they are, str with ``encoding``/``encoding_errors``, int and
    float as their ``repr``; bool, None and other types are refused."""

    def __init__(self, encoding: str, encoding_errors: str, decode_responses: bool) -> None:
        self.encoding = encoding
        self.encoding_errors = encoding_errors
        self.decode_responses = decode_responses

    def encode(self, value: Any) -> Union[bytes, memoryview]:
        """``value`` as bytes (a memoryview stays one)."""
        if isinstance(value, (bytes, memoryview)):
            return value
        if isinstance(value, bytearray):
            return bytes(value)
        if isinstance(value, bool):
            # bool is an int subclass: refuse it before the int branch.
            raise DataError(
                "Invalid input of type: 'bool'. Convert to a bytes, string, int or float first."
            )
        if isinstance(value, (int, float)):
            return repr(value).encode()
        if not isinstance(value, str):
            raise DataError(
                f"Invalid input of type: '{type(value).__name__}'. "
                "Convert to a bytes, string, int or float first."
            )
        return value.encode(self.encoding, self.encoding_errors)

    def decode(self, value: Any, force: bool = False) -> Any:
        """``value`` as str when responses are decoded (or ``force``)."""
        if self.decode_responses or force:
            if isinstance(value, memoryview):
                value = value.tobytes()
            if isinstance(value, bytes):
                return value.decode(self.encoding, self.encoding_errors)
        return value


class Script:
    """A Lua script bound to a client: calling it runs EVALSHA with the
    SHA1 computed here, loading the script (SCRIPT LOAD) when the server's
    cache does not have it. Queued in a pipeline, the pipeline loads it
    before running its commands."""

    def __init__(self, registered_client: Any, script: ScriptTextT) -> None:
        self.registered_client = registered_client
        self.script = script
        source = script
        if isinstance(source, str):
            source = self.get_encoder().encode(source)
        self.sha = hashlib.sha1(source).hexdigest()

    def __call__(
        self,
        keys: Optional[Sequence[Any]] = None,
        args: Optional[Iterable[Any]] = None,
        client: Any = None,
    ) -> Any:
        """Runs the script with ``keys`` and ``args`` on ``client`` (the
        registering client by default)."""
        keys = keys or []
        argv = tuple(keys) + tuple(args or [])
        if client is None:
            client = self.registered_client
        # A pipeline (ours or redis-py's) keeps the scripts it must load
        # before running; its evalsha only queues, so it cannot fail here.
        pending = getattr(client, "scripts", None)
        if isinstance(pending, set):
            pending.add(self)
        try:
            return client.evalsha(self.sha, len(keys), *argv)
        except NoScriptError:
            # The script cache was flushed (or this client talks to another
            # store): load it, taking the server's SHA, and run it again.
            self.sha = client.script_load(self.script)
            return client.evalsha(self.sha, len(keys), *argv)

    def get_encoder(self) -> Any:
        """The registering client's encoder."""
        try:
            return self.registered_client.get_encoder()
        except AttributeError:
            return self.registered_client.connection_pool.get_encoder()
