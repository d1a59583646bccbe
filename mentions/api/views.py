from __future__ import annotations

from typing import Any

from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import client_member_get
from config.errors import DomainError
from config.tenancy import current_client
from mentions.api.serializers import (
    ClusterActionSerializer,
    ClusterSerializer,
    MentionDetailSerializer,
    MentionPatchSerializer,
    MentionSerializer,
)
from mentions.clusters import cluster_act
from mentions.models import Mention, ProblemCluster, Sentiment, Status
from mentions.selectors import (
    cluster_get_for_user,
    cluster_list_for_user,
    mention_get_for_user,
    mention_list_for_user,
)
from mentions.services import mention_assign, mention_set_status


class MentionCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        position = None if cursor is None else cursor.position
        if position is not None and not (str(position).isascii() and str(position).isdigit()):
            raise NotFound(self.invalid_cursor_message)
        return cursor


class MentionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Status.choices)
    department = filters.CharFilter(help_text="Department slug")
    language = filters.CharFilter(max_length=8)
    sentiment = filters.ChoiceFilter(choices=Sentiment.choices)
    since = filters.IsoDateTimeFilter(help_text="Published at or after (ISO 8601)")

    class Meta:
        model = Mention
        fields: list[str] = []


class MentionListView(generics.ListAPIView):
    """The client's mentions, newest first, with cursor pagination."""

    serializer_class = MentionSerializer
    pagination_class = MentionCursorPagination
    filterset_class = MentionFilter

    def get_queryset(self) -> Any:
        return Mention.objects.none()  # the schema only; `filter_queryset` asks the selector

    def filter_queryset(self, queryset: Any) -> Any:
        # django-filter validates the query (400 with field errors on bad input); the
        # selector applies it, so the web inbox and the API filter the same way.
        filterset = self.filterset_class(self.request.query_params, queryset=queryset)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        data = filterset.form.cleaned_data
        return mention_list_for_user(
            user=self.request.user,  # type: ignore[arg-type]
            status=data.get("status") or None,
            department=data.get("department") or None,
            language=data.get("language") or None,
            sentiment=data.get("sentiment") or None,
            since=data.get("since"),
        )


class MentionDetailView(generics.GenericAPIView):
    serializer_class = MentionDetailSerializer
    queryset = Mention.objects.none()

    def get_object(self) -> Mention:
        return mention_get_for_user(
            user=self.request.user,  # type: ignore[arg-type]
            mention_id=int(self.kwargs["pk"]),
        )

    def get(self, request: Request, pk: int) -> Response:
        return Response(MentionDetailSerializer(self.get_object()).data)

    @extend_schema(request=MentionPatchSerializer, responses=MentionDetailSerializer)
    @transaction.atomic
    def patch(self, request: Request, pk: int) -> Response:
        mention = self.get_object()
        patch = MentionPatchSerializer(data=request.data)
        patch.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        data = patch.validated_data
        if "assignee" in data:
            assignee = None
            if data["assignee"] is not None:
                assignee = client_member_get(client=current_client(), user_id=data["assignee"])
                if assignee is None:
                    raise DomainError(
                        "No such member of this client.",
                        fields={"assignee": ["unknown user for this client"]},
                    )
            mention = mention_assign(mention=mention, assignee=assignee, by=user)
        if "status" in data:
            mention = mention_set_status(mention=mention, status=data["status"], by=user)
        return Response(MentionDetailSerializer(mention).data)


class ClusterListView(generics.ListAPIView):
    """Open problem clusters (`?status=all` for every one), newest first."""

    serializer_class = ClusterSerializer
    pagination_class = MentionCursorPagination

    def get_queryset(self) -> Any:
        status = self.request.query_params.get("status", "open")
        if status not in {"open", "all"}:
            raise ValidationError({"status": ["one of: open, all"]})
        return cluster_list_for_user(
            user=self.request.user,  # type: ignore[arg-type]
            open_only=status == "open",
        )


class ClusterDetailView(generics.GenericAPIView):
    serializer_class = ClusterSerializer
    queryset = ProblemCluster.objects.none()

    def get(self, request: Request, pk: int) -> Response:
        cluster = cluster_get_for_user(user=request.user, cluster_id=int(pk))  # type: ignore[arg-type]
        return Response(ClusterSerializer(cluster).data)

    @extend_schema(request=ClusterActionSerializer, responses=ClusterSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Apply a care action (assign_me, waiting, resolved, new) to all its members."""
        cluster = cluster_get_for_user(user=request.user, cluster_id=int(pk))  # type: ignore[arg-type]
        body = ClusterActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cluster_act(cluster=cluster, action=body.validated_data["action"], by=request.user)  # type: ignore[arg-type]
        cluster.refresh_from_db()
        return Response(ClusterSerializer(cluster).data)
