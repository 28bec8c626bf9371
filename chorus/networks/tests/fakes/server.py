"""The harness every network fake stands on: a real HTTP server on 127.0.0.1 in a thread, routes, and faults.

A fake implements the documented requests, answers and errors of its network (subclass `FakeApi`, add routes
with `@route`, answer error shapes in `refused`, `rate_limited`, `auth_expired`); the harness adds the faults
every contract test injects: refuse before handling, rate-limit, an expired token, and three that strike AFTER
the request took effect: hang up (the caller never hears back), a gateway's server error, and a cut-off body.
"""

import json
import re
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROUTE_ATTRIBUTE = "_fake_route"


def route(method: str, pattern: str):
    """Mark a FakeApi method as the handler of `method` on paths matching `pattern` (a full-match regex)."""

    def mark(handler):
        setattr(handler, ROUTE_ATTRIBUTE, (method.upper(), re.compile(pattern)))
        return handler

    return mark


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route's pattern

    @property
    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    @property
    def uploads(self) -> dict[str, tuple[str, str, bytes]]:
        """The files of a multipart/form-data body: {field: (file name, content type, bytes)}."""
        kind = self.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            return {}
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + self.body)
        return {part.get_param("name", header="content-disposition"):
                (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
                for part in message.iter_parts() if part.get_filename()}

    def arg(self, name: str, default: str = "") -> str:
        """A parameter from the query string, a form body or a JSON body, as APIs accept them interchangeably."""
        if name in self.query:
            return self.query[name]
        if name in self.form:
            return self.form[name]
        if self.body.startswith(b"{"):
            value = self.json.get(name, default)
            return value if isinstance(value, str) else json.dumps(value)
        return default


@dataclass
class Answer:
    status: int
    body: dict | list | str | bytes
    headers: dict[str, str] = field(default_factory=dict)


HANG_UP = Answer(0, b"")  # close the connection without answering
REFUSALS = ("forbidden", "not_found", "captcha", "content_refused")


class FakeApi:
    """Subclass per network. State lives on the instance; `faults` holds what the next requests will suffer."""

    network = ""
    processes_video = False  # the network processes an uploaded video before a post may carry it

    def __init__(self):
        self.server: ThreadingHTTPServer | None = None
        self.faults: list[str] = []  # consumed one per state-changing request: refuse, rate_limit, hang_up, ...
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        # Look routes up on the class, so properties (like `url`) are not evaluated before the server runs.
        self.routes = [(getattr(member, ROUTE_ATTRIBUTE), getattr(self, name)) for name, member in
                       ((n, getattr(type(self), n, None)) for n in dir(type(self))) if hasattr(member, ROUTE_ATTRIBUTE)]

    # Faults -------------------------------------------------------------------------------------------------
    def fail_next(self, *faults: str) -> None:
        """Queue faults for the next requests that change state, one each: refuse, rate_limit, auth_expired,
        reject or one of REFUSALS (nothing happens), or hang_up, error_after, garbled (it happened, the answer is
        lost). "pass" lets one request through untouched: `fail_next("pass", "hang_up")` strikes the second write."""
        self.faults.extend(faults)

    def failed_after(self, request: Request) -> Answer:
        """What a proxy in front of the network answers when the request went in but the answer did not come back."""
        return Answer(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})

    def refused(self, request: Request) -> Answer:
        return Answer(503, {"error": "Service Unavailable"})

    def rate_limited(self, request: Request) -> Answer:
        return Answer(429, {"error": "Too Many Requests"}, {"Retry-After": "30"})

    def auth_expired(self, request: Request) -> Answer:
        return Answer(401, {"error": "invalid token"})

    def rejected(self, request: Request) -> Answer:
        """The network refuses the content itself (too long, forbidden words, bad media)."""
        return Answer(400, {"error": "content rejected"})

    # Refusals only some networks have, in the network's own words; None where it has no such answer.
    def forbidden(self, request: Request) -> Answer | None:
        """The account may not do this (a right was taken away, the bot was removed)."""
        return None

    def not_found(self, request: Request) -> Answer | None:
        """What the request names (the chat, the group, the post replied to) is not there."""
        return None

    def captcha(self, request: Request) -> Answer | None:
        """A person has to prove to the network that they are human before it goes on."""
        return None

    def content_refused(self, request: Request) -> Answer | None:
        """The network's own rules refuse this content (a censor match, a duplicate), whatever its form."""
        return None

    def documented_refusals(self) -> set[str]:
        return {name for name in REFUSALS if getattr(type(self), name) is not getattr(FakeApi, name)}

    # What the contract tests read on the network's side; each fake implements them over its own state.
    def remote_posts(self) -> list[dict]:
        """Posts that exist now: [{"remote_id", "text"}]."""
        raise NotImplementedError

    def posted_videos(self) -> list[bytes]:
        """The video files attached to the posts that exist now, as the network received them, in order."""
        raise NotImplementedError

    def fail_video_processing(self) -> None:
        """The network takes the next video but cannot process it (a broken stream, a codec it lacks)."""
        raise NotImplementedError

    def own_parts(self) -> list[dict]:
        """Everything of ours that exists now, replies in a thread and a post's separate messages included."""
        return self.remote_posts()

    def add_comment(self, post_remote_id: str, author_name: str, text: str) -> str:
        raise NotImplementedError

    def add_direct_message(self, author_name: str, text: str) -> str:
        """A person writes to the account or community privately (where the network has messages)."""
        raise NotImplementedError

    public_handle = ""  # a public page the fake serves, with at least one post

    def changes_state(self, request: Request) -> bool:
        return request.method in {"POST", "PUT", "PATCH", "DELETE"}

    # Serving ------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
            fault = self.faults.pop(0) if self.faults and self.changes_state(request) else None
            if fault == "refuse":
                return self.refused(request)
            if fault == "rate_limit":
                return self.rate_limited(request)
            if fault == "auth_expired":
                return self.auth_expired(request)
            if fault == "reject":
                return self.rejected(request)
            if fault in REFUSALS:
                return getattr(self, fault)(request)
            answer = self.dispatch(request)
            if fault == "error_after":
                return self.failed_after(request)
            if fault == "garbled":  # the body was cut off on its way back
                return Answer(answer.status, b'{"ok": tr', {"Content-Type": "application/json"})
            return HANG_UP if fault == "hang_up" else answer

    def dispatch(self, request: Request) -> Answer:
        for (method, pattern), handler in self.routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                return handler(request)
        return Answer(404, {"error": f"no route {request.method} {request.path}"})

    def start(self) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = {}
                if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
                request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, body, form)
                answer = api.handle(request)
                if answer is HANG_UP:
                    self.close_connection = True
                    return
                payload = answer.body if isinstance(answer.body, bytes) else (
                    answer.body.encode() if isinstance(answer.body, str) else json.dumps(answer.body).encode())
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        if self.server is None:
            return ""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
