"""The mention CSV: one row per mention with its triage, routing and care columns.

Cells a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) get a leading apostrophe: people's posts are untrusted input.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mentions.models import Mention

CSV_HEADER = [
    "id",
    "published_at",
    "received_at",
    "source",
    "network",
    "author_handle",
    "author_name",
    "author_followers",
    "author_influence",
    "author_segment",
    "url",
    "text",
    "language",
    "sentiment",
    "sentiment_score",
    "kind",
    "aspects",
    "relevant",
    "relevance_score",
    "department",
    "team",
    "routing_reason",
    "priority",
    "status",
    "assignee",
    "sla_state",
    "first_response_due",
    "first_response_at",
    "first_response_seconds",
    "resolved_at",
    "problem_case",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """The cell as text, defused if a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat() if value is not None else ""


def csv_row(mention: Mention, *, zone: ZoneInfo, names: dict[int, str]) -> list[str]:
    author = mention.author
    seconds = (
        str(max(0, int((mention.first_response_at - mention.received_at).total_seconds())))
        if mention.first_response_at is not None
        else ""
    )
    cells: list[object] = [
        mention.pk,
        _when(mention.published_at, zone),
        _when(mention.received_at, zone),
        mention.source.name,
        mention.source.network,
        author.handle,
        author.name,
        author.followers,
        round(author.influence, 3),
        author.segment,
        mention.url,
        mention.text,
        mention.language,
        mention.sentiment,
        round(mention.sentiment_score, 3),
        mention.kind,
        " ".join(mention.aspects),
        "yes" if mention.relevant else "no",
        round(mention.relevance_score, 3),
        mention.department.name if mention.department else "",
        mention.team.name if mention.team else "",
        mention.routing_reason,
        mention.priority,
        mention.status,
        names.get(mention.assignee_id, "") if mention.assignee_id else "",
        mention.sla_state,
        _when(mention.first_response_due, zone),
        _when(mention.first_response_at, zone),
        seconds,
        _when(mention.resolved_at, zone),
        mention.cluster.title if mention.cluster else "",
    ]
    return [csv_safe(cell) for cell in cells]
