"""redis-py's methods for keys of any type: existence, deletion, renaming,
expiry, SORT, SCAN/scan_iter, OBJECT, MEMORY USAGE, DUMP/RESTORE (and the
``del r[key]`` / ``key in r`` syntax)."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional, Union

from ..exceptions import DataError
from ._args import (
    AbsExpiryT,
    EncodableT,
    ExpiryT,
    KeyT,
    condition_flags,
    millis,
    seconds,
    unix_millis,
    unix_seconds,
)


class KeyCommands:
    """Methods for keys (generic), expiry, SORT, SCAN and scan_iter."""

    execute_command: Callable[..., Any]

    def copy(
        self,
        source: str,
        destination: str,
        destination_db: Optional[str] = None,
        replace: bool = False,
    ) -> bool:
        """COPY: copies ``source`` to ``destination`` (in ``destination_db``
        if given; over an existing key only with ``replace``); whether it did."""
        params: List[EncodableT] = [source, destination]
        if destination_db is not None:
            params += ["DB", destination_db]
        if replace:
            params.append("REPLACE")
        return self.execute_command("COPY", *params)

    def delete(self, *names: KeyT) -> int:
        """DEL: deletes ``names``; how many existed."""
        return self.execute_command("DEL", *names)

    def __delitem__(self, name: KeyT) -> None:
        """``del r[name]``: deletes the key (missing is no error)."""
        self.delete(name)

    def dump(self, name: KeyT) -> Optional[bytes]:
        """DUMP: the serialized value (bytes, never decoded), or ``None``."""
        return self.execute_command("DUMP", name, NEVER_DECODE=[])

    def exists(self, *names: KeyT) -> int:
        """EXISTS: how many of ``names`` exist (a name given twice counts twice)."""
        return self.execute_command("EXISTS", *names, keys=names)

    __contains__ = exists

    def expire(
        self,
        name: KeyT,
        time: ExpiryT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """EXPIRE: expires ``name`` in ``time`` seconds (int or timedelta),
        under the ``nx``/``xx``/``gt``/``lt`` condition; whether it was set."""
        return self.execute_command("EXPIRE", name, seconds(time), *condition_flags(nx, xx, gt, lt))

    def expireat(
        self,
        name: KeyT,
        when: AbsExpiryT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """EXPIREAT: expires ``name`` at ``when`` (Unix seconds or datetime)."""
        return self.execute_command("EXPIREAT", name, unix_seconds(when), *condition_flags(nx, xx, gt, lt))

    def expiretime(self, key: str) -> int:
        """EXPIRETIME: the Unix time (seconds) ``key`` expires at; -1 without
        expiry, -2 when missing."""
        return self.execute_command("EXPIRETIME", key)

    def keys(self, pattern: KeyT = "*", **kwargs: Any) -> List[Union[bytes, str]]:
        """KEYS: the keys matching the glob ``pattern``."""
        return self.execute_command("KEYS", pattern, **kwargs)

    def move(self, name: KeyT, db: int) -> bool:
        """MOVE: moves ``name`` to database ``db``; whether it did."""
        return self.execute_command("MOVE", name, db)

    def persist(self, name: KeyT) -> bool:
        """PERSIST: removes the expiry of ``name``; whether there was one."""
        return self.execute_command("PERSIST", name)

    def pexpire(
        self,
        name: KeyT,
        time: ExpiryT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """PEXPIRE: EXPIRE in milliseconds (int or timedelta)."""
        return self.execute_command("PEXPIRE", name, millis(time), *condition_flags(nx, xx, gt, lt))

    def pexpireat(
        self,
        name: KeyT,
        when: AbsExpiryT,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """PEXPIREAT: EXPIREAT in Unix milliseconds (or a datetime)."""
        return self.execute_command("PEXPIREAT", name, unix_millis(when), *condition_flags(nx, xx, gt, lt))

    def pexpiretime(self, key: str) -> int:
        """PEXPIRETIME: EXPIRETIME in milliseconds."""
        return self.execute_command("PEXPIRETIME", key)

    def pttl(self, name: KeyT) -> int:
        """PTTL: milliseconds to live; -1 without expiry, -2 when missing."""
        return self.execute_command("PTTL", name)

    def randomkey(self, **kwargs: Any) -> Union[bytes, str, None]:
        """RANDOMKEY: a random key, or ``None`` when the database is empty."""
        return self.execute_command("RANDOMKEY", **kwargs)

    def rename(self, src: KeyT, dst: KeyT) -> bool:
        """RENAME: renames ``src`` to ``dst`` (replacing it); ``True``."""
        return self.execute_command("RENAME", src, dst)

    def renamenx(self, src: KeyT, dst: KeyT) -> bool:
        """RENAMENX: renames ``src`` only if ``dst`` does not exist; whether it did."""
        return self.execute_command("RENAMENX", src, dst)

    def restore(
        self,
        name: KeyT,
        ttl: float,
        value: EncodableT,
        replace: bool = False,
        absttl: bool = False,
        idletime: Optional[int] = None,
        frequency: Optional[int] = None,
    ) -> Union[bytes, str]:
        """RESTORE: creates ``name`` from a DUMP payload, with ``ttl`` ms
        (a Unix time in ms with ``absttl``; 0 for none)."""
        params: List[EncodableT] = [name, ttl, value]
        if replace:
            params.append("REPLACE")
        if absttl:
            params.append("ABSTTL")
        if idletime is not None:
            try:
                params += ["IDLETIME", int(idletime)]
            except ValueError:
                raise DataError("idletimemust be an integer") from None
        if frequency is not None:
            try:
                params += ["FREQ", int(frequency)]
            except ValueError:
                raise DataError("frequency must be an integer") from None
        return self.execute_command("RESTORE", *params)

    def sort(
        self,
        name: KeyT,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Optional[str] = None,
        get: Optional[List[str]] = None,
        desc: bool = False,
        alpha: bool = False,
        store: Optional[str] = None,
        groups: Optional[bool] = False,
    ) -> Any:
        """SORT the list, set or sorted set at ``name``: ``start``/``num``
        page, ``by`` weights, ``get`` patterns (tuples with ``groups``),
        ``desc``, ``alpha``; with ``store`` the count stored."""
        if (start is None) != (num is None):
            raise DataError("``start`` and ``num`` must both be specified")
        pieces: List[EncodableT] = [name]
        if by is not None:
            pieces += [b"BY", by]
        if start is not None and num is not None:
            pieces += [b"LIMIT", start, num]
        if get is not None:
            # One pattern may be given bare; anything else is an iterable of them.
            for pattern in [get] if isinstance(get, (bytes, str)) else get:
                pieces += [b"GET", pattern]
        if desc:
            pieces.append(b"DESC")
        if alpha:
            pieces.append(b"ALPHA")
        if store is not None:
            pieces += [b"STORE", store]
        if groups and (not get or isinstance(get, (bytes, str)) or len(get) < 2):
            raise DataError(
                'when using "groups" the "get" argument '
                "must be specified and contain at least two keys"
            )
        options = {"groups": len(get) if groups else None, "keys": [name]}  # type: ignore[arg-type]
        return self.execute_command("SORT", *pieces, **options)

    def sort_ro(
        self,
        key: str,
        start: Optional[int] = None,
        num: Optional[int] = None,
        by: Optional[str] = None,
        get: Optional[List[str]] = None,
        desc: bool = False,
        alpha: bool = False,
    ) -> List[Union[bytes, str]]:
        """SORT without STORE (redis-py sends SORT, not SORT_RO)."""
        return self.sort(key, start=start, num=num, by=by, get=get, desc=desc, alpha=alpha)

    def scan(
        self,
        cursor: int = 0,
        match: Optional[KeyT] = None,
        count: Optional[int] = None,
        _type: Optional[str] = None,
        **kwargs: Any,
    ) -> Any:
        """SCAN: ``(next_cursor, keys)`` from ``cursor``, filtered by glob
        ``match`` and type ``_type``; ``count`` is a batch-size hint."""
        pieces: List[EncodableT] = [cursor]
        if match is not None:
            pieces += [b"MATCH", match]
        if count is not None:
            pieces += [b"COUNT", count]
        if _type is not None:
            pieces += [b"TYPE", _type]
        return self.execute_command("SCAN", *pieces, **kwargs)

    def scan_iter(
        self,
        match: Optional[KeyT] = None,
        count: Optional[int] = None,
        _type: Optional[str] = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Every key SCAN yields (with ``scan``'s filters), cursor handled here."""
        cursor: Union[int, str] = "0"
        while cursor != 0:
            cursor, data = self.scan(cursor=cursor, match=match, count=count, _type=_type, **kwargs)  # type: ignore[arg-type]
            yield from data

    def touch(self, *args: KeyT) -> int:
        """TOUCH: updates the access time of the keys; how many exist."""
        return self.execute_command("TOUCH", *args)

    def ttl(self, name: KeyT) -> int:
        """TTL: seconds to live; -1 without expiry, -2 when missing."""
        return self.execute_command("TTL", name)

    def type(self, name: KeyT) -> Union[bytes, str]:
        """TYPE: ``string``, ``list``, ``set``, ``zset``, ``hash``, ``stream`` or ``none``."""
        return self.execute_command("TYPE", name, keys=[name])

    def unlink(self, *names: KeyT) -> int:
        """UNLINK: DEL that frees the values later; how many existed."""
        return self.execute_command("UNLINK", *names)
