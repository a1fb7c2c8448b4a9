"""The verdict rule itself: pure, deterministic, documented in bot/verdicts.py and the README."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.verdicts.recorder import Eligibility, decide

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_no_votes_is_open() -> None:
    assert decide([]).status == "open"


def test_most_distinct_voters_wins() -> None:
    result = decide([("a", "false", at(1)), ("b", "false", at(2)), ("c", "true", at(3))])
    assert (result.status, result.verdict) == ("resolved", "false")
    assert result.voters == {"false": ["a", "b"], "true": ["c"]}


def test_tie_between_different_verdicts_is_disputed() -> None:
    result = decide([("a", "false", at(1)), ("b", "true", at(2))])
    assert (result.status, result.verdict) == ("disputed", None)


def test_a_person_has_one_vote_their_latest() -> None:
    result = decide([("a", "true", at(1)), ("a", "false", at(5)), ("b", "true", at(2))])
    assert result.status == "disputed"  # a's vote is now false: 1-1
    assert decide([("a", "true", at(1)), ("a", "true", at(2))]).voters == {"true": ["a"]}


def test_quorum_keeps_a_claim_open_until_enough_voters() -> None:
    assert decide([("a", "false", at(1))], quorum=2).status == "open"
    assert decide([("a", "false", at(1)), ("b", "false", at(2))], quorum=2).verdict == "false"


def test_eligibility_by_user_and_group() -> None:
    everyone = Eligibility([])
    assert everyone("U1")
    listed = Eligibility(["U1", "S9"], group_members=lambda group: ["U7"] if group == "S9" else [])
    assert listed("U1") and not listed("U7") and not listed.known  # groups are read in the background
    assert listed.refresh() and listed.known
    assert listed("U1") and listed("U7") and not listed("U2")


votes = st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from(["true", "false", "misleading"]),
                           st.integers(0, 100).map(at)), max_size=12)


@given(votes)
def test_rule_ignores_input_order(items: list) -> None:
    # Timestamps are unique per user in real data; make them so, then shuffle.
    unique = {(u, t): (u, v, t) for u, v, t in items}
    ordered = sorted(unique.values(), key=lambda x: (x[2], x[0]))
    assert decide(ordered) == decide(list(reversed(ordered)))
