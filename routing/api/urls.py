from django.urls import path

from routing.api.views import (
    AuditListView,
    DepartmentDetailView,
    DepartmentListView,
    NotificationListView,
    NotificationReadView,
    PresetApplyView,
    PresetListView,
    RuleDetailView,
    RuleListView,
    RuleReorderView,
    StaffDetailView,
    StaffListView,
    TeamDetailView,
    TeamListView,
    TryView,
)

urlpatterns = [
    path("routing/rules/", RuleListView.as_view(), name="api-rule-list"),
    path("routing/rules/reorder", RuleReorderView.as_view(), name="api-rule-reorder"),
    path("routing/rules/<int:pk>/", RuleDetailView.as_view(), name="api-rule-detail"),
    path("routing/try", TryView.as_view(), name="api-routing-try"),
    path("routing/departments/", DepartmentListView.as_view(), name="api-department-list"),
    path("routing/presets/", PresetListView.as_view(), name="api-preset-list"),
    path("routing/presets/<slug:name>/apply", PresetApplyView.as_view(), name="api-preset-apply"),
    path("audit/", AuditListView.as_view(), name="api-audit-list"),
    path(
        "routing/departments/<int:pk>/",
        DepartmentDetailView.as_view(),
        name="api-department-detail",
    ),
    path("routing/teams/", TeamListView.as_view(), name="api-team-list"),
    path("routing/teams/<int:pk>/", TeamDetailView.as_view(), name="api-team-detail"),
    path("routing/staff/", StaffListView.as_view(), name="api-staff-list"),
    path("routing/staff/<int:user_id>/", StaffDetailView.as_view(), name="api-staff-detail"),
    path("notifications/", NotificationListView.as_view(), name="api-notification-list"),
    path("notifications/read", NotificationReadView.as_view(), name="api-notifications-read"),
]
