"""Buttons on claim messages and in their threads (block_actions): verdicts, taking a claim, handing it
back, and the explanation modal. Every click names where it was made (bot.desk.access checks that the
claim is the clicked message's and that the clicker may see it)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.casework.views import EXPLAIN_ACTION, RELEASE_ACTION, TAKE_ACTION
from bot.desk.access import Click
from bot.intake.events import ID_LIMIT
from bot.publishing.views import MORE_CLAIMS_ACTION, SAME_CLAIM_ACTION, VOTE_ACTION_PREFIX
from bot.runtime.composition import Services

# Ids the bot hands out are database integers (32-bit on PostgreSQL); a larger number cannot be one, and
# asking PostgreSQL for it would be an error rather than "not found".
MAX_ID = 2**31 - 1


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= ID_LIMIT and "\x00" not in value else None


def _field(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    return value if isinstance(value, dict) else {}


def _click(body: dict[str, Any], action: dict[str, Any]) -> tuple[int, Click] | None:
    """The button's numeric value (a claim or link post id) and where it was clicked, or None when the
    value is not a plain decimal id ("²" is a digit to str.isdigit, not to int) or an id is malformed."""
    value = str(action.get("value") or "")
    user = _text(_field(body, "user").get("id"))
    if not user or not value.isascii() or not value.isdecimal() or len(value) > 10 or int(value) > MAX_ID:
        return None
    container = _field(body, "container")
    channel = _text(container.get("channel_id")) or _text(_field(body, "channel").get("id"))
    response_url = body.get("response_url") if isinstance(body.get("response_url"), str) else None
    return int(value), Click(user=user, channel=channel, message_ts=_text(container.get("message_ts")),
                             thread_ts=_text(container.get("thread_ts")), response_url=response_url)


def register(app: App, services: Services) -> None:
    @app.action(re.compile(f"^{re.escape(VOTE_ACTION_PREFIX)}"))
    def vote_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _click(body, action)
        if found:
            services.record_button(claim_id=found[0], user=found[1].user,
                                   verdict_key=str(action.get("action_id", ""))[len(VOTE_ACTION_PREFIX):],
                                   action_ts=action.get("action_ts"), click=found[1])

    @app.action(MORE_CLAIMS_ACTION)
    def show_more_claims(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _click(body, action)  # the value is the link post's id
        if found:
            services.request_more_claims(link_post_id=found[0], user=found[1].user, click=found[1])

    @app.action(SAME_CLAIM_ACTION)
    def same_claim(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _click(body, action)
        if found:
            services.record_same_claim(claim_id=found[0], user=found[1].user, action_ts=action.get("action_ts"),
                                       click=found[1])

    @app.action(re.compile(f"^({re.escape(TAKE_ACTION)}|{re.escape(RELEASE_ACTION)})$"))
    def take_or_hand_back(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _click(body, action)
        if found:
            services.casework_button(claim_id=found[0], user=found[1].user,
                                     taking=action.get("action_id") == TAKE_ACTION,
                                     action_ts=action.get("action_ts"), click=found[1])

    def explain_ack(ack: Ack) -> None:
        ack()

    def explain_open(body: dict[str, Any], action: dict[str, Any]) -> None:
        # views.open right after the ack (lazy listener): the trigger_id is only valid for 3 seconds.
        found = _click(body, action)
        if found:
            services.open_explanation(trigger_id=str(body.get("trigger_id") or ""), claim_id=found[0],
                                      click=found[1])

    app.action(EXPLAIN_ACTION)(ack=explain_ack, lazy=[explain_open])
