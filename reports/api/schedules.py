"""Scheduled report mails over the API: client admins create, change and delete schedules
and send one now; whoever may read the Schedules page lists and reads them and what was
sent. The same services as the page (`reports.scheduling`): the same checks, answers by
field, audit entries, and the same rule for readers (`schedules_visible_to`: members who see
all of the client's mentions; staff limited to departments are refused, as on the page)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import request_role
from config.pagination import IdCursorPagination
from reports.models import ReportDelivery, ReportFrequency, ReportSchedule
from reports.scheduling import (
    FILTER_KEYS,
    MAX_RECIPIENTS,
    ScheduleInput,
    report_deliveries_of,
    report_schedule_delete,
    report_schedule_get,
    report_schedule_list,
    report_schedule_save,
    report_schedule_send_now,
    schedule_input_of,
    schedule_next_send,
    schedule_when_text,
    schedules_visible_to,
)


class ReportScheduleFiltersSerializer(serializers.Serializer):
    """The report's slice; each filter is optional (blank for none)."""

    # The metaclass moves declared fields out of the class: no clash with `Field.source`.
    source = serializers.CharField(required=False, allow_blank=True, max_length=20)  # type: ignore[assignment]
    language = serializers.CharField(required=False, allow_blank=True, max_length=8)
    department = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="A department's slug."
    )
    aspect = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="An aspect's slug."
    )
    kind = serializers.CharField(required=False, allow_blank=True, max_length=30)


class ReportScheduleWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    frequency = serializers.CharField(
        max_length=20, help_text=f"One of {', '.join(ReportFrequency.values)}."
    )
    weekday = serializers.IntegerField(default=0, help_text="Weekly: Monday 0 to Sunday 6.")
    day_of_month = serializers.IntegerField(default=1, help_text="Monthly: 1 to 28.")
    hour = serializers.IntegerField(default=8, help_text="0 to 23, in the client's time zone.")
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=320, allow_blank=True),
        max_length=4 * MAX_RECIPIENTS,
        help_text=f"E-mail addresses, people outside Lotse too (at most {MAX_RECIPIENTS}).",
    )
    filters = ReportScheduleFiltersSerializer(required=False)
    enabled = serializers.BooleanField(default=True)

    def schedule_input(self, schedule: ReportSchedule | None) -> ScheduleInput:
        data: dict[str, Any] = dict(self.validated_data)
        if "filters" in data:
            data["filters"] = {k: v for k, v in data["filters"].items() if k in FILTER_KEYS}
        if schedule is not None:
            return schedule_input_of(schedule, **data)
        data.setdefault("filters", {})
        return ScheduleInput(**data)


class ReportScheduleSerializer(serializers.ModelSerializer):
    when = serializers.SerializerMethodField(help_text="In words, in the client's time zone.")
    next_send_at = serializers.SerializerMethodField()

    class Meta:
        model = ReportSchedule
        fields = (
            "id",
            "name",
            "frequency",
            "weekday",
            "day_of_month",
            "hour",
            "recipients",
            "filters",
            "enabled",
            "when",
            "next_send_at",
            "created_at",
        )
        read_only_fields = fields

    def get_when(self, schedule: ReportSchedule) -> str:
        return schedule_when_text(schedule)

    def get_next_send_at(self, schedule: ReportSchedule) -> str | None:
        if not schedule.enabled:
            return None
        return schedule_next_send(schedule).isoformat()


class ReportDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportDelivery
        fields = (
            "id",
            "period_first",
            "period_last",
            "manual",
            "status",
            "recipients",
            "error",
            "created_at",
            "sent_at",
        )
        read_only_fields = fields


class _ScheduleAccess:
    """Reading as the Schedules page (checked by `initial`, before any method runs);
    changing and sending for client admins."""

    write_role = Role.CLIENT_ADMIN

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        user: User = request.user  # type: ignore[assignment]
        if not schedules_visible_to(user=user, role=request_role(request)):
            raise PermissionDenied(
                "Report schedules are for people who see all of this client's mentions."
            )


class SchedulePagination(IdCursorPagination):
    page_size = 50


class ScheduleListView(_ScheduleAccess, APIView):
    """The client's report schedules, and a new one (client admins)."""

    @extend_schema(responses=ReportScheduleSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ReportScheduleSerializer(report_schedule_list(), many=True).data)

    @extend_schema(request=ReportScheduleWriteSerializer, responses={201: ReportScheduleSerializer})
    def post(self, request: Request) -> Response:
        given = ReportScheduleWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        schedule = report_schedule_save(
            schedule=None,
            data=given.schedule_input(None),
            actor=user,
            base_url=request.build_absolute_uri("/"),
        )
        return Response(ReportScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class ScheduleDetailView(_ScheduleAccess, APIView):
    """One schedule: read, change (PUT all fields, PATCH some), delete (its mailed CSV links
    stop working)."""

    @extend_schema(responses=ReportScheduleSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ReportScheduleSerializer(report_schedule_get(schedule_id=int(pk))).data)

    def _change(self, request: Request, pk: int, *, partial: bool) -> Response:
        schedule = report_schedule_get(schedule_id=int(pk))
        given = ReportScheduleWriteSerializer(data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        schedule = report_schedule_save(
            schedule=schedule,
            data=given.schedule_input(schedule),
            actor=user,
            base_url=request.build_absolute_uri("/"),
        )
        return Response(ReportScheduleSerializer(schedule).data)

    @extend_schema(request=ReportScheduleWriteSerializer, responses=ReportScheduleSerializer)
    def put(self, request: Request, pk: int) -> Response:
        return self._change(request, pk, partial=False)

    @extend_schema(request=ReportScheduleWriteSerializer, responses=ReportScheduleSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        return self._change(request, pk, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        report_schedule_delete(schedule=report_schedule_get(schedule_id=int(pk)), actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScheduleSendNowView(_ScheduleAccess, APIView):
    """Mail the schedule's latest full period now (queued; the delivery says when sent)."""

    @extend_schema(request=None, responses={202: ReportDeliverySerializer})
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        delivery = report_schedule_send_now(
            schedule=report_schedule_get(schedule_id=int(pk)), actor=user
        )
        return Response(ReportDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class ScheduleDeliveriesView(_ScheduleAccess, generics.ListAPIView):
    """What was sent for the schedule, newest first: beat's mails and sends-now, with their
    status (sending, sent, failed and why)."""

    serializer_class = ReportDeliverySerializer
    pagination_class = SchedulePagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no schedule
            return ReportDelivery.objects.none()
        schedule = report_schedule_get(schedule_id=int(self.kwargs["pk"]))
        return report_deliveries_of(schedule=schedule)
