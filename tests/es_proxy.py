"""A loopback HTTP hop in front of a real Elasticsearch node, for fault tests.

``NodeProxy`` forwards every request to the node unchanged, unless ``intercept`` answers it
itself: ``ThrottlingProxy``-style back-pressure (429) or ``AuthenticatingProxy``'s 401 to a
request without the right credentials, each with the body and headers Elasticsearch sends.
"""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

ELASTIC_HEADERS = {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"}


class NodeProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.target = target
        self.lock = threading.Lock()
        self.http = httpx.Client(timeout=60)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def intercept(self, method: str, path: str, headers) -> tuple[int, dict, bytes] | None:
        """Answer a request here as ``(status, headers, body)``; None forwards it."""
        return None

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.http.close()


class AuthenticatingProxy(NodeProxy):
    """The security layer of a secured cluster, in front of the distribution without one:
    only requests carrying ``Authorization: Basic`` for ``user``/``password`` or
    ``Authorization: ApiKey <api_key>`` reach the node; others get Elasticsearch's 401."""

    def __init__(self, target: str, user: str, password: str, api_key: str):
        super().__init__(target)
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.accepted = {f"Basic {basic}", f"ApiKey {api_key}"}
        self.user = user
        self.refused = 0
        self.forwarded = 0

    def intercept(self, method, path, headers):
        if headers.get("Authorization") in self.accepted:
            with self.lock:
                self.forwarded += 1
            return None
        with self.lock:
            self.refused += 1
        challenge = ['Basic realm="security", charset="UTF-8"', 'ApiKey']
        reason = f"unable to authenticate user [{self.user}] for REST request [{path}]"
        error = {"type": "security_exception", "reason": reason,
                 "header": {"WWW-Authenticate": challenge}}
        body = json.dumps({"error": {"root_cause": [error], **error}, "status": 401}).encode()
        return 401, {**ELASTIC_HEADERS, "WWW-Authenticate": challenge[0]}, body


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server: NodeProxy = self.server
        answer = server.intercept(self.command, self.path, self.headers)
        if answer is not None:
            return self._reply(*answer)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection", "authorization")}
        upstream = server.http.request(self.command, server.target + self.path,
                                       headers=headers, content=body)
        keep = {k: v for k, v in upstream.headers.items()
                if k.lower() in ("content-type", "x-elastic-product")}
        self._reply(upstream.status_code, keep, upstream.content)

    def _reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, *args):
        pass
