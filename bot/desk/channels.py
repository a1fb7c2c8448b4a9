"""The private-channel rule, and the channel facts it needs from Slack.

A claim whose thread is in a private channel is shown only to members of that channel, and quoted
in another channel only when everyone there is a member of it too. Privacy and membership come from
Slack (conversations.info / conversations.members, through the gateway) via a short cache, so listing
stays within Slack's 3-second window. When Slack will not say, a channel counts as private with no
members: unknown means hidden.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cachetools import TTLCache

from bot.slack.gateway import SlackGateway

T = TypeVar("T")


class ChannelDirectory:
    """Which channels are private, who is in them, and channel names, cached for `ttl` seconds."""

    def __init__(self, gateway: SlackGateway, ttl: float = 120.0) -> None:
        self._gateway = gateway
        self._info: TTLCache[str, Any] = TTLCache(maxsize=10_000, ttl=ttl)
        self._members: TTLCache[str, Any] = TTLCache(maxsize=10_000, ttl=ttl)
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    def _cached(self, cache: TTLCache[str, Any], key: str, load: Callable[[], T]) -> T:
        with self._lock:
            hit = cache.get(key)
        if hit is not None:
            return hit
        value = load()  # outside the lock: a slow Slack answer for one channel holds up no other
        with self._lock:
            cache[key] = value
        return value

    def info(self, channel: str) -> dict[str, Any]:
        return self._cached(self._info, channel, lambda: self._gateway.channel_info(channel)
                            or {"id": channel, "is_private": True, "unknown": True})

    def members(self, channel: str) -> frozenset[str]:
        return self._cached(self._members, channel,
                            lambda: self._gateway.channel_members(channel) or frozenset())

    def is_private(self, channel: str) -> bool:
        return bool(self.info(channel).get("is_private"))

    def visible_to(self, user: str, channels: Iterable[str]) -> set[str]:
        """The channels whose claims `user` may see: public ones, and private ones they belong to."""
        return {c for c in channels if not self.is_private(c) or user in self.members(c)}

    def quotable_in(self, audience: str, channels: Iterable[str]) -> set[str]:
        """The channels whose claims may be quoted in channel `audience`.

        Public channels' claims, the audience channel's own, and a private channel's only when the
        audience is itself private and every one of its members belongs to that private channel too
        (anyone can join a public channel, so a private claim is never quoted there).
        """
        audience_private = self.is_private(audience)
        readers = self.members(audience) if audience_private else frozenset()

        def shareable(channel: str) -> bool:
            if channel == audience or not self.is_private(channel):
                return True
            return audience_private and bool(readers) and readers <= self.members(channel)

        return {channel for channel in channels if shareable(channel)}

    def find_by_name(self, name: str) -> str | None:
        return self._gateway.find_channel(name)
