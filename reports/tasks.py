"""Celery entry points for reports: the spike check and the scheduled report mails, per
client, run by beat; a report mail asked for with "send now"."""

from __future__ import annotations

from config.celery import app, tenant_task
from config.tenancy import client_schemas_serving
from reports.scheduling import report_delivery_send, report_schedules_send_due
from reports.services import spike_check


@tenant_task(name="reports.spike_check", queue="reports")
def spike_check_task() -> None:
    spike_check()


@app.task(name="reports.spike_check_all_clients", queue="reports")
def spike_check_all_clients() -> None:
    for schema_name in client_schemas_serving():
        spike_check_task.delay(schema_name)


@tenant_task(name="reports.report_schedules_send_due", queue="reports")
def report_schedules_send_due_task() -> None:
    report_schedules_send_due()


@app.task(name="reports.report_schedules_due_all_clients", queue="reports")
def report_schedules_due_all_clients() -> None:
    for schema_name in client_schemas_serving():
        report_schedules_send_due_task.delay(schema_name)


@tenant_task(name="reports.report_delivery_send", queue="reports")
def report_delivery_send_task(delivery_id: int) -> None:
    report_delivery_send(delivery_id=delivery_id)
