from __future__ import annotations

from rest_framework import serializers

from sources.models import IngestBatch, Source, SourceKind


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields: tuple[str, ...] = ("id", "kind", "name", "network", "enabled", "created_at")
        read_only_fields: tuple[str, ...] = ("id", "enabled", "created_at")


class SourceCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=[SourceKind.WEBHOOK], default=SourceKind.WEBHOOK, required=False
    )
    network = serializers.SlugField(max_length=50, default="web", required=False)


class SourceDetailSerializer(serializers.ModelSerializer):
    """One source with its settings and health; errors in plain language and raw."""

    class Meta:
        model = Source
        fields: tuple[str, ...] = (
            "id",
            "kind",
            "name",
            "network",
            "enabled",
            "created_at",
            "config",
            "poll_interval_seconds",
            "apply_queries",
            "last_polled_at",
            "last_success_at",
            "last_error_at",
            "last_error",
            "last_error_detail",
            "consecutive_failures",
        )
        read_only_fields = fields


class SourceUpdateSerializer(serializers.Serializer):
    """PATCH: any of these; settings are checked by the source's connector."""

    name = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(required=False)
    poll_interval_seconds = serializers.IntegerField(required=False)
    apply_queries = serializers.BooleanField(required=False)
    config = serializers.DictField(required=False)
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        write_only=True,
    )


class SourceCreatedSerializer(SourceSerializer):
    """Returned once, at creation: the secret that signs pushes to this source."""

    class Meta(SourceSerializer.Meta):
        fields = (*SourceSerializer.Meta.fields, "secret")
        read_only_fields = fields


class ItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField()  # type: ignore[assignment]


class PushResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    batch_id = serializers.IntegerField(allow_null=True)
    errors = ItemErrorSerializer(many=True)  # type: ignore[assignment]


class BatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = IngestBatch
        fields = (
            "id",
            "source_id",
            "status",
            "received",
            "stored",
            "duplicates",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields
