"""The shape of a mention on the wire: one serializer for the REST API and the live
events, so an inbox row looks the same whichever way it arrived. It sits below both."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mentions.models import Author, Mention


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = (
            "id",
            "network",
            "handle",
            "name",
            "followers",
            "following",
            "posts_count",
            "mention_count",
            "influence",
            "segment",
        )


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
            "aspects",
            "relevant",
            "relevance_score",
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
