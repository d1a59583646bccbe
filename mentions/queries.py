"""Which of the client's listening queries a mention matches (`Mention.matched_queries`):
decided on arrival by the pipeline, and again for every mention when a query is added,
edited, switched or removed (`mentions_queries_rematch`), so share of voice counts every
mention of a period, not a sample."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from mentions.models import Mention
from sources.models import ListeningQuery
from sources.query import (
    CompiledQuery,
    QueryDocument,
    QuerySyntaxError,
    compile_query,
    prepare_document,
)


@dataclass(frozen=True)
class QueryMatcher:
    """The enabled queries of the current client, compiled once."""

    queries: tuple[tuple[int, CompiledQuery], ...]

    def matches(
        self,
        *,
        text: str,
        language: str,
        author: str,
        source_name: str,
        source_kind: str,
        country: str = "",
    ) -> list[int]:
        """The ids of the queries the mention matches, in id order."""
        if not self.queries:
            return []
        doc = prepare_document(
            QueryDocument(
                text=text,
                language=language,
                author=author,
                source=source_name,
                source_kind=source_kind,
                country=country,
            )
        )
        return [pk for pk, compiled in self.queries if compiled.matches_prepared(doc)]


def query_matcher_load() -> QueryMatcher:
    """The current client's enabled queries (one query); one saved before a grammar change
    that no longer parses matches nothing."""
    compiled = []
    for pk, expression in (
        ListeningQuery.objects.filter(enabled=True).order_by("pk").values_list("pk", "expression")
    ):
        try:
            compiled.append((pk, compile_query(expression)))
        except QuerySyntaxError:
            continue
    return QueryMatcher(tuple(compiled))


_REMATCH_UPDATE = """
UPDATE mentions_mention m
SET matched_queries = COALESCE(string_to_array(NULLIF(t.matched, ''), ','), '{}')::bigint[]
FROM unnest(%s::bigint[], %s::text[]) AS t(id, matched)
WHERE m.id = t.id
"""


def mentions_queries_rematch(*, chunk: int = 5000) -> int:
    """Match every mention of the current client against its enabled queries again (after
    a query was added, edited, switched on or off, or removed) and store what changed, a
    chunk per transaction (the rollup triggers move share of voice with each). Returns how
    many mentions changed."""
    matcher = query_matcher_load()
    changed = 0
    after = 0
    while True:
        rows = list(
            Mention.objects.filter(id__gt=after)
            .order_by("id")
            .values_list(
                "id",
                "text",
                "language",
                "author__handle",
                "source__name",
                "source__kind",
                "country",
                "matched_queries",
            )[:chunk]
        )
        if not rows:
            return changed
        ids, matched = [], []
        for pk, text, language, handle, source_name, source_kind, country, before in rows:
            found = matcher.matches(
                text=text,
                language=language,
                author=handle,
                source_name=source_name,
                source_kind=source_kind,
                country=country,
            )
            if found != sorted(before or []):
                ids.append(pk)
                matched.append(",".join(map(str, found)))
        if ids:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_REMATCH_UPDATE, [ids, matched])
            changed += len(ids)
        after = rows[-1][0]
