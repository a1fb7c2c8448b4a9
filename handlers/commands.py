"""Slash commands: /claims (the desk's state, privately) and /factcheck <url>."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.desk.query import QueryError, parse
from bot.intake.links import find_article_links
from bot.runtime.composition import Services
from bot.slack.desk_views import factcheck_usage, help_message, usage_message
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
        else:
            message = services.desk.claims_for(str(command.get("user_id")), query)
        respond(response_type="ephemeral", text=message.text, blocks=message.blocks, replace_original=False)

    app.command("/claims")(ack=claims_ack, lazy=[claims_answer])

    @app.command("/factcheck")
    def factcheck(ack: Ack, command: dict[str, Any]) -> None:
        found = find_article_links(command.get("text") or "", limit=1)
        if not found.urls:
            ack(**_ephemeral(factcheck_usage()))
            return
        services.desk.request_factcheck(
            channel=str(command.get("channel_id")), user=str(command.get("user_id")), url=found.urls[0],
            team_id=command.get("team_id"), trigger=str(command.get("trigger_id")),
            response_url=command.get("response_url"))
        ack(response_type="ephemeral", text=f"On it: I'll post {found.urls[0]} here and check it.")
