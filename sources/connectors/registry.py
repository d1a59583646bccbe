from __future__ import annotations

import importlib

from sources.connectors.base import Connector
from sources.connectors.http import SafeHttpClient
from sources.credentials import credentials_decrypt
from sources.models import Source

# Every connector module; importing one registers its connector class.
CONNECTOR_MODULES = (
    "sources.connectors.rss",
    "sources.connectors.mastodon",
    "sources.connectors.bluesky",
    "sources.connectors.reddit",
    "sources.connectors.x",
    "sources.connectors.reviews",
    "sources.connectors.demo",
)

_REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    _REGISTRY[cls.kind] = cls
    return cls


def _load() -> None:
    for module in CONNECTOR_MODULES:
        importlib.import_module(module)


def connector_class(kind: str) -> type[Connector]:
    _load()
    try:
        return _REGISTRY[kind]
    except KeyError as exc:
        raise KeyError(f"No connector for source kind {kind!r}") from exc


def connector_kinds() -> list[str]:
    """The kinds people may add as polled sources."""
    _load()
    return sorted(kind for kind, cls in _REGISTRY.items() if cls.pollable)


def connector_for_source(
    *,
    source: Source,
    http: SafeHttpClient,
    search_terms: list[str] | None = None,
    native_query: str | None = None,
) -> Connector:
    """The source's connector with its configuration and decrypted credentials. Polling
    passes the client's listening queries; posting a reply needs none."""
    cls = connector_class(source.kind)
    return cls(
        config=source.config,
        credentials=credentials_decrypt(source.credentials_encrypted),
        http=http,
        search_terms=search_terms,
        native_query=native_query,
    )
