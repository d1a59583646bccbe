"""Reads on mentions. The one choke point: every view gets mentions through here."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from accounts.models import Role, User
from accounts.selectors import membership_role_for, role_at_least
from config.tenancy import current_client_or_none
from mentions.models import ClusterStatus, Mention, Note, ProblemCluster
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


def mention_list_for_user(
    *,
    user: User,
    status: str | None = None,
    department: str | None = None,
    language: str | None = None,
    sentiment: str | None = None,
    assignee: int | None = None,
    since: datetime | None = None,
) -> QuerySet[Mention]:
    """The current client's mentions the user may see, newest first."""
    role = _require_member(user)
    mentions = _visible(
        Mention.objects.select_related("author", "department", "assignee").order_by("-id"),
        user=user,
        role=role,
    )
    if status:
        mentions = mentions.filter(status=status)
    if department:
        mentions = mentions.filter(department__slug=department)
    if language:
        mentions = mentions.filter(language=language)
    if sentiment:
        mentions = mentions.filter(sentiment=sentiment)
    if assignee is not None:
        mentions = mentions.filter(assignee_id=assignee)
    if since is not None:
        mentions = mentions.filter(published_at__gte=since)
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


def cluster_list_for_user(
    *, user: User, open_only: bool = True, department: str | None = None
) -> QuerySet[ProblemCluster]:
    """The current client's problem clusters the user may see, latest report first."""
    clusters = _visible_clusters(user=user).order_by("-last_seen", "-id")
    if open_only:
        clusters = clusters.filter(status__in=OPEN_CLUSTER_STATUSES)
    if department:
        clusters = clusters.filter(department__slug=department)
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
    *, user: User, clusters: list[ProblemCluster], per_cluster: int = 8
) -> dict[int, list[Mention]]:
    """The newest few visible members of each cluster, in one query."""
    if not clusters:
        return {}
    rows = (
        mention_list_for_user(user=user)
        .filter(cluster_id__in=[cluster.pk for cluster in clusters])
        .annotate(place=Window(RowNumber(), partition_by=F("cluster_id"), order_by=F("id").desc()))
        .filter(place__lte=per_cluster)
    )
    previews: dict[int, list[Mention]] = {cluster.pk: [] for cluster in clusters}
    for mention in rows:
        previews[mention.cluster_id].append(mention)  # type: ignore[index]
    return previews
