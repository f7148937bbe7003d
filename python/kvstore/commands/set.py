"""redis-py's methods for sets (and SSCAN / sscan_iter).

Each method sends the argv redis-py 8.1 sends; SMEMBERS, SDIFF, SINTER and
SUNION become Python sets through ``kvstore.callbacks``. ``sdiffcard`` and
``sunioncard`` (newer than Redis 7.0) exist with redis-py's signatures.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

from ._args import EncodableT, KeyT, list_or_args



class SetCommands:
    """Methods for sets."""

    # Provided by the client or pipeline class the mixin is combined with
    # (an annotation only: no attribute shadows theirs).
    execute_command: Callable[..., Any]

    def sadd(self, name: KeyT, *values: EncodableT) -> Any:
        """SADD: adds members; how many were new."""
        return self.execute_command("SADD", name, *values)

    def scard(self, name: KeyT) -> Any:
        """SCARD: the number of members."""
        return self.execute_command("SCARD", name, keys=[name])

    def sdiff(self, keys: Union[KeyT, Iterable[KeyT]], *args: KeyT) -> Any:
        """SDIFF: members of the first set in none of the others (a set)."""
        names = list_or_args(keys, args)
        return self.execute_command("SDIFF", *names, keys=names)

    def sdiffstore(self, dest: KeyT, keys: Union[KeyT, Iterable[KeyT]], *args: KeyT) -> Any:
        """SDIFFSTORE: stores SDIFF in ``dest``; its size."""
        names = list_or_args(keys, args)
        return self.execute_command("SDIFFSTORE", dest, *names)

    def sdiffcard(self, numkeys: int, keys: List[KeyT], limit: int = 0) -> Any:
        """SDIFFCARD: the size of SDIFF, counting up to ``limit`` (0: no
        limit)."""
        return self.execute_command("SDIFFCARD", numkeys, *keys, "LIMIT", limit, keys=keys)

    def sinter(self, keys: Union[KeyT, Iterable[KeyT]], *args: KeyT) -> Any:
        """SINTER: members in every set (a set)."""
        names = list_or_args(keys, args)
        return self.execute_command("SINTER", *names, keys=names)

    def sintercard(self, numkeys: int, keys: List[KeyT], limit: int = 0) -> Any:
        """SINTERCARD: the size of SINTER, counting up to ``limit`` (0: no
        limit)."""
        return self.execute_command("SINTERCARD", numkeys, *keys, "LIMIT", limit, keys=keys)

    def sinterstore(self, dest: KeyT, keys: Union[KeyT, Iterable[KeyT]], *args: KeyT) -> Any:
        """SINTERSTORE: stores SINTER in ``dest``; its size."""
        names = list_or_args(keys, args)
        return self.execute_command("SINTERSTORE", dest, *names)

    def sismember(self, name: KeyT, value: EncodableT) -> Any:
        """SISMEMBER: 1 if ``value`` is a member, else 0."""
        return self.execute_command("SISMEMBER", name, value, keys=[name])

    def smembers(self, name: KeyT) -> Any:
        """SMEMBERS: the members (a set)."""
        return self.execute_command("SMEMBERS", name, keys=[name])

    def smismember(
        self, name: KeyT, values: Union[EncodableT, Iterable[EncodableT]], *args: EncodableT
    ) -> Any:
        """SMISMEMBER: 1 or 0 for each value (one or a list, plus ``args``)."""
        members = list_or_args(values, args)
        return self.execute_command("SMISMEMBER", name, *members, keys=[name])

    def smove(self, src: KeyT, dst: KeyT, value: EncodableT) -> Any:
        """SMOVE: moves ``value`` from ``src`` to ``dst``; whether it was
        in ``src`` (``bool``)."""
        return self.execute_command("SMOVE", src, dst, value)

    def spop(self, name: KeyT, count: Optional[int] = None) -> Any:
        """SPOP: removes and returns a random member (a list of up to
        ``count``), or ``None``."""
        args = [] if count is None else [count]
        return self.execute_command("SPOP", name, *args)

    def srandmember(self, name: KeyT, number: Optional[int] = None) -> Any:
        """SRANDMEMBER: a random member, or a list of ``number`` of them
        (repeats allowed when negative)."""
        args = [] if number is None else [number]
        return self.execute_command("SRANDMEMBER", name, *args)

    def srem(self, name: KeyT, *values: EncodableT) -> Any:
        """SREM: removes members; how many were there."""
        return self.execute_command("SREM", name, *values)

    def sscan(
        self,
        name: KeyT,
        cursor: int = 0,
        match: Optional[KeyT] = None,
        count: Optional[int] = None,
    ) -> Any:
        """SSCAN: one step of a cursor walk; ``(next_cursor, [members])``."""
        pieces: List[Any] = [name, cursor]
        if match is not None:
            pieces.extend([b"MATCH", match])
        if count is not None:
            pieces.extend([b"COUNT", count])
        return self.execute_command("SSCAN", *pieces)

    def sscan_iter(
        self, name: KeyT, match: Optional[KeyT] = None, count: Optional[int] = None
    ) -> Iterator[Any]:
        """Yields every member of ``name`` through SSCAN."""
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.sscan(name, cursor=cursor, match=match, count=count)
            yield from data

    def sunion(self, keys: Union[KeyT, Iterable[KeyT]], *args: KeyT) -> Any:
        """SUNION: members of any set (a set)."""
        names = list_or_args(keys, args)
        return self.execute_command("SUNION", *names, keys=names)

    def sunionstore(self, dest: KeyT, keys: Union[KeyT, Iterable[KeyT]], *args: KeyT) -> Any:
        """SUNIONSTORE: stores SUNION in ``dest``; its size."""
        names = list_or_args(keys, args)
        return self.execute_command("SUNIONSTORE", dest, *names)

    def sunioncard(
        self, numkeys: int, keys: List[KeyT], limit: int = 0, approx: bool = False
    ) -> Any:
        """SUNIONCARD: the size of SUNION, counting up to ``limit`` (0: no
        limit), estimated with ``approx``."""
        pieces: List[Any] = [numkeys, *keys]
        if approx:
            pieces.append("APPROX")
        pieces.extend(["LIMIT", limit])
        return self.execute_command("SUNIONCARD", *pieces, keys=keys)
