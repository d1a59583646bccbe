from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed, UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.throttling import push_rate_check
from config.errors import DomainError
from config.tenancy import current_client
from sources.api.serializers import (
    BatchSerializer,
    PushResultSerializer,
    SourceCreatedSerializer,
    SourceCreateSerializer,
    SourceDetailSerializer,
    SourceSerializer,
    SourceUpdateSerializer,
)
from sources.formats import BodyError, MentionBatchInSerializer, json_body_parse
from sources.models import IngestBatch, Source
from sources.services import SIGNATURE_HEADER, mentions_submit, signature_is_valid, source_create
from sources.services.editing import source_delete, source_update
from sources.services.ingest import TIMESTAMP_HEADER


class SourceListCreateView(generics.ListAPIView):
    """The client's sources. Creating one needs the client_admin role."""

    serializer_class = SourceSerializer
    queryset = Source.objects.all()
    pagination_class = None
    write_role = Role.CLIENT_ADMIN

    @extend_schema(request=SourceCreateSerializer, responses={201: SourceCreatedSerializer})
    def post(self, request: Request) -> Response:
        incoming = SourceCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        source = source_create(**incoming.validated_data)
        return Response(SourceCreatedSerializer(source).data, status=status.HTTP_201_CREATED)


class SourceDetailView(APIView):
    """One source: read it (members), change or delete it (client admins). Deleting is soft:
    the source stops and leaves every list; its mentions stay."""

    read_role = Role.MANAGER  # as the sources page: settings and raw errors
    write_role = Role.CLIENT_ADMIN

    def _source(self, pk: int) -> Source:
        source = Source.objects.filter(pk=pk).first()
        if source is None:
            raise Http404("No such source")
        return source

    @extend_schema(responses={200: SourceDetailSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(SourceDetailSerializer(self._source(pk)).data)

    @extend_schema(request=SourceUpdateSerializer, responses={200: SourceDetailSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        source = self._source(pk)
        if not isinstance(request.data, dict):
            raise DomainError("Send a JSON object.", fields={"non_field_errors": ["not an object"]})
        unknown = sorted(set(request.data) - set(SourceUpdateSerializer().fields))
        if unknown:
            raise DomainError(
                "The request has invalid fields.",
                fields={str(key)[:50]: ["not editable"] for key in unknown[:20]},
            )
        incoming = SourceUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        changes = dict(incoming.validated_data)
        credentials = changes.pop("credentials", None)
        source = source_update(
            source=source, changes=changes, by=request.user, credentials=credentials
        )
        return Response(SourceDetailSerializer(source).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        source_delete(source=self._source(pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MentionPushView(APIView):
    """Push up to 1,000 mentions, signed with the source's secret.

    Header `X-Lotse-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. With
    `X-Lotse-Timestamp: <unix seconds>` the HMAC covers `<timestamp>.<raw body>` and the push
    is refused when the timestamp is more than 5 minutes off (replays). The body must be
    `application/json` (415 otherwise). Valid items are kept even when others are invalid;
    the answer lists each rejected item by index.
    """

    authentication_classes: list = []  # the signature is the authentication
    permission_classes: list = []

    @extend_schema(
        request=MentionBatchInSerializer,
        responses={202: PushResultSerializer},
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>",
            ),
            OpenApiParameter(
                TIMESTAMP_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Unix seconds; then the HMAC covers '<timestamp>.<raw body>' and "
                "pushes more than 5 minutes off are refused",
            ),
        ],
        auth=[],
    )
    def post(self, request: Request, pk: int) -> Response:
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType(
                request.content_type,
                detail="Push mentions as JSON (Content-Type: application/json).",
            )
        body = request.body
        source = Source.objects.filter(pk=pk, enabled=True).first()
        header = request.headers.get(SIGNATURE_HEADER)
        stamp = request.headers.get(TIMESTAMP_HEADER)
        if source is None or not signature_is_valid(
            source=source, body=body, header=header, timestamp=stamp
        ):
            raise AuthenticationFailed(
                f"Missing or invalid {SIGNATURE_HEADER} for this source"
                + (f", or {TIMESTAMP_HEADER} more than 5 minutes off." if stamp else ".")
            )
        push_rate_check(request=request._request, client=current_client(), source_id=source.pk)
        try:
            payload = json_body_parse(body)
        except BodyError as exc:
            raise DomainError(str(exc)) from exc
        items = payload.get("mentions") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise DomainError(
                'The body must be {"mentions": [...]}.', fields={"mentions": ["required list"]}
            )
        if len(items) > settings.LOTSE_MAX_BATCH:
            raise DomainError(
                f"At most {settings.LOTSE_MAX_BATCH} mentions per request; got {len(items)}.",
                fields={"mentions": ["too many"]},
            )
        result = mentions_submit(source=source, items=items)
        body_out = {
            "accepted": result.accepted,
            "rejected": len(result.errors),
            "batch_id": result.batch_ids[0] if result.batch_ids else None,
            "errors": result.errors,
        }
        return Response(body_out, status=status.HTTP_202_ACCEPTED)

    def get_authenticate_header(self, request: Request) -> str:
        return SIGNATURE_HEADER


class BatchDetailView(generics.RetrieveAPIView):
    """How a pushed batch fared: stored and duplicate counts once the worker is done."""

    serializer_class = BatchSerializer

    def get_object(self) -> IngestBatch:
        batch = IngestBatch.objects.filter(
            pk=self.kwargs["batch_id"], source_id=self.kwargs["pk"]
        ).first()
        if batch is None:
            raise Http404
        return batch
