"""The shape of a mention on the wire: one serializer for the REST API and the live
events, so an inbox row looks the same whichever way it arrived. It sits below both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


# --- The webhook wire: a plain, light shape built from one values() query per batch -------

_WIRE_COLUMNS = (
    "id",
    "external_id",
    "source_id",
    "url",
    "text",
    "published_at",
    "received_at",
    "author__handle",
    "author__name",
    "language",
    "sentiment",
    "kind",
    "aspects",
    "relevant",
    "department_id",
    "department__slug",
    "department__name",
    "routing_rule_id",
    "routing_reason",
    "priority",
    "status",
    "assignee_id",
    "cluster_id",
    "updated_at",
)


def mention_wire(row: Mapping[str, Any]) -> dict[str, Any]:
    """A mention in webhook payloads (`data.mention`), from a row of `_WIRE_COLUMNS`."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    department_id = row["department_id"]
    return {
        "id": row["id"],
        "external_id": row["external_id"],
        "source_id": row["source_id"],
        "url": row["url"],
        "text": row["text"],
        "published_at": iso(row["published_at"]),
        "received_at": iso(row["received_at"]),
        "author": {"handle": row["author__handle"], "name": row["author__name"]},
        "language": row["language"],
        "sentiment": row["sentiment"],
        "kind": row["kind"],
        "aspects": list(row["aspects"] or []),
        "relevant": row["relevant"],
        "department": (
            None
            if department_id is None
            else {
                "id": department_id,
                "slug": row["department__slug"],
                "name": row["department__name"],
            }
        ),
        "routing": {"rule_id": row["routing_rule_id"], "reason": row["routing_reason"]},
        "priority": row["priority"],
        "status": row["status"],
        "assignee_id": row["assignee_id"],
        "cluster_id": row["cluster_id"],
        "updated_at": iso(row["updated_at"]),
    }


def mentions_wire(*, mention_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The webhook shape of many mentions in one query, by id."""
    rows = Mention.objects.filter(id__in=mention_ids).order_by("id").values(*_WIRE_COLUMNS)
    return [mention_wire(row) for row in rows]
