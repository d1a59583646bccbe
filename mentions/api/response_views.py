"""Responses on mentions, the approval queue and saved replies."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from accounts.models import Role, User
from config.pagination import IdCursorPagination
from mentions.api.response_serializers import (
    ApproveSerializer,
    CheckResultSerializer,
    RejectSerializer,
    ResponseCheckSerializer,
    ResponseCreateSerializer,
    ResponseSerializer,
    SavedReplySerializer,
    SavedReplyWriteSerializer,
)
from mentions.models import Mention, ResponseStatus, SavedReply
from mentions.models import Response as MentionResponse
from mentions.responses import (
    response_approve,
    response_check,
    response_create,
    response_reject,
    response_retry,
    saved_reply_create,
    saved_reply_delete,
    saved_reply_update,
)
from mentions.selectors import (
    mention_get_for_user,
    response_get_for_user,
    response_list_for_mention,
    response_list_for_user,
    saved_reply_get,
    saved_reply_list,
)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _mention(request: Request, pk: int) -> Mention:
    return mention_get_for_user(user=_user(request), mention_id=int(pk))


class MentionResponsesView(generics.GenericAPIView):
    """Responses on one mention, oldest first; POST checks the client's policy and sends
    (public replies through a worker, possibly after approval) or records the answer."""

    serializer_class = ResponseSerializer
    pagination_class = None
    queryset = Mention.objects.none()

    @extend_schema(responses=ResponseSerializer(many=True))
    def get(self, request: Request, pk: int) -> ApiResponse:
        responses = response_list_for_mention(mention=_mention(request, pk))
        return ApiResponse(ResponseSerializer(responses, many=True).data)

    @extend_schema(request=ResponseCreateSerializer, responses={201: ResponseSerializer})
    def post(self, request: Request, pk: int) -> ApiResponse:
        mention = _mention(request, pk)
        incoming = ResponseCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        response = response_create(
            mention=mention,
            text=data["text"],
            channel=data["channel"],
            by=_user(request),
            seen_response_id=data.get("seen_response_id"),
            confirm=data["confirm"],
        )
        return ApiResponse(ResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class MentionResponseCheckView(APIView):
    """The policy findings for a draft (banned phrases, signature, approval, length)."""

    @extend_schema(request=ResponseCheckSerializer, responses=CheckResultSerializer)
    def post(self, request: Request, pk: int) -> ApiResponse:
        mention = _mention(request, pk)
        incoming = ResponseCheckSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        check = response_check(
            mention=mention,
            text=incoming.validated_data["text"],
            channel=incoming.validated_data["channel"],
            by=_user(request),
        )
        return ApiResponse(
            {
                "text": check.text,
                "blocked": check.blocked,
                "findings": [asdict(finding) for finding in check.findings],
                "approval_reasons": check.approval_reasons,
            }
        )


class ResponsePagination(IdCursorPagination):
    ordering = "id"
    page_size_query_param = None


class ResponseListView(generics.ListAPIView):
    """Responses on the mentions the caller may see, oldest first; `status=pending_approval`
    is the approval queue."""

    serializer_class = ResponseSerializer
    pagination_class = ResponsePagination

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(ResponseStatus.values))])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return MentionResponse.objects.none()
        wanted = self.request.query_params.get("status", "")
        if wanted and wanted not in ResponseStatus.values:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"status": [f"one of {', '.join(ResponseStatus.values)}"]})
        return response_list_for_user(user=_user(self.request), status=wanted or None)


class ResponseApproveView(APIView):
    """Approve a reply waiting for approval: it is sent. Managers and up."""

    write_role = Role.MANAGER

    @extend_schema(request=ApproveSerializer, responses=ResponseSerializer)
    def post(self, request: Request, pk: int) -> ApiResponse:
        response = response_get_for_user(user=_user(request), response_id=int(pk))
        incoming = ApproveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        approved = response_approve(
            response=response,
            by=_user(request),
            confirm=incoming.validated_data["confirm"],
            text=incoming.validated_data.get("text"),
        )
        return ApiResponse(ResponseSerializer(approved).data)


class ResponseRejectView(APIView):
    """Reject a reply waiting for approval, with a reason its author sees. Managers and up."""

    write_role = Role.MANAGER

    @extend_schema(request=RejectSerializer, responses=ResponseSerializer)
    def post(self, request: Request, pk: int) -> ApiResponse:
        response = response_get_for_user(user=_user(request), response_id=int(pk))
        incoming = RejectSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rejected = response_reject(
            response=response, by=_user(request), reason=incoming.validated_data["reason"]
        )
        return ApiResponse(ResponseSerializer(rejected).data)


class ResponseRetryView(APIView):
    """Send a failed reply again."""

    @extend_schema(request=None, responses=ResponseSerializer)
    def post(self, request: Request, pk: int) -> ApiResponse:
        response = response_get_for_user(user=_user(request), response_id=int(pk))
        return ApiResponse(
            ResponseSerializer(response_retry(response=response, by=_user(request))).data
        )


class SavedReplyListView(generics.ListAPIView):
    """Saved replies (`language` also returns those for any language). Managers and up
    may add, change and delete them."""

    serializer_class = SavedReplySerializer
    pagination_class = None
    write_role = Role.MANAGER

    @extend_schema(parameters=[OpenApiParameter("language", str)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        language = self.request.query_params.get("language", "")[:8]
        return saved_reply_list(language=language or None)

    @extend_schema(request=SavedReplyWriteSerializer, responses={201: SavedReplySerializer})
    def post(self, request: Request) -> ApiResponse:
        incoming = SavedReplyWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        reply = saved_reply_create(data=incoming.validated_data, by=_user(request))
        return ApiResponse(SavedReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class SavedReplyDetailView(generics.GenericAPIView):
    serializer_class = SavedReplySerializer
    queryset = SavedReply.objects.none()
    write_role = Role.MANAGER

    def get(self, request: Request, pk: int) -> ApiResponse:
        return ApiResponse(SavedReplySerializer(saved_reply_get(reply_id=int(pk))).data)

    @extend_schema(request=SavedReplyWriteSerializer, responses=SavedReplySerializer)
    def patch(self, request: Request, pk: int) -> ApiResponse:
        incoming = SavedReplyWriteSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        reply = saved_reply_update(
            reply=saved_reply_get(reply_id=int(pk)),
            data=incoming.validated_data,
            by=_user(request),
        )
        return ApiResponse(SavedReplySerializer(reply).data)

    def delete(self, request: Request, pk: int) -> ApiResponse:
        saved_reply_delete(reply=saved_reply_get(reply_id=int(pk)), by=_user(request))
        return ApiResponse(status=status.HTTP_204_NO_CONTENT)
