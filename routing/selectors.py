from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from routing.models import Department, Notification, RoutingRule, SlaPolicy, StaffMember, Team
from routing.shifts import DEFAULT_TIMEZONE, staff_on_shift


def department_list() -> QuerySet[Department]:
    return Department.objects.order_by("name")


def department_get(*, department_id: int) -> Department | None:
    return Department.objects.filter(pk=department_id).first()


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("department").order_by("department__name", "name", "id")


def team_get(*, team_id: int) -> Team | None:
    return team_list().filter(pk=team_id).first()


def staff_list() -> QuerySet[StaffMember]:
    """Staff members with their departments and teams (two queries, not one per person)."""
    return StaffMember.objects.order_by("name", "user_id").prefetch_related(
        Prefetch("departments", queryset=Department.objects.order_by("name")),
        Prefetch("teams", queryset=Team.objects.select_related("department").order_by("name")),
    )


def staff_get(*, user_id: int) -> StaffMember | None:
    return staff_list().filter(user_id=user_id).first()


def staff_on_shift_now(
    members: list[StaffMember], *, at: datetime | None = None, zone: str | None = None
) -> dict[int, bool]:
    """user id → on shift at `at` (now): the switch is not off and, if they have a
    schedule, `at` falls inside one of its shifts. The same test assignment uses."""
    at = at or timezone.now()
    zone = zone or client_timezone()
    return {
        member.user_id: staff_on_shift(
            on_shift=member.on_shift,
            shifts=member.shifts,
            timezone=member.timezone,
            client_timezone=zone,
            at=at,
        )
        for member in members
    }


def rule_list() -> QuerySet[RoutingRule]:
    """The matrix in evaluation order: positioned rules, then the default rule."""
    return RoutingRule.objects.select_related("department", "team", "copy_to").order_by(
        "is_default", "position", "id"
    )


def rule_get(*, rule_id: int) -> RoutingRule | None:
    return rule_list().filter(pk=rule_id).first()


def client_timezone() -> str:
    """The current client's time zone: its default SLA policy's (business hours live there)."""
    zone = (
        SlaPolicy.objects.filter(is_default=True).values_list("timezone", flat=True).first()
        or SlaPolicy.objects.order_by("pk").values_list("timezone", flat=True).first()
    )
    return zone or DEFAULT_TIMEZONE


def notification_list_for_user(*, user_id: int, unread: bool = False) -> QuerySet[Notification]:
    """The user's own notifications in the current client, newest first."""
    notifications = Notification.objects.filter(user_id=user_id).order_by("-id")
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
