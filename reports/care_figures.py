"""More care figures of a period, read from the mentions and responses themselves (they
are small next to the rollups' work): how first responses spread over time buckets,
replies that needed approval and how long they waited, SLA escalations, and first response
and resolution times in calendar and in business hours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mentions.clocks import (
    UNSTAMPED,
    ClockStamp,
    RestampProgress,
    clock_calendar_for,
    clocks_measure,
    restamp_progress,
)
from reports.figures import CareTimes, Period, Slice, rollup_plan, rollup_rows, rows_fetch
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
    exact: percentiles and means in SQL over the business seconds stored on each mention
    when its clock stopped (`mentions.clocks`), read from the index `mention_care_clocks`.
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
