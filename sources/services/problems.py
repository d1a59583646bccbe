"""Why a source could not be read, said in plain language.

Connectors raise `ConnectorError`s whose text is written for logs ("https://x/feed failed:
[Errno -2] Name or service not known"). `source_problem_explain` turns one into a sentence a
client admin can act on ("The address x does not exist"), and keeps the raw text beside it for
the details line. It reads the exception chain (httpx wraps httpcore, which wraps the socket's
own error), so the answer does not depend on how a library words its message; the connectors'
own messages ("answered 404", "is not a readable feed") are read from their text.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

from sources.connectors import ConfigError, RateLimited
from sources.connectors.http import BlockedAddress, ResponseTooLarge

_URL = re.compile(r"https?://[^\s'\"<>]+")
_STATUS = re.compile(r"\banswered (\d{3})\b")
_NOT_A_FEED = re.compile(r"is not a readable feed|not well-formed|did not send JSON", re.I)
# What the resolver says when a name has no address (glibc, musl, macOS), for errors that
# reach us only as text.
_NO_SUCH_NAME = re.compile(
    r"Name or service not known|nodename nor servname|No address associated|"
    r"Cannot resolve [^:]+: (no address|Name)",
    re.I,
)
_NAME_LOOKUP_FAILED = re.compile(r"Temporary failure in name resolution|Cannot resolve", re.I)


@dataclass(frozen=True)
class SourceProblem:
    """What went wrong: `message` for people, `detail` the raw error, `kind` for tests/logs."""

    kind: str  # dns, refused, timeout, tls, http, not_a_feed, blocked, too_large, rate_limited,
    # config, unknown
    message: str
    detail: str


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


_HOST_IN_TEXT = re.compile(r"^Cannot resolve ([^\s:]+):|^([^\s:]+) resolves to ")


def _host(text: str, fallback_url: str) -> str:
    for candidate in (*_URL.findall(text), fallback_url):
        host = urlsplit(candidate).hostname if candidate else None
        if host:
            return host
    named = _HOST_IN_TEXT.search(text)
    return next((group for group in named.groups() if group), "") if named else ""


def _status_phrase(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _http_message(*, code: int, noun: str) -> str:
    message = f"{noun} answered {_status_phrase(code)}"
    if code in (401, 403):
        return f"{message}: check the access token or credentials."
    if code in (404, 410):
        return f"{message}: check the address."
    if code >= 500:
        return f"{message}: the server has a problem; Lotse tries again later."
    return f"{message}."


def source_problem_explain(
    *,
    error: BaseException | str,
    url: str = "",
    kind: str = "",
    timeout_seconds: float | None = None,
) -> SourceProblem:
    """Explain why reading a source failed.

    `error` is the exception a connector raised (or, for errors stored before, its text);
    `url` the source's address when the error does not name one; `kind` the source kind
    ("rss" says "The feed", others "The server").
    """
    detail = str(error) if isinstance(error, str) else _detail(error)
    host = _host(detail, url)
    where = host or "(no address)"
    noun = {"rss": "The feed", "reviews": "The review page"}.get(kind, "The server")
    seconds = timeout_seconds if timeout_seconds is not None else _timeout_default()

    def problem(kind_: str, message: str) -> SourceProblem:
        return SourceProblem(kind=kind_, message=message, detail=detail)

    chain = [] if isinstance(error, str) else list(_chain(error))
    for exc in chain:
        if isinstance(exc, BlockedAddress):
            if "Only http and https" in str(exc):
                return problem("blocked", "Only http:// and https:// addresses can be read.")
            return problem(
                "blocked",
                f"The address {where} points into a private or local network; "
                "Lotse reads only public addresses.",
            )
        if isinstance(exc, RateLimited):
            return problem(
                "rate_limited",
                f"{where} asked Lotse to slow down; the next try is in {exc.retry_after:.0f} s.",
            )
        if isinstance(exc, ResponseTooLarge):
            return problem("too_large", f"{noun} at {where} is too large; Lotse stopped reading.")
        if isinstance(exc, ConfigError):
            return problem("config", f"The source's settings are not valid: {exc}.")
        if isinstance(exc, socket.gaierror):
            if exc.errno in (socket.EAI_AGAIN,):
                return problem(
                    "dns", f"The address {where} could not be looked up; Lotse tries again later."
                )
            return problem("dns", f"The address {where} does not exist.")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return problem(
                "tls",
                f"The secure connection to {where} failed: its certificate is not valid "
                f"({exc.verify_message or 'not trusted'}).",
            )
        if isinstance(exc, ssl.SSLError):
            return problem("tls", f"The secure connection (TLS) to {where} failed.")
        if isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException | TimeoutError):
            return problem("timeout", f"The server {where} did not answer within {seconds:g} s.")
        if isinstance(exc, ConnectionRefusedError) or (
            isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED
        ):
            return problem("refused", f"The server {where} refused the connection.")
        if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return problem("unreachable", f"The server {where} cannot be reached.")
    return _from_text(detail, where=where, noun=noun, seconds=seconds)


def _from_text(detail: str, *, where: str, noun: str, seconds: float) -> SourceProblem:
    """The same, from a message alone (connectors' own errors, errors stored as text)."""

    def problem(kind_: str, message: str) -> SourceProblem:
        return SourceProblem(kind=kind_, message=message, detail=detail)

    if status := _STATUS.search(detail):
        return problem("http", _http_message(code=int(status.group(1)), noun=noun))
    if _NOT_A_FEED.search(detail):
        what = "an RSS or Atom feed" if noun == "The feed" else "what Lotse expected"
        return problem("not_a_feed", f"{where} answered, but what it sent is not {what}.")
    if "private or local address" in detail:
        return problem(
            "blocked",
            f"The address {where} points into a private or local network; "
            "Lotse reads only public addresses.",
        )
    if _NO_SUCH_NAME.search(detail):
        return problem("dns", f"The address {where} does not exist.")
    if _NAME_LOOKUP_FAILED.search(detail):
        return problem(
            "dns", f"The address {where} could not be looked up; Lotse tries again later."
        )
    if re.search(r"Connection refused|\[Errno 111\]", detail):
        return problem("refused", f"The server {where} refused the connection.")
    if re.search(r"timed out", detail, re.I):
        return problem("timeout", f"The server {where} did not answer within {seconds:g} s.")
    if re.search(r"CERTIFICATE_VERIFY_FAILED|\bSSL\b|\bTLS\b", detail):
        return problem("tls", f"The secure connection (TLS) to {where} failed.")
    if detail.startswith("Rate limited"):
        return problem("rate_limited", f"{where} asked Lotse to slow down; it tries again later.")
    return problem("unknown", f"{where} could not be read.")


def _detail(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ConfigError | KeyError | ValueError) and not isinstance(exc, OSError):
        return f"{type(exc).__name__}: {text}"
    return text


def _timeout_default() -> float:
    return float(settings.LOTSE_FETCH_TIMEOUT_SECONDS)
