"""A local article server: pages, redirects, slow and huge bodies, for the fetcher and the pipeline."""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from tests.harness.httpserver import LocalServer, QuietHandler


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Streaming: generate `stream_total` bytes in chunks, optionally slowly.
    stream_total: int | None = None
    chunk: bytes = b"<p>" + b"x" * 8188 + b"</p>"
    interval: float = 0.0
    declare_length: bool = True


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    time: float


class _ArticleHandler(QuietHandler):
    def do_GET(self) -> None:
        owner: ArticleServer = self.owner
        path = self.path.split("?", 1)[0]
        owner._record(SeenRequest(self.path, dict(self.headers.items()), time.time()))
        route = owner.routes.get(path)
        if route is None:
            self.reply(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")
            return
        if route.delay:
            time.sleep(route.delay)
        if route.stream_total is None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
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
                self.send_header("Connection", "close")
            self.end_headers()
            sent = 0
            total = route.stream_total or 0
            while sent < total:
                piece = route.chunk[: total - sent]
                self.wfile.write(piece)
                self.wfile.flush()
                sent += len(piece)
                if route.interval:
                    time.sleep(route.interval)
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True


class ArticleServer(LocalServer):
    handler_class = _ArticleHandler

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()

    def _record(self, request: SeenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path.split("?", 1)[0] == path)

    def add(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", status: int = 200,
            headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(status=status, body=data, content_type=content_type, headers=headers or {},
                                  delay=delay)

    def add_redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Route(status=status, body=b"", headers={"Location": location})

    def add_stream(self, path: str, total_bytes: int, content_type: str = "text/html", declare_length: bool = True,
                   **kwargs: Any) -> None:
        """A large body made lazily, chunk by chunk (never held in memory here)."""
        self.routes[path] = Route(content_type=content_type, stream_total=total_bytes, declare_length=declare_length,
                                  **kwargs)

    def add_trickle(self, path: str, total: int = 10_000, chunk: bytes = b"x", interval: float = 1.0) -> None:
        """A server that sends one small chunk per interval: only a total deadline stops it."""
        self.routes[path] = Route(stream_total=total, chunk=chunk, interval=interval, declare_length=True)

    def add_gzip_bomb(self, path: str, expanded_bytes: int = 200 * 1024 * 1024) -> None:
        """A small gzip body that expands to `expanded_bytes` of HTML."""
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
        block = b" " * (1024 * 1024)
        parts = [packer.compress(b"<html><body>")]
        parts.extend(packer.compress(block) for _ in range(expanded_bytes // len(block)))
        parts.append(packer.flush())
        self.routes[path] = Route(body=b"".join(parts), headers={"Content-Encoding": "gzip"})
