"""More care figures of a period, read from the mentions and responses themselves (they
are small next to the rollups' work): how first responses spread over time buckets,
replies that needed approval and how long they waited, SLA escalations, and first response
and resolution times in calendar and in business hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mentions.clocks import (
    UNSTAMPED,
    ClockStamp,
    RestampProgress,
    clock_calendar_for,
    clocks_measure,
    restamp_progress,
)
from reports.clock_rollup import (
    MEASURES,
    measure_bucket,
    measure_condition,
    measure_seconds,
    plain_seconds,
)
from reports.figures import (
    CARE_SELECT,
    OPEN_STATUSES,
    CareTimes,
    Period,
    Slice,
    _whole_utc_days,
    answered_sql,
    care_of_row,
    rollup_plan,
    rollup_rows,
    rows_fetch,
)
from reports.figures import member_names as figures_member_names
from routing.models import Department, Team
from routing.services.sla import sla_policies_load

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
    hours, else the default policy's). Exact: every answered and resolved mention counts."""

    first_response: Durations
    first_response_business: Durations
    resolution: Durations
    resolution_business: Durations
    has_business_hours: bool  # False: no SLA policy, so no business figures
    # While business hours changed and the stored clocks are measured again: how far (the
    # business figures mix the old hours and the new until it ends).
    restamping: RestampProgress | None = None
    # First responses with a due time, and of those in time (measured with the calendar
    # clocks; 0 when `calendar=False`).
    sla_answered: int = 0
    sla_met: int = 0
    # Kept for the API's shape: the business figures were once measured on a sample.
    sampled: bool = False
    sample_every_hours: int | None = None
    answered: int = 0


def care_times_of(clocks: CareClocks) -> CareTimes:
    """The summary's first-response figures (calendar time, SLA) from clocks measured with
    `calendar=True`: one pass over the answers for both clocks."""
    first = clocks.first_response
    return CareTimes(
        responded=first.count,
        median_seconds=first.median_seconds,
        p90_seconds=first.p90_seconds,
        mean_seconds=first.mean_seconds,
        sla_answered=clocks.sla_answered,
        sla_met=clocks.sla_met,
    )


# date_part is float8 (extract is numeric, several times slower over a year of answers).
_CALENDAR = "GREATEST(0, date_part('epoch', m.{end} - m.received_at))"
_FRACTIONS = "ARRAY[0.5, 0.9]::float8[]"


def _durations(count: Any, quantiles: list[float] | None, mean: Any) -> Durations:
    if not count:
        return Durations()
    median, p90 = quantiles or (None, None)
    return Durations(
        count=int(count),
        median_seconds=None if median is None else float(median),
        p90_seconds=None if p90 is None else float(p90),
        mean_seconds=None if mean is None else float(mean),
    )


def care_clocks(
    *, period: Period, slice_: Slice, resolution: bool = True, calendar: bool = True
) -> CareClocks:
    """First-response and resolution times of the period's mentions (those the calendar
    figures count: relevant, published in the period), in calendar and business time,
    exact, without sorting the period's answers (`clock_durations`). Stopped clocks not
    stored yet (normally none) are measured here and counted in. `resolution=False` leaves
    the resolution figures empty (the summary API has none), `calendar=False` the calendar
    ones and the SLA counts; with them, `care_times_of` gives the summary's first-response
    figures."""
    policies = sla_policies_load()
    calendar_for = clock_calendar_for(policies)
    has_business = any(calendar_for(pk) is not None for pk in policies.by_id)
    where, params = slice_.mention_where()
    measures = [
        measure
        for measure, (end, stored) in MEASURES.items()
        if (resolution or end == "first_response_at") and (has_business if stored else calendar)
    ]
    fixes: list[tuple[int, float]] = []
    if has_business and any(MEASURES[n][1] for n in measures):
        unstamped = rows_fetch(
            f"""SELECT m.id, m.received_at, m.first_response_at, m.resolved_at, m.sla_policy_id
                FROM mentions_mention m WHERE {UNSTAMPED} AND m.published_at >= %s
                AND m.published_at < %s AND {where}""",
            [period.start, period.end, *params],
            # The partial index is normally empty, but priced as a year of rows: compiling
            # took 17 ms of the 43.
            jit=False,
        )
        for _, answered, resolved in clocks_measure(unstamped, calendar_for=calendar_for):
            for measure, secs in ((2, answered), (4, resolved)):
                if measure in measures and secs is not None:
                    fixes.append((measure, secs))
    found = (
        clock_durations(period=period, slice_=slice_, measures=measures, fixes=fixes)
        if measures
        else {}
    )
    if found is None:  # a rollup disagrees with the mentions: sort every answer
        return care_clocks_sorted(
            period=period, slice_=slice_, resolution=resolution, calendar=calendar
        )
    sla = _sla_counts(period=period, slice_=slice_) if calendar else (0, 0)
    first = found.get(1, Durations())
    return CareClocks(
        first_response=first,
        first_response_business=found.get(2, Durations()),
        resolution=found.get(3, Durations()),
        resolution_business=found.get(4, Durations()),
        has_business_hours=has_business,
        restamping=restamp_progress(),
        answered=first.count,
        sla_answered=sla[0],
        sla_met=sla[1],
    )


def _sla_counts(*, period: Period, slice_: Slice) -> tuple[int, int]:
    """First responses with a due time, and of those in time: from the one-dimension or
    cube rollup, else (the aspect cube has no care counts) from the mentions."""
    plan = rollup_plan(slice_)
    if plan.table in ("reports_dimensionhour", "reports_mentionhour"):
        source, params = rollup_rows(plan, period)
        sql = f"SELECT COALESCE(sum(sla_answered), 0), COALESCE(sum(sla_met), 0) {source}"
    else:
        where, where_params = slice_.mention_where()
        sql = f"""SELECT count(*) FILTER (WHERE m.first_response_due IS NOT NULL),
                         count(*) FILTER (WHERE m.first_response_at <= m.first_response_due)
                  FROM mentions_mention m WHERE m.first_response_at IS NOT NULL
                  AND m.published_at >= %s AND m.published_at < %s AND {where}"""
        params = [period.start, period.end, *where_params]
    ((answered, met),) = rows_fetch(sql, params)
    return int(answered), int(met)


def clock_rollup_where(slice_: Slice) -> tuple[str, list[Any]] | None:
    """The clock rollups' rows of the slice (one dimension value, or the reader's
    departments), None when it sets two filters or more, or a filter within a scope."""
    filters = slice_.filters()
    scope = slice_.departments
    if not filters and scope is None:
        return " AND dimension = 'all' AND value = ''", []
    if len(filters) == 1 and scope is None:
        ((name, value),) = filters
        return " AND dimension = %s AND value = %s", [name, value]
    if not filters and scope is not None:
        return " AND dimension = 'department' AND value = ANY(%s)", [
            [str(pk) for pk in sorted(scope)]
        ]
    return None


def _clock_segments(
    period: Period, rolled: bool
) -> tuple[list[tuple[str, datetime, datetime, int]], list[tuple[datetime, datetime]]]:
    """The period as rollup ranges (table, start, end, sign: whole UTC months, whole UTC
    days) and ranges read from the mentions (the ragged hours at the ends, or all of it).
    A partial month at either end is its month's row less the days outside the period
    (sign -1) when those are fewer than the days inside it."""
    days = _whole_utc_days(period) if rolled else None
    if days is None:
        return [], [(period.start, period.end)]
    first, last = days
    month_first = first if first.day == 1 else _next_month(first)
    month_last = last.replace(day=1)
    ranges = [(period.start, first), (last, period.end)]
    if month_first >= month_last:
        tables = [("reports_clockday", first, last, 1)]
    else:
        tables = []
        head = first.replace(day=1)
        if first != head and first - head < month_first - first:
            tables.append(("reports_clockday", head, first, -1))
            month_first = head
        else:
            tables.append(("reports_clockday", first, month_first, 1))
        tail = _next_month(month_last)
        if last != month_last and tail - last < last - month_last:
            tables.append(("reports_clockday", last, tail, -1))
            month_last = tail
        else:
            tables.append(("reports_clockday", month_last, last, 1))
        tables.append(("reports_clockmonth", month_first, month_last, 1))
    return [t for t in tables if t[1] < t[2]], [r for r in ranges if r[0] < r[1]]


def _next_month(day: datetime) -> datetime:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def clock_durations(
    *, period: Period, slice_: Slice, measures: list[int], fixes: list[tuple[int, float]]
) -> dict[int, Durations] | None:
    """Count, median, p90 and mean of each measure (`reports.clock_rollup.MEASURES`) over
    the period's answers in the slice and `fixes` (measure, seconds: business clocks not
    stored yet), exact without sorting the answers (`clock_durations_by`). None when the
    buckets read do not hold what was counted (the caller then sorts every answer)."""
    found = clock_durations_by(
        period=period, slice_=slice_, measures=measures, fixes=fixes, department=False
    )
    return None if found is None else found.get("", dict.fromkeys(measures, Durations()))


def clock_durations_by(
    *,
    period: Period,
    slice_: Slice,
    measures: list[int],
    fixes: list[tuple[int, float]],
    department: bool,
) -> dict[str, dict[int, Durations]] | None:
    """Count, median, p90 and mean of each measure over the period's answers in the slice,
    per department (its id as text, "0" for none) or, with `department=False`, for all
    (key ""), exact without sorting the answers: the histogram rollups give each measure's
    count, sum and the bucket holding each percentile's ranks, and only those buckets'
    answers are read (covering index `mention_clock_bucket_N`), interpolated as
    percentile_cont does. The ragged hours at the period's ends, and slices the rollups do
    not hold, are counted from the mentions (index `mention_care_clocks`). `fixes`
    (measure, seconds: business clocks not stored yet) count in the total only. None when
    the buckets read do not hold what was counted."""
    where, params = slice_.mention_where()
    rollup = clock_rollup_where(slice_)
    if department:  # the rollups' department rows, when no filter is set
        # By value (every department and 0, none): the rows are keyed by value before day.
        scope = slice_.departments
        if scope is None:
            scope = frozenset({0, *Department.objects.values_list("pk", flat=True)})
        rollup = (
            None
            if slice_.filters()
            else (
                " AND dimension = 'department' AND value = ANY(%s)",
                [[str(pk) for pk in sorted(scope)]],
            )
        )
    raw_group = "COALESCE(m.department_id, 0)::text" if department else "''"
    tables, ranges = _clock_segments(period, rollup is not None)
    parts: list[str] = []
    args: list[Any] = []
    for table, start, end, sign in tables:
        assert rollup is not None
        parts.append(
            f"""SELECT {"value" if department else "''"} AS grp, measure, bucket,
                       {int(sign)} * answers, {int(sign)} * seconds
                FROM {table} WHERE day >= %s AND day < %s AND measure = ANY(%s){rollup[0]}"""
        )
        args += [start, end, measures, *rollup[1]]
    if ranges:
        each = ", ".join(f"({n}, {measure_seconds(n)})" for n in MEASURES)
        within = " OR ".join("(m.published_at >= %s AND m.published_at < %s)" for _ in ranges)
        parts.append(
            f"""SELECT {raw_group}, c.measure, public.reports_clock_bucket(c.secs), 1, c.secs
                FROM mentions_mention m CROSS JOIN LATERAL (VALUES {each}) AS c(measure, secs)
                WHERE ({within})
                  AND (m.first_response_at IS NOT NULL OR m.resolved_at IS NOT NULL)
                  AND {where} AND c.secs IS NOT NULL AND c.measure = ANY(%s)"""
        )
        args += [*(at for span in ranges for at in span), *params, measures]
    if fixes:
        assert not department
        parts.append(
            "SELECT '', f.measure, public.reports_clock_bucket(f.secs), 1, f.secs"
            " FROM unnest(%s::int[], %s::float8[]) AS f(measure, secs)"
        )
        args += [[n for n, _ in fixes], [secs for _, secs in fixes]]
    Series = tuple[str, int]  # (group, measure)
    counts: dict[Series, dict[int, int]] = {}
    sums: dict[Series, float] = {}
    for group, measure, bucket, answers, seconds in rows_fetch(
        f"""SELECT grp, measure, bucket, sum(answers), sum(seconds) FROM (
                {" UNION ALL ".join(parts)}) AS s(grp, measure, bucket, answers, seconds)
            GROUP BY 1, 2, 3""",
        args,
        jit=False,
    ):
        if answers:
            counts.setdefault((group, measure), {})[bucket] = int(answers)
            sums[(group, measure)] = sums.get((group, measure), 0.0) + float(seconds)
    # series -> bucket -> answers before it, for the buckets holding the wanted ranks
    starts: dict[Series, dict[int, int]] = {}
    ranks: dict[Series, list[tuple[float, int, int]]] = {}
    for series, held in counts.items():
        total = sum(held.values())
        before, running = {}, 0
        for bucket in sorted(held):
            before[bucket] = running
            running += held[bucket]
        ranks[series] = []
        for fraction in (0.5, 0.9):
            position = fraction * (total - 1)
            low = int(position)
            high = low + 1 if position > low else low
            ranks[series].append((position, low, high))
            for rank in (low, high):
                bucket = max(b for b in before if before[b] <= rank)
                starts.setdefault(series, {})[bucket] = before[bucket]
    # (group, measure, bucket) -> how many answers it holds, and its values by rank in it
    sizes: dict[tuple[str, int, int], int] = {}
    picked: dict[tuple[str, int, int, int], float] = {}
    for series, held in starts.items():
        if 0 in held:  # answers of no time at all (0.0 at every rank): nothing to read
            sizes[(*series, 0)] = counts[series][0]
    if department or fixes:
        _buckets_read(
            starts,
            sizes=sizes,
            picked=picked,
            reads=_bucket_reads(period, slice_, starts, raw_group),
            fixes=fixes,
        )
    else:
        _buckets_ranked(
            period, slice_, starts=starts, ranks=ranks, counts=counts, sizes=sizes, picked=picked
        )
    found: dict[str, dict[int, Durations]] = {}
    for series, held in starts.items():
        if any(sizes.get((*series, b)) != counts[series][b] for b in held):
            return None  # a rollup does not hold what the mentions do

        def value_at(rank: int, held: dict[int, int] = held, series: Series = series) -> float:
            bucket = max(b for b in held if held[b] <= rank)
            return 0.0 if bucket == 0 else picked[(*series, bucket, rank - held[bucket])]

        quantiles = []
        for position, low, high in ranks[series]:
            value = value_at(low)
            if high != low:
                value += (value_at(high) - value) * (position - low)
            quantiles.append(value)
        total = sum(counts[series].values())
        found.setdefault(series[0], dict.fromkeys(measures, Durations()))[series[1]] = Durations(
            count=total,
            median_seconds=quantiles[0],
            p90_seconds=quantiles[1],
            mean_seconds=sums[series] / total,
        )
    return found


def _bucket_reads(
    period: Period, slice_: Slice, starts: dict[tuple[str, int], dict[int, int]], group: str
) -> tuple[str, list[Any]]:
    """One read of every answer of the period in the wanted buckets (but 0), per measure."""
    where, params = slice_.mention_where()
    to_read: dict[int, set[int]] = {}
    for (_, measure), held in starts.items():
        to_read.setdefault(measure, set()).update(b for b in held if b != 0)
    reads = []
    args: list[Any] = []
    for measure, buckets in to_read.items():
        if buckets:
            reads.append(
                f"""SELECT {group}, {measure}, {measure_bucket(measure)}, {plain_seconds(measure)}
                    FROM mentions_mention m
                    WHERE {measure_condition(measure)} AND {measure_bucket(measure)} = ANY(%s)
                      AND m.published_at >= %s AND m.published_at < %s AND {where}"""
            )
            args += [sorted(buckets), period.start, period.end, *params]
    return " UNION ALL ".join(reads), args


def _buckets_read(
    starts: dict[tuple[str, int], dict[int, int]],
    *,
    sizes: dict[tuple[str, int, int], int],
    picked: dict[tuple[str, int, int, int], float],
    reads: tuple[str, list[Any]],
    fixes: list[tuple[int, float]],
) -> None:
    """The wanted buckets' answers, sorted here (per department, or with fixes)."""
    sql, args = reads
    if not sql:
        return
    if fixes:
        sql += (
            " UNION ALL SELECT '', f.measure, public.reports_clock_bucket(f.secs), f.secs"
            " FROM unnest(%s::int[], %s::float8[]) AS f(measure, secs)"
        )
        args = [*args, [n for n, _ in fixes], [secs for _, secs in fixes]]
    values: dict[tuple[str, int, int], list[float]] = {}
    for group, measure, bucket, secs in rows_fetch(sql, args, jit=False):
        if bucket != 0 and bucket in starts.get((group, measure), {}):
            values.setdefault((group, measure, bucket), []).append(float(secs))
    for key, found in values.items():
        sizes[key] = len(found)
        picked.update(((*key, i), value) for i, value in enumerate(sorted(found)))


def _buckets_ranked(
    period: Period,
    slice_: Slice,
    *,
    starts: dict[tuple[str, int], dict[int, int]],
    ranks: dict[tuple[str, int], list[tuple[float, int, int]]],
    counts: dict[tuple[str, int], dict[int, int]],
    sizes: dict[tuple[str, int, int], int],
    picked: dict[tuple[str, int, int, int], float],
) -> None:
    """The answers at the wanted ranks of each wanted bucket (but 0), taken in SQL: one
    ordered-set aggregate per bucket over its answers of the period, `percentile_disc` at
    (rank + 0.5) / size, which is that rank's answer whatever the rounding; with the
    bucket's size (checked against the rollups' count)."""
    where, params = slice_.mention_where()
    wanted: dict[tuple[int, int], set[int]] = {}
    for series, held in starts.items():
        for _, low, high in ranks[series]:
            for rank in (low, high):
                bucket = max(b for b in held if held[b] <= rank)
                if bucket != 0:
                    wanted.setdefault((series[1], bucket), set()).add(rank - held[bucket])
    arms = []
    args: list[Any] = []
    order = {}
    for (measure, bucket), indexes in wanted.items():
        size = counts[("", measure)][bucket]
        order[(measure, bucket)] = ordered = sorted(indexes)
        arms.append(
            f"""SELECT {int(measure)}, {int(bucket)}, count(*), percentile_disc(%s::float8[])
                       WITHIN GROUP (ORDER BY {plain_seconds(measure)})
                FROM mentions_mention m
                WHERE {measure_condition(measure)} AND {measure_bucket(measure)} = %s
                  AND m.published_at >= %s AND m.published_at < %s AND {where}"""
        )
        args += [[(i + 0.5) / size for i in ordered], bucket, period.start, period.end, *params]
    if not arms:
        return
    rows = rows_fetch(" UNION ALL ".join(f"({arm})" for arm in arms), args, jit=False)
    for measure, bucket, size, values in rows:
        sizes[("", measure, bucket)] = int(size)
        if values is not None:
            picked.update(
                (("", measure, bucket, i), float(v))
                for i, v in zip(order[(measure, bucket)], values, strict=True)
            )


def care_clocks_sorted(
    *, period: Period, slice_: Slice, resolution: bool = True, calendar: bool = True
) -> CareClocks:
    """`care_clocks` by sorting every answer of the period (what it falls back to when a
    rollup disagrees with the mentions). First-response and resolution times of the
    period's mentions (those the calendar figures count: relevant, published in the
    period), in calendar and business time, exact: percentiles and means in SQL over the
    business seconds stored on each mention when its clock stopped (`mentions.clocks`),
    read from the index `mention_care_clocks`.
    Stopped clocks not stored yet (normally none) are measured here and joined in.
    `resolution=False` leaves the resolution figures empty (the summary API has none),
    `calendar=False` the calendar ones and the SLA counts; with them, `care_times_of` gives
    the summary's first-response figures from the same pass."""
    policies = sla_policies_load()
    calendar_for = clock_calendar_for(policies)
    has_business = any(calendar_for(pk) is not None for pk in policies.by_id)
    where, params = slice_.mention_where()
    in_period = "m.published_at >= %s AND m.published_at < %s"
    fixes: list[ClockStamp] = []
    if has_business:
        unstamped = rows_fetch(
            f"""SELECT m.id, m.received_at, m.first_response_at, m.resolved_at, m.sla_policy_id
                FROM mentions_mention m WHERE {UNSTAMPED} AND {in_period} AND {where}""",
            [period.start, period.end, *params],
        )
        fixes = clocks_measure(unstamped, calendar_for=calendar_for)
    ends = ["first_response_at", *(["resolved_at"] if resolution else [])]
    stored = {
        "first_response_at": "m.first_response_business_seconds",
        "resolved_at": "m.resolution_business_seconds",
    }
    join = ""
    join_params: list[Any] = []
    if fixes:
        join = (
            "LEFT JOIN unnest(%s::bigint[], %s::float8[], %s::float8[])"
            " AS fix(id, first_response_at, resolved_at) ON fix.id = m.id"
        )
        join_params = [list(column) for column in zip(*fixes, strict=True)]
    measures: dict[str, str] = {}
    for end in ends:
        if calendar:
            measures[end] = _CALENDAR.format(end=end)
        if has_business:
            measures[f"{end}_business"] = (
                f"COALESCE({stored[end]}, fix.{end})" if fixes else stored[end]
            )
    found: dict[str, Durations] = {}
    sla = (0, 0)
    if measures:
        columns = [
            f"CASE WHEN m.{name.removesuffix('_business')} IS NOT NULL THEN {sql} END AS {name}"
            for name, sql in measures.items()
        ]
        aggregates = [
            f"count(s.{name}), percentile_cont({_FRACTIONS}) WITHIN GROUP (ORDER BY s.{name}),"
            f" avg(s.{name})"
            for name in measures
        ]
        if calendar:
            # SLA compliance of the first responses, in the same pass.
            columns += ["m.first_response_at AS answered_at", "m.first_response_due AS due_at"]
            aggregates.append(
                "count(*) FILTER (WHERE s.answered_at IS NOT NULL AND s.due_at IS NOT NULL),"
                " count(*) FILTER (WHERE s.answered_at <= s.due_at)"
            )
        stopped = " OR ".join(f"m.{end} IS NOT NULL" for end in ends)
        ((*row,),) = rows_fetch(
            f"""SELECT {", ".join(aggregates)} FROM (
                    SELECT {", ".join(columns)} FROM mentions_mention m {join}
                    WHERE ({stopped}) AND {in_period} AND {where}) AS s""",
            [*join_params, period.start, period.end, *params],
            jit=False,  # compiling took longer than the read
            sorts=True,
        )
        found = {name: _durations(*row[3 * i : 3 * i + 3]) for i, name in enumerate(measures)}
        if calendar:
            sla = (int(row[-2]), int(row[-1]))
    first = found.get("first_response_at", Durations())
    return CareClocks(
        first_response=first,
        first_response_business=found.get("first_response_at_business", Durations()),
        resolution=found.get("resolved_at", Durations()),
        resolution_business=found.get("resolved_at_business", Durations()),
        has_business_hours=has_business,
        restamping=restamp_progress(),
        answered=first.count,
        sla_answered=sla[0],
        sla_met=sla[1],
    )


def care_by_department(*, period: Period, slice_: Slice) -> dict[int, CareTimes] | None:
    """`figures.care_by`'s first-response figures per department (0: none), exact from
    the clock histograms (`clock_durations_by`) and the SLA counts of the rollups; None
    when the slice needs the aspect cube (no care counts there) or a rollup disagrees with
    the mentions (the caller then sorts every answer)."""
    plan = rollup_plan(slice_, by="department")
    if plan.table == "reports_aspecthour":
        return None
    found = clock_durations_by(
        period=period, slice_=slice_, measures=[1], fixes=[], department=True
    )
    if found is None:
        return None
    source, params = rollup_rows(plan, period)
    sla = {
        int(key): (int(answered), int(met))
        for key, answered, met in rows_fetch(
            f"SELECT {plan.key}, sum(sla_answered), sum(sla_met) {source} GROUP BY 1", params
        )
    }
    rows = {}
    for key, measures in found.items():
        first = measures[1]
        answered, met = sla.get(int(key), (0, 0))
        rows[int(key)] = CareTimes(
            responded=first.count,
            median_seconds=first.median_seconds,
            p90_seconds=first.p90_seconds,
            mean_seconds=first.mean_seconds,
            sla_answered=answered,
            sla_met=met,
        )
    return rows


# --- care per department, team or person (moved from reports.figures) ---------------------


@dataclass(frozen=True)
class CareRow:
    key: int
    label: str
    care: CareTimes
    received: int | None  # mentions of the period routed there (departments only)
    open: int  # open now
    overdue: int  # open now and past their SLA

    @property
    def response_rate(self) -> float | None:
        return self.care.responded / self.received if self.received else None


def care_by(*, period: Period, by: str, slice_: Slice) -> list[CareRow]:
    """First-response figures of the period per department, team or person (the author of
    the first response), with what each holds open now."""
    if by == "person":
        key = "r.author_id"
        join = "JOIN mentions_response r ON r.mention_id = m.id AND r.is_first"
        open_key = "m.assignee_id"
    else:
        key = "COALESCE(m.department_id, 0)" if by == "department" else "m.team_id"
        join, open_key = "", key
    answered: dict[int, CareTimes] | None = None
    if by == "department":
        # Exact from the clock histograms, no sort.
        answered = care_by_department(period=period, slice_=slice_)
    if answered is None:
        sql, params = answered_sql(slice_, key=key, join=join)
        answered = {
            row[0]: care_of_row(row[1:])
            for row in rows_fetch(
                f"SELECT s.key, {CARE_SELECT} FROM ({sql}) AS s "
                "WHERE s.key IS NOT NULL GROUP BY s.key",
                [period.start, period.end, *params],
                jit=False,
                sorts=True,
            )
        }
    received: dict[int, int] = {}
    where, where_params = slice_.mention_where()
    current = {
        row[0]: (int(row[1]), int(row[2]))
        for row in rows_fetch(
            f"""SELECT {open_key}, count(*), count(*) FILTER (WHERE m.sla_state = 'breached')
                FROM mentions_mention m WHERE m.status = ANY(%s) AND {where}
                AND {open_key} IS NOT NULL GROUP BY 1""",
            [list(OPEN_STATUSES), *where_params],
        )
    }
    if by == "department" and not received:
        plan = rollup_plan(slice_, by="department")
        source, params = rollup_rows(plan, period)
        received = {
            int(key): int(n)
            for key, n in rows_fetch(
                f"SELECT {plan.key}, sum(mentions) {source} GROUP BY 1", params
            )
        }
    keys = set(answered) | set(current) | {k for k, n in received.items() if n}
    names = _care_labels(by, keys)
    rows = [
        CareRow(
            key=key,
            label=names.get(key, f"#{key}"),
            care=answered.get(key, CareTimes()),
            received=received.get(key, 0) if by == "department" else None,
            open=current.get(key, (0, 0))[0],
            overdue=current.get(key, (0, 0))[1],
        )
        for key in keys
    ]
    return sorted(rows, key=lambda row: (-row.care.responded, -row.open, row.label))


def _care_labels(by: str, keys: set[int]) -> dict[int, str]:
    if by == "department":
        names = dict(Department.objects.filter(pk__in=keys).values_list("pk", "name"))
        return {**names, 0: "No department"}
    if by == "team":
        return dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    names = figures_member_names()
    return {key: names[key] for key in keys if key in names}
