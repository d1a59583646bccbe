"""Where mentions come from, and the batches they arrive in."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook push"
    IMPORT = "import", "File import"
    RSS = "rss", "RSS / Atom feed"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    REDDIT = "reddit", "Reddit"
    X = "x", "X (Twitter)"
    REVIEWS = "reviews", "Review portal"
    DEMO = "demo", "Demo network"


PUSH_KINDS = frozenset({SourceKind.WEBHOOK, SourceKind.IMPORT, SourceKind.DEMO})
# Push kinds whose pushes are signed with a secret of their own.
SIGNED_KINDS = frozenset({SourceKind.WEBHOOK, SourceKind.DEMO})


class SourceManager(models.Manager["Source"]):
    """Sources in use: a deleted source is kept (its mentions still name it) but is gone from
    every list, poll and push. `Source.all_objects` sees deleted ones too."""

    def get_queryset(self) -> models.QuerySet[Source]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Source(models.Model):
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    name = models.CharField(max_length=200)
    # Authors are identified per network: the same handle on two sources of one network is
    # one person.
    network = models.SlugField(max_length=50, default="web")
    # HMAC key for signed pushes (webhook sources).
    secret = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Soft delete: set when a client admin deletes the source; its mentions stay.
    deleted_at = models.DateTimeField(null=True, blank=True)

    # Polled sources: connector settings, encrypted credentials, where polling stands.
    config = models.JSONField(default=dict, blank=True)
    credentials_encrypted = models.TextField(blank=True)
    apply_queries = models.BooleanField(
        default=True, help_text="Keep only items matching the client's listening queries."
    )
    poll_interval_seconds = models.PositiveIntegerField(default=300)
    cursor = models.JSONField(default=dict, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_lease_until = models.DateTimeField(null=True, blank=True)

    # Health, shown on the sources page.
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # In plain language ("The address feed.example does not exist"); the raw error beside it.
    last_error = models.TextField(blank=True)
    last_error_detail = models.TextField(blank=True)
    last_item_errors = models.JSONField(default=list, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    backoff_until = models.DateTimeField(null=True, blank=True)
    items_fetched = models.PositiveBigIntegerField(default=0)
    items_stored = models.PositiveBigIntegerField(default=0)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_message = models.CharField(max_length=500, blank=True)
    last_test_detail = models.TextField(blank=True)

    all_objects = models.Manager()
    objects = SourceManager()

    class Meta:
        ordering = ("name", "id")
        indexes = [models.Index(fields=["enabled", "next_poll_at"], name="source_due")]
        # Lists, polls and pushes see sources in use; related lookups (a mention's source)
        # use the plain base manager and still find a deleted one.
        default_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    # Stored and announced; its problem clusters and webhooks are still due (`settle_ids`).
    SETTLING = "settling", "Settling"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class IngestBatch(models.Model):
    """Validated items waiting for (or done with) ingestion.

    Items are written to PostgreSQL before the task is queued, so a lost broker message
    loses nothing: a periodic job re-queues batches that stall.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="batches")
    items = models.JSONField(default=list)
    status = models.CharField(
        max_length=20, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    received = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # While `settling`: the mentions this batch stored whose follow-ups are still due.
    settle_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="batch_status_created")]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"


class QueryRole(models.TextChoices):
    """What a listening query listens for: the client's own brand, a competitor (share of
    voice compares the two), or a topic (a campaign, an event)."""

    BRAND = "brand", "Own brand"
    COMPETITOR = "competitor", "Competitor"
    TOPIC = "topic", "Topic"


class ListeningQuery(models.Model):
    """A boolean query (see `sources.query`) that polled items must match to be kept."""

    name = models.CharField(max_length=200)
    expression = models.TextField()
    enabled = models.BooleanField(default=True)
    role = models.CharField(max_length=12, choices=QueryRole.choices, default=QueryRole.BRAND)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BackfillJob(models.Model):
    """Fetch a source's history for a date range in the background, with progress."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="backfills")
    since = models.DateTimeField()
    until = models.DateTimeField()
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    cursor = models.JSONField(default=dict, blank=True)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    # Progress through the window, 0..1, from the oldest item reached so far.
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"backfill {self.pk} of {self.source} ({self.status})"
