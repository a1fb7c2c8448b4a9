"""A tiny base for the harness servers: a real ThreadingHTTPServer on 127.0.0.1, in a daemon thread.

Why real servers and not mocks: the bot's HTTP clients (slack_sdk's urllib client, httpx, the openai
package) then run their real code paths — connection handling, timeouts, retries, redirects, body
streaming — against something that answers on a socket, exactly as in production.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class Headers(dict[str, str]):
    """Recorded request headers: a plain dict (as sent) whose lookups ignore case, like HTTP does.

    Why: clients differ (httpx and openai send `authorization`, urllib sends `Authorization`), and a
    test should not care which.
    """

    def _key(self, name: object) -> object:
        if isinstance(name, str) and not dict.__contains__(self, name):
            lowered = name.lower()
            return next((k for k in self if k.lower() == lowered), name)
        return name

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, self._key(name))  # type: ignore[arg-type]

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, self._key(name))

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, self._key(name), default)  # type: ignore[call-overload]


class QuietServer(ThreadingHTTPServer):
    """A threading server whose worker threads never keep the test process alive."""

    daemon_threads = True
    allow_reuse_address = True
    # Many clients at once (load tests, the bot's worker pool): don't refuse connections early.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up on purpose (size caps, timeouts) are part of the tests, not errors.
        pass


class LocalServer:
    """Start/stop and URL plumbing shared by every stand-in; subclasses provide `handler_class`.

    Use as a context manager (`with SlackStandIn() as slack:`) or call `start()`/`stop()`. The port is
    chosen by the OS (port 0), so tests can run in parallel without clashing; `port` asks for a given one
    (two servers on different loopback addresses sharing a port, for the fetcher's address tests).
    """

    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.requested_port = port
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind a free port and serve in a daemon thread; starting twice is a no-op."""
        if self._server is not None:
            return self
        # Each server instance gets its own handler subclass, so handlers find their owner without globals.
        handler = type("Handler", (self.handler_class,), {"owner": self})
        self._server = QuietServer((self.host, self.requested_port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"{type(self).__name__}-{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close the listening socket and wait briefly for the serving thread."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        assert self._server is not None, f"{type(self).__name__} not started"
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """`http://127.0.0.1:PORT`, no trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The server's root URL (same as `base`); ArticleServer makes it callable too."""
        return self.base


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive, like real servers) handler with no log noise and a couple of helpers."""

    protocol_version = "HTTP/1.1"
    owner: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def recorded_headers(self) -> Headers:
        return Headers(self.headers.items())

    def body(self) -> bytes:
        """The request body; always read in full so a keep-alive connection stays in sync."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drop(self) -> None:
        """Hang up without any HTTP response (a lost answer, as far as the client can tell)."""
        self.close_connection = True
