"""Buttons on claim messages and in their threads (block_actions): verdicts, taking a claim, handing it
back, and the explanation modal."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.casework.views import EXPLAIN_ACTION, RELEASE_ACTION, TAKE_ACTION
from bot.publishing.views import MORE_CLAIMS_ACTION, SAME_CLAIM_ACTION, VOTE_ACTION_PREFIX
from bot.runtime.composition import Services


def _claim_and_user(body: dict[str, Any], action: dict[str, Any]) -> tuple[int, str] | None:
    """The button's numeric value (a claim or link post id) and who clicked, or None when malformed."""
    value = str(action.get("value") or "")
    user = (body.get("user") or {}).get("id")
    if not value.isdigit() or not user:
        return None
    return int(value), str(user)


def register(app: App, services: Services) -> None:
    @app.action(re.compile(f"^{re.escape(VOTE_ACTION_PREFIX)}"))
    def vote_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _claim_and_user(body, action)
        if found:
            services.record_button(claim_id=found[0], user=found[1],
                                   verdict_key=str(action.get("action_id", ""))[len(VOTE_ACTION_PREFIX):],
                                   action_ts=action.get("action_ts"))

    @app.action(MORE_CLAIMS_ACTION)
    def show_more_claims(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _claim_and_user(body, action)  # the value is the link post's id
        if found:
            services.request_more_claims(link_post_id=found[0], user=found[1])

    @app.action(SAME_CLAIM_ACTION)
    def same_claim(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _claim_and_user(body, action)
        if found:
            services.record_same_claim(claim_id=found[0], user=found[1], action_ts=action.get("action_ts"))

    @app.action(re.compile(f"^({re.escape(TAKE_ACTION)}|{re.escape(RELEASE_ACTION)})$"))
    def take_or_hand_back(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _claim_and_user(body, action)
        if found:
            services.casework.button(claim_id=found[0], user=found[1], taking=action.get("action_id") == TAKE_ACTION,
                                     action_ts=action.get("action_ts"))

    def explain_ack(ack: Ack) -> None:
        ack()

    def explain_open(body: dict[str, Any], action: dict[str, Any]) -> None:
        # views.open right after the ack (lazy listener): the trigger_id is only valid for 3 seconds.
        found = _claim_and_user(body, action)
        if found:
            services.casework.open_explanation(trigger_id=str(body.get("trigger_id") or ""), claim_id=found[0],
                                               user=found[1])

    app.action(EXPLAIN_ACTION)(ack=explain_ack, lazy=[explain_open])
