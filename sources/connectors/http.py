"""The only way connectors reach the network: size-, time- and address-limited HTTP.

User-entered URLs must not reach private, loopback or link-local addresses (server-side
request forgery) unless `LOTSE_ALLOW_PRIVATE_NETWORKS` is set, as tests and the demo do.
Every request, redirects included, is checked; bodies are cut off at `max_bytes`.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from sources.connectors.base import ConnectorError, RateLimited

USER_AGENT = "Lotse/0.1 (+social listening; respects robots and rate limits)"


class BlockedAddress(ConnectorError):
    pass


class ResponseTooLarge(ConnectorError):
    pass


def _address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_check_allowed(url: str, *, allow_private: bool | None = None) -> None:
    """Raise BlockedAddress unless `url` is http(s) and every address it resolves to is public."""
    if allow_private is None:
        allow_private = settings.LOTSE_ALLOW_PRIVATE_NETWORKS
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedAddress(f"Only http and https URLs are allowed, not {url!r}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectorError(f"Cannot resolve {parts.hostname}: {exc.strerror}") from exc
    for info in infos:
        address = str(info[4][0])
        if not _address_is_public(address):
            raise BlockedAddress(
                f"{parts.hostname} resolves to {address}, a private or local address"
            )


def retry_after_seconds(headers: httpx.Headers, *, default: float = 60.0) -> float:
    """Seconds to wait from Retry-After (seconds or HTTP date) or x-rate-limit-reset (epoch)."""
    value = headers.get("retry-after")
    if value:
        if value.strip().isdigit():
            return float(value)
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return max(0.0, (parsed - datetime.now(UTC)).total_seconds())
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if value:
            try:
                number = float(value)
            except ValueError:
                # Mastodon sends an ISO timestamp.
                try:
                    reset = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                except ValueError:
                    continue
                if reset.tzinfo is None:
                    reset = reset.replace(tzinfo=UTC)
                return max(0.0, (reset - datetime.now(UTC)).total_seconds())
            # Epoch seconds (X) or seconds to wait.
            return max(0.0, number - time.time()) if number > 1_000_000_000 else number
    return default


@dataclass
class HttpResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    def json(self) -> Any:
        import json

        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    @property
    def encoding(self) -> str:
        content_type = self.headers.get("content-type", "")
        for part in content_type.split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return "utf-8"


class SafeHttpClient:
    """A small synchronous HTTP client for connectors (one per poll)."""

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
        allow_private: bool | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.max_bytes = max_bytes or settings.LOTSE_FETCH_MAX_BYTES
        self.allow_private = (
            settings.LOTSE_ALLOW_PRIVATE_NETWORKS if allow_private is None else allow_private
        )
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout or settings.LOTSE_FETCH_TIMEOUT_SECONDS),
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            event_hooks={"request": [self._check_request]},
            trust_env=False,
        )

    def _check_request(self, request: httpx.Request) -> None:
        url_check_allowed(str(request.url), allow_private=self.allow_private)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json: Any = None,
        data: Any = None,
    ) -> HttpResponse:
        try:
            with self._client.stream(
                method, url, params=params, headers=headers, json=json, data=data
            ) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ResponseTooLarge(
                            f"{url} sent more than {self.max_bytes} bytes; stopped reading"
                        )
                    chunks.append(chunk)
                result = HttpResponse(
                    status_code=response.status_code,
                    headers=response.headers,
                    content=b"".join(chunks),
                    url=str(response.url),
                )
        except httpx.TimeoutException as exc:
            raise ConnectorError(f"{url} timed out") from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"{url} failed: {exc}") from exc
        if result.status_code == 429:
            raise RateLimited(retry_after_seconds(result.headers), url=url)
        if result.status_code == 503 and "retry-after" in result.headers:
            raise RateLimited(retry_after_seconds(result.headers), url=url)
        return result

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", url, **kwargs)

    def get_ok(self, url: str, **kwargs: Any) -> HttpResponse:
        """GET and raise ConnectorError with the status unless it is 2xx."""
        response = self.get(url, **kwargs)
        if not 200 <= response.status_code < 300:
            raise ConnectorError(f"{url} answered {response.status_code}")
        return response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SafeHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
