"""redis-py's methods for hashes (and HSCAN / hscan_iter).

Each method sends the argv redis-py 8.1 sends, with its client-side checks
and error texts. The Redis 7.4/8 field-expiry methods (``hexpire``,
``hgetex``, ``hsetex``, ...) exist with redis-py's signatures and argv; a
store without those commands answers with the "unknown command" error, as
Redis 7.0 does.
"""

from __future__ import annotations

import warnings
from enum import Enum
from typing import Any, Callable, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from ..exceptions import DataError
from ._args import (
    AbsExpiryT,
    EncodableT,
    ExpiryT,
    KeyT,
    condition_flags,
    expire_flags,
    list_or_args,
    millis,
    seconds as whole_seconds,
    unix_millis,
    unix_seconds,
)

FieldT = Union[bytes, bytearray, memoryview, str, int, float]


class HashDataPersistOptions(Enum):
    """HSETEX's condition on the fields: set all of them only if none
    exists (``FNX``) or only if all exist (``FXX``)."""

    FNX = "FNX"
    FXX = "FXX"


def _at_most_one(*flags: Any) -> bool:
    """Whether at most one of ``flags`` is truthy."""
    return sum(map(bool, flags)) <= 1


def _field_pairs(
    key: Optional[FieldT],
    value: Optional[EncodableT],
    mapping: Optional[Mapping[Any, EncodableT]],
    items: Optional[Sequence[EncodableT]],
) -> List[Any]:
    """HSET/HSETEX's field/value list in redis-py's order: ``items``, then
    ``key value``, then the pairs of ``mapping``."""
    pieces: List[Any] = []
    if items:
        pieces.extend(items)
    if key is not None:
        pieces.extend((key, value))
    if mapping:
        for pair in mapping.items():
            pieces.extend(pair)
    return pieces


def _condition_flags(nx: bool, xx: bool, gt: bool, lt: bool) -> List[str]:
    """The NX/XX/GT/LT flag of the HEXPIRE family (at most one)."""
    if sum([nx, xx, gt, lt]) > 1:
        raise ValueError("Only one of 'nx', 'xx', 'gt', 'lt' can be specified.")
    return condition_flags(nx, xx, gt, lt)


class HashCommands:
    """Methods for hashes."""

    # Provided by the client or pipeline class the mixin is combined with
    # (an annotation only: no attribute shadows theirs).
    execute_command: Callable[..., Any]

    def hdel(self, name: KeyT, *keys: FieldT) -> Any:
        """HDEL: removes fields; how many existed."""
        return self.execute_command("HDEL", name, *keys)

    def hexists(self, name: KeyT, key: FieldT) -> Any:
        """HEXISTS: whether the field exists (``bool``)."""
        return self.execute_command("HEXISTS", name, key, keys=[name])

    def hget(self, name: KeyT, key: FieldT) -> Any:
        """HGET: the field's value, or ``None``."""
        return self.execute_command("HGET", name, key, keys=[name])

    def hgetall(self, name: KeyT) -> Any:
        """HGETALL: ``{field: value}`` (empty for a missing key)."""
        return self.execute_command("HGETALL", name, keys=[name])

    def hincrby(self, name: KeyT, key: FieldT, amount: int = 1) -> Any:
        """HINCRBY: adds ``amount`` to the field's integer; the new value."""
        return self.execute_command("HINCRBY", name, key, amount)

    def hincrbyfloat(self, name: KeyT, key: FieldT, amount: float = 1.0) -> Any:
        """HINCRBYFLOAT: adds ``amount`` to the field's number; the new
        value as ``float``."""
        return self.execute_command("HINCRBYFLOAT", name, key, amount)

    def hkeys(self, name: KeyT) -> Any:
        """HKEYS: the fields."""
        return self.execute_command("HKEYS", name, keys=[name])

    def hlen(self, name: KeyT) -> Any:
        """HLEN: the number of fields."""
        return self.execute_command("HLEN", name, keys=[name])

    def hset(
        self,
        name: KeyT,
        key: Optional[FieldT] = None,
        value: Optional[EncodableT] = None,
        mapping: Optional[Mapping[Any, EncodableT]] = None,
        items: Optional[Sequence[EncodableT]] = None,
    ) -> Any:
        """HSET ``key value``, ``mapping`` pairs and flat ``items``: how
        many fields were new."""
        if key is None and not mapping and not items:
            raise DataError("'hset' with no key value pairs")
        return self.execute_command("HSET", name, *_field_pairs(key, value, mapping, items))

    def hsetnx(self, name: KeyT, key: FieldT, value: EncodableT) -> Any:
        """HSETNX: sets the field only if absent; 1 if it did, else 0."""
        return self.execute_command("HSETNX", name, key, value)

    def hmset(self, name: KeyT, mapping: Mapping[Any, EncodableT]) -> Any:
        """HMSET (deprecated in redis-py 4.0 for ``hset(mapping=...)``):
        sets the fields; ``True``."""
        warnings.warn(
            "Call to deprecated hmset. (Use 'hset' instead.) -- Deprecated since version 4.0.0.",
            category=DeprecationWarning,
            stacklevel=2,
        )
        if not mapping:
            raise DataError("'hmset' with 'mapping' of length 0")
        pieces: List[Any] = []
        for pair in mapping.items():
            pieces.extend(pair)
        return self.execute_command("HMSET", name, *pieces)

    def hmget(self, name: KeyT, keys: Union[FieldT, Iterable[FieldT]], *args: FieldT) -> Any:
        """HMGET: the values of the fields (one or a list, plus ``args``),
        ``None`` for absent ones."""
        fields = list_or_args(keys, args)
        return self.execute_command("HMGET", name, *fields, keys=[name])

    def hvals(self, name: KeyT) -> Any:
        """HVALS: the values."""
        return self.execute_command("HVALS", name, keys=[name])

    def hstrlen(self, name: KeyT, key: FieldT) -> Any:
        """HSTRLEN: the length of the field's value (0 if absent)."""
        return self.execute_command("HSTRLEN", name, key, keys=[name])

    def hrandfield(
        self, key: KeyT, count: Optional[int] = None, withvalues: bool = False
    ) -> Any:
        """HRANDFIELD: one random field, or ``count`` of them (repeats
        allowed when negative); ``withvalues`` gives a flat field/value list."""
        params: List[Any] = []
        if count is not None:
            params.append(count)
        if withvalues:
            params.append("WITHVALUES")
        return self.execute_command("HRANDFIELD", key, *params, withvalues=withvalues)

    def hscan(
        self,
        name: KeyT,
        cursor: int = 0,
        match: Optional[KeyT] = None,
        count: Optional[int] = None,
        no_values: Optional[bool] = None,
    ) -> Any:
        """HSCAN: one step of a cursor walk; ``(next_cursor, {field:
        value})``, or a list of fields with ``no_values``."""
        pieces: List[Any] = [name, cursor]
        if match is not None:
            pieces.extend([b"MATCH", match])
        if count is not None:
            pieces.extend([b"COUNT", count])
        # redis-py sends NOVALUES whenever the option is given, even False.
        if no_values is not None:
            pieces.append(b"NOVALUES")
        return self.execute_command("HSCAN", *pieces, no_values=no_values)

    def hscan_iter(
        self,
        name: KeyT,
        match: Optional[KeyT] = None,
        count: Optional[int] = None,
        no_values: Optional[bool] = None,
    ) -> Iterator[Any]:
        """Yields every ``(field, value)`` of ``name`` (fields only with
        ``no_values``) through HSCAN."""
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.hscan(
                name, cursor=cursor, match=match, count=count, no_values=no_values
            )
            if no_values:
                yield from data
            else:
                yield from data.items()

    # -- Redis 7.4 / 8 field expiry --------------------------------------

    def hgetdel(self, name: KeyT, *keys: FieldT) -> Any:
        """HGETDEL: the fields' values, removing the fields."""
        if not keys:
            raise DataError("'hgetdel' should have at least one key provided")
        return self.execute_command("HGETDEL", name, "FIELDS", len(keys), *keys)

    def hgetex(
        self,
        name: KeyT,
        *keys: FieldT,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        persist: bool = False,
    ) -> Any:
        """HGETEX: the fields' values, setting (or with ``persist``
        removing) their time to live."""
        if not keys:
            raise DataError("'hgetex' should have at least one key provided")
        if not _at_most_one(ex is not None, px is not None, exat is not None, pxat is not None,
                            persist):
            raise DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive."
            )
        options = expire_flags(ex, px, exat, pxat)
        if persist:
            options.append("PERSIST")
        return self.execute_command("HGETEX", name, *options, "FIELDS", len(keys), *keys)

    def hsetex(
        self,
        name: KeyT,
        key: Optional[FieldT] = None,
        value: Optional[EncodableT] = None,
        mapping: Optional[Mapping[Any, EncodableT]] = None,
        items: Optional[Sequence[EncodableT]] = None,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        data_persist_option: Optional[HashDataPersistOptions] = None,
        keepttl: bool = False,
    ) -> Any:
        """HSETEX: HSET with a time to live for the fields (or ``keepttl``)
        and an all-or-nothing FNX/FXX condition; 1 if set, else 0."""
        if key is None and not mapping and not items:
            raise DataError("'hsetex' with no key value pairs")
        if items and len(items) % 2 != 0:
            raise DataError(
                "'hsetex' with odd number of items. "
                "'items' must contain a list of key/value pairs."
            )
        if not _at_most_one(ex is not None, px is not None, exat is not None, pxat is not None,
                            keepttl):
            raise DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive."
            )
        options = expire_flags(ex, px, exat, pxat)
        if data_persist_option:
            options.append(data_persist_option.value)
        if keepttl:
            options.append("KEEPTTL")
        pieces = _field_pairs(key, value, mapping, items)
        return self.execute_command(
            "HSETEX", name, *options, "FIELDS", int(len(pieces) / 2), *pieces
        )

    def hexpire(
        self,
        name: KeyT,
        seconds: ExpiryT,
        *fields: FieldT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> Any:
        """HEXPIRE: a time to live in seconds for each field; a status code
        per field."""
        flags = _condition_flags(nx, xx, gt, lt)
        seconds = whole_seconds(seconds)
        return self.execute_command(
            "HEXPIRE", name, seconds, *flags, "FIELDS", len(fields), *fields
        )

    def hpexpire(
        self,
        name: KeyT,
        milliseconds: ExpiryT,
        *fields: FieldT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> Any:
        """HPEXPIRE: HEXPIRE in milliseconds."""
        flags = _condition_flags(nx, xx, gt, lt)
        milliseconds = millis(milliseconds)
        return self.execute_command(
            "HPEXPIRE", name, milliseconds, *flags, "FIELDS", len(fields), *fields
        )

    def hexpireat(
        self,
        name: KeyT,
        unix_time_seconds: AbsExpiryT,
        *fields: FieldT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> Any:
        """HEXPIREAT: an absolute expiry (Unix seconds) for each field."""
        flags = _condition_flags(nx, xx, gt, lt)
        unix_time_seconds = unix_seconds(unix_time_seconds)
        return self.execute_command(
            "HEXPIREAT", name, unix_time_seconds, *flags, "FIELDS", len(fields), *fields
        )

    def hpexpireat(
        self,
        name: KeyT,
        unix_time_milliseconds: AbsExpiryT,
        *fields: FieldT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> Any:
        """HPEXPIREAT: an absolute expiry (Unix milliseconds) for each field."""
        flags = _condition_flags(nx, xx, gt, lt)
        unix_time_milliseconds = unix_millis(unix_time_milliseconds)
        return self.execute_command(
            "HPEXPIREAT", name, unix_time_milliseconds, *flags, "FIELDS", len(fields),
            *fields,
        )

    def hpersist(self, name: KeyT, *fields: FieldT) -> Any:
        """HPERSIST: removes the fields' time to live; a status per field."""
        return self.execute_command("HPERSIST", name, "FIELDS", len(fields), *fields)

    def hexpiretime(self, key: KeyT, *fields: FieldT) -> Any:
        """HEXPIRETIME: each field's absolute expiry in Unix seconds."""
        return self.execute_command(
            "HEXPIRETIME", key, "FIELDS", len(fields), *fields, keys=[key]
        )

    def hpexpiretime(self, key: KeyT, *fields: FieldT) -> Any:
        """HPEXPIRETIME: each field's absolute expiry in Unix milliseconds."""
        return self.execute_command(
            "HPEXPIRETIME", key, "FIELDS", len(fields), *fields, keys=[key]
        )

    def httl(self, key: KeyT, *fields: FieldT) -> Any:
        """HTTL: each field's remaining time to live in seconds."""
        return self.execute_command("HTTL", key, "FIELDS", len(fields), *fields, keys=[key])

    def hpttl(self, key: KeyT, *fields: FieldT) -> Any:
        """HPTTL: each field's remaining time to live in milliseconds."""
        return self.execute_command("HPTTL", key, "FIELDS", len(fields), *fields, keys=[key])
