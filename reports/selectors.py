"""Read models: department load for the inbox sidebar, and the figures spike alerts use."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Min, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Role, User
from accounts.selectors import role_at_least
from mentions.models import Mention, Status
from reports.models import Alert, AlertSettings
from reports.spikes import (
    BASELINE_DAYS,
    BASELINE_WEEKS,
    MIN_HISTORY_MINUTES,
    MIN_HISTORY_WEEKS,
    WINDOW_MINUTES,
    Baseline,
    Counts,
    Thresholds,
    baseline_recent,
    baseline_weekly,
)
from routing.models import Department
from routing.services.assignment import visible_department_ids

OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.WAITING, Status.ESCALATED)


@dataclass(frozen=True)
class DepartmentLoad:
    slug: str
    name: str
    open: int
    new: int


def _department_count(**conditions: object) -> Coalesce:
    counted = (
        Mention.objects.filter(department=OuterRef("pk"), **conditions)
        .order_by()
        .values("department")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def department_open_load() -> list[DepartmentLoad]:
    """Open and new mentions per department, for the inbox sidebar (one query).

    Each count is a subquery with the status in its WHERE clause, so it reads only the
    department's open rows from the (department, status, id) index; a COUNT … FILTER over a
    join read every mention of the client (350-530 ms at 1,000,000)."""
    rows = Department.objects.annotate(
        open=_department_count(status__in=OPEN_STATUSES),
        new=_department_count(status=Status.NEW),
    ).order_by("name")
    return [DepartmentLoad(d.slug, d.name, d.open, d.new) for d in rows]


def open_total() -> int:
    return Mention.objects.filter(status__in=OPEN_STATUSES).count()


# -- spike alerts ------------------------------------------------------------------------
# One index range scan per bucket (LATERAL). PostgreSQL cannot know how many rows a
# bucket holds, over-estimates the whole, and JIT-compiled the old join for most of its
# time: JIT is off for this statement (SET LOCAL, inside its own transaction).
_BUCKET_COUNTS = """
SELECT b.n, c.total, c.negative
FROM unnest(%s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS b(lo, hi, n)
CROSS JOIN LATERAL (
    SELECT count(*) AS total, count(*) FILTER (WHERE m.sentiment = 'negative') AS negative
    FROM mentions_mention AS m
    WHERE m.published_at >= b.lo AND m.published_at < b.hi AND m.kind <> 'spam'
) AS c
ORDER BY b.n
"""


def mention_counts(buckets: list[tuple[datetime, datetime]]) -> list[Counts]:
    """Mentions (spam left out) and negative ones published in each [start, end) bucket,
    in one query over the published_at index."""
    if not buckets:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_BUCKET_COUNTS, [[lo for lo, _ in buckets], [hi for _, hi in buckets]])
        return [Counts(total=total, negative=negative) for _, total, negative in cursor]


def history_start() -> datetime | None:
    """When the client's oldest mention was published (the baseline cannot look further)."""
    return Mention.objects.aggregate(first=Min("published_at"))["first"]


@dataclass(frozen=True)
class SpikeStats:
    window: Counts
    baseline: Baseline | None  # None: too little history to compare with


BUCKET_MINUTES = 60


def spike_stats(*, now: datetime, baseline_days: int = BASELINE_DAYS) -> SpikeStats:
    """The last window and the client's baseline for it (see reports/spikes.py): none
    until the client has `baseline_days` of data."""
    # A minute of slack at the end: clocks differ, and "now" is a post's publication time.
    window = (now - timedelta(minutes=WINDOW_MINUTES), now + timedelta(minutes=1))
    first = history_start()
    half = timedelta(minutes=BUCKET_MINUTES / 2)
    weeks = [
        (now - timedelta(weeks=w) - half, now - timedelta(weeks=w) + half)
        for w in range(1, BASELINE_WEEKS + 1)
    ]
    # Weeks count once the client had mentions by the end of that hour.
    weeks = [bucket for bucket in weeks if first is not None and first < bucket[1]]
    day = (window[0] - timedelta(days=1), window[0])
    counts = mention_counts([window, day, *weeks])
    if first is None or now - first < timedelta(days=baseline_days):
        return SpikeStats(window=counts[0], baseline=None)
    if len(weeks) >= MIN_HISTORY_WEEKS:
        baseline = baseline_weekly(counts[2:], bucket_minutes=BUCKET_MINUTES)
    elif now - first >= timedelta(minutes=MIN_HISTORY_MINUTES):
        # A new client: the time it has had before the window, at most a day.
        start = max(day[0], first)
        minutes = max((day[1] - start).total_seconds() / 60, 0.0)
        baseline = baseline_recent(counts[1], minutes=minutes)
    else:
        return SpikeStats(window=counts[0], baseline=None)
    return SpikeStats(window=counts[0], baseline=baseline)


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime
    volume: int
    baseline: float | None


def volume_series(*, now: datetime, hours: int = 48) -> list[SeriesPoint]:
    """Mentions per hour over the last `hours`, and per hour the median of the same hour of
    the week in the past weeks the client existed (None where there is no history)."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    starts = [end - timedelta(hours=h) for h in range(hours, 0, -1)]
    first = history_start()
    buckets = [
        (start - timedelta(weeks=w), start - timedelta(weeks=w) + timedelta(hours=1))
        for start in starts
        for w in range(BASELINE_WEEKS + 1)
    ]
    counts = mention_counts(buckets)
    points = []
    for i, start in enumerate(starts):
        row = counts[i * (BASELINE_WEEKS + 1) : (i + 1) * (BASELINE_WEEKS + 1)]
        past = [
            c.total
            for w, c in enumerate(row[1:], start=1)
            if first is not None and first < start - timedelta(weeks=w) + timedelta(hours=1)
        ]
        points.append(
            SeriesPoint(
                start=start,
                volume=row[0].total,
                baseline=statistics.median(past) if len(past) >= MIN_HISTORY_WEEKS else None,
            )
        )
    return points


def alerts_open() -> list[Alert]:
    return list(Alert.objects.filter(closed_at__isnull=True).order_by("opened_at"))


def alerts_visible_to(*, user: User, role: str | None) -> bool:
    """Alerts are about all of the client's mentions: managers and up read them, and staff
    not limited to departments (the people the client's live group reaches)."""
    if role is None:
        return False
    if role_at_least(role, Role.MANAGER):
        return True
    return visible_department_ids(user_id=int(user.pk or 0)) is None


def alerts_for_banner() -> list[Alert]:
    """Open alerts nobody has acknowledged yet: what the inbox banner shows."""
    return [alert for alert in alerts_open() if alert.acknowledged_at is None]


def alert_list(*, open_only: bool = False) -> QuerySet[Alert]:
    """The client's alerts, newest first (the API pages through them)."""
    alerts = Alert.objects.order_by("-opened_at", "-id")
    return alerts.filter(closed_at__isnull=True) if open_only else alerts


def alert_get(*, alert_id: int) -> Alert:
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert")
    return alert


def alert_thresholds(settings: AlertSettings) -> Thresholds:
    return Thresholds(
        open_z=settings.open_z,
        min_volume=settings.min_volume,
        share_open_min=settings.share_open_min,
        share_open_lift=settings.share_open_lift,
    )


def alert_history(*, limit: int = 100) -> list[Alert]:
    return list(Alert.objects.all()[:limit])


def alert_settings_get() -> AlertSettings:
    return AlertSettings.objects.order_by("pk").first() or AlertSettings()
