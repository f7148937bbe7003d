"""The exception tree of redis-py (same names, hierarchy and constructor
arguments), for when redis-py is not installed. See ``kvstore.exceptions``."""


class RedisError(Exception):
    """Base class of every error the client raises."""

    def __init__(self, *args, status_code=None):
        super().__init__(*args)
        self.status_code = status_code


class ConnectionError(RedisError):  # noqa: A001
    """Could not reach the data (in-process: the store is unusable)."""


class TimeoutError(RedisError):  # noqa: A001
    """A command did not complete in time."""


class AuthenticationError(ConnectionError):
    """Wrong or missing credentials (NOAUTH, WRONGPASS)."""


class AuthorizationError(ConnectionError):
    """The user may not run the command."""


class BusyLoadingError(ConnectionError):
    """The data set is still loading (LOADING)."""


class MaxConnectionsError(ConnectionError):
    """Too many connections."""


class ExternalAuthProviderError(ConnectionError):
    """An external authentication provider failed."""


class InvalidResponse(RedisError):
    """A reply could not be understood."""


class ResponseError(RedisError):
    """The command failed (an error reply)."""


class DataError(RedisError):
    """Invalid arguments, caught before the command runs."""


class PubSubError(RedisError):
    """Misuse of a PubSub object."""


class WatchError(RedisError):
    """A WATCHed key changed: the transaction did not run."""


class NoScriptError(ResponseError):
    """EVALSHA of a script the cache does not have (NOSCRIPT)."""


class OutOfMemoryError(ResponseError):
    """The command would exceed maxmemory (OOM)."""


class ExecAbortError(ResponseError):
    """EXEC refused: a queued command was invalid (EXECABORT)."""


class ReadOnlyError(ResponseError):
    """A write against a read-only replica (READONLY)."""


class NoPermissionError(ResponseError):
    """The ACL denies the command (NOPERM)."""


class ModuleError(ResponseError):
    """A module could not be loaded or unloaded."""


class NoSuchFieldsetError(ResponseError):
    """An unknown field set was referenced."""


class AuthenticationWrongNumberOfArgsError(ResponseError):
    """AUTH with the wrong number of arguments."""


class LockError(RedisError, ValueError):
    """A lock could not be acquired or released."""

    def __init__(self, message=None, lock_name=None):
        super().__init__(message)
        self.message = message
        self.lock_name = lock_name


class LockNotOwnedError(LockError):
    """Releasing or extending a lock this client does not own."""


class ChildDeadlockedError(Exception):
    """A forked child would deadlock on the parent's state."""


class RedisClusterException(Exception):
    """Cluster-client errors (never raised in-process)."""


class ClusterError(RedisError):
    """Cluster errors (never raised in-process)."""


class ClusterDownError(ClusterError, ResponseError):
    """CLUSTERDOWN."""


class MasterDownError(ClusterDownError):
    """MASTERDOWN."""


class AskError(ResponseError):
    """ASK redirection."""


class MovedError(AskError):
    """MOVED redirection."""


class TryAgainError(ResponseError):
    """TRYAGAIN."""


class ClusterCrossSlotError(ResponseError):
    """CROSSSLOT."""
