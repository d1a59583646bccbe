"""Crisis alerts: spikes in a client's volume or negative share, and who hears about them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class AlertKind(models.TextChoices):
    VOLUME = "volume", "Volume spike"
    NEGATIVE_SHARE = "negative_share", "Negative share"


class Alert(models.Model):
    """One spike, from when it was detected until it has been calm for a while.

    At most one alert of each kind is open (the constraint): no alert storms."""

    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The window that opened it: mentions, negative ones, and the baseline it beat.
    window_minutes = models.PositiveSmallIntegerField()
    volume = models.PositiveIntegerField()
    negative = models.PositiveIntegerField()
    baseline_volume = models.FloatField()
    baseline_share = models.FloatField()
    basis = models.CharField(max_length=200)
    # Updated by every check while open.
    peak_volume = models.PositiveIntegerField()
    peak_share = models.FloatField()
    last_checked_at = models.DateTimeField(default=timezone.now)
    calm_since = models.DateTimeField(null=True, blank=True)
    emailed_to = ArrayField(models.EmailField(), default=list, blank=True)
    # A manager has seen it and is on it: the inbox banner goes for everyone (the alert
    # itself stays open until the numbers calm down).
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by_id = models.BigIntegerField(null=True, blank=True)
    acknowledged_by_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("-opened_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(closed_at__isnull=True),
                name="alert_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def share(self) -> float:
        return self.negative / self.volume if self.volume else 0.0

    @property
    def summary(self) -> str:
        if self.kind == AlertKind.VOLUME:
            return (
                f"{self.volume} mentions in {self.window_minutes} minutes "
                f"(usually about {self.baseline_volume:.1f})"
            )
        return (
            f"{self.share:.0%} of {self.volume} mentions in {self.window_minutes} minutes are "
            f"negative (usually {self.baseline_share:.0%})"
        )


class AlertSettings(models.Model):
    """The client's alert settings (one row): who is e-mailed when an alert opens, and the
    thresholds (see reports/spikes.py; managers edit them)."""

    pr_emails = ArrayField(models.EmailField(), default=list, blank=True)
    # Days of data before any spike is compared with a baseline.
    baseline_days = models.PositiveSmallIntegerField(default=7)
    # Volume: spreads above the usual for this hour; both kinds: mentions in the window.
    open_z = models.FloatField(default=4.0)
    min_volume = models.PositiveIntegerField(default=10)
    # Negative share: at least this share, and this much above the usual one.
    share_open_min = models.FloatField(default=0.40)
    share_open_lift = models.FloatField(default=0.20)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return ", ".join(self.pr_emails) or "no PR contacts"


class MentionHour(models.Model):
    """Relevant mentions per UTC hour and dimension (source, language, kind, sentiment,
    department; 0 for none), with the care counts reports need.

    Kept current by statement-level triggers on `mentions_mention` (migration 0002): one
    grouped upsert per INSERT, UPDATE or DELETE statement, whoever writes (ingest,
    corrections, responses, deletions). Rows whose counts fall to zero are kept.
    """

    bucket = models.DateTimeField()
    source_id = models.BigIntegerField()
    language = models.CharField(max_length=8)
    kind = models.CharField(max_length=20)
    sentiment = models.CharField(max_length=10)
    department_id = models.BigIntegerField()
    mentions = models.IntegerField(default=0)
    # First responses: given; given for a mention with a due time, and of those in time;
    # and the sum of calendar seconds from arrival to the first response.
    responded = models.IntegerField(default=0)
    sla_answered = models.IntegerField(default=0)
    sla_met = models.IntegerField(default=0)
    first_response_seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "source_id", "language", "kind", "sentiment", "department_id"],
                name="mentionhour_key",
            )
        ]
        indexes = [
            models.Index(fields=["department_id", "bucket"], name="mentionhour_department"),
            models.Index(fields=["source_id", "bucket"], name="mentionhour_source"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H}h: {self.mentions}"


class AspectHour(models.Model):
    """Relevant mentions per UTC hour and aspect (a mention counts once per aspect), with
    the other dimensions, so any filter combines with an aspect. Kept current like
    `MentionHour`."""

    bucket = models.DateTimeField()
    aspect = models.CharField(max_length=60)
    source_id = models.BigIntegerField()
    language = models.CharField(max_length=8)
    kind = models.CharField(max_length=20)
    sentiment = models.CharField(max_length=10)
    department_id = models.BigIntegerField()
    mentions = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "bucket",
                    "aspect",
                    "source_id",
                    "language",
                    "kind",
                    "sentiment",
                    "department_id",
                ],
                name="aspecthour_key",
            )
        ]
        indexes = [
            models.Index(fields=["aspect", "bucket"], name="aspecthour_aspect"),
            # Ideas by aspect (kind = idea) over long ranges.
            models.Index(fields=["kind", "bucket"], name="aspecthour_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H}h {self.aspect}: {self.mentions}"


class DimensionCounts(models.Model):
    """The counters `DimensionHour` and `DimensionDay` keep for one dimension value and
    sentiment (the triggers write both with the same columns)."""

    mentions = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    sla_answered = models.IntegerField(default=0)
    sla_met = models.IntegerField(default=0)
    first_response_seconds = models.BigIntegerField(default=0)
    # First responses within 1, 4, 8 and 24 hours of arrival (the report's distribution).
    responded_1h = models.IntegerField(default=0)
    responded_4h = models.IntegerField(default=0)
    responded_8h = models.IntegerField(default=0)
    responded_24h = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DimensionHour(DimensionCounts):
    """Relevant mentions per UTC hour for one dimension at a time (`all`, `source`,
    `language`, `kind`, `department`, `aspect`), by sentiment, with the care counts.

    Small enough for long ranges: what reports read when at most one filter is set (the
    `MentionHour` cube, with every dimension in one row, answers combinations). Kept
    current by the same triggers."""

    bucket = models.DateTimeField()
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=60)  # "" for `all`; ids as text; 0: no department
    sentiment = models.CharField(max_length=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "value", "bucket", "sentiment"], name="dimensionhour_key"
            )
        ]
        indexes = [models.Index(fields=["dimension", "bucket"], name="dimensionhour_bucket")]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H}h {self.dimension}={self.value}: {self.mentions}"


class ReportFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly (the past 7 days)"
    MONTHLY = "monthly", "Monthly (the past calendar month)"


class ReportSchedule(models.Model):
    """A report mailed on a schedule, in the client's time zone: weekly on `weekday` or
    monthly on `day_of_month`, at `hour` local time, with the PDF attached. Recipients are
    addresses, people outside Lotse included."""

    name = models.CharField(max_length=120)
    frequency = models.CharField(max_length=10, choices=ReportFrequency.choices)
    weekday = models.PositiveSmallIntegerField(default=0)  # Monday 0 .. Sunday 6 (weekly)
    day_of_month = models.PositiveSmallIntegerField(default=1)  # 1..28 (monthly)
    hour = models.PositiveSmallIntegerField(default=8)  # local hour, 0..23
    recipients = ArrayField(models.EmailField(), default=list)
    # The report page's filters (slugs and ids as the page takes them).
    filters = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    # Where the mail's links point (the client's address as its creator used it).
    base_url = models.CharField(max_length=200, blank=True)
    created_by_id = models.IntegerField(null=True, blank=True)  # a public-schema user
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6)
                & models.Q(day_of_month__gte=1, day_of_month__lte=28)
                & models.Q(hour__lte=23),
                name="report_schedule_when_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReportDelivery(models.Model):
    """One mail of a schedule for one period. The beat's delivery of a period is unique
    (the constraint), so a second worker or a rerun never mails it twice; "send now" adds
    manual deliveries."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries"
    )
    period_first = models.DateField()
    period_last = models.DateField()
    manual = models.BooleanField(default=False)
    requested_by_id = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    recipients = ArrayField(models.EmailField(), default=list)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("schedule", "period_first"),
                condition=models.Q(manual=False),
                name="report_delivery_once_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id}: {self.period_first}..{self.period_last} {self.status}"


class AuthorMonth(models.Model):
    """Relevant mentions per author and UTC month, and the negative ones: top authors over
    long ranges read whole months here and only the ragged ends from the mentions. Kept
    current by the rollup triggers (migration 0006)."""

    month = models.DateTimeField()
    author_id = models.BigIntegerField()
    mentions = models.IntegerField(default=0)
    negative = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "author_id"], name="authormonth_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} author {self.author_id}: {self.mentions}"


class DimensionDay(DimensionCounts):
    """`DimensionHour` summed per UTC day: totals over long periods (summary, breakdowns,
    care counts, share of voice, first-response distribution) read whole days here and
    only the ragged hours at the ends from `DimensionHour`. Kept current by the same
    triggers (migration 0008)."""

    day = models.DateTimeField()
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=60)
    sentiment = models.CharField(max_length=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "value", "day", "sentiment"], name="dimensionday_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.dimension}={self.value}: {self.mentions}"


class ClockCounts(models.Model):
    """Answers and their summed seconds in one bucket of one care clock measure
    (`reports.clock_rollup`) for one dimension value; kept by triggers (migration 0010)."""

    # 1, 2: first response in calendar, business seconds; 3, 4: resolution
    measure = models.SmallIntegerField()
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=60)
    day = models.DateTimeField()  # start of the UTC day (month for `ClockMonth`)
    bucket = models.SmallIntegerField()
    answers = models.IntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        abstract = True


class ClockDay(ClockCounts):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "dimension", "value", "day", "bucket"], name="clockday_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} #{self.measure} {self.dimension}={self.value} {self.bucket}"


class ClockMonth(ClockCounts):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "dimension", "value", "day", "bucket"], name="clockmonth_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} #{self.measure} {self.dimension}={self.value} {self.bucket}"
