from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit.selectors import audit_list
from accounts.models import Role, User
from accounts.selectors import client_member_get
from config.tenancy import current_client
from mentions.triage import triage_texts
from mentions.triage.client import client_triage_load
from routing.api.serializers import (
    AuditEntrySerializer,
    DepartmentSerializer,
    PresetSerializer,
    ReorderSerializer,
    ResponsePolicySerializer,
    RuleSerializer,
    RuleWriteSerializer,
    StaffCertificationSerializer,
    TryResultSerializer,
    TrySerializer,
)
from routing.engine import RoutingInput
from routing.models import Department, RoutingRule
from routing.presets import PRESETS
from routing.selectors import department_list, rule_get, rule_list
from routing.services import (
    routing_apply_preset,
    routing_try,
    rule_create,
    rule_delete,
    rule_update,
    rules_reorder,
)
from routing.services.policy import response_policy_get, response_policy_update, staff_certify
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
    serializer_class = DepartmentSerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        return department_list()


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


class AuditPagination(CursorPagination):
    ordering = "-id"
    page_size = 50


class AuditListView(generics.ListAPIView):
    """The client's audit log, newest first. Read-only: entries cannot be changed."""

    serializer_class = AuditEntrySerializer
    pagination_class = AuditPagination

    def get_queryset(self) -> Any:
        target_id = self.request.query_params.get("target_id", "")
        return audit_list(
            target_type=self.request.query_params.get("target_type") or None,
            target_id=int(target_id) if target_id.isascii() and target_id.isdigit() else None,
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
    Client admins (a training module with quizzes will certify later)."""

    write_role = Role.CLIENT_ADMIN

    @extend_schema(request=StaffCertificationSerializer, responses=StaffCertificationSerializer)
    def post(self, request: Request, user_id: int) -> Response:
        member = client_member_get(client=current_client(), user_id=int(user_id))
        if member is None:
            raise Http404
        incoming = StaffCertificationSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        by: User = request.user  # type: ignore[assignment]
        staff = staff_certify(
            user=member,
            certified=incoming.validated_data["certified"],
            signature=incoming.validated_data.get("signature"),
            by=by,
        )
        return Response(StaffCertificationSerializer(staff).data)
