"""A demo client's back history: twelve months of generated mentions that tell a story.

The reports page should show something worth reading on first open, so the history has:
- seasonality (a winter peak, quieter weekends and nights) and steady growth as more
  sources were connected, up to the level the live demo stream keeps today;
- the day care was set up in Lotse: before it, complaints pile up, few get an answer and
  late; after it, almost every post is answered within the hour and the negative share
  falls month by month (the "Dell line");
- a crisis week, with the spike alert it raised.

Every post goes through the real pipeline (`mentions_store`: triage, routing, clusters,
rollups), so the figures are what Lotse itself makes of the texts. Only the care outcome
(when it was answered, resolved) is drawn at random, and written in one statement per chunk.
Nothing is copied from licensed data: the texts come from `sources.demo_content`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from mentions.clocks import clock_calendar_for, clocks_measure
from mentions.models import Channel, Mention, Response, ResponseStatus
from mentions.pipeline import mentions_statistics_refresh, mentions_store
from reports.models import Alert, AlertKind
from routing.services.sla import sla_policies_load
from sources.demo_content import (
    CATEGORY_WEIGHTS,
    DEMO_DAILY_VOLUME,
    HOUR_SHARE,
    WEEKDAY_FACTOR,
    demo_mention,
)
from sources.models import Source

HISTORY_DAYS = 365
CHUNK = 1000
# Where the story's turns fall, as fractions of the history.
CARE_START = 0.25  # care set up in Lotse
CARE_SETTLED = 0.80  # the negative share has come down by then
CRISIS_START = 0.58
CRISIS_DAYS = 6
# Volume grows from this share of today's level to all of it.
GROWTH_FROM = 0.35
CRISIS_VOLUME = 2.2
# The crisis alert's figures are read like the spike detector reads them (reports.spikes):
# the busiest quarter hour against the weeks before.
WINDOW_MINUTES = 15
BASELINE_WEEKS = 6


@dataclass(frozen=True, slots=True)
class HistoryOutcome:
    mentions: int
    answered: int
    first_day: date
    care_start: date
    crisis_start: date


@dataclass(frozen=True, slots=True)
class _Care:
    answer_rate: float  # of mentions that need an answer
    median_minutes: float  # first response, log-normally spread around it
    spread: float


def history_needed(*, source: Source, now: datetime) -> bool:
    """True when the client has no history yet (only the live stream's last hours)."""
    return not Mention.objects.filter(
        source=source, published_at__lt=now - timedelta(days=2)
    ).exists()


def _phase(day: int, days: int) -> float:
    """0 before care was set up, rising to 1 when it has settled."""
    start, settled = CARE_START * days, CARE_SETTLED * days
    if day < start:
        return 0.0
    return min(1.0, (day - start) / max(1.0, settled - start))


def _is_crisis(day: int, days: int) -> bool:
    start = round(CRISIS_START * days)
    return start <= day < start + CRISIS_DAYS


def _category_weights(day: int, days: int) -> dict[str, float]:
    phase = _phase(day, days)
    weights = {key: float(value) for key, value in CATEGORY_WEIGHTS.items()}
    # Before care: complaints and tech trouble pile up. Once care has settled, the mix is
    # the live demo stream's (CATEGORY_WEIGHTS), so the stream reads as the usual traffic.
    weights["complaint"] *= 2.4 - 1.4 * phase
    weights["tech"] *= 1.7 - 0.7 * phase
    weights["praise"] *= 0.45 + 0.55 * phase
    weights["idea"] *= 0.7 + 0.3 * phase
    if _is_crisis(day, days):
        weights["crisis"] *= 14
        weights["complaint"] *= 1.6
        weights["press"] *= 5
        weights["news"] *= 4
    return weights


def _day_volume(day: int, days: int, local_day: date) -> float:
    growth = GROWTH_FROM + (1 - GROWTH_FROM) * day / max(1, days - 1)
    winter = 1 + 0.12 * math.cos(2 * math.pi * (local_day.timetuple().tm_yday - 15) / 365)
    crisis = CRISIS_VOLUME if _is_crisis(day, days) else 1.0
    return DEMO_DAILY_VOLUME * growth * winter * crisis * WEEKDAY_FACTOR[local_day.weekday()]


def _care(day: int, days: int) -> _Care:
    phase = _phase(day, days)
    if day < CARE_START * days:
        return _Care(answer_rate=0.42, median_minutes=9 * 60, spread=1.1)
    return _Care(answer_rate=0.80 + 0.14 * phase, median_minutes=70 - 45 * phase, spread=0.9)


def _count(rng: random.Random, expected: float) -> int:
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _items_for_day(
    *, client_slug: str, day: int, days: int, local_day: date, zone: ZoneInfo, rng: random.Random
) -> list[dict[str, Any]]:
    volume = _day_volume(day, days, local_day)
    weights = _category_weights(day, days)
    items = []
    for hour, share in enumerate(HOUR_SHARE):
        start = datetime.combine(local_day, time(hour), tzinfo=zone)
        for _ in range(_count(rng, volume * share)):
            published = start + timedelta(seconds=rng.uniform(0, 3599))
            items.append(
                demo_mention(
                    client_slug=client_slug,
                    rng=rng,
                    now=published.astimezone(ZoneInfo("UTC")),
                    category_weights=weights,
                )
            )
    return items


# The care outcome of a chunk of history: arrival a few minutes after publication (the SLA
# clocks move with it), a share answered after a log-normal delay, everything resolved, the
# SLA state as it ended, and both clocks measured in business hours as a response would be;
# drawn here and written in one statement, so the rollup triggers count each mention once.
_CARE_READ = """
SELECT id, published_at, received_at, first_response_due, status, kind, relevant,
       sla_policy_id, language
FROM mentions_mention WHERE id = ANY(%s) ORDER BY id
"""
_CARE_UPDATE = """
UPDATE mentions_mention m SET
    received_at = t.arrived,
    first_response_due = m.first_response_due + (t.arrived - m.received_at),
    resolution_due = m.resolution_due + (t.arrived - m.received_at),
    first_response_at = t.first_response,
    resolved_at = t.resolved,
    status = t.status,
    updated_at = t.updated,
    sla_state = COALESCE(t.sla_state, m.sla_state),
    first_response_business_seconds = t.first_business,
    resolution_business_seconds = t.resolution_business
FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::text[],
            %s::timestamptz[], %s::text[], %s::float8[], %s::float8[])
     AS t(id, arrived, first_response, resolved, status, updated, sla_state, first_business,
          resolution_business)
WHERE m.id = t.id
"""


@dataclass(frozen=True, slots=True)
class _Outcome:
    mention_id: int
    arrived: datetime
    first_response: datetime | None
    resolved: datetime | None
    status: str
    updated: datetime
    sla_state: str | None  # None: as it was (no SLA)
    policy_id: int | None
    language: str


def _care_draw(row: tuple[Any, ...], *, care: _Care, rng: random.Random) -> _Outcome:
    mention_id, published, received, due, status, kind, relevant, policy_id, language = row
    arrived = published + timedelta(seconds=30 + rng.random() * 270)
    drawn_answer = None
    if rng.random() < care.answer_rate:
        minutes = care.median_minutes * math.exp(care.spread * rng.gauss(0.0, 1.0))
        drawn_answer = arrived + timedelta(seconds=min(7 * 86400, minutes * 60))
    resolve = rng.random()
    ignored = status == "ignored"
    answered = None if ignored or kind == "spam" or not relevant else drawn_answer
    sla_state = None
    if due is not None:
        met = drawn_answer is not None and drawn_answer <= due + (arrived - received)
        sla_state = "met" if met else "breached"
    return _Outcome(
        mention_id=mention_id,
        arrived=arrived,
        first_response=answered,
        resolved=None
        if ignored
        else (drawn_answer or arrived) + timedelta(seconds=600 + resolve * 6 * 3600),
        status="ignored" if ignored else "resolved",
        updated=drawn_answer or arrived,
        sla_state=sla_state,
        policy_id=policy_id,
        language=language,
    )


def _care_write(*, mention_ids: list[int], care: _Care, rng: random.Random) -> list[_Outcome]:
    """Draw and store the care outcome of a chunk's mentions, clocks measured; returns it."""
    with connection.cursor() as cursor:
        cursor.execute(_CARE_READ, [mention_ids])
        outcomes = [_care_draw(row, care=care, rng=rng) for row in cursor.fetchall()]
        stamps = clocks_measure(
            [
                (o.mention_id, o.arrived, o.first_response, o.resolved, o.policy_id)
                for o in outcomes
            ],
            calendar_for=clock_calendar_for(sla_policies_load()),
        )
        cursor.execute(
            _CARE_UPDATE,
            [
                [o.mention_id for o in outcomes],
                [o.arrived for o in outcomes],
                [o.first_response for o in outcomes],
                [o.resolved for o in outcomes],
                [o.status for o in outcomes],
                [o.updated for o in outcomes],
                [o.sla_state for o in outcomes],
                [first for _, first, _ in stamps],
                [resolution for _, _, resolution in stamps],
            ],
        )
    return outcomes


def _store_chunk(
    *,
    source: Source,
    items: list[dict[str, Any]],
    care: _Care,
    responders: list[tuple[int, str]],
    rng: random.Random,
) -> tuple[int, int]:
    arrived = max(datetime.fromisoformat(item["published_at"]) for item in items)
    with transaction.atomic():
        outcome = mentions_store(source=source, items=items, now=arrived + timedelta(minutes=5))
        if not outcome.mention_ids:
            return 0, 0
        # What was written is known here: the answers are not read back.
        answered = [
            o
            for o in _care_write(mention_ids=outcome.mention_ids, care=care, rng=rng)
            if o.first_response is not None
        ]
        if not responders:
            return outcome.stored, len(answered)
        replies = [
            _first_reply(
                mention_id=o.mention_id,
                language=o.language,
                received_at=o.arrived,
                answered_at=o.first_response,
                by=responders[o.mention_id % len(responders)],
            )
            for o in answered
            if o.first_response is not None
        ]
        Response.objects.bulk_create(replies)
    return outcome.stored, len(replies)


_REPLY_TEXTS = {
    "de": "Danke für deine Nachricht! Wir haben es an das zuständige Team gegeben und melden "
    "uns per DM.",
    "en": "Thanks for letting us know! We've passed it to the right team and will follow up by DM.",
}


def _first_reply(
    *,
    mention_id: int,
    language: str,
    received_at: datetime,
    answered_at: datetime,
    by: tuple[int, str],
) -> Response:
    """The first response a history mention got: recorded as answered by DM."""
    return Response(
        mention_id=mention_id,
        channel=Channel.DM,
        text=_REPLY_TEXTS.get(language, _REPLY_TEXTS["en"]),
        status=ResponseStatus.RECORDED,
        author_id=by[0],
        author_name=by[1],
        created_at=answered_at,
        sent_at=answered_at,
        response_seconds=max(0, int((answered_at - received_at).total_seconds())),
        is_first=True,
    )


def _crisis_alert(*, start: datetime, end: datetime) -> None:
    """The alert the crisis week raised, from what was stored: the busiest window against
    the same hours of the weeks before."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT date_bin(make_interval(mins => %(window)s), published_at, %(start)s) AS slot,
                   count(*), count(*) FILTER (WHERE sentiment = 'negative')
            FROM mentions_mention
            WHERE published_at >= %(start)s AND published_at < %(end)s AND relevant
            GROUP BY slot ORDER BY count(*) DESC LIMIT 1
            """,
            {"window": WINDOW_MINUTES, "start": start, "end": end},
        )
        row = cursor.fetchone()
        if row is None:
            return
        slot, volume, negative = row
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE sentiment = 'negative')
            FROM mentions_mention
            WHERE relevant AND published_at >= %(from)s AND published_at < %(start)s
            """,
            {"from": start - timedelta(weeks=BASELINE_WEEKS), "start": start},
        )
        before, before_negative = cursor.fetchone() or (0, 0)
    windows = BASELINE_WEEKS * 7 * 24 * 60 / WINDOW_MINUTES
    Alert.objects.create(
        kind=AlertKind.VOLUME,
        opened_at=slot,
        closed_at=end,
        window_minutes=WINDOW_MINUTES,
        volume=volume,
        negative=negative,
        baseline_volume=before / windows if windows else 0.0,
        baseline_share=before_negative / before if before else 0.0,
        basis=f"the average of the {BASELINE_WEEKS} weeks before",
        peak_volume=volume,
        peak_share=negative / volume if volume else 0.0,
        last_checked_at=end,
        calm_since=end - timedelta(minutes=30),
    )


def demo_history_write(
    *,
    source: Source,
    client_slug: str,
    time_zone: str,
    responders: list[tuple[int, str]],
    now: datetime | None = None,
    days: int = HISTORY_DAYS,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> HistoryOutcome:
    """Write `days` of back history for one demo client, up to yesterday, in its time zone.

    `responders` (user id, name) are credited with the answers, in turn. Must run in the
    client's schema. `progress(done_days, days)` is called as it goes.
    """
    zone = ZoneInfo(time_zone)
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=days)
    rng = random.Random(f"{seed}:{client_slug}")  # noqa: S311 - made-up demo content
    stored = answered = 0
    pending: list[dict[str, Any]] = []
    for day in range(days):
        local_day = first_day + timedelta(days=day)
        pending.extend(
            _items_for_day(
                client_slug=client_slug,
                day=day,
                days=days,
                local_day=local_day,
                zone=zone,
                rng=rng,
            )
        )
        last = day == days - 1
        if len(pending) >= CHUNK or (last and pending):
            count, replies = _store_chunk(
                source=source,
                items=pending,
                care=_care(day, days),
                responders=responders,
                rng=rng,
            )
            stored += count
            answered += replies
            pending = []
            if progress is not None:
                progress(day + 1, days)
    crisis_day = first_day + timedelta(days=round(CRISIS_START * days))
    crisis_start = datetime.combine(crisis_day, time(0), tzinfo=zone)
    if days >= 2 * CRISIS_DAYS:
        _crisis_alert(start=crisis_start, end=crisis_start + timedelta(days=CRISIS_DAYS))
    # Cases from the past are settled; the inbox starts with today's.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE mentions_problemcluster SET status = 'resolved', "
            "resolved_at = last_seen + interval '1 day', updated_at = last_seen + "
            "interval '1 day' WHERE status <> 'resolved' AND last_seen < %s",
            [datetime.combine(today, time(0), tzinfo=zone)],
        )
    # The planner needs statistics after a bulk load (autovacuum may be off).
    mentions_statistics_refresh(stored=stored)
    return HistoryOutcome(
        mentions=stored,
        answered=answered,
        first_day=first_day,
        care_start=first_day + timedelta(days=round(CARE_START * days)),
        crisis_start=crisis_day,
    )
