"""A client's departments and the ordered rules that send mentions to them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Department(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="Receives every mention no rule claims."
    )

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="department_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class RoutingRule(models.Model):
    """Fires when the mention's kind is one of `kinds` or its text contains one of `keywords`.

    Rules are tried in `position` order; the first that fires wins.
    """

    position = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=200)
    keywords = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    kinds = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="rules")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name
