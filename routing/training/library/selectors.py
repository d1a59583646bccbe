"""Reads of the agency's library (public schema; readable from every client's host)."""

from __future__ import annotations

from django.db.models import QuerySet

from routing.training.library.models import LibraryModule


def library_list() -> QuerySet[LibraryModule]:
    return LibraryModule.objects.order_by("title")
