"""Shared checks for the data-type families' tests (hashes, lists, sets):
the same script through both clients' pipelines, the Python mixin methods
behind the native ones, and order-insensitive comparison of replies whose
order Redis leaves open."""

import redis

from conftest import outcome


def _norm(result):
    """A pipeline result, exceptions as (class, message)."""
    return (type(result), str(result)) if isinstance(result, Exception) else result


def assert_same_pipeline(pair, script, canon=None):
    """Runs ``script(pipe)`` on a non-transactional pipeline of each client
    and asserts equal ``execute()`` lists; ``canon(index, result)``, when
    given, rewrites results whose order is unspecified before comparing."""
    results = []
    for client in (pair.kv, pair.rp):
        pipe = client.pipeline(transaction=False)
        script(pipe)
        out = [_norm(r) for r in pipe.execute(raise_on_error=False)]
        if canon is not None:
            out = [canon(i, r) for i, r in enumerate(out)]
        results.append(out)
    got, want = results
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"pipeline command #{i}:\n kvstore: {g!r}\n redis:   {w!r}"
    pair.same_data()
    return got


def assert_mixin_matches(pair, mixin, method, *args, **kwargs):
    """Calls the pure-Python ``mixin.method`` (the one a pipeline queues
    through, and the native fast path's fallback) on kvstore's client and
    asserts the same outcome as redis-py's method."""
    got = outcome(getattr(mixin, method), pair.kv, *args, **kwargs)
    want = outcome(getattr(pair.rp, method), *args, **kwargs)
    assert got == want, f"{mixin.__name__}.{method}{args}{kwargs}:\n kvstore: {got!r}\n redis: {want!r}"
    return got


def sorted_reply(value):
    """A list reply in a canonical order (for replies of unspecified order)."""
    return sorted(value, key=repr) if isinstance(value, list) else value


class _Recorder:
    """Stands in for a client: records what a mixin method hands to
    ``execute_command``."""

    def __init__(self):
        self.calls = []

    def execute_command(self, *args, **options):
        self.calls.append((args, options))


def sent_by_mixin(mixin, method, *args, **kwargs):
    """Asserts the pure-Python ``mixin.method`` passes ``execute_command``
    the argv and options redis-py's passes (or raises the same client-side
    error). Unlike ``engine_support.sent`` it also covers the methods
    ``kvstore.Redis`` overrides natively."""
    rp = redis.Redis()  # never connects: execute_command is replaced
    want_calls = []
    rp.execute_command = lambda *a, **o: want_calls.append((a, o))
    want = (want_calls, outcome(getattr(rp, method), *args, **kwargs))
    rec = _Recorder()
    got = (rec.calls, outcome(getattr(mixin, method), rec, *args, **kwargs))
    assert got == want, f"{method}{args}{kwargs}:\n kvstore: {got!r}\n redis:   {want!r}"
    return got[0]
