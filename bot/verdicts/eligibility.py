"""Who may decide a verdict: everyone, or the fact-checkers named in FACTCHECKERS."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from cachetools import TTLCache

log = logging.getLogger(__name__)


class Eligibility:
    """Who may decide: everyone, or FACTCHECKERS (user ids U…/W… and user-group ids S…).

    Group membership is read from Slack (usergroups.users.list) and cached, so that recording a vote
    never waits for the network more than once per refresh period.
    """

    def __init__(self, entries: Iterable[str], group_members: Callable[[str], list[str]] | None = None,
                 ttl: float = 600.0) -> None:
        cleaned = [e.strip() for e in entries if e.strip()]
        self.users = frozenset(e for e in cleaned if not e.startswith("S"))
        self.groups = frozenset(e for e in cleaned if e.startswith("S"))
        self._group_members = group_members
        # The members of every group together, re-read after `ttl` seconds; the last good answer is kept
        # apart, for when Slack does not answer a refresh.
        self._cache: TTLCache[str, frozenset[str]] = TTLCache(maxsize=1, ttl=ttl)
        self._last_known: frozenset[str] | None = None
        self._lock = threading.Lock()

    @property
    def restricted(self) -> bool:
        return bool(self.users or self.groups)

    def _members(self) -> frozenset[str]:
        if not self.groups or self._group_members is None:
            return frozenset()
        with self._lock:
            cached = self._cache.get("members")
            if cached is not None:
                return cached
            members: set[str] = set()
            for group in self.groups:
                try:
                    members.update(self._group_members(group))
                except Exception as exc:
                    log.warning("could not read members of user group %s: %s", group, exc)
                    if self._last_known is not None:
                        return self._last_known
            self._cache["members"] = self._last_known = frozenset(members)
            return self._last_known

    def __call__(self, user: str) -> bool:
        return not self.restricted or user in self.users or user in self._members()
