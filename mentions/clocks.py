"""Care clocks stored on each mention when they stop: the business seconds from arrival to
the first response (`first_response_business_seconds`) and to the resolution
(`resolution_business_seconds`), in the opening hours and time zone of the mention's SLA
policy, else the client's default policy (as the SLA clock; a policy whose hours do not
parse falls back to the default too). The reports take exact medians, p90 and means of
them in SQL instead of measuring thousands of mentions per request.

Measured with `routing.business_time` (the one business-time calculator, over
`routing.sla.business_intervals`, which the SLA due times read too) whenever a mention is
saved with a changed arrival, first response, resolution or policy (`_mention_save` calls
`mention_clocks_stamp`): a response or a late delivery, a status change, a bulk or case
action, a reopening (which clears the resolution clock).

NULL means not measured: rows written by raw SQL (imports, seeds), and rows whose times
changed in a statement that did not measure them again (a BEFORE UPDATE trigger, mentions
migration 0027, clears such a stamp). Reports measure unstamped rows as they read (normally
none), and `mentions_clocks_restamp` stamps them in bulk; after business hours change it
measures every stopped clock again, in chunks, with its progress in the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypedDict

from django.core.cache import cache
from django.db import connection, transaction

from mentions.models import Mention
from routing.business_time import BusinessClock
from routing.services.sla import SlaPolicies, sla_policies_load
from routing.sla import BusinessCalendar, CalendarError

# Saving any of these moves a stopped clock: the stamps are measured again.
CLOCK_SOURCES = frozenset(
    {"received_at", "first_response_at", "resolved_at", "sla_policy", "sla_policy_id"}
)
STAMP_FIELDS = ("first_response_business_seconds", "resolution_business_seconds")

# (mention id, arrival, first response or None, resolution or None, SLA policy id or None)
ClockRow = tuple[int, datetime, datetime | None, datetime | None, int | None]
# (mention id, business seconds to first response, to resolution; None: not stopped)
ClockStamp = tuple[int, float | None, float | None]
CalendarFor = Callable[[int | None], BusinessCalendar | None]


def clock_calendar_for(policies: SlaPolicies) -> CalendarFor:
    """The calendar a mention's clocks run on, by its policy id: its policy's hours, else
    the default policy's; None when the client has no usable policy."""

    def calendar_for(policy_id: int | None) -> BusinessCalendar | None:
        for policy in (policies.get(policy_id), policies.default):
            if policy is None:
                continue
            try:
                return policies.calendar(policy)
            except CalendarError:
                continue  # saved before validation: fall back to the default
        return None

    return calendar_for


def clocks_measure(rows: Sequence[ClockRow], *, calendar_for: CalendarFor) -> list[ClockStamp]:
    """Business seconds to first response and to resolution for each row (0 when the
    clock stopped before arrival; None when it has not stopped or there are no hours).
    One `BusinessClock` per calendar over the rows' range: two binary searches a clock."""
    calendars: dict[int | None, BusinessCalendar | None] = {}
    spans: dict[int, tuple[datetime, datetime]] = {}
    for _, received, first, resolved, policy_id in rows:
        if policy_id not in calendars:
            calendars[policy_id] = calendar_for(policy_id)
        calendar = calendars[policy_id]
        if calendar is None:
            continue
        instants = [at for at in (received, first, resolved) if at is not None]
        low, high = spans.get(id(calendar), (min(instants), max(instants)))
        spans[id(calendar)] = (min(low, *instants), max(high, *instants))
    clocks: dict[int, BusinessClock] = {}
    for calendar in calendars.values():
        if calendar is None or id(calendar) in clocks:
            continue
        start, end = spans[id(calendar)]
        clocks[id(calendar)] = BusinessClock.for_range(
            start=start,
            end=end,
            hours=calendar.hours,
            zone=calendar.zone,
            holidays=calendar.holidays,
        )
    stamps = []
    for pk, received, first, resolved, policy_id in rows:
        calendar = calendars[policy_id]
        clock = clocks[id(calendar)] if calendar is not None else None
        stamps.append(
            (
                pk,
                None if clock is None or first is None else clock.seconds_between(received, first),
                None
                if clock is None or resolved is None
                else clock.seconds_between(received, resolved),
            )
        )
    return stamps


def mention_clocks_stamp(*, mention: Mention, policies: SlaPolicies | None = None) -> list[str]:
    """Measure the mention's stopped clocks in business time (in place, on the instance);
    returns the stamp fields to save with it."""
    policies = policies if policies is not None else sla_policies_load()
    ((_, first, resolution),) = clocks_measure(
        [
            (
                mention.pk,
                mention.received_at,
                mention.first_response_at,
                mention.resolved_at,
                mention.sla_policy_id,
            )
        ],
        calendar_for=clock_calendar_for(policies),
    )
    mention.first_response_business_seconds = first
    mention.resolution_business_seconds = resolution
    return list(STAMP_FIELDS)


class RestampProgress(TypedDict):
    """How far the client's running restamp is: stopped clocks measured of all."""

    done: int
    total: int


# One hour after the last chunk a stuck restamp's progress is forgotten.
_PROGRESS_SECONDS = 3600
_STOPPED = "(m.first_response_at IS NOT NULL OR m.resolved_at IS NOT NULL)"
# Matches the partial index `mention_clocks_unstamped` (migration 0027).
UNSTAMPED = (
    "((m.first_response_at IS NOT NULL AND m.first_response_business_seconds IS NULL)"
    " OR (m.resolved_at IS NOT NULL AND m.resolution_business_seconds IS NULL))"
)
_STAMP_UPDATE = """
UPDATE mentions_mention m
SET first_response_business_seconds = t.first, resolution_business_seconds = t.resolution
FROM unnest(%s::bigint[], %s::float8[], %s::float8[]) AS t(id, first, resolution)
WHERE m.id = t.id
"""


def _progress_key() -> str:
    return f"mentions:clocks_restamp:{connection.schema_name}"  # type: ignore[attr-defined]


def restamp_progress() -> RestampProgress | None:
    """The current client's running restamp (None when none runs): until it ends, the
    business-hours figures mix the old hours and the new."""
    found: RestampProgress | None = cache.get(_progress_key())
    return found


def clocks_stamps_write(stamps: Sequence[ClockStamp]) -> None:
    """Store measured stamps in one statement."""
    if not stamps:
        return
    ids, first, resolution = (list(column) for column in zip(*stamps, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_UPDATE, [ids, first, resolution])


def mentions_clocks_restamp(
    *,
    only_unstamped: bool = False,
    ids: Sequence[int] | None = None,
    chunk: int = 10_000,
    report: Callable[[RestampProgress], None] | None = None,
) -> int:
    """Measure stopped clocks again in business time and store them, a chunk per
    transaction: every one (after business hours or a time zone changed), only those not
    measured yet (`only_unstamped`), or those of `ids`. Progress is kept for
    `restamp_progress` and handed to `report` after each chunk. Returns how many mentions
    were measured."""
    where = _STOPPED
    params: list[Any] = []
    if only_unstamped:
        where = UNSTAMPED
    if ids is not None:
        where += " AND m.id = ANY(%s)"
        params.append(list(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM mentions_mention m WHERE {where}", params)  # noqa: S608
        (total,) = cursor.fetchone()
    if not total:
        return 0
    calendar_for = clock_calendar_for(sla_policies_load())
    key = _progress_key()
    progress = RestampProgress(done=0, total=int(total))
    cache.set(key, progress, _PROGRESS_SECONDS)
    after = 0
    try:
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"""SELECT m.id, m.received_at, m.first_response_at, m.resolved_at,
                               m.sla_policy_id
                        FROM mentions_mention m WHERE m.id > %s AND {where}
                        ORDER BY m.id LIMIT %s""",  # noqa: S608
                    [after, *params, chunk],
                )
                rows: list[ClockRow] = list(cursor.fetchall())
                if not rows:
                    return progress["done"]
                clocks_stamps_write(clocks_measure(rows, calendar_for=calendar_for))
            after = rows[-1][0]
            progress["done"] = min(progress["done"] + len(rows), progress["total"])
            cache.set(key, progress, _PROGRESS_SECONDS)
            if report is not None:
                report(progress)
    finally:
        cache.delete(key)
