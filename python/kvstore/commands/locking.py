"""redis-py's ``lock()``: a distributed lock on this client's store."""

from __future__ import annotations

from typing import Any, Optional, Type

from ..lock import Lock, Number


class LockCommands:
    """The ``lock()`` method."""

    def lock(
        self,
        name: str,
        timeout: Optional[Number] = None,
        sleep: Number = 0.1,
        blocking: bool = True,
        blocking_timeout: Optional[Number] = None,
        lock_class: Optional[Type[Any]] = None,
        thread_local: bool = True,
        raise_on_release_error: bool = True,
    ) -> Any:
        """A ``Lock`` (or ``lock_class``) named ``name`` on this client;
        see :class:`kvstore.lock.Lock` for the arguments."""
        cls = Lock if lock_class is None else lock_class
        return cls(
            self,
            name,
            timeout=timeout,
            sleep=sleep,
            blocking=blocking,
            blocking_timeout=blocking_timeout,
            thread_local=thread_local,
            raise_on_release_error=raise_on_release_error,
        )
