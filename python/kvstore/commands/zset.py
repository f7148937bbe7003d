"""redis-py's methods for sorted sets."""


class SortedSetCommands:
    """Methods for sorted sets."""
