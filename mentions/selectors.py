"""Reads on mentions. The one choke point: every view gets mentions through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Case, Count, F, Max, Q, QuerySet, When, Window
from django.db.models.expressions import OrderBy
from django.db.models.functions import RowNumber
from django.http import Http404

from accounts.models import Role, User
from accounts.selectors import membership_role_for, role_at_least
from config.memo import request_memoized
from config.tenancy import current_client_or_none
from mentions.models import (
    ANSWERING,
    Aspect,
    ClusterStatus,
    Mention,
    Note,
    ProblemCluster,
    Response,
    ResponseStatus,
    SavedReply,
    TriageProfile,
)
from mentions.search import Search, mentions_search
from routing.models import Department
from routing.services.assignment import visible_department_ids


def _require_member(user: User) -> str:
    client = current_client_or_none()
    role = membership_role_for(user=user, client=client) if client is not None else None
    if role is None:
        raise Http404("No such mention")
    return role


def _visible(mentions: QuerySet[Mention], *, user: User, role: str) -> QuerySet[Mention]:
    """Staff limited to departments see those departments' mentions and copies sent there;
    managers and up, and staff without departments, see everything."""
    if role_at_least(role, Role.MANAGER):
        return mentions
    departments = visible_department_ids(user_id=user.pk)
    if departments is None:
        return mentions
    return mentions.filter(
        Q(department_id__in=departments) | Q(copied_to__overlap=list(departments))
    )


def _department_id(slug: str) -> int | None:
    """The department's id, looked up first: filtering on `department_id` uses the inbox
    indexes, a join on the slug made PostgreSQL walk the whole table for a rare one. Once
    per page (the list and the case strip both ask)."""
    return request_memoized(
        ("department_id", slug),
        lambda: Department.objects.filter(slug=slug).values_list("pk", flat=True).first(),
    )


# How the inbox and the API may order mentions; every order ends on the id (stable pages).
SORTS: dict[str, str] = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "sla": "SLA due first",
    "priority": "Priority",
    "influence": "Author influence",
}
DEFAULT_SORT = "newest"


def _ordering(sort: str) -> list[str | OrderBy]:
    if sort == "oldest":
        return ["id"]
    if sort == "sla":
        # Waiting for a first answer, soonest due first; answered or without SLA after.
        due = Case(When(first_response_at__isnull=True, then=F("first_response_due")))
        return [OrderBy(due, nulls_last=True), "-id"]
    if sort == "priority":
        return ["-priority", "-id"]
    if sort == "influence":
        return [OrderBy(F("author__influence"), descending=True), "-id"]
    return ["-id"]


def mention_list_for_user(
    *,
    user: User,
    status: str | None = None,
    department: str | None = None,
    language: str | None = None,
    sentiment: str | None = None,
    segment: str | None = None,
    assignee: int | None = None,
    since: datetime | None = None,
    search: Search | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[Mention]:
    """The current client's mentions the user may see, in `sort` order (newest first),
    narrowed by `search` (see `mentions.search`) and the filters."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    role = _require_member(user)
    mentions = _visible(
        Mention.objects.select_related("author", "department", "assignee").order_by(
            *_ordering(sort)
        ),
        user=user,
        role=role,
    )
    if search is not None:
        mentions = mentions_search(mentions, search=search)
    if status:
        mentions = mentions.filter(status=status)
    if department:
        department_id = _department_id(department)
        mentions = (
            mentions.filter(department_id=department_id)
            if department_id is not None
            else mentions.none()
        )
    if language:
        mentions = mentions.filter(language=language)
    if sentiment:
        mentions = mentions.filter(sentiment=sentiment)
    if segment:
        mentions = mentions.filter(author__segment=segment)
    if assignee is not None:
        mentions = mentions.filter(assignee_id=assignee)
    if since is not None:
        mentions = mentions.filter(published_at__gte=since)
    return mentions


def mentions_first_response_between(
    mentions: QuerySet[Mention], *, low_seconds: int, high_seconds: int | None
) -> QuerySet[Mention]:
    """`mentions` first answered `low_seconds` (inclusive) to `high_seconds` (exclusive; None:
    no limit) after they arrived; with `low_seconds` 0, answers stamped before arrival too."""
    mentions = mentions.filter(first_response_at__isnull=False)
    if low_seconds > 0:
        mentions = mentions.filter(
            first_response_at__gte=F("received_at") + timedelta(seconds=low_seconds)
        )
    if high_seconds is not None:
        mentions = mentions.filter(
            first_response_at__lt=F("received_at") + timedelta(seconds=high_seconds)
        )
    return mentions


def mention_thread(*, mention: Mention, limit: int = 50) -> tuple[Mention | None, list[Mention]]:
    """The mention it replies to (same source) and its direct replies, oldest first."""
    related = ("author", "department")
    parent = None
    if mention.in_reply_to:
        parent = (
            Mention.objects.select_related(*related)
            .filter(source_id=mention.source_id, external_id=mention.in_reply_to)
            .first()
        )
    replies = list(
        Mention.objects.select_related(*related)
        .filter(source_id=mention.source_id, in_reply_to=mention.external_id)
        .order_by("published_at", "id")[:limit]
    )
    return parent, replies


def mention_get_for_user(*, user: User, mention_id: int) -> Mention:
    role = _require_member(user)
    mention = _visible(
        Mention.objects.select_related("author", "department", "assignee", "source").filter(
            pk=mention_id
        ),
        user=user,
        role=role,
    ).first()
    if mention is None:
        raise Http404("No such mention")
    return mention


def note_list_for_user(*, user: User, mention_id: int) -> QuerySet[Note]:
    """The notes on a mention the user may see (404 otherwise), oldest first."""
    mention = mention_get_for_user(user=user, mention_id=mention_id)
    return Note.objects.filter(mention_id=mention.pk).order_by("id")


def response_list_for_mention(*, mention: Mention) -> QuerySet[Response]:
    """Responses on a mention already read through `mention_get_for_user`, oldest first."""
    return Response.objects.filter(mention=mention).order_by("created_at", "id")


def response_get_for_user(*, user: User, response_id: int) -> Response:
    """A response on a mention the user may see (404 otherwise)."""
    role = _require_member(user)
    visible = _visible(Mention.objects.all(), user=user, role=role)
    response = (
        Response.objects.select_related("mention__author", "mention__source")
        .filter(pk=response_id, mention__in=visible)
        .first()
    )
    if response is None:
        raise Http404("No such response")
    return response


def response_list_for_user(*, user: User, status: str | None = None) -> QuerySet[Response]:
    """Responses on mentions the user may see, oldest first (the approval queue when
    `status` is pending_approval)."""
    role = _require_member(user)
    visible = _visible(Mention.objects.all(), user=user, role=role)
    responses = Response.objects.select_related("mention__author", "mention__source").filter(
        mention__in=visible
    )
    if status:
        responses = responses.filter(status=status)
    return responses.order_by("created_at", "id")


def approval_queue_for_user(*, user: User) -> QuerySet[Response]:
    return response_list_for_user(user=user, status=ResponseStatus.PENDING_APPROVAL)


def answers_since(*, responses: list[Response]) -> dict[int, Response]:
    """For replies waiting for approval: the newest answer on the same mention given after
    each was written (so an approver sees the customer was answered meanwhile)."""
    later = Response.objects.filter(
        mention_id__in={r.mention_id for r in responses}, status__in=ANSWERING
    ).order_by("id")
    newest: dict[int, Response] = {}
    for answer in later:
        newest[answer.mention_id] = answer
    return {
        r.pk: newest[r.mention_id]
        for r in responses
        if r.mention_id in newest and newest[r.mention_id].pk > r.pk
    }


def saved_reply_list(*, language: str | None = None) -> QuerySet[SavedReply]:
    """Saved replies, those for `language` (and for any language) when it is given."""
    replies = SavedReply.objects.order_by("title", "language", "id")
    if language:
        replies = replies.filter(Q(language=language) | Q(language=""))
    return replies


def saved_reply_get(*, reply_id: int) -> SavedReply:
    reply = SavedReply.objects.filter(pk=reply_id).first()
    if reply is None:
        raise Http404("No such saved reply")
    return reply


@dataclass(frozen=True)
class ResponseTimes:
    """First-response times of one person in one department (seconds since arrival)."""

    author_id: int
    author_name: str
    department_id: int | None
    answered: int
    average_seconds: float
    longest_seconds: int


def first_response_times(*, since: datetime, until: datetime) -> list[ResponseTimes]:
    """Per person and department: mentions first answered in [since, until) and how fast
    (uses the `response_first_time` index; for reports)."""
    rows = (
        Response.objects.filter(is_first=True, sent_at__gte=since, sent_at__lt=until)
        .values("author_id", "author_name", "mention__department_id")
        .annotate(
            answered=Count("id"),
            average=Avg("response_seconds"),
            longest=Max("response_seconds"),
        )
        .order_by("mention__department_id", "author_name")
    )
    return [
        ResponseTimes(
            author_id=row["author_id"],
            author_name=row["author_name"],
            department_id=row["mention__department_id"],
            answered=row["answered"],
            average_seconds=float(row["average"] or 0),
            longest_seconds=int(row["longest"] or 0),
        )
        for row in rows
    ]


# --- problem clusters ------------------------------------------------------------------------
# A cluster is visible to whoever may see at least one of its members; its members are shown
# through `mention_list_for_user`, so department scoping holds for them too.

OPEN_CLUSTER_STATUSES = (ClusterStatus.OPEN, ClusterStatus.WAITING)


def _visible_clusters(*, user: User) -> QuerySet[ProblemCluster]:
    role = _require_member(user)
    clusters = ProblemCluster.objects.select_related("department")
    if role_at_least(role, Role.MANAGER) or visible_department_ids(user_id=user.pk) is None:
        return clusters
    members = _visible(Mention.objects.filter(cluster__isnull=False), user=user, role=role)
    return clusters.filter(pk__in=members.values("cluster_id"))


DEFAULT_MIN_CASE_SIZE = 3


def case_min_size() -> int:
    """From how many reports the current client shows a problem cluster as a case."""
    size = TriageProfile.objects.values_list("min_case_size", flat=True).first()
    return int(size) if size else DEFAULT_MIN_CASE_SIZE


def cluster_list_for_user(
    *,
    user: User,
    open_only: bool = True,
    department: str | None = None,
    min_size: int | None = None,
    largest_first: bool = False,
) -> QuerySet[ProblemCluster]:
    """The current client's problem clusters the user may see, latest report first (or the
    most reports first), those with at least `min_size` reports when it is given."""
    order = ("-member_count", "-last_seen", "-id") if largest_first else ("-last_seen", "-id")
    clusters = _visible_clusters(user=user).order_by(*order)
    if open_only:
        clusters = clusters.filter(status__in=OPEN_CLUSTER_STATUSES)
    if min_size is not None:
        clusters = clusters.filter(member_count__gte=min_size)
    if department:
        department_id = _department_id(department)
        clusters = (
            clusters.filter(department_id=department_id)
            if department_id is not None
            else clusters.none()
        )
    return clusters


def cluster_get_for_user(*, user: User, cluster_id: int) -> ProblemCluster:
    cluster = _visible_clusters(user=user).filter(pk=cluster_id).first()
    if cluster is None:
        raise Http404("No such problem cluster")
    return cluster


def cluster_members_for_user(*, user: User, cluster: ProblemCluster) -> QuerySet[Mention]:
    """The cluster's members the user may see, newest first."""
    return mention_list_for_user(user=user).filter(cluster=cluster)


def cluster_previews_for_user(
    *,
    user: User,
    clusters: list[ProblemCluster],
    per_cluster: int = 8,
    fields: Sequence[str] = (),
) -> dict[int, list[Mention]]:
    """The newest few visible members of each cluster, in one query (only `fields` of
    them, and the id and cluster, when given)."""
    if not clusters:
        return {}
    members = mention_list_for_user(user=user)
    if fields:
        members = members.select_related(None).select_related("author")
        members = members.only("id", "cluster_id", *fields)
    rows = (
        members.filter(cluster_id__in=[cluster.pk for cluster in clusters])
        .annotate(place=Window(RowNumber(), partition_by=F("cluster_id"), order_by=F("id").desc()))
        .filter(place__lte=per_cluster)
    )
    previews: dict[int, list[Mention]] = {cluster.pk: [] for cluster in clusters}
    for mention in rows:
        previews[mention.cluster_id].append(mention)  # type: ignore[index]
    return previews


# A person's open load: what assignment counts against their `max_open`.
OPEN_LOAD_STATUSES = ("new", "assigned", "waiting", "escalated")


def mentions_open_load(*, user_ids: set[int]) -> dict[int, int]:
    """How many open mentions each of `user_ids` holds (people with none are left out)."""
    if not user_ids:
        return {}
    return dict(
        Mention.objects.filter(assignee_id__in=user_ids, status__in=OPEN_LOAD_STATUSES)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )


def mentions_outside_open_cases(
    mentions: QuerySet[Mention], *, min_size: int = 2
) -> QuerySet[Mention]:
    """Leave out the members of open problem cases of at least `min_size` reports (the
    inbox shows each such case once, in its case strip).

    An anti-join on the few open cases keeps the newest-first index scan: a join on the
    case's status made PostgreSQL sort every mention of the client for one page."""
    open_cases = ProblemCluster.objects.filter(
        status__in=OPEN_CLUSTER_STATUSES, member_count__gte=min_size
    ).values("pk")
    return mentions.exclude(cluster_id__in=open_cases)


def aspect_list() -> QuerySet[Aspect]:
    """The current client's aspects (what mentions are about), by name."""
    return Aspect.objects.order_by("name")
