"""A client's departments and the ordered rules that send mentions to them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


def _default_hours() -> dict[str, list[str]]:
    return {day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def _default_first_response() -> dict[str, int]:
    # Minutes of business time per priority (1 low … 4 urgent).
    return {"1": 480, "2": 240, "3": 60, "4": 15}


def _default_resolution() -> dict[str, int]:
    return {"1": 5 * 540, "2": 3 * 540, "3": 540, "4": 240}


class SlaPolicy(models.Model):
    """Response and resolution targets in business time, in the client's time zone."""

    name = models.CharField(max_length=100)
    timezone = models.CharField(max_length=60, default="Europe/Berlin")
    hours = models.JSONField(default=_default_hours)
    holidays = ArrayField(models.DateField(), default=list, blank=True)
    first_response_minutes = models.JSONField(default=_default_first_response)
    resolution_minutes = models.JSONField(default=_default_resolution)
    warn_before_minutes = models.PositiveIntegerField(default=15)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="sla_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="Receives every mention no rule claims."
    )
    # Users live in the public schema: the lead is notified when an SLA breaks.
    lead_id = models.BigIntegerField(null=True, blank=True)

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


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", "Manual (team queue)"
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOAD = "least_load", "Least open load"


class Team(models.Model):
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50)
    assignment = models.CharField(
        max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.ROUND_ROBIN
    )
    # Round robin: the user who got the last mention.
    last_assigned_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("department__name", "name")
        constraints = [
            models.UniqueConstraint(fields=["department", "slug"], name="team_department_slug")
        ]

    def __str__(self) -> str:
        return f"{self.department.name} / {self.name}"


class RoutingRule(models.Model):
    """One row of the routing matrix.

    Conditions are combined with AND; inside a list condition any value matches (kinds
    `complaint, question` = complaint OR question). An empty condition matches everything.
    Rules are tried in `position` order; the first whose conditions all hold wins. The rule
    named `is_default` catches what no other rule does.
    """

    position = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)

    # Conditions.
    kinds = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    aspects = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    sentiments = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    source_kinds = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    source_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    segments = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    min_followers = models.PositiveBigIntegerField(null=True, blank=True)
    min_influence = models.FloatField(null=True, blank=True)
    min_cluster_size = models.PositiveIntegerField(null=True, blank=True)
    keywords = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    skill_tags = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text="Only staff with all these specialist tags are assigned.",
    )
    query = models.TextField(
        blank=True, help_text="A boolean query (as on the sources page) the text must match."
    )

    # Target: a department, optionally a team in it or one person.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="rules")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="rules"
    )
    assignee_id = models.BigIntegerField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="rules"
    )

    # Actions.
    ignore = models.BooleanField(default=False, help_text="Mark matching mentions ignored.")
    escalate = models.BooleanField(default=False, help_text="Mark matching mentions escalated.")
    require_approval = models.BooleanField(
        default=False, help_text="Replies need a manager's approval."
    )
    copy_to = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copied_rules",
        help_text="Also show matching mentions in this department's inbox.",
    )

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("position", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="rule_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app notice for one person (SLA warnings and breaches; later @mentions)."""

    user_id = models.BigIntegerField(db_index=True)
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return self.text


class StaffMember(models.Model):
    """A person's place in this client: departments and teams, skills, shift, capacity.

    Staff with departments see only those departments' mentions (and copies sent there);
    managers and admins see everything."""

    user_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200)
    departments = models.ManyToManyField(Department, blank=True, related_name="staff")
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # The manual switch: off means "away now", whatever the schedule says.
    on_shift = models.BooleanField(default=True)
    max_open = models.PositiveIntegerField(default=25)
    # Weekly shifts like {"mon": ["08:00-16:00"], "fri": ["22:00-06:00"]} (a shift may run
    # past midnight into the next day); empty means "always on shift". Wall-clock times in
    # `timezone`, or in the client's time zone (its default SLA policy's) when blank.
    shifts = models.JSONField(default=dict, blank=True)
    timezone = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name
