"""The demo review site over HTTP: the App Store feed of a ``DemoCatalogue`` as of ``clock()``,
an allow-all ``/robots.txt``, a webhook receiver at ``/hooks`` (``POST`` stores the JSON body;
``GET`` returns the list of bodies received, oldest first, the last ``HOOK_LIMIT`` kept — as an
HTML page when the client asks for HTML, as a browser does), and for people a home page (``/``)
saying what the site publishes and when, and a page per review (``/reviews/<id>``, the link
each feed entry carries); see ``crawlers.demo.pages``."""
from __future__ import annotations

import json
import re
import threading
from collections import deque
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from crawlers.demo import pages
from crawlers.demo.catalogue import DemoCatalogue
from crawlers.demo.feed import MAX_PAGES, render_page
from models.review import utcnow

HOOK_LIMIT = 500
FEED_URL = re.compile(r"^/(?P<country>[a-z]{2})/rss/customerreviews/page=(?P<page>\d+)"
                      r"/id=(?P<app_id>\d+)/sortby=mostrecent/json$")
REVIEW_URL = re.compile(r"^/reviews/(?P<native_id>\d+)$")
HTML = "text/html; charset=utf-8"

Reply = tuple[int, str, bytes]  # status, content type, body


class DemoSite:
    """Serves what ``catalogue`` has published as of ``clock()`` for app ``app_id``; any other
    app id gets an empty feed, as the real store does for an app without reviews."""

    def __init__(self, catalogue: DemoCatalogue, clock: Callable[[], datetime] = utcnow,
                 app_id: str = "1000000001"):
        self.catalogue, self.clock, self.app_id = catalogue, clock, app_id
        self._hooks: deque[dict] = deque(maxlen=HOOK_LIMIT)
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, body: bytes, base_url: str,
               accept: str = "") -> Reply:
        path = path.split("?", 1)[0]
        if path == "/robots.txt" and method == "GET":
            return 200, "text/plain; charset=utf-8", b"User-agent: *\nAllow: /\n"
        if path == "/" and method == "GET":
            return 200, HTML, pages.home(self.catalogue, self.clock(), self.app_id,
                                         len(self.hooks))
        if path == "/hooks":
            if method == "GET" and _prefers_html(accept):
                return 200, HTML, pages.hooks_page(self.hooks)
            return self._hooks_reply(method, body)
        review = REVIEW_URL.match(path)
        if review and method == "GET":
            return self._review_reply(review["native_id"])
        match = FEED_URL.match(path)
        if match and method == "GET":
            return self._feed_reply(match, base_url)
        return _json(404, {"error": f"no such page: {method} {path}"})

    @property
    def hooks(self) -> list[dict]:
        with self._lock:
            return list(self._hooks)

    def _feed_reply(self, match: re.Match, base_url: str) -> Reply:
        page = int(match["page"])
        if not 1 <= page <= MAX_PAGES:
            return _json(400, {"error": f"page must be within 1-{MAX_PAGES}"})
        as_of = self.clock()
        reviews = self.catalogue.published(as_of) if match["app_id"] == self.app_id else []
        return _json(200, render_page(reviews, page, base_url=base_url,
                                      country=match["country"], app_id=match["app_id"],
                                      as_of=as_of))

    def _review_reply(self, native_id: str) -> Reply:
        for review in self.catalogue.published(self.clock()):
            if review.native_id == native_id:
                return 200, HTML, pages.review_page(review)
        return _json(404, {"error": f"no such review (yet): {native_id}"})

    def _hooks_reply(self, method: str, body: bytes) -> Reply:
        if method == "GET":
            return _json(200, self.hooks)
        if method != "POST":
            return _json(405, {"error": "use GET or POST"})
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _json(400, {"error": f"the body is not UTF-8 JSON: {exc}"})
        with self._lock:
            self._hooks.append(payload)
        return _json(200, {"ok": True})


def _prefers_html(accept: str) -> bool:
    """A browser's Accept header (text/html listed before any JSON); API clients and tests
    sending nothing or */* get JSON."""
    kinds = [part.split(";")[0].strip() for part in accept.split(",")]
    if "text/html" not in kinds:
        return False
    return "application/json" not in kinds[:kinds.index("text/html")]


def _json(status: int, data: object) -> Reply:
    return status, "application/json; charset=utf-8", \
        json.dumps(data, ensure_ascii=False).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    site: DemoSite  # set on the subclass made by ``make_server``
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host, port = self.server.server_address[:2]
        status, ctype, payload = self.site.handle(
            self.command, self.path, body, f"http://{host}:{port}",
            self.headers.get("Accept", ""))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo is polled every few seconds; access logs would drown the console


def make_server(site: DemoSite, host: str = "127.0.0.1", port: int = 8081) -> ThreadingHTTPServer:
    handler = type("DemoSiteHandler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_demo_site(host: str = "127.0.0.1", port: int = 8081, seed: int = 7,
                    burst_after: float | None = 40.0, *, start: datetime | None = None,
                    clock: Callable[[], datetime] = utcnow,
                    burst_every: float | None = 900.0,
                    ) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start the demo site in a daemon thread; stop it with ``server.shutdown()``.
    ``burst_after``/``burst_every`` are seconds (None: no bursts / a single burst)."""
    catalogue = DemoCatalogue(
        seed, start or clock(),
        burst_after=None if burst_after is None else timedelta(seconds=burst_after),
        burst_every=None if not burst_every else timedelta(seconds=burst_every))
    server = make_server(DemoSite(catalogue, clock), host, port)
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    return server, thread
