"""redis-py's methods for keys (generic), expiry, SCAN and scan_iter."""


class KeyCommands:
    """Methods for keys (generic), expiry, SCAN and scan_iter."""
