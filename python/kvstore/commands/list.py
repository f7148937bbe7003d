"""redis-py's methods for lists."""


class ListCommands:
    """Methods for lists."""
