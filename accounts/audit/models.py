"""Who did what, when: append-only (a database trigger refuses updates and deletes)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Users live in the public schema: id and a name frozen at the time of the action.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=60)  # e.g. "rule.updated", "mention.assigned"
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=500)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=["target_type", "target_id", "-id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.summary}"
