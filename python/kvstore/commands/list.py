"""redis-py's methods for lists.

Each method sends the argv redis-py 8.1 sends. The blocking pops
(``blpop``, ``blmove``, ...) send their command like redis-py; on a
non-empty list they pop at once. ``lmovem``/``blmovem`` (newer than Redis
7.0) exist with redis-py's signature and checks.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Union

from ..exceptions import DataError
from ._args import EncodableT, KeyT, KeysT, list_or_args

Number = Union[int, float]


def _movem_pieces(
    head: List[Any], count: Optional[int], mode: Optional[str], ordering: Optional[str]
) -> List[Any]:
    """LMOVEM/BLMOVEM's argv after ``head``, with redis-py's checks on
    ``count``/``mode``/``ordering``."""
    if count is None:
        if mode is not None or ordering is not None:
            raise DataError("``count`` is required when ``mode`` or ``ordering`` is set")
    elif ordering is None:
        raise DataError("``ordering`` (OBO or BULK) is required when ``count`` is set")
    if count is not None:
        head.extend([mode or "COUNT", count, ordering])
    return head


class ListCommands:
    """Methods for lists."""

    # Provided by the client or pipeline class the mixin is combined with
    # (an annotation only: no attribute shadows theirs).
    execute_command: Callable[..., Any]

    # -- blocking pops -------------------------------------------------

    def blpop(self, keys: KeysT, timeout: Optional[Number] = 0) -> Any:
        """BLPOP: pops the head of the first non-empty list of ``keys``,
        waiting up to ``timeout`` seconds (0: forever); ``(key, value)``
        or ``None``."""
        argv = list_or_args(keys, None)
        argv.append(0 if timeout is None else timeout)
        return self.execute_command("BLPOP", *argv)

    def brpop(self, keys: KeysT, timeout: Optional[Number] = 0) -> Any:
        """BRPOP: BLPOP from the tail."""
        argv = list_or_args(keys, None)
        argv.append(0 if timeout is None else timeout)
        return self.execute_command("BRPOP", *argv)

    def brpoplpush(self, src: KeyT, dst: KeyT, timeout: Optional[Number] = 0) -> Any:
        """BRPOPLPUSH: RPOPLPUSH that waits up to ``timeout`` seconds."""
        return self.execute_command("BRPOPLPUSH", src, dst, 0 if timeout is None else timeout)

    def blmove(
        self,
        first_list: str,
        second_list: str,
        timeout: int,
        src: str = "LEFT",
        dest: str = "RIGHT",
    ) -> Any:
        """BLMOVE: LMOVE that waits up to ``timeout`` seconds."""
        return self.execute_command("BLMOVE", first_list, second_list, src, dest, timeout)

    def blmovem(
        self,
        first_list: str,
        second_list: str,
        timeout: float,
        src: str = "LEFT",
        dest: str = "RIGHT",
        count: Optional[int] = None,
        mode: Optional[str] = None,
        ordering: Optional[str] = None,
    ) -> Any:
        """BLMOVEM: LMOVEM that waits up to ``timeout`` seconds."""
        pieces = _movem_pieces([first_list, second_list, src, dest, timeout], count, mode,
                               ordering)
        return self.execute_command("BLMOVEM", *pieces)

    def blmpop(
        self,
        timeout: float,
        numkeys: int,
        *args: str,
        direction: str,
        count: Optional[int] = 1,
    ) -> Any:
        """BLMPOP: LMPOP that waits up to ``timeout`` seconds."""
        return self.execute_command(
            "BLMPOP", timeout, numkeys, *args, direction, "COUNT", count
        )

    # -- the rest --------------------------------------------------------

    def lmpop(
        self, num_keys: int, *args: str, direction: str, count: Optional[int] = 1
    ) -> Any:
        """LMPOP: pops up to ``count`` elements from the ``direction``
        (LEFT/RIGHT) end of the first non-empty list; ``[key, [values]]``."""
        pieces: List[Any] = [num_keys, *args, direction]
        if count != 1:
            pieces.extend(["COUNT", count])
        return self.execute_command("LMPOP", *pieces)

    def lindex(self, name: KeyT, index: int) -> Any:
        """LINDEX: the element at ``index`` (negative from the end), or
        ``None``."""
        return self.execute_command("LINDEX", name, index, keys=[name])

    def linsert(self, name: KeyT, where: str, refvalue: str, value: str) -> Any:
        """LINSERT: inserts ``value`` BEFORE/AFTER ``refvalue``; the new
        length, -1 if ``refvalue`` is absent, 0 for a missing key."""
        return self.execute_command("LINSERT", name, where, refvalue, value)

    def llen(self, name: KeyT) -> Any:
        """LLEN: the list's length."""
        return self.execute_command("LLEN", name, keys=[name])

    def lmove(
        self, first_list: str, second_list: str, src: str = "LEFT", dest: str = "RIGHT"
    ) -> Any:
        """LMOVE: pops from the ``src`` end of one list, pushes at the
        ``dest`` end of the other; the element, or ``None``."""
        return self.execute_command("LMOVE", first_list, second_list, src, dest)

    def lmovem(
        self,
        first_list: str,
        second_list: str,
        src: str = "LEFT",
        dest: str = "RIGHT",
        count: Optional[int] = None,
        mode: Optional[str] = None,
        ordering: Optional[str] = None,
    ) -> Any:
        """LMOVEM: LMOVE of up to (``mode="EXACTLY"``: exactly) ``count``
        elements, one by one (``OBO``) or as a block (``BULK``)."""
        pieces = _movem_pieces([first_list, second_list, src, dest], count, mode, ordering)
        return self.execute_command("LMOVEM", *pieces)

    def lpop(self, name: KeyT, count: Optional[int] = None) -> Any:
        """LPOP: the first element (a list of up to ``count``), or ``None``."""
        if count is not None:
            return self.execute_command("LPOP", name, count)
        return self.execute_command("LPOP", name)

    def lpos(
        self,
        name: KeyT,
        value: str,
        rank: Optional[int] = None,
        count: Optional[int] = None,
        maxlen: Optional[int] = None,
    ) -> Any:
        """LPOS: the index of ``value`` (the ``rank``-th match; a list of
        up to ``count`` indexes; scanning at most ``maxlen`` elements)."""
        pieces: List[Any] = [name, value]
        if rank is not None:
            pieces.extend(["RANK", rank])
        if count is not None:
            pieces.extend(["COUNT", count])
        if maxlen is not None:
            pieces.extend(["MAXLEN", maxlen])
        return self.execute_command("LPOS", *pieces, keys=[name])

    def lpush(self, name: KeyT, *values: EncodableT) -> Any:
        """LPUSH: prepends ``values`` one by one; the new length."""
        return self.execute_command("LPUSH", name, *values)

    def lpushx(self, name: KeyT, *values: EncodableT) -> Any:
        """LPUSHX: LPUSH only onto an existing list; the length (0 if none)."""
        return self.execute_command("LPUSHX", name, *values)

    def lrange(self, name: KeyT, start: int, end: int) -> Any:
        """LRANGE: the elements from ``start`` to ``end`` inclusive."""
        return self.execute_command("LRANGE", name, start, end, keys=[name])

    def lrem(self, name: KeyT, count: int, value: str) -> Any:
        """LREM: removes ``count`` occurrences of ``value`` (from the tail
        when negative, all when 0); how many went."""
        return self.execute_command("LREM", name, count, value)

    def lset(self, name: KeyT, index: int, value: str) -> Any:
        """LSET: replaces the element at ``index``; ``True``."""
        return self.execute_command("LSET", name, index, value)

    def ltrim(self, name: KeyT, start: int, end: int) -> Any:
        """LTRIM: keeps only ``start``..``end``; ``True``."""
        return self.execute_command("LTRIM", name, start, end)

    def rpop(self, name: KeyT, count: Optional[int] = None) -> Any:
        """RPOP: the last element (a list of up to ``count``), or ``None``."""
        if count is not None:
            return self.execute_command("RPOP", name, count)
        return self.execute_command("RPOP", name)

    def rpoplpush(self, src: KeyT, dst: KeyT) -> Any:
        """RPOPLPUSH: moves the tail of ``src`` to the head of ``dst``; the
        element, or ``None``."""
        return self.execute_command("RPOPLPUSH", src, dst)

    def rpush(self, name: KeyT, *values: EncodableT) -> Any:
        """RPUSH: appends ``values``; the new length."""
        return self.execute_command("RPUSH", name, *values)

    def rpushx(self, name: KeyT, *values: EncodableT) -> Any:
        """RPUSHX: RPUSH only onto an existing list; the length (0 if none)."""
        return self.execute_command("RPUSHX", name, *values)
