"""The report's crisis section: the alerts of a period and what happened around them.

For each alert open at some time in the period: when it opened, was acknowledged and
closed, its peak, and for the hours around it (a few hours before it opened until a few
hours after it closed, at most a week) the volume and negative share of the reader's
slice, against the day before, with the aspects and problem cases most talked about then.
Counts come from the hourly rollups (two queries for all alerts), cases from one query.

Department-limited readers get the figures of their departments only (the slice carries
them, as everywhere in the report); the alert's own client-wide numbers (peak volume and
share, the window that opened it) are left out for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from mentions.models import ProblemCluster
from reports.figures import Period, Slice, clusters_in_slice, rollup_plan, rows_fetch
from reports.models import Alert

AROUND = timedelta(hours=3)  # shown before the alert opened and after it closed
LONGEST = timedelta(days=7)  # an alert open longer is shown for its first week
BEFORE = timedelta(days=1)  # the stretch compared with
MAX_ALERTS = 20
TOP = 3


def _hour(at: datetime, *, up: bool = False) -> datetime:
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor + timedelta(hours=1) if up and floor != at else floor


@dataclass(frozen=True)
class AlertWindow:
    alert: Alert
    start: datetime  # the hours around the alert: [start, end), whole UTC hours
    end: datetime
    total: int
    negative: int
    before_total: int  # the day before `start`
    before_negative: int
    aspects: list[tuple[str, int]] = field(default_factory=list)
    cases: list[ProblemCluster] = field(default_factory=list)
    client_wide: bool = True  # False: the reader sees only some departments

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    @property
    def per_hour(self) -> float:
        return self.total / self.hours if self.hours else 0.0

    @property
    def before_per_hour(self) -> float:
        return self.before_total / (BEFORE.total_seconds() / 3600)

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.total if self.total else None

    @property
    def before_negative_share(self) -> float | None:
        return self.before_negative / self.before_total if self.before_total else None

    @property
    def ongoing(self) -> bool:
        return self.alert.closed_at is None


@dataclass(frozen=True)
class Crisis:
    alerts: list[AlertWindow]
    total: int  # alerts of the period (only the newest MAX_ALERTS are in `alerts`)


def period_alerts(*, period: Period) -> tuple[list[Alert], int]:
    """Alerts open at some time in the period, oldest first (the newest MAX_ALERTS), and
    how many there were."""
    alerts = Alert.objects.filter(opened_at__lt=period.end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=period.start)
    )
    newest = list(alerts.order_by("-opened_at", "-id")[:MAX_ALERTS])
    return newest[::-1], alerts.count()


def crisis(*, period: Period, slice_: Slice, now: datetime | None = None) -> Crisis:
    """The period's alerts with the slice's figures around each."""
    now = now or timezone.now()
    alerts, total = period_alerts(period=period)
    if not alerts:
        return Crisis(alerts=[], total=0)
    windows = []
    for alert in alerts:
        # Still open: up to now (a week at most).
        last = min(max(alert.closed_at or now, alert.opened_at), alert.opened_at + LONGEST)
        windows.append((_hour(alert.opened_at - AROUND), _hour(last + AROUND, up=True)))
    lows = [lo for lo, _ in windows] + [lo - BEFORE for lo, _ in windows]
    highs = [hi for _, hi in windows] + [lo for lo, _ in windows]
    plan = rollup_plan(slice_)
    counts = rows_fetch(
        f"""SELECT b.n, c.total, c.negative
            FROM unnest(%s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS b(lo, hi, n)
            CROSS JOIN LATERAL (
                SELECT COALESCE(sum(mentions), 0) AS total,
                       COALESCE(sum(mentions) FILTER (WHERE sentiment = 'negative'), 0)
                           AS negative
                FROM {plan.table} WHERE bucket >= b.lo AND bucket < b.hi{plan.where}
            ) AS c ORDER BY b.n""",
        [lows, highs, *plan.params],
    )
    where, params = slice_.rollup_where(with_aspect=True)
    aspects: dict[int, list[tuple[str, int]]] = {}
    for n, aspect, mentions in rows_fetch(
        f"""SELECT b.n, a.aspect, a.mentions
            FROM unnest(%s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS b(lo, hi, n)
            CROSS JOIN LATERAL (
                SELECT aspect, sum(mentions) AS mentions FROM reports_aspecthour
                WHERE bucket >= b.lo AND bucket < b.hi{where}
                GROUP BY aspect ORDER BY 2 DESC, 1 LIMIT {TOP}
            ) AS a ORDER BY b.n, a.mentions DESC, a.aspect""",
        [[lo for lo, _ in windows], [hi for _, hi in windows], *params],
    ):
        aspects.setdefault(int(n) - 1, []).append((str(aspect), int(mentions)))
    cases = _cases(windows, slice_)
    client_wide = slice_.departments is None
    found = []
    for i, (alert, (lo, hi)) in enumerate(zip(alerts, windows, strict=True)):
        during, before = counts[i], counts[len(alerts) + i]
        found.append(
            AlertWindow(
                alert=alert,
                start=lo,
                end=hi,
                total=int(during[1]),
                negative=int(during[2]),
                before_total=int(before[1]),
                before_negative=int(before[2]),
                aspects=aspects.get(i, []),
                cases=[c for c in cases if c.first_seen < hi and c.last_seen >= lo][:TOP],
                client_wide=client_wide,
            )
        )
    return Crisis(alerts=found, total=total)


def _cases(windows: list[tuple[datetime, datetime]], slice_: Slice) -> list[ProblemCluster]:
    """Problem cases active in any of the windows, largest first (one query)."""
    overlaps = Q()
    for lo, hi in windows:
        overlaps |= Q(first_seen__lt=hi, last_seen__gte=lo)
    clusters = clusters_in_slice(ProblemCluster.objects.filter(overlaps), slice_)
    return list(
        clusters.only("id", "title", "member_count", "first_seen", "last_seen", "status").order_by(
            "-member_count", "-last_seen", "id"
        )[: MAX_ALERTS * TOP * 5]
    )
