from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mentions.clusters import CLUSTER_ACTIONS
from mentions.models import Kind, ProblemCluster, Sentiment, Status
from mentions.payloads import (
    DepartmentRefSerializer,
    MentionSerializer,
)
from mentions.services import BULK_ACTIONS, MAX_BULK, MAX_NOTE


class MentionDetailSerializer(MentionSerializer):
    class Meta(MentionSerializer.Meta):
        fields = (*MentionSerializer.Meta.fields, "raw")
        read_only_fields = fields


class MentionPatchSerializer(serializers.Serializer):
    """Care actions and triage corrections. Corrections (sentiment, kind, aspects, relevant,
    department) are stored as labels the client's triage models learn from."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    assignee = serializers.IntegerField(
        required=False, allow_null=True, help_text="User id of a responder, or null."
    )
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    aspects = serializers.ListField(
        child=serializers.SlugField(max_length=60), required=False, max_length=50
    )
    relevant = serializers.BooleanField(required=False)
    department = serializers.IntegerField(
        required=False, min_value=1, help_text="Move the mention to this department."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                "Send at least one of: status, assignee, sentiment, kind, aspects, relevant, "
                "department."
            )
        return attrs


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mention_id = serializers.IntegerField()
    author_id = serializers.IntegerField()
    author_name = serializers.CharField()
    text = serializers.CharField()
    mentioned_user_ids = serializers.ListField(child=serializers.IntegerField())
    created_at = serializers.DateTimeField()


class NoteCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=MAX_NOTE,
        trim_whitespace=False,
        help_text="The note; `@firstname`, `@first.last` or `@email-name` notifies colleagues "
        "who may see the mention.",
    )


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=MAX_BULK,
        help_text=f"Up to {MAX_BULK} mention ids.",
    )
    action = serializers.ChoiceField(choices=BULK_ACTIONS)


class BulkResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["changed", "unchanged", "not_found", "failed"])
    message = serializers.CharField(required=False)


class BulkOutcomeSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
    results = BulkResultSerializer(many=True)


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
