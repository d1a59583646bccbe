"""The agency's overview: every client it serves on one table, one query per client.

Runs on the agency's host (public schema) and reads each client's own tables by their
schema-qualified names; only the clients handed in (those the user may open) are read.
Days are each client's own days (its default SLA policy's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from accounts.models import Client
from routing.shifts import DEFAULT_TIMEZONE

OVERVIEW_DAYS = 7
OPEN_STATUSES = ["new", "assigned", "waiting", "escalated"]

# {s}: the client's quoted schema name (from the Client row, never from a request).
_CLIENT_SQL = """
WITH tz AS (
    SELECT COALESCE(
        (SELECT timezone FROM {s}.routing_slapolicy ORDER BY is_default DESC, id LIMIT 1), %s
    ) AS name
), days AS (
    SELECT d::date AS day, d AT TIME ZONE tz.name AS lo,
           (d + interval '1 day') AT TIME ZONE tz.name AS hi
    FROM tz, generate_series(
        date_trunc('day', now() AT TIME ZONE tz.name) - interval '13 days',
        date_trunc('day', now() AT TIME ZONE tz.name), interval '1 day') AS d
), daily AS (
    SELECT days.day, COALESCE(sum(h.mentions), 0) AS n,
           COALESCE(sum(h.mentions) FILTER (WHERE h.sentiment = 'negative'), 0) AS neg,
           COALESCE(sum(h.sla_answered), 0) AS answered, COALESCE(sum(h.sla_met), 0) AS met
    FROM days LEFT JOIN {s}.reports_dimensionhour h
        ON h.dimension = 'all' AND h.bucket >= days.lo AND h.bucket < days.hi
    GROUP BY days.day
), week AS (SELECT min(lo) AS since FROM (SELECT lo FROM days ORDER BY day DESC LIMIT 7) AS w)
SELECT
    (SELECT array_agg(n ORDER BY day) FROM daily),
    (SELECT array_agg(neg ORDER BY day) FROM daily),
    (SELECT sum(answered) FROM (SELECT * FROM daily ORDER BY day DESC LIMIT 7) AS w),
    (SELECT sum(met) FROM (SELECT * FROM daily ORDER BY day DESC LIMIT 7) AS w),
    open.total, open.unassigned, open.overdue,
    (SELECT percentile_cont(0.5) WITHIN GROUP (
         ORDER BY GREATEST(0, extract(epoch FROM m.first_response_at - m.received_at)))
     FROM {s}.mentions_mention m, week
     WHERE m.first_response_at IS NOT NULL AND m.relevant AND m.published_at >= week.since),
    (SELECT count(*) FROM {s}.reports_alert WHERE closed_at IS NULL),
    (SELECT name FROM tz)
FROM (
    SELECT count(*) AS total, count(*) FILTER (WHERE assignee_id IS NULL) AS unassigned,
           count(*) FILTER (WHERE sla_state = 'breached') AS overdue
    FROM {s}.mentions_mention WHERE status = ANY(%s)
) AS open
"""


@dataclass(frozen=True)
class ClientOverview:
    client: Client
    daily: list[int]  # the last 7 days, oldest first (the last one is today)
    negative_week: int
    negative_before: int
    total_before: int
    sla_answered: int
    sla_met: int
    open: int
    unassigned: int
    overdue: int
    median_first_response_seconds: float | None
    open_alerts: int
    timezone: str

    @property
    def today(self) -> int:
        return self.daily[-1] if self.daily else 0

    @property
    def week(self) -> int:
        return sum(self.daily)

    @property
    def negative_share(self) -> float | None:
        return self.negative_week / self.week if self.week else None

    @property
    def negative_share_before(self) -> float | None:
        return self.negative_before / self.total_before if self.total_before else None

    @property
    def negative_trend(self) -> float | None:
        """Change in negative share against the 7 days before (in share points, 0..1)."""
        now, before = self.negative_share, self.negative_share_before
        return None if now is None or before is None else now - before

    @property
    def sla_met_share(self) -> float | None:
        return self.sla_met / self.sla_answered if self.sla_answered else None

    @property
    def attention(self) -> tuple[int, int, float, int, int]:
        """Sort key, most urgent first: open alerts, overdue, rising negative share,
        unassigned, volume today."""
        return (
            -self.open_alerts,
            -self.overdue,
            -(self.negative_trend or 0.0),
            -self.unassigned,
            -self.today,
        )


def client_overview(*, client: Client) -> ClientOverview:
    """One client's row: one query against its schema."""
    schema = connection.ops.quote_name(client.schema_name)
    with connection.cursor() as cursor:
        cursor.execute(_CLIENT_SQL.format(s=schema), [DEFAULT_TIMEZONE, OPEN_STATUSES])
        row = cursor.fetchone()
    assert row is not None  # an aggregate always answers one row
    (daily, negative, answered, met, open_total, unassigned, overdue, median, alerts, zone) = row
    days = [int(n) for n in daily or []]
    negatives = [int(n) for n in negative or []]
    return ClientOverview(
        client=client,
        daily=days[-OVERVIEW_DAYS:],
        negative_week=sum(negatives[-OVERVIEW_DAYS:]),
        negative_before=sum(negatives[:-OVERVIEW_DAYS]),
        total_before=sum(days[:-OVERVIEW_DAYS]),
        sla_answered=int(answered or 0),
        sla_met=int(met or 0),
        open=int(open_total),
        unassigned=int(unassigned),
        overdue=int(overdue),
        median_first_response_seconds=None if median is None else float(median),
        open_alerts=int(alerts),
        timezone=zone,
    )


def agency_overview(*, clients: list[Client]) -> list[ClientOverview]:
    """The given clients' rows, most in need of attention first."""
    rows = [client_overview(client=client) for client in clients]
    return sorted(rows, key=lambda row: (*row.attention, row.client.name))
