"""The PDF report: a real PDF (WeasyPrint) whose text, read back with poppler's pdftotext,
has the key figures, the agency's and the client's names, the period and its comparison."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.security import agency_get
from mentions.models import Author, Mention
from routing.models import Department, StaffMember
from tests.conftest import api_client, web_client

_ids = itertools.count(1)

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs poppler-utils (scripts/ensure_pdf.sh)"
)


def add(source, *, at, **fields) -> Mention:
    author, _ = Author.objects.get_or_create(network="test", handle=fields.pop("handle", "pat"))
    return Mention.objects.create(
        source=source,
        external_id=f"pdf-{next(_ids)}",
        text=fields.pop("text", "About the brand"),
        published_at=at,
        author=author,
        **fields,
    )


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.django_db
def test_the_pdf_report_carries_the_key_figures_names_and_period(world, in_acme, tmp_path):
    now = timezone.now() - timedelta(hours=2)
    for _ in range(3):
        add(world.acme.source, at=now, sentiment="negative", aspects=["app"])
    add(world.acme.source, at=now, sentiment="positive", kind="idea", text="Please add dark mode")
    add(world.acme.source, at=now - timedelta(days=10), sentiment="neutral")
    response = web_client(world.acme, world.vera).get(
        "/api/v1/reports/export.pdf?from="
        + ((timezone.localdate() - timedelta(days=6)).isoformat())
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    agency = agency_get()
    assert agency is not None and agency.name in text
    assert world.acme.client.name in text
    assert "compared with" in text
    assert "Mentions" in text and "Negative share" in text
    # 4 mentions this week against 1 the week before, 3 of 4 negative (75 %).
    assert "+3 (+300%)" in text
    assert "75%" in text
    assert "Please add dark mode" in text
    assert "Mentions per day, by sentiment" in text


@pytest.mark.django_db
def test_the_pdf_says_which_filters_it_shows(world, in_acme, tmp_path):
    add(world.acme.source, at=timezone.now() - timedelta(hours=1), language="de")
    response = web_client(world.acme, world.alice).get(
        "/api/v1/reports/export.pdf?language=de&kind=complaint"
    )
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "language de" in text and "kind complaint" in text


@pytest.mark.django_db
def test_department_staff_get_a_pdf_of_their_departments_only(world, in_acme, tmp_path):
    mine, other = Department.objects.order_by("pk")[:2]
    StaffMember.objects.create(user_id=world.rita.pk, name="Rita").departments.set([mine])
    now = timezone.now() - timedelta(hours=1)
    add(world.acme.source, at=now, department=mine, handle="minehandle")
    add(world.acme.source, at=now, department=other, handle="theirhandle")
    response = web_client(world.acme, world.rita).get("/api/v1/reports/export.pdf")
    text = pdf_text(response.content, tmp_path)
    assert "@minehandle" in text and "@theirhandle" not in text


@pytest.mark.django_db
def test_a_bad_period_is_a_400_not_a_pdf(world, in_acme):
    response = api_client(world.acme, world.acme.read_token).get(
        "/api/v1/reports/export.pdf?from=2026-03-01&to=2026-02-01"
    )
    assert response.status_code == 400
    assert "from" in str(response.json())


@pytest.mark.django_db
def test_another_clients_member_gets_no_pdf(world):
    web = web_client(world.globex)
    web.force_login(world.alice)
    assert web.get("/api/v1/reports/export.pdf").status_code in (403, 404)


@pytest.mark.django_db
def test_the_reports_page_offers_the_pdf_with_its_filters(world, in_acme):
    html = web_client(world.acme, world.alice).get("/reports/?range=7&language=de").content
    assert b"/api/v1/reports/export.pdf?from=" in html and b"language=de" in html
