from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit.models import AuditEntry
from accounts.audit.selectors import audit_list
from accounts.models import Role, User
from accounts.selectors import client_member_get
from config.pagination import IdCursorPagination
from config.tenancy import current_client
from mentions.selectors import cluster_list_for_user, mention_list_for_user
from mentions.triage import triage_texts
from mentions.triage.client import client_triage_load
from routing.api.serializers import (
    AuditEntrySerializer,
    DepartmentSerializer,
    DepartmentWriteSerializer,
    NotificationReadResultSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    PresetSerializer,
    ReorderSerializer,
    ResponsePolicySerializer,
    RuleSerializer,
    RuleWriteSerializer,
    StaffCertificationSerializer,
    StaffSerializer,
    StaffWriteSerializer,
    TeamSerializer,
    TeamWriteSerializer,
    TryResultSerializer,
    TrySerializer,
)
from routing.engine import RoutingInput
from routing.models import Department, Notification, RoutingRule, StaffMember, Team
from routing.presets import PRESETS
from routing.selectors import (
    department_get,
    department_list,
    notification_list_for_user,
    notification_unread_count,
    rule_get,
    rule_list,
    staff_get,
    staff_list,
    staff_on_shift_now,
    team_get,
    team_list,
)
from routing.services import (
    routing_apply_preset,
    routing_try,
    rule_create,
    rule_delete,
    rule_update,
    rules_reorder,
)
from routing.services.notifications import notifications_mark_read
from routing.services.policy import response_policy_get, response_policy_update
from routing.services.staff import (
    department_create,
    department_update,
    staff_create,
    staff_delete,
    staff_update,
    team_create,
    team_delete,
    team_update,
)
from routing.training.services import staff_certification_set
from sources.models import Source


class RuleListView(generics.ListAPIView):
    """The routing matrix in evaluation order. Managers and up may change it."""

    serializer_class = RuleSerializer
    pagination_class = None
    write_role = Role.MANAGER

    def get_queryset(self) -> Any:
        return rule_list()

    @extend_schema(request=RuleWriteSerializer, responses={201: RuleSerializer})
    def post(self, request: Request) -> Response:
        incoming = RuleWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rule = rule_create(data=incoming.validated_data, by=request.user, client=current_client())
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailView(generics.GenericAPIView):
    serializer_class = RuleSerializer
    queryset = RoutingRule.objects.none()
    write_role = Role.MANAGER

    def get_object(self) -> RoutingRule:
        rule = rule_get(rule_id=int(self.kwargs["pk"]))
        if rule is None:
            raise Http404
        return rule

    def get(self, request: Request, pk: int) -> Response:
        return Response(RuleSerializer(self.get_object()).data)

    @extend_schema(request=RuleWriteSerializer, responses=RuleSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        incoming = RuleWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        rule = rule_update(
            rule=self.get_object(),
            changes=incoming.validated_data,
            by=request.user,
            client=current_client(),
        )
        return Response(RuleSerializer(rule_get(rule_id=rule.pk)).data)

    def delete(self, request: Request, pk: int) -> Response:
        rule_delete(rule=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleReorderView(APIView):
    write_role = Role.MANAGER

    @extend_schema(request=ReorderSerializer, responses=RuleSerializer(many=True))
    def post(self, request: Request) -> Response:
        incoming = ReorderSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rules_reorder(rule_ids=incoming.validated_data["rule_ids"], by=request.user)
        return Response(RuleSerializer(rule_list(), many=True).data)


def try_input(data: dict[str, Any]) -> tuple[RoutingInput, dict[str, Any]]:
    """A RoutingInput from a "try it" request; triage fills in what the caller left out."""
    triage = triage_texts(
        [data["text"]], languages=[data.get("language", "")], client=client_triage_load()
    )[0]
    source = None
    if data.get("source_id") is not None:
        source = Source.objects.filter(pk=data["source_id"]).first()
    author = data.get("author") or {}
    item = RoutingInput(
        text=data["text"],
        kind=data.get("kind") or triage.kind,
        language=data.get("language") or triage.language,
        sentiment=data.get("sentiment") or triage.sentiment,
        aspects=tuple(data.get("aspects") or triage.aspects),
        country=(data.get("country") or "").upper(),
        source_id=source.pk if source else None,
        source_kind=source.kind if source else "",
        source_name=source.name if source else "",
        author_handle=author.get("handle", ""),
        author_followers=author.get("followers", 0),
    )
    shown = {
        "kind": item.kind,
        "language": item.language,
        "sentiment": item.sentiment,
        "sentiment_score": triage.sentiment_score,
        "aspects": list(item.aspects),
        "relevant": triage.relevant,
        "relevance_score": triage.relevance_score,
    }
    return item, shown


class TryView(APIView):
    """Which rule fires for a text (and optional author and source), and why. Nothing is
    stored; every member may try."""

    write_role = Role.VIEWER

    @extend_schema(request=TrySerializer, responses=TryResultSerializer)
    def post(self, request: Request) -> Response:
        incoming = TrySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        item, triage = try_input(incoming.validated_data)
        decision = routing_try(item=item)
        department = (
            Department.objects.filter(pk=decision.department_id).first()
            if decision.department_id is not None
            else None
        )
        rule = (
            RoutingRule.objects.filter(pk=decision.rule_id).first()
            if decision.rule_id is not None
            else None
        )
        return Response(
            {
                "triage": triage,
                "rule": {"id": rule.pk, "name": rule.name} if rule else None,
                "department": DepartmentSerializer(department).data if department else None,
                "team_id": decision.team_id,
                "assignee_id": decision.assignee_id,
                "priority": decision.priority,
                "reason": decision.reason,
                "actions": {
                    "ignore": decision.ignore,
                    "escalate": decision.escalate,
                    "require_approval": decision.require_approval,
                    "copy_to_department_id": decision.copy_to_id,
                },
            }
        )


class DepartmentListView(generics.ListAPIView):
    """The client's departments. Client admins add them (name, optional slug and lead)."""

    serializer_class = DepartmentSerializer
    pagination_class = None
    write_role = Role.CLIENT_ADMIN

    def get_queryset(self) -> Any:
        return department_list()

    @extend_schema(request=DepartmentWriteSerializer, responses={201: DepartmentSerializer})
    def post(self, request: Request) -> Response:
        incoming = DepartmentWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        department = department_create(
            data=incoming.validated_data,
            by=request.user,  # type: ignore[arg-type]
            client=current_client(),
        )
        return Response(DepartmentSerializer(department).data, status=status.HTTP_201_CREATED)


class DepartmentDetailView(generics.GenericAPIView):
    serializer_class = DepartmentSerializer
    queryset = Department.objects.none()
    write_role = Role.CLIENT_ADMIN

    def get_object(self) -> Department:
        department = department_get(department_id=int(self.kwargs["pk"]))
        if department is None:
            raise Http404
        return department

    def get(self, request: Request, pk: int) -> Response:
        return Response(DepartmentSerializer(self.get_object()).data)

    @extend_schema(request=DepartmentWriteSerializer, responses=DepartmentSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        incoming = DepartmentWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        department = department_update(
            department=self.get_object(),
            changes=incoming.validated_data,
            by=request.user,  # type: ignore[arg-type]
            client=current_client(),
        )
        return Response(DepartmentSerializer(department).data)


class TeamListView(generics.ListAPIView):
    """Teams per department and how they hand out mentions (round robin, least load or
    manual). Client admins change them."""

    serializer_class = TeamSerializer
    pagination_class = None
    write_role = Role.CLIENT_ADMIN

    def get_queryset(self) -> Any:
        return team_list()

    @extend_schema(request=TeamWriteSerializer, responses={201: TeamSerializer})
    def post(self, request: Request) -> Response:
        incoming = TeamWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        team = team_create(data=incoming.validated_data, by=request.user)  # type: ignore[arg-type]
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)


class TeamDetailView(generics.GenericAPIView):
    serializer_class = TeamSerializer
    queryset = Team.objects.none()
    write_role = Role.CLIENT_ADMIN

    def get_object(self) -> Team:
        team = team_get(team_id=int(self.kwargs["pk"]))
        if team is None:
            raise Http404
        return team

    def get(self, request: Request, pk: int) -> Response:
        return Response(TeamSerializer(self.get_object()).data)

    @extend_schema(request=TeamWriteSerializer, responses=TeamSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        incoming = TeamWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        team = team_update(
            team=self.get_object(),
            changes=incoming.validated_data,
            by=request.user,  # type: ignore[arg-type]
        )
        return Response(TeamSerializer(team).data)

    def delete(self, request: Request, pk: int) -> Response:
        team_delete(team=self.get_object(), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


def _staff_data(members: list[StaffMember], *, many: bool) -> Any:
    context = {"on_shift_now": staff_on_shift_now(members)}
    if many:
        return StaffSerializer(members, many=True, context=context).data
    return StaffSerializer(members[0], context=context).data


class StaffListView(generics.GenericAPIView):
    """Staff members: departments (which limit what they see), teams, languages,
    countries, specialist tags, capacity, the on-shift switch and weekly shifts, and whether
    they are on shift now. Client admins add members who already belong to this client."""

    serializer_class = StaffSerializer
    queryset = StaffMember.objects.none()
    write_role = Role.CLIENT_ADMIN

    @extend_schema(responses=StaffSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(_staff_data(list(staff_list()), many=True))

    @extend_schema(request=StaffWriteSerializer, responses={201: StaffSerializer})
    def post(self, request: Request) -> Response:
        incoming = StaffWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        member = staff_create(
            data=incoming.validated_data,
            by=request.user,  # type: ignore[arg-type]
            client=current_client(),
        )
        return Response(_staff_data([member], many=False), status=status.HTTP_201_CREATED)


class StaffDetailView(generics.GenericAPIView):
    serializer_class = StaffSerializer
    queryset = StaffMember.objects.none()
    write_role = Role.CLIENT_ADMIN

    def get_object(self) -> StaffMember:
        member = staff_get(user_id=int(self.kwargs["user_id"]))
        if member is None:
            raise Http404
        return member

    def get(self, request: Request, user_id: int) -> Response:
        return Response(_staff_data([self.get_object()], many=False))

    @extend_schema(request=StaffWriteSerializer, responses=StaffSerializer)
    def patch(self, request: Request, user_id: int) -> Response:
        incoming = StaffWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        member = staff_update(
            member=self.get_object(),
            changes=incoming.validated_data,
            by=request.user,  # type: ignore[arg-type]
            client=current_client(),
        )
        return Response(_staff_data([member], many=False))

    def delete(self, request: Request, user_id: int) -> Response:
        staff_delete(member=self.get_object(), by=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationPagination(IdCursorPagination):
    ordering = "-id"


class NotificationListView(generics.ListAPIView):
    """The caller's own notifications in this client, newest first (`?unread=true` for
    unread ones only): @mentions in notes, SLA warnings and breaches."""

    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no request
            return Notification.objects.none()
        unread = self.request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        return notification_list_for_user(user_id=int(self.request.user.pk or 0), unread=unread)


class NotificationReadView(APIView):
    """Mark the caller's notifications read: those of `ids`, or all. Everyone who gets
    notifications may (viewers too), with a write-scope token."""

    write_role = Role.VIEWER

    @extend_schema(request=NotificationReadSerializer, responses=NotificationReadResultSerializer)
    def post(self, request: Request) -> Response:
        incoming = NotificationReadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user_id = int(request.user.pk or 0)
        marked = notifications_mark_read(user_id=user_id, ids=incoming.validated_data.get("ids"))
        return Response({"marked": marked, "unread": notification_unread_count(user_id=user_id)})


class PresetListView(APIView):
    @extend_schema(responses=PresetSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            [
                {"name": name, "label": preset["label"], "rules": len(preset["rules"])}
                for name, preset in PRESETS.items()
            ]
        )


class PresetApplyView(APIView):
    """Replace the matrix with a ready-made one (client admins)."""

    write_role = Role.CLIENT_ADMIN

    @extend_schema(request=None, responses=RuleSerializer(many=True))
    def post(self, request: Request, name: str) -> Response:
        routing_apply_preset(preset=name, by=request.user)
        return Response(RuleSerializer(rule_list(), many=True).data)


class AuditPagination(IdCursorPagination):
    ordering = "-id"
    page_size_query_param = None


class AuditListView(generics.ListAPIView):
    """The client's audit log, newest first, for managers and up (as the /audit/ page).
    Read-only: entries cannot be changed. Entries about mentions and problem cases the
    caller may not see are left out."""

    serializer_class = AuditEntrySerializer
    pagination_class = AuditPagination
    read_role = Role.MANAGER

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no request
            return AuditEntry.objects.none()
        target_id = self.request.query_params.get("target_id", "")
        entries = audit_list(
            target_type=self.request.query_params.get("target_type") or None,
            target_id=int(target_id) if target_id.isascii() and target_id.isdigit() else None,
        )
        user: User = self.request.user  # type: ignore[assignment]
        mentions = mention_list_for_user(user=user).values("pk")
        clusters = cluster_list_for_user(user=user, open_only=False).values("pk")
        return entries.filter(
            ~Q(target_type__in=("mention", "cluster"))
            | Q(target_type="mention", target_id__in=mentions)
            | Q(target_type="cluster", target_id__in=clusters)
        )


class ResponsePolicyView(APIView):
    """The client's response policy: banned phrases, signatures, when replies need
    approval. Every member reads it; client admins change it (audited)."""

    write_role = Role.CLIENT_ADMIN

    @extend_schema(responses=ResponsePolicySerializer)
    def get(self, request: Request) -> Response:
        return Response(ResponsePolicySerializer(response_policy_get()).data)

    @extend_schema(request=ResponsePolicySerializer, responses=ResponsePolicySerializer)
    def patch(self, request: Request) -> Response:
        incoming = ResponsePolicySerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        by: User = request.user  # type: ignore[assignment]
        policy = response_policy_update(changes=incoming.validated_data, by=by)
        return Response(ResponsePolicySerializer(policy).data)


class StaffCertificationView(APIView):
    """Certify a member to answer publicly without approval, and set their signature.
    Client admins; switching it grants or revokes certificates (reply rights)."""

    write_role = Role.CLIENT_ADMIN

    @extend_schema(request=StaffCertificationSerializer, responses=StaffCertificationSerializer)
    def post(self, request: Request, user_id: int) -> Response:
        member = client_member_get(client=current_client(), user_id=int(user_id))
        if member is None:
            raise Http404
        incoming = StaffCertificationSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        by: User = request.user  # type: ignore[assignment]
        staff = staff_certification_set(
            user=member,
            certified=incoming.validated_data["certified"],
            signature=incoming.validated_data.get("signature"),
            by=by,
        )
        return Response(StaffCertificationSerializer(staff).data)
