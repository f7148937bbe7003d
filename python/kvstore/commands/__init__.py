"""redis-py's command methods, one mixin per command family.

Each method builds the argv redis-py would send and calls
``self.execute_command(*argv, **options)``; the options reach the
command's response callback (``kvstore.callbacks``). ``kvstore.Redis``
overrides the hottest methods with native ones of the same behaviour;
``Pipeline`` queues through these.
"""

from .hash import HashCommands
from .hll import HyperLogLogCommands
from .keys import KeyCommands
from .list import ListCommands
from .locking import LockCommands
from .pubsub import PubSubCommands
from .scripting import ScriptCommands
from .server import ServerCommands
from .set import SetCommands
from .strings import StringCommands
from .zset import SortedSetCommands


class CoreCommands(
    StringCommands,
    KeyCommands,
    HashCommands,
    ListCommands,
    SetCommands,
    SortedSetCommands,
    HyperLogLogCommands,
    ServerCommands,
    PubSubCommands,
    ScriptCommands,
    LockCommands,
):
    """Every command family's methods."""
