"""The verdict rule (documented in the README, deterministic, free of I/O so it is easy to test):

* every eligible person has one vote: their most recent active one (a reaction still on the message,
  or their button choice); withdrawing it (removing the reaction) falls back to their previous active
  one, if any;
* no votes: the claim is Open;
* otherwise the verdict with the most distinct voters wins; a tie at the top between different
  verdicts makes the claim Disputed;
* with VERDICT_QUORUM = n, a winning verdict needs at least n voters, else the claim stays Open.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Decision:
    status: str  # open | resolved | disputed
    verdict: str | None
    voters: dict[str, list[str]]  # verdict -> user ids, in voting order


def decide(votes: Iterable[tuple[str, str, datetime]], quorum: int = 1) -> Decision:
    """Apply the verdict rule to (user, verdict, voted_at) active votes of eligible users."""
    latest: dict[str, tuple[datetime, str]] = {}
    for user, verdict, voted_at in votes:
        if user not in latest or (voted_at, verdict) > latest[user]:
            latest[user] = (voted_at, verdict)
    voters: dict[str, list[str]] = {}
    for user, (_at, verdict) in sorted(latest.items(), key=lambda item: (item[1][0], item[0])):
        voters.setdefault(verdict, []).append(user)
    if not voters:
        return Decision("open", None, voters)
    counts = Counter({verdict: len(users) for verdict, users in voters.items()})
    (leader, top), *rest = counts.most_common()
    if rest and rest[0][1] == top:
        return Decision("disputed", None, voters)
    if top < quorum:
        return Decision("open", None, voters)
    return Decision("resolved", leader, voters)
