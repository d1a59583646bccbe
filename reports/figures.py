"""Report figures for one client: volume, summary, breakdowns, care, top lists, share of
voice. Counts come from the hourly rollups (`MentionHour`, `AspectHour`, kept current by
triggers); first-response times from the answered mentions themselves (the partial index
`mention_first_response`), since medians and percentiles do not add up across hours.

Periods are whole days in the client's time zone; buckets are that zone's days, weeks
(Monday) and months, so a day across a DST change has 23 or 25 hours. Only relevant
mentions count. Staff limited to departments see only their departments' figures (a
mention counts in the department it was routed to).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User
from accounts.selectors import client_members, membership_role_for, role_at_least
from config.tenancy import current_client, current_client_or_none
from mentions.models import Author, Mention, ProblemCluster, Sentiment
from mentions.queries import RematchProgress, rematch_progress
from mentions.selectors import mention_list_for_user
from routing.models import Department
from routing.selectors import client_timezone
from routing.services.assignment import visible_department_ids
from sources.models import ListeningQuery, QueryRole, Source

INTERVALS = ("hour", "day", "week", "month")
MAX_BUCKETS = 1500
MAX_DAYS = 800


# --- who reads, what period, which slice ---------------------------------------------------


def report_scope_for_user(*, user: User) -> frozenset[int] | None:
    """The departments whose figures `user` may read in the current client (None: all).
    Members of every role may read reports; anyone else gets a 404."""
    client = current_client_or_none()
    role = membership_role_for(user=user, client=client) if client is not None else None
    if role is None:
        raise Http404("No such client")
    if role_at_least(role, Role.MANAGER):
        return None
    departments = visible_department_ids(user_id=user.pk)
    return None if departments is None else frozenset(departments)


@dataclass(frozen=True)
class Period:
    """Whole days `first`..`last` in `zone`: [start, end) as aware datetimes."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(1), self.zone)


def report_zone() -> ZoneInfo:
    return ZoneInfo(client_timezone())


def period_for(
    *, first: date | None, last: date | None, days: int = 30, zone: ZoneInfo | None = None
) -> Period:
    """The period the reader asked for; by default the last `days` days up to today, in
    `zone` (pages pass the reader's), else the client's time zone."""
    zone = zone or report_zone()
    if last is None:
        last = datetime.now(zone).date()
    if first is None:
        first = last - timedelta(days=days - 1)
    return Period(first, last, zone)


@dataclass(frozen=True)
class Slice:
    """Filters on the figures, and the reader's department limit (None: all)."""

    source_id: int | None = None
    language: str = ""
    department_id: int | None = None
    aspect: str = ""
    kind: str = ""
    departments: frozenset[int] | None = None

    def filters(self) -> list[tuple[str, str]]:
        """The filters set, as (dimension, value as stored in `DimensionHour`)."""
        found = []
        if self.source_id is not None:
            found.append(("source", str(self.source_id)))
        if self.language:
            found.append(("language", self.language))
        if self.kind:
            found.append(("kind", self.kind))
        if self.department_id is not None:
            found.append(("department", str(self.department_id)))
        if self.aspect:
            found.append(("aspect", self.aspect))
        return found

    def rollup_where(self, *, with_aspect: bool) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.source_id is not None:
            parts.append("source_id = %s")
            params.append(self.source_id)
        if self.language:
            parts.append("language = %s")
            params.append(self.language)
        if self.kind:
            parts.append("kind = %s")
            params.append(self.kind)
        if self.department_id is not None:
            parts.append("department_id = %s")
            params.append(self.department_id)
        if self.departments is not None:
            parts.append("department_id = ANY(%s)")
            params.append(sorted(self.departments))
        if with_aspect and self.aspect:
            parts.append("aspect = %s")
            params.append(self.aspect)
        return "".join(f" AND {part}" for part in parts), params

    def mention_where(self, alias: str = "m") -> tuple[str, list[Any]]:
        """The same slice over raw mentions (relevant ones only)."""
        parts = [f"{alias}.relevant"]
        params: list[Any] = []
        if self.source_id is not None:
            parts.append(f"{alias}.source_id = %s")
            params.append(self.source_id)
        if self.language:
            parts.append(f"{alias}.language = %s")
            params.append(self.language)
        if self.kind:
            parts.append(f"{alias}.kind = %s")
            params.append(self.kind)
        if self.department_id is not None:
            parts.append(f"COALESCE({alias}.department_id, 0) = %s")
            params.append(self.department_id)
        if self.departments is not None:
            parts.append(f"COALESCE({alias}.department_id, 0) = ANY(%s)")
            params.append(sorted(self.departments))
        if self.aspect:
            parts.append(f"%s = ANY({alias}.aspects)")
            params.append(self.aspect)
        return " AND ".join(parts), params

    def mentions(self, mentions: QuerySet[Mention]) -> QuerySet[Mention]:
        mentions = mentions.filter(relevant=True)
        if self.source_id is not None:
            mentions = mentions.filter(source_id=self.source_id)
        if self.language:
            mentions = mentions.filter(language=self.language)
        if self.kind:
            mentions = mentions.filter(kind=self.kind)
        if self.department_id == 0:
            mentions = mentions.filter(department__isnull=True)
        elif self.department_id is not None:
            mentions = mentions.filter(department_id=self.department_id)
        if self.departments is not None:
            mentions = mentions.filter(department_id__in=self.departments)
        if self.aspect:
            mentions = mentions.filter(aspects__contains=[self.aspect])
        return mentions


# Memory for the sorts of exact percentiles (a year of answers sorts in memory, not on disk).
SORT_MEMORY = "64MB"


def rows_fetch(
    sql: str, params: list[Any], *, jit: bool = True, sorts: bool = False
) -> list[tuple[Any, ...]]:
    """The rows of one read. `jit=False` for reads whose cost estimate is large but whose
    run is short (compiling them took longer than running them); `sorts=True` for exact
    percentiles over many rows (work_mem SORT_MEMORY for this read only)."""
    if not jit or sorts:
        with transaction.atomic(), connection.cursor() as cursor:
            if not jit:
                cursor.execute("SET LOCAL jit = off")
            if sorts:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [SORT_MEMORY])
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@dataclass(frozen=True)
class Plan:
    """Which rollup answers a question, and how: `FROM {table} WHERE bucket range{where}`,
    grouped by `key` for a breakdown."""

    table: str
    where: str
    params: list[Any]
    key: str


# Breakdown columns of the cube (and of the aspect cube for `aspect`).
_COLUMN = {
    "source": "source_id",
    "language": "language",
    "kind": "kind",
    "aspect": "aspect",
    "department": "department_id",
    "sentiment": "sentiment",
}


def rollup_plan(slice_: Slice, *, by: str | None = None) -> Plan:
    """The smallest rollup for the slice: one dimension at a time (`DimensionHour`) when at
    most one filter (or only the reader's departments) is set, else the cube (`MentionHour`,
    or `AspectHour` when an aspect is involved)."""
    filters = slice_.filters()
    scope = slice_.departments
    dimension_table = "reports_dimensionhour"
    if by in (None, "sentiment"):
        key = "sentiment"
        if not filters and scope is None:
            return Plan(dimension_table, " AND dimension = 'all'", [], key)
        if len(filters) == 1 and scope is None:
            ((name, value),) = filters
            return Plan(dimension_table, " AND dimension = %s AND value = %s", [name, value], key)
        if not filters and scope is not None:
            return Plan(
                dimension_table,
                " AND dimension = 'department' AND value = ANY(%s)",
                [[str(pk) for pk in sorted(scope)]],
                key,
            )
    elif not filters and scope is None:
        return Plan(dimension_table, " AND dimension = %s", [by], "value")
    with_aspect = by == "aspect" or bool(slice_.aspect)
    where, params = slice_.rollup_where(with_aspect=with_aspect)
    table = "reports_aspecthour" if with_aspect else "reports_mentionhour"
    return Plan(table, where, params, _COLUMN[by or "sentiment"])


_DIMENSION_COLUMNS = (
    "dimension, value, sentiment, mentions, responded, sla_answered, sla_met, "
    "first_response_seconds, responded_1h, responded_4h, responded_8h, responded_24h"
)


def rollup_rows(plan: Plan, period: Period) -> tuple[str, list[Any]]:
    """`FROM ... WHERE ...` (and its parameters) for the plan's rows of the period: its
    table by the hour, or, for the one-dimension rollup, the whole UTC days of the period
    from `DimensionDay` and only the ragged hours at its ends from `DimensionHour`."""
    days = _whole_utc_days(period) if plan.table == "reports_dimensionhour" else None
    if days is None:
        return (
            f"FROM {plan.table} WHERE bucket >= %s AND bucket < %s{plan.where}",
            [period.start, period.end, *plan.params],
        )
    sql = f"""FROM (
        SELECT {_DIMENSION_COLUMNS} FROM reports_dimensionday
        WHERE day >= %s AND day < %s{plan.where}
        UNION ALL
        SELECT {_DIMENSION_COLUMNS} FROM reports_dimensionhour
        WHERE bucket >= %s AND bucket < %s{plan.where}
        UNION ALL
        SELECT {_DIMENSION_COLUMNS} FROM reports_dimensionhour
        WHERE bucket >= %s AND bucket < %s{plan.where}
    ) AS rolled WHERE true"""
    params = [
        *days,
        *plan.params,
        period.start,
        days[0],
        *plan.params,
        days[1],
        period.end,
        *plan.params,
    ]
    return sql, params


def _whole_utc_days(period: Period) -> tuple[datetime, datetime] | None:
    """[first, end) of the UTC days wholly inside the period, or None if there is none."""
    utc = ZoneInfo("UTC")
    start, end = period.start.astimezone(utc), period.end.astimezone(utc)
    first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(days=1)
    last = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


# --- volume over time -----------------------------------------------------------------------


@dataclass(frozen=True)
class VolumePoint:
    start: datetime  # aware, in the client's zone
    total: int
    negative: int
    neutral: int
    positive: int

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.total if self.total else None


def bucket_starts(*, period: Period, interval: str) -> list[datetime]:
    """The local starts of the buckets covering the period (hour buckets are UTC hours,
    shown in the zone; the others are wall-clock days, Mondays and months)."""
    zone = period.zone
    if interval == "hour":
        utc = ZoneInfo("UTC")
        at, end = period.start.astimezone(utc), period.end.astimezone(utc)
        starts = []
        while at < end:
            starts.append(at.astimezone(zone))
            at += timedelta(hours=1)
        return starts
    day = period.first
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    days = []
    while day <= period.last:
        days.append(day)
        if interval == "day":
            day += timedelta(days=1)
        elif interval == "week":
            day += timedelta(weeks=1)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [datetime.combine(d, time(), zone) for d in days]


def bucket_count(*, period: Period, interval: str) -> int:
    if interval == "hour":
        return int((period.end - period.start).total_seconds() // 3600)
    if interval == "day":
        return period.days
    if interval == "week":
        return period.days // 7 + 2
    return period.days // 28 + 2


def volume_series(*, period: Period, interval: str, slice_: Slice) -> list[VolumePoint]:
    """Mentions per bucket by sentiment (every bucket, empty ones as zeros)."""
    plan = rollup_plan(slice_)
    if interval == "hour":
        key = "bucket"
        key_params: list[Any] = []
    else:
        key = "date_trunc(%s, bucket AT TIME ZONE %s)"
        key_params = [interval, period.zone.key]
    rows = rows_fetch(
        f"SELECT {key}, sentiment, sum(mentions) FROM {plan.table} "
        f"WHERE bucket >= %s AND bucket < %s{plan.where} GROUP BY 1, 2",
        [*key_params, period.start, period.end, *plan.params],
    )
    counts: dict[datetime, dict[str, int]] = {}
    for at, sentiment, n in rows:
        counts.setdefault(at, {})[sentiment] = int(n)
    points = []
    for start in bucket_starts(period=period, interval=interval):
        lookup = start if interval == "hour" else start.replace(tzinfo=None)
        by = counts.get(lookup, {})
        points.append(
            VolumePoint(
                start=start,
                total=sum(by.values()),
                negative=by.get(Sentiment.NEGATIVE, 0),
                neutral=by.get(Sentiment.NEUTRAL, 0),
                positive=by.get(Sentiment.POSITIVE, 0),
            )
        )
    return points


# --- summary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CareTimes:
    """First responses to the mentions of a period: how many, how fast, in SLA."""

    responded: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    mean_seconds: float | None = None
    sla_answered: int = 0
    sla_met: int = 0
    mentions: int | None = None  # all mentions of the slice (answered or not), if known

    @property
    def sla_met_share(self) -> float | None:
        return self.sla_met / self.sla_answered if self.sla_answered else None


CARE_SELECT = """
count(*),
percentile_cont(0.5) WITHIN GROUP (ORDER BY s.secs),
percentile_cont(0.9) WITHIN GROUP (ORDER BY s.secs),
avg(s.secs),
count(*) FILTER (WHERE s.due IS NOT NULL),
count(*) FILTER (WHERE s.answered <= s.due)
"""


def care_of_row(row: tuple[Any, ...]) -> CareTimes:
    responded, median, p90, mean, answered, met = row
    return CareTimes(
        responded=int(responded or 0),
        median_seconds=None if median is None else float(median),
        p90_seconds=None if p90 is None else float(p90),
        mean_seconds=None if mean is None else float(mean),
        sla_answered=int(answered or 0),
        sla_met=int(met or 0),
    )


def answered_sql(slice_: Slice, *, key: str = "NULL", join: str = "") -> tuple[str, list[Any]]:
    where, params = slice_.mention_where()
    sql = f"""
        SELECT {key} AS key,
               GREATEST(0, date_part('epoch', m.first_response_at - m.received_at)) AS secs,
               m.first_response_at AS answered, m.first_response_due AS due
        FROM mentions_mention m {join}
        WHERE m.first_response_at IS NOT NULL AND m.published_at >= %s
          AND m.published_at < %s AND {where}
    """
    return sql, params


def care_times(*, period: Period, slice_: Slice) -> CareTimes:
    """First responses to the period's mentions: how many, median, p90 and mean (exact, in
    SQL over the index `mention_first_response`), and SLA compliance."""
    sql, params = answered_sql(slice_)
    rows = rows_fetch(
        f"SELECT {CARE_SELECT} FROM ({sql}) AS s",
        [period.start, period.end, *params],
        jit=False,  # compiling took longer than the read
        sorts=True,
    )
    return care_of_row(rows[0])


@dataclass(frozen=True)
class Summary:
    total: int
    negative: int
    neutral: int
    positive: int
    care: CareTimes

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.total if self.total else None

    @property
    def net_sentiment(self) -> float | None:
        """(positive - negative) / total, from -1 to 1."""
        return (self.positive - self.negative) / self.total if self.total else None

    @property
    def response_rate(self) -> float | None:
        return self.care.responded / self.total if self.total else None


def summary(*, period: Period, slice_: Slice, care: CareTimes | None = None) -> Summary:
    """Volume and sentiment from the rollups; `care` when the caller has measured it with
    the business clocks in the same pass (`care_figures.care_clocks`), else `care_times`."""
    source, params = rollup_rows(rollup_plan(slice_), period)
    rows = rows_fetch(f"SELECT sentiment, sum(mentions) {source} GROUP BY 1", params)
    by = {sentiment: int(n) for sentiment, n in rows}
    return Summary(
        total=sum(by.values()),
        negative=by.get(Sentiment.NEGATIVE, 0),
        neutral=by.get(Sentiment.NEUTRAL, 0),
        positive=by.get(Sentiment.POSITIVE, 0),
        care=care if care is not None else care_times(period=period, slice_=slice_),
    )


# --- breakdowns -----------------------------------------------------------------------------

DIMENSIONS = ("source", "language", "kind", "aspect", "department", "sentiment")


@dataclass(frozen=True)
class BreakdownRow:
    key: str  # the filter value that drills down to this row ("" for none)
    label: str
    total: int
    negative: int
    neutral: int
    positive: int

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.total if self.total else None


def _labels(dimension: str, keys: list[str]) -> dict[str, str]:
    if dimension in ("source", "department"):
        model = Source if dimension == "source" else Department
        ids = [int(key) for key in keys if key.isdigit()]
        names = {
            str(pk): name for pk, name in model.objects.filter(pk__in=ids).values_list("pk", "name")
        }
        return {**names, "0": "No department"} if dimension == "department" else names
    if dimension == "language":
        return {key: key or "unknown" for key in keys}
    if dimension == "kind":
        return {key: str(dict(_kind_choices()).get(key, key)) for key in keys}
    return {key: str(key or "none") for key in keys}


def _kind_choices() -> list[tuple[str, str]]:
    return list(Mention._meta.get_field("kind").choices or [])


def breakdown(
    *, period: Period, dimension: str, slice_: Slice, limit: int = 50
) -> list[BreakdownRow]:
    """Mentions per value of one dimension, by sentiment, largest first."""
    plan = rollup_plan(slice_, by=dimension)
    source, params = rollup_rows(plan, period)
    rows = rows_fetch(
        f"""SELECT {plan.key}::text, sum(mentions),
                   sum(mentions) FILTER (WHERE sentiment = 'negative'),
                   sum(mentions) FILTER (WHERE sentiment = 'neutral'),
                   sum(mentions) FILTER (WHERE sentiment = 'positive')
            {source}
            GROUP BY 1 HAVING sum(mentions) > 0 ORDER BY 2 DESC, 1 LIMIT %s""",
        [*params, limit],
    )
    labels = _labels(dimension, [row[0] for row in rows])
    return [
        BreakdownRow(
            key=key,
            label=labels.get(key, key),
            total=int(total),
            negative=int(negative or 0),
            neutral=int(neutral or 0),
            positive=int(positive or 0),
        )
        for key, total, negative, neutral, positive in rows
    ]


# --- care per department, team, person ------------------------------------------------------

CARE_BY = ("department", "team", "person")
OPEN_STATUSES = ("new", "assigned", "waiting", "escalated")


def member_names() -> dict[int, str]:
    """Display names of the current client's members (users live in the public schema)."""
    return {member.pk: member.display_name for member in client_members(client=current_client())}


# --- top lists ------------------------------------------------------------------------------

TOP = ("aspects", "authors", "ideas", "cases", "terms")


def _in_period(mentions: QuerySet[Mention], period: Period) -> QuerySet[Mention]:
    return mentions.filter(published_at__gte=period.start, published_at__lt=period.end)


@dataclass(frozen=True)
class TopAuthor:
    id: int
    handle: str
    name: str
    network: str
    followers: int
    influence: float
    segment: str
    mentions: int
    negative: int


def top_authors(*, period: Period, slice_: Slice, limit: int = 10) -> list[TopAuthor]:
    """The authors with the most mentions in the period (with influence and segment).

    Without filters the UTC months the period touches come from `AuthorMonth` and only
    the shorter side of each ragged month from the mentions: the part inside the period,
    or the month's count less the part outside it (a period ending today leaves nothing
    but the month's future outside: the current month costs no mention at all). With
    filters, all from the mentions."""
    where, params = slice_.mention_where()
    if not slice_.filters() and slice_.departments is None and _whole_utc_months(period):
        parts, part_params = _author_month_parts(period, where=where, params=params)
        counts = rows_fetch(
            f"""SELECT author_id, sum(n), sum(negative) FROM ({" UNION ALL ".join(parts)}) AS t
                GROUP BY 1 HAVING sum(n) > 0 ORDER BY 2 DESC, 1 LIMIT %s""",
            [*part_params, limit],
            jit=False,
        )
    else:
        counts = rows_fetch(
            f"""SELECT m.author_id, count(*), count(*) FILTER (WHERE m.sentiment = 'negative')
                FROM mentions_mention m
                WHERE m.published_at >= %s AND m.published_at < %s AND {where}
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s""",
            [period.start, period.end, *params, limit],
        )
    authors = Author.objects.in_bulk([row[0] for row in counts])
    return [
        TopAuthor(
            id=author.pk,
            handle=author.handle,
            name=author.name,
            network=author.network,
            followers=author.followers,
            influence=author.influence,
            segment=author.segment,
            mentions=int(n),
            negative=int(negative),
        )
        for author_id, n, negative in counts
        if (author := authors.get(author_id)) is not None
    ]


def _author_month_parts(
    period: Period, *, where: str, params: list[Any]
) -> tuple[list[str], list[Any]]:
    """SELECTs of (author_id, mentions, negative) whose sums per author are the period's
    counts: `AuthorMonth` rows of whole months, and for each ragged month the shorter of
    its part inside the period (+1 per mention) or its `AuthorMonth` row less the part
    outside (-1 per mention)."""
    utc = ZoneInfo("UTC")
    start, end = period.start.astimezone(utc), period.end.astimezone(utc)
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last = end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months_from, months_to = first, last  # [from, to) of the AuthorMonth rows read
    raw: list[tuple[int, datetime, datetime]] = []  # (sign, from, to) read from mentions
    if first < start:
        after = _next_month(first)
        if start - first < after - start:
            raw.append((-1, first, start))
        else:
            months_from = after
            raw.append((1, start, after))
    if last < end:
        after = _next_month(last)
        if after - end < end - last:
            months_to = after
            raw.append((-1, end, after))
        else:
            raw.append((1, last, end))
    parts = [
        "SELECT author_id, mentions AS n, negative FROM reports_authormonth "
        "WHERE month >= %s AND month < %s"
    ]
    part_params: list[Any] = [months_from, months_to]
    for sign, begin, stop in raw:
        parts.append(
            f"SELECT m.author_id, {sign}, {sign} * (m.sentiment = 'negative')::int "
            f"FROM mentions_mention m WHERE m.published_at >= %s AND m.published_at < %s "
            f"AND {where}"
        )
        part_params += [begin, stop, *params]
    return parts, part_params


def _next_month(month: datetime) -> datetime:
    return (month + timedelta(days=32)).replace(day=1)


def _whole_utc_months(period: Period) -> tuple[datetime, datetime] | None:
    """[first, end) of the UTC months wholly inside the period, or None if there is none."""
    utc = ZoneInfo("UTC")
    start, end = period.start.astimezone(utc), period.end.astimezone(utc)
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        first = (first + timedelta(days=32)).replace(day=1)
    last = end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


@dataclass(frozen=True)
class Ideas:
    total: int
    by_aspect: list[BreakdownRow]
    examples: list[Mention] = field(default_factory=list)


def ideas(*, period: Period, slice_: Slice, limit: int = 10) -> Ideas:
    """Ideas and wishes of the period: how many, on which aspects, the newest examples."""
    ideas_slice = replace(slice_, kind="idea")
    total = summary_total(period=period, slice_=ideas_slice)
    examples = list(
        _in_period(ideas_slice.mentions(Mention.objects.select_related("author")), period).order_by(
            "-published_at", "-id"
        )[:limit]
    )
    return Ideas(
        total=total,
        by_aspect=breakdown(period=period, dimension="aspect", slice_=ideas_slice, limit=10),
        examples=examples,
    )


def summary_total(*, period: Period, slice_: Slice) -> int:
    source, params = rollup_rows(rollup_plan(slice_), period)
    rows = rows_fetch(f"SELECT COALESCE(sum(mentions), 0) {source}", params)
    return int(rows[0][0])


def clusters_in_slice(
    clusters: QuerySet[ProblemCluster], slice_: Slice
) -> QuerySet[ProblemCluster]:
    """The problem clusters of `clusters` that touch the slice's departments and aspect."""
    if slice_.departments is not None:
        clusters = clusters.filter(department_ids__overlap=sorted(slice_.departments))
    if slice_.department_id is not None:
        clusters = clusters.filter(department_ids__contains=[slice_.department_id])
    if slice_.aspect:
        clusters = clusters.filter(aspect=slice_.aspect)
    return clusters


def top_cases(*, period: Period, slice_: Slice, limit: int = 10) -> list[ProblemCluster]:
    """Problem clusters active in the period, largest first."""
    clusters = ProblemCluster.objects.filter(
        first_seen__lt=period.end, last_seen__gte=period.start
    ).select_related("department")
    return list(clusters_in_slice(clusters, slice_).order_by("-member_count", "-last_seen")[:limit])


# --- share of voice -------------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceRow:
    query_id: int
    name: str
    role: str
    mentions: int


@dataclass(frozen=True)
class ShareOfVoice:
    rows: list[VoiceRow]
    checked: int  # the period's mentions in the slice (every one is counted)
    sampled: bool = False  # never: kept for the API's shape (it once counted a sample)
    # While the mentions are matched against the queries again (after a query changed, or
    # once after the upgrade): how far; the counts cover only the mentions reached so far.
    matching: RematchProgress | None = None

    def role_total(self, role: str) -> int:
        return sum(row.mentions for row in self.rows if row.role == role)

    @property
    def brand_share(self) -> float | None:
        """The brand's share of brand + competitor mentions."""
        brand = self.role_total(QueryRole.BRAND)
        both = brand + self.role_total(QueryRole.COMPETITOR)
        return brand / both if both else None


def share_of_voice(*, period: Period, slice_: Slice) -> ShareOfVoice:
    """How many of the period's mentions each enabled brand and competitor query matches,
    over every mention of the period: from `Mention.matched_queries` (decided on arrival,
    recounted when a query changes), counted by the `query` rollup when no filter is set,
    else over the slice's mentions."""
    queries = list(
        ListeningQuery.objects.filter(
            enabled=True, role__in=(QueryRole.BRAND, QueryRole.COMPETITOR)
        ).order_by("role", "name", "id")
    )
    counts: dict[int, int] = {}
    if queries:
        ids = [query.pk for query in queries]
        if not slice_.filters() and slice_.departments is None:
            plan = Plan(
                "reports_dimensionhour",
                " AND dimension = 'query' AND value = ANY(%s)",
                [[str(pk) for pk in ids]],
                "value",
            )
            source, params = rollup_rows(plan, period)
            rows = rows_fetch(f"SELECT value::bigint, sum(mentions) {source} GROUP BY 1", params)
        else:
            where, params = slice_.mention_where()
            rows = rows_fetch(
                f"""SELECT q, count(*) FROM mentions_mention m, unnest(m.matched_queries) AS q
                    WHERE m.published_at >= %s AND m.published_at < %s AND {where}
                      AND q = ANY(%s) GROUP BY 1""",
                [period.start, period.end, *params, ids],
            )
        counts = {int(pk): int(n) for pk, n in rows}
    return ShareOfVoice(
        rows=[
            VoiceRow(query.pk, query.name, query.role, counts.get(query.pk, 0)) for query in queries
        ],
        checked=summary_total(period=period, slice_=slice_),
        matching=rematch_progress(),
    )


# --- export ---------------------------------------------------------------------------------


def export_mentions(*, user: User, period: Period, slice_: Slice) -> Iterator[Mention]:
    """Every mention of the period the user may see (the mentions choke point), oldest
    first, streamed from the database in chunks."""
    # The choke point limits department staff (copies included); no second limit here.
    mentions = replace(slice_, departments=None).mentions(
        mention_list_for_user(user=user)
        .select_related("source", "team", "cluster")
        .defer("raw", "cluster_keys", "cluster__terms", "cluster__keys")
    )
    return _in_period(mentions, period).order_by("published_at", "id").iterator(chunk_size=2000)
