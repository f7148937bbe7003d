"""redis-py's exceptions, by the same names and with the same hierarchy.

When redis-py is installed these *are* its classes, so code that catches
``redis.exceptions.WatchError`` keeps working with ``kvstore.Redis``; without
it, the same tree is defined here.
"""

try:
    from redis.exceptions import (  # noqa: F401
        AskError,
        AuthenticationError,
        AuthenticationWrongNumberOfArgsError,
        AuthorizationError,
        BusyLoadingError,
        ChildDeadlockedError,
        ClusterCrossSlotError,
        ClusterDownError,
        ClusterError,
        ConnectionError,
        DataError,
        ExecAbortError,
        ExternalAuthProviderError,
        InvalidResponse,
        LockError,
        LockNotOwnedError,
        MasterDownError,
        MaxConnectionsError,
        ModuleError,
        MovedError,
        NoPermissionError,
        NoScriptError,
        NoSuchFieldsetError,
        OutOfMemoryError,
        PubSubError,
        ReadOnlyError,
        RedisClusterException,
        RedisError,
        ResponseError,
        TimeoutError,
        TryAgainError,
        WatchError,
    )
except ImportError:  # redis-py absent (or too old): our own tree.
    from ._exceptions import *  # type: ignore[assignment]  # noqa: F403
