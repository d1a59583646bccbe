"""Responses, policy checks and saved replies as the API reads and writes them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mentions.events import response_payload
from mentions.models import Channel, Response, SavedReply


class ResponsePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ResponseSerializer(serializers.ModelSerializer):
    """The same shape as the live `response.updated` event."""

    status_label = serializers.CharField(source="get_status_display")
    author = ResponsePersonSerializer()
    decided_by = ResponsePersonSerializer(allow_null=True)

    class Meta:
        model = Response
        fields: tuple[str, ...] = (
            "id",
            "mention_id",
            "channel",
            "status",
            "status_label",
            "text",
            "original_text",
            "author",
            "approval_reasons",
            "decided_by",
            "decided_at",
            "reject_reason",
            "external_id",
            "external_url",
            "error",
            "attempts",
            "created_at",
            "sent_at",
            "response_seconds",
            "is_first",
        )
        read_only_fields = fields

    def to_representation(self, instance: Response) -> dict[str, Any]:
        # One definition of the shape: the event payload, with datetimes as the API writes them.
        data = response_payload(instance)
        for name in ("decided_at", "created_at", "sent_at"):
            data[name] = serializers.DateTimeField().to_representation(data[name])
        return data


class ResponseCheckSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=False)
    channel = serializers.ChoiceField(choices=Channel.choices)


class ResponseCreateSerializer(ResponseCheckSerializer):
    seen_response_id = serializers.IntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="The newest response id the composer showed (0 for none). When someone "
        "answered since, the API answers 409 with who and when; send again with "
        "`confirm: true` to go ahead.",
    )
    confirm = serializers.BooleanField(default=False)


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    blocking = serializers.BooleanField()
    start = serializers.IntegerField(allow_null=True)
    end = serializers.IntegerField(allow_null=True)


class CheckResultSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The text as it would be sent (signature added).")
    blocked = serializers.BooleanField()
    findings = FindingSerializer(many=True)
    approval_reasons = serializers.ListField(child=serializers.CharField())


class ApproveSerializer(serializers.Serializer):
    text = serializers.CharField(
        required=False,
        max_length=20_000,
        help_text="The approver's edit, sent instead of the author's text (both are audited; "
        "the author's stays as original_text). Leave out to send the reply as written.",
    )
    confirm = serializers.BooleanField(
        default=False,
        help_text="Approve even though the mention was answered since the reply was written "
        "(otherwise 409 with who answered and when).",
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class SavedReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedReply
        fields: tuple[str, ...] = ("id", "title", "text", "language", "updated_at")
        read_only_fields = fields


class SavedReplyWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    text = serializers.CharField(max_length=10_000, required=False)
    language = serializers.CharField(max_length=8, required=False, allow_blank=True)
