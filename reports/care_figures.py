"""More care figures of a period, read from the mentions and responses themselves (they
are small next to the rollups' work): how first responses spread over time buckets,
replies that needed approval and how long they waited, SLA escalations, and first response
and resolution times in calendar and in business hours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from reports.business_time import BusinessClock
from reports.figures import Period, Slice, care_times, rollup_plan, rollup_rows, rows_fetch
from routing.models import SlaPolicy
from routing.sla import BusinessCalendar, CalendarError

# (key, label, from seconds, to seconds or None): calendar time from arrival to first
# response. The key names the bucket in the inbox's drill-down link (`?first_response=1-4h`).
FIRST_RESPONSE_BUCKETS = (
    ("0-1h", "0\N{EN DASH}1 h", 0, 3600),
    ("1-4h", "1\N{EN DASH}4 h", 3600, 4 * 3600),
    ("4-8h", "4\N{EN DASH}8 h", 4 * 3600, 8 * 3600),
    ("8-24h", "8\N{EN DASH}24 h", 8 * 3600, 24 * 3600),
    ("24h+", "24 h+", 24 * 3600, None),
)


def first_response_bucket(key: str) -> tuple[str, int, int | None] | None:
    """(label, from seconds, to seconds or None) of the bucket called `key`, None if none.
    The first bucket also holds answers stamped before arrival, as the distribution does."""
    for bucket_key, label, low, high in FIRST_RESPONSE_BUCKETS:
        if bucket_key == key:
            return label, low, high
    return None


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int
    share: float | None  # of all first responses of the period


def first_response_distribution(*, period: Period, slice_: Slice) -> list[Bucket]:
    """First responses to the period's mentions per time bucket (0 to 1 h, ..., 24 h and more):
    from the one-dimension rollup when the slice has at most one filter, else from the
    mentions."""
    plan = rollup_plan(slice_)
    if plan.table == "reports_dimensionhour":
        source, params = rollup_rows(plan, period)
        (within,) = rows_fetch(
            f"""SELECT COALESCE(sum(responded_1h), 0), COALESCE(sum(responded_4h), 0),
                       COALESCE(sum(responded_8h), 0), COALESCE(sum(responded_24h), 0),
                       COALESCE(sum(responded), 0)
                {source}""",
            params,
        )
        cumulative = [0, *(int(n) for n in within)]
        counts = [cumulative[i + 1] - cumulative[i] for i in range(len(FIRST_RESPONSE_BUCKETS))]
        return _buckets(counts)
    where, params = slice_.mention_where()
    cases = ", ".join(
        f"count(*) FILTER (WHERE s.secs >= {lo}" + (f" AND s.secs < {hi})" if hi else ")")
        for _, _, lo, hi in FIRST_RESPONSE_BUCKETS
    )
    (row,) = rows_fetch(
        f"""SELECT {cases} FROM (
                SELECT GREATEST(0, extract(epoch FROM m.first_response_at - m.received_at))
                       AS secs
                FROM mentions_mention m
                WHERE m.first_response_at IS NOT NULL AND m.published_at >= %s
                  AND m.published_at < %s AND {where}) AS s""",
        [period.start, period.end, *params],
    )
    return _buckets([int(n) for n in row])


def _buckets(counts: list[int]) -> list[Bucket]:
    total = sum(counts)
    return [
        Bucket(key, label, n, n / total if total else None)
        for (key, label, _, _), n in zip(FIRST_RESPONSE_BUCKETS, counts, strict=True)
    ]


@dataclass(frozen=True)
class Approvals:
    requested: int  # replies of the period that needed approval
    approved: int
    rejected: int
    pending: int
    median_wait_seconds: float | None  # from written to decided, decided ones

    @property
    def approved_share(self) -> float | None:
        decided = self.approved + self.rejected
        return self.approved / decided if decided else None


def approvals(*, period: Period, slice_: Slice) -> Approvals:
    """Replies written in the period that needed approval, and how long they waited."""
    where, params = slice_.mention_where()
    (row,) = rows_fetch(
        f"""SELECT count(*),
                   count(*) FILTER (WHERE r.decided_at IS NOT NULL AND r.status <> 'rejected'),
                   count(*) FILTER (WHERE r.status = 'rejected'),
                   count(*) FILTER (WHERE r.status = 'pending_approval'),
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM r.decided_at - r.created_at))
                       FILTER (WHERE r.decided_at IS NOT NULL)
            FROM mentions_response r JOIN mentions_mention m ON m.id = r.mention_id
            WHERE cardinality(r.approval_reasons) > 0
              AND r.created_at >= %s AND r.created_at < %s AND {where}""",
        [period.start, period.end, *params],
    )
    requested, approved, rejected, pending, median = row
    return Approvals(
        requested=int(requested),
        approved=int(approved),
        rejected=int(rejected),
        pending=int(pending),
        median_wait_seconds=None if median is None else float(median),
    )


@dataclass(frozen=True)
class Escalations:
    total: int  # mentions escalated in the period (SLA breaches)
    still_open: int  # of those, not resolved or ignored now
    by_department: list[tuple[str, int]]


def escalations(*, period: Period, slice_: Slice) -> Escalations:
    where, params = slice_.mention_where()
    rows = rows_fetch(
        f"""SELECT COALESCE(d.name, 'No department'), count(*),
                   count(*) FILTER (WHERE m.status = ANY(%s))
            FROM mentions_mention m LEFT JOIN routing_department d ON d.id = m.department_id
            WHERE m.escalated_at >= %s AND m.escalated_at < %s AND {where}
            GROUP BY 1 ORDER BY 2 DESC, 1""",
        [["new", "assigned", "waiting", "escalated"], period.start, period.end, *params],
    )
    return Escalations(
        total=sum(int(r[1]) for r in rows),
        still_open=sum(int(r[2]) for r in rows),
        by_department=[(str(r[0]), int(r[1])) for r in rows],
    )


# --- first response and resolution in calendar and in business hours ------------------------

# Above this many answered mentions, those of every k-th hour of the period are measured
# (at 1,000,000 mentions, 12 months: median, p90 and mean within 3 % of all 569,389).
BUSINESS_SAMPLE = 10_000


@dataclass(frozen=True)
class Durations:
    """How long some mentions waited: how many, the median, the 90th percentile, the mean."""

    count: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    mean_seconds: float | None = None


def durations_of(values: list[float]) -> Durations:
    """Count, median, p90 (interpolated like PostgreSQL's percentile_cont) and mean."""
    if not values:
        return Durations()
    ordered = sorted(values)

    def quantile(q: float) -> float:
        position = q * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return Durations(
        count=len(ordered),
        median_seconds=quantile(0.5),
        p90_seconds=quantile(0.9),
        mean_seconds=sum(ordered) / len(ordered),
    )


@dataclass(frozen=True)
class CareClocks:
    """First response and resolution of the period's mentions, from arrival, counted in
    calendar time and in the client's business hours (the mention's SLA policy's opening
    hours, else the default policy's)."""

    first_response: Durations
    first_response_business: Durations
    resolution: Durations
    resolution_business: Durations
    has_business_hours: bool  # False: no SLA policy, so no business figures
    sampled: bool  # True: measured on an even sample of the mentions
    # When sampled: the mentions of every `sample_every_hours`-th UTC hour were measured
    # (`first_response.count` of the period's `answered` first responses).
    sample_every_hours: int | None = None
    answered: int = 0


def _clocks(
    policies: list[SlaPolicy], start: datetime, end: datetime
) -> tuple[dict[int, BusinessClock], BusinessClock | None]:
    built = {}
    default = None
    for policy in policies:
        try:
            calendar = BusinessCalendar.build(
                timezone=policy.timezone, hours=policy.hours, holidays=policy.holidays
            )
        except CalendarError:
            continue  # saved before validation: its mentions fall back to the default
        clock = BusinessClock.for_range(
            start=start,
            end=end,
            hours=calendar.hours,
            zone=calendar.zone,
            holidays=calendar.holidays,
        )
        built[policy.pk] = clock
        if policy.is_default:
            default = clock
    return built, default


def sample_step(*, expected: int) -> int | None:
    """k for `sample_hours`: None when `expected` answers are at most BUSINESS_SAMPLE."""
    if expected <= BUSINESS_SAMPLE:
        return None
    step = -(-expected // BUSINESS_SAMPLE)
    while math.gcd(step, 168) != 1:
        step += 1
    return step


def sample_hours(*, period: Period, expected: int) -> list[datetime] | None:
    """Every k-th UTC hour of the period when `expected` answers are more than
    BUSINESS_SAMPLE (None: measure them all). k shares no factor with the 168 hours of a
    week, so the sample walks through every hour of the day and weekday evenly (business
    time depends on when a mention arrived)."""
    step = sample_step(expected=expected)
    if step is None:
        return None
    first = period.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = []
    at = first
    while at < period.end:
        hours.append(at)
        at += timedelta(hours=step)
    return hours


def care_clocks(*, period: Period, slice_: Slice, expected: int | None = None) -> CareClocks:
    """First-response and resolution times of the period's mentions (those the calendar
    figures count: relevant, published in the period), in calendar and business time.

    One query over the answered or resolved mentions of the slice, measured in Python with
    one `BusinessClock` per SLA policy. `expected` (how many were answered; counted when
    not given) lets it read only every k-th hour of the period when there are more than
    BUSINESS_SAMPLE (index range scans: the cost stays that of BUSINESS_SAMPLE mentions)."""
    if expected is None:
        expected = care_times(period=period, slice_=slice_).responded
    where, params = slice_.mention_where()
    hours = sample_hours(period=period, expected=expected)
    # POSIX seconds: floats decode far faster than timestamps.
    columns = ", ".join(
        [
            *(
                f"extract(epoch FROM m.{name})::float8"
                for name in ("received_at", "first_response_at", "resolved_at")
            ),
            "m.sla_policy_id",
        ]
    )
    done = "(m.first_response_at IS NOT NULL OR m.resolved_at IS NOT NULL)"
    if hours is None:
        sql = f"""SELECT {columns} FROM mentions_mention m
                  WHERE {done} AND m.published_at >= %s AND m.published_at < %s AND {where}"""
        sql_params = [period.start, period.end, *params]
    else:
        # One index range scan per sampled hour (OFFSET 0 keeps PostgreSQL from turning
        # it into a join over the whole period).
        sql = f"""SELECT s.* FROM unnest(%s::timestamptz[]) AS h(lo) CROSS JOIN LATERAL (
                      SELECT {columns} FROM mentions_mention m
                      WHERE m.published_at >= h.lo AND m.published_at < h.lo + interval '1 hour'
                        AND m.published_at >= %s AND m.published_at < %s
                        AND {done} AND {where} OFFSET 0) AS s"""
        sql_params = [hours, period.start, period.end, *params]
    # JIT compiling took 200-400 ms of a 50 ms read at 1,000,000 mentions: off for it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, sql_params)
        rows = list(cursor.fetchall())
    policies = list(SlaPolicy.objects.all())
    clocks: dict[int, BusinessClock] = {}
    default = None
    if rows and policies:
        instants = [at for row in rows for at in row[:3] if at is not None]
        clocks, default = _clocks(
            policies,
            datetime.fromtimestamp(min(instants), tz=UTC),
            datetime.fromtimestamp(max(instants), tz=UTC),
        )
    first: list[float] = []
    first_business: list[float] = []
    resolution: list[float] = []
    resolution_business: list[float] = []
    for received, answered, resolved, policy_id in rows:
        clock = clocks.get(policy_id, default) if policy_id is not None else default
        for done, calendar_times, business_times in (
            (answered, first, first_business),
            (resolved, resolution, resolution_business),
        ):
            if done is None:
                continue
            calendar_times.append(max(0.0, done - received))
            if clock is not None:
                business_times.append(clock.seconds_between_epochs(received, done))
    return CareClocks(
        first_response=durations_of(first),
        first_response_business=durations_of(first_business),
        resolution=durations_of(resolution),
        resolution_business=durations_of(resolution_business),
        has_business_hours=default is not None or bool(clocks),
        sampled=hours is not None,
        sample_every_hours=sample_step(expected=expected),
        answered=expected,
    )
