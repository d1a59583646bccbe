"""The live inbox websocket: authenticate (done by the ASGI middleware), join the client's
group, forward events. It never writes to the ORM."""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from redis.exceptions import RedisError

from accounts.models import Client
from config.api import error_body
from config.live import ACCESS_CHANGED, department_group, user_group
from config.metrics import WEBSOCKETS, metric_inc
from config.tenancy import use_client, use_public_schema
from frontend.websocket import websocket_identify
from mentions.events import inbox_group, mention_departments
from mentions.selectors import mention_get_for_user

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_RECONNECT = 4001
# The channel layer's Redis does not answer: come back later (RFC 6455 "Try Again Later").
CLOSE_TRY_AGAIN_LATER = 1013
RETRY_AFTER_SECONDS = 5


PRESENCE_STATES = ("viewing", "typing", "left")


def mention_audience(scope: dict[str, Any], mention_id: int) -> set[int] | None:
    """The departments that see `mention_id`, if the connected user may see it; else None."""

    client = Client.objects.filter(pk=scope.get("lotse_client_id")).first()
    if client is None:
        return None
    use_client(client)
    try:
        mention = mention_get_for_user(user=scope["user"], mention_id=mention_id)
        return mention_departments(mention)
    except Http404:
        return None
    finally:
        use_public_schema()


class InboxConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()
    counted = False  # in the websocket gauge of /metrics

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visible_mentions: dict[int, set[int]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Without the channel layer's Redis, no socket can get events: a handshake is
        refused with 503 and Retry-After (live.js retries with backoff), an open socket is
        closed with 1013. Either is expected during an outage, not a server error."""
        try:
            await super().__call__(scope, receive, send)
        except (RedisError, OSError) as exc:
            logger.warning("websocket refused, the channel layer is unavailable: %r", exc)
            await self._refuse_unavailable(scope, send)

    async def _refuse_unavailable(self, scope: Any, send: Any) -> None:
        if self.counted:  # accepted: the handshake is over
            self.counted = False
            await sync_to_async(metric_inc)(WEBSOCKETS, -1)
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
        elif "websocket.http.response" in scope.get("extensions", {}):
            body = json.dumps(
                error_body("unavailable", "Live updates are unavailable for now; try again.")
            ).encode()
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                    ],
                }
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    async def connect(self) -> None:
        client_id = self.scope.get("lotse_client_id")
        if client_id is None or self.scope.get("lotse_role") is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Staff limited to departments listen to those departments only; the others to
        # the whole client. Which groups is the security decision of this consumer.
        departments = self.scope.get("lotse_departments")
        if departments is None:
            self.groups_joined = (inbox_group(client_id),)
        else:
            self.groups_joined = tuple(department_group(client_id, d) for d in sorted(departments))
        # And one's own group in this client: notifications for this person only.
        self.groups_joined += (user_group(client_id, self.scope["user"].pk),)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.counted = True
        await sync_to_async(metric_inc)(WEBSOCKETS, 1)

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.counted:
            self.counted = False
            await sync_to_async(metric_inc)(WEBSOCKETS, -1)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "presence":
            await self._presence(content)
            return
        # Clients ping every few minutes. Each ping re-checks the membership (a revoked user
        # is cut off) and renews the group membership, which channels-redis would expire.
        if isinstance(content, dict) and content.get("type") == "ping":
            if not await self._still_allowed():
                return
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
            await self.send_json({"type": "pong"})

    async def _still_allowed(self) -> bool:
        """Check the membership again; close the socket when it is gone (or reconnect for
        other department groups). Pings and `access.changed` notices ask."""
        identity = await database_sync_to_async(websocket_identify)(self.scope)
        if identity.client_id != self.scope.get("lotse_client_id") or identity.role is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        if identity.departments != self.scope.get("lotse_departments"):
            await self.close(code=CLOSE_RECONNECT)  # come back for the new groups
            return False
        return True

    async def _presence(self, content: dict[str, Any]) -> None:
        """Tell colleagues who may see the mention that this user views or types on it."""
        mention_id, state = content.get("mention_id"), content.get("state")
        if not isinstance(mention_id, int) or state not in PRESENCE_STATES:
            return
        if mention_id not in self.visible_mentions:
            audience = await database_sync_to_async(mention_audience)(self.scope, mention_id)
            if audience is None:
                return  # not visible to this user: say nothing to anyone
            self.visible_mentions[mention_id] = audience
        user = self.scope["user"]
        event = {
            "type": "presence",
            "mention_id": mention_id,
            "state": state,
            "user": {"id": user.pk, "name": user.display_name},
        }
        client_id = self.scope["lotse_client_id"]
        groups = [inbox_group(client_id)] + [
            department_group(client_id, d) for d in sorted(self.visible_mentions[mention_id])
        ]
        for group in groups:
            await self.channel_layer.group_send(group, {"type": "inbox.events", "events": [event]})

    async def inbox_events(self, message: dict[str, Any]) -> None:
        for event in message["events"]:
            if event.get("type") == ACCESS_CHANGED:
                # The person's role or access in this client changed (sent to their own
                # group only): check at once instead of at the next ping.
                if not await self._still_allowed():
                    return
                continue
            await self.send_json(event)
