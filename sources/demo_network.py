"""The demo network: a small Mastodon-compatible server on loopback where the demo's made-up
posts live and where replies sent from Lotse land, threaded under the post they answer.

`manage.py demo_stream` runs it next to its pushes (scripts/run.sh starts both): every
made-up mention is first posted here, so its `url` opens a real page, and the demo sources'
connector (`sources.connectors.demo`) answers it with Mastodon's `POST /api/v1/statuses`
(`in_reply_to_id`, `Idempotency-Key`). Open the server's address in a browser to read what
was sent: the newest replies with the posts they answer, or one thread.

What it keeps is appended to a JSON-lines file (settings.LOTSE_DEMO_NETWORK_FILE), so a
restart keeps posts and replies. The account that answers is named by its bearer token (the
demo sources carry their client's slug); this is a demo, not an identity provider.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

MAX_STATUS_CHARS = 500  # Mastodon's default
MAX_BODY_BYTES = 64 * 1024
PAGE_REPLIES = 50
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_THREAD_PATH_RE = re.compile(r"^/@([^/]{1,200})/([A-Za-z0-9_-]{1,100})$")
_POST_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_STATUS_PATH_RE = re.compile(r"^/api/v1/statuses/([A-Za-z0-9_-]{1,100})$")


@dataclass(frozen=True)
class DemoStatus:
    id: str
    account: str  # handle, without @
    name: str
    text: str
    created_at: str  # ISO 8601
    in_reply_to_id: str = ""
    idempotency_key: str = ""


class DemoNetworkStore:
    """Posts and replies, in memory and appended to `path` (None: memory only)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._statuses: dict[str, DemoStatus] = {}
        self._replies: dict[str, list[str]] = {}
        self._by_key: dict[tuple[str, str], str] = {}
        self._order: list[str] = []  # replies, oldest first
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    self._remember(DemoStatus(**json.loads(line)))
                except (TypeError, ValueError):
                    continue  # a line cut short by a crash

    def _remember(self, status: DemoStatus) -> None:
        self._statuses[status.id] = status
        if status.in_reply_to_id:
            self._replies.setdefault(status.in_reply_to_id, []).append(status.id)
            self._order.append(status.id)
        if status.idempotency_key:
            self._by_key[(status.account, status.idempotency_key)] = status.id

    def _append(self, status: DemoStatus) -> None:
        self._remember(status)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(asdict(status), ensure_ascii=False) + "\n")

    def post_add(self, *, post_id: str, handle: str, name: str, text: str, at: datetime) -> None:
        """A made-up post (what the demo stream then pushes to Lotse as a mention)."""
        status = DemoStatus(
            id=post_id, account=handle, name=name, text=text, created_at=at.isoformat()
        )
        with self._lock:
            if post_id not in self._statuses:
                self._append(status)

    def reply_add(
        self, *, account: str, text: str, in_reply_to_id: str, idempotency_key: str = ""
    ) -> tuple[DemoStatus, bool]:
        """The reply, and whether it is new (the same key again answers the first one).
        A post the network never saw (the demo's generated back history) gets a stand-in,
        so the reply still has a thread. KeyError without a post id."""
        if not _POST_ID_RE.match(in_reply_to_id):
            raise KeyError(in_reply_to_id)
        with self._lock:
            if idempotency_key and (account, idempotency_key) in self._by_key:
                return self._statuses[self._by_key[(account, idempotency_key)]], False
            if in_reply_to_id not in self._statuses:
                self._append(
                    DemoStatus(
                        id=in_reply_to_id,
                        account="history",
                        name="An older post",
                        text="(from the demo's back history; its text is kept in Lotse)",
                        created_at=datetime.now(UTC).isoformat(),
                    )
                )
            status = DemoStatus(
                id=uuid4().hex,
                account=account,
                name=account,
                text=text,
                created_at=datetime.now(UTC).isoformat(),
                in_reply_to_id=in_reply_to_id,
                idempotency_key=idempotency_key,
            )
            self._append(status)
            return status, True

    def get(self, status_id: str) -> DemoStatus | None:
        with self._lock:
            return self._statuses.get(status_id)

    def replies_to(self, status_id: str) -> list[DemoStatus]:
        with self._lock:
            return [self._statuses[i] for i in self._replies.get(status_id, [])]

    def newest_replies(self, limit: int = PAGE_REPLIES) -> list[tuple[DemoStatus, DemoStatus]]:
        """(reply, the post it answers), newest first."""
        with self._lock:
            newest = [self._statuses[i] for i in reversed(self._order[-limit:])]
            return [(reply, self._statuses[reply.in_reply_to_id]) for reply in newest]

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return len(self._statuses) - len(self._order), len(self._order)


def status_url(base_url: str, status: DemoStatus) -> str:
    return f"{base_url}/@{status.account}/{status.id}"


def status_json(base_url: str, status: DemoStatus) -> dict[str, Any]:
    """The status in the shape of Mastodon's Status entity (the fields Lotse reads)."""
    return {
        "id": status.id,
        "created_at": status.created_at,
        "in_reply_to_id": status.in_reply_to_id or None,
        "url": status_url(base_url, status),
        "uri": status_url(base_url, status),
        "content": f"<p>{escape(status.text)}</p>",
        "visibility": "public",
        "account": {"id": status.account, "acct": status.account, "username": status.account},
    }


# -- pages ------------------------------------------------------------------------------
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:44rem;margin:1rem auto;padding:0 1rem;"
    "color:#1b1f24}article{border:1px solid #d0d7de;border-radius:8px;padding:.75rem;"
    "margin:.75rem 0;overflow-wrap:anywhere}article.reply{margin-left:1.5rem;"
    "border-left:4px solid #0b6bcb}small{color:#57606a}p{white-space:pre-wrap;margin:.4rem 0}"
)


def _status_html(base_url: str, status: DemoStatus, *, reply: bool = False) -> str:
    who = escape(status.name or status.account)
    label = "Reply" if reply else "Post"
    return (
        f'<article class="{"reply" if reply else "post"}" aria-label="{label}">'
        f"<strong>{who}</strong> <small>@{escape(status.account)} · "
        f'<time datetime="{escape(status.created_at)}">{escape(_shown_time(status))}'
        f"</time> · "
        f'<a href="{escape(status_url(base_url, status))}">link</a></small>'
        f"<p>{escape(status.text)}</p></article>"
    )


def _shown_time(status: DemoStatus) -> str:
    try:
        moment = datetime.fromisoformat(status.created_at).astimezone(UTC)
    except ValueError:
        return status.created_at
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}{'' if number == 1 else 's'}"


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"{body}</body></html>"
    ).encode()


def home_page(store: DemoNetworkStore, base_url: str) -> bytes:
    posts, replies = store.counts()
    items = [
        _status_html(base_url, post) + _status_html(base_url, reply, reply=True)
        for reply, post in store.newest_replies()
    ]
    body = (
        "<h1>Demo network</h1><p>The made-up posts of the Lotse demo live here, and the "
        "replies sent from Lotse land here, under the post they answer. "
        f"{_count(posts, 'post')}, {_count(replies, 'reply').replace('replys', 'replies')}."
        "</p><h2>Newest replies</h2>"
        + (
            "".join(items)
            or "<p>No replies yet. Answer a demo mention publicly in Lotse; once it is "
            "sent (or approved and sent) it shows up here.</p>"
        )
    )
    return _page("Demo network", body)


def thread_page(store: DemoNetworkStore, base_url: str, status: DemoStatus) -> bytes:
    parts = []
    parent = store.get(status.in_reply_to_id) if status.in_reply_to_id else None
    if parent is not None:
        parts.append(_status_html(base_url, parent))
    parts.append(_status_html(base_url, status, reply=parent is not None))
    parts.extend(_status_html(base_url, reply, reply=True) for reply in store.replies_to(status.id))
    body = '<p><a href="/">Demo network</a></p><h1>Thread</h1>' + "".join(parts)
    return _page(f"@{status.account} on the demo network", body)


# -- server -----------------------------------------------------------------------------
class DemoNetworkServer:
    """The HTTP server, in a thread: `with DemoNetworkServer(store, port=8010) as server:`."""

    def __init__(self, store: DemoNetworkStore, *, host: str = "127.0.0.1", port: int = 0):
        self.store = store
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    def __enter__(self) -> DemoNetworkServer:
        self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _handler(network: DemoNetworkServer) -> type[BaseHTTPRequestHandler]:
    store = network.store

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8")

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/":
                self._send(200, home_page(store, network.url), "text/html; charset=utf-8")
                return
            if match := _STATUS_PATH_RE.match(path):
                status = store.get(match.group(1))
                if status is None:
                    self._json(404, {"error": "Record not found"})
                else:
                    self._json(200, status_json(network.url, status))
                return
            if (match := _THREAD_PATH_RE.match(path)) and (status := store.get(match.group(2))):
                page = thread_page(store, network.url, status)
                self._send(200, page, "text/html; charset=utf-8")
                return
            self._send(404, _page("Not found", "<h1>Not found</h1>"), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/api/v1/statuses":
                self._json(404, {"error": "Record not found"})
                return
            account = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            if not _ACCOUNT_RE.match(account):
                self._json(401, {"error": "The access token is invalid"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._json(413, {"error": "Request too large"})
                return
            raw = self.rfile.read(length).decode("utf-8", "replace")
            if (self.headers.get("Content-Type") or "").startswith("application/json"):
                try:
                    form = {k: str(v) for k, v in dict(json.loads(raw)).items()}
                except (TypeError, ValueError):
                    self._json(400, {"error": "Unreadable JSON"})
                    return
            else:
                form = {key: values[0] for key, values in parse_qs(raw).items()}
            text = form.get("status", "")
            if not text.strip():
                self._json(422, {"error": "Validation failed: Text can't be blank"})
                return
            if len(text) > MAX_STATUS_CHARS:
                self._json(
                    422,
                    {"error": f"Validation failed: Text character limit of {MAX_STATUS_CHARS}"},
                )
                return
            try:
                status, _new = store.reply_add(
                    account=account,
                    text=text,
                    in_reply_to_id=form.get("in_reply_to_id", ""),
                    idempotency_key=self.headers.get("Idempotency-Key") or "",
                )
            except KeyError:
                self._json(404, {"error": "Record not found"})
                return
            self._json(200, status_json(network.url, status))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
