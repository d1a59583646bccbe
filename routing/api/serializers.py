from __future__ import annotations

from typing import Any

from rest_framework import serializers

from routing.models import AssignmentMode, Department, RoutingRule, StaffMember, Team
from routing.services.matrix import RULE_FIELDS, SEGMENTS
from routing.sla import WEEKDAYS


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ("id", "slug", "name", "is_default", "lead_id")


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ("id", "slug", "name", "department_id", "assignment")


def _list(child: serializers.Field) -> serializers.ListField:
    return serializers.ListField(child=child, required=False)


class RuleSerializer(serializers.ModelSerializer):
    department: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    copy_to: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = RoutingRule
        fields: tuple[str, ...] = ("id", *RULE_FIELDS, "version", "updated_at")
        read_only_fields = fields


class RuleWriteSerializer(serializers.Serializer):
    """Every field optional on PATCH; the service validates values and reports each field."""

    name = serializers.CharField(max_length=200, required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    enabled = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)
    kinds = _list(serializers.CharField(max_length=20))
    aspects = _list(serializers.CharField(max_length=60))
    languages = _list(serializers.CharField(max_length=8))
    countries = _list(serializers.CharField(max_length=2))
    sentiments = _list(serializers.CharField(max_length=10))
    source_kinds = _list(serializers.CharField(max_length=20))
    source_ids = _list(serializers.IntegerField())
    segments = _list(serializers.CharField(max_length=20))
    min_followers = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    min_influence = serializers.FloatField(required=False, allow_null=True)
    min_cluster_size = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    keywords = _list(serializers.CharField(max_length=100))
    query = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    department = serializers.CharField(required=False, help_text="Department slug")
    team = serializers.IntegerField(required=False, allow_null=True)
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    priority = serializers.IntegerField(required=False, min_value=1, max_value=4)
    ignore = serializers.BooleanField(required=False)
    escalate = serializers.BooleanField(required=False)
    require_approval = serializers.BooleanField(required=False)
    copy_to = serializers.CharField(required=False, allow_null=True, help_text="Department slug")


class ReorderSerializer(serializers.Serializer):
    rule_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class TryAuthorSerializer(serializers.Serializer):
    handle = serializers.CharField(max_length=200, required=False, default="")
    followers = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, default=0
    )


class TrySerializer(serializers.Serializer):
    """A mention to route without storing it. Missing triage fields are triaged from text."""

    text = serializers.CharField(max_length=200_000, trim_whitespace=False)
    kind = serializers.CharField(max_length=20, required=False)
    language = serializers.CharField(max_length=8, required=False)
    sentiment = serializers.CharField(max_length=10, required=False)
    aspects = _list(serializers.CharField(max_length=60))
    country = serializers.CharField(max_length=2, required=False, default="")
    author = TryAuthorSerializer(required=False)
    source_id = serializers.IntegerField(required=False, allow_null=True)


class TryResultSerializer(serializers.Serializer):
    triage = serializers.DictField()
    rule = serializers.DictField(allow_null=True)
    department = DepartmentSerializer(allow_null=True)
    team_id = serializers.IntegerField(allow_null=True)
    assignee_id = serializers.IntegerField(allow_null=True)
    priority = serializers.IntegerField()
    reason = serializers.CharField()
    actions = serializers.DictField()


class PresetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    rules = serializers.IntegerField()


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_name = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.IntegerField(allow_null=True)
    summary = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class DepartmentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    slug = serializers.CharField(
        max_length=50, required=False, help_text="On create only; made from the name if left out"
    )
    lead_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="User id of a member of this client"
    )


class TeamWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    slug = serializers.CharField(max_length=50, required=False, help_text="On create only")
    department = serializers.CharField(required=False, help_text="Department slug")
    assignment = serializers.ChoiceField(choices=AssignmentMode.choices, required=False)


class StaffSerializer(serializers.ModelSerializer):
    departments: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    teams: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    on_shift_now = serializers.SerializerMethodField(
        help_text="The switch is on and, if there is a schedule, now is inside a shift."
    )

    class Meta:
        model = StaffMember
        fields = (
            "user_id",
            "name",
            "departments",
            "teams",
            "languages",
            "countries",
            "tags",
            "max_open",
            "on_shift",
            "shifts",
            "timezone",
            "on_shift_now",
        )
        read_only_fields = fields

    def to_representation(self, instance: StaffMember) -> dict[str, Any]:
        data = super().to_representation(instance)
        # jsonb keeps its own key order; answer with the week in order.
        data["shifts"] = {day: data["shifts"][day] for day in WEEKDAYS if day in data["shifts"]}
        return data

    def get_on_shift_now(self, member: StaffMember) -> bool:
        return bool(self.context.get("on_shift_now", {}).get(member.user_id, False))


class StaffWriteSerializer(serializers.Serializer):
    """Staff fields; the service checks values (departments, teams, codes, shifts)."""

    user_id = serializers.IntegerField(
        required=False, help_text="On create: a user with a membership in this client"
    )
    departments = _list(serializers.CharField(max_length=50))
    teams = _list(serializers.IntegerField())
    languages = _list(serializers.CharField(max_length=8))
    countries = _list(serializers.CharField(max_length=2))
    tags = _list(serializers.CharField(max_length=40))
    max_open = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    on_shift = serializers.BooleanField(
        required=False, help_text="The manual switch; off means away now, whatever the shifts"
    )
    shifts = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=20)),
        required=False,
        help_text='Weekly shifts, e.g. {"mon": ["08:00-16:00"], "fri": ["22:00-06:00"]}',
    )
    timezone = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text="Blank: the client's"
    )


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    link = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=500,
        help_text="Notifications to mark read; leave out to mark all read.",
    )


class NotificationReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class ResponsePolicySerializer(serializers.Serializer):
    banned_phrases = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False
    )
    require_signature = serializers.BooleanField(required=False)
    approval_uncertified = serializers.BooleanField(required=False)
    approval_crisis = serializers.BooleanField(required=False)
    approval_min_followers = serializers.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        help_text="null: no follower limit",
    )
    approval_segments = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SEGMENTS)),
        required=False,
        help_text="Author segments whose public replies need approval",
    )
    version = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class StaffCertificationSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    certified = serializers.BooleanField()
    certified_at = serializers.DateTimeField(read_only=True, allow_null=True)
    signature = serializers.CharField(max_length=100, required=False, allow_blank=True)
