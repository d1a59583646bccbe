"""The one cursor paginator of the API: pages over an integer key (`id`)."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


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
