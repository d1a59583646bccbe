"""Onboarding a client: its own schema and domain (accounts), then what it needs to work
from the first mention on: departments, the default SLA policy and the general routing
matrix (routing)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Client
from accounts.services import client_schema_create
from routing.services import routing_seed_defaults


@transaction.atomic
def client_create(*, slug: str, name: str) -> Client:
    """Create a client with its own schema, domain and default routing matrix.

    Creating the schema runs every tenant migration; it takes a few seconds.
    """
    client = client_schema_create(slug=slug, name=name)
    routing_seed_defaults(client=client)
    return client
