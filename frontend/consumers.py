"""The live inbox websocket: authenticate (done by the ASGI middleware), join the client's
group, forward events. It never writes to the ORM."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config.live import department_group
from config.websocket import websocket_identify
from mentions.events import inbox_group

CLOSE_FORBIDDEN = 4403
CLOSE_RECONNECT = 4001


class InboxConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()

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
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Clients ping every few minutes. Each ping re-checks the membership (a revoked user
        # is cut off) and renews the group membership, which channels-redis would expire.
        if isinstance(content, dict) and content.get("type") == "ping":
            identity = await database_sync_to_async(websocket_identify)(self.scope)
            if identity.client_id != self.scope.get("lotse_client_id") or identity.role is None:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            if identity.departments != self.scope.get("lotse_departments"):
                await self.close(code=CLOSE_RECONNECT)  # come back for the new groups
                return
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
            await self.send_json({"type": "pong"})

    async def inbox_events(self, message: dict[str, Any]) -> None:
        for event in message["events"]:
            await self.send_json(event)
