"""The agency's host (`localhost`): login, the client overview, onboarding, and the agency
API (`/api/v1/clients/`, for agency admins and agency tokens only) with its docs."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from config.urls_common import urlpatterns as common
from frontend.onboarding_views import client_new
from sources.api.clients import ClientListCreateView

api_v1: list[URLPattern | URLResolver] = [
    path("clients/", ClientListCreateView.as_view(), name="api-client-list"),
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
    path("clients/new", client_new, name="client-new"),
    path("api/v1/", include(api_v1)),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="api-schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="api-docs",
    ),
]
