from __future__ import annotations

from django.db.models import QuerySet

from routing.models import Department


def department_list() -> QuerySet[Department]:
    return Department.objects.order_by("name")
