"""Reads for the sources page: sources with their health and recent volume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from mentions.models import Mention
from sources.models import PUSH_KINDS, BackfillJob, ListeningQuery, Source


@dataclass
class SourceHealth:
    source: Source
    items_last_hour: int
    state: str  # "ok", "failing", "backing off", "disabled", "never polled", "push"
    backoff_until: datetime | None


def source_list() -> QuerySet[Source]:
    return Source.objects.order_by("name", "id")


def source_health_list() -> list[SourceHealth]:
    """Every source with its state and items received in the last hour (two queries)."""
    now = timezone.now()
    per_source = dict(
        Mention.objects.filter(received_at__gte=now - timedelta(hours=1))
        .values_list("source_id")
        .annotate(n=Count("id"))
        .values_list("source_id", "n")
    )
    rows = []
    for source in source_list():
        if not source.enabled:
            state = "disabled"
        elif source.kind in PUSH_KINDS:
            state = "push"
        elif source.backoff_until and source.backoff_until > now:
            state = "backing off"
        elif source.consecutive_failures:
            state = "failing"
        elif source.last_success_at is None:
            state = "never polled"
        else:
            state = "ok"
        rows.append(
            SourceHealth(
                source=source,
                items_last_hour=per_source.get(source.pk, 0),
                state=state,
                backoff_until=source.backoff_until if state == "backing off" else None,
            )
        )
    return rows


def backfills_recent(*, limit: int = 20) -> QuerySet[BackfillJob]:
    return BackfillJob.objects.select_related("source").order_by("-id")[:limit]


def listening_query_list() -> QuerySet[ListeningQuery]:
    return ListeningQuery.objects.order_by("name", "id")


def mentions_recent_for_preview(*, limit: int = 200) -> list[Mention]:
    return list(Mention.objects.select_related("author", "source").order_by("-id")[:limit])
