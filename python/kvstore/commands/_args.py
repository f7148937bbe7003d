"""Argument building shared by the command mixins: the type aliases of
their signatures and redis-py's rules for key lists and expiry options."""

from __future__ import annotations

import datetime
from typing import Any, Iterable, List, Union

from ..exceptions import DataError

#: What redis-py encodes as an argument (bool and None are refused).
EncodableT = Union[bytes, bytearray, memoryview, str, int, float]
#: A key name, pattern or channel.
KeyT = Union[bytes, str, memoryview]
#: One key or an iterable of keys.
KeysT = Union[KeyT, Iterable[KeyT]]
#: A relative expiry: seconds/milliseconds or a timedelta.
ExpiryT = Union[int, datetime.timedelta]
#: An absolute expiry: a Unix time or a datetime.
AbsExpiryT = Union[int, datetime.datetime]


def list_or_args(keys: Any, args: Iterable[Any] | None) -> List[Any]:
    """``keys`` (one key or an iterable of keys) followed by ``args``, as a
    new list: a str or bytes-like ``keys`` is one key, not an iterable."""
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


def seconds(t: Any) -> Any:
    """A relative time in whole seconds: a timedelta converted, else as given."""
    return int(t.total_seconds()) if isinstance(t, datetime.timedelta) else t


def millis(t: Any) -> Any:
    """A relative time in whole milliseconds: a timedelta converted, else as given."""
    return int(t.total_seconds() * 1000) if isinstance(t, datetime.timedelta) else t


def unix_seconds(t: Any) -> Any:
    """An absolute time in Unix seconds: a datetime converted, else as given."""
    return int(t.timestamp()) if isinstance(t, datetime.datetime) else t


def unix_millis(t: Any) -> Any:
    """An absolute time in Unix milliseconds: a datetime converted, else as given."""
    return int(t.timestamp() * 1000) if isinstance(t, datetime.datetime) else t


def at_most_one(*flags: Any) -> bool:
    """Whether at most one of ``flags`` is truthy."""
    return sum(1 for f in flags if f) <= 1


def expire_flags(
    ex: ExpiryT | None = None,
    px: ExpiryT | None = None,
    exat: AbsExpiryT | None = None,
    pxat: AbsExpiryT | None = None,
) -> List[EncodableT]:
    """The ``EX``/``PX``/``EXAT``/``PXAT`` words for the first option given
    (callers check that at most one is): timedeltas and datetimes become
    whole seconds or milliseconds, as in redis-py."""
    if ex is not None:
        if isinstance(ex, datetime.timedelta):
            return ["EX", seconds(ex)]
        if isinstance(ex, int):
            return ["EX", ex]
        if isinstance(ex, str) and ex.isdigit():
            return ["EX", int(ex)]
        raise DataError("ex must be datetime.timedelta or int")
    if px is not None:
        if isinstance(px, datetime.timedelta):
            return ["PX", millis(px)]
        if isinstance(px, int):
            return ["PX", px]
        raise DataError("px must be datetime.timedelta or int")
    if exat is not None:
        return ["EXAT", unix_seconds(exat)]
    if pxat is not None:
        return ["PXAT", unix_millis(pxat)]
    return []


def condition_flags(nx: bool, xx: bool, gt: bool, lt: bool) -> List[str]:
    """EXPIRE's ``NX``/``XX``/``GT``/``LT`` words, in that order (the server
    judges the combinations)."""
    return [word for word, on in (("NX", nx), ("XX", xx), ("GT", gt), ("LT", lt)) if on]
