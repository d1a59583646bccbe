"""The report API: figures from the rollups, buckets in the client's time zone (DST too),
who may read what, and the one error shape."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django_tenants.utils import tenant_context

from mentions.models import Author, Mention, ProblemCluster, Response
from mentions.pipeline import mentions_store
from mentions.queries import mentions_queries_rematch
from reports.care_figures import durations_of
from reports.figures import period_for
from routing.models import Department, SlaPolicy, StaffMember
from sources.models import ListeningQuery
from sources.services.queries import listening_query_save
from tests.conftest import api_client, web_client
from tests.factories import mention_item

_ids = itertools.count(1)


def add(source, *, at: datetime, sentiment: str = "neutral", **fields) -> Mention:
    author, _ = Author.objects.get_or_create(
        network="test", handle=fields.pop("handle", "someone"), defaults={"followers": 5}
    )
    return Mention.objects.create(
        source=source,
        external_id=f"api-{next(_ids)}",
        text=fields.pop("text", "About the brand"),
        published_at=at,
        received_at=fields.pop("received_at", at),
        author=author,
        sentiment=sentiment,
        **fields,
    )


def zone(name: str) -> None:
    SlaPolicy.objects.filter(is_default=True).update(timezone=name)


@pytest.fixture
def berlin(world, in_acme):
    zone("Europe/Berlin")
    return world


@pytest.mark.django_db
def test_volume_is_bucketed_by_the_clients_days_across_the_dst_change(berlin):
    world = berlin
    source = world.acme.source
    # Europe/Berlin moves from +01:00 to +02:00 on 2026-03-29.
    add(source, at=datetime(2026, 3, 28, 22, 30, tzinfo=UTC), sentiment="negative")  # 29th 23:30
    add(source, at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC))  # 29th, 00:30 local
    add(source, at=datetime(2026, 3, 29, 21, 30, tzinfo=UTC), sentiment="positive")  # 29th
    add(source, at=datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 30th, 00:30 local
    api = api_client(world.acme, world.acme.read_token)

    answer = api.get("/api/v1/reports/volume?from=2026-03-28&to=2026-03-30&interval=day")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["interval"] == "day" and body["timezone"] == "Europe/Berlin"
    assert body["series"] == [
        {
            "start": "2026-03-28T00:00:00+01:00",
            "total": 1,
            "negative": 1,
            "neutral": 0,
            "positive": 0,
        },
        {
            "start": "2026-03-29T00:00:00+01:00",
            "total": 2,
            "negative": 0,
            "neutral": 1,
            "positive": 1,
        },
        {
            "start": "2026-03-30T00:00:00+02:00",
            "total": 1,
            "negative": 0,
            "neutral": 1,
            "positive": 0,
        },
    ]

    hours = api.get("/api/v1/reports/volume?from=2026-03-29&to=2026-03-29&interval=hour").json()
    # The day of the change has 23 hours; 02:00 local does not exist.
    assert len(hours["series"]) == 23
    starts = [point["start"] for point in hours["series"]]
    assert "2026-03-29T01:00:00+01:00" in starts and "2026-03-29T03:00:00+02:00" in starts
    assert sum(point["total"] for point in hours["series"]) == 2

    weeks = api.get("/api/v1/reports/volume?from=2026-03-28&to=2026-03-30&interval=week").json()
    assert [p["start"] for p in weeks["series"]] == [
        "2026-03-23T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
    ]
    assert [p["total"] for p in weeks["series"]] == [3, 1]


@pytest.mark.django_db
def test_a_client_in_new_york_gets_new_york_days(world, in_acme):
    zone("America/New_York")
    add(world.acme.source, at=datetime(2026, 6, 2, 3, 0, tzinfo=UTC))  # June 1st, 23:00 EDT
    body = (
        api_client(world.acme, world.acme.read_token)
        .get("/api/v1/reports/volume?from=2026-06-01&to=2026-06-02")
        .json()
    )
    assert [(p["start"], p["total"]) for p in body["series"]] == [
        ("2026-06-01T00:00:00-04:00", 1),
        ("2026-06-02T00:00:00-04:00", 0),
    ]


@pytest.mark.django_db
def test_summary_has_care_figures_and_deltas_to_the_previous_period(berlin):
    world = berlin
    source = world.acme.source
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    for minutes, due in ((30, 60), (60, 45), (240, 300)):
        add(
            source,
            at=day,
            sentiment="negative",
            first_response_at=day + timedelta(minutes=minutes),
            first_response_due=day + timedelta(minutes=due),
        )
    add(source, at=day, sentiment="positive")
    add(source, at=day, sentiment="negative", relevant=False)  # not counted
    add(source, at=day - timedelta(days=7), sentiment="positive")  # the previous week

    body = (
        api_client(world.acme, world.acme.read_token)
        .get("/api/v1/reports/summary?from=2026-05-04&to=2026-05-10")
        .json()
    )
    assert body["total"] == 4
    assert body["negative_share"] == 0.75
    assert body["net_sentiment"] == -0.5
    assert body["responded"] == 3
    assert body["first_response_median_seconds"] == 3600
    assert body["first_response_mean_seconds"] == pytest.approx(110 * 60)
    assert body["sla_met_share"] == pytest.approx(2 / 3)
    assert body["previous"]["total"] == 1
    assert body["deltas"]["total"] == 3
    assert body["deltas"]["negative_share"] == 0.75
    assert body["deltas"]["first_response_median_seconds"] is None  # nothing to compare


@pytest.mark.django_db
def test_filters_narrow_every_figure(berlin):
    world = berlin
    source = world.acme.source
    departments = list(Department.objects.order_by("pk")[:2])
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    add(
        source,
        at=day,
        language="de",
        kind="complaint",
        aspects=["app"],
        department=departments[0],
        sentiment="negative",
    )
    add(
        source,
        at=day,
        language="en",
        kind="praise",
        aspects=["billing"],
        department=departments[1],
        sentiment="positive",
    )
    api = api_client(world.acme, world.acme.read_token)
    base = "/api/v1/reports/summary?from=2026-05-10&to=2026-05-10"
    assert api.get(base).json()["total"] == 2
    for query in (
        "&language=de",
        "&kind=complaint",
        "&aspect=app",
        f"&department={departments[0].slug}",
        f"&source={source.pk}&language=de",
        "&aspect=app&kind=complaint",
    ):
        body = api.get(base + query).json()
        assert (body["total"], body["negative"]) == (1, 1), query
    assert api.get(base + "&aspect=app&kind=praise").json()["total"] == 0


@pytest.mark.django_db
def test_care_per_department_and_person(berlin):
    world = berlin
    source = world.acme.source
    department = Department.objects.order_by("pk").first()
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    answered = add(
        source,
        at=day,
        department=department,
        status="responded",
        first_response_at=day + timedelta(minutes=10),
        first_response_due=day + timedelta(minutes=30),
    )
    Response.objects.create(
        mention=answered,
        channel="dm",
        text="Hi",
        status="recorded",
        author_id=world.rita.pk,
        author_name="Rita",
        is_first=True,
        sent_at=day + timedelta(minutes=10),
        response_seconds=600,
    )
    add(
        source,
        at=day,
        department=department,
        status="assigned",
        assignee_id=world.rita.pk,
        sla_state="breached",
    )
    api = api_client(world.acme, world.acme.read_token)

    rows = api.get("/api/v1/reports/care?by=department&from=2026-05-10&to=2026-05-10").json()
    row = next(r for r in rows["rows"] if r["id"] == department.pk)
    assert row["name"] == department.name
    assert (row["received"], row["responded"], row["response_rate"]) == (2, 1, 0.5)
    assert (row["first_response_median_seconds"], row["sla_met_share"]) == (600, 1.0)
    assert (row["open"], row["overdue"]) == (1, 1)

    people = api.get("/api/v1/reports/care?by=person&from=2026-05-10&to=2026-05-10").json()
    rita = next(r for r in people["rows"] if r["id"] == world.rita.pk)
    assert rita["name"] == world.rita.display_name
    assert (rita["responded"], rita["open"], rita["overdue"]) == (1, 1, 1)


@pytest.mark.django_db
def test_top_aspects_authors_ideas_and_cases(berlin):
    world = berlin
    source = world.acme.source
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    for _ in range(3):
        add(source, at=day, handle="loud", aspects=["app"], sentiment="negative")
    add(source, at=day, handle="quiet", aspects=["billing"], sentiment="positive")
    add(source, at=day, handle="quiet", kind="idea", text="Please add a dark mode", aspects=["app"])
    ProblemCluster.objects.create(
        title="App crashes", aspect="app", first_seen=day, last_seen=day, member_count=3
    )
    ProblemCluster.objects.create(
        title="Long ago",
        first_seen=day - timedelta(days=90),
        last_seen=day - timedelta(days=89),
        member_count=9,
    )
    api = api_client(world.acme, world.acme.read_token)
    q = "from=2026-05-10&to=2026-05-10"

    aspects = api.get(f"/api/v1/reports/top?what=aspects&{q}").json()["items"]
    assert [(a["key"], a["total"], a["negative"]) for a in aspects] == [
        ("app", 4, 3),
        ("billing", 1, 0),
    ]
    authors = api.get(f"/api/v1/reports/top?what=authors&{q}").json()["items"]
    assert [(a["handle"], a["mentions"]) for a in authors] == [("loud", 3), ("quiet", 2)]
    assert {"influence", "segment", "followers"} <= set(authors[0])
    ideas = api.get(f"/api/v1/reports/top?what=ideas&{q}").json()
    assert ideas["total"] == 1 and ideas["items"][0]["text"] == "Please add a dark mode"
    assert ideas["by_aspect"][0]["key"] == "app"
    cases = api.get(f"/api/v1/reports/top?what=cases&{q}").json()["items"]
    assert [(c["title"], c["reports"]) for c in cases] == [("App crashes", 3)]


@pytest.mark.django_db
def test_share_of_voice_splits_brand_and_competitor_queries(
    berlin, monkeypatch, django_capture_on_commit_callbacks
):
    world = berlin
    source = world.acme.source
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    for text, language in (
        ("acme trains are late", "de"),
        ("Acme again", "en"),
        ("rivalco is cheaper", "de"),
        ("summer acme", "de"),
    ):
        add(source, at=day, text=text, language=language)
    sent = []
    monkeypatch.setattr("sources.services.queries.task_send", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        listening_query_save(name="Acme", expression="acme", role="brand")
        listening_query_save(name="Rival", expression="rival OR rivalco", role="competitor")
        listening_query_save(name="Campaign", expression="summer", role="topic")
    # Each saved query has every mention matched again, in the background.
    assert sent == [("mentions.queries_rematch", world.acme.client.schema_name)] * 3
    assert mentions_queries_rematch() == 4
    api = api_client(world.acme, world.acme.read_token)
    body = api.get("/api/v1/reports/share-of-voice?from=2026-05-10&to=2026-05-10").json()
    assert (body["brand"], body["competitors"], body["brand_share"]) == (3, 1, 0.75)
    assert [q["name"] for q in body["queries"]] == ["Acme", "Rival"]
    assert body["checked"] == 4 and body["sampled"] is False
    # A filter counts from the slice's mentions.
    body = api.get("/api/v1/reports/share-of-voice?from=2026-05-10&to=2026-05-10&language=de")
    assert (body.json()["brand"], body.json()["competitors"]) == (2, 1)
    # A new mention is matched on arrival; an edited query moves the figures.
    item = mention_item(text="acme or rivalco?", published_at=day.isoformat())
    with transaction.atomic():
        mentions_store(source=source, items=[item])
    body = api.get("/api/v1/reports/share-of-voice?from=2026-05-10&to=2026-05-10").json()
    assert (body["brand"], body["competitors"]) == (4, 2)
    rival = ListeningQuery.objects.get(name="Rival")
    listening_query_save(name="Rival", expression="rival", role="competitor", query=rival)
    assert mentions_queries_rematch() == 2
    body = api.get("/api/v1/reports/share-of-voice?from=2026-05-10&to=2026-05-10").json()
    assert (body["brand"], body["competitors"]) == (4, 0)


@pytest.mark.django_db
def test_top_authors_over_whole_months_and_ragged_ends_count_every_mention(berlin):
    world = berlin
    source = world.acme.source
    # 15 March to 20 May in Berlin: April is read from the monthly rollup, the ends from
    # the mentions; 30 April 23:30 UTC is already 1 May in Berlin.
    for at, handle, sentiment in (
        (datetime(2026, 3, 14, 22, 30, tzinfo=UTC), "early", "negative"),  # 23:30: outside
        (datetime(2026, 3, 14, 23, 30, tzinfo=UTC), "early", "negative"),  # 15 March 00:30
        (datetime(2026, 3, 20, 9, 0, tzinfo=UTC), "busy", "neutral"),
        (datetime(2026, 4, 2, 9, 0, tzinfo=UTC), "busy", "negative"),
        (datetime(2026, 4, 3, 9, 0, tzinfo=UTC), "busy", "negative"),
        (datetime(2026, 4, 30, 23, 30, tzinfo=UTC), "busy", "neutral"),
        (datetime(2026, 4, 12, 9, 0, tzinfo=UTC), "early", "neutral"),
        (datetime(2026, 5, 20, 21, 59, tzinfo=UTC), "late", "positive"),  # 23:59: inside
        (datetime(2026, 5, 20, 22, 0, tzinfo=UTC), "late", "positive"),  # 21 May: outside
        (
            datetime(2026, 5, 2, 9, 0, tzinfo=UTC),
            "late",
            "positive",
        ),
    ):
        add(source, at=at, handle=handle, sentiment=sentiment)
    add(source, at=datetime(2026, 4, 5, tzinfo=UTC), handle="late", relevant=False)
    body = (
        api_client(world.acme, world.acme.read_token)
        .get("/api/v1/reports/top?what=authors&from=2026-03-15&to=2026-05-20")
        .json()
    )
    found = [(a["handle"], a["mentions"], a["negative"]) for a in body["items"]]
    assert found == [("busy", 4, 2), ("early", 2, 1), ("late", 2, 0)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2026-03-15", "2026-05-20"),  # both ragged months: the part outside is shorter
        ("2026-03-03", "2026-05-06"),  # both: the part inside is shorter
        ("2026-03-01", "2026-05-31"),  # whole months in Berlin, ragged by an hour in UTC
        ("2026-02-20", "2026-04-10"),
        ("2026-03-31", "2026-05-01"),
    ],
)
def test_top_authors_equal_a_count_of_the_mentions_whichever_side_is_read(berlin, first, last):
    world = berlin
    source = world.acme.source
    # Every 17 hours from 1 February to 10 June, five authors in turn (one irrelevant in 7).
    at = datetime(2026, 2, 1, 0, 30, tzinfo=UTC)
    handles = ("ann", "bob", "cem", "dan", "eve")
    for i in range(190):
        add(
            source,
            at=at + timedelta(hours=17 * i),
            handle=handles[(i * i) % 5],
            sentiment=("negative", "neutral")[i % 2],
            relevant=i % 7 != 3,
        )
    body = (
        api_client(world.acme, world.acme.read_token)
        .get(f"/api/v1/reports/top?what=authors&from={first}&to={last}")
        .json()
    )
    found = [(a["handle"], a["mentions"], a["negative"]) for a in body["items"]]
    period = period_for(first=date.fromisoformat(first), last=date.fromisoformat(last), days=0)
    expected = (
        Mention.objects.filter(
            relevant=True, published_at__gte=period.start, published_at__lt=period.end
        )
        .values("author__handle")
        .annotate(n=Count("id"), negative=Count("id", filter=Q(sentiment="negative")))
        .order_by("-n", "author_id")
    )
    assert found == [(row["author__handle"], row["n"], row["negative"]) for row in expected]


@pytest.mark.django_db
def test_csv_export_streams_every_column_and_defuses_formulas(berlin):
    world = berlin
    source = world.acme.source
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    add(source, at=day, text='=HYPERLINK("http://evil.example","click")', aspects=["app"])
    add(source, at=day, text="@everyone +1 -2", handle="=cmd")
    add(source, at=day - timedelta(days=3), text="outside the range")
    answer = api_client(world.acme, world.acme.read_token).get(
        "/api/v1/reports/export.csv?from=2026-05-10&to=2026-05-10"
    )
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert answer.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert len(rows) == 2
    assert rows[0]["text"].startswith("'=HYPERLINK")
    assert rows[1]["text"] == "'@everyone +1 -2" and rows[1]["author_handle"] == "'=cmd"
    assert rows[0]["published_at"] == "2026-05-10T12:00:00+02:00"
    assert {"department", "sla_state", "first_response_seconds", "aspects"} <= set(rows[0])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/reports/volume?interval=minute", "interval"),
        ("/api/v1/reports/volume?from=2026-05-10&to=2026-05-01", "from"),
        ("/api/v1/reports/volume?from=2023-01-01&to=2026-01-01&interval=hour", "from"),
        ("/api/v1/reports/volume?from=2026-01-01&to=2026-05-01&interval=hour", "interval"),
        ("/api/v1/reports/summary?from=yesterday", "from"),
        ("/api/v1/reports/summary?department=nope", "department"),
        ("/api/v1/reports/summary?kind=weird", "kind"),
        ("/api/v1/reports/summary?source=abc", "source"),
        ("/api/v1/reports/care?by=planet", "by"),
        ("/api/v1/reports/top?what=secrets", "what"),
        ("/api/v1/reports/top", "what"),
        ("/api/v1/reports/export.csv?language=DROP%20TABLE", "language"),
    ],
)
def test_bad_parameters_are_a_400_in_the_one_error_shape(world, url, field):
    answer = api_client(world.acme, world.acme.read_token).get(url)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


@pytest.mark.django_db
def test_a_client_never_sees_another_clients_figures(world):
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    with tenant_context(world.globex.client):
        for _ in range(5):
            add(world.globex.source, at=day, sentiment="negative")
    with tenant_context(world.acme.client):
        add(world.acme.source, at=day)
    q = "from=2026-05-10&to=2026-05-10"
    acme = api_client(world.acme, world.acme.read_token)
    assert acme.get(f"/api/v1/reports/summary?{q}").json()["total"] == 1
    globex = api_client(world.globex, world.globex.read_token)
    assert globex.get(f"/api/v1/reports/summary?{q}").json()["total"] == 5
    # An acme token on globex's host, and acme's admin logged in there, get nothing.
    assert api_client(world.globex, world.acme.read_token).get(
        f"/api/v1/reports/summary?{q}"
    ).status_code in (401, 403)
    alice_on_globex = web_client(world.globex)
    alice_on_globex.force_login(world.alice)
    for path in ("summary", "export.csv", "volume"):
        answer = alice_on_globex.get(f"/api/v1/reports/{path}?{q}")
        assert answer.status_code == 403, path


@pytest.mark.django_db
def test_viewers_read_reports(world, in_acme):
    add(world.acme.source, at=datetime.now(UTC) - timedelta(hours=1))
    answer = web_client(world.acme, world.vera).get("/api/v1/reports/summary")
    assert answer.status_code == 200 and answer.json()["total"] == 1


@pytest.mark.django_db
def test_staff_limited_to_departments_see_only_their_departments_figures(world, in_acme):
    zone("Europe/Berlin")
    mine, other = Department.objects.order_by("pk")[:2]
    member = StaffMember.objects.create(user_id=world.rita.pk, name="Rita")
    member.departments.set([mine])
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    add(world.acme.source, at=day, department=mine, sentiment="negative", aspects=["app"])
    for _ in range(3):
        add(world.acme.source, at=day, department=other, handle="elsewhere", aspects=["app"])
    rita = web_client(world.acme, world.rita)
    q = "from=2026-05-10&to=2026-05-10"
    assert rita.get(f"/api/v1/reports/summary?{q}").json()["total"] == 1
    series = rita.get(f"/api/v1/reports/volume?{q}").json()["series"]
    assert sum(p["total"] for p in series) == 1
    aspects = rita.get(f"/api/v1/reports/top?what=aspects&{q}").json()["items"]
    assert [(a["key"], a["total"]) for a in aspects] == [("app", 1)]
    authors = rita.get(f"/api/v1/reports/top?what=authors&{q}").json()["items"]
    assert [a["handle"] for a in authors] == ["someone"]
    care = rita.get(f"/api/v1/reports/care?by=department&{q}").json()["rows"]
    assert {row["id"] for row in care} == {mine.pk}
    # Asking for the other department by name gives nothing, not its figures.
    assert rita.get(f"/api/v1/reports/summary?{q}&department={other.slug}").json()["total"] == 0
    exported = b"".join(rita.get(f"/api/v1/reports/export.csv?{q}").streaming_content)
    assert len(exported.decode().strip().splitlines()) == 2  # header + her one mention
    # Her manager sees all of it.
    assert (
        web_client(world.acme, world.alice).get(f"/api/v1/reports/summary?{q}").json()["total"] == 4
    )


@pytest.mark.django_db
def test_report_endpoints_are_in_the_openapi_schema(world):
    schema = api_client(world.acme).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    paths = schema.json()["paths"]
    for name in (
        "volume",
        "summary",
        "care",
        "top",
        "share-of-voice",
        "export.csv",
        "export.pdf",
        "table.csv",
    ):
        assert f"/api/v1/reports/{name}" in paths
    parameters = {p["name"] for p in paths["/api/v1/reports/volume"]["get"]["parameters"]}
    assert {
        "from",
        "to",
        "interval",
        "source",
        "language",
        "department",
        "aspect",
        "kind",
    } <= parameters


@pytest.mark.django_db
def test_care_times_are_exact_for_every_slice_and_department(berlin):
    world = berlin
    department = Department.objects.order_by("pk").first()
    day = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)
    author, _ = Author.objects.get_or_create(network="test", handle="many")
    Mention.objects.bulk_create(
        Mention(
            source=world.acme.source,
            external_id=f"hist-{i}",
            text="About the brand",
            published_at=day,
            received_at=day,
            author=author,
            department=department if i % 2 else None,
            language="de" if i % 3 else "en",
            first_response_at=day + timedelta(minutes=2 + (i * 37) % 600),
            first_response_due=day + timedelta(minutes=60),
        )
        for i in range(300)
    )
    api = api_client(world.acme, world.acme.read_token)
    q = "from=2026-05-10&to=2026-05-10"
    answers = {
        "": list(range(300)),
        "&language=de": [i for i in range(300) if i % 3],
        f"&department={department.slug}": [i for i in range(300) if i % 2],
    }
    for extra, kept in answers.items():
        got = api.get(f"/api/v1/reports/summary?{q}{extra}").json()
        want = durations_of([60.0 * (2 + (i * 37) % 600) for i in kept])
        assert got["responded"] == want.count
        assert got["first_response_median_seconds"] == pytest.approx(want.median_seconds)
        assert got["first_response_p90_seconds"] == pytest.approx(want.p90_seconds)
        assert got["first_response_mean_seconds"] == pytest.approx(want.mean_seconds)
    rows = api.get(f"/api/v1/reports/care?by=department&{q}").json()["rows"]
    by_id = {row["id"]: row for row in rows}
    for key, rows_kept in ((department.pk, range(1, 300, 2)), (0, range(0, 300, 2))):
        want = durations_of([60.0 * (2 + (i * 37) % 600) for i in rows_kept])
        assert by_id[key]["responded"] == want.count
        assert by_id[key]["first_response_median_seconds"] == pytest.approx(want.median_seconds)
        assert by_id[key]["first_response_p90_seconds"] == pytest.approx(want.p90_seconds)
