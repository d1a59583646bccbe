"""A client's host (`<slug>.localhost`): the inbox, the REST API and its docs."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from config.urls_common import urlpatterns as common
from frontend.alerts_views import alert_acknowledge_view, alert_thresholds_view, alerts_page
from frontend.branding_views import client_logo_image, client_settings_page
from frontend.cluster_views import cluster_action, cluster_answer, cluster_detail
from frontend.people_views import (
    invitation_accept_page,
    invitation_action,
    invitation_create,
    person_action,
)
from frontend.report_schedule_views import (
    report_schedule_action,
    report_schedules_page,
    report_shared_csv,
)
from frontend.report_views import reports_page
from frontend.response_views import (
    approvals_page,
    mention_respond,
    response_action,
    response_policy_page,
    saved_replies_page,
)
from frontend.routing_views import audit_page, preset_apply, routing_page, rule_edit
from frontend.saved_views_views import view_action, view_save
from frontend.sources_views import (
    query_save,
    source_action,
    source_edit,
    source_new,
    sources_page,
)
from frontend.staff_views import (
    department_save,
    staff_add,
    staff_edit,
    staff_page,
    staff_switch,
    team_save,
)
from frontend.token_views import token_revoke, tokens_page
from frontend.triage_views import mention_triage_correct, triage_page, triage_setup
from frontend.views import (
    mention_action,
    mention_detail,
    mention_note,
    mentions_bulk_action,
    notifications_page,
)
from frontend.webhook_views import webhook_detail, webhooks_page

api_v1: list[URLPattern | URLResolver] = [
    path("", include("sources.api.urls")),
    path("", include("mentions.api.urls")),
    path("", include("routing.api.urls")),
    path("", include("sources.api.people_urls")),
    path("", include("reports.api.urls")),
    path("", include("routing.training.api.urls")),
    path("", include("webhooks.api.urls")),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="api-schema",
    ),
]

urlpatterns = [
    *common,
    path("mentions/<int:pk>/", mention_detail, name="mention-detail"),
    path("mentions/<int:pk>/action", mention_action, name="mention-action"),
    path("mentions/<int:pk>/notes", mention_note, name="mention-note"),
    path("mentions/bulk", mentions_bulk_action, name="mentions-bulk"),
    path("views/", view_save, name="view-save"),
    path("views/<int:pk>/", view_action, name="view-action"),
    path("mentions/<int:pk>/respond", mention_respond, name="mention-respond"),
    path("responses/<int:pk>/action", response_action, name="response-action"),
    path("responses/approvals/", approvals_page, name="approvals"),
    path("responses/saved/", saved_replies_page, name="saved-replies"),
    path("responses/policy/", response_policy_page, name="response-policy"),
    path("clusters/<int:pk>/", cluster_detail, name="cluster-detail"),
    path("clusters/<int:pk>/action", cluster_action, name="cluster-action"),
    path("clusters/<int:pk>/answer", cluster_answer, name="cluster-answer"),
    path("mentions/<int:pk>/triage", mention_triage_correct, name="mention-triage"),
    path("triage/", triage_page, name="triage"),
    path("triage/setup", triage_setup, name="triage-setup"),
    path("notifications/", notifications_page, name="notifications"),
    path("alerts/", alerts_page, name="alerts"),
    path("alerts/<int:pk>/acknowledge", alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/thresholds", alert_thresholds_view, name="alert-thresholds"),
    path("reports/", reports_page, name="reports"),
    path("reports/schedules/", report_schedules_page, name="report-schedules"),
    path("reports/schedules/<int:pk>/", report_schedule_action, name="report-schedule-action"),
    path("reports/shared/<str:token>/report.csv", report_shared_csv, name="report-shared-csv"),
    path("routing/", routing_page, name="routing"),
    path("routing/rules/new", rule_edit, name="rule-new"),
    path("routing/rules/<int:pk>/", rule_edit, name="rule-edit"),
    path("routing/presets", preset_apply, name="preset-apply"),
    path("audit/", audit_page, name="audit"),
    path("sources/", sources_page, name="sources"),
    path("sources/new", source_new, name="source-new"),
    path("sources/<int:pk>/action", source_action, name="source-action"),
    path("sources/<int:pk>/edit", source_edit, name="source-edit"),
    path("sources/queries", query_save, name="query-save"),
    path("staff/", staff_page, name="staff"),
    path("staff/add", staff_add, name="staff-add"),
    path("staff/<int:user_id>/", staff_edit, name="staff-edit"),
    path("staff/<int:user_id>/switch", staff_switch, name="staff-switch"),
    path("staff/departments", department_save, name="department-save"),
    path("staff/teams", team_save, name="team-save"),
    path("staff/invitations", invitation_create, name="invitation-create"),
    path("staff/invitations/<int:pk>/", invitation_action, name="invitation-action"),
    path("staff/people/<int:user_id>/", person_action, name="person-action"),
    path("invitations/<str:token>/", invitation_accept_page, name="invitation-accept"),
    path("api/tokens/", tokens_page, name="api-tokens"),
    path("api/tokens/<int:pk>/revoke", token_revoke, name="api-token-revoke"),
    path("training/", include("frontend.training_urls")),
    path("settings/", client_settings_page, name="client-settings"),
    path("logo.png", client_logo_image, name="client-logo"),
    path("webhooks/", webhooks_page, name="webhooks"),
    path("webhooks/<int:pk>/", webhook_detail, name="webhook-detail"),
    path("api/v1/", include(api_v1)),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="api-schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="api-docs",
    ),
]
