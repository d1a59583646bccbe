from django.urls import path

from routing.api.views import (
    AuditListView,
    DepartmentListView,
    PresetApplyView,
    PresetListView,
    ResponsePolicyView,
    RuleDetailView,
    RuleListView,
    RuleReorderView,
    StaffCertificationView,
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
    path("routing/response-policy", ResponsePolicyView.as_view(), name="api-response-policy"),
    path(
        "routing/staff/<int:user_id>/certification",
        StaffCertificationView.as_view(),
        name="api-staff-certification",
    ),
]
