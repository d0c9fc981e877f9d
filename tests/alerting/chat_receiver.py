"""A real HTTP server on loopback standing in for a chat platform's bot endpoint: it records
every request (path with query, headers, body) and answers from a script of replies."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatReceiver:
    """``replies``: ``(status, body)`` answered in order; after them, ``(200, ok_body)``."""

    def __init__(self, ok_body: dict | str, replies: list[tuple[int, dict | str]] | None = None):
        self.ok_body, self.replies = ok_body, list(replies or [])
        self.requests: list[tuple[str, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.path, dict(self.headers), body))
                status, reply = (receiver.replies.pop(0) if receiver.replies
                                 else (200, receiver.ok_body))
                data = reply if isinstance(reply, str) else json.dumps(reply)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # the OS picks: no race
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
