"""A real HTTP server on 127.0.0.1 that serves the feed fixtures, answers 304 to a matching ETag and counts hits."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FEEDS = Path(__file__).parent / "feeds"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    headers: dict = field(default_factory=dict)
    declare_length: bool = True
    delay: float = 0.0


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: Counter = Counter()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.http.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes | str = b"", **route) -> str:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **route)
        return self.url(path)

    def serve_fixture(self, path: str, name: str, **route) -> str:
        return self.serve(path, (FEEDS / name).read_bytes(), **route)

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        return self.serve(path, status=status, headers={"Location": to})

    def handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                route = server.routes.get(self.path)
                with server.lock:
                    server.hits[self.path] += 1
                    server.requests.append({"path": self.path, **dict(self.headers)})
                if route is None:
                    self.send_error(404)
                    return
                time.sleep(route.delay)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.declare_length:
                    self.send_header("Content-Length", str(len(route.body)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading on purpose (size cap)

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def allow_private(settings):
    """The feed server lives on 127.0.0.1, which production refuses; these tests opt in like an intranet install."""
    settings.CHORUS_OUTBOUND_ALLOW_PRIVATE = True
