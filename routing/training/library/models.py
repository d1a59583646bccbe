"""The agency's library of template modules (public schema). A client copies one with a
click (`routing.training.services.module_copy_from_library`)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LibraryModule(models.Model):
    """A template: lesson and quiz. `questions` is a list of
    {"text", "explanation", "multiple", "choices": [{"text", "correct"}]}."""

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    lesson = models.TextField(blank=True)
    pass_mark = models.FloatField(default=0.8)
    questions = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("title",)

    def __str__(self) -> str:
        return self.title
