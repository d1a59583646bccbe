from django.urls import path

from reports.api.alerts import (
    AlertAcknowledgeView,
    AlertDetailView,
    AlertListView,
    AlertThresholdsView,
)
from reports.api.branding import ClientLogoView
from reports.api.schedules import (
    ScheduleDeliveriesView,
    ScheduleDetailView,
    ScheduleListView,
    ScheduleSendNowView,
)
from reports.api.views import (
    ReportCareView,
    ReportExportCsvView,
    ReportExportPdfView,
    ReportShareOfVoiceView,
    ReportSummaryView,
    ReportTableCsvView,
    ReportTopView,
    ReportVolumeView,
)

urlpatterns = [
    path("alerts/", AlertListView.as_view(), name="api-alert-list"),
    path("alerts/thresholds", AlertThresholdsView.as_view(), name="api-alert-thresholds"),
    path("alerts/<int:pk>/", AlertDetailView.as_view(), name="api-alert-detail"),
    path(
        "alerts/<int:pk>/acknowledge", AlertAcknowledgeView.as_view(), name="api-alert-acknowledge"
    ),
    path("reports/volume", ReportVolumeView.as_view(), name="api-report-volume"),
    path("reports/summary", ReportSummaryView.as_view(), name="api-report-summary"),
    path("reports/care", ReportCareView.as_view(), name="api-report-care"),
    path("reports/top", ReportTopView.as_view(), name="api-report-top"),
    path("reports/share-of-voice", ReportShareOfVoiceView.as_view(), name="api-report-sov"),
    path("reports/export.csv", ReportExportCsvView.as_view(), name="api-report-export-csv"),
    path("reports/table.csv", ReportTableCsvView.as_view(), name="api-report-table-csv"),
    path("reports/schedules/", ScheduleListView.as_view(), name="api-report-schedules"),
    path("reports/schedules/<int:pk>/", ScheduleDetailView.as_view(), name="api-report-schedule"),
    path(
        "reports/schedules/<int:pk>/send-now",
        ScheduleSendNowView.as_view(),
        name="api-report-schedule-send-now",
    ),
    path(
        "reports/schedules/<int:pk>/deliveries/",
        ScheduleDeliveriesView.as_view(),
        name="api-report-schedule-deliveries",
    ),
    path("logo", ClientLogoView.as_view(), name="api-client-logo"),
    path("reports/export.pdf", ReportExportPdfView.as_view(), name="api-report-export-pdf"),
]
