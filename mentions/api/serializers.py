from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mentions.clusters import CLUSTER_ACTIONS
from mentions.models import Author, Mention, ProblemCluster, Status


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ("id", "network", "handle", "name", "followers", "mention_count")


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class RoutingSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class MentionSerializer(serializers.ModelSerializer):
    """A mention as the API and the live events show it (the same shape in both)."""

    author = AuthorSerializer()
    department = DepartmentRefSerializer(allow_null=True)
    assignee = PersonSerializer(allow_null=True)
    routing = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Mention
        fields: tuple[str, ...] = (
            "id",
            "source_id",
            "external_id",
            "url",
            "text",
            "published_at",
            "received_at",
            "author",
            "in_reply_to",
            "language",
            "sentiment",
            "sentiment_score",
            "kind",
            "department",
            "routing",
            "priority",
            "status",
            "assignee",
            "updated_at",
            "resolved_at",
            "sla",
            "cluster_id",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_sla(self, mention: Mention) -> dict[str, Any]:
        def iso(value: Any) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "state": mention.sla_state,
            "first_response_due": iso(mention.first_response_due),
            "resolution_due": iso(mention.resolution_due),
            "first_response_at": iso(mention.first_response_at),
            "paused": mention.sla_paused_at is not None,
        }

    def get_routing(self, mention: Mention) -> dict[str, Any]:
        return {"rule_id": mention.routing_rule_id, "reason": mention.routing_reason}


class MentionDetailSerializer(MentionSerializer):
    class Meta(MentionSerializer.Meta):
        fields = (*MentionSerializer.Meta.fields, "raw")
        read_only_fields = fields


class MentionPatchSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    assignee = serializers.IntegerField(
        required=False, allow_null=True, help_text="User id of a responder, or null."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one of: status, assignee.")
        return attrs


class ClusterSerializer(serializers.ModelSerializer):
    """A problem cluster: one case for many reports of the same problem."""

    department = DepartmentRefSerializer(allow_null=True)
    count = serializers.IntegerField(source="member_count")

    class Meta:
        model = ProblemCluster
        fields: tuple[str, ...] = (
            "id",
            "title",
            "aspect",
            "count",
            "first_seen",
            "last_seen",
            "status",
            "department",
            "updated_at",
            "resolved_at",
        )
        read_only_fields: tuple[str, ...] = fields


class ClusterActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(CLUSTER_ACTIONS))
