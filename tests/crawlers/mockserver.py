"""A small real HTTP server on 127.0.0.1 for crawler tests: serves saved pages from
``tests/crawlers/pages/`` (or any bytes) at chosen paths and records every request.

    with MockServer() as server:
        server.page(feed_path("cn", "1000000001", 1), "appstore_page1.json")
        server.route("/x", Reply(503, b"", {"Retry-After": "1"}), saved("appstore_page1.json"))
        ... server.url ... server.requested_paths()

A route given several replies answers them in order and then repeats the last one. Unknown
paths answer 404; ``/robots.txt`` allows everything unless routed. A path is matched with its
query string. POST requests are routed the same way and may also be routed by their JSON
body: ``server.route_post(path, key_function, {key: [replies]})`` (Ctrip's page index is in
the body); ``server.bodies`` records each POST body. GETs may be routed by their query
parameters: ``server.route_query(path, key_function, {key: [replies]})`` (signed URLs).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

PAGES = Path(__file__).with_name("pages")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


CONTENT_TYPES = {".json": "application/json; charset=utf-8", ".jsonp": "text/html;charset=GBK",
                 ".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8"}


def saved(filename: str, status: int = 200) -> Reply:
    """A reply carrying the saved page ``filename``."""
    path = PAGES / filename
    return Reply(status, path.read_bytes(),
                 {"Content-Type": CONTENT_TYPES.get(path.suffix, "application/octet-stream")})


class MockServer:
    def __init__(self) -> None:
        robots = Reply(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
        self.routes: dict[str, list[Reply]] = {"/robots.txt": [robots]}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        self.bodies: list[bytes] = []
        self.post_routes: dict[str, tuple] = {}
        self.query_routes: dict[str, tuple] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def route(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self.routes[path] = list(replies)

    def route_post(self, path: str, key, replies_by_key: dict) -> None:
        """POSTs to ``path`` answer from ``replies_by_key[key(json_body)]`` (in order, the
        last repeating); an unknown key answers 404."""
        with self._lock:
            self.post_routes[path] = (key, {k: list(v) for k, v in replies_by_key.items()})

    def route_query(self, path: str, key, replies_by_key: dict) -> None:
        """GETs to ``path`` with any query answer from ``replies_by_key[key(query)]`` (query:
        a dict of the parameters' first values; in order, the last repeating); an unknown key
        answers 404. For APIs whose URL carries a timestamp or a signature."""
        with self._lock:
            self.query_routes[path] = (key, {k: list(v) for k, v in replies_by_key.items()})

    def page(self, path: str, filename: str, status: int = 200) -> None:
        self.route(path, saved(filename, status))

    def requested_paths(self) -> list[str]:
        with self._lock:
            return [path for _method, path, _headers in self.requests]

    def __enter__(self) -> "MockServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, method: str, path: str, headers: dict[str, str],
                body: bytes = b"") -> Reply:
        with self._lock:
            self.requests.append((method, path, headers))
            replies = self.routes.get(path)
            route, _, query = path.partition("?")
            if method == "GET" and route in self.query_routes:
                key, by_key = self.query_routes[route]
                replies = by_key.get(key({k: v[0] for k, v in parse_qs(query).items()}))
            if method == "POST":
                self.bodies.append(body)
                if path in self.post_routes:
                    key, by_key = self.post_routes[path]
                    try:
                        replies = by_key.get(key(json.loads(body)))
                    except (ValueError, KeyError, TypeError):
                        replies = None
            if not replies:
                return Reply(404, b'{"error": "not found"}')
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._send(mock._answer("GET", self.path, dict(self.headers.items())))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._send(mock._answer("POST", self.path, dict(self.headers.items()), body))

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
