from django.contrib import admin

from routing.models import Department, Notification, RoutingRule, SlaPolicy, StaffMember, Team


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


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "warn_before_minutes", "is_default")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "department", "priority", "enabled", "version")
    list_editable = ("enabled",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user_id", "text", "read_at")
