"""Scheduled report mails: when they are due (time zones, DST), sent once per period with
the PDF attached and a CSV link that works without a login, send now, history, who may."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from reports import scheduling
from reports.models import ReportDelivery, ReportSchedule
from reports.schedules import When, due_period, last_occurrence, next_occurrence, period_covered
from tests.conftest import web_client

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


# --- when: pure ---------------------------------------------------------------------------


def test_a_weekly_report_fires_on_its_weekday_and_hour_in_the_clients_zone():
    when = When("weekly", weekday=0, hour=8)  # Mondays 08:00
    # Monday 7 Dec 2026, 07:59 in Berlin is 06:59 UTC: not yet; a minute later it is.
    before = datetime(2026, 12, 7, 6, 59, tzinfo=UTC)
    after = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert last_occurrence(when=when, zone=BERLIN, now=before)[1] == date(2026, 11, 30)
    fired_at, fired_on = last_occurrence(when=when, zone=BERLIN, now=after)
    assert fired_on == date(2026, 12, 7) and fired_at == after
    # It covers the seven days before (Monday to Sunday).
    assert period_covered(frequency="weekly", fired_on=fired_on) == (
        date(2026, 11, 30),
        date(2026, 12, 6),
    )
    # The same wall-clock hour is another instant in New York.
    assert last_occurrence(when=when, zone=NEW_YORK, now=after)[1] == date(2026, 11, 30)


def test_a_monthly_report_covers_the_whole_previous_month():
    when = When("monthly", day_of_month=1, hour=7)
    now = datetime(2027, 1, 1, 6, 30, tzinfo=UTC)  # 07:30 in Berlin on New Year's Day
    _, fired_on = last_occurrence(when=when, zone=BERLIN, now=now)
    assert fired_on == date(2027, 1, 1)
    assert period_covered(frequency="monthly", fired_on=fired_on) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert next_occurrence(when=when, zone=BERLIN, now=now) == datetime(
        2027, 2, 1, 6, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "hour", "day", "expected_utc"),
    [
        # Spring forward in Berlin (29 Mar 2026, 02:00 -> 03:00): 02:00 does not exist and
        # fires when the clocks say 03:00 (01:00 UTC); 08:00 is CEST (06:00 UTC).
        (BERLIN, 2, date(2026, 3, 29), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (BERLIN, 8, date(2026, 3, 29), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        # Fall back (25 Oct 2026, 03:00 -> 02:00): 02:00 happens twice; it fires the first
        # time (CEST, 00:00 UTC), and 08:00 is CET (07:00 UTC).
        (BERLIN, 2, date(2026, 10, 25), datetime(2026, 10, 25, 0, 0, tzinfo=UTC)),
        (BERLIN, 8, date(2026, 10, 25), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        # New York springs forward on 8 Mar 2026.
        (NEW_YORK, 8, date(2026, 3, 8), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        (NEW_YORK, 8, date(2026, 3, 1), datetime(2026, 3, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_dst_days_fire_at_the_local_hour(zone, hour, day, expected_utc):
    when = When("weekly", weekday=day.weekday(), hour=hour)
    just_before = expected_utc - timedelta(minutes=1)
    assert last_occurrence(when=when, zone=zone, now=just_before)[1] == day - timedelta(days=7)
    assert last_occurrence(when=when, zone=zone, now=expected_utc) == (expected_utc, day)


def test_a_new_schedule_does_not_mail_what_was_due_before_it_existed():
    when = When("weekly", weekday=0, hour=8)
    now = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # Wednesday
    assert due_period(when=when, zone=BERLIN, now=now, since=now - timedelta(hours=1)) is None
    assert due_period(when=when, zone=BERLIN, now=now, since=now - timedelta(days=5)) == (
        date(2026, 11, 30),
        date(2026, 12, 6),
    )


# --- sending ------------------------------------------------------------------------------


def make_schedule(**fields) -> ReportSchedule:
    defaults = {
        "name": "Weekly for the board",
        "frequency": "weekly",
        "weekday": 0,
        "hour": 8,
        "recipients": ["board@example.org", "cfo@example.net"],
        "base_url": "http://acme.localhost:8000",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    return ReportSchedule.objects.create(**{**defaults, **fields})


def csv_link(message) -> str:
    found = re.search(r"(/reports/shared/[^/\s]+/report\.csv)", message.body)
    assert found, message.body
    return found.group(1)


@pytest.mark.django_db
def test_beat_sends_each_period_once_with_the_pdf_and_a_csv_link(world, in_acme):
    make_schedule()
    monday = datetime(2026, 12, 7, 7, 5, tzinfo=UTC)  # 08:05 in Berlin
    sent = scheduling.report_schedules_send_due(now=monday)
    assert [d.status for d in sent] == ["sent"]
    # Beat looks again five minutes later, and a second worker at the same time: no repeat.
    assert scheduling.report_schedules_send_due(now=monday + timedelta(minutes=5)) == []
    assert scheduling.report_schedules_send_due(now=monday) == []
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["board@example.org", "cfo@example.net"]
    assert "Acme Rail" in message.subject and "30 Nov 2026 to 06 Dec 2026" in message.subject
    ((_name, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF-")
    assert "Mentions:" in message.body
    delivery = ReportDelivery.objects.get()
    assert (delivery.period_first, delivery.period_last) == (date(2026, 11, 30), date(2026, 12, 6))
    # The next Monday is a new period.
    assert len(scheduling.report_schedules_send_due(now=monday + timedelta(days=7))) == 1


@pytest.mark.django_db
def test_the_csv_link_works_without_login_only_for_its_client_and_until_deleted(world, in_acme):
    schedule = make_schedule()
    scheduling.report_schedules_send_due(now=datetime(2026, 12, 7, 7, 5, tzinfo=UTC))
    link = csv_link(mail.outbox[0])
    response = web_client(world.acme).get(link)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    body = b"".join(response.streaming_content).decode()
    assert "Report 2026-11-30 to 2026-12-06" in body and "care-people" in body
    assert web_client(world.globex).get(link).status_code == 404
    assert (
        web_client(world.acme).get(link.replace("/report.csv", "x/report.csv")).status_code == 404
    )
    schedule.delete()
    assert web_client(world.acme).get(link).status_code == 404


@pytest.mark.django_db
def test_a_failed_mail_is_recorded_in_the_history(world, in_acme, monkeypatch):
    make_schedule()

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server away")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    (delivery,) = scheduling.report_schedules_send_due(now=datetime(2026, 12, 7, 7, 5, tzinfo=UTC))
    assert delivery.status == "failed" and "mail server away" in delivery.error


# --- the page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_client_admin_schedules_a_report_sends_it_now_and_sees_the_history(
    world, in_acme, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        scheduling,
        "task_send",
        lambda name, schema, pk: scheduling.report_delivery_send(delivery_id=pk),
    )
    web = web_client(world.acme, world.alice)
    response = web.post(
        "/reports/schedules/",
        {
            "name": "Monthly for Thomas",
            "frequency": "monthly",
            "weekday": "0",
            "day_of_month": "3",
            "hour": "9",
            "recipients": "thomas@example.org\nbuyers@example.com",
            "language": "de",
        },
    )
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.filters == {"language": "de"} and schedule.day_of_month == 3
    assert schedule.base_url == "http://acme.localhost"
    page = web.get("/reports/schedules/").content.decode()
    assert "Monthly for Thomas" in page and "on day 3 of every month at 09:00" in page.lower()
    with django_capture_on_commit_callbacks(execute=True):
        web.post(f"/reports/schedules/{schedule.pk}/", {"action": "send"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [
        "thomas@example.org",
        "buyers@example.com",
    ]
    page = web.get("/reports/schedules/").content.decode()
    assert "sent now" in page and ">sent<" in page


@pytest.mark.django_db
def test_bad_input_is_answered_by_field(world, in_acme):
    response = web_client(world.acme, world.alice).post(
        "/reports/schedules/",
        {"name": "", "frequency": "daily", "hour": "25", "recipients": "not-an-address"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the schedule a name." in html
    assert "Choose weekly or monthly." in html
    assert "not-an-address is not an e-mail address." in html
    assert not ReportSchedule.objects.exists()


@pytest.mark.django_db
def test_only_client_admins_change_schedules(world, in_acme):
    schedule = make_schedule()
    viewer = web_client(world.acme, world.vera)
    assert viewer.get("/reports/schedules/").status_code == 200
    assert viewer.post("/reports/schedules/", {"name": "x"}).status_code == 403
    assert (
        viewer.post(f"/reports/schedules/{schedule.pk}/", {"action": "delete"}).status_code == 403
    )
    assert ReportSchedule.objects.filter(pk=schedule.pk).exists()
    outsider = web_client(world.globex)
    outsider.force_login(world.alice)
    assert outsider.get("/reports/schedules/").status_code == 403


@pytest.mark.django_db
def test_pausing_stops_the_beat(world, in_acme):
    schedule = make_schedule()
    web_client(world.acme, world.alice).post(
        f"/reports/schedules/{schedule.pk}/", {"action": "pause"}
    )
    schedule.refresh_from_db()
    assert not schedule.enabled
    assert scheduling.report_schedules_send_due(now=timezone.now() + timedelta(days=8)) == []
