"""`/api/v1/training/…`: thin views over `routing.training.services` and `selectors`.
Everyone in the client reads modules (without the answer key), takes quizzes and
acknowledges guidelines; managers and client admins author; certificates of other people
are for managers only."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import request_role
from accounts.selectors import client_member_get, role_at_least
from config.errors import DomainError, NotAllowed
from config.tenancy import current_client
from routing.training.api.serializers import (
    AcknowledgementSerializer,
    AssignmentSerializer,
    AssignmentWriteSerializer,
    AttemptResultSerializer,
    AttemptWriteSerializer,
    CertificateSerializer,
    GuidelineSerializer,
    GuidelineWriteSerializer,
    LevelSerializer,
    LevelWriteSerializer,
    LibraryModuleSerializer,
    ModuleDetailSerializer,
    ModuleSerializer,
    ModuleWriteSerializer,
)
from routing.training.library.selectors import library_list
from routing.training.selectors import (
    acknowledgement_list,
    assignment_get,
    assignment_list,
    certificates_for,
    guideline_current,
    guideline_list,
    level_get,
    level_list,
    module_get,
    module_list,
)
from routing.training.services import (
    assignment_create,
    assignment_delete,
    attempt_submit,
    guideline_acknowledge,
    guideline_publish,
    level_update,
    module_copy_from_library,
    module_create,
    module_delete,
    module_update,
)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _module(pk: int) -> Any:
    module = module_get(module_id=int(pk))
    if module is None:
        raise Http404
    return module


class ModuleListView(APIView):
    write_role = Role.MANAGER

    @extend_schema(responses=ModuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ModuleSerializer(module_list(), many=True).data)

    @extend_schema(request=ModuleWriteSerializer, responses={201: ModuleDetailSerializer})
    def post(self, request: Request) -> Response:
        incoming = ModuleWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        module = module_create(data=incoming.validated_data, by=_user(request))
        return Response(
            ModuleDetailSerializer(_module(module.pk), context={"key": True}).data,
            status=status.HTTP_201_CREATED,
        )


class ModuleDetailView(APIView):
    write_role = Role.MANAGER

    @extend_schema(
        parameters=[OpenApiParameter("key", bool, description="authors only: include answers")],
        responses=ModuleDetailSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        key = request.query_params.get("key") in ("1", "true")
        if key and not role_at_least(request_role(request), Role.MANAGER):
            raise NotAllowed("Only authors see the answer key.")
        return Response(ModuleDetailSerializer(_module(pk), context={"key": key}).data)

    @extend_schema(request=ModuleWriteSerializer, responses=ModuleDetailSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        incoming = ModuleWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        module = module_update(module=_module(pk), data=incoming.validated_data, by=_user(request))
        return Response(ModuleDetailSerializer(_module(module.pk), context={"key": True}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        module_delete(module=_module(pk), by=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttemptView(APIView):
    """Submit answers; the answer key and explanations come back only now."""

    write_role = Role.VIEWER

    @extend_schema(request=AttemptWriteSerializer, responses={201: AttemptResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        module = _module(pk)
        answers = request.data.get("answers") if isinstance(request.data, dict) else None
        if answers is None:
            raise DomainError(
                'Send {"answers": {question id: [choice ids]}}.', fields={"answers": ["required"]}
            )
        outcome = attempt_submit(module=module, answers=answers, by=_user(request))
        context = {"now": timezone.now()}
        certificates = CertificateSerializer(outcome.certificates, many=True, context=context).data
        body = {
            "passed": outcome.grade.passed,
            "score": outcome.grade.score,
            "certificate": certificates[-1] if certificates else None,
            "certificates": certificates,
            "results": {
                str(qid): {
                    "right": right,
                    "points": outcome.grade.points[qid],
                    "correct_choice_ids": outcome.correct[qid],
                    "explanation": outcome.explanations[qid],
                }
                for qid, right in outcome.grade.results.items()
            },
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LibraryListView(APIView):
    @extend_schema(responses=LibraryModuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(LibraryModuleSerializer(library_list(), many=True).data)


class LibraryCopyView(APIView):
    write_role = Role.MANAGER

    @extend_schema(request=None, responses={201: ModuleSerializer})
    def post(self, request: Request, slug: str) -> Response:
        module = module_copy_from_library(slug=slug, by=_user(request))
        return Response(ModuleSerializer(module).data, status=status.HTTP_201_CREATED)


class LevelListView(APIView):
    @extend_schema(responses=LevelSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(LevelSerializer(level_list(), many=True).data)


class LevelDetailView(APIView):
    write_role = Role.MANAGER

    @extend_schema(request=LevelWriteSerializer, responses=LevelSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        level = level_get(level_id=int(pk))
        if level is None:
            raise Http404
        incoming = LevelWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        level = level_update(
            level=level,
            module_ids=data.get("module_ids"),
            validity_months=data.get("validity_months"),
            for_crisis=data.get("for_crisis"),
            for_segments=data.get("for_segments"),
            by=_user(request),
        )
        return Response(LevelSerializer(level).data)


class AssignmentListView(APIView):
    write_role = Role.MANAGER

    @extend_schema(responses=AssignmentSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(AssignmentSerializer(assignment_list(), many=True).data)

    @extend_schema(request=AssignmentWriteSerializer, responses={201: AssignmentSerializer})
    def post(self, request: Request) -> Response:
        incoming = AssignmentWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        row = assignment_create(
            module=_module(data["module"]),
            role=data["role"],
            department_id=data["department"],
            due_date=data["due_date"],
            by=_user(request),
        )
        return Response(AssignmentSerializer(row).data, status=status.HTTP_201_CREATED)


class AssignmentDetailView(APIView):
    write_role = Role.MANAGER

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        row = assignment_get(assignment_id=int(pk))
        if row is None:
            raise Http404
        assignment_delete(assignment=row, by=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CertificateListView(APIView):
    """Certificates with their history. `?user=<id>`; without it, your own. Other people's
    only for managers and up."""

    @extend_schema(
        parameters=[OpenApiParameter("user", int, description="whose certificates")],
        responses=CertificateSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        me = _user(request)
        raw = request.query_params.get("user", "")
        if raw and not raw.isdigit():
            raise DomainError("user is a user id.", fields={"user": ["a whole number"]})
        user_id = int(raw) if raw else me.pk
        if user_id != me.pk:
            if not role_at_least(request_role(request), Role.MANAGER):
                raise NotAllowed("Only managers see other people's certificates.")
            if client_member_get(client=current_client(), user_id=user_id) is None:
                raise Http404
        rows = certificates_for(user_ids=[user_id])
        return Response(
            CertificateSerializer(rows, many=True, context={"now": timezone.now()}).data
        )


class GuidelineListView(APIView):
    write_role = Role.MANAGER

    @extend_schema(responses=GuidelineSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(GuidelineSerializer(guideline_list(), many=True).data)

    @extend_schema(request=GuidelineWriteSerializer, responses={201: GuidelineSerializer})
    def post(self, request: Request) -> Response:
        incoming = GuidelineWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        guideline = guideline_publish(
            body=incoming.validated_data["body"],
            title=incoming.validated_data.get("title", ""),
            by=_user(request),
        )
        return Response(GuidelineSerializer(guideline).data, status=status.HTTP_201_CREATED)


class AcknowledgeView(APIView):
    """Acknowledge the current version (send its `version`, so nobody acknowledges a text
    they have not seen)."""

    write_role = Role.VIEWER

    @extend_schema(request=None, responses={201: AcknowledgementSerializer})
    def post(self, request: Request) -> Response:
        current = guideline_current()
        if current is None:
            raise Http404
        version = request.data.get("version") if isinstance(request.data, dict) else None
        if version != current.version:
            raise DomainError(
                f"The current version is {current.version}.",
                fields={"version": [f"send {current.version}"]},
            )
        ack = guideline_acknowledge(guideline=current, by=_user(request))
        return Response(AcknowledgementSerializer(ack).data, status=status.HTTP_201_CREATED)


class AcknowledgementListView(APIView):
    read_role = Role.MANAGER

    @extend_schema(responses=AcknowledgementSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(AcknowledgementSerializer(acknowledgement_list(), many=True).data)
