"""`GET /api/v1/overview/` on the agency host: the agency overview's figures for every
client the caller may open, most in need of attention first (one query per client)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsAgencyStaff
from accounts.selectors import clients_for_user
from accounts.services import client_domain
from reports.overview import ClientOverview, agency_overview


class OverviewRowSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    host = serializers.CharField(help_text="The client's address")
    timezone = serializers.CharField(help_text="The client's days are counted in this zone")
    today = serializers.IntegerField(help_text="Mentions today")
    week = serializers.IntegerField(help_text="Mentions over the last 7 days (today included)")
    daily = serializers.ListField(
        child=serializers.IntegerField(), help_text="Mentions per day, oldest first"
    )
    negative_share = serializers.FloatField(allow_null=True, help_text="Last 7 days, 0..1")
    negative_share_before = serializers.FloatField(
        allow_null=True, help_text="The 7 days before, 0..1"
    )
    negative_trend = serializers.FloatField(
        allow_null=True, help_text="Change in negative share (share points, -1..1)"
    )
    open = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    overdue = serializers.IntegerField()
    sla_met_share = serializers.FloatField(allow_null=True, help_text="Last 7 days, 0..1")
    first_response_median_seconds = serializers.FloatField(allow_null=True, help_text="Last 7 days")
    open_alerts = serializers.IntegerField()


class OverviewSerializer(serializers.Serializer):
    clients = OverviewRowSerializer(many=True)


def overview_row(row: ClientOverview) -> dict[str, Any]:
    return {
        "slug": row.client.slug,
        "name": row.client.name,
        "host": client_domain(row.client.slug),
        "timezone": row.timezone,
        "today": row.today,
        "week": row.week,
        "daily": row.daily,
        "negative_share": row.negative_share,
        "negative_share_before": row.negative_share_before,
        "negative_trend": row.negative_trend,
        "open": row.open,
        "unassigned": row.unassigned,
        "overdue": row.overdue,
        "sla_met_share": row.sla_met_share,
        "first_response_median_seconds": row.median_first_response_seconds,
        "open_alerts": row.open_alerts,
    }


class AgencyOverviewView(APIView):
    """Every client the caller may open, with the overview page's figures, sorted by what
    needs attention (open alerts, overdue, rising negative share, unassigned, volume)."""

    permission_classes = [IsAgencyStaff]

    @extend_schema(responses=OverviewSerializer)
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        rows = agency_overview(clients=list(clients_for_user(user=user)))
        return Response(OverviewSerializer({"clients": [overview_row(r) for r in rows]}).data)
