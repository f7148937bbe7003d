"""redis-py's methods for HyperLogLog."""


class HyperLogLogCommands:
    """Methods for HyperLogLog."""
