"""Report API: the query parameters (validated here, 400 in the one error shape) and the
answers' shapes (for the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mentions.vocabulary import Kind
from reports.figures import CARE_BY, INTERVALS, MAX_BUCKETS, MAX_DAYS, TOP, bucket_count, period_for
from reports.tables import TABLES
from routing.models import Department

DIMENSION_FIELDS = ("source", "language", "department", "aspect", "kind")


class ReportParamsSerializer(serializers.Serializer):
    """`from` and `to` are days (inclusive) in the client's time zone; by default the last
    30 days. The filters narrow every figure."""

    from_ = serializers.DateField(required=False, help_text="First day (ISO date)")
    to = serializers.DateField(required=False, help_text="Last day, inclusive (ISO date)")
    source_ = serializers.IntegerField(required=False, min_value=1, help_text="Source id")
    language = serializers.RegexField(r"^[a-z]{2,3}$", required=False)
    department = serializers.SlugField(required=False, help_text="Department slug")
    aspect = serializers.SlugField(required=False, max_length=60, help_text="Aspect slug")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword
        fields["source"] = fields.pop("source_")  # a serializer field's own attribute
        return fields

    def validate_department(self, slug: str) -> int:
        department = Department.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if department is None:
            raise serializers.ValidationError("No such department.")
        return department

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs.get("from"), attrs.get("to")
        if first and last and first > last:
            raise serializers.ValidationError({"from": ["must not be after `to`"]})
        period = period_for(first=first, last=last)
        if period.days > MAX_DAYS:
            raise serializers.ValidationError({"from": [f"at most {MAX_DAYS} days at once"]})
        attrs["period"] = period
        return attrs


class VolumeParamsSerializer(ReportParamsSerializer):
    interval = serializers.ChoiceField(choices=INTERVALS, default="day")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if bucket_count(period=attrs["period"], interval=attrs["interval"]) > MAX_BUCKETS:
            raise serializers.ValidationError(
                {"interval": [f"too many buckets (at most {MAX_BUCKETS}); use a longer interval"]}
            )
        return attrs


class CareParamsSerializer(ReportParamsSerializer):
    by = serializers.ChoiceField(choices=CARE_BY, default="department")


class TableParamsSerializer(ReportParamsSerializer):
    table = serializers.ChoiceField(choices=TABLES, help_text="Which table of the report")


class TopParamsSerializer(ReportParamsSerializer):
    what = serializers.ChoiceField(choices=TOP)


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601 with the offset the value carries (the client's zone), not converted."""

    def to_representation(self, value: Any) -> str:
        return str(value.isoformat())


class VolumePointSerializer(serializers.Serializer):
    start = LocalDateTimeField(help_text="Bucket start in the client's time zone")
    total = serializers.IntegerField()
    negative = serializers.IntegerField()
    neutral = serializers.IntegerField()
    positive = serializers.IntegerField()


class VolumeSerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=INTERVALS)
    timezone = serializers.CharField()
    series = VolumePointSerializer(many=True)


class BusinessSampleSerializer(serializers.Serializer):
    every_hours = serializers.IntegerField()
    measured = serializers.IntegerField()
    answered = serializers.IntegerField()


class TermsSampleSerializer(serializers.Serializer):
    read = serializers.IntegerField()
    mentions = serializers.IntegerField()
    read_before = serializers.IntegerField()
    mentions_before = serializers.IntegerField()


class FiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    negative = serializers.IntegerField()
    neutral = serializers.IntegerField()
    positive = serializers.IntegerField()
    negative_share = serializers.FloatField(allow_null=True)
    net_sentiment = serializers.FloatField(allow_null=True)
    responded = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    first_response_median_seconds = serializers.FloatField(allow_null=True)
    first_response_p90_seconds = serializers.FloatField(allow_null=True)
    first_response_mean_seconds = serializers.FloatField(allow_null=True)
    first_response_median_business_seconds = serializers.FloatField(
        allow_null=True,
        help_text=(
            "Median first response of the period's mentions counted in the client's business "
            "hours (the mention's SLA policy's opening hours in its time zone, else the "
            "default policy's): only open time between arrival and first response counts. "
            "Null when nothing was answered or no SLA policy has opening hours."
        ),
    )
    first_response_p90_business_seconds = serializers.FloatField(
        allow_null=True, help_text="90th percentile of the same, in business seconds."
    )
    first_response_mean_business_seconds = serializers.FloatField(
        allow_null=True, help_text="Mean of the same, in business seconds."
    )
    sla_met_share = serializers.FloatField(allow_null=True)
    business_sample = BusinessSampleSerializer(
        allow_null=True,
        help_text="Set when the business-hours figures were measured on a sample: the "
        "mentions of every `every_hours`-th hour, `measured` of the `answered` first "
        "responses. Null: every answered mention was measured.",
    )


class SummarySerializer(FiguresSerializer):
    start = LocalDateTimeField(source="from")
    end = LocalDateTimeField(source="to")
    timezone = serializers.CharField()
    previous = FiguresSerializer()
    deltas = serializers.DictField(child=serializers.FloatField(allow_null=True))


class CareRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    received = serializers.IntegerField(allow_null=True)
    responded = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    first_response_median_seconds = serializers.FloatField(allow_null=True)
    first_response_p90_seconds = serializers.FloatField(allow_null=True)
    first_response_mean_seconds = serializers.FloatField(allow_null=True)
    sla_answered = serializers.IntegerField()
    sla_met = serializers.IntegerField()
    sla_met_share = serializers.FloatField(allow_null=True)
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class CareSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=CARE_BY)
    rows = CareRowSerializer(many=True)


class TopSerializer(serializers.Serializer):
    what = serializers.ChoiceField(choices=TOP)
    total = serializers.IntegerField(required=False)
    items = serializers.ListField(child=serializers.DictField())
    by_aspect = serializers.ListField(child=serializers.DictField(), required=False)
    sampled = serializers.BooleanField(
        required=False, help_text="terms: counted over the newest 5,000 mentions of each period"
    )
    sample = TermsSampleSerializer(
        required=False,
        allow_null=True,
        help_text="terms, when sampled: mentions read of the period's mentions, for this "
        "period and the previous one",
    )


class VoiceRowSerializer(serializers.Serializer):
    query_id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    mentions = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class RematchSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    changed = serializers.IntegerField()


class ShareOfVoiceSerializer(serializers.Serializer):
    brand = serializers.IntegerField()
    competitors = serializers.IntegerField()
    brand_share = serializers.FloatField(allow_null=True)
    checked = serializers.IntegerField()
    sampled = serializers.BooleanField()
    matching = RematchSerializer(
        allow_null=True,
        help_text="set while the mentions are matched against the queries again "
        "(after a query changed): the counts cover only the `done` of `total` mentions",
    )
    queries = VoiceRowSerializer(many=True)
