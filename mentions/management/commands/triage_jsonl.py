"""Triage a JSON Lines file of mentions: stdin → stdout, each object with `triage` added.

    python manage.py triage_jsonl [--client SLUG] < in.jsonl > out.jsonl

Nothing is stored. Each output line is the input object unchanged plus `triage`
(language, sentiment {label, score, method}, kind, aspects, relevant, relevance_score,
influence; with --client also routing {department, rule, why} from that client's matrix and
its learned models). A line that is not a JSON object with a `text` string comes out as
{"line": N, "error": "..."}, so output line N always answers input line N.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from accounts.models import Client
from mentions.influence import influence_of_author
from mentions.triage import ClientTriage, triage_texts
from mentions.triage.client import client_triage_load
from routing.engine import Matrix, RoutingInput
from routing.services import routing_matrix_load
from sources.formats import text_make_storable

CHUNK = 512


class Command(BaseCommand):
    help = "Triage mentions read as JSON Lines from stdin; write them with `triage` to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", help="client slug: use its aspects, models and routing")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options.get("client")
        if not slug:
            self._run(ClientTriage(), None)
            return
        client = Client.objects.filter(slug=slug).first()
        if client is None:
            raise CommandError(f"No client {slug!r}")
        with tenant_context(client):
            self._run(client_triage_load(), routing_matrix_load())

    def _run(self, client: ClientTriage, matrix: Matrix | None) -> None:
        out: TextIO = self.stdout._out  # type: ignore[assignment]
        errors = 0
        total = 0
        for chunk in _chunks(sys.stdin):
            parsed = [_parse(number, line) for number, line in chunk]
            good = [item for item in parsed if "error" not in item]
            results = triage_texts(
                [text_make_storable(item["text"]) for item in good],
                languages=[_language_hint(item) for item in good],
                client=client,
            )
            by_id = {id(item): result for item, result in zip(good, results, strict=True)}
            for item in parsed:
                total += 1
                if "error" in item:
                    errors += 1
                    out.write(json.dumps(item, ensure_ascii=False) + "\n")
                    continue
                result = by_id[id(item)]
                triage = result.as_dict()
                author: dict[str, Any] = (
                    item["author"] if isinstance(item.get("author"), dict) else {}
                )
                influence = influence_of_author(author)
                triage["influence"] = influence
                if matrix is not None:
                    decision = matrix.decide(
                        RoutingInput(
                            text=item["text"],
                            kind=result.kind,
                            language=result.language,
                            sentiment=result.sentiment,
                            aspects=result.aspects,
                            author_handle=str(author.get("handle", "")),
                            author_followers=_int(author.get("followers")),
                            influence=influence["score"],
                            segment=influence["segment"],
                        )
                    )
                    triage["routing"] = {
                        "department": matrix.department_name(decision.department_id),
                        "rule": matrix.rule_name(decision.rule_id),
                        "why": decision.reason,
                    }
                item["triage"] = triage
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
            out.flush()
        self.stderr.write(f"triaged {total - errors} of {total} lines ({errors} not usable)")


def _chunks(stream: TextIO) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        chunk.append((number, line))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parse(number: int, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except ValueError as error:
        return {"line": number, "error": f"not JSON: {error}"}
    if not isinstance(item, dict):
        return {"line": number, "error": "each line must be a JSON object"}
    if not isinstance(item.get("text"), str):
        return {"line": number, "error": "the object has no `text` string"}
    return item


def _language_hint(item: dict[str, Any]) -> str:
    language = item.get("language")
    return language.lower()[:8] if isinstance(language, str) else ""


def _int(value: Any) -> int:
    with contextlib.suppress(TypeError, ValueError):
        return max(0, int(value))
    return 0
