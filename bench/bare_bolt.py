"""The baseline for bench/ack_latency.py: a bare Bolt app whose listeners only acknowledge.

Same HTTP stack as the bot (handlers.http.wsgi_app in front of Bolt's WSGI adapter, waitress with
HTTP_THREADS threads), same signing secret, same Slack API stand-in for auth.test; no database, no
workers. Started as its own process by ack_latency.py:

    python bench/bare_bolt.py PORT SLACK_API_URL
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App
from slack_sdk import WebClient
from waitress.server import create_server

from bench.common import BOT_TOKEN, SIGNING_SECRET
from handlers.http import wsgi_app


def build(slack_api_url: str) -> App:
    app = App(client=WebClient(token=BOT_TOKEN, base_url=slack_api_url), signing_secret=SIGNING_SECRET,
              process_before_response=True, raise_error_for_unhandled_request=False)

    @app.event("message")
    def on_message() -> None:
        return None

    @app.event("reaction_added")
    def on_reaction_added() -> None:
        return None

    @app.event("reaction_removed")
    def on_reaction_removed() -> None:
        return None

    @app.command("/claims")
    def on_claims(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    port, slack_api_url = int(sys.argv[1]), sys.argv[2]
    application = wsgi_app(build(slack_api_url), SIGNING_SECRET)
    server = create_server(application, host="127.0.0.1", port=port,
                           threads=int(os.environ.get("HTTP_THREADS", "16")))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()


def _interrupt(*_args: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, _interrupt)
    main()
