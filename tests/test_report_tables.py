"""CSV of every report table: the page links each table to its CSV with the same period
and filters; the CSV has the same figures as the page."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from mentions.models import Author, Mention
from reports.tables import TABLES
from routing.models import Department, StaffMember
from tests.conftest import api_client, web_client

_ids = itertools.count(1)


def add(source, *, at, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle=fields.pop("handle", "pat"))
    return Mention.objects.create(
        source=source,
        external_id=f"table-{next(_ids)}",
        text=fields.pop("text", "About the brand"),
        published_at=at,
        author=author,
        **fields,
    )


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_every_table_downloads_as_csv_with_a_header(world, in_acme, table):
    add(world.acme.source, at=timezone.now() - timedelta(hours=1), sentiment="negative")
    response = api_client(world.acme, world.acme.read_token).get(
        f"/api/v1/reports/table.csv?table={table}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert f'filename="{table}-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows and rows[0]


@pytest.mark.django_db
def test_the_aspects_csv_has_the_pages_figures_and_honours_filters(world, in_acme):
    now = timezone.now() - timedelta(hours=1)
    add(world.acme.source, at=now, sentiment="negative", aspects=["app"], language="de")
    add(world.acme.source, at=now, sentiment="positive", aspects=["app"], language="en")
    add(world.acme.source, at=now, sentiment="negative", aspects=["billing"], language="de")
    api = api_client(world.acme, world.acme.read_token)
    rows = read_csv(api.get("/api/v1/reports/table.csv?table=aspects"))
    assert rows[0] == [
        "aspect",
        "key",
        "total",
        "negative",
        "neutral",
        "positive",
        "negative_share",
    ]
    by_key = {row[1]: row for row in rows[1:]}
    assert by_key["app"][2:] == ["2", "1", "0", "1", "0.5"]
    german = read_csv(api.get("/api/v1/reports/table.csv?table=aspects&language=de"))
    assert {row[1]: row[2] for row in german[1:]} == {"app": "1", "billing": "1"}


@pytest.mark.django_db
def test_csv_cells_cannot_become_spreadsheet_formulas(world, in_acme):
    add(
        world.acme.source, at=timezone.now() - timedelta(hours=1), kind="idea", text="=HYPERLINK(1)"
    )
    rows = read_csv(
        api_client(world.acme, world.acme.read_token).get("/api/v1/reports/table.csv?table=ideas")
    )
    assert rows[1][4] == "'=HYPERLINK(1)"


@pytest.mark.django_db
def test_an_unknown_table_is_a_400(world, in_acme):
    response = api_client(world.acme, world.acme.read_token).get(
        "/api/v1/reports/table.csv?table=secrets"
    )
    assert response.status_code == 400
    assert "table" in str(response.json())


@pytest.mark.django_db
def test_department_staff_get_tables_of_their_departments_only(world, in_acme):
    mine, other = Department.objects.order_by("pk")[:2]
    StaffMember.objects.create(user_id=world.rita.pk, name="Rita").departments.set([mine])
    now = timezone.now() - timedelta(hours=1)
    add(world.acme.source, at=now, department=mine, handle="minehandle")
    add(world.acme.source, at=now, department=other, handle="theirhandle")
    web = web_client(world.acme, world.rita)
    rows = read_csv(web.get("/api/v1/reports/table.csv?table=authors"))
    assert [row[0] for row in rows[1:]] == ["minehandle"]
    departments = read_csv(web.get("/api/v1/reports/table.csv?table=departments"))
    assert [row[0] for row in departments[1:]] == [mine.name]


@pytest.mark.django_db
def test_the_page_links_each_table_to_its_csv_with_the_filters(world, in_acme):
    add(world.acme.source, at=timezone.now() - timedelta(hours=1), aspects=["app"], language="de")
    html = web_client(world.acme, world.alice).get("/reports/?range=7&language=de").content.decode()
    links = [unescape(h) for h in re.findall(r'href="(/api/v1/reports/table\.csv\?[^"]+)"', html)]
    tables = {re.search(r"table=([a-z-]+)", link).group(1) for link in links}
    assert {"volume", "sources", "aspects", "authors", "care-people"} <= tables
    assert all("language=de" in link and "from=" in link for link in links)
