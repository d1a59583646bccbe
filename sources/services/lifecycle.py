"""A client's life after onboarding: deactivate, reactivate, export its data, delete it.

Deactivated clients keep every row; `config.tenancy.client_schemas_serving` leaves them out
of polling, streams and every other background check, and `accounts.selectors.
membership_role_for` answers "no access" for them, so pages, the API and websockets refuse
everyone (`frontend.middleware` shows a page saying why). Deleting needs the slug typed
again and drops the schema; the export (a zip of JSONL files, one per table, and the
mentions as CSV) is offered first.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django_tenants.utils import tenant_context

from accounts.audit.services import audit_record
from accounts.logos import client_logo_get
from accounts.models import Client, User
from accounts.services import agency_audit_record, client_delete_row, client_set_active
from config.errors import DomainError

# Secrets stay behind: webhook signing secrets and encrypted source credentials.
NOT_EXPORTED: dict[str, set[str]] = {"sources.source": {"secret", "credentials_encrypted"}}


def _tenant_models() -> Iterator[type[models.Model]]:
    tenant_only = [app for app in settings.TENANT_APPS if app not in settings.SHARED_APPS]
    for config in apps.get_app_configs():
        if config.name in tenant_only:
            yield from config.get_models(include_auto_created=True)


def _columns(model: type[models.Model]) -> list[str]:
    hidden = NOT_EXPORTED.get(model._meta.label_lower, set())
    return [field.attname for field in model._meta.concrete_fields if field.name not in hidden]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return str(value)


def client_export(*, client: Client, out: IO[bytes]) -> dict[str, int]:
    """Write the client's data to `out` as a zip (its logo too, from the public table);
    returns the rows per table (and `logo`: 1 when it has one)."""
    counts: dict[str, int] = {}
    with tenant_context(client), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for model in _tenant_models():
            table = model._meta.db_table
            columns = _columns(model)
            # The base manager: soft-deleted rows (a deleted source) are exported too.
            rows = model._base_manager.order_by("pk").values(*columns)
            count = 0
            with archive.open(f"{table}.jsonl", "w") as handle:
                for row in rows.iterator(chunk_size=2000):
                    line = json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False)
                    handle.write(line.encode() + b"\n")
                    count += 1
            counts[table] = count
            if model._meta.label_lower == "mentions.mention":
                with archive.open("mentions.csv", "w") as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                    writer = csv.writer(text)
                    writer.writerow(columns)
                    for row in rows.iterator(chunk_size=2000):
                        writer.writerow([_cell(row[column]) for column in columns])
                    text.flush()
                    text.detach()
        # The logo lives in a shared public table, outside the client's schema.
        logo = client_logo_get(client=client)
        if logo is not None:
            archive.writestr("logo.png", bytes(logo.image))
        counts["logo"] = int(logo is not None)
        archive.writestr(
            "README.txt",
            f"Lotse export of {client.name} ({client.slug}).\n"
            "One JSON object per line and table (<table>.jsonl); mentions also as CSV.\n"
            + ("The client's logo as stored (logo.png).\n" if logo is not None else "")
            + "User ids refer to the agency's accounts; source secrets are not included.\n",
        )
    return counts


@transaction.atomic
def client_deactivate(*, client: Client, by: User) -> Client:
    """Stop serving the client (polling, pages, API, websockets); its data is kept."""
    if not client.is_active:
        return client
    client_set_active(client=client, active=False)
    with tenant_context(client):
        audit_record(
            actor=by,
            action="client.deactivated",
            target_type="client",
            target_id=client.pk,
            summary=f"Deactivated {client.name}",
        )
    agency_audit_record(actor=by, action="client.deactivated", client=client)
    return client


@transaction.atomic
def client_reactivate(*, client: Client, by: User) -> Client:
    if client.is_active:
        return client
    client_set_active(client=client, active=True)
    with tenant_context(client):
        audit_record(
            actor=by,
            action="client.reactivated",
            target_type="client",
            target_id=client.pk,
            summary=f"Reactivated {client.name}",
        )
    agency_audit_record(actor=by, action="client.reactivated", client=client)
    return client


@transaction.atomic
def client_delete(*, client: Client, by: User, confirm_slug: str) -> None:
    """Drop the client's schema and rows for good, once its slug is typed again."""
    if confirm_slug.strip() != client.slug:
        raise DomainError(
            f"Type {client.slug} to confirm; nothing was deleted.",
            fields={"confirm_slug": [f"type {client.slug} exactly"]},
        )
    agency_audit_record(actor=by, action="client.deleted", client=client)
    client_delete_row(client=client)
