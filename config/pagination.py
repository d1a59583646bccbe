"""The API's paginators: the cursor over an integer key (`id`), and pages by position for
orders that are not by id."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView


class IdCursorPagination(CursorPagination):
    """Cursor pagination ordered by `id` (newest first unless a subclass says `"id"`).

    A cursor is client input: one whose position is not a whole number (a crafted
    `p=abc`) is answered like any unreadable cursor, 404 "Invalid cursor", never a 500."""

    ordering = "-id"
    page_size = 50
    page_size_query_param: str | None = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        position = None if cursor is None else cursor.position
        if position is not None and not (str(position).isascii() and str(position).isdigit()):
            raise NotFound(self.invalid_cursor_message)
        return cursor


class OffsetPagination(BasePagination):
    """Pages by position, for orders that are not by id (priority, SLA due, influence).

    Counts nothing (a count of a million rows costs more than the page); `next` is given
    when one more row exists. The answer has the cursor paginator's shape."""

    page_size = 50
    max_page_size = 200
    max_offset = 10_000

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        self.request = request
        self.offset = _whole(request.query_params, "offset", 0)
        if self.offset > self.max_offset:
            raise ValidationError({"offset": [f"at most {self.max_offset}"]})
        self.size = min(
            _whole(request.query_params, "page_size", self.page_size) or 1, self.max_page_size
        )
        rows = list(queryset[self.offset : self.offset + self.size + 1])
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def _link(self, offset: int) -> str:
        return replace_query_param(self.request.build_absolute_uri(), "offset", offset)

    def get_paginated_response(self, data: Any) -> Response:
        previous = None
        if self.offset > 0:
            previous = self._link(max(0, self.offset - self.size))
        following = self._link(self.offset + self.size) if self.has_next else None
        return Response({"next": following, "previous": previous, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


def _whole(params: Any, name: str, default: int) -> int:
    value = (params.get(name) or "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        raise ValidationError({name: ["a whole number"]})
    return int(value)
