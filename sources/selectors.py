"""Reads for the sources page: sources with their health and recent volume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from mentions.models import Mention
from sources.models import PUSH_KINDS, BackfillJob, ListeningQuery, Source
from sources.services.problems import source_problem_explain


@dataclass
class SourceHealth:
    source: Source
    items_last_hour: int
    state: str  # "ok", "failing", "backing off", "disabled", "never polled", "push"
    backoff_until: datetime | None
    polled: bool = True  # False for pushed kinds (webhook, import, demo), even when disabled
    error: str = ""  # the last error in plain language
    error_detail: str = ""  # the same, raw (shown in a details line when it differs)


def _error_shown(source: Source) -> tuple[str, str]:
    """An error stored before errors were explained has no detail: explain it now."""
    if not source.last_error or source.last_error_detail:
        return source.last_error, source.last_error_detail
    problem = source_problem_explain(
        error=source.last_error,
        url=str(source.config.get("url") or source.config.get("instance") or ""),
        kind=source.kind,
    )
    if problem.kind == "unknown":
        return source.last_error, ""
    return problem.message, problem.detail


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
        error, error_detail = _error_shown(source)
        rows.append(
            SourceHealth(
                source=source,
                items_last_hour=per_source.get(source.pk, 0),
                state=state,
                backoff_until=source.backoff_until if state == "backing off" else None,
                polled=source.kind not in PUSH_KINDS,
                error=error,
                error_detail=error_detail if error_detail != error else "",
            )
        )
    return rows


def backfills_recent(*, limit: int = 20) -> QuerySet[BackfillJob]:
    return BackfillJob.objects.select_related("source").order_by("-id")[:limit]


def listening_query_list() -> QuerySet[ListeningQuery]:
    return ListeningQuery.objects.order_by("name", "id")


def mentions_recent_for_preview(*, limit: int = 200) -> list[Mention]:
    return list(Mention.objects.select_related("author", "source").order_by("-id")[:limit])
