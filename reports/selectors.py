"""Small read models for the inbox header; the reports issue grows this into rollups."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from mentions.models import Mention, Status
from routing.models import Department

OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.WAITING, Status.ESCALATED)


@dataclass(frozen=True)
class DepartmentLoad:
    slug: str
    name: str
    open: int
    new: int


def department_open_load() -> list[DepartmentLoad]:
    """Open and new mentions per department, for the inbox sidebar (one query)."""
    rows = Department.objects.annotate(
        open=Count("mentions", filter=Q(mentions__status__in=OPEN_STATUSES)),
        new=Count("mentions", filter=Q(mentions__status=Status.NEW)),
    ).order_by("name")
    return [DepartmentLoad(d.slug, d.name, d.open, d.new) for d in rows]


def open_total() -> int:
    return Mention.objects.filter(status__in=OPEN_STATUSES).count()
