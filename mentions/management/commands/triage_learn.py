"""Train a client's triage models from its labels and, optionally, a labelled JSON Lines file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from accounts.models import Client
from mentions.triage.learn import triage_learn


class Command(BaseCommand):
    help = (
        "Learn from a client's labels (inbox corrections, reassignments) and a labelled file "
        "(mention format plus `labels`); keep each new model only if it beats the current "
        "triage on held-out labels."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="labelled JSON Lines file")
        parser.add_argument("--client", required=True, help="client slug")

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client.objects.filter(slug=options["client"]).first()
        if client is None:
            raise CommandError(f"No client {options['client']!r}")
        path: Path | None = options.get("file")
        if path is not None and not path.is_file():
            raise CommandError(f"No such file: {path}")
        with tenant_context(client):
            if path is None:
                summary = triage_learn()
            else:
                with path.open(encoding="utf-8", errors="replace") as handle:
                    summary = triage_learn(lines=handle)
        write = self.stdout.write
        if path is not None:
            write(f"{summary.lines_read} lines read, {summary.labels_stored} labels stored")
        for error in summary.errors[:20]:
            write(f"  skipped: {error}")
        if len(summary.errors) > 20:
            write(f"  … and {len(summary.errors) - 20} more")
        if summary.created_aspects:
            write("new aspects: " + ", ".join(summary.created_aspects))
        if summary.unknown_departments:
            write(
                "unknown departments (not created; labels ignored): "
                + ", ".join(summary.unknown_departments)
            )
        for outcome in summary.fields:
            scores = ""
            if outcome.new_score is not None:
                scores = f" new {outcome.new_score:.3f} vs current {outcome.current_score:.3f}"
            reason = f" ({outcome.reason})" if outcome.reason else ""
            write(
                f"{outcome.field:<11} {outcome.labels:>6} labels  {outcome.status}{scores}{reason}"
            )
