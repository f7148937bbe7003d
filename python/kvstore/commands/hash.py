"""redis-py's methods for hashes."""


class HashCommands:
    """Methods for hashes."""
