"""How fast a new client is made, and what an empty one costs in disk and catalog.

Creates `--count` clients (default 20) the way the wizard and `POST /api/v1/clients/` do
(`client_onboard`: schema cloned from the migrated template, industry preset, SLA policy,
saved replies, queries), prints median and p95 of the creation time, the disk size of one
empty client (pg_total_relation_size over its tables: heap, indexes, TOAST) and its catalog
rows (pg_class rows in the schema and of its TOAST tables, pg_attribute and pg_constraint
rows), then drops every client it made. `--scratch` also times one schema migrated from
scratch, for comparison.

    LOTSE_DB_NAME=lotse .venv/bin/python bench/tenants.py [--count 20] [--scratch]

The database must be migrated (`manage.py migrate_schemas`); the template schema is made
once when missing (and that time is printed apart).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from accounts.cloning import schema_clone
from accounts.models import Client
from accounts.services import agency_ensure, tenant_template_ensure
from config.tenancy import use_public_schema
from sources.services.onboarding import ClientSetup, client_onboard, tracked_name

SIZE_SQL = """
SELECT coalesce(sum(pg_total_relation_size(format('%%I.%%I', schemaname, tablename))), 0)
FROM pg_tables WHERE schemaname = %s
"""
CATALOG_SQL = """
WITH own AS (
    SELECT c.oid, c.reltoastrelid FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s
), toast AS (
    SELECT t.oid FROM pg_class t JOIN own ON t.oid = own.reltoastrelid
    UNION ALL
    SELECT i.indexrelid FROM pg_index i JOIN own ON i.indrelid = own.reltoastrelid
)
SELECT (SELECT count(*) FROM own),
       (SELECT count(*) FROM toast),
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid IN (SELECT oid FROM own)),
       (SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
        WHERE n.nspname = %s)
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def setup(slug: str) -> ClientSetup:
    return ClientSetup(
        slug=slug,
        name=f"Bench {slug}",
        time_zone="Europe/Berlin",
        languages=["de", "en"],
        industry="transport",
        brands=[tracked_name("Bench Rail"), tracked_name("BR app", "bench NEAR/3 app")],
        competitors=[tracked_name("Other Rail")],
    )


def copy_seconds(count: int = 5) -> list[float]:
    """The schema copy alone (no preset), into scratch schemas that are rolled back."""
    seconds = []
    with transaction.atomic():
        for number in range(count):
            started = time.monotonic()
            schema_clone(source=settings.TENANT_BASE_SCHEMA, target=f"bench_copy_{number}")
            seconds.append(time.monotonic() - started)
        transaction.set_rollback(True)
    return seconds


def scratch_seconds() -> float:
    """One schema migrated from nothing, the way tenants were made before cloning."""
    schema = f"bench_scratch_{os.getpid()}"
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
    seconds = time.monotonic() - started
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--scratch", action="store_true", help="also time one from scratch")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")

    agency_ensure()
    had_template = schema_exists(settings.TENANT_BASE_SCHEMA)
    started = time.monotonic()
    tenant_template_ensure()
    if not had_template:
        print(f"template schema made once: {time.monotonic() - started:.2f} s")

    prefix = f"bench-t{os.getpid()}"
    made: list[Client] = []
    seconds: list[float] = []
    try:
        for number in range(args.count):
            started = time.monotonic()
            result = client_onboard(setup=setup(f"{prefix}-{number}"), by=None)
            seconds.append(time.monotonic() - started)
            made.append(result.client)
        first = made[0].schema_name
        with connection.cursor() as cursor:
            cursor.execute(SIZE_SQL, [first])
            size = cursor.fetchone()[0]
            cursor.execute(CATALOG_SQL, [first, first])
            rels, toast, attributes, constraints = cursor.fetchone()
        print(f"clients created: {len(made)} (client_onboard: clone + transport preset)")
        print(
            f"creation time: median {statistics.median(seconds):.3f} s, "
            f"p95 {percentile(seconds, 0.95):.3f} s, "
            f"min {min(seconds):.3f} s, max {max(seconds):.3f} s"
        )
        print(f"created: {result.created}")
        print(f"disk per client (preset data only): {size / 1024:.0f} KiB")
        print(
            f"catalog per client: {rels + toast} pg_class rows ({rels} in the schema, "
            f"{toast} TOAST), {attributes} pg_attribute rows, {constraints} constraints"
        )
        copies = copy_seconds()
        print(f"of which the schema copy alone: median {statistics.median(copies):.3f} s")
        if args.scratch:
            print(f"one schema migrated from scratch instead: {scratch_seconds():.2f} s")
    finally:
        use_public_schema()
        for client in made:
            client.delete(force_drop=True)
        print(f"cleaned up: {len(made)} clients and their schemas dropped")


if __name__ == "__main__":
    main()
