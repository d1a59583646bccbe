"""The live inbox websocket: authenticate (done by the ASGI middleware), join the client's
group, forward events. It never writes to the ORM."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config.websocket import websocket_identify
from mentions.events import inbox_group

CLOSE_FORBIDDEN = 4403


class InboxConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        client_id = self.scope.get("lotse_client_id")
        if client_id is None or self.scope.get("lotse_role") is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = inbox_group(client_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Clients ping every few minutes. Each ping re-checks the membership (a revoked user
        # is cut off) and renews the group membership, which channels-redis would expire.
        if isinstance(content, dict) and content.get("type") == "ping":
            identity = await database_sync_to_async(websocket_identify)(self.scope)
            if identity.client_id != self.scope.get("lotse_client_id") or identity.role is None:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            if self.group is not None:
                await self.channel_layer.group_add(self.group, self.channel_name)
            await self.send_json({"type": "pong"})

    async def inbox_events(self, message: dict[str, Any]) -> None:
        for event in message["events"]:
            await self.send_json(event)
