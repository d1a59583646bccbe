"""Match every client's mentions against its listening queries again: once after the
upgrade that added `Mention.matched_queries` (share of voice counts from it), or whenever
the matches are in doubt."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from config.celery import task_send
from config.tenancy import client_schemas_serving
from mentions.queries import RematchProgress, mentions_queries_rematch


class Command(BaseCommand):
    help = (
        "Queue mentions.queries_rematch for every active client (or --client SCHEMA); with "
        "--now, match here and print the progress instead of queueing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", help="one client's schema name (c_<slug>)")
        parser.add_argument(
            "--now", action="store_true", help="match in this process, printing progress"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schemas = client_schemas_serving()
        wanted: str | None = options.get("client")
        if wanted is not None:
            if wanted not in schemas:
                raise CommandError(f"No active client schema {wanted!r}")
            schemas = [wanted]
        write = self.stdout.write
        for schema in schemas:
            if not options["now"]:
                task_send("mentions.queries_rematch", schema)
                write(f"{schema}: queued")
                continue

            def report(progress: RematchProgress, schema: str = schema) -> None:
                write(
                    f"{schema}: {progress['done']} of {progress['total']} mentions checked, "
                    f"{progress['changed']} changed"
                )

            with schema_context(schema):
                changed = mentions_queries_rematch(report=report)
            write(f"{schema}: done, {changed} mentions changed")
