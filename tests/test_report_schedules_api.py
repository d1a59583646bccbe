"""Scheduled reports over the API: client admins list, create, change, delete, send now and
read the history; the same checks and audit entries as the page; one client's token never
sees or changes another's schedules; viewers and responders read them, as on the Schedules
page, but change nothing; staff limited to departments read nothing, as on the page."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.audit.models import AuditEntry
from accounts.services import api_token_create
from reports import scheduling
from reports.models import ReportDelivery, ReportSchedule
from routing.models import Department, StaffMember
from tests.conftest import api_client, web_client

BOARD = {
    "name": "Weekly for the board",
    "frequency": "weekly",
    "weekday": 0,
    "hour": 8,
    "recipients": ["Board@Example.org", "cfo@outside.example.net", "board@example.org"],
    "filters": {"language": "de"},
}


def admin_api(world, tenant=None, user=None):
    tenant = tenant or world.acme
    _, token = api_token_create(client=tenant.client, user=user or world.alice)
    return api_client(tenant, token)


@pytest.mark.django_db
def test_a_client_admin_creates_lists_changes_and_deletes_a_schedule(world):
    api = admin_api(world)

    created = api.post("/api/v1/reports/schedules/", BOARD, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    # Outside addresses are fine; they are trimmed, lower-cased and counted once.
    assert body["recipients"] == ["board@example.org", "cfo@outside.example.net"]
    assert body["filters"] == {"language": "de"}
    assert body["when"] == "every Monday at 08:00, the past 7 days"
    assert body["next_send_at"]
    pk = body["id"]

    assert [s["id"] for s in api.get("/api/v1/reports/schedules/").json()] == [pk]

    changed = api.patch(f"/api/v1/reports/schedules/{pk}/", {"enabled": False}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["enabled"] is False and changed.json()["next_send_at"] is None
    assert changed.json()["recipients"] == body["recipients"]  # untouched by a PATCH

    monthly = {**BOARD, "frequency": "monthly", "day_of_month": 3, "recipients": ["a@b.example"]}
    replaced = api.put(f"/api/v1/reports/schedules/{pk}/", monthly, format="json")
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["when"].startswith("on day 3 of every month")
    assert replaced.json()["enabled"] is True  # PUT sets every field, defaults included

    assert api.delete(f"/api/v1/reports/schedules/{pk}/").status_code == 204
    assert api.get(f"/api/v1/reports/schedules/{pk}/").status_code == 404

    with tenant_context(world.acme.client):
        actions = list(
            AuditEntry.objects.filter(target_type="report_schedule")
            .order_by("id")
            .values_list("action", "actor_id")
        )
    assert actions == [
        ("report_schedule.created", world.alice.pk),
        ("report_schedule.changed", world.alice.pk),
        ("report_schedule.changed", world.alice.pk),
        ("report_schedule.deleted", world.alice.pk),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipients": ["not-an-address"]}, "recipients"),
        ({"recipients": []}, "recipients"),
        ({"recipients": [f"p{i}@example.org" for i in range(51)]}, "recipients"),
        ({"frequency": "daily"}, "frequency"),
        ({"hour": 24}, "hour"),
        ({"hour": "eight"}, "hour"),
        ({"day_of_month": 31, "frequency": "monthly"}, "day_of_month"),
        ({"name": "  "}, "name"),
        ({"filters": {"department": "no-such-team"}}, "department"),
        ({"filters": {"source": "99999"}}, "source"),
        ({"recipients": "board@example.org"}, "recipients"),
    ],
)
def test_invalid_schedules_are_answered_by_field_in_the_one_error_shape(world, change, field):
    answer = admin_api(world).post("/api/v1/reports/schedules/", {**BOARD, **change}, format="json")
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    with tenant_context(world.acme.client):
        assert not ReportSchedule.objects.exists()


@pytest.mark.django_db
def test_hostile_bodies_are_refused_without_a_500(world):
    api = admin_api(world)
    for body in ([1, 2], "just text", {"filters": "de"}, {"recipients": [{"a": 1}]}):
        answer = api.post("/api/v1/reports/schedules/", body, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert "error" in answer.json()


@pytest.mark.django_db
def test_send_now_queues_a_mail_and_the_history_shows_it(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        scheduling,
        "task_send",
        lambda name, schema, pk: scheduling.report_delivery_send(delivery_id=pk),
    )
    api = admin_api(world)
    pk = api.post("/api/v1/reports/schedules/", BOARD, format="json").json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"/api/v1/reports/schedules/{pk}/send-now")
    assert sent.status_code == 202, sent.content
    assert sent.json()["manual"] is True
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["board@example.org", "cfo@outside.example.net"]

    history = api.get(f"/api/v1/reports/schedules/{pk}/deliveries/")
    assert history.status_code == 200
    (delivery,) = history.json()["results"]
    assert delivery["status"] == "sent" and delivery["id"] == sent.json()["id"]
    with tenant_context(world.acme.client):
        assert AuditEntry.objects.filter(action="report_schedule.sent_now").count() == 1


@pytest.mark.django_db
def test_one_clients_token_never_sees_or_changes_another_clients_schedules(world):
    acme = admin_api(world)
    globex = admin_api(world, world.globex, world.bob)
    pk = acme.post("/api/v1/reports/schedules/", BOARD, format="json").json()["id"]

    # On its own host, Globex's admin sees none of Acme's schedules, not even by id.
    assert globex.get("/api/v1/reports/schedules/").json() == []
    for method, path in (
        ("get", f"/api/v1/reports/schedules/{pk}/"),
        ("patch", f"/api/v1/reports/schedules/{pk}/"),
        ("delete", f"/api/v1/reports/schedules/{pk}/"),
        ("post", f"/api/v1/reports/schedules/{pk}/send-now"),
        ("get", f"/api/v1/reports/schedules/{pk}/deliveries/"),
    ):
        answer = getattr(globex, method)(path, {"enabled": False}, format="json")
        assert answer.status_code == 404, (method, path, answer.content)

    # Globex's token on Acme's host is no key at all.
    _, token = api_token_create(client=world.globex.client, user=world.bob)
    stray = api_client(world.acme, token)
    assert stray.get("/api/v1/reports/schedules/").status_code in (401, 403)
    assert stray.delete(f"/api/v1/reports/schedules/{pk}/").status_code in (401, 403)

    with tenant_context(world.acme.client):
        schedule = ReportSchedule.objects.get(pk=pk)
        assert schedule.enabled and not ReportDelivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["vera", "rita"])
def test_viewers_and_responders_read_schedules_as_on_the_page_but_change_nothing(world, who):
    admin = admin_api(world)
    pk = admin.post("/api/v1/reports/schedules/", BOARD, format="json").json()["id"]
    assert admin.post(f"/api/v1/reports/schedules/{pk}/send-now").status_code == 202
    api = admin_api(world, user=getattr(world, who))
    listed = api.get("/api/v1/reports/schedules/")
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [pk]
    one = api.get(f"/api/v1/reports/schedules/{pk}/")
    assert one.status_code == 200 and one.json()["name"] == BOARD["name"]
    history = api.get(f"/api/v1/reports/schedules/{pk}/deliveries/")
    assert history.status_code == 200 and len(history.json()["results"]) == 1
    # The page shows the same to them.
    page = web_client(world.acme, getattr(world, who)).get("/reports/schedules/")
    assert page.status_code == 200 and BOARD["name"].encode() in page.content
    for method, path in (
        ("post", "/api/v1/reports/schedules/"),
        ("put", f"/api/v1/reports/schedules/{pk}/"),
        ("patch", f"/api/v1/reports/schedules/{pk}/"),
        ("delete", f"/api/v1/reports/schedules/{pk}/"),
        ("post", f"/api/v1/reports/schedules/{pk}/send-now"),
    ):
        answer = getattr(api, method)(path, {**BOARD, "enabled": False}, format="json")
        assert answer.status_code == 403, (who, method, path, answer.content)
        assert answer.json()["error"]["code"] == "permission_denied"
    with tenant_context(world.acme.client):
        assert ReportSchedule.objects.get(pk=pk).enabled
        assert ReportDelivery.objects.count() == 1


@pytest.mark.django_db
def test_staff_limited_to_departments_may_not_read_schedules_as_on_the_page(world):
    pk = admin_api(world).post("/api/v1/reports/schedules/", BOARD, format="json").json()["id"]
    with tenant_context(world.acme.client):
        department = Department.objects.create(name="Baggage", slug="baggage")
        member, _ = StaffMember.objects.get_or_create(
            user_id=world.rita.pk, defaults={"name": "Rita"}
        )
        member.departments.add(department)
    api = admin_api(world, user=world.rita)
    for path in (
        "/api/v1/reports/schedules/",
        f"/api/v1/reports/schedules/{pk}/",
        f"/api/v1/reports/schedules/{pk}/deliveries/",
    ):
        answer = api.get(path)
        assert answer.status_code == 403, (path, answer.content)
        assert answer.json()["error"]["code"] == "permission_denied"
    assert web_client(world.acme, world.rita).get("/reports/schedules/").status_code == 403


@pytest.mark.django_db
def test_a_read_only_token_of_a_client_admin_reads_but_does_not_change(world):
    api = admin_api(world)
    pk = api.post("/api/v1/reports/schedules/", BOARD, format="json").json()["id"]
    _, token = api_token_create(client=world.acme.client, user=world.alice, scope="read")
    reader = api_client(world.acme, token)
    assert reader.get(f"/api/v1/reports/schedules/{pk}/").status_code == 200
    assert reader.delete(f"/api/v1/reports/schedules/{pk}/").status_code == 403
