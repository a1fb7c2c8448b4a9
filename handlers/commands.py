"""Slash commands: /claims (the desk's state, privately) and /factcheck <url>."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.desk.query import QueryError, parse
from bot.desk.views import factcheck_usage, help_message, usage_message
from bot.intake.links import find_article_links
from bot.runtime.composition import Services
from bot.slack.messages import Message


def _ephemeral(message: Message) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks}


def register(app: App, services: Services) -> None:
    def claims_ack(ack: Ack, command: dict[str, Any]) -> None:
        # Parse now, answer mistakes and help at once; the listing itself runs after the ack (lazy).
        try:
            query = parse(command.get("text"))
        except QueryError as error:
            ack(**_ephemeral(usage_message(str(error))))
            return
        if query.action == "help":
            ack(**_ephemeral(help_message()))
            return
        ack()

    def claims_answer(command: dict[str, Any], respond: Respond) -> None:
        try:
            query = parse(command.get("text"))
        except QueryError:
            return
        if query.action == "help":
            return
        if query.action == "summary":
            message = services.desk.summary_for(str(command.get("user_id")), str(command.get("channel_id")))
        elif query.action == "search":
            message = services.desk.search_for(str(command.get("user_id")), query.words or "")
        else:
            message = services.desk.claims_for(str(command.get("user_id")), query)
        respond(response_type="ephemeral", text=message.text, blocks=message.blocks, replace_original=False)

    app.command("/claims")(ack=claims_ack, lazy=[claims_answer])

    def factcheck_ack(ack: Ack, command: dict[str, Any]) -> None:
        text = command.get("text") or ""
        if _is_search(text):
            ack()  # the search itself runs after the ack (lazy), like /claims
            return
        found = find_article_links(text, limit=1)
        if not found.urls:
            ack(**_ephemeral(factcheck_usage()))
            return
        services.desk.request_factcheck(
            channel=str(command.get("channel_id")), user=str(command.get("user_id")), url=found.urls[0],
            team_id=command.get("team_id"), trigger=str(command.get("trigger_id")),
            response_url=command.get("response_url"))
        ack(response_type="ephemeral", text=f"On it: I'll post {found.urls[0]} here and check it.")

    def factcheck_search(command: dict[str, Any], respond: Respond) -> None:
        text = command.get("text") or ""
        if not _is_search(text):
            return
        words = text.strip()[len("search"):].strip()
        message = (services.desk.search_for(str(command.get("user_id")), words[:500]) if words
                   else usage_message("`search` needs words to look for, like `/factcheck search vaccines microchips`"))
        respond(response_type="ephemeral", text=message.text, blocks=message.blocks, replace_original=False)

    app.command("/factcheck")(ack=factcheck_ack, lazy=[factcheck_search])


def _is_search(text: str) -> bool:
    first = text.strip().split(maxsplit=1)
    return bool(first) and first[0].lower() == "search"
