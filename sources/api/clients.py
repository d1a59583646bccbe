"""`/api/v1/clients/` on the agency host: agency admins list and onboard clients.

Served only on the agency's own host (`config.urls_public`), with an agency token (issued
for the agency row, `manage.py create_api_token --client agency`) or an agency admin's
session; client tokens and client hosts are refused (`accounts.permissions.IsAgencyAdmin`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Client, User
from accounts.permissions import IsAgencyAdmin
from accounts.selectors import clients_for_user
from accounts.services import client_domain
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


class ClientSerializer(serializers.ModelSerializer):
    host = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ("slug", "name", "host", "time_zone", "languages", "industry", "created_at")

    def get_host(self, client: Client) -> str:
        return client_domain(client.slug)


class ClientCreatedSerializer(serializers.Serializer):
    client = ClientSerializer()
    created = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="What onboarding made: departments, rules, aspects, queries, ...",
    )
    seconds = serializers.FloatField()


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
