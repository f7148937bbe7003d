"""redis-py's methods for strings and bitmaps (and the ``r[key]`` item
syntax), with redis-py's signatures, client-side checks and argv."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any, Callable, List, Mapping, Optional, Tuple, Union

from ..exceptions import DataError
from ._args import (
    AbsExpiryT,
    EncodableT,
    ExpiryT,
    KeysT,
    KeyT,
    at_most_one,
    expire_flags,
    list_or_args,
)
from ._warnings import deprecated, experimental, experimental_args

#: A BITFIELD offset: a bit number, or ``"#n"`` for the n-th field.
BitfieldOffsetT = Union[int, str]


class DataPersistOptions(Enum):
    """MSETEX's condition: set all keys only if none exists (``NX``) or
    only if all exist (``XX``)."""

    NX = "NX"
    XX = "XX"


class BitFieldOperation:
    """Builds one BITFIELD command: chain ``get``/``set``/``incrby``/
    ``overflow`` calls, then ``execute()`` runs them as a single command."""

    def __init__(self, client: Any, key: KeyT, default_overflow: Optional[str] = None):
        self.client = client
        self.key = key
        self._default_overflow = default_overflow
        self.operations: List[Tuple[EncodableT, ...]] = []
        self._last_overflow = "WRAP"
        self.reset()

    def reset(self) -> None:
        """Forgets the queued operations (back to the state after construction)."""
        self.operations = []
        self._last_overflow = "WRAP"
        self.overflow(self._default_overflow or self._last_overflow)

    def overflow(self, overflow: str) -> BitFieldOperation:
        """Sets the overflow behaviour (WRAP, SAT or FAIL) of the INCRBYs
        that follow; emits OVERFLOW only when it changes."""
        overflow = overflow.upper()
        if overflow != self._last_overflow:
            self._last_overflow = overflow
            self.operations.append(("OVERFLOW", overflow))
        return self

    def incrby(
        self,
        fmt: str,
        offset: BitfieldOffsetT,
        increment: int,
        overflow: Optional[str] = None,
    ) -> BitFieldOperation:
        """Adds ``increment`` to the ``fmt`` field (``"u8"``, ``"i5"``...) at ``offset``."""
        if overflow is not None:
            self.overflow(overflow)
        self.operations.append(("INCRBY", fmt, offset, increment))
        return self

    def get(self, fmt: str, offset: BitfieldOffsetT) -> BitFieldOperation:
        """Reads the ``fmt`` field at ``offset``."""
        self.operations.append(("GET", fmt, offset))
        return self

    def set(self, fmt: str, offset: BitfieldOffsetT, value: int) -> BitFieldOperation:
        """Writes ``value`` into the ``fmt`` field at ``offset``."""
        self.operations.append(("SET", fmt, offset, value))
        return self

    @property
    def command(self) -> List[EncodableT]:
        """The BITFIELD argv the queued operations make."""
        cmd: List[EncodableT] = ["BITFIELD", self.key]
        for op in self.operations:
            cmd.extend(op)
        return cmd

    def execute(self) -> Any:
        """Runs the operations as one BITFIELD (one result per GET/SET/
        INCRBY) and resets; on a pipeline the command is queued."""
        command = self.command
        self.reset()
        return self.client.execute_command(*command)


class StringCommands:
    """Methods for strings and bitmaps."""

    execute_command: Callable[..., Any]
    connection_pool: Any

    def append(self, key: KeyT, value: EncodableT) -> int:
        """APPEND: appends ``value`` (creating the key); the new length."""
        return self.execute_command("APPEND", key, value)

    def bitcount(
        self,
        key: KeyT,
        start: Optional[int] = None,
        end: Optional[int] = None,
        mode: Optional[str] = None,
    ) -> int:
        """BITCOUNT: set bits in the value, optionally in ``start``..``end``
        (bytes, or bits with ``mode="BIT"``)."""
        params: List[EncodableT] = [key]
        if start is not None and end is not None:
            params += [start, end]
        elif start is not None or end is not None:
            raise DataError("Both start and end must be specified")
        if mode is not None:
            params.append(mode)
        return self.execute_command("BITCOUNT", *params, keys=[key])

    def bitfield(self, key: KeyT, default_overflow: Optional[str] = None) -> BitFieldOperation:
        """A :class:`BitFieldOperation` that builds one BITFIELD on ``key``."""
        return BitFieldOperation(self, key, default_overflow=default_overflow)

    def bitfield_ro(
        self,
        key: KeyT,
        encoding: str,
        offset: BitfieldOffsetT,
        items: Optional[List[Tuple[str, BitfieldOffsetT]]] = None,
    ) -> List[int]:
        """BITFIELD_RO: the field ``encoding`` at ``offset``, then each
        ``(encoding, offset)`` of ``items``."""
        params: List[EncodableT] = [key, "GET", encoding, offset]
        for enc, off in items or []:
            params += ["GET", enc, off]
        return self.execute_command("BITFIELD_RO", *params, keys=[key])

    def bitop(self, operation: str, dest: KeyT, *keys: KeyT) -> int:
        """BITOP: ``operation`` (AND, OR, XOR, NOT) over ``keys`` into
        ``dest``; the result's length."""
        return self.execute_command("BITOP", operation, dest, *keys)

    def bitpos(
        self,
        key: KeyT,
        bit: int,
        start: Optional[int] = None,
        end: Optional[int] = None,
        mode: Optional[str] = None,
    ) -> int:
        """BITPOS: the first bit equal to ``bit`` (0 or 1), optionally from
        ``start`` to ``end`` (bytes, or bits with ``mode="BIT"``)."""
        if bit not in (0, 1):
            raise DataError("bit must be 0 or 1")
        params: List[EncodableT] = [key, bit]
        if start is not None:
            params.append(start)
            if end is not None:
                params.append(end)
        elif end is not None:
            raise DataError("start argument is not set, when end is specified")
        if mode is not None:
            params.append(mode)
        return self.execute_command("BITPOS", *params, keys=[key])

    def decrby(self, name: KeyT, amount: int = 1) -> int:
        """DECRBY: subtracts ``amount`` (a missing key counts as 0); the new value."""
        return self.execute_command("DECRBY", name, amount)

    decr = decrby

    @experimental
    def delex(
        self,
        name: KeyT,
        ifeq: Union[bytes, str, None] = None,
        ifne: Union[bytes, str, None] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> int:
        """DELEX (Redis 8.4): deletes ``name`` if the value (or its digest)
        matches the one condition given; 1 if deleted."""
        if not at_most_one(*(c is not None for c in (ifeq, ifne, ifdeq, ifdne))):
            raise ValueError("Only one of IFEQ/IFNE/IFDEQ/IFDNE may be specified")
        pieces: List[EncodableT] = ["DELEX", name]
        for word, cond in (("IFEQ", ifeq), ("IFNE", ifne), ("IFDEQ", ifdeq), ("IFDNE", ifdne)):
            if cond is not None:
                pieces += [word, cond]
                break
        return self.execute_command(*pieces)

    @experimental
    def digest_local(self, value: Union[bytes, str]) -> Union[bytes, str]:
        """The XXH3 hex digest DIGEST would give for ``value``, computed
        here (needs the optional ``xxhash`` package)."""
        try:
            import xxhash  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            raise NotImplementedError(
                "XXHASH support requires the optional 'xxhash' library. "
                "Install it with 'pip install xxhash' or use this package's extra with "
                "'pip install redis[xxhash]' to enable this feature."
            ) from None
        digest = xxhash.xxh3_64(value).hexdigest()
        if not self.connection_pool.connection_kwargs.get("decode_responses"):
            return digest.encode()
        return digest

    @experimental
    def digest(self, name: KeyT) -> Union[bytes, str, None]:
        """DIGEST (Redis 8.4): the XXH3 hex digest of the string at ``name``."""
        return self.execute_command("DIGEST", name)

    def get(self, name: KeyT) -> Union[bytes, str, None]:
        """GET: the value at ``name``, or ``None``."""
        return self.execute_command("GET", name, keys=[name])

    def getdel(self, name: KeyT) -> Union[bytes, str, None]:
        """GETDEL: the value at ``name`` (or ``None``), deleting the key."""
        return self.execute_command("GETDEL", name)

    def getex(
        self,
        name: KeyT,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        persist: bool = False,
    ) -> Union[bytes, str, None]:
        """GETEX: the value at ``name``, setting (``ex``/``px``/``exat``/
        ``pxat``) or removing (``persist``) its expiry."""
        if not at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, persist):
            raise DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive."
            )
        options = expire_flags(ex, px, exat, pxat)
        if persist:
            options.append("PERSIST")
        return self.execute_command("GETEX", name, *options)

    def __getitem__(self, name: KeyT) -> Union[bytes, str]:
        """``r[name]``: the value, or ``KeyError`` when the key is missing."""
        value = self.get(name)
        if value is not None:
            return value
        raise KeyError(name)

    def getbit(self, name: KeyT, offset: int) -> int:
        """GETBIT: the bit at ``offset`` (0 past the end)."""
        return self.execute_command("GETBIT", name, offset, keys=[name])

    def getrange(self, key: KeyT, start: int, end: int) -> Union[bytes, str]:
        """GETRANGE: the bytes ``start``..``end`` (inclusive, negative from the end)."""
        return self.execute_command("GETRANGE", key, start, end, keys=[key])

    def getset(self, name: KeyT, value: EncodableT) -> Union[bytes, str, None]:
        """GETSET: sets ``value`` and returns the old value (or ``None``)."""
        return self.execute_command("GETSET", name, value)

    def incrby(self, name: KeyT, amount: int = 1) -> int:
        """INCRBY: adds ``amount`` (a missing key counts as 0); the new value."""
        return self.execute_command("INCRBY", name, amount)

    incr = incrby

    def incrbyfloat(self, name: KeyT, amount: float = 1.0) -> float:
        """INCRBYFLOAT: adds the float ``amount``; the new value as float."""
        return self.execute_command("INCRBYFLOAT", name, amount)

    def increx(
        self,
        name: KeyT,
        *,
        byfloat: Optional[EncodableT] = None,
        byint: Optional[EncodableT] = None,
        lbound: Optional[EncodableT] = None,
        ubound: Optional[EncodableT] = None,
        saturate: bool = False,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        persist: bool = False,
        enx: bool = False,
    ) -> List[Any]:
        """INCREX (Redis 8.x): a bounded increment with expiry options; the
        new value and the increment applied."""
        if not at_most_one(byfloat is not None, byint is not None):
            raise DataError("``byfloat`` and ``byint`` are mutually exclusive.")
        if not at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, persist):
            raise DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive."
            )
        if enx and ex is None and px is None and exat is None and pxat is None:
            raise DataError("``enx`` requires one of ``ex``, ``px``, ``exat``, or ``pxat``.")
        pieces: List[EncodableT] = [name]
        if byfloat is not None:
            pieces += ["BYFLOAT", byfloat]
        elif byint is not None:
            pieces += ["BYINT", byint]
        if lbound is not None:
            pieces += ["LBOUND", lbound]
        if ubound is not None:
            pieces += ["UBOUND", ubound]
        if saturate:
            pieces.append("SATURATE")
        pieces += expire_flags(ex, px, exat, pxat)
        if persist:
            pieces.append("PERSIST")
        if enx:
            pieces.append("ENX")
        return self.execute_command("INCREX", *pieces)

    def lcs(
        self,
        key1: str,
        key2: str,
        len: Optional[bool] = False,
        idx: Optional[bool] = False,
        minmatchlen: Optional[int] = 0,
        withmatchlen: Optional[bool] = False,
    ) -> Any:
        """LCS: the longest common subsequence of the strings at ``key1`` and
        ``key2``; its length with ``len``; the match ranges with ``idx``."""
        pieces: List[EncodableT] = [key1, key2]
        if len:
            pieces.append("LEN")
        if idx:
            pieces.append("IDX")
        if minmatchlen is not None and minmatchlen != 0:
            pieces += ["MINMATCHLEN", minmatchlen]
        if withmatchlen:
            pieces.append("WITHMATCHLEN")
        return self.execute_command("LCS", *pieces, keys=[key1, key2])

    def mget(self, keys: KeysT, *args: EncodableT) -> List[Union[bytes, str, None]]:
        """MGET: the values of ``keys`` (a key or an iterable, plus ``args``),
        ``None`` for missing ones."""
        names = list_or_args(keys, args)
        options: dict = {"keys": names}
        if not names:
            options["EMPTY_RESPONSE"] = []
        return self.execute_command("MGET", *names, **options)

    def mset(self, mapping: Mapping[Any, EncodableT]) -> bool:
        """MSET: sets every key/value of ``mapping``; ``True``."""
        return self.execute_command("MSET", *_flatten(mapping))

    def msetex(
        self,
        mapping: Mapping[Any, EncodableT],
        data_persist_option: Optional[DataPersistOptions] = None,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        keepttl: bool = False,
    ) -> int:
        """MSETEX (Redis 8.4): MSET with an NX/XX condition and one expiry
        for all keys."""
        if not at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, keepttl):
            raise DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive."
            )
        options: List[EncodableT] = []
        if data_persist_option:
            options.append(data_persist_option.value)
        options += expire_flags(ex, px, exat, pxat)
        if keepttl:
            options.append("KEEPTTL")
        return self.execute_command("MSETEX", len(mapping), *_flatten(mapping), *options)

    def msetnx(self, mapping: Mapping[Any, EncodableT]) -> bool:
        """MSETNX: sets every key/value of ``mapping`` only if none of the
        keys exists; whether it did."""
        return self.execute_command("MSETNX", *_flatten(mapping))

    def psetex(self, name: KeyT, time_ms: ExpiryT, value: EncodableT) -> bool:
        """PSETEX: sets ``value`` expiring in ``time_ms`` milliseconds (int
        or timedelta)."""
        if isinstance(time_ms, datetime.timedelta):
            time_ms = int(time_ms.total_seconds() * 1000)
        return self.execute_command("PSETEX", name, time_ms, value)

    @experimental_args(["ifeq", "ifne", "ifdeq", "ifdne"])
    def set(
        self,
        name: KeyT,
        value: EncodableT,
        ex: Optional[ExpiryT] = None,
        px: Optional[ExpiryT] = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        get: bool = False,
        exat: Optional[AbsExpiryT] = None,
        pxat: Optional[AbsExpiryT] = None,
        ifeq: Union[bytes, str, None] = None,
        ifne: Union[bytes, str, None] = None,
        ifdeq: Optional[str] = None,
        ifdne: Optional[str] = None,
    ) -> Union[bool, bytes, str, None]:
        """SET with redis-py's options: ``True``; ``None`` when a condition
        (``nx``, ``xx``...) stopped the write; the old value with ``get``."""
        if not at_most_one(ex is not None, px is not None, exat is not None, pxat is not None, keepttl):
            raise DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive."
            )
        conditions = (
            ("NX", nx, None),
            ("XX", xx, None),
            ("IFEQ", ifeq is not None, ifeq),
            ("IFNE", ifne is not None, ifne),
            ("IFDEQ", ifdeq is not None, ifdeq),
            ("IFDNE", ifdne is not None, ifdne),
        )
        if not at_most_one(*(on for _, on, _ in conditions)):
            raise DataError(
                "``nx``, ``xx``, ``ifeq``, ``ifne``, ``ifdeq``, ``ifdne`` are mutually exclusive."
            )
        pieces: List[EncodableT] = [name, value]
        for word, on, operand in conditions:
            if on:
                pieces.append(word)
                if operand is not None:
                    pieces.append(operand)
                break
        options = {}
        if get:
            pieces.append("GET")
            options["get"] = True
        pieces += expire_flags(ex, px, exat, pxat)
        if keepttl:
            pieces.append("KEEPTTL")
        return self.execute_command("SET", *pieces, **options)

    def __setitem__(self, name: KeyT, value: EncodableT) -> None:
        """``r[name] = value``: a plain SET."""
        self.set(name, value)

    def setbit(self, name: KeyT, offset: int, value: int) -> int:
        """SETBIT: sets the bit at ``offset`` to ``value`` (truthy → 1);
        the bit's previous value."""
        return self.execute_command("SETBIT", name, offset, value and 1 or 0)

    @deprecated("setex", reason="Use 'set' instead.", version="2.6.12")
    def setex(self, name: KeyT, time: ExpiryT, value: EncodableT) -> bool:
        """SETEX: sets ``value`` expiring in ``time`` seconds (int or timedelta)."""
        if isinstance(time, datetime.timedelta):
            time = int(time.total_seconds())
        return self.execute_command("SETEX", name, time, value)

    def setnx(self, name: KeyT, value: EncodableT) -> bool:
        """SETNX: sets ``value`` only if ``name`` does not exist; whether it did."""
        return self.execute_command("SETNX", name, value)

    def setrange(self, name: KeyT, offset: int, value: EncodableT) -> int:
        """SETRANGE: overwrites from byte ``offset`` (zero-padding a shorter
        value); the new length."""
        return self.execute_command("SETRANGE", name, offset, value)

    def stralgo(
        self,
        algo: str,
        value1: KeyT,
        value2: KeyT,
        specific_argument: str = "strings",
        len: bool = False,
        idx: bool = False,
        minmatchlen: Optional[int] = None,
        withmatchlen: bool = False,
        **kwargs: Any,
    ) -> Any:
        """STRALGO LCS (Redis 6.x; Redis 7 replaced it with LCS) over two
        strings or, with ``specific_argument="keys"``, two keys."""
        if algo != "LCS":
            raise DataError("The supported algorithms are: LCS")
        if specific_argument not in ("keys", "strings"):
            raise DataError("specific_argument can be only keys or strings")
        if len and idx:
            raise DataError("len and idx cannot be provided together.")
        pieces: List[EncodableT] = [algo, specific_argument.upper(), value1, value2]
        if len:
            pieces.append(b"LEN")
        if idx:
            pieces.append(b"IDX")
        try:
            int(minmatchlen)  # type: ignore[arg-type]
            pieces += [b"MINMATCHLEN", minmatchlen]  # type: ignore[list-item]
        except TypeError:
            pass  # None (or another non-number): no MINMATCHLEN, as in redis-py
        if withmatchlen:
            pieces.append(b"WITHMATCHLEN")
        return self.execute_command(
            "STRALGO",
            *pieces,
            len=len,
            idx=idx,
            minmatchlen=minmatchlen,
            withmatchlen=withmatchlen,
            **kwargs,
        )

    def strlen(self, name: KeyT) -> int:
        """STRLEN: the length in bytes of the value (0 when missing)."""
        return self.execute_command("STRLEN", name, keys=[name])

    def substr(self, name: KeyT, start: int, end: int = -1) -> Union[bytes, str]:
        """SUBSTR: GETRANGE's old name; ``end`` defaults to the last byte."""
        return self.execute_command("SUBSTR", name, start, end, keys=[name])


def _flatten(mapping: Mapping[Any, EncodableT]) -> List[Any]:
    """``[k1, v1, k2, v2, ...]`` from a mapping."""
    return [x for pair in mapping.items() for x in pair]
