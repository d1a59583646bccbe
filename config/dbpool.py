"""The web's PostgreSQL connection pool (Django's `OPTIONS["pool"]`, psycopg_pool).

django-tenants selects a client with `SET search_path` on the connection, and a pooled
connection outlives the request that set it. Two guards keep one client's path from
reaching another request:

- django-tenants' cached path lives on Django's connection wrapper, which forgets it when
  it hands the connection back (`close()`), so every request sets its own path before its
  first query (also with `TENANT_LIMIT_SET_CALLS`);
- `pool_connection_reset` runs as the pool takes a connection back and resets the path to
  the server default, so a pooled connection starts where a new one would. Were a request's
  own `SET` ever skipped, its query would find the public schema only, as on a fresh
  connection, never the previous request's client.
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg.pq import TransactionStatus

from config.env import env_int


def pool_connection_reset(connection: Connection[Any]) -> None:
    """The pool's `reset`: back to the search_path a new connection has. The pool has already
    rolled back an open transaction; one begun here (autocommit off) is committed, or the
    pool would discard the connection."""
    connection.execute("RESET search_path")
    if connection.info.transaction_status != TransactionStatus.IDLE:
        connection.commit()


def pool_options() -> dict[str, Any] | None:
    """The pool's options from `LOTSE_DB_POOL_MAX_SIZE` (connections per process; 0, the
    default, opens a connection per request as before) and `LOTSE_DB_POOL_MIN_SIZE`."""
    max_size = env_int("LOTSE_DB_POOL_MAX_SIZE", 0)
    if max_size <= 0:
        return None
    return {
        "min_size": min(env_int("LOTSE_DB_POOL_MIN_SIZE", 2), max_size),
        "max_size": max_size,
        # A request waits this long for a free connection, then fails (503 via config/outage.py)
        # instead of queueing without end behind a stuck or stopped database.
        "timeout": env_int("LOTSE_DB_POOL_TIMEOUT", 5),
        "reset": pool_connection_reset,
    }
