"""More care figures of a period, read from the mentions and responses themselves (they
are small next to the rollups' work): how first responses spread over time buckets,
replies that needed approval and how long they waited, and SLA escalations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from reports.figures import Period, Slice

# (label, from seconds, to seconds or None): calendar time from arrival to first response.
FIRST_RESPONSE_BUCKETS = (
    ("0\N{EN DASH}1 h", 0, 3600),
    ("1\N{EN DASH}4 h", 3600, 4 * 3600),
    ("4\N{EN DASH}8 h", 4 * 3600, 8 * 3600),
    ("8\N{EN DASH}24 h", 8 * 3600, 24 * 3600),
    ("24 h+", 24 * 3600, None),
)


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int
    share: float | None  # of all first responses of the period


def first_response_distribution(*, period: Period, slice_: Slice) -> list[Bucket]:
    """First responses to the period's mentions per time bucket (0 to 1 h, ..., 24 h and more)."""
    where, params = slice_.mention_where()
    cases = ", ".join(
        f"count(*) FILTER (WHERE s.secs >= {lo}" + (f" AND s.secs < {hi})" if hi else ")")
        for _, lo, hi in FIRST_RESPONSE_BUCKETS
    )
    (row,) = _rows(
        f"""SELECT {cases} FROM (
                SELECT GREATEST(0, extract(epoch FROM m.first_response_at - m.received_at))
                       AS secs
                FROM mentions_mention m
                WHERE m.first_response_at IS NOT NULL AND m.published_at >= %s
                  AND m.published_at < %s AND {where}) AS s""",
        [period.start, period.end, *params],
    )
    total = sum(int(n) for n in row)
    return [
        Bucket(label, int(n), int(n) / total if total else None)
        for (label, _, _), n in zip(FIRST_RESPONSE_BUCKETS, row, strict=True)
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
    (row,) = _rows(
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
    rows = _rows(
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
