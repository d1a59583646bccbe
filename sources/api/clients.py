"""`/api/v1/clients/` on the agency host: agency admins list and onboard clients.

Served only on the agency's own host (`config.urls_public`), with an agency token (issued
for the agency row, `manage.py create_api_token --client agency`) or an agency admin's
session; client tokens and client hosts are refused (`accounts.permissions.IsAgencyAdmin`).
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Client, User
from accounts.permissions import IsAgencyAdmin, request_has_second_factor
from accounts.security import agency_get
from accounts.selectors import client_managed_get, clients_for_user
from accounts.services import client_domain, client_two_factor_require
from sources.api.people import TwoFactorRequirementSerializer
from sources.services.lifecycle import (
    client_deactivate,
    client_delete,
    client_export,
    client_reactivate,
)
from sources.services.onboarding import (
    DEFAULT_HOURS,
    INDUSTRIES,
    ClientSetup,
    client_onboard,
    tracked_name,
)


class TrackedNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="In the query language; blank listens for the name as an exact phrase.",
    )


class ClientCreateSerializer(serializers.Serializer):
    slug = serializers.CharField(
        max_length=100, help_text="Lower-case letters, digits, hyphens: the client's address."
    )
    name = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(max_length=60, default="Europe/Berlin")
    languages = serializers.ListField(
        child=serializers.CharField(max_length=8), default=list, help_text='e.g. ["de", "en"]'
    )
    industry = serializers.CharField(
        default="general", help_text=f"One of {', '.join(INDUSTRIES)}: the preset applied."
    )
    business_hours = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=20)),
        default=lambda: dict(DEFAULT_HOURS),
        help_text='For the default SLA policy, e.g. {"mon": ["08:00-18:00"]}; days not named '
        "are closed.",
    )
    brands = TrackedNameSerializer(many=True)
    competitors = TrackedNameSerializer(many=True, default=list)

    def setup(self) -> ClientSetup:
        data: dict[str, Any] = self.validated_data
        return ClientSetup(
            slug=data["slug"],
            name=data["name"],
            time_zone=data["time_zone"],
            languages=list(data["languages"]),
            industry=data["industry"],
            business_hours={day: list(spans) for day, spans in data["business_hours"].items()},
            brands=[tracked_name(i["name"], i.get("query", "")) for i in data["brands"]],
            competitors=[tracked_name(i["name"], i.get("query", "")) for i in data["competitors"]],
        )


class ClientActiveSerializer(serializers.Serializer):
    active = serializers.BooleanField()


class ClientDeleteSerializer(serializers.Serializer):
    confirm_slug = serializers.CharField(help_text="The client's slug, typed again.")


class ClientSerializer(serializers.ModelSerializer):
    host = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = (
            "slug",
            "name",
            "host",
            "time_zone",
            "languages",
            "industry",
            "is_active",
            "created_at",
        )

    def get_host(self, client: Client) -> str:
        return client_domain(client.slug)


class ClientCreatedSerializer(serializers.Serializer):
    client = ClientSerializer()
    created = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="What onboarding made: departments, rules, aspects, queries, ...",
    )
    seconds = serializers.FloatField()


def _client(slug: str) -> Client:
    client = client_managed_get(slug=slug)
    if client is None:
        raise Http404("No such client")
    return client


class ClientListCreateView(APIView):
    """Every client (agency admins see all); create one with its industry preset."""

    permission_classes = [IsAgencyAdmin]

    @extend_schema(responses={200: ClientSerializer(many=True)})
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(ClientSerializer(clients_for_user(user=user), many=True).data)

    @extend_schema(request=ClientCreateSerializer, responses={201: ClientCreatedSerializer})
    def post(self, request: Request) -> Response:
        incoming = ClientCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        result = client_onboard(setup=incoming.setup(), by=request.user)  # type: ignore[arg-type]
        body = {"client": result.client, "created": result.created, "seconds": result.seconds}
        return Response(ClientCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class ClientStatusView(APIView):
    """Deactivate (`active: false`: polling stops, logins and API calls refused, data kept)
    or reactivate (`active: true`) a client."""

    permission_classes = [IsAgencyAdmin]

    @extend_schema(request=ClientActiveSerializer, responses={200: ClientSerializer})
    def post(self, request: Request, slug: str) -> Response:
        client = _client(slug)
        incoming = ClientActiveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        if incoming.validated_data["active"]:
            client = client_reactivate(client=client, by=user)
        else:
            client = client_deactivate(client=client, by=user)
        return Response(ClientSerializer(client).data)


class ClientDeleteView(APIView):
    """Drop a client and all its data for good; `confirm_slug` must repeat its slug. Fetch
    `export` first."""

    permission_classes = [IsAgencyAdmin]

    @extend_schema(request=ClientDeleteSerializer, responses={204: None})
    def post(self, request: Request, slug: str) -> Response:
        client = _client(slug)
        incoming = ClientDeleteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        client_delete(
            client=client,
            by=request.user,  # type: ignore[arg-type]
            confirm_slug=incoming.validated_data["confirm_slug"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientExportView(APIView):
    """The client's data as a zip: one JSON-lines file per table, mentions also as CSV."""

    permission_classes = [IsAgencyAdmin]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, slug: str) -> FileResponse:
        client = _client(slug)
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        client_export(client=client, out=spool)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=f"lotse-{client.slug}.zip")


class AgencyTwoFactorRequirementView(APIView):
    """Whether agency staff must log in with a second factor, on every host (the same switch
    as on the agency's /account/2fa/). Agency admins only; every change is audited in the
    agency's log."""

    permission_classes = [IsAgencyAdmin]

    @extend_schema(responses=TwoFactorRequirementSerializer)
    def get(self, request: Request) -> Response:
        agency = agency_get()
        return Response({"require_2fa": bool(agency and agency.require_2fa)})

    @extend_schema(request=TwoFactorRequirementSerializer, responses=TwoFactorRequirementSerializer)
    def put(self, request: Request) -> Response:
        incoming = TwoFactorRequirementSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        agency = agency_get()
        if agency is None:
            raise Http404("The agency is not set up.")
        agency = client_two_factor_require(
            client=agency,
            required=incoming.validated_data["require_2fa"],
            actor=request.user,  # type: ignore[arg-type]
            actor_has_second_factor=request_has_second_factor(request),
        )
        return Response({"require_2fa": agency.require_2fa})
