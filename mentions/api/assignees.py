"""`GET /api/v1/mentions/{id}/assignees?q=`: colleagues a manager may give the mention to,
with their open load and whether they are on shift (the typeahead on the mention page)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from mentions.assignees import mention_assignees
from mentions.selectors import mention_get_for_user


class AssigneeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    open_load = serializers.IntegerField(help_text="Open mentions they hold now")
    max_open = serializers.IntegerField(allow_null=True, help_text="Their limit; null: none")
    on_shift = serializers.BooleanField(
        allow_null=True, help_text="On shift now; null: no staff entry (no shift plan)"
    )
    display = serializers.CharField(source="label", help_text="Name, load and shift in words")


class MentionAssigneesView(APIView):
    """Managers and up: who may take this mention (responders and up who may see it),
    matching `q` in name or e-mail; on shift first, then the least loaded."""

    read_role = Role.MANAGER

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=False, description="Name or e-mail")],
        responses=AssigneeSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        mention = mention_get_for_user(user=request.user, mention_id=int(pk))  # type: ignore[arg-type]
        query = request.query_params.get("q", "")
        people = mention_assignees(mention=mention, query=query)
        return Response(AssigneeSerializer(people, many=True).data)
