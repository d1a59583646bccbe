from __future__ import annotations

from typing import Any

from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import client_member_get
from config.errors import DomainError
from config.pagination import IdCursorPagination, OffsetPagination
from config.tenancy import current_client
from mentions.api.serializers import (
    BulkOutcomeSerializer,
    BulkSerializer,
    ClusterActionSerializer,
    ClusterSerializer,
    MentionDetailSerializer,
    MentionPatchSerializer,
    MentionSerializer,
    NoteCreateSerializer,
    NoteSerializer,
)
from mentions.clusters import cluster_act
from mentions.models import Channel, Mention, Note, ProblemCluster, Segment, Sentiment, Status
from mentions.responses import cluster_respond
from mentions.search import MAX_SEARCH_LENGTH, search_parse
from mentions.selectors import (
    DEFAULT_SORT,
    SORTS,
    cluster_get_for_user,
    cluster_list_for_user,
    mention_get_for_user,
    mention_list_for_user,
    note_list_for_user,
)
from mentions.services import (
    CORRECTABLE,
    mention_assign,
    mention_correct,
    mention_set_status,
    mentions_bulk,
    note_add,
)


class MentionCursorPagination(IdCursorPagination):
    ordering = "-id"


class MentionOldestPagination(IdCursorPagination):
    ordering = "id"


class MentionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Status.choices)
    department = filters.CharFilter(help_text="Department slug")
    language = filters.CharFilter(max_length=8)
    sentiment = filters.ChoiceFilter(choices=Sentiment.choices)
    segment = filters.ChoiceFilter(choices=Segment.choices, help_text="Author segment")
    since = filters.IsoDateTimeFilter(help_text="Published at or after (ISO 8601)")
    q = filters.CharFilter(
        max_length=MAX_SEARCH_LENGTH,
        help_text="Search text, author and URL: the listening query language "
        '(`"app" AND login NOT spam lang:de`) or plain words',
    )
    sort = filters.ChoiceFilter(
        choices=list(SORTS.items()),
        help_text="newest (default), oldest, sla (first answer due first), priority, influence",
    )

    class Meta:
        model = Mention
        fields: list[str] = []


class MentionListView(generics.ListAPIView):
    """The client's mentions, newest first, with cursor pagination. `q` searches (the
    listening query language or plain words; 400 with the position of a syntax error),
    `sort` orders: newest and oldest page by cursor, the other orders by `offset`."""

    serializer_class = MentionSerializer
    pagination_class = MentionCursorPagination
    filterset_class = MentionFilter

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_sorted_paginator"):
            sort = self.request.query_params.get("sort") or DEFAULT_SORT
            paginators = {"newest": MentionCursorPagination, "oldest": MentionOldestPagination}
            self._sorted_paginator = paginators.get(sort, OffsetPagination)()
        return self._sorted_paginator

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
            segment=data.get("segment") or None,
            since=data.get("since"),
            search=search_parse(text=data.get("q") or ""),
            sort=data.get("sort") or DEFAULT_SORT,
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
        corrections = {k: v for k, v in data.items() if k in CORRECTABLE}
        if corrections:
            mention = mention_correct(mention=mention, changes=corrections, by=user, origin="api")
        return Response(MentionDetailSerializer(mention).data)


class NotePagination(IdCursorPagination):
    ordering = "id"


class MentionNotesView(generics.ListAPIView):
    """Internal notes on a mention, oldest first. Responders and up add notes; `@name`
    notifies colleagues who may see the mention, as in the web inbox."""

    serializer_class = NoteSerializer
    pagination_class = NotePagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no request
            return Note.objects.none()
        return note_list_for_user(
            user=self.request.user,  # type: ignore[arg-type]
            mention_id=int(self.kwargs["pk"]),
        )

    @extend_schema(request=NoteCreateSerializer, responses={201: NoteSerializer})
    def post(self, request: Request, pk: int) -> Response:
        mention = mention_get_for_user(user=request.user, mention_id=int(pk))  # type: ignore[arg-type]
        incoming = NoteCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        note: Note = note_add(
            mention=mention,
            text=incoming.validated_data["text"],
            by=request.user,  # type: ignore[arg-type]
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class MentionBulkView(generics.GenericAPIView):
    """One care action on up to 200 mentions: assign_me, unassign, resolved, waiting,
    ignored or new. Each id gets an outcome (changed, unchanged, not_found, failed); ids of
    mentions the caller may not see are `not_found`, like ids that do not exist."""

    serializer_class = BulkSerializer
    queryset = Mention.objects.none()

    @extend_schema(request=BulkSerializer, responses=BulkOutcomeSerializer)
    def post(self, request: Request) -> Response:
        incoming = BulkSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        outcome = mentions_bulk(
            mention_ids=incoming.validated_data["ids"],
            action=incoming.validated_data["action"],
            by=request.user,  # type: ignore[arg-type]
        )
        results = [
            {"id": r.id, "outcome": r.outcome, **({"message": r.message} if r.message else {})}
            for r in outcome.results
        ]
        return Response({"changed": outcome.changed, "results": results})


class ClusterListView(generics.ListAPIView):
    """Open problem clusters (`?status=all` for every one), newest first."""

    serializer_class = ClusterSerializer
    pagination_class = MentionCursorPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no request
            return ProblemCluster.objects.none()
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


class ClusterAnswerSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000)
    channel = serializers.ChoiceField(choices=Channel.choices)
    resolve = serializers.BooleanField(default=False)


class ClusterAnswerResultSerializer(serializers.Serializer):
    answered = serializers.ListField(child=serializers.IntegerField())
    pending_approval = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.ListField(child=serializers.DictField())
    resolved = serializers.IntegerField()


class ClusterAnswerView(generics.GenericAPIView):
    """One reply to every open, unanswered report of a problem case (write scope)."""

    serializer_class = ClusterAnswerSerializer
    queryset = ProblemCluster.objects.none()

    @extend_schema(request=ClusterAnswerSerializer, responses=ClusterAnswerResultSerializer)
    def post(self, request: Request, pk: int) -> Response:
        cluster = cluster_get_for_user(user=request.user, cluster_id=int(pk))  # type: ignore[arg-type]
        body = ClusterAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = cluster_respond(cluster=cluster, by=request.user, **body.validated_data)  # type: ignore[arg-type]
        return Response(
            {
                "answered": outcome.answered,
                "pending_approval": outcome.pending_approval,
                "skipped": [{"mention": m, "reason": r} for m, r in outcome.skipped],
                "resolved": outcome.resolved,
            }
        )
