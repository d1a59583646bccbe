from typing import Any

from django import forms
from django.contrib import admin

from routing.models import Department, Notification, RoutingRule, SlaPolicy, StaffMember, Team
from routing.services.sla import sla_calendar_problems


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_default", "lead_id")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "assignment")
    list_filter = ("department", "assignment")


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "user_id", "on_shift", "max_open")
    list_editable = ("on_shift",)
    filter_horizontal = ("departments", "teams")


class SlaPolicyForm(forms.ModelForm):
    """Opening hours and time zone checked as the SLA clock reads them (night spans such
    as "22:00-06:00" run past midnight; overlaps are refused by name)."""

    class Meta:
        model = SlaPolicy
        fields = "__all__"  # noqa: DJ007 (the admin edits every column of a policy)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours = data.get("hours")
        if not isinstance(hours, dict) or not all(
            isinstance(spans, list) and all(isinstance(span, str) for span in spans)
            for spans in hours.values()
        ):
            self.add_error("hours", 'Like {"mon": ["08:00-18:00"], "sat": ["22:00-06:00"]}.')
            return data
        problems = sla_calendar_problems(timezone=data.get("timezone", ""), hours=hours)
        for field, messages in problems.items():
            self.add_error("timezone" if field == "time_zone" else "hours", messages)
        return data


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = ("name", "timezone", "warn_before_minutes", "is_default")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "department", "priority", "enabled", "version")
    list_editable = ("enabled",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user_id", "text", "read_at")
