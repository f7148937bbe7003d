"""kvstore: Redis in your process.

``kvstore.Redis`` is redis-py's ``Redis`` API over an embedded,
Redis-compatible engine: change the constructor, keep the code::

    import kvstore
    r = kvstore.Redis(decode_responses=True)
    r.set("greeting", "hello")
"""

from . import exceptions
from ._kvstore import REDIS_VERSION
from .client import ConnectionPool, Pipeline, Redis, StrictRedis
from .pubsub import PubSub, Subscription
from .exceptions import (
    AuthenticationError,
    BusyLoadingError,
    ConnectionError,
    DataError,
    InvalidResponse,
    PubSubError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TimeoutError,
    WatchError,
)


def from_url(url, **kwargs):
    """A ``Redis`` client for ``url`` (``kvstore://``, ``redis://``, ...)."""
    return Redis.from_url(url, **kwargs)


__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "BusyLoadingError",
    "ConnectionError",
    "ConnectionPool",
    "DataError",
    "InvalidResponse",
    "Pipeline",
    "PubSub",
    "PubSubError",
    "REDIS_VERSION",
    "ReadOnlyError",
    "Redis",
    "RedisError",
    "ResponseError",
    "StrictRedis",
    "Subscription",
    "TimeoutError",
    "WatchError",
    "exceptions",
    "from_url",
]
