"""Where mentions come from, and the batches they arrive in."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook push"
    IMPORT = "import", "File import"


class Source(models.Model):
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    name = models.CharField(max_length=200)
    # Authors are identified per network: the same handle on two sources of one network is
    # one person.
    network = models.SlugField(max_length=50, default="web")
    # HMAC key for signed pushes. Encryption at rest arrives with the connectors issue.
    secret = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"


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
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="batch_status_created")]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"
