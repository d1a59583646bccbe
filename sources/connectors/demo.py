"""The demo network (`sources.demo_network`): the demo sources' mentions are pushed by
`manage.py demo_stream`, and replies go back to the network over its Mastodon-compatible API.

The network's address is the deployment's (settings.LOTSE_DEMO_NETWORK_URL), never a
client's input: that is why this connector, alone, may reach it on loopback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings

from sources.connectors.base import (
    Connector,
    ConnectorError,
    FetchPage,
    FetchWindow,
    PostedReply,
    ReplyNotSupported,
)
from sources.connectors.http import SafeHttpClient
from sources.connectors.mastodon import MastodonConnector
from sources.connectors.registry import register

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@register
class DemoConnector(Connector):
    kind = "demo"
    network = "demo"
    label = "Demo network"
    pollable: ClassVar[bool] = False  # pushed by demo_stream
    reply_max_chars = 500
    credential_fields = {"access_token": "The account that answers on the demo network"}

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def fetch(self, cursor: Mapping[str, Any], window: FetchWindow | None = None) -> FetchPage:
        raise ConnectorError("The demo network pushes its posts (manage.py demo_stream)")

    def reply(self, *, in_reply_to: str, text: str) -> str:
        return self.post_reply(in_reply_to=in_reply_to, text=text).external_id

    def post_reply(self, *, in_reply_to: str, text: str) -> PostedReply:
        instance = str(settings.LOTSE_DEMO_NETWORK_URL)
        config = {"instance": instance, "hashtags": [], "search": True}
        credentials = self.credentials
        if (urlsplit(instance).hostname or "") not in _LOOPBACK:
            mastodon = MastodonConnector(config=config, credentials=credentials, http=self.http)
            return self._posted(mastodon, in_reply_to=in_reply_to, text=text)
        with SafeHttpClient(allow_private=True) as http:
            mastodon = MastodonConnector(config=config, credentials=credentials, http=http)
            return self._posted(mastodon, in_reply_to=in_reply_to, text=text)

    @staticmethod
    def _posted(mastodon: MastodonConnector, *, in_reply_to: str, text: str) -> PostedReply:
        try:
            return mastodon.post_reply(in_reply_to=in_reply_to, text=text)
        except ReplyNotSupported:
            raise
        except ConnectorError as exc:
            raise ConnectorError(
                f"The demo network did not take the reply ({exc}); is `manage.py demo_stream` "
                "running?"
            ) from exc
