"""Wire shapes of training. A quiz is sent without its key: choices carry no `correct`
and questions no explanation unless an author asks for the key (`?key=1`)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from routing.training.models import (
    Acknowledgement,
    Assignment,
    Certificate,
    CertificationLevel,
    Guideline,
    Module,
)


class ChoiceQuizSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class QuestionQuizSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    multiple = serializers.BooleanField()
    choices = serializers.SerializerMethodField()

    def get_choices(self, question: Any) -> list[dict[str, Any]]:
        key = self.context.get("key", False)
        return [
            {"id": c.pk, "text": c.text, **({"correct": c.correct} if key else {})}
            for c in question.choices.all()
        ]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("key", False):
            data["explanation"] = instance.explanation
        return data


class ModuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Module
        fields = (
            "id",
            "title",
            "summary",
            "pass_mark",
            "max_attempts",
            "cooldown_minutes",
            "library_slug",
            "updated_at",
        )


class ModuleDetailSerializer(ModuleSerializer):
    questions = serializers.SerializerMethodField()

    class Meta(ModuleSerializer.Meta):
        fields = (*ModuleSerializer.Meta.fields, "lesson", "questions")  # type: ignore[assignment]

    def get_questions(self, module: Module) -> list[dict[str, Any]]:
        return QuestionQuizSerializer(module.questions.all(), many=True, context=self.context).data  # type: ignore[return-value]


class ChoiceWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=300)
    correct = serializers.BooleanField(default=False)


class QuestionWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    explanation = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    multiple = serializers.BooleanField(default=False)
    choices = ChoiceWriteSerializer(many=True)


class ModuleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=300)
    lesson = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    pass_mark = serializers.FloatField(required=False, min_value=0.01, max_value=1)
    max_attempts = serializers.IntegerField(required=False, min_value=0, max_value=100)
    cooldown_minutes = serializers.IntegerField(required=False, min_value=0, max_value=43_200)
    questions = QuestionWriteSerializer(many=True, required=False)


class AttemptWriteSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))


class LevelSerializer(serializers.ModelSerializer):
    module_ids: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        source="modules", many=True, read_only=True
    )

    class Meta:
        model = CertificationLevel
        fields = (
            "id",
            "name",
            "rank",
            "module_ids",
            "validity_months",
            "for_crisis",
            "for_segments",
        )


class LevelWriteSerializer(serializers.Serializer):
    module_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    validity_months = serializers.IntegerField(required=False, min_value=1, max_value=120)
    for_crisis = serializers.BooleanField(required=False)
    for_segments = serializers.ListField(child=serializers.CharField(), required=False)


class CertificateSerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="level.name")
    valid = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = (
            "id",
            "user_id",
            "level",
            "source",
            "issued_at",
            "expires_at",
            "revoked_at",
            "valid",
        )

    def get_valid(self, cert: Certificate) -> bool:
        now = self.context["now"]
        return cert.revoked_at is None and cert.expires_at > now


class AttemptResultSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    score = serializers.FloatField()
    certificate = CertificateSerializer(allow_null=True)
    certificates = CertificateSerializer(many=True)
    results = serializers.DictField()


class AssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assignment
        fields = ("id", "module", "role", "department", "due_date", "created_at")


class AssignmentWriteSerializer(serializers.Serializer):
    module = serializers.IntegerField()
    role = serializers.CharField(required=False, allow_blank=True, default="")
    department = serializers.IntegerField(required=False, allow_null=True, default=None)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class GuidelineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Guideline
        fields = ("id", "version", "title", "body", "published_at", "published_by_id")


class GuidelineWriteSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    body = serializers.CharField(max_length=50_000)


class AcknowledgementSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="guideline.version")

    class Meta:
        model = Acknowledgement
        fields = ("id", "user_id", "version", "acknowledged_at")


class LibraryModuleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    questions = serializers.SerializerMethodField()

    def get_questions(self, template: Any) -> int:
        return len(template.questions or [])
