"""Serve recorded HTTP traffic from a real server on loopback, for connector tests.

    with ReplayServer() as server:
        server.add("GET", "/api/v1/timelines/tag/lotse", body=b"[...]",
                   headers={"Content-Type": "application/json"})
        connector = SomeConnector(config={"instance": server.url}, ...)

Routes match on method and path; a route with a query string only matches that query (in any
parameter order), a route without one matches any query. Several responses for one route
are served in turn (the last repeats), which is how pagination and 429-then-200 are tested.
Requests are recorded in `server.requests` (method, path, query dict, headers).
"""

from __future__ import annotations

import gzip
import json
import threading
from base64 import b64decode
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RECORDINGS = SHARED_DATA / "recordings"
# Recordings of our own, written from the networks' documented request and answer shapes (in
# the same cassette formats), for traffic the shared folder has none of: posting replies.
OWN_RECORDINGS = Path(__file__).resolve().parent / "recordings"


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class ReplayServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str, frozenset[tuple[str, str]] | None], list[Reply]] = {}
        self.served: dict[tuple[str, str, frozenset[tuple[str, str]] | None], int] = {}
        self.requests: list[Recorded] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    # -- routes -------------------------------------------------------------------------
    def add(
        self,
        method: str,
        path_and_query: str,
        *,
        status: int = 200,
        body: bytes | str | Any = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(path_and_query)
        query = frozenset(parse_qsl(parts.query, keep_blank_values=True)) if parts.query else None
        if not isinstance(body, bytes | str):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        data = body.encode() if isinstance(body, str) else body
        key = (method.upper(), parts.path, query)
        self.routes.setdefault(key, []).append(Reply(status, dict(headers or {}), data))

    def _reply_for(self, method: str, path: str, query: frozenset[tuple[str, str]]) -> Reply:
        with self._lock:
            for key in ((method, path, query), (method, path, None)):
                if key in self.routes:
                    replies = self.routes[key]
                    index = self.served.get(key, 0)
                    self.served[key] = index + 1
                    return replies[min(index, len(replies) - 1)]
        return Reply(404, {"Content-Type": "text/plain"}, f"no route for {method} {path}".encode())

    # -- server -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> ReplayServer:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = frozenset(parse_qsl(parts.query, keep_blank_values=True))
                replay.requests.append(
                    Recorded(self.command, parts.path, dict(query), dict(self.headers), body)
                )
                reply = replay._reply_for(self.command, parts.path, query)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# -- recordings -----------------------------------------------------------------------
def vcr_interactions(path: Path) -> list[dict[str, Any]]:
    """Interactions of a vcrpy YAML cassette as dicts: method, uri, status, headers, body
    (bytes, gunzipped when the recording stored it gzip-compressed)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = []
    for interaction in data["interactions"]:
        request, response = interaction["request"], interaction["response"]
        body = response.get("body", {}).get("string", b"")
        result.append(_interaction(request, response, body))
    return result


def betamax_interactions(path: Path) -> list[dict[str, Any]]:
    """Interactions of a betamax JSON cassette (Reddit/praw) in the same shape."""
    data = json.loads(path.read_text(encoding="utf-8"))
    result = []
    for interaction in data.get("http_interactions") or data.get("interactions", []):
        request, response = interaction["request"], interaction["response"]
        body = response["body"]
        raw = (
            b64decode(body["base64_string"])
            if body.get("base64_string")
            else body.get("string", "")
        )
        result.append(_interaction(request, response, raw))
    return result


def _interaction(
    request: dict[str, Any], response: dict[str, Any], body: bytes | str
) -> dict[str, Any]:
    """One recorded exchange: first header values, the body as bytes and gunzipped when
    the recording kept it compressed (the replay server sends it plain)."""
    content = body.encode("utf-8") if isinstance(body, str) else body
    headers = {
        name: values[0] if isinstance(values, list) else str(values)
        for name, values in (response.get("headers") or {}).items()
    }
    if headers.get("Content-Encoding", headers.get("content-encoding", "")) == "gzip":
        content = gzip.decompress(content)
        headers = {k: v for k, v in headers.items() if k.lower() != "content-encoding"}
    sent = request.get("body")
    if isinstance(sent, dict):  # betamax keeps {"encoding": ..., "string": ...}
        sent = sent.get("string", "")
    return {
        "method": request["method"],
        "uri": request["uri"],
        "request_body": (sent or "").encode() if isinstance(sent, str | None) else sent,
        "status": int(response["status"]["code"]),
        "headers": headers,
        "body": content,
    }


def serve_interactions(server: ReplayServer, interactions: list[dict[str, Any]]) -> None:
    """Add every recorded interaction as a route (path and exact query)."""
    for item in interactions:
        parts = urlsplit(item["uri"])
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        server.add(
            item["method"], path, status=item["status"], body=item["body"], headers=item["headers"]
        )
