"""What people say about the client, who said it, and where it was routed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from mentions.vocabulary import Kind, Sentiment, SlaState, Status


class Segment(models.TextChoices):
    MASS_CONNECTOR = "mass_connector", "Mass connector"
    MASS_MAVEN = "mass_maven", "Mass maven"
    REGULAR = "regular", "Regular"


class Author(models.Model):
    """A public account on one network; kept up to date as its mentions arrive."""

    network = models.CharField(max_length=50)
    handle = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True)
    followers = models.PositiveBigIntegerField(default=0)
    # Unknown (null) until a network tells us; an unknown value never erases a known one.
    following = models.PositiveBigIntegerField(null=True, blank=True)
    posts_count = models.PositiveBigIntegerField(null=True, blank=True)
    mention_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    # When the post was published whose profile (name, counts) we hold: an older post, a
    # replayed push say, never overwrites a newer observation.
    profile_seen_at = models.DateTimeField(null=True, blank=True)
    # Engagement summed over the stored mentions that came with engagement figures.
    likes_total = models.PositiveBigIntegerField(default=0)
    reposts_total = models.PositiveBigIntegerField(default=0)
    replies_total = models.PositiveBigIntegerField(default=0)
    engaged_mentions = models.PositiveIntegerField(default=0)
    # Mentions of this client in the recent window: a count decaying with a half-life
    # (mentions/influence.py), as of `recent_at`.
    recent_mentions = models.FloatField(default=0.0)
    recent_at = models.DateTimeField(null=True, blank=True)
    # Recomputed in bulk as mentions arrive (mentions/influence.py explains the formula).
    influence = models.FloatField(default=0.0)
    segment = models.CharField(max_length=20, choices=Segment.choices, default=Segment.REGULAR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "handle"], name="author_network_handle")
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class ClusterStatus(models.TextChoices):
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on a fix"
    RESOLVED = "resolved", "Resolved"


class ProblemCluster(models.Model):
    """Mentions that report the same problem within a time window: one case in the inbox.

    Written by `mentions.clusters` only (ingest) and the cluster care actions.
    """

    aspect = models.CharField(max_length=60, blank=True)
    title = models.CharField(max_length=200)
    # stem -> [count, surface word]: the members' terms, for the title and for matching.
    terms = models.JSONField(default=dict, blank=True)
    # MinHash band keys of the cluster (its core terms and its first members): how new
    # mentions find it.
    keys = ArrayField(models.BigIntegerField(), default=list, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    member_count = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=ClusterStatus.choices, default=ClusterStatus.OPEN
    )
    # Where its newest report was routed; `department_ids`: every department any report was
    # routed or copied to (whose staff get its live updates).
    department = models.ForeignKey(
        "routing.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-last_seen"], name="cluster_inbox"),
            GinIndex(
                fields=["keys"],
                condition=models.Q(status__in=["open", "waiting"]),
                name="cluster_open_keys",
                # Read by every batch (clusters_plan), like `mention_unclustered_near`.
                fastupdate=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_count} reports: {self.title}"


class Mention(models.Model):
    source = models.ForeignKey("sources.Source", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=300)
    url = models.URLField(max_length=2000, blank=True)
    # The URL in one spelling (no tracking parameters, no fragment): the same page reached
    # through two different sources is stored once. Within one source items may share a URL
    # (reviews on one product page, comments pushed with their article's URL).
    canonical_url = models.CharField(max_length=2000, blank=True)
    text = models.TextField()
    published_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="mentions")
    in_reply_to = models.CharField(max_length=300, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(default=0.0)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    aspects = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    country = models.CharField(max_length=2, blank=True)
    # Is this really about the client ("Bahn" the railway, not the race track)?
    relevant = models.BooleanField(default=True)
    relevance_score = models.FloatField(default=1.0)

    department = models.ForeignKey(
        "routing.Department", null=True, on_delete=models.SET_NULL, related_name="mentions"
    )
    routing_rule = models.ForeignKey(
        "routing.RoutingRule", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    routing_reason = models.CharField(max_length=500, blank=True)
    priority = models.PositiveSmallIntegerField(default=2)
    team = models.ForeignKey(
        "routing.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Departments that see the mention too (a rule's "copy to", e.g. PR for influencers).
    copied_to = ArrayField(models.BigIntegerField(), default=list, blank=True)
    requires_approval = models.BooleanField(default=False)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # Users live in the public schema; no cross-schema constraint, users are never deleted.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    # SLA clock (business time of the policy), paused while waiting on the customer.
    sla_policy = models.ForeignKey(
        "routing.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(
        max_length=10, choices=SlaState.choices, default=SlaState.OK, db_index=True
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Business seconds (the SLA policy's hours) from arrival to the first response and to
    # the resolution, measured when each clock stops (`mentions.clocks`); null: not
    # stopped, or not measured yet (reports measure those as they read).
    first_response_business_seconds = models.FloatField(null=True, blank=True)
    resolution_business_seconds = models.FloatField(null=True, blank=True)

    # The problem cluster it belongs to, and its MinHash band keys (null: never clustered,
    # e.g. praise) by which later reports of the same problem find it.
    cluster = models.ForeignKey(
        ProblemCluster,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        db_index=False,  # `mention_cluster_members`: members only, see there
    )
    cluster_keys = ArrayField(models.BigIntegerField(), null=True, blank=True)
    # The enabled listening queries it matches (ids; `mentions.queries`): set on arrival,
    # recounted when a query changes. Reports count share of voice from it.
    matched_queries = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="mention_source_external_id"
            ),
        ]
        indexes = [
            # The inbox: newest first, optionally by status and department.
            models.Index(fields=["-id"], name="mention_inbox"),
            models.Index(fields=["status", "-id"], name="mention_inbox_status"),
            models.Index(fields=["department", "status", "-id"], name="mention_inbox_dept"),
            # A department's mentions of every status, newest first (the department filter).
            models.Index(fields=["department", "-id"], name="mention_dept_newest"),
            models.Index(fields=["assignee", "status", "-id"], name="mention_inbox_assignee"),
            # Counts per hour (the alerts chart, spike checks) read the index alone: kind
            # and sentiment ride along, so no row is fetched from the table.
            models.Index(
                fields=["published_at"], include=["kind", "sentiment"], name="mention_published"
            ),
            # The SLA check: open mentions by their next due time.
            models.Index(
                fields=["first_response_due"],
                condition=models.Q(first_response_at__isnull=True, sla_paused_at__isnull=True),
                name="mention_sla_due",
            ),
            # Care reports: answered mentions by publication time (first-response times).
            models.Index(
                fields=["published_at"],
                include=[
                    "received_at",
                    "first_response_at",
                    "first_response_due",
                    "department",
                    "team",
                    "assignee",
                ],
                condition=models.Q(first_response_at__isnull=False),
                name="mention_first_response",
            ),
            # Care clocks of a period (first response and resolution, calendar and business
            # seconds, SLA compliance) read from the index alone, with the columns of the
            # report's filters (a year of answers: heap fetches took seconds).
            models.Index(
                fields=["published_at"],
                include=[
                    "received_at",
                    "first_response_at",
                    "resolved_at",
                    "first_response_business_seconds",
                    "resolution_business_seconds",
                    "first_response_due",
                    "department",
                    "team",
                    "source",
                    "language",
                    "kind",
                    "aspects",
                ],
                condition=models.Q(relevant=True)
                & (models.Q(first_response_at__isnull=False) | models.Q(resolved_at__isnull=False)),
                name="mention_care_clocks",
            ),
            # Stopped clocks not measured yet (normally none): the reports measure them as
            # they read, `mentions_clocks_restamp(only_unstamped=True)` stores them.
            models.Index(
                fields=["published_at"],
                condition=(
                    models.Q(first_response_at__isnull=False)
                    & models.Q(first_response_business_seconds__isnull=True)
                )
                | (
                    models.Q(resolved_at__isnull=False)
                    & models.Q(resolution_business_seconds__isnull=True)
                ),
                name="mention_clocks_unstamped",
            ),
            # Open load per client for the agency overview and care reports (counted from
            # the index alone: open, unassigned, overdue).
            models.Index(
                fields=["sla_state", "assignee"],
                condition=models.Q(status__in=["new", "assigned", "waiting", "escalated"]),
                name="mention_open",
            ),
            # Care reports: escalations of a period (few rows; null until escalated).
            models.Index(
                fields=["escalated_at"],
                condition=models.Q(escalated_at__isnull=False),
                name="mention_escalated",
            ),
            models.Index(fields=["source", "in_reply_to"], name="mention_thread"),
            # A cluster's members. Partial, so `cluster_id IS NULL` has no index of its own:
            # the candidate lookup (clusters_plan) must read `mention_unclustered_near`.
            models.Index(
                fields=["cluster"],
                condition=models.Q(cluster__isnull=False),
                name="mention_cluster_members",
            ),
            # Unclustered reports by band key and six-hour bucket (migration 0027): a
            # batch finds the reports near it in time, not every one since the first.
            GinIndex(
                models.Func(
                    models.F("cluster_keys"),
                    models.F("published_at"),
                    function="public.mention_window_keys",
                    output_field=ArrayField(models.BigIntegerField()),
                ),
                condition=models.Q(cluster_keys__isnull=False, cluster__isnull=True),
                name="mention_unclustered_near",
                # Read by every batch (clusters_plan): with a pending list, which only
                # VACUUM or a 4 MB overflow flushes, each read scanned it (48 of 51 ms).
                fastupdate=False,
            ),
            models.Index(
                fields=["canonical_url"],
                condition=~models.Q(canonical_url=""),
                name="mention_canonical_url",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.text[:40]}"


class Note(models.Model):
    """An internal note on a mention; never shown publicly. `@name` mentions notify."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="notes")
    author_id = models.BigIntegerField()
    author_name = models.CharField(max_length=200)
    text = models.TextField()
    mentioned_user_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:40]}"


class Aspect(models.Model):
    """Something a client's mentions are about ("app", "billing", "Ticketkauf"): matched by
    keywords (with `*` wildcards) and learned from labelled examples."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    keywords = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    examples = ArrayField(models.TextField(), default=list, blank=True)
    active = models.BooleanField(default=True)
    # "template" (industry defaults), "manual", or "labels" (created by triage_learn).
    origin = models.CharField(max_length=20, default="manual")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class LabelField(models.TextChoices):
    SENTIMENT = "sentiment", "Sentiment"
    RELEVANT = "relevant", "Relevance"
    KIND = "kind", "Kind"
    ASPECTS = "aspects", "Aspects"
    DEPARTMENT = "department", "Department"
    # A manual reassignment to another person: kept for the learning loop, not trained yet.
    ASSIGNEE = "assignee", "Assignee"


class TriageLabel(models.Model):
    """A person's judgement of one triage field for one text: a correction in the inbox, a
    manual reassignment, or a line of a labelled file. What the client's models learn from.

    The text is kept with the label, so the label outlives the mention and a labelled file
    needs no mention at all. The newest label per (mention, field) wins when training.
    """

    mention = models.ForeignKey(
        Mention, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels"
    )
    text = models.TextField()
    language = models.CharField(max_length=8, blank=True)
    field = models.CharField(max_length=20, choices=LabelField.choices)
    # A string for sentiment/kind/department, a bool for relevant, a list for aspects.
    value = models.JSONField()
    previous = models.JSONField(null=True, blank=True)
    # "inbox", "reassignment", "file" or "api".
    origin = models.CharField(max_length=20)
    user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["field", "-id"], name="triagelabel_field")]

    def __str__(self) -> str:
        return f"{self.field}={self.value}"


class TriageModel(models.Model):
    """A model trained on this client's labels (see `mentions.triage.learn`), stored as
    plain arrays (`.npz`, no pickle). Only the active one per field is used."""

    field = models.CharField(max_length=20, choices=LabelField.choices)
    data = models.BinaryField()
    labels_used = models.PositiveIntegerField()
    # Held-out scores of this model and of what it replaced, on the same split.
    scores = models.JSONField(default=dict)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["field", "active"], name="triagemodel_active")]

    def __str__(self) -> str:
        return f"{self.field} model #{self.pk}"


class TriageProfile(models.Model):
    """The client's triage settings (one row): industry template and relevance threshold."""

    industry = models.CharField(max_length=30, blank=True)
    relevance_threshold = models.FloatField(default=0.5)
    # A problem case is shown as a case (in the inbox's strip, its reports folded into it)
    # from this many reports on; smaller ones stay single rows.
    min_case_size = models.PositiveSmallIntegerField(default=3)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"triage profile ({self.industry or 'general'})"


class SavedReply(models.Model):
    """A reply template; `{author}`, `{agent}` and `{brand}` are filled in the composer."""

    title = models.CharField(max_length=200)
    text = models.TextField()
    language = models.CharField(max_length=8, blank=True, help_text="Blank: any language.")
    created_by_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("title", "id")
        constraints = [
            models.UniqueConstraint(fields=["title", "language"], name="saved_reply_title_lang")
        ]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    PUBLIC = "public", "Public reply on the network"
    DM = "dm", "Direct message"
    EMAIL = "email", "E-mail (answered elsewhere)"
    PHONE = "phone", "Phone (answered elsewhere)"


class ResponseStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Waiting for approval"
    REJECTED = "rejected", "Rejected"
    QUEUED = "queued", "Sending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    RECORDED = "recorded", "Recorded (answered elsewhere)"


# A reply in one of these states answers the mention (sent, on its way, or given elsewhere).
ANSWERING = (
    ResponseStatus.SENT,
    ResponseStatus.RECORDED,
    ResponseStatus.QUEUED,
    ResponseStatus.SENDING,
)


class Response(models.Model):
    """A reply to a mention: posted on the network by a worker, or recorded as answered
    elsewhere. Its text is final (signature included) once created."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="responses")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    text = models.TextField()
    # The author's own text when an approver edited it before approving (blank otherwise).
    original_text = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ResponseStatus.choices)
    # Users live in the public schema: ids and names frozen at the time.
    author_id = models.BigIntegerField()
    author_name = models.CharField(max_length=200)
    approval_reasons = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    decided_by_id = models.BigIntegerField(null=True, blank=True)
    decided_by_name = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=1000, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    external_url = models.URLField(max_length=2000, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the last attempt started: an attempt whose worker died is retried after a while.
    sending_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Seconds from the mention's arrival to this response; `is_first` marks the mention's
    # first response (what reports aggregate per department and person).
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    is_first = models.BooleanField(default=False)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["mention", "-id"], name="response_mention"),
            models.Index(
                fields=["status", "created_at"],
                condition=models.Q(status="pending_approval"),
                name="response_approval_queue",
            ),
            models.Index(
                fields=["sent_at", "author_id", "response_seconds"],
                condition=models.Q(is_first=True),
                name="response_first_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.mention_id}: {self.text[:40]}"


class SavedView(models.Model):
    """A person's named inbox view: filters, sort and search (`params`, the inbox's query
    string as a dict); at most one per person is their default. Shared with a team, the
    team's members see it in their sidebar too (only its owner changes or deletes it)."""

    # Users live in the public schema; no cross-schema constraint.
    owner_id = models.BigIntegerField()
    owner_name = models.CharField(max_length=200)
    name = models.CharField(max_length=80)
    params = models.JSONField(default=dict)
    is_default = models.BooleanField(default=False)
    team = models.ForeignKey(
        "routing.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner_id", "name"], name="savedview_owner_name"),
            models.UniqueConstraint(
                fields=["owner_id"],
                condition=models.Q(is_default=True),
                name="savedview_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name
