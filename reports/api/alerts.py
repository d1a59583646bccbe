"""Alerts API: list and read spike alerts, acknowledge one, read and change the thresholds.

Alerts are about all of a client's mentions: they are read by those who see all of them
(managers and up, and staff not limited to departments), and acted on by managers and up.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import request_role
from config.pagination import IdCursorPagination
from reports.models import Alert, AlertSettings
from reports.selectors import alert_get, alert_list, alert_settings_get, alerts_visible_to
from reports.services import THRESHOLD_LIMITS, alert_acknowledge, alert_thresholds_update


class AlertSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    summary = serializers.CharField(read_only=True)
    acknowledged_by = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = (
            "id",
            "kind",
            "kind_label",
            "summary",
            "opened_at",
            "closed_at",
            "window_minutes",
            "volume",
            "negative",
            "baseline_volume",
            "baseline_share",
            "basis",
            "peak_volume",
            "peak_share",
            "calm_since",
            "acknowledged_at",
            "acknowledged_by",
        )
        read_only_fields = fields

    def get_acknowledged_by(self, alert: Alert) -> dict[str, Any] | None:
        if alert.acknowledged_at is None:
            return None
        return {"id": alert.acknowledged_by_id, "name": alert.acknowledged_by_name}


class ThresholdsSerializer(serializers.ModelSerializer):
    """When alerts open. `share_open_min` and `share_open_lift` are fractions (0.4 = 40 %)."""

    class Meta:
        model = AlertSettings
        fields = tuple(THRESHOLD_LIMITS)


class AlertPagination(IdCursorPagination):
    page_size = 50


def _check_reader(request: Request) -> None:
    if not alerts_visible_to(user=request.user, role=request_role(request)):  # type: ignore[arg-type]
        raise PermissionDenied("Alerts are for people who see all of this client's mentions.")


class AlertListView(generics.ListAPIView):
    """The client's spike alerts, newest first (`?status=open` for open ones only)."""

    serializer_class = AlertSerializer
    pagination_class = AlertPagination

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=["open", "all"], required=False)]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_reader(request)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        status = self.request.query_params.get("status", "all")
        if status not in {"open", "all"}:
            raise ValidationError({"status": ["one of: open, all"]})
        return alert_list(open_only=status == "open")


class AlertDetailView(APIView):
    @extend_schema(responses=AlertSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _check_reader(request)
        return Response(AlertSerializer(alert_get(alert_id=int(pk))).data)


class AlertAcknowledgeView(APIView):
    """A manager is on it: the inbox banner goes for everyone (audited). Idempotent."""

    write_role = Role.MANAGER

    @extend_schema(request=None, responses=AlertSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        alert = alert_acknowledge(alert=alert_get(alert_id=int(pk)), by=user)
        return Response(AlertSerializer(alert).data)


class AlertThresholdsView(APIView):
    """Read (as alerts) and change (managers) when alerts open; every change is audited."""

    write_role = Role.MANAGER

    @extend_schema(responses=ThresholdsSerializer)
    def get(self, request: Request) -> Response:
        _check_reader(request)
        return Response(ThresholdsSerializer(alert_settings_get()).data)

    @extend_schema(request=ThresholdsSerializer, responses=ThresholdsSerializer)
    def patch(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Send an object of thresholds."]})
        user: User = request.user  # type: ignore[assignment]
        settings = alert_thresholds_update(values=dict(request.data), by=user)
        return Response(ThresholdsSerializer(settings).data)
