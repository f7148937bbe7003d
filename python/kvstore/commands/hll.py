"""redis-py's methods for HyperLogLog."""

from __future__ import annotations

from typing import Any, Callable

from ._args import EncodableT, KeyT


class HyperLogLogCommands:
    """Methods for HyperLogLog."""

    execute_command: Callable[..., Any]

    def pfadd(self, name: KeyT, *values: EncodableT) -> int:
        """PFADD: adds ``values`` to the HyperLogLog at ``name``; 1 if its
        estimate changed (or it was created)."""
        return self.execute_command("PFADD", name, *values)

    def pfcount(self, *sources: KeyT) -> int:
        """PFCOUNT: the estimated cardinality of the union of ``sources``."""
        return self.execute_command("PFCOUNT", *sources)

    def pfmerge(self, dest: KeyT, *sources: KeyT) -> bool:
        """PFMERGE: merges ``sources`` (and ``dest``) into ``dest``; ``True``."""
        return self.execute_command("PFMERGE", dest, *sources)
