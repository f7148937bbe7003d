"""redis-py's methods for sorted sets (and ZSCAN / zscan_iter).

Each method sends the argv redis-py sends and passes the same options
(``withscores``, ``score_cast_func``, ``as_score``, ...) to the response
callbacks in ``kvstore.callbacks``, which give redis-py's shapes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence, Union

from ..exceptions import DataError

from ._args import EncodableT, KeysT, KeyT, list_or_args

ZScoreBoundT = Union[float, str]
TimeoutSecT = Union[int, float, bytes, str, memoryview]
ScoreCastT = Union[type, Callable[[Any], Any]]


def _check_limit(start: Optional[int], num: Optional[int]) -> None:
    """redis-py's rule for the LIMIT pair of the ZRANGEBY* methods."""
    if (start is None) != (num is None):
        raise DataError("``start`` and ``num`` must both be specified")


class SortedSetCommands:
    """Methods for sorted sets."""

    # Provided by the client or pipeline class the mixin is combined with
    # (an annotation only: no attribute shadows theirs).
    execute_command: Callable[..., Any]

    def zadd(
        self,
        name: KeyT,
        mapping: Mapping[Any, EncodableT],
        nx: bool = False,
        xx: bool = False,
        ch: bool = False,
        incr: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> Any:
        """ZADD ``{member: score}``: the number added (changed with ``ch``),
        or the new score with ``incr`` (``None`` if a flag blocked it)."""
        if not mapping:
            raise DataError("ZADD requires at least one element/score pair")
        if nx and xx:
            raise DataError("ZADD allows either 'nx' or 'xx', not both")
        if gt and lt:
            raise DataError("ZADD allows either 'gt' or 'lt', not both")
        if incr and len(mapping) != 1:
            raise DataError(
                "ZADD option 'incr' only works when passing a single element/score pair"
            )
        if nx and (gt or lt):
            # redis-py's text, typo included.
            raise DataError("Only one of 'nx', 'lt', or 'gr' may be defined.")
        pieces: List[Any] = []
        options = {}
        for flag, on in ((b"NX", nx), (b"XX", xx), (b"CH", ch), (b"INCR", incr),
                         (b"GT", gt), (b"LT", lt)):
            if on:
                pieces.append(flag)
        if incr:
            options["as_score"] = True
        for member, score in mapping.items():
            pieces.append(score)
            pieces.append(member)
        return self.execute_command("ZADD", name, *pieces, **options)

    def zcard(self, name: KeyT) -> Any:
        """ZCARD: the number of members (0 for a missing key)."""
        return self.execute_command("ZCARD", name, keys=[name])

    def zcount(self, name: KeyT, min: ZScoreBoundT, max: ZScoreBoundT) -> Any:
        """ZCOUNT: how many members score within ``min``..``max``."""
        return self.execute_command("ZCOUNT", name, min, max, keys=[name])

    def zdiff(self, keys: Sequence[KeyT], withscores: bool = False) -> Any:
        """ZDIFF: members of the first set in none of the others (a flat
        member/score list with ``withscores``, as redis-py gives it)."""
        pieces: List[Any] = [len(keys), *keys]
        if withscores:
            pieces.append("WITHSCORES")
        return self.execute_command("ZDIFF", *pieces, keys=keys, withscores=withscores)

    def zdiffstore(self, dest: KeyT, keys: Sequence[KeyT]) -> Any:
        """ZDIFFSTORE: stores the difference in ``dest``; its size."""
        return self.execute_command("ZDIFFSTORE", dest, len(keys), *keys)

    def zincrby(self, name: KeyT, amount: float, value: EncodableT) -> Any:
        """ZINCRBY: adds ``amount`` to ``value``'s score; the new score."""
        return self.execute_command("ZINCRBY", name, amount, value)

    def zinter(
        self, keys: KeysT, aggregate: Optional[str] = None, withscores: bool = False
    ) -> Any:
        """ZINTER: members in every set of ``keys`` (a dict gives weights)."""
        return self._zaggregate("ZINTER", None, keys, aggregate, withscores=withscores)

    def zinterstore(
        self,
        dest: KeyT,
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
    ) -> Any:
        """ZINTERSTORE: stores the intersection in ``dest``; its size."""
        return self._zaggregate("ZINTERSTORE", dest, keys, aggregate)

    def zintercard(self, numkeys: int, keys: List[Any], limit: int = 0) -> Any:
        """ZINTERCARD: the size of the intersection, counting up to
        ``limit`` (0: no limit)."""
        return self.execute_command("ZINTERCARD", numkeys, *keys, "LIMIT", limit, keys=keys)

    def zlexcount(self, name: KeyT, min: EncodableT, max: EncodableT) -> Any:
        """ZLEXCOUNT: how many members lie in the lexical range."""
        return self.execute_command("ZLEXCOUNT", name, min, max, keys=[name])

    def zpopmax(self, name: KeyT, count: Optional[int] = None) -> Any:
        """ZPOPMAX: removes the highest-scored members; ``(member, score)``
        tuples."""
        args = [count] if count is not None else []
        return self.execute_command("ZPOPMAX", name, *args, withscores=True)

    def zpopmin(self, name: KeyT, count: Optional[int] = None) -> Any:
        """ZPOPMIN: removes the lowest-scored members; ``(member, score)``
        tuples."""
        args = [count] if count is not None else []
        return self.execute_command("ZPOPMIN", name, *args, withscores=True)

    def zrandmember(
        self, key: KeyT, count: Optional[int] = None, withscores: bool = False
    ) -> Any:
        """ZRANDMEMBER: one random member, or ``count`` of them (repeats
        allowed when negative), with scores as a flat list."""
        params: List[Any] = []
        if count is not None:
            params.append(count)
        if withscores:
            params.append("WITHSCORES")
        return self.execute_command("ZRANDMEMBER", key, *params, withscores=withscores)

    def bzpopmax(self, keys: KeysT, timeout: Optional[TimeoutSecT] = 0) -> Any:
        """BZPOPMAX: ZPOPMAX on the first non-empty set of ``keys``, waiting
        up to ``timeout`` seconds; ``(key, member, score)`` or ``None``."""
        argv = list_or_args(keys, None)
        argv.append(0 if timeout is None else timeout)
        return self.execute_command("BZPOPMAX", *argv)

    def bzpopmin(self, keys: KeysT, timeout: Optional[TimeoutSecT] = 0) -> Any:
        """BZPOPMIN: ZPOPMIN on the first non-empty set of ``keys``, waiting
        up to ``timeout`` seconds; ``(key, member, score)`` or ``None``."""
        argv = list_or_args(keys, None)
        argv.append(0 if timeout is None else timeout)
        return self.execute_command("BZPOPMIN", *argv)

    def zmpop(
        self,
        num_keys: int,
        keys: List[Any],
        min: Optional[bool] = False,
        max: Optional[bool] = False,
        count: Optional[int] = 1,
    ) -> Any:
        """ZMPOP: pops up to ``count`` members (lowest with ``min``, highest
        with ``max``) from the first non-empty set; ``[key, [[m, s], ...]]``."""
        args: List[Any] = [num_keys] + keys
        if bool(min) == bool(max):
            raise DataError
        args.append("MIN" if min else "MAX")
        if count != 1:
            args.extend(["COUNT", count])
        return self.execute_command("ZMPOP", *args)

    def bzmpop(
        self,
        timeout: float,
        numkeys: int,
        keys: List[Any],
        min: Optional[bool] = False,
        max: Optional[bool] = False,
        count: Optional[int] = 1,
    ) -> Any:
        """BZMPOP: ZMPOP that waits up to ``timeout`` seconds for a member."""
        args: List[Any] = [timeout, numkeys, *keys]
        if bool(min) == bool(max):
            raise DataError("Either min or max, but not both must be set")
        args.append("MIN" if min else "MAX")
        args.extend(["COUNT", count])
        return self.execute_command("BZMPOP", *args)

    def _zrange(
        self,
        command: str,
        dest: Optional[KeyT],
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        desc: bool = False,
        byscore: bool = False,
        bylex: bool = False,
        withscores: bool = False,
        score_cast_func: Optional[ScoreCastT] = float,
        offset: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """ZRANGE / ZRANGESTORE with redis-py's checks and argv order."""
        if byscore and bylex:
            raise DataError("``byscore`` and ``bylex`` can not be specified together.")
        if (offset is None) != (num is None):
            raise DataError("``offset`` and ``num`` must both be specified.")
        if bylex and withscores:
            raise DataError("``withscores`` not supported in combination with ``bylex``.")
        pieces: List[Any] = [command]
        if dest:
            pieces.append(dest)
        pieces.extend([name, start, end])
        if byscore:
            pieces.append("BYSCORE")
        if bylex:
            pieces.append("BYLEX")
        if desc:
            pieces.append("REV")
        if offset is not None:
            pieces.extend(["LIMIT", offset, num])
        if withscores:
            pieces.append("WITHSCORES")
        return self.execute_command(
            *pieces, withscores=withscores, score_cast_func=score_cast_func, keys=[name]
        )

    def zrange(
        self,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        desc: bool = False,
        withscores: bool = False,
        score_cast_func: ScoreCastT = float,
        byscore: bool = False,
        bylex: bool = False,
        offset: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """ZRANGE by rank, ``byscore`` or ``bylex``; ``desc`` reverses,
        ``offset``/``num`` slice, ``withscores`` gives ``(member, score)``."""
        # redis-py sends the plain reversed-by-rank form as ZREVRANGE.
        if desc and not byscore and not bylex and offset is None and num is None:
            return self.zrevrange(name, start, end, withscores, score_cast_func)
        return self._zrange(
            "ZRANGE", None, name, start, end, desc, byscore, bylex, withscores,
            score_cast_func, offset, num,
        )

    def zrevrange(
        self,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        withscores: bool = False,
        score_cast_func: ScoreCastT = float,
    ) -> Any:
        """ZREVRANGE: members by descending rank."""
        pieces: List[Any] = ["ZREVRANGE", name, start, end]
        if withscores:
            pieces.append(b"WITHSCORES")
        return self.execute_command(
            *pieces, withscores=withscores, score_cast_func=score_cast_func, keys=name
        )

    def zrangestore(
        self,
        dest: KeyT,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        byscore: bool = False,
        bylex: bool = False,
        desc: bool = False,
        offset: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """ZRANGESTORE: stores a ZRANGE result in ``dest``; its size."""
        return self._zrange(
            "ZRANGESTORE", dest, name, start, end, desc, byscore, bylex, False, None,
            offset, num,
        )

    def zrangebylex(
        self,
        name: KeyT,
        min: EncodableT,
        max: EncodableT,
        start: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """ZRANGEBYLEX: members between ``min`` and ``max`` (``[``/``(``
        bounds, ``-``/``+``), optionally sliced."""
        _check_limit(start, num)
        pieces: List[Any] = ["ZRANGEBYLEX", name, min, max]
        if start is not None:
            pieces.extend([b"LIMIT", start, num])
        return self.execute_command(*pieces, keys=[name])

    def zrevrangebylex(
        self,
        name: KeyT,
        max: EncodableT,
        min: EncodableT,
        start: Optional[int] = None,
        num: Optional[int] = None,
    ) -> Any:
        """ZREVRANGEBYLEX: ZRANGEBYLEX from ``max`` down to ``min``."""
        _check_limit(start, num)
        pieces: List[Any] = ["ZREVRANGEBYLEX", name, max, min]
        if start is not None:
            pieces.extend(["LIMIT", start, num])
        return self.execute_command(*pieces, keys=[name])

    def zrangebyscore(
        self,
        name: KeyT,
        min: ZScoreBoundT,
        max: ZScoreBoundT,
        start: Optional[int] = None,
        num: Optional[int] = None,
        withscores: bool = False,
        score_cast_func: ScoreCastT = float,
    ) -> Any:
        """ZRANGEBYSCORE: members scoring ``min``..``max``, optionally
        sliced, optionally with scores."""
        return self._zrange_by_score("ZRANGEBYSCORE", name, min, max, start, num,
                                     withscores, score_cast_func)

    def zrevrangebyscore(
        self,
        name: KeyT,
        max: ZScoreBoundT,
        min: ZScoreBoundT,
        start: Optional[int] = None,
        num: Optional[int] = None,
        withscores: bool = False,
        score_cast_func: ScoreCastT = float,
    ) -> Any:
        """ZREVRANGEBYSCORE: ZRANGEBYSCORE from ``max`` down to ``min``."""
        return self._zrange_by_score("ZREVRANGEBYSCORE", name, max, min, start, num,
                                     withscores, score_cast_func)

    def _zrange_by_score(
        self,
        command: str,
        name: KeyT,
        first: ZScoreBoundT,
        last: ZScoreBoundT,
        start: Optional[int],
        num: Optional[int],
        withscores: bool,
        score_cast_func: ScoreCastT,
    ) -> Any:
        _check_limit(start, num)
        pieces: List[Any] = [command, name, first, last]
        if start is not None:
            pieces.extend(["LIMIT", start, num])
        if withscores:
            pieces.append("WITHSCORES")
        return self.execute_command(
            *pieces, withscores=withscores, score_cast_func=score_cast_func, keys=[name]
        )

    def zrank(
        self,
        name: KeyT,
        value: EncodableT,
        withscore: bool = False,
        score_cast_func: ScoreCastT = float,
    ) -> Any:
        """ZRANK: ``value``'s 0-based ascending rank (``[rank, score]`` with
        ``withscore``), ``None`` if absent."""
        return self._rank("ZRANK", name, value, withscore, score_cast_func)

    def zrevrank(
        self,
        name: KeyT,
        value: EncodableT,
        withscore: bool = False,
        score_cast_func: ScoreCastT = float,
    ) -> Any:
        """ZREVRANK: ``value``'s 0-based descending rank (``[rank, score]``
        with ``withscore``), ``None`` if absent."""
        return self._rank("ZREVRANK", name, value, withscore, score_cast_func)

    def _rank(
        self,
        command: str,
        name: KeyT,
        value: EncodableT,
        withscore: bool,
        score_cast_func: ScoreCastT,
    ) -> Any:
        pieces: List[Any] = [command, name, value]
        if withscore:
            pieces.append("WITHSCORE")
        return self.execute_command(
            *pieces, withscore=withscore, score_cast_func=score_cast_func
        )

    def zrem(self, name: KeyT, *values: EncodableT) -> Any:
        """ZREM: removes ``values``; how many were members."""
        return self.execute_command("ZREM", name, *values)

    def zremrangebylex(self, name: KeyT, min: EncodableT, max: EncodableT) -> Any:
        """ZREMRANGEBYLEX: removes a lexical range; how many went."""
        return self.execute_command("ZREMRANGEBYLEX", name, min, max)

    def zremrangebyrank(self, name: KeyT, min: int, max: int) -> Any:
        """ZREMRANGEBYRANK: removes ranks ``min``..``max``; how many went."""
        return self.execute_command("ZREMRANGEBYRANK", name, min, max)

    def zremrangebyscore(self, name: KeyT, min: ZScoreBoundT, max: ZScoreBoundT) -> Any:
        """ZREMRANGEBYSCORE: removes a score range; how many went."""
        return self.execute_command("ZREMRANGEBYSCORE", name, min, max)

    def zscore(self, name: KeyT, value: EncodableT) -> Any:
        """ZSCORE: ``value``'s score as float, ``None`` if absent."""
        return self.execute_command("ZSCORE", name, value, keys=[name])

    def zunion(
        self,
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
        withscores: bool = False,
        score_cast_func: ScoreCastT = float,
    ) -> Any:
        """ZUNION: members of any set of ``keys`` (a dict gives weights)."""
        return self._zaggregate(
            "ZUNION", None, keys, aggregate, withscores=withscores,
            score_cast_func=score_cast_func,
        )

    def zunionstore(
        self,
        dest: KeyT,
        keys: Union[Sequence[KeyT], Mapping[Any, float]],
        aggregate: Optional[str] = None,
    ) -> Any:
        """ZUNIONSTORE: stores the union in ``dest``; its size."""
        return self._zaggregate("ZUNIONSTORE", dest, keys, aggregate)

    def zmscore(self, key: KeyT, members: List[Any]) -> Any:
        """ZMSCORE: the scores of ``members`` as floats, ``None`` for
        absent ones."""
        if not members:
            raise DataError("ZMSCORE members must be a non-empty list")
        return self.execute_command("ZMSCORE", key, *members, keys=[key])

    def _zaggregate(
        self,
        command: str,
        dest: Optional[KeyT],
        keys: Any,
        aggregate: Optional[str] = None,
        **options: Any,
    ) -> Any:
        """ZUNION/ZINTER(STORE): ``numkeys keys [WEIGHTS ...] [AGGREGATE ...]
        [WITHSCORES]`` as redis-py builds it."""
        pieces: List[Any] = [command]
        if dest is not None:
            pieces.append(dest)
        pieces.append(len(keys))
        weights = None
        if isinstance(keys, dict):
            keys, weights = keys.keys(), keys.values()
        pieces.extend(keys)
        if weights:
            pieces.append(b"WEIGHTS")
            pieces.extend(weights)
        if aggregate:
            if aggregate.upper() not in ["SUM", "MIN", "MAX", "COUNT"]:
                raise DataError("aggregate can be sum, min, max or count.")
            pieces.extend([b"AGGREGATE", aggregate])
        if options.get("withscores", False):
            pieces.append(b"WITHSCORES")
        options["keys"] = keys
        return self.execute_command(*pieces, **options)

    def zscan(
        self,
        name: KeyT,
        cursor: int = 0,
        match: Optional[KeyT] = None,
        count: Optional[int] = None,
        score_cast_func: ScoreCastT = float,
    ) -> Any:
        """ZSCAN: one step of a cursor walk; ``(next_cursor, [(member,
        score), ...])``."""
        pieces: List[Any] = [name, cursor]
        if match is not None:
            pieces.extend([b"MATCH", match])
        if count is not None:
            pieces.extend([b"COUNT", count])
        return self.execute_command("ZSCAN", *pieces, score_cast_func=score_cast_func)

    def zscan_iter(
        self,
        name: KeyT,
        match: Optional[KeyT] = None,
        count: Optional[int] = None,
        score_cast_func: ScoreCastT = float,
    ) -> Iterator[Any]:
        """Yields every ``(member, score)`` of ``name`` through ZSCAN."""
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.zscan(
                name, cursor=cursor, match=match, count=count,
                score_cast_func=score_cast_func,
            )
            yield from data
