"""Modal submissions (view_submission): the explanation of a rating and its published URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.casework.explanations import EXPLANATION_BLOCK, URL_BLOCK
from bot.casework.views import EXPLANATION_CALLBACK, EXPLANATION_INPUT, URL_INPUT
from bot.runtime.composition import Services


def _value(values: dict[str, Any], block: str, action: str) -> str:
    element = (values.get(block) or {}).get(action) or {}
    return str(element.get("value") or "")


def register(app: App, services: Services) -> None:
    @app.view(EXPLANATION_CALLBACK)
    def explanation_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        errors = services.submit_explanation(
            private_metadata=view.get("private_metadata"), user=str((body.get("user") or {}).get("id") or ""),
            text=_value(values, EXPLANATION_BLOCK, EXPLANATION_INPUT), url=_value(values, URL_BLOCK, URL_INPUT))
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()
