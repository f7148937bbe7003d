"""``Lock``: redis-py's distributed lock, on any client with ``set``,
``get`` and ``register_script``. A lock is a key holding its owner's random
token (SET NX PX); release, extend and reacquire are Lua scripts that act
only while the key still holds the caller's token, so an owner whose lock
expired (and was taken by someone else) cannot release or prolong it."""

from __future__ import annotations

import logging
import os
import threading
import time
from types import SimpleNamespace, TracebackType
from typing import Any, Optional, Type, Union

from .exceptions import LockError, LockNotOwnedError

Number = Union[int, float]

logger = logging.getLogger(__name__)

# KEYS[1] lock name, ARGV[1] token → 1 when deleted, 0 when not held.
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1])
return 1
"""

# KEYS[1] lock name, ARGV[1] token, ARGV[2] milliseconds, ARGV[3] "1" to
# replace the TTL, "0" to add to it → 1 when done, 0 when not held or when
# the key has no TTL.
_EXTEND = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then return 0 end
if ARGV[3] == '0' then ttl = ttl + tonumber(ARGV[2]) else ttl = ARGV[2] end
redis.call('pexpire', KEYS[1], ttl)
return 1
"""

# KEYS[1] lock name, ARGV[1] token, ARGV[2] milliseconds → 1 when the TTL
# was reset, 0 when not held.
_REACQUIRE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
return 1
"""


class _Token(threading.local):
    """Per-thread token storage; a thread that never acquired sees None
    (redis-py's lock raises AttributeError there instead)."""

    token: Any = None


class Lock:
    """A lock named ``name`` shared by every client of the store.

    ``timeout`` (seconds) bounds the lock's life (None: until released);
    ``sleep`` is the pause between attempts while blocking; ``blocking``
    and ``blocking_timeout`` (seconds, None: forever) are the defaults of
    :meth:`acquire`. With ``thread_local`` the token is per thread, so a
    thread never releases a lock another thread took through the same
    object. ``raise_on_release_error``: whether leaving a ``with`` block
    whose lock is no longer held raises (else it logs a warning).
    """

    lua_release: Any = None
    lua_extend: Any = None
    lua_reacquire: Any = None

    LUA_RELEASE_SCRIPT = _RELEASE
    LUA_EXTEND_SCRIPT = _EXTEND
    LUA_REACQUIRE_SCRIPT = _REACQUIRE

    def __init__(
        self,
        redis: Any,
        name: str,
        timeout: Optional[Number] = None,
        sleep: Number = 0.1,
        blocking: bool = True,
        blocking_timeout: Optional[Number] = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
    ) -> None:
        self.redis = redis
        self.name = name
        self.timeout = timeout
        self.sleep = sleep
        self.blocking = blocking
        self.blocking_timeout = blocking_timeout
        self.thread_local = bool(thread_local)
        self.raise_on_release_error = raise_on_release_error
        self.local: Any = _Token() if self.thread_local else SimpleNamespace()
        self.local.token = None
        self.register_scripts()

    def register_scripts(self) -> None:
        """Registers the class's scripts once (on the first client)."""
        cls = type(self)
        if cls.lua_release is None:
            cls.lua_release = self.redis.register_script(cls.LUA_RELEASE_SCRIPT)
        if cls.lua_extend is None:
            cls.lua_extend = self.redis.register_script(cls.LUA_EXTEND_SCRIPT)
        if cls.lua_reacquire is None:
            cls.lua_reacquire = self.redis.register_script(cls.LUA_REACQUIRE_SCRIPT)

    def __enter__(self) -> "Lock":
        if self.acquire():
            return self
        raise LockError("Unable to acquire lock within the time specified", lock_name=self.name)

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        try:
            self.release()
        except LockError:
            if self.raise_on_release_error:
                raise
            logger.warning("Lock was unlocked or no longer owned when exiting context manager.")

    def acquire(
        self,
        sleep: Optional[Number] = None,
        blocking: Optional[bool] = None,
        blocking_timeout: Optional[Number] = None,
        token: Optional[str] = None,
    ) -> bool:
        """Takes the lock; ``True`` once held. Not blocking, or blocking
        for longer than ``blocking_timeout``: ``False`` when another owner
        holds it. ``token`` (default: 128 random bits as 32 hex digits,
        the shape of redis-py's uuid1 token) is the owner's value."""
        if sleep is None:
            sleep = self.sleep
        if token is None:
            # os.urandom rather than uuid1: as unique, 20 times faster.
            value: Any = os.urandom(16).hex().encode()
        else:
            value = self.redis.get_encoder().encode(token)
        if blocking is None:
            blocking = self.blocking
        if blocking_timeout is None:
            blocking_timeout = self.blocking_timeout
        deadline = None if blocking_timeout is None else time.monotonic() + blocking_timeout
        while True:
            if self.do_acquire(value):
                self.local.token = value
                return True
            if not blocking:
                return False
            # Give up when the next attempt would come after the deadline.
            if deadline is not None and time.monotonic() + sleep > deadline:
                return False
            time.sleep(sleep)

    def do_acquire(self, token: Any) -> bool:
        """One attempt: SET NX with the lock's timeout in milliseconds
        (the argv ``set(name, token, nx=True, px=...)`` sends, without its
        option parsing: acquire+release is a hot path)."""
        expiry = ("PX", int(self.timeout * 1000)) if self.timeout else ()
        return bool(self.redis.execute_command("SET", self.name, token, *expiry, "NX"))

    def locked(self) -> bool:
        """Whether anyone holds the lock."""
        return self.redis.get(self.name) is not None

    def owned(self) -> bool:
        """Whether this lock object (in this thread, when thread-local)
        holds the lock."""
        stored = self.redis.get(self.name)
        if stored and not isinstance(stored, bytes):
            # Decoded replies: compare the bytes the token was stored as.
            stored = self.redis.get_encoder().encode(stored)
        return self.local.token is not None and stored == self.local.token

    def release(self) -> None:
        """Releases the lock; ``LockError`` when this object does not hold
        it, ``LockNotOwnedError`` when it expired and is no longer ours."""
        token = self.local.token
        if token is None:
            raise LockError(
                "Cannot release a lock that's not owned or is already unlocked.",
                lock_name=self.name,
            )
        self.local.token = None
        self.do_release(token)

    def do_release(self, expected_token: Any) -> None:
        """Deletes the key if it still holds ``expected_token``."""
        if not self.lua_release(keys=[self.name], args=[expected_token], client=self.redis):
            raise LockNotOwnedError("Cannot release a lock that's no longer owned", lock_name=self.name)

    def extend(self, additional_time: Number, replace_ttl: bool = False) -> bool:
        """Adds ``additional_time`` seconds to the lock's TTL (or makes it
        the TTL with ``replace_ttl``); ``True``."""
        if self.local.token is None:
            raise LockError("Cannot extend an unlocked lock", lock_name=self.name)
        if self.timeout is None:
            raise LockError("Cannot extend a lock with no timeout", lock_name=self.name)
        return self.do_extend(additional_time, replace_ttl)

    def do_extend(self, additional_time: Number, replace_ttl: bool) -> bool:
        """Runs the extend script with milliseconds."""
        args = [self.local.token, int(additional_time * 1000), "1" if replace_ttl else "0"]
        if not self.lua_extend(keys=[self.name], args=args, client=self.redis):
            raise LockNotOwnedError("Cannot extend a lock that's no longer owned", lock_name=self.name)
        return True

    def reacquire(self) -> bool:
        """Resets the lock's TTL to its ``timeout``; ``True``."""
        if self.local.token is None:
            raise LockError("Cannot reacquire an unlocked lock", lock_name=self.name)
        if self.timeout is None:
            raise LockError("Cannot reacquire a lock with no timeout", lock_name=self.name)
        return self.do_reacquire()

    def do_reacquire(self) -> bool:
        """Runs the reacquire script with the timeout in milliseconds."""
        assert self.timeout is not None  # checked by reacquire()
        args = [self.local.token, int(self.timeout * 1000)]
        if not self.lua_reacquire(keys=[self.name], args=args, client=self.redis):
            raise LockNotOwnedError("Cannot reacquire a lock that's no longer owned", lock_name=self.name)
        return True
