"""The Celery broker transport: kombu's Redis transport, made to survive Redis dying under a
worker that holds unacknowledged messages.

What happens without it (kombu 5.7, celery 5.7, reproduced by tests/test_faults_broker.py):
tasks are acknowledged late, so a running task holds an unacknowledged message. When Redis
goes away, celery closes the broker connection (`on_connection_error_after_connected`); the
channel's `close()` first disconnects its connection pools, then asks its QoS to restore the
unacknowledged messages. Restoring needs a Redis client, building one needs a new pool, and
the pool's settings come from the transport's connection, which is already gone: an
`AttributeError` that celery counts as unrecoverable, and the worker exits for good.

`QoS.restore_unacked` here skips the restore when the connection has been torn down, and
says so. A task that finishes while Redis is away is acknowledged after the worker has
reconnected, on the old, closed channel: the same `AttributeError`. `Channel.basic_ack` and
`basic_reject` skip a closed channel.

Nothing is lost by skipping: kombu keeps every delivered message in Redis's "unacked"
index until it is acknowledged and puts it back after the visibility timeout if Redis kept
it, and the ingest batches that the messages name live in PostgreSQL, where the
stalled-batch sweep hands them back to a worker if Redis lost them.

`redis://` URLs resolve to this transport once `config.celery` is imported.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)


def _connection_gone(channel: Any) -> bool:
    transport = getattr(channel, "connection", None)
    return transport is None or getattr(transport, "client", None) is None


class QoS(kombu_redis.QoS):
    def restore_unacked(self, client: Any = None) -> Any:
        if client is None and _connection_gone(self.channel):
            delivered = self._delivered
            logger.warning(
                "The broker connection is gone; %d unacknowledged message(s) stay in Redis's "
                "unacked index (restored after the visibility timeout) and their batches in "
                "PostgreSQL (re-queued by the stalled-batch sweep).",
                len(delivered) if delivered else 0,
            )
            if delivered:
                delivered.clear()
            return None
        return super().restore_unacked(client)


class Channel(kombu_redis.Channel):
    QoS = QoS

    def basic_ack(self, delivery_tag: Any, multiple: bool = False) -> None:
        # A task that finished while Redis was away is acknowledged later, on the channel
        # that was closed meanwhile. Its message is redelivered after the visibility
        # timeout; the tasks are idempotent (a finished batch is not stored twice).
        if _connection_gone(self):
            logger.warning(
                "Message %s finished while the broker was away; it may be delivered again.",
                delivery_tag,
            )
            return
        super().basic_ack(delivery_tag, multiple=multiple)

    def basic_reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        if _connection_gone(self):
            logger.warning("Message %s rejected while the broker was away.", delivery_tag)
            return
        super().basic_reject(delivery_tag, requeue=requeue)


class Transport(kombu_redis.Transport):
    Channel = Channel


def transport_install() -> None:
    """Make `redis://` and `rediss://` broker URLs use this transport (idempotent)."""
    TRANSPORT_ALIASES["redis"] = f"{__name__}:Transport"
    TRANSPORT_ALIASES["rediss"] = f"{__name__}:Transport"
