"""The words both sides share: what a mention is (kind), how it sounds (sentiment), where
it stands in care (status) and on its SLA. Routing rules, triage and the care workflow all
speak them; they live here, below every one of them, and import nothing of the project.
`mentions.models` uses them for its fields (and `mentions.models.Kind` etc. still work)."""

from __future__ import annotations

from django.db import models


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Kind(models.TextChoices):
    COMPLAINT = "complaint", "Complaint"
    QUESTION = "question", "Question"
    PRAISE = "praise", "Praise"
    IDEA = "idea", "Idea / wish"
    CRISIS = "crisis", "Crisis / safety"
    # A press report or article about the client: for PR to know, not a customer to answer.
    NEWS = "news", "News / press report"
    JOB = "job", "Job / HR"
    SPAM = "spam", "Spam / irrelevant"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    WAITING = "waiting", "Waiting"
    ESCALATED = "escalated", "Escalated"
    RESPONDED = "responded", "Responded"
    RESOLVED = "resolved", "Resolved"
    IGNORED = "ignored", "Ignored"


class SlaState(models.TextChoices):
    OK = "ok", "On time"
    WARNING = "warning", "Due soon"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
