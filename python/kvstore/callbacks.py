"""Response callbacks: raw replies to the Python values redis-py returns.

Keyed by upper-case command name (as the method passes it to
``execute_command``, e.g. ``"CONFIG GET"``). The raw reply a callback gets is
what redis-py's parser would hand it: on RESP3 (redis-py 8's default wire)
maps are dicts, doubles floats; on RESP2 maps are flat lists and doubles
bytes. The tables give redis-py 8's default ("legacy") Python shapes on
either wire.
"""

import datetime


def str_if_bytes(value):
    """``value`` as str (bytes decoded as UTF-8 with replacement)."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def bool_ok(response, **options):
    """``True`` for an ``OK`` status."""
    return str_if_bytes(response) == "OK"


def to_bool(response, **options):
    """An integer reply as ``bool``."""
    return bool(response)


def float_or_none(response, **options):
    """A score-like reply as ``float`` (``None`` stays ``None``)."""
    return None if response is None else float(response)


def pairs_to_dict(response, **options):
    """A flat ``[k1, v1, k2, v2, ...]`` list (or a dict) as a dict."""
    if response is None:
        return {}
    if isinstance(response, dict):
        return response
    it = iter(response)
    return dict(zip(it, it))


def as_set(response, **options):
    """A multi-bulk of members as a Python set."""
    return set(response) if response else set()


def _score_cast(options):
    """The caller's ``score_cast_func``; a RESP2-style bytes score is tried
    as is first, then through ``float`` (scientific notation)."""
    cast = options.get("score_cast_func", float)
    if cast is float:
        return float

    def safe(x):
        try:
            return cast(x)
        except (ValueError, TypeError):
            return cast(float(x))

    return safe


def _score_bytes(score):
    """A RESP3 score back in RESP2's bytes form, so a custom
    ``score_cast_func`` sees what it would see on RESP2."""
    if isinstance(score, bytes):
        return score
    if isinstance(score, str):
        return score.encode()
    return format(float(score), ".17g").encode()


def _pairs(items, cast):
    """``[(member, cast(score)), ...]`` from a flat list (RESP2) or a list of
    ``[member, score]`` pairs (RESP3)."""
    if isinstance(items[0], list):
        return [(m, cast(_score_bytes(s))) for m, s in items]
    it = iter(items)
    return [(m, cast(_score_bytes(s))) for m, s in zip(it, it)]


def zset_score_pairs(response, **options):
    """ZRANGE & co: members, or ``(member, score)`` tuples with ``withscores``."""
    if not response or not options.get("withscores"):
        return response
    return _pairs(response, _score_cast(options))


def zpop_score_pairs(response, **options):
    """ZPOPMIN/ZPOPMAX: ``(member, score)`` tuples."""
    if not response:
        return response
    return _pairs(response, _score_cast(options))


def zset_score_for_rank(response, **options):
    """ZRANK/ZREVRANK: the rank, or ``[rank, score]`` with ``withscore``."""
    if not response or not options.get("withscore"):
        return response
    return [response[0], _score_cast(options)(_score_bytes(response[1]))]


def zset_flat_scores(response, **options):
    """ZRANDMEMBER/ZDIFF WITHSCORES: RESP2's flat list (bytes scores)."""
    if not response or not options.get("withscores") or not isinstance(response[0], list):
        return response
    return [x for m, s in response for x in (m, _score_bytes(s))]


def hrandfield_flat(response, **options):
    """HRANDFIELD WITHVALUES: RESP2's flat field/value list."""
    if not response or not options.get("withvalues") or not isinstance(response[0], list):
        return response
    return [x for pair in response for x in pair]


def bzpop(response, **options):
    """BZPOPMIN/BZPOPMAX: ``(key, member, score)`` or ``None``."""
    return response and (response[0], response[1], float(response[2])) or None


def zmpop(response, **options):
    """ZMPOP/BZMPOP: ``[key, [[member, score], ...]]`` with float scores
    as RESP2 gives them (bytes)."""
    if not response:
        return response
    key, items = response
    return [key, [[m, _score_bytes(s)] for m, s in items]]


def parse_zadd(response, **options):
    """ZADD: the count, or the new score with ``incr``."""
    if response is None:
        return None
    if options.get("as_score"):
        return float(response)
    return response if isinstance(response, float) else int(response)


def parse_zmscore(response, **options):
    """ZMSCORE: floats with ``None`` holes."""
    return [None if s is None else float(s) for s in response]


def parse_set_result(response, **options):
    """SET: ``True``, ``None`` when NX/XX blocked it, the old value with GET."""
    if options.get("get"):
        return response
    return response and str_if_bytes(response) == "OK"


def parse_scan(response, **options):
    """SCAN/SSCAN: ``(cursor, items)``."""
    cursor, items = response
    return int(cursor), items


def parse_hscan(response, **options):
    """HSCAN: ``(cursor, {field: value})`` (a list with ``no_values``)."""
    cursor, items = response
    if options.get("no_values"):
        return int(cursor), items or []
    return int(cursor), items and pairs_to_dict(items) or {}


def parse_zscan(response, **options):
    """ZSCAN: ``(cursor, [(member, score), ...])``."""
    cursor, items = response
    cast = _score_cast(options)
    it = iter(items)
    return int(cursor), [(m, cast(s)) for m, s in zip(it, it)]


def sort_return_tuples(response, **options):
    """SORT with ``groups``: n-tuples."""
    if not response or not options.get("groups"):
        return response
    n = options["groups"]
    return list(zip(*[response[i::n] for i in range(n)]))


def timestamp_to_datetime(response, **options):
    """LASTSAVE: a local datetime."""
    if not response:
        return None
    try:
        return datetime.datetime.fromtimestamp(int(response))
    except ValueError:
        return None


def _info_value(value):
    """One INFO value: int, float, list or dict where it parses as one."""
    if "," not in value and "=" not in value:
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    if "=" not in value:
        return [_info_value(v) for v in value.split(",") if v]
    out = {}
    for item in value.split(","):
        if not item:
            continue
        if "=" in item:
            k, v = item.rsplit("=", 1)
            out[k] = _info_value(v)
        else:
            out[item] = True
    return out


def parse_info(response, **options):
    """INFO: a dict of typed values."""
    info = {}
    for line in str_if_bytes(response).splitlines():
        if not line or line.startswith("#"):
            continue
        if ":" not in line:
            info.setdefault("__raw__", []).append(line)
            continue
        key, value = line.split(":", 1)
        if key == "cmdstat_host":
            key, value = line.rsplit(":", 1)
        if key == "module":
            info.setdefault("modules", []).append(_info_value(value))
        else:
            info[key] = _info_value(value)
    return info


def parse_config_get(response, **options):
    """CONFIG GET: ``{name: value}`` as str."""
    if not response:
        return {}
    if isinstance(response, dict):
        items = response.items()
    else:
        it = iter(response)
        items = zip(it, it)
    return {
        (None if k is None else str_if_bytes(k)): (None if v is None else str_if_bytes(v))
        for k, v in items
    }


def parse_client_list(response, **options):
    """CLIENT LIST: a list of dicts of str."""
    clients = []
    for line in str_if_bytes(response).splitlines():
        client, last = {}, None
        for token in line.split(" "):
            if "=" in token:
                last, value = token.split("=", 1)
                client[last] = value
            elif last is not None:
                client[last] += " " + token
        if client:
            clients.append(client)
    return clients


def parse_client_info(response, **options):
    """CLIENT INFO: a dict, with redis-py's integer fields as ints."""
    info = parse_client_list(response)[0]
    for field in (
        "id", "age", "idle", "db", "sub", "psub", "multi", "qbuf", "qbuf-free",
        "obl", "argv-mem", "oll", "omem", "tot-mem",
    ):
        if field in info:
            info[field] = int(info[field])
    return info


def parse_debug_object(response, **options):
    """DEBUG OBJECT: a dict with integer fields as ints."""
    text = "type:" + str_if_bytes(response)
    out = dict(kv.split(":") for kv in text.split())
    for field in ("refcount", "serializedlength", "lru", "lru_seconds_idle"):
        if field in out:
            out[field] = int(out[field])
    return out


def parse_command(response, **options):
    """COMMAND: ``{name: {"name", "arity", "flags", ...}}``."""
    commands = {}
    for command in response:
        name = str_if_bytes(command[0])
        entry = {
            "name": name,
            "arity": int(command[1]),
            "flags": [str_if_bytes(flag) for flag in command[2]],
            "first_key_pos": command[3],
            "last_key_pos": command[4],
            "step_count": command[5],
        }
        if len(command) > 6:
            entry["acl_categories"] = [str_if_bytes(c) for c in command[6]]
        if len(command) > 7:
            entry["tips"] = command[7]
            entry["key_specifications"] = command[8]
            entry["subcommands"] = command[9]
        commands[name] = entry
    return commands


def parse_slowlog_get(response, **options):
    """SLOWLOG GET: one dict per entry (``id``, ``start_time``,
    ``duration``, ``command`` joined by spaces, client fields when given)."""
    space = " " if options.get("decode_responses", False) else b" "

    def entry(item):
        out = {"id": item[0], "start_time": int(item[1]), "duration": int(item[2])}
        # Redis Enterprise puts a complexity figure before the argv.
        if isinstance(item[3], list):
            out["command"] = space.join(item[3])
            rest = item[4:]
        else:
            out["complexity"] = item[3]
            out["command"] = space.join(item[4])
            rest = item[5:]
        if len(rest) >= 2:
            out["client_address"], out["client_name"] = rest[0], rest[1]
        return out

    return [entry(item) for item in response]


def parse_memory_stats(response, **options):
    """MEMORY STATS (RESP2 flat pairs): a dict with str keys and str
    values, ``db.N`` entries as dicts too."""
    stats = {str_if_bytes(k): str_if_bytes(v) for k, v in pairs_to_dict(response).items()}
    for key, value in stats.items():
        if key.startswith("db.") and isinstance(value, list):
            stats[key] = {str_if_bytes(k): str_if_bytes(v) for k, v in pairs_to_dict(value).items()}
    return stats


def parse_memory_stats_resp3(response, **options):
    """MEMORY STATS (RESP3 map): str keys, ``db.N`` maps with str keys."""
    stats = {str_if_bytes(k): v for k, v in response.items()}
    for key, value in stats.items():
        if key.startswith("db.") and isinstance(value, dict):
            stats[key] = {str_if_bytes(k): v for k, v in value.items()}
    return stats


def trackinginfo_flat(response, **options):
    """CLIENT TRACKINGINFO: RESP2's flat list with str labels."""
    if not isinstance(response, dict):
        return [str_if_bytes(r) for r in response]
    return [x for k, v in response.items() for x in (str_if_bytes(k), v)]


def lcs_idx_flat(response, **options):
    """LCS IDX on RESP3 (a map): RESP2's flat ``[b"matches", [...], b"len", n]``
    list; other LCS replies pass through."""
    if not isinstance(response, dict):
        return response
    return [x for pair in response.items() for x in pair]


def strs(response, **options):
    """A list of bulk strings as str."""
    return [str_if_bytes(r) for r in response]


def parse_pubsub_numsub(response, **options):
    """PUBSUB NUMSUB's flat ``[channel, n, ...]`` as ``(channel, n)`` tuples."""
    return list(zip(response[0::2], response[1::2]))


def _table(names, fn):
    return {n: fn for n in names.split()}


COMMON = {
    **_table(
        "AUTH COPY EXPIRE EXPIREAT HEXISTS HMSET MOVE MSETNX PERSIST PSETEX "
        "PEXPIRE PEXPIREAT RENAMENX SETEX SETNX SMOVE",
        to_bool,
    ),
    **_table("HINCRBYFLOAT INCRBYFLOAT", lambda r, **o: float(r)),
    **_table(
        "FLUSHALL FLUSHDB LSET LTRIM MSET PFMERGE READONLY READWRITE RENAME SAVE "
        "SELECT SHUTDOWN SLAVEOF SWAPDB WATCH UNWATCH",
        bool_ok,
    ),
    "PUBSUB NUMSUB": parse_pubsub_numsub,
    "PUBSUB SHARDNUMSUB": parse_pubsub_numsub,
    "CLIENT INFO": parse_client_info,
    "CLIENT KILL": lambda r, **o: r if isinstance(r, int) else bool_ok(r),
    "CLIENT LIST": parse_client_list,
    "CLIENT PAUSE": bool_ok,
    "CLIENT SETINFO": bool_ok,
    "CLIENT SETNAME": bool_ok,
    "CLIENT UNBLOCK": to_bool,
    "CONFIG RESETSTAT": bool_ok,
    "CONFIG SET": bool_ok,
    "HSCAN": parse_hscan,
    "INFO": parse_info,
    "LASTSAVE": timestamp_to_datetime,
    "PING": lambda r, **o: str_if_bytes(r) == "PONG",
    "QUIT": bool_ok,
    "SET": parse_set_result,
    "SCAN": parse_scan,
    "SCRIPT EXISTS": lambda r, **o: list(map(bool, r)),
    "SCRIPT FLUSH": bool_ok,
    "SCRIPT KILL": bool_ok,
    "SCRIPT LOAD": lambda r, **o: str_if_bytes(r),
    "SLOWLOG RESET": bool_ok,
    "SORT": sort_return_tuples,
    "SSCAN": parse_scan,
    "TIME": lambda r, **o: (int(r[0]), int(r[1])),
    "ZSCAN": parse_zscan,
    "MEMORY PURGE": bool_ok,
    # server/connection family
    "COMMAND": parse_command,
    "SLOWLOG GET": parse_slowlog_get,
}

#: redis-py 8's default: RESP3 wire, legacy (RESP2-era) Python shapes.
RESP3 = {
    **COMMON,
    **_table("SDIFF SINTER SMEMBERS SUNION", as_set),
    **_table("ZINTER ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZUNION", zset_score_pairs),
    **_table("ZDIFF ZRANDMEMBER", zset_flat_scores),
    **_table("ZPOPMAX ZPOPMIN", zpop_score_pairs),
    **_table("BZPOPMAX BZPOPMIN", bzpop),
    **_table("ZREVRANK ZRANK", zset_score_for_rank),
    **_table("BGREWRITEAOF BGSAVE", lambda r, **o: True),
    **_table("BLPOP BRPOP", lambda r, **o: r and tuple(r) or None),
    **_table("ZMPOP BZMPOP", zmpop),
    "HRANDFIELD": hrandfield_flat,
    "LCS": lcs_idx_flat,
    "CLIENT GETNAME": lambda r, **o: str_if_bytes(r),
    "COMMAND GETKEYS": strs,
    "CONFIG GET": parse_config_get,
    "DEBUG OBJECT": parse_debug_object,
    "RESET": lambda r, **o: str_if_bytes(r),
    # server/connection family
    "CLIENT TRACKINGINFO": trackinginfo_flat,
    "MEMORY STATS": parse_memory_stats_resp3,
}

#: ``protocol=2``: RESP2 wire, the same legacy shapes.
RESP2 = {
    **COMMON,
    **_table("SDIFF SINTER SMEMBERS SUNION", as_set),
    **_table("ZINTER ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZUNION", zset_score_pairs),
    **_table("ZPOPMAX ZPOPMIN", zpop_score_pairs),
    **_table("ZREVRANK ZRANK", zset_score_for_rank),
    **_table("ZINCRBY ZSCORE", float_or_none),
    **_table("BGREWRITEAOF BGSAVE", lambda r, **o: True),
    **_table("BLPOP BRPOP", lambda r, **o: r and tuple(r) or None),
    **_table("BZPOPMAX BZPOPMIN", bzpop),
    "CLIENT GETNAME": lambda r, **o: str_if_bytes(r),
    "COMMAND GETKEYS": strs,
    "CONFIG GET": parse_config_get,
    "DEBUG OBJECT": parse_debug_object,
    "HGETALL": lambda r, **o: r and pairs_to_dict(r) or {},
    "RESET": lambda r, **o: str_if_bytes(r),
    "ZADD": parse_zadd,
    "ZMSCORE": parse_zmscore,
    # server/connection family
    "CLIENT TRACKINGINFO": strs,
    "MEMORY STATS": parse_memory_stats,
}


def default_callbacks(protocol):
    """A fresh callback dict for a client speaking ``protocol`` (2 or 3)."""
    return dict(RESP2 if protocol == 2 else RESP3)
