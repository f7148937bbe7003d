"""redis-py's methods for server and connection."""


class ServerCommands:
    """Methods for server and connection."""
