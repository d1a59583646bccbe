"""Typed access to the tenant the current connection serves (set by django-tenants'
middleware for requests and by `config.celery.tenant_task` in workers)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.conf import settings
from django.db import connection

if TYPE_CHECKING:
    from accounts.models import Client


def current_schema() -> str:
    return cast(str, cast(Any, connection).schema_name)


def current_client() -> Client:
    """The client being served. Raises if the connection is on the public schema."""
    tenant = cast(Any, connection).tenant
    if tenant is None or tenant.schema_name == "public":
        raise LookupError("No client is active on this connection")
    return cast("Client", tenant)


def current_client_or_none() -> Client | None:
    tenant = getattr(connection, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return None
    return cast("Client", tenant)


def current_tenant_pk() -> int | None:
    """The primary key of the tenant row being served: a client's, or the agency's own (the
    public schema's) row on the agency host; None outside a resolved request."""
    tenant = getattr(connection, "tenant", None)
    return cast(int | None, getattr(tenant, "pk", None))


def client_schemas_serving() -> list[str]:
    """The schemas of every client to serve in the background (polling, SLA checks, ...):
    not the public schema, not the template new clients are cloned from, not deactivated
    clients."""
    tenant_model = apps.get_model(settings.TENANT_MODEL)
    return list(
        tenant_model.objects.filter(is_active=True)
        .exclude(schema_name__in=("public", settings.TENANT_BASE_SCHEMA))
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )


def use_public_schema() -> None:
    cast(Any, connection).set_schema_to_public()


def use_client(client: Client) -> None:
    cast(Any, connection).set_tenant(client)


_CLIENT_CACHE_SECONDS = 60.0
_client_cache: dict[str, tuple[float, Client]] = {}


def client_get_by_schema(*, schema_name: str) -> Client:
    """The client owning `schema_name`, cached briefly per process (workers run many tasks).
    The kernel knows the tenant model from the settings, not by importing accounts."""
    now = time.monotonic()
    cached = _client_cache.get(schema_name)
    if cached and now - cached[0] < _CLIENT_CACHE_SECONDS:
        return cached[1]
    # django-tenants' tenant model, looked up when called: this module is imported with the
    # Celery app, before settings are configured.
    tenant_model = apps.get_model(settings.TENANT_MODEL)
    client = cast("Client", tenant_model.objects.get(schema_name=schema_name))
    _client_cache[schema_name] = (now, client)
    return client
