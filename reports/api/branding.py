"""White-label logos over the API (`/api/v1/logo`): on a client's host the client's logo
(members read it, client admins upload, replace and delete it); on the agency's host the
agency's (agency admins only). The report's PDF letterhead shows both.

Uploads are multipart with one `file`; its name and declared type are ignored, the bytes
decide (`accounts.logos`: PNG, JPEG or WebP, never SVG; stored as a new PNG)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.logos import (
    LOGO_MAX_BYTES,
    client_logo_delete,
    client_logo_get,
    client_logo_set,
    logo_upload_read,
)
from accounts.models import Client, ClientLogo, Role, User
from accounts.permissions import IsAgencyAdmin
from accounts.security import agency_get
from config.errors import DomainError
from config.tenancy import current_client


class LogoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"PNG, JPEG or WebP, at most {LOGO_MAX_BYTES // 1024} KB (SVG is refused)."
    )


class LogoSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField(help_text="Bytes of the stored PNG.")

    class Meta:
        model = ClientLogo
        fields = ("content_type", "width", "height", "size", "updated_at")
        read_only_fields = fields

    def get_content_type(self, logo: ClientLogo) -> str:
        return "image/png"

    def get_size(self, logo: ClientLogo) -> int:
        return len(logo.image)


def _upload_bytes(request: Request) -> bytes:
    upload = request.FILES.get("file")
    if upload is None:
        raise DomainError(
            "The logo was not accepted.", fields={"file": ["Send the image as `file`."]}
        )
    return logo_upload_read(upload=upload)


class _LogoView(APIView):
    parser_classes = [MultiPartParser]

    def client(self) -> Client:
        raise NotImplementedError

    @extend_schema(
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The logo."),
            404: OpenApiResponse(description="No logo yet."),
        }
    )
    def get(self, request: Request) -> HttpResponse:
        logo = client_logo_get(client=self.client())
        if logo is None:
            raise NotFound("No logo yet.")
        response = HttpResponse(bytes(logo.image), content_type="image/png")
        response["Content-Disposition"] = 'inline; filename="logo.png"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=60"
        return response

    @extend_schema(
        request={"multipart/form-data": LogoUploadSerializer},
        responses={200: LogoSerializer},
    )
    def put(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        logo = client_logo_set(client=self.client(), data=_upload_bytes(request), actor=user)
        return Response(LogoSerializer(logo).data)

    @extend_schema(responses={204: None, 404: OpenApiResponse(description="No logo.")})
    def delete(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if not client_logo_delete(client=self.client(), actor=user):
            raise NotFound("No logo to delete.")
        return Response(status=204)


class ClientLogoView(_LogoView):
    """This client's logo on its report: members read it, client admins change it."""

    write_role = Role.CLIENT_ADMIN

    def client(self) -> Client:
        return current_client()


class AgencyLogoView(_LogoView):
    """The agency's logo on every client's report (agency admins, on the agency's host)."""

    permission_classes = [IsAgencyAdmin]

    def client(self) -> Client:
        agency = agency_get()
        if agency is None:
            raise NotFound("The agency is not set up.")
        return agency
