"""redis-py's methods for sets."""


class SetCommands:
    """Methods for sets."""
