"""Slack message timestamps (`1700000000.000100`) as aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def slack_time(ts: str | None) -> datetime:
    """When a Slack event or message happened; now when the ts is missing or not a number.

    Slack's ts is the only clock both sides agree on, so votes and sources are dated by it rather than
    by when the bot got round to them (a reconciled reaction keeps its real time).
    """
    try:
        return datetime.fromtimestamp(float(ts), UTC) if ts else datetime.now(UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)
