from __future__ import annotations

from django.db.models import QuerySet

from routing.models import Department, RoutingRule, StaffMember


def department_list() -> QuerySet[Department]:
    return Department.objects.order_by("name")


def rule_list() -> QuerySet[RoutingRule]:
    """The matrix in evaluation order: positioned rules, then the default rule."""
    return RoutingRule.objects.select_related("department", "team", "copy_to").order_by(
        "is_default", "position", "id"
    )


def rule_get(*, rule_id: int) -> RoutingRule | None:
    return rule_list().filter(pk=rule_id).first()


def staff_by_user_id() -> dict[int, StaffMember]:
    return {member.user_id: member for member in StaffMember.objects.all()}
