"""The only way connectors reach the network: size-, time- and address-limited HTTP.

User-entered URLs must not reach private, loopback or link-local addresses (server-side
request forgery) unless `LOTSE_ALLOW_PRIVATE_NETWORKS` is set, as tests and the demo do.
Every connection, redirects included, is checked where it is made: the host name is resolved
once, every address it has must be public, and the socket connects to the address that was
checked (TLS still names the host: SNI and certificate checks are unchanged), so a DNS
answer that changes between check and connect (rebinding) cannot reach inside. Bodies are cut
off at `max_bytes`.
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

import httpcore
import httpx
from django.conf import settings

from sources.connectors.base import ConnectorError, RateLimited

USER_AGENT = "Lotse/0.1 (+social listening; respects robots and rate limits)"


class BlockedAddress(ConnectorError):
    pass


class ResponseTooLarge(ConnectorError):
    pass


# IPv6 ranges that carry an IPv4 address inside (NAT64, 6to4, IPv4-compatible): a "public"
# looking IPv6 address there can lead to a private IPv4 one, so they are refused outright.
_EMBEDDING_IPV4 = tuple(
    ipaddress.ip_network(net) for net in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "::/96")
)


def _address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif any(ip in net for net in _EMBEDDING_IPV4):
            return False
    return ip.is_global and not ip.is_multicast


def address_resolve_public(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be public
    (else BlockedAddress); the first is returned, so the caller connects to what was checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectorError(f"Cannot resolve {host}: {exc.strerror}") from exc
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if not _address_is_public(address):
            raise BlockedAddress(f"{host} resolves to {address}, a private or local address")
    if not addresses:
        raise ConnectorError(f"Cannot resolve {host}: no address")
    return addresses[0]


class _PinnedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to checked public addresses."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        address = address_resolve_public(host.strip("[]"), port)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


def url_check_allowed(url: str, *, allow_private: bool | None = None) -> None:
    """Raise BlockedAddress unless `url` is http(s) and every address it resolves to is public."""
    if allow_private is None:
        allow_private = settings.LOTSE_ALLOW_PRIVATE_NETWORKS
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedAddress(f"Only http and https URLs are allowed, not {url!r}")
    if allow_private:
        return
    address_resolve_public(parts.hostname, parts.port or 443)


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
        transport = httpx.HTTPTransport()
        if not self.allow_private:
            # httpx has no public hook for the connect step; its pool takes a network backend.
            # tests/connectors hold that the pinned backend is the one used.
            transport._pool._network_backend = _PinnedBackend()
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout or settings.LOTSE_FETCH_TIMEOUT_SECONDS),
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            event_hooks={"request": [self._check_request]},
            transport=transport,
            trust_env=False,
        )

    def _check_request(self, request: httpx.Request) -> None:
        """Scheme and host, for every request and redirect; the addresses are checked where
        the connection is made (`_PinnedBackend`), once."""
        url_check_allowed(str(request.url), allow_private=True)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        try:
            with self._client.stream(
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                data=data,
                content=content,
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
