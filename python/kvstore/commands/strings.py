"""redis-py's methods for strings and bitmaps."""

import datetime

from ..exceptions import DataError


class StringCommands:
    """Methods for strings and bitmaps."""

    def get(self, name):
        """GET: the value at ``name``, or ``None``."""
        return self.execute_command("GET", name, keys=[name])

    def set(
        self,
        name,
        value,
        ex=None,
        px=None,
        nx=False,
        xx=False,
        keepttl=False,
        get=False,
        exat=None,
        pxat=None,
        ifeq=None,
        ifne=None,
        ifdeq=None,
        ifdne=None,
    ):
        """SET with redis-py's options: ``True``; ``None`` when ``nx``/``xx``
        stopped the write; the old value with ``get=True``."""
        opts = [ex, px, exat, pxat]
        if sum(o is not None for o in opts) > 1:
            raise DataError("``ex``, ``px``, ``exat``, ``pxat`` are mutually exclusive.")
        if nx and xx:
            raise DataError("``nx`` and ``xx`` are mutually exclusive.")
        pieces = [name, value]
        options = {}
        if ex is not None:
            pieces.append("EX")
            if isinstance(ex, datetime.timedelta):
                pieces.append(int(ex.total_seconds()))
            elif isinstance(ex, int):
                pieces.append(ex)
            elif isinstance(ex, str) and ex.isdigit():
                pieces.append(int(ex))
            else:
                raise DataError("ex must be datetime.timedelta or int")
        elif px is not None:
            pieces.append("PX")
            if isinstance(px, datetime.timedelta):
                pieces.append(int(px.total_seconds() * 1000))
            elif isinstance(px, int):
                pieces.append(px)
            else:
                raise DataError("px must be datetime.timedelta or int")
        elif exat is not None:
            pieces.append("EXAT")
            if isinstance(exat, datetime.datetime):
                exat = int(exat.timestamp())
            pieces.append(exat)
        elif pxat is not None:
            pieces.append("PXAT")
            if isinstance(pxat, datetime.datetime):
                pxat = int(pxat.timestamp() * 1000)
            pieces.append(pxat)
        if keepttl:
            pieces.append("KEEPTTL")
        if nx:
            pieces.append("NX")
        if xx:
            pieces.append("XX")
        for flag, v in (("IFEQ", ifeq), ("IFNE", ifne), ("IFDEQ", ifdeq), ("IFDNE", ifdne)):
            if v is not None:
                pieces.extend((flag, v))
        if get:
            pieces.append("GET")
            options["get"] = True
        return self.execute_command("SET", *pieces, **options)
