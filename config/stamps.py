"""Stamps of a client's configuration, for caches with explicit invalidation.

What every ingest batch reads of a client's configuration (its routing matrix, SLA
policies, triage additions, listening queries, the staff its teams assign to, the event
types its webhooks subscribe to) is compiled once per process and kept until PostgreSQL
says it changed: each area has a row in the client's `config_stamp` table, bumped from one
shared sequence by triggers on the tables behind it (routing 0008 and 0009, mentions 0030,
sources 0009, webhooks 0002), so every kind of write (the ORM, a queryset's `update`, raw
SQL, a rolled-back change) moves it. A batch reads every stamp in one query (`stamps_read`)
and hands them down; a cache answers from what it compiled at the same (schema, stamp),
and compiles again otherwise.

A stamp is read before the rows it stands for: a change committed in between is compiled
under the older stamp and compiled again by the next reader, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import connection

from config.tenancy import current_schema

# The areas, one `config_stamp` row each.
MATRIX = "matrix"
SLA = "sla"
TRIAGE = "triage"
QUERIES = "queries"
STAFF = "staff"
WEBHOOKS = "webhooks"

T = TypeVar("T")


@dataclass(frozen=True)
class Stamps:
    """Every configuration stamp of one client schema, read at one moment."""

    schema: str
    stamps: Mapping[str, int]


def stamps_read() -> Stamps:
    """The current client's configuration stamps (one query; call inside its schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT area, stamp FROM config_stamp")
        return Stamps(schema=current_schema(), stamps=dict(cursor.fetchall()))


class StampedCache(Generic[T]):
    """One area's compiled value per client schema, kept while the area's stamp holds.

    Per process: each worker compiles a client's configuration once per change."""

    def __init__(self, area: str) -> None:
        self.area = area
        self._held: dict[str, tuple[int, T]] = {}

    def get(self, *, stamps: Stamps | None, build: Callable[[], T]) -> T:
        """The value compiled at `stamps` (read now when None), built on a miss."""
        stamps = stamps if stamps is not None else stamps_read()
        if stamps.schema != current_schema():
            raise ValueError(f"stamps of {stamps.schema!r} read in {current_schema()!r}")
        stamp = stamps.stamps[self.area]
        held = self._held.get(stamps.schema)
        if held is not None and held[0] == stamp:
            return held[1]
        value = build()
        self._held[stamps.schema] = (stamp, value)
        return value
