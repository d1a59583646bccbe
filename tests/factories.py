"""Factories for tenant-side data: mentions in the documented ingest format, responders."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from accounts.models import Client, Role, User
from accounts.services import user_create_or_update

_counter = itertools.count(1)


def mention_item(**overrides: Any) -> dict[str, Any]:
    """One mention in the documented push format, unique unless `external_id` is given."""
    number = next(_counter)
    item: dict[str, Any] = {
        "external_id": f"ext-{number}",
        "url": f"https://social.example/status/{number}",
        # One content term only ("brand"): factory mentions never form problem clusters.
        "text": f"This is about our brand, #{number}",
        "published_at": datetime(2026, 11, 23, 10, 0, tzinfo=UTC).isoformat(),
        "author": {"handle": f"author{number}", "name": f"Author {number}", "followers": 10},
    }
    author = overrides.pop("author", None)
    item.update(overrides)
    if author is not None:
        item["author"] = {**item["author"], **author}
    return item


def responders_create(*, client: Client, count: int, prefix: str, password: str) -> list[User]:
    """`count` responders of `client` ("<prefix>N@<slug>.test", named "<Prefix> N"), made in
    the public schema; the connection is left in the client's schema."""
    people = []
    for index in range(count):
        connection.set_schema_to_public()
        people.append(
            user_create_or_update(
                email=f"{prefix}{index}@{client.slug}.test",
                password=password,
                name=f"{prefix.title()} {index}",
                client=client,
                role=Role.RESPONDER,
            )
        )
    connection.set_tenant(client)
    return people
