"""The client's listening queries: what polled items must match to be kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from config.celery import task_send
from config.errors import DomainError
from sources.models import ListeningQuery, QueryRole
from sources.query import Query, QueryDocument, QuerySyntaxError, parse, positive_terms, to_native


def query_parse_or_error(expression: str) -> Query:
    try:
        return parse(expression)
    except QuerySyntaxError as exc:
        raise DomainError(str(exc), fields={"expression": [str(exc)]}) from exc


def listening_query_save(
    *,
    name: str,
    expression: str,
    enabled: bool = True,
    role: str = QueryRole.BRAND,
    query: ListeningQuery | None = None,
    rematch: bool = True,
) -> ListeningQuery:
    """Add or edit a query; with `rematch`, every mention is then matched again in the
    background (share of voice counts from the matches)."""
    query_parse_or_error(expression)
    if not name.strip():
        raise DomainError("A query needs a name.", fields={"name": ["required"]})
    if role not in QueryRole.values:
        raise DomainError(
            f"Unknown role {role!r}.", fields={"role": [f"one of {', '.join(QueryRole.values)}"]}
        )
    if query is None:
        query = ListeningQuery(name=name.strip(), expression=expression, enabled=enabled)
    else:
        query.name, query.expression, query.enabled = name.strip(), expression, enabled
    query.role = role
    query.save()
    if rematch:
        listening_queries_changed()
    return query


def listening_queries_changed() -> None:
    """After a query is added, edited or removed: every mention is matched again, in the
    background (share of voice counts from the matches)."""
    schema_name = connection.schema_name  # type: ignore[attr-defined]
    transaction.on_commit(lambda: task_send("mentions.queries_rematch", schema_name))


NATIVE_NETWORKS = frozenset({"x", "reddit", "bluesky", "mastodon"})


@dataclass
class ActiveQueries:
    """The enabled queries of the current client, parsed once per poll."""

    queries: list[Query] = field(default_factory=list)
    expressions: list[str] = field(default_factory=list)

    def keeps(self, doc: QueryDocument) -> bool:
        return not self.queries or any(query.matches(doc) for query in self.queries)

    def search_terms(self) -> list[str]:
        terms: list[str] = []
        for query in self.queries:
            terms.extend(term for term in positive_terms(query) if term not in terms)
        return terms

    def native(self, network: str) -> str | None:
        """The queries in the network's own search syntax, where it has one."""
        if not self.queries or network not in NATIVE_NETWORKS:
            return None
        combined = (
            self.queries[0]
            if len(self.queries) == 1
            else parse(" OR ".join(f"({expression})" for expression in self.expressions))
        )
        return to_native(combined, network=network)


def listening_queries_active() -> ActiveQueries:
    active = ActiveQueries()
    for expression in ListeningQuery.objects.filter(enabled=True).values_list(
        "expression", flat=True
    ):
        try:
            active.queries.append(parse(expression))
            active.expressions.append(expression)
        except QuerySyntaxError:
            continue  # saved before a grammar change; the sources page flags it
    return active


def item_query_document(
    item: dict[str, Any], *, source_name: str, source_kind: str
) -> QueryDocument:
    raw = item.get("raw") or {}
    return QueryDocument(
        text=item["text"],
        language=item.get("language", ""),
        author=item["author"]["handle"],
        source=source_name,
        source_kind=source_kind,
        country=str(raw.get("country", "")) if isinstance(raw, dict) else "",
    )
