"""Verdict buttons on claim messages (block_actions): the same vote, for those who prefer clicking."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.runtime.composition import Services
from bot.slack.claim_views import MORE_CLAIMS_ACTION, SAME_CLAIM_ACTION, VOTE_ACTION_PREFIX


def register(app: App, services: Services) -> None:
    @app.action(re.compile(f"^{re.escape(VOTE_ACTION_PREFIX)}"))
    def vote_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        value = str(action.get("value") or "")
        user = (body.get("user") or {}).get("id")
        if not value.isdigit() or not user:
            return
        services.record_button(claim_id=int(value), user=str(user),
                               verdict_key=str(action.get("action_id", ""))[len(VOTE_ACTION_PREFIX):],
                               action_ts=action.get("action_ts"))

    @app.action(MORE_CLAIMS_ACTION)
    def show_more_claims(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        value = str(action.get("value") or "")
        user = (body.get("user") or {}).get("id")
        if value.isdigit() and user:
            services.link_job.request_more(int(value), str(user))
            services.worker.wake()

    @app.action(SAME_CLAIM_ACTION)
    def same_claim(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        value = str(action.get("value") or "")
        user = (body.get("user") or {}).get("id")
        if value.isdigit() and user:
            services.record_same_claim(claim_id=int(value), user=str(user), action_ts=action.get("action_ts"))
