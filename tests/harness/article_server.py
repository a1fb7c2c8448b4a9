"""A local article server: pages, redirects, slow, huge and compressed bodies, for the fetcher and the
pipeline.

Why: the fetcher's defences (size caps, total deadlines, redirect limits, decompression limits) only
mean something against a server that really streams, stalls and lies about lengths over a socket.
Huge bodies are generated chunk by chunk, so a 200 MB page costs the test process no memory.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.harness.bombs import gzip_bomb
from tests.harness.httpserver import LocalServer, QuietHandler

NOT_FOUND = (
    b"<!doctype html><html><head><title>Not found</title></head><body><h1>Not found</h1></body></html>"
)


@dataclass
class Route:
    """What one path answers. Plain routes send `body`; streamed ones generate `stream_total` bytes."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Streaming: generate `stream_total` bytes in `chunk`-sized writes, `interval` seconds apart.
    stream_total: int | None = None
    chunk: bytes = b"<p>" + b"x" * 8188 + b"</p>"
    interval: float = 0.0
    declare_length: bool = True


@dataclass(frozen=True)
class SeenRequest:
    """A request as received: `path` includes the query string."""

    path: str
    headers: dict[str, str]
    time: float
    method: str = "GET"


class _URL(str):
    """`server.url` is the root URL and, called, builds one: `server.url("/a")`."""

    def __call__(self, path: str = "/") -> str:
        return f"{self}{path if path.startswith('/') else '/' + path}"


class _ArticleHandler(QuietHandler):
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        owner: ArticleServer = self.owner
        path = self.path.split("?", 1)[0]
        owner._record(SeenRequest(self.path, self.recorded_headers(), time.time(), self.command))
        route = owner.routes.get(path)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if route is None:
                self.reply(404, NOT_FOUND, "text/html; charset=utf-8")
                return
            if route.delay:
                time.sleep(route.delay)
            if route.stream_total is None:
                self.reply(route.status, route.body, route.content_type, route.headers)
                return
        self._stream(route)

    def _stream(self, route: Route) -> None:
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.declare_length:
                self.send_header("Content-Length", str(route.stream_total))
            else:
                # No length, no chunked encoding: the body ends when the connection closes (HTTP/1.0 style).
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            sent = 0
            total = route.stream_total or 0
            while sent < total:
                piece = route.chunk[: total - sent]
                self.wfile.write(piece)
                self.wfile.flush()
                sent += len(piece)
                if route.interval and sent < total:
                    time.sleep(route.interval)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            self.close_connection = True


class ArticleServer(LocalServer):
    """Serves registered routes on 127.0.0.1; unknown paths get a 404 HTML page. Records every request.

    `routes` is a plain dict (path -> Route) and may be replaced by any mapping with `.get(path)`.
    """

    handler_class = _ArticleHandler

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> _URL:  # type: ignore[override]
        """The root URL; `server.url("/path")` builds a full URL."""
        return _URL(self.base)

    def _record(self, request: SeenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def hits(self, path: str) -> int:
        """How many requests asked for `path` (query strings ignored)."""
        with self._lock:
            return sum(1 for r in self.requests if r.path.split("?", 1)[0] == path)

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """A fixed answer; `delay` seconds pass before the headers are sent."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(
            status=status, body=data, content_type=content_type, headers=dict(headers or {}), delay=delay
        )

    def add_redirect(self, path: str, location: str, status: int = 302) -> None:
        """A redirect to `location` (absolute, or relative as servers sometimes send)."""
        body = f'<html><body><a href="{location}">moved</a></body></html>'.encode()
        self.routes[path] = Route(status=status, body=body, headers={"Location": location})

    def add_stream(
        self,
        path: str,
        total_bytes: int,
        content_type: str = "text/html",
        declare_length: bool = True,
        **kwargs: Any,
    ) -> None:
        """A large body made lazily, chunk by chunk (never held in memory). With `declare_length=False`
        there is no Content-Length: the body ends when the connection closes. `kwargs` go to Route
        (chunk, interval, headers, status, delay)."""
        self.routes[path] = Route(
            content_type=content_type, stream_total=total_bytes, declare_length=declare_length, **kwargs
        )

    def add_trickle(
        self,
        path: str,
        *,
        chunk: bytes = b"x",
        interval: float = 1.0,
        total: int = 10_000,
        content_type: str = "text/html",
        declare_length: bool = True,
    ) -> None:
        """A server that sends one small chunk per interval: each read succeeds, so only a total deadline
        (not a read timeout) stops the client."""
        self.routes[path] = Route(
            stream_total=total,
            chunk=chunk,
            interval=interval,
            content_type=content_type,
            declare_length=declare_length,
        )

    def add_gzip_bomb(
        self,
        path: str,
        expanded_bytes: int = 200 * 1024 * 1024,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        """A small `Content-Encoding: gzip` body (about 0.1% of its size) that expands to `expanded_bytes`."""
        self.routes[path] = Route(
            body=gzip_bomb(expanded_bytes), content_type=content_type, headers={"Content-Encoding": "gzip"}
        )
