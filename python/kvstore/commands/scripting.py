"""redis-py's methods for Lua scripting (EVAL, EVALSHA, SCRIPT ...) and
``register_script``."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ..exceptions import DataError
from ..script import Encoder, Script, ScriptTextT
from ._args import EncodableT


class ScriptCommands:
    """Methods for Lua scripting."""

    execute_command: Callable[..., Any]
    connection_pool: Any

    def eval(self, script: str, numkeys: int, *keys_and_args: EncodableT) -> Any:
        """EVAL: runs the Lua ``script`` with ``numkeys`` keys followed by
        arguments taken from ``keys_and_args``."""
        return self.execute_command("EVAL", script, numkeys, *keys_and_args)

    def eval_ro(self, script: str, numkeys: int, *keys_and_args: EncodableT) -> Any:
        """EVAL_RO: EVAL for a script that only reads."""
        return self.execute_command("EVAL_RO", script, numkeys, *keys_and_args)

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: EncodableT) -> Any:
        """EVALSHA: runs the cached script whose SHA1 is ``sha``."""
        return self.execute_command("EVALSHA", sha, numkeys, *keys_and_args)

    def evalsha_ro(self, sha: str, numkeys: int, *keys_and_args: EncodableT) -> Any:
        """EVALSHA_RO: EVALSHA for a script that only reads."""
        return self.execute_command("EVALSHA_RO", sha, numkeys, *keys_and_args)

    def script_exists(self, *args: str) -> List[bool]:
        """SCRIPT EXISTS: for each SHA1 in ``args``, whether it is cached."""
        return self.execute_command("SCRIPT EXISTS", *args)

    def script_debug(self, *args: Any) -> None:
        """SCRIPT DEBUG needs an interactive connection: not offered (as in
        redis-py)."""
        raise NotImplementedError("SCRIPT DEBUG is intentionally not implemented in the client.")

    def script_flush(self, sync_type: Optional[str] = None) -> bool:
        """SCRIPT FLUSH: empties the script cache; ``sync_type`` is "SYNC",
        "ASYNC" or None (the server's default)."""
        if sync_type not in ("SYNC", "ASYNC", None):
            raise DataError(
                "SCRIPT FLUSH defaults to SYNC in redis > 6.2, or accepts SYNC/ASYNC. "
                "For older versions, of redis leave as None."
            )
        pieces = [] if sync_type is None else [sync_type]
        return self.execute_command("SCRIPT FLUSH", *pieces)

    def script_kill(self) -> bool:
        """SCRIPT KILL: stops the running read-only script."""
        return self.execute_command("SCRIPT KILL")

    def script_load(self, script: ScriptTextT) -> str:
        """SCRIPT LOAD: caches ``script``; its SHA1 as a str."""
        return self.execute_command("SCRIPT LOAD", script)

    def register_script(self, script: ScriptTextT) -> Script:
        """A callable ``Script`` for ``script`` bound to this client."""
        return Script(self, script)

    def get_encoder(self) -> Encoder:
        """The encoder of this client's arguments (its ``encoding``,
        ``encoding_errors`` and ``decode_responses``)."""
        kw: Dict[str, Any] = self.connection_pool.connection_kwargs
        return Encoder(
            kw.get("encoding", "utf-8"),
            kw.get("encoding_errors", "strict"),
            bool(kw.get("decode_responses", False)),
        )

