"""Connectors: one interface for every network, feed and portal Lotse listens to.

A connector fetches one page at a time from a cursor, normalizes what it got into the
documented mention format (`sources.formats`), and reports items it could not read without
failing the page. It never touches the database: `sources.services.polling` stores pages and
cursors together, so a restart neither loses nor repeats anything.
"""

from sources.connectors.base import (
    ConfigError,
    Connector,
    ConnectorError,
    FetchPage,
    RateLimited,
    ReplyNotSupported,
)
from sources.connectors.registry import connector_class, connector_kinds

__all__ = [
    "ConfigError",
    "Connector",
    "ConnectorError",
    "FetchPage",
    "RateLimited",
    "ReplyNotSupported",
    "connector_class",
    "connector_kinds",
]
