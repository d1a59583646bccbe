"""Several small reads in one statement: `SELECT (…) AS a, (…) AS b`.

The page header asks the same few counts on every page (unread notices, replies waiting
for approval, training to do). Each is a cheap query, but each is a round trip, and on a
busy machine every round trip waits for a CPU twice (PostgreSQL's, then ours); one
statement waits once. The querysets keep their selectors' rules: only their SQL is
combined."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


def reads_combined(
    *,
    counts: Mapping[str, QuerySet[Any]] | None = None,
    firsts: Mapping[str, QuerySet[Any]] | None = None,
) -> dict[str, Any]:
    """`counts`: how many rows each queryset has (`queryset.count()`); `firsts`: the first
    column of each queryset's first row, None when it has none (each queryset selects one
    column, e.g. `values_list("x")`). All in one statement, on the current connection."""
    found: dict[str, Any] = {}
    names: list[str] = []
    columns: list[str] = []
    params: list[Any] = []
    quote = connection.ops.quote_name
    for name, queryset in (counts or {}).items():
        if queryset._fields is None:  # type: ignore[attr-defined]  # models: count ids, no joins
            queryset = queryset.select_related(None).values("pk")
        try:
            sql, values = queryset.order_by().query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (`id__in=[]`)
            found[name] = 0
            continue
        names.append(name)
        # The SQL is Django's own for the queryset, its values stay parameters.
        columns.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted) AS {quote(name)}")  # noqa: S608
        params.extend(values)
    for name, queryset in (firsts or {}).items():
        try:
            sql, values = queryset[:1].query.sql_with_params()
        except EmptyResultSet:
            found[name] = None
            continue
        names.append(name)
        columns.append(f"({sql}) AS {quote(name)}")
        params.extend(values)
    if columns:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), params)
            row = cursor.fetchone()
        found.update(zip(names, row, strict=True))
    return found
