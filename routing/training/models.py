"""Training per client: modules (Markdown lesson + quiz), assignments by role and
department, attempts, certification levels and their certificates, versioned social media
guidelines and who acknowledged them. Reply rights come from certificates
(`routing.training.selectors.reply_rights_for`)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Module(models.Model):
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    lesson = models.TextField(blank=True, help_text="Markdown; rendered without raw HTML.")
    pass_mark = models.FloatField(default=0.8, help_text="Share of points needed, 0..1.")
    # At most this many failed attempts within the cool-down window (0 = no limit).
    max_attempts = models.PositiveIntegerField(default=3)
    cooldown_minutes = models.PositiveIntegerField(default=60)
    library_slug = models.CharField(max_length=60, blank=True)  # copied from the library
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("title", "id")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    explanation = models.TextField(blank=True)
    multiple = models.BooleanField(default=False)  # several choices may be right
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.text


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    correct = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.text


class Assignment(models.Model):
    """A module assigned to everyone with `role` (blank: every role) in `department`
    (null: every department), to pass by `due_date`."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(max_length=20, blank=True)
    department = models.ForeignKey(
        "routing.Department", null=True, blank=True, on_delete=models.CASCADE
    )
    due_date = models.DateField(null=True, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("due_date", "id")

    def __str__(self) -> str:
        return f"{self.module_id} → {self.role or 'everyone'}"


class Attempt(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="attempts")
    user_id = models.BigIntegerField()
    submitted_at = models.DateTimeField(default=timezone.now)
    score = models.FloatField()
    passed = models.BooleanField()
    answers = models.JSONField(default=dict)  # {question id: [choice ids]}
    results = models.JSONField(default=dict)  # {question id: true when fully right}

    class Meta:
        ordering = ("-submitted_at", "-id")
        indexes = [models.Index(fields=["user_id", "module"], name="attempt_user_module")]

    def __str__(self) -> str:
        return f"attempt {self.pk}"


class CertificationLevel(models.Model):
    """A level ("Responder", "Crisis responder"): the modules it needs and how long it lasts.
    A higher rank satisfies every lower one. `for_crisis` / `for_segments` say which public
    replies need this level (the lowest rank is needed for every public reply)."""

    name = models.CharField(max_length=100, unique=True)
    rank = models.PositiveIntegerField(default=1)
    modules = models.ManyToManyField(Module, blank=True, related_name="levels")
    validity_months = models.PositiveIntegerField(default=12)
    for_crisis = models.BooleanField(default=False)
    for_segments = ArrayField(models.CharField(max_length=20), default=list, blank=True)

    class Meta:
        ordering = ("rank", "id")

    def __str__(self) -> str:
        return self.name


class CertificateSource(models.TextChoices):
    PASSED = "passed", "Passed the modules"
    MIGRATED = "migrated", "Certified before training existed"
    MANUAL = "manual", "Granted by an admin"


class Certificate(models.Model):
    """One issue of a level to a person; the rows are the history. Valid while not revoked
    and before `expires_at`."""

    level = models.ForeignKey(
        CertificationLevel, on_delete=models.CASCADE, related_name="certificates"
    )
    user_id = models.BigIntegerField(db_index=True)
    source = models.CharField(max_length=20, choices=CertificateSource.choices)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    expiry_notice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-issued_at", "-id")

    def __str__(self) -> str:
        return f"certificate {self.pk}"


class Guideline(models.Model):
    """One version of the client's social media guidelines; the highest version is current."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200, default="Social media guidelines")
    body = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-version",)

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Acknowledgement(models.Model):
    guideline = models.ForeignKey(
        Guideline, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    user_id = models.BigIntegerField()
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guideline", "user_id"], name="ack_once_per_version")
        ]

    def __str__(self) -> str:
        return f"ack {self.pk}"
