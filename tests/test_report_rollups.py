"""The hourly rollups (and the authors' monthly counts) equal a direct aggregate over the
raw mentions, whatever happens to them: batches arriving (through the real pipeline too),
triage corrections, late first responses, moves between departments, relevance flips,
listening queries matched again, authors changed and deletions. The care clocks (first
response and resolution, calendar and business hours) stay exact through the same writes,
stamped or not."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentions.clocks import mentions_clocks_restamp
from mentions.models import Author, Mention
from mentions.pipeline import mentions_store
from mentions.services import mention_correct
from reports.care_figures import care_by, care_clocks, clock_durations, durations_of
from reports.clock_rollup import MEASURES, measure_seconds
from reports.figures import Period, Slice, care_times
from reports.services import rollups_rebuild
from routing.models import Department, SlaPolicy
from routing.sla import BusinessCalendar, business_minutes_between
from tests.factories import mention_item

_ids = itertools.count(1)
T0 = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")

DIRECT_HOURS = """
SELECT date_trunc('hour', published_at, 'UTC'), source_id, language, kind, sentiment,
       COALESCE(department_id, 0), count(*), count(first_response_at),
       count(*) FILTER (WHERE first_response_at IS NOT NULL
                        AND first_response_due IS NOT NULL),
       count(*) FILTER (WHERE first_response_at <= first_response_due),
       COALESCE(sum(GREATEST(0, floor(extract(epoch FROM
           first_response_at - received_at)))::bigint), 0)
FROM mentions_mention WHERE relevant GROUP BY 1, 2, 3, 4, 5, 6
"""
ROLLUP_HOURS = """
SELECT bucket, source_id, language, kind, sentiment, department_id, mentions, responded,
       sla_answered, sla_met, first_response_seconds
FROM reports_mentionhour
WHERE mentions <> 0 OR responded <> 0 OR sla_answered <> 0 OR first_response_seconds <> 0
"""
DIRECT_ASPECTS = """
SELECT date_trunc('hour', published_at, 'UTC'), a, source_id, language, kind, sentiment,
       COALESCE(department_id, 0), count(*)
FROM mentions_mention, unnest(aspects) AS a WHERE relevant GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
ROLLUP_ASPECTS = """
SELECT bucket, aspect, source_id, language, kind, sentiment, department_id, mentions
FROM reports_aspecthour WHERE mentions <> 0
"""


DIRECT_DIMENSIONS = """
SELECT date_trunc('hour', m.published_at, 'UTC'), d.dimension, d.value, m.sentiment, count(*),
       count(m.first_response_at),
       count(*) FILTER (WHERE m.first_response_at IS NOT NULL
                        AND m.first_response_due IS NOT NULL),
       count(*) FILTER (WHERE m.first_response_at <= m.first_response_due),
       COALESCE(sum(GREATEST(0, floor(extract(epoch FROM
           m.first_response_at - m.received_at)))::bigint), 0),
       count(*) FILTER (WHERE extract(epoch FROM m.first_response_at - m.received_at) < 3600),
       count(*) FILTER (WHERE extract(epoch FROM m.first_response_at - m.received_at) < 14400),
       count(*) FILTER (WHERE extract(epoch FROM m.first_response_at - m.received_at) < 28800),
       count(*) FILTER (WHERE extract(epoch FROM m.first_response_at - m.received_at) < 86400)
FROM mentions_mention m CROSS JOIN LATERAL (
    VALUES ('all', ''), ('source', m.source_id::text), ('language', m.language),
           ('kind', m.kind), ('department', COALESCE(m.department_id, 0)::text)
    UNION ALL SELECT 'aspect', a FROM unnest(m.aspects) AS a
    UNION ALL SELECT 'query', q::text FROM unnest(m.matched_queries) AS q
) AS d(dimension, value)
WHERE m.relevant GROUP BY 1, 2, 3, 4
"""
ROLLUP_DIMENSIONS = """
SELECT bucket, dimension, value, sentiment, mentions, responded, sla_answered, sla_met,
       first_response_seconds, responded_1h, responded_4h, responded_8h, responded_24h
FROM reports_dimensionhour
WHERE mentions <> 0 OR responded <> 0 OR sla_answered <> 0 OR first_response_seconds <> 0
   OR responded_1h <> 0 OR responded_4h <> 0 OR responded_8h <> 0 OR responded_24h <> 0
"""


DIRECT_DIMENSION_DAYS = DIRECT_DIMENSIONS.replace(
    "date_trunc('hour', m.published_at", "date_trunc('day', m.published_at"
)
ROLLUP_DIMENSION_DAYS = ROLLUP_DIMENSIONS.replace("SELECT bucket,", "SELECT day,").replace(
    "reports_dimensionhour", "reports_dimensionday"
)


DIRECT_AUTHORS = """
SELECT date_trunc('month', published_at, 'UTC'), author_id, count(*),
       count(*) FILTER (WHERE sentiment = 'negative')
FROM mentions_mention WHERE relevant GROUP BY 1, 2
"""
ROLLUP_AUTHORS = """
SELECT month, author_id, mentions, negative FROM reports_authormonth
WHERE mentions <> 0 OR negative <> 0
"""


def _direct_clocks(unit: str) -> str:
    """Answers and their seconds per care clock measure, dimension value, UTC `unit` and
    seconds bucket, from raw rows (seconds to the millisecond: the rollup sums them)."""
    return f"""
SELECT c.measure, d.dimension, d.value, date_trunc('{unit}', m.published_at, 'UTC'),
       public.reports_clock_bucket(c.secs), count(*), round(sum(c.secs)::numeric, 3)
FROM mentions_mention m CROSS JOIN LATERAL (
    VALUES {", ".join(f"({n}, {measure_seconds(n)})" for n in MEASURES)}
) AS c(measure, secs) CROSS JOIN LATERAL (
    VALUES ('all', ''), ('source', m.source_id::text), ('language', m.language),
           ('kind', m.kind), ('department', COALESCE(m.department_id, 0)::text)
    UNION ALL SELECT 'aspect', a FROM unnest(m.aspects) AS a
) AS d(dimension, value)
WHERE m.relevant AND c.secs IS NOT NULL GROUP BY 1, 2, 3, 4, 5
"""  # noqa: S608 (constants of reports.clock_rollup)


def _rollup_clocks(table: str) -> str:
    return f"""
SELECT measure, dimension, value, day, bucket, answers, round(seconds::numeric, 3)
FROM {table} WHERE answers <> 0
"""  # noqa: S608 (a table name of this module)


DIRECT_CLOCK_DAYS = _direct_clocks("day")
ROLLUP_CLOCK_DAYS = _rollup_clocks("reports_clockday")
DIRECT_CLOCK_MONTHS = _direct_clocks("month")
ROLLUP_CLOCK_MONTHS = _rollup_clocks("reports_clockmonth")


def rows(sql: str) -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return set(cursor.fetchall())


def assert_rollups_match() -> None:
    assert rows(ROLLUP_HOURS) == rows(DIRECT_HOURS)
    assert rows(ROLLUP_ASPECTS) == rows(DIRECT_ASPECTS)
    assert rows(ROLLUP_DIMENSIONS) == rows(DIRECT_DIMENSIONS)
    assert rows(ROLLUP_AUTHORS) == rows(DIRECT_AUTHORS)
    assert rows(ROLLUP_DIMENSION_DAYS) == rows(DIRECT_DIMENSION_DAYS)
    assert rows(ROLLUP_CLOCK_DAYS) == rows(DIRECT_CLOCK_DAYS)
    assert rows(ROLLUP_CLOCK_MONTHS) == rows(DIRECT_CLOCK_MONTHS)


def assert_care_clocks_exact(departments: list) -> None:
    """The care clocks (calendar and business, first response and resolution) equal an
    exact computation over the raw rows, the business time by the SLA clock's own
    arithmetic, whether the rows' stamps are stored or not measured yet."""
    policy = SlaPolicy.objects.get(is_default=True)
    calendar = BusinessCalendar.build(
        timezone=policy.timezone, hours=policy.hours, holidays=policy.holidays
    )
    week = Period((T0 - timedelta(days=1)).date(), (T0 + timedelta(days=6)).date(), ZoneInfo("UTC"))
    # Whole UTC months and days from the rollups, ragged hours at the ends from the rows.
    months = Period(date(2026, 3, 1), date(2026, 4, 30), BERLIN)
    # Ends within T0's day: March's row less its days from March 28 (data there too).
    month_less_days = Period(date(2026, 2, 1), T0.date(), BERLIN)
    scope = frozenset({departments[1].pk})
    for period, slice_, keep in (
        (week, Slice(), lambda m: True),
        (months, Slice(), lambda m: True),
        (month_less_days, Slice(), lambda m: True),
        (month_less_days, Slice(departments=scope), lambda m: m.department_id in scope),
        (months, Slice(departments=scope), lambda m: m.department_id in scope),
        (week, Slice(department_id=departments[1].pk), lambda m: m.department_id in scope),
    ):
        kept = [
            m
            for m in Mention.objects.filter(
                relevant=True, published_at__gte=period.start, published_at__lt=period.end
            )
            if keep(m)
        ]
        # The rollups hold what the rows do (else care_clocks would sort every answer).
        assert clock_durations(period=period, slice_=slice_, measures=[1, 3], fixes=[])
        found = care_clocks(period=period, slice_=slice_)
        for got, end, business in (
            (found.first_response, "first_response_at", False),
            (found.first_response_business, "first_response_at", True),
            (found.resolution, "resolved_at", False),
            (found.resolution_business, "resolved_at", True),
        ):
            stops = [(m.received_at, getattr(m, end)) for m in kept if getattr(m, end)]
            want = durations_of(
                [
                    max(0.0, business_minutes_between(start, stop, calendar) * 60)
                    if business
                    else max(0.0, (stop - start).total_seconds())
                    for start, stop in stops
                ]
            )
            assert got.count == want.count
            for name in ("median_seconds", "p90_seconds", "mean_seconds"):
                assert getattr(got, name) == pytest.approx(getattr(want, name))
        times = care_times(period=period, slice_=slice_)
        assert (times.responded, times.median_seconds, times.p90_seconds) == (
            found.first_response.count,
            pytest.approx(found.first_response.median_seconds),
            pytest.approx(found.first_response.p90_seconds),
        )


def assert_care_by_department_exact() -> None:
    """The first-response figures per department (from the clock histograms) equal the
    raw rows', over whole UTC days and over a period with ragged hours."""
    for period in (
        Period((T0 - timedelta(days=1)).date(), (T0 + timedelta(days=6)).date(), UTC),
        Period(date(2026, 3, 1), date(2026, 4, 30), BERLIN),
        Period(date(2026, 2, 1), T0.date(), BERLIN),
    ):
        answered = [
            m
            for m in Mention.objects.filter(
                relevant=True, published_at__gte=period.start, published_at__lt=period.end
            )
            if m.first_response_at
        ]
        found = {
            row.key: row.care for row in care_by(period=period, by="department", slice_=Slice())
        }
        for key in {m.department_id or 0 for m in answered}:
            mine = [m for m in answered if (m.department_id or 0) == key]
            want = durations_of(
                [max(0.0, (m.first_response_at - m.received_at).total_seconds()) for m in mine]
            )
            got = found[key]
            assert got.responded == want.count
            assert (got.median_seconds, got.p90_seconds, got.mean_seconds) == (
                pytest.approx(want.median_seconds),
                pytest.approx(want.p90_seconds),
                pytest.approx(want.mean_seconds),
            )
            due = [m for m in mine if m.first_response_due]
            assert (got.sla_answered, got.sla_met) == (
                len(due),
                sum(m.first_response_at <= m.first_response_due for m in due),
            )


def no_negative_counts() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_mentionhour WHERE mentions < 0")
        return cursor.fetchone()[0] == 0


SENTIMENTS = ("negative", "neutral", "positive", "")
KINDS = ("complaint", "question", "praise", "idea", "other")
ASPECTS = ("app", "billing", "delivery")

mention_spec = st.fixed_dictionaries(
    {
        "hour": st.integers(0, 30),
        "minute": st.integers(0, 59),
        "sentiment": st.sampled_from(SENTIMENTS),
        "kind": st.sampled_from(KINDS),
        "language": st.sampled_from(("de", "en")),
        "aspects": st.lists(st.sampled_from(ASPECTS), unique=True, max_size=2),
        "department": st.integers(0, 2),
        "relevant": st.booleans(),
        "responded_after": st.none() | st.integers(0, 20_000),
        "due_after": st.none() | st.integers(60, 10_000),
        "queries": st.lists(st.integers(1, 3), unique=True, max_size=2),
        "author": st.integers(0, 1),
        # Spread over a month's end: authors are counted per UTC month.
        "day": st.sampled_from((0, 3, 4)),
    }
)
operation = st.one_of(
    st.tuples(st.just("insert"), st.lists(mention_spec, min_size=1, max_size=6)),
    st.tuples(
        st.just("correct"),
        st.integers(0, 100),
        st.sampled_from(("sentiment", "kind", "aspects", "relevant", "department")),
        st.integers(0, 100),
    ),
    st.tuples(st.just("respond"), st.integers(0, 100), st.integers(0, 50_000)),
    st.tuples(st.just("resolve"), st.integers(0, 100), st.none() | st.integers(0, 400_000)),
    # What the app does when a clock stops: measure it in business hours and store it.
    st.tuples(st.just("stamp"), st.lists(st.integers(0, 100), min_size=1, max_size=3)),
    st.tuples(st.just("move_hour"), st.integers(0, 100), st.integers(-5, 5)),
    st.tuples(st.just("delete"), st.lists(st.integers(0, 100), min_size=1, max_size=3)),
    st.tuples(st.just("touch"), st.integers(0, 100)),
    st.tuples(st.just("rematch"), st.integers(0, 100), st.lists(st.integers(1, 3), max_size=2)),
    st.tuples(st.just("reauthor"), st.integers(0, 100), st.integers(0, 1)),
)


def build(spec: dict, *, source, authors, departments) -> Mention:
    published = T0 + timedelta(days=spec["day"], hours=spec["hour"], minutes=spec["minute"])
    received = published + timedelta(minutes=5)
    return Mention(
        source=source,
        external_id=f"roll-{next(_ids)}",
        text="About the brand",
        published_at=published,
        received_at=received,
        author=authors[spec["author"]],
        sentiment=spec["sentiment"],
        matched_queries=sorted(spec["queries"]),
        kind=spec["kind"],
        language=spec["language"],
        aspects=spec["aspects"],
        department=departments[spec["department"]],
        relevant=spec["relevant"],
        first_response_at=(
            None
            if spec["responded_after"] is None
            else received + timedelta(seconds=spec["responded_after"])
        ),
        first_response_due=(
            None if spec["due_after"] is None else received + timedelta(seconds=spec["due_after"])
        ),
    )


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_rollups_equal_a_direct_aggregate_after_any_writes(world, in_acme, operations):
    authors = [
        Author.objects.get_or_create(network="test", handle=handle)[0]
        for handle in ("roller", "skater")
    ]
    departments = [None, *Department.objects.order_by("pk")[:2]]
    with transaction.atomic():
        sid = transaction.savepoint()
        for op in operations:
            existing = list(Mention.objects.order_by("pk"))
            pick = (lambda n, existing=existing: existing[n % len(existing)]) if existing else None
            if op[0] == "insert":
                Mention.objects.bulk_create(
                    build(spec, source=world.acme.source, authors=authors, departments=departments)
                    for spec in op[1]
                )
            elif pick is None:
                continue
            elif op[0] == "correct":
                mention = pick(op[1])
                value = {
                    "sentiment": SENTIMENTS[op[3] % 3],
                    "kind": KINDS[op[3] % len(KINDS)],
                    "aspects": [ASPECTS[op[3] % 3]] if op[3] % 2 else [],
                    "relevant": bool(op[3] % 2),
                    "department": departments[1 + op[3] % 2].pk,
                }[op[2]]
                Mention.objects.filter(pk=mention.pk).update(
                    **{("department_id" if op[2] == "department" else op[2]): value}
                )
            elif op[0] == "respond":
                mention = pick(op[1])
                Mention.objects.filter(pk=mention.pk).update(
                    first_response_at=mention.received_at + timedelta(seconds=op[2])
                )
            elif op[0] == "resolve":
                mention = pick(op[1])
                Mention.objects.filter(pk=mention.pk).update(
                    resolved_at=None
                    if op[2] is None
                    else mention.received_at + timedelta(seconds=op[2])
                )
            elif op[0] == "stamp":
                mentions_clocks_restamp(ids=[pick(n).pk for n in op[1]])
            elif op[0] == "move_hour":
                mention = pick(op[1])
                Mention.objects.filter(pk=mention.pk).update(
                    published_at=mention.published_at + timedelta(hours=op[2])
                )
            elif op[0] == "delete":
                Mention.objects.filter(pk__in=[pick(n).pk for n in op[1]]).delete()
            elif op[0] == "rematch":
                Mention.objects.filter(pk=pick(op[1]).pk).update(matched_queries=sorted(op[2]))
            elif op[0] == "reauthor":
                Mention.objects.filter(pk=pick(op[1]).pk).update(author=authors[op[2]])
            elif op[0] == "touch":
                # Updates that change nothing counted (status, timestamps) move nothing.
                Mention.objects.filter(pk=pick(op[1]).pk).update(status="resolved")
            assert_rollups_match()
            assert no_negative_counts()
            assert_care_clocks_exact(departments)
            assert_care_by_department_exact()
        transaction.savepoint_rollback(sid)


@pytest.mark.django_db
def test_a_bulk_update_of_many_rows_keeps_the_rollups_exact(world, in_acme):
    author, _ = Author.objects.get_or_create(network="test", handle="bulk")
    Mention.objects.bulk_create(
        Mention(
            source=world.acme.source,
            external_id=f"bulk-{i}",
            text="x",
            published_at=T0 + timedelta(minutes=7 * i),
            author=author,
            sentiment=SENTIMENTS[i % 3],
            aspects=[ASPECTS[i % 3]],
        )
        for i in range(300)
    )
    Mention.objects.filter(sentiment="neutral").update(sentiment="negative")
    Mention.objects.filter(external_id__endswith="7").delete()
    assert_rollups_match()


@pytest.mark.django_db
def test_ingest_and_a_triage_correction_move_the_figures(world, in_acme):
    published = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    items = [mention_item(published_at=published.isoformat()) for _ in range(5)]
    with transaction.atomic():
        outcome = mentions_store(source=world.acme.source, items=items)
    assert outcome.stored == 5
    assert_rollups_match()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(mentions) FROM reports_mentionhour WHERE bucket = %s",
            [published.replace(minute=0)],
        )
        assert cursor.fetchone()[0] == 5

    mention = Mention.objects.get(pk=outcome.mention_ids[0])
    new = "negative" if mention.sentiment != "negative" else "positive"
    mention_correct(mention=mention, changes={"sentiment": new}, by=world.alice)
    assert_rollups_match()
    mention_correct(mention=mention, changes={"relevant": False}, by=world.alice)
    assert_rollups_match()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(mentions) FROM reports_mentionhour")
        assert cursor.fetchone()[0] == 4


@pytest.mark.django_db
def test_truncating_mentions_empties_the_rollups(world, in_acme):
    author, _ = Author.objects.get_or_create(network="test", handle="trunc")
    Mention.objects.create(
        source=world.acme.source,
        external_id="t-1",
        text="x",
        published_at=T0,
        author=author,
        aspects=["app"],
    )
    with connection.cursor() as cursor:
        # (The test's transaction defers the foreign-key checks; TRUNCATE needs them done.)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE mentions_mention CASCADE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM reports_mentionhour)"
            " + (SELECT count(*) FROM reports_aspecthour)"
            " + (SELECT count(*) FROM reports_dimensionhour)"
            " + (SELECT count(*) FROM reports_clockday)"
            " + (SELECT count(*) FROM reports_clockmonth)"
            " + (SELECT count(*) FROM reports_authormonth)"
            " + (SELECT count(*) FROM reports_dimensionday)"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_a_rebuild_recounts_what_the_triggers_keep(world, in_acme):
    author, _ = Author.objects.get_or_create(network="test", handle="rebuild")
    Mention.objects.bulk_create(
        Mention(
            source=world.acme.source,
            external_id=f"rb-{i}",
            text="x",
            published_at=T0 + timedelta(minutes=13 * i),
            author=author,
            sentiment=SENTIMENTS[i % 4],
            aspects=list(ASPECTS[: i % 3]),
            relevant=i % 5 != 0,
            first_response_at=T0 + timedelta(minutes=13 * i + 3 * i) if i % 2 else None,
            matched_queries=[1 + i % 3] if i % 4 else [],
        )
        for i in range(60)
    )
    kept = (
        rows(ROLLUP_HOURS),
        rows(ROLLUP_ASPECTS),
        rows(ROLLUP_DIMENSIONS),
        rows(ROLLUP_AUTHORS),
        rows(ROLLUP_CLOCK_DAYS),
        rows(ROLLUP_CLOCK_MONTHS),
        rows(ROLLUP_DIMENSION_DAYS),
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_mentionhour WHERE sentiment = 'negative'")
        cursor.execute("DELETE FROM reports_dimensionhour WHERE dimension = 'kind'")
        cursor.execute("DELETE FROM reports_authormonth WHERE negative > 0")
        cursor.execute("DELETE FROM reports_clockday WHERE bucket > 3")
        cursor.execute("DELETE FROM reports_clockmonth WHERE measure = 1")
        cursor.execute("DELETE FROM reports_dimensionday WHERE dimension = 'aspect'")
    rollups_rebuild()
    rebuilt = (
        rows(ROLLUP_HOURS),
        rows(ROLLUP_ASPECTS),
        rows(ROLLUP_DIMENSIONS),
        rows(ROLLUP_AUTHORS),
        rows(ROLLUP_CLOCK_DAYS),
        rows(ROLLUP_CLOCK_MONTHS),
        rows(ROLLUP_DIMENSION_DAYS),
    )
    assert rebuilt == kept
    assert_rollups_match()
