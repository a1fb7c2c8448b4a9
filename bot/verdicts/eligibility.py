"""Who may decide a verdict: everyone, or the fact-checkers named in FACTCHECKERS.

User groups in FACTCHECKERS are read from Slack (usergroups.users.list) by a background thread, never
while a vote is recorded: recording happens before Slack is acknowledged, and a slow answer there
delayed acks by seconds. A failed read is never cached: the members last read stay in use and the read
is tried again soon (a failure once made every fact-checker of the group ineligible for ten minutes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)


class Eligibility:
    """Who may decide: everyone, or FACTCHECKERS (user ids U…/W… and user-group ids S…)."""

    def __init__(self, entries: Iterable[str], group_members: Callable[[str], list[str]] | None = None,
                 ttl: float = 600.0, retry: float = 30.0) -> None:
        cleaned = [e.strip() for e in entries if e.strip()]
        self.users = frozenset(e for e in cleaned if not e.startswith("S"))
        self.groups = frozenset(e for e in cleaned if e.startswith("S"))
        self._group_members = group_members
        self._ttl = ttl
        self._retry = retry
        # None until the groups have been read once; then the members of the last complete read.
        self._members: frozenset[str] | None = None if self.groups else frozenset()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def restricted(self) -> bool:
        return bool(self.users or self.groups)

    @property
    def known(self) -> bool:
        """Whether group membership has been read (until then, group members count as not eligible)."""
        return self._members is not None

    def refresh(self) -> bool:
        """Read every group's members from Slack; the members change only when every group answered."""
        if not self.groups or self._group_members is None:
            return True
        members: set[str] = set()
        for group in sorted(self.groups):
            try:
                members.update(self._group_members(group))
            except Exception as exc:
                log.warning("could not read members of user group %s (keeping the last known members): %s",
                            group, exc)
                return False
        with self._lock:
            self._members = frozenset(members)
        return True

    def start(self, wait_at_most: float = 2.0) -> None:
        """Keep group membership fresh in the background: every `ttl` seconds, or `retry` after a failure.

        Waits up to `wait_at_most` seconds for the first read, so votes right after start are judged on it.
        """
        if not self.groups or self._group_members is None or self._thread is not None:
            return
        first = threading.Event()

        def run() -> None:
            while not self._stop.is_set():
                ok = self.refresh()
                first.set()
                self._stop.wait(self._ttl if ok else self._retry)

        self._thread = threading.Thread(target=run, name="factchecker-groups", daemon=True)
        self._thread.start()
        first.wait(wait_at_most)

    def stop(self) -> None:
        self._stop.set()

    def __call__(self, user: str) -> bool:
        """Eligible or not, from what is known now: never calls Slack."""
        return not self.restricted or user in self.users or user in (self._members or frozenset())
