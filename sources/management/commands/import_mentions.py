"""Import a JSON Lines file of mentions into one source of one client."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context
from tqdm import tqdm

from accounts.models import Client
from mentions.pipeline import mentions_statistics_refresh
from sources.formats import BodyError, json_body_parse
from sources.models import BatchStatus, IngestBatch, Source
from sources.services import mentions_submit

BATCH_SIZE = 500


class Command(BaseCommand):
    help = (
        "Import mentions (one JSON object per line, the documented mention format) into a "
        "source. Batches are stored by the Celery workers; the command waits for them and "
        "prints accepted, duplicate and rejected counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--client", required=True, help="client slug")
        parser.add_argument("--source", required=True, type=int, help="source id")
        parser.add_argument(
            "--idle-timeout",
            type=float,
            default=60.0,
            help="stop waiting after this many seconds without progress (default 60)",
        )
        parser.add_argument("--no-wait", action="store_true", help="queue and return")
        parser.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="progress bars on stderr: auto shows them on a terminal only",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.bars_off: bool | None = {"auto": None, "always": False, "never": True}[
            options["progress"]
        ]
        client = Client.objects.filter(slug=options["client"]).first()
        if client is None:
            raise CommandError(f"No client {options['client']!r}")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with tenant_context(client):
            source = Source.objects.filter(pk=options["source"]).first()
            if source is None:
                raise CommandError(f"No source {options['source']} in {client.slug}")
            batch_ids, accepted, rejected = self._submit(path, source)
            stored, duplicates, finished = (0, 0, True)
            if batch_ids and not options["no_wait"]:
                stored, duplicates, finished = self._wait(batch_ids, options["idle_timeout"])
                # A bulk load: the planner needs statistics for the grown table.
                mentions_statistics_refresh(stored=stored)
        self._summary(accepted, rejected, stored, duplicates, finished, options["no_wait"])

    def _submit(self, path: Path, source: Source) -> tuple[list[int], int, list[tuple[int, str]]]:
        batch_ids: list[int] = []
        accepted = 0
        rejected: list[tuple[int, str]] = []
        pending: list[Any] = []
        pending_lines: list[int] = []

        def flush() -> None:
            nonlocal accepted
            if not pending:
                return
            result = mentions_submit(source=source, items=pending)
            accepted += result.accepted
            batch_ids.extend(result.batch_ids)
            for error in result.errors:
                rejected.append((pending_lines[error["index"]], _reason(error["errors"])))
            pending.clear()
            pending_lines.clear()

        total = path.stat().st_size
        with (
            path.open("rb") as handle,
            tqdm(
                total=total, unit="B", unit_scale=True, desc="Reading", disable=self.bars_off
            ) as progress,
        ):
            for number, line in enumerate(handle, start=1):
                progress.update(len(line))
                if not line.strip():
                    continue
                try:
                    pending.append(json_body_parse(line))
                    pending_lines.append(number)
                except BodyError as exc:
                    rejected.append((number, str(exc)))
                    continue
                if len(pending) >= BATCH_SIZE:
                    flush()
            flush()
        return batch_ids, accepted, rejected

    def _wait(self, batch_ids: list[int], idle_timeout: float) -> tuple[int, int, bool]:
        total = len(batch_ids)
        done_before = 0
        last_progress = time.monotonic()
        with tqdm(total=total, unit="batch", desc="Storing", disable=self.bars_off) as progress:
            while True:
                done = IngestBatch.objects.filter(pk__in=batch_ids, status=BatchStatus.DONE)
                count = done.count()
                progress.update(count - done_before)
                if count != done_before:
                    last_progress = time.monotonic()
                done_before = count
                if count == total:
                    break
                if time.monotonic() - last_progress > idle_timeout:
                    break
                time.sleep(0.25)
        totals = Counter[str]()
        for stored, duplicates in IngestBatch.objects.filter(
            pk__in=batch_ids, status=BatchStatus.DONE
        ).values_list("stored", "duplicates"):
            totals["stored"] += stored
            totals["duplicates"] += duplicates
        return totals["stored"], totals["duplicates"], done_before == total

    def _summary(
        self,
        accepted: int,
        rejected: list[tuple[int, str]],
        stored: int,
        duplicates: int,
        finished: bool,
        no_wait: bool,
    ) -> None:
        write = self.stdout.write
        write(f"Accepted:   {accepted}")
        if not no_wait:
            write(f"Stored:     {stored}")
            write(f"Duplicates: {duplicates}")
        write(f"Rejected:   {len(rejected)}")
        for line, reason in rejected[:50]:
            write(f"  line {line}: {reason}")
        if len(rejected) > 50:
            write(f"  … and {len(rejected) - 50} more")
        if no_wait:
            write("Queued; the workers store the batches.")
        elif not finished:
            write(
                self.style.WARNING(
                    "Some batches are still queued (is a worker running? `make run` starts "
                    "one). They stay queued and are stored when a worker picks them up."
                )
            )


def _reason(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        parts = [_reason(value, f"{prefix}{key}.") for key, value in errors.items()]
        return "; ".join(parts)
    if isinstance(errors, list):
        return f"{prefix.rstrip('.')}: " + ", ".join(str(item) for item in errors)
    return f"{prefix.rstrip('.')}: {errors}"
