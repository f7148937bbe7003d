"""Pub/Sub commands: PUBLISH, SPUBLISH and PUBSUB's introspection.
Subscribing goes through ``Redis.pubsub()`` (``kvstore.pubsub.PubSub``)."""

from __future__ import annotations

from typing import Any, Callable

from ._args import EncodableT, KeyT


class PubSubCommands:
    """redis-py's ``PubSubCommands``."""

    execute_command: Callable[..., Any]

    def publish(self, channel: KeyT, message: EncodableT, **kwargs) -> Any:
        """PUBLISH: the number of subscribers that received ``message``."""
        return self.execute_command("PUBLISH", channel, message, **kwargs)

    def spublish(self, shard_channel: KeyT, message: EncodableT) -> Any:
        """SPUBLISH: PUBLISH on a shard channel."""
        return self.execute_command("SPUBLISH", shard_channel, message)

    def pubsub_channels(self, pattern: KeyT = "*", **kwargs) -> Any:
        """PUBSUB CHANNELS: the channels with subscribers matching ``pattern``."""
        return self.execute_command("PUBSUB CHANNELS", pattern, **kwargs)

    def pubsub_shardchannels(self, pattern: KeyT = "*", **kwargs) -> Any:
        """PUBSUB SHARDCHANNELS: the shard channels with subscribers."""
        return self.execute_command("PUBSUB SHARDCHANNELS", pattern, **kwargs)

    def pubsub_numpat(self, **kwargs) -> Any:
        """PUBSUB NUMPAT: the number of patterns subscribed to."""
        return self.execute_command("PUBSUB NUMPAT", **kwargs)

    def pubsub_numsub(self, *args: KeyT, **kwargs) -> Any:
        """PUBSUB NUMSUB: ``(channel, subscribers)`` for each channel."""
        return self.execute_command("PUBSUB NUMSUB", *args, **kwargs)

    def pubsub_shardnumsub(self, *args: KeyT, **kwargs) -> Any:
        """PUBSUB SHARDNUMSUB: ``(shard channel, subscribers)`` for each."""
        return self.execute_command("PUBSUB SHARDNUMSUB", *args, **kwargs)
