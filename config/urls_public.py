"""The agency's host (`localhost`): login, the client overview, onboarding and client life
cycle, the agency API (`/api/v1/clients/`, for agency admins and agency tokens only;
`/api/v1/overview/` for agency staff; `/api/v1/logo`, the agency's logo) with
its docs, and the Django admin.

The admin is routed here only: on a client's host `/admin/` is a 404.
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from config.urls_common import urlpatterns as common
from frontend.branding_views import agency_branding_page, agency_logo_image
from frontend.onboarding_views import client_export_download, client_manage, client_new
from frontend.token_views import agency_token_revoke, agency_tokens_page
from reports.api.branding import AgencyLogoView
from reports.api.overview import AgencyOverviewView
from sources.api.clients import (
    AgencyTwoFactorRequirementView,
    ClientDeleteView,
    ClientExportView,
    ClientListCreateView,
    ClientStatusView,
)

api_v1: list[URLPattern | URLResolver] = [
    path("clients/", ClientListCreateView.as_view(), name="api-client-list"),
    path("overview/", AgencyOverviewView.as_view(), name="api-agency-overview"),
    path("logo", AgencyLogoView.as_view(), name="api-agency-logo"),
    path(
        "security/two-factor",
        AgencyTwoFactorRequirementView.as_view(),
        name="api-agency-two-factor-requirement",
    ),
    path("clients/<slug:slug>/active", ClientStatusView.as_view(), name="api-client-active"),
    path("clients/<slug:slug>/delete", ClientDeleteView.as_view(), name="api-client-delete"),
    path("clients/<slug:slug>/export", ClientExportView.as_view(), name="api-client-export"),
    path(
        "schema/",
        SpectacularAPIView.as_view(
            urlconf="config.urls_public", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="api-schema",
    ),
]

urlpatterns = [
    *common,
    path("admin/", admin.site.urls),
    path("clients/new", client_new, name="client-new"),
    path("branding/", agency_branding_page, name="agency-branding"),
    path("branding/logo.png", agency_logo_image, name="agency-logo"),
    path("clients/<slug:slug>/", client_manage, name="client-manage"),
    path("clients/<slug:slug>/export", client_export_download, name="client-export"),
    # The agency's API tokens; the same URL names as a client's token page (one template).
    path("api/tokens/", agency_tokens_page, name="api-tokens"),
    path("api/tokens/<int:pk>/revoke", agency_token_revoke, name="api-token-revoke"),
    path("api/v1/", include(api_v1)),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="api-schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="api-docs",
    ),
]
