from django.contrib import admin

from routing.models import Department, RoutingRule


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_default")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "department", "priority", "enabled")
    list_editable = ("enabled",)
