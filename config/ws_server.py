"""uvicorn's websocket protocol, closing open websockets with 1001 (going away) when the
server stops, as browsers and proxies expect of a server that shuts down, instead of
uvicorn's 1012 (service restart). Ctrl-C on `make run` and a deploy's SIGTERM both end here.

Used with `uvicorn --ws config.ws_server:GoingAwayWebSocketProtocol` (scripts/run.sh, the
end-to-end stack, docs/operations).
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_impl import WebSocketProtocol

GOING_AWAY = 1001


class GoingAwayWebSocketProtocol(WebSocketProtocol):
    def shutdown(self) -> None:
        self.ws_server.closing = True
        if self.handshake_completed_event.is_set():
            self.fail_connection(GOING_AWAY)
        else:
            self.send_500_response()
        self.transport.close()
