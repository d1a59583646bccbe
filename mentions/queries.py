"""Which of the client's listening queries a mention matches (`Mention.matched_queries`):
decided on arrival by the pipeline, and again for every mention when a query is added,
edited, switched or removed (`mentions_queries_rematch`), so share of voice counts every
mention of a period, not a sample."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from django.core.cache import cache
from django.db import connection, transaction

from config.stamps import QUERIES, StampedCache, Stamps
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

    def matches_stored(self, row: tuple[Any, ...]) -> list[int]:
        """`matches` for a stored mention read as `STORED_MATCH_FIELDS`."""
        text, language, handle, source_name, source_kind, country = row
        return self.matches(
            text=text,
            language=language,
            author=handle,
            source_name=source_name,
            source_kind=source_kind,
            country=country,
        )


# What a stored mention is matched on, in the order `QueryMatcher.matches_stored` reads it.
STORED_MATCH_FIELDS = (
    "text",
    "language",
    "author__handle",
    "source__name",
    "source__kind",
    "country",
)


_compiled: StampedCache[QueryMatcher] = StampedCache(QUERIES)


def query_matcher_load(*, stamps: Stamps | None = None) -> QueryMatcher:
    """The current client's enabled queries, compiled again only when its 'queries' stamp
    moved (`config.stamps`; `stamps`: read once by the caller's batch); one saved before a
    grammar change that no longer parses matches nothing."""
    return _compiled.get(stamps=stamps, build=_query_matcher_build)


def _query_matcher_build() -> QueryMatcher:
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


class RematchProgress(TypedDict):
    """How far the client's running rematch is: mentions checked of all, and changed."""

    done: int
    total: int
    changed: int


# One hour after the last chunk a stuck rematch's progress is forgotten.
_PROGRESS_SECONDS = 3600


def _progress_key() -> str:
    return f"mentions:queries_rematch:{connection.schema_name}"  # type: ignore[attr-defined]


def rematch_progress() -> RematchProgress | None:
    """The current client's running rematch (None when none runs): until it ends, share of
    voice counts only the mentions it has reached."""
    found: RematchProgress | None = cache.get(_progress_key())
    return found


def mentions_queries_rematch(
    *, chunk: int = 5000, report: Callable[[RematchProgress], None] | None = None
) -> int:
    """Match every mention of the current client against its enabled queries again (after
    a query was added, edited, switched on or off, or removed, and once after the upgrade
    that added `matched_queries`) and store what changed, a chunk per transaction (the
    rollup triggers move share of voice with each). Progress is kept for
    `rematch_progress` and handed to `report` after each chunk. Returns how many mentions
    changed."""
    matcher = query_matcher_load()
    key = _progress_key()
    progress = RematchProgress(done=0, total=Mention.objects.count(), changed=0)
    cache.set(key, progress, _PROGRESS_SECONDS)
    try:
        return _rematch(matcher=matcher, chunk=chunk, progress=progress, report=report)
    finally:
        cache.delete(key)


def _rematch(
    *,
    matcher: QueryMatcher,
    chunk: int,
    progress: RematchProgress,
    report: Callable[[RematchProgress], None] | None,
) -> int:
    key = _progress_key()
    changed = 0
    after = 0
    while True:
        rows = list(
            Mention.objects.filter(id__gt=after)
            .order_by("id")
            .values_list("id", *STORED_MATCH_FIELDS, "matched_queries")[:chunk]
        )
        if not rows:
            return changed
        ids, matched = [], []
        for pk, *fields, before in rows:
            found = matcher.matches_stored(tuple(fields))
            if found != sorted(before or []):
                ids.append(pk)
                matched.append(",".join(map(str, found)))
        if ids:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_REMATCH_UPDATE, [ids, matched])
            changed += len(ids)
        after = rows[-1][0]
        progress["done"] = min(progress["done"] + len(rows), progress["total"])
        progress["changed"] = changed
        cache.set(key, progress, _PROGRESS_SECONDS)
        if report is not None:
            report(progress)
