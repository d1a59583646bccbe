"""Pages: thin views over the selectors and services."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet, Sum, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import client_member_get, clients_for_user, role_at_least
from accounts.services import client_domain
from config.errors import DomainError
from config.tenancy import current_client_or_none
from frontend.access import client_member_required, two_factor_gate
from frontend.params import form_date, form_instant, form_int
from frontend.response_views import composer_context
from frontend.rows import CASE_MEMBER_FIELDS, ROW_FIELDS
from frontend.templatetags.lotse import change_token
from frontend.times import active_zone
from mentions.assignees import mention_assignees
from mentions.models import Kind, Mention, ProblemCluster, Segment, Sentiment, Status
from mentions.saved_views import (
    saved_view_default_among,
    saved_view_list_for_user,
    saved_view_query,
    saved_view_teams_for_user,
)
from mentions.search import MAX_SEARCH_LENGTH, SearchError, search_parse
from mentions.selectors import (
    DEFAULT_SORT,
    SORTS,
    case_min_size,
    cluster_list_for_user,
    cluster_previews_for_user,
    mention_get_for_user,
    mention_list_for_user,
    mention_thread,
    mentions_first_response_between,
    mentions_outside_open_cases,
)
from mentions.services import mention_assign, mention_set_status, mentions_bulk, note_add
from reports.care_figures import first_response_bucket
from reports.chart import sparkline
from reports.overview import agency_overview as reports_overview
from reports.selectors import OPEN_STATUSES, alerts_for_banner, department_open_load
from routing.selectors import department_list, notification_list_for_user
from routing.services.assignment import visible_department_ids
from routing.services.notifications import notifications_mark_read

PAGE_SIZE = 50
MAX_OFFSET = 10_000
CLUSTER_ROWS = 20
SLUG = re.compile(r"[a-z0-9-]{0,50}")
STATUS_FILTERS = [("open", "Open"), *Status.choices, ("all", "All")]
SEGMENT_FILTERS = [("", "All"), *Segment.choices]


def home(request: HttpRequest) -> HttpResponse:
    if current_client_or_none() is None:
        return agency_overview(request)
    return inbox(request)


@login_required
def agency_overview(request: HttpRequest) -> HttpResponse:
    """Every client the user may open, most in need of attention first (one query each)."""
    gate = two_factor_gate(request, None)
    if gate is not None:
        return gate
    port = request.get_port()
    clients = list(clients_for_user(user=request.user))  # type: ignore[arg-type]
    rows = [
        {
            "row": row,
            "url": f"{request.scheme}://{client_domain(row.client.slug)}:{port}/",
            "spark": sparkline(row.daily),
        }
        for row in reports_overview(clients=clients)
    ]
    return render(request, "frontend/agency.html", {"rows": rows})


LANGUAGE = re.compile(r"[a-z]{2,3}")


def drill_down(
    request: HttpRequest, mentions: QuerySet[Mention]
) -> tuple[list[tuple[str, str]], list[str], QuerySet[Mention]]:
    """The slice a report links to (`sentiment`, `language`, `kind`, `aspect`, `source`,
    `first_response`: a bucket of the first-response distribution, and `from`..`to`:
    whole days in the reader's time zone, or instants such as 2026-11-25T10:00 (the
    reader's wall clock) or 2026-11-25T10:00+01:00, the end excluded, as the crisis section
    links the hours around an alert): the parameters kept, their labels, and the mentions
    narrowed to it. Unknown values are ignored."""
    get = request.GET
    kept: list[tuple[str, str]] = []
    labels: list[str] = []
    sentiment = get.get("sentiment", "")
    if sentiment in Sentiment.values:
        mentions = mentions.filter(sentiment=sentiment)
        kept.append(("sentiment", sentiment))
        labels.append(f"{sentiment}")
    language = get.get("language", "")
    if LANGUAGE.fullmatch(language):
        mentions = mentions.filter(language=language)
        kept.append(("language", language))
        labels.append(f"language {language}")
    kind = get.get("kind", "")
    if kind in Kind.values:
        mentions = mentions.filter(kind=kind)
        kept.append(("kind", kind))
        labels.append(f"kind {kind}")
    aspect = get.get("aspect", "")
    if aspect and SLUG.fullmatch(aspect):
        mentions = mentions.filter(aspects__contains=[aspect])
        kept.append(("aspect", aspect))
        labels.append(f"aspect {aspect}")
    source = form_int(get.get("source"))
    if source is not None:
        mentions = mentions.filter(source_id=source)
        kept.append(("source", str(source)))
        labels.append(f"source #{source}")
    bucket_key = get.get("first_response", "")
    bucket = first_response_bucket(bucket_key)
    if bucket is not None:
        label, low, high = bucket
        mentions = mentions_first_response_between(mentions, low_seconds=low, high_seconds=high)
        kept.append(("first_response", bucket_key))
        labels.append(f"first response in {label}")
    zone = active_zone()
    start = form_instant(get.get("from"), zone=zone)
    end = form_instant(get.get("to"), zone=zone, end=True)
    if start is not None and end is not None and start < end:
        mentions = mentions.filter(published_at__gte=start, published_at__lt=end)
        first, last = form_date(get.get("from")), form_date(get.get("to"))
        if first is not None and last is not None:
            kept += [("from", first.isoformat()), ("to", last.isoformat())]
            labels.append(
                f"{first:%d %b %Y} to {last:%d %b %Y}" if first != last else f"{first:%d %b %Y}"
            )
        else:
            local_start, local_end = start.astimezone(zone), end.astimezone(zone)
            kept += [
                ("from", local_start.isoformat(timespec="minutes")),
                ("to", local_end.isoformat(timespec="minutes")),
            ]
            same_day = local_start.date() == local_end.date()
            labels.append(
                f"{local_start:%d %b %Y %H:%M} to "
                + (f"{local_end:%H:%M}" if same_day else f"{local_end:%d %b %Y %H:%M}")
            )
    if kept:
        mentions = mentions.filter(relevant=True)  # what reports count
    return kept, labels, mentions


@client_member_required()
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    views = saved_view_list_for_user(user=user)  # type: ignore[arg-type]
    if not request.GET:
        default = saved_view_default_among(views=views, user=user)  # type: ignore[arg-type]
        if default is not None:
            return redirect(f"/?{saved_view_query(default)}&view={default.pk}")
    status = request.GET.get("status", "open")
    if status not in dict(STATUS_FILTERS):
        status = "open"
    department = request.GET.get("department", "")
    if not SLUG.fullmatch(department):
        department = ""
    segment = request.GET.get("segment", "")
    if segment not in Segment.values:
        segment = ""
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        sort = DEFAULT_SORT
    q = request.GET.get("q", "")[:MAX_SEARCH_LENGTH]
    search_error = ""
    try:
        search = search_parse(text=q)
    except SearchError as exc:
        search, search_error = None, exc.message
    mentions = mention_list_for_user(
        user=request.user,  # type: ignore[arg-type]
        department=department or None,
        segment=segment or None,
        status=status if status not in {"open", "all"} else None,
        search=search,
        sort=sort,
    )
    if search_error:
        mentions = mentions.none()
    drill, drill_labels, mentions = drill_down(request, mentions)
    if status == "open":
        mentions = mentions.filter(status__in=OPEN_STATUSES)
    # Newest first pages by id (`before`); the other orders by position (`offset`).
    before_id = form_int(request.GET.get("before")) if sort == DEFAULT_SORT else None
    if before_id is not None:
        mentions = mentions.filter(id__lt=before_id)
    offset = min(form_int(request.GET.get("offset")) or 0, MAX_OFFSET)
    if sort == DEFAULT_SORT:
        offset = 0
    searching = bool(q.strip())
    clusters: list[ProblemCluster] = []
    cases_shown = status in {"open", "all"} and not segment and not drill and not searching
    min_size = case_min_size()
    cases_total = cases_reports = 0
    if cases_shown:
        # Members of an open problem case (of the client's minimum size) are one case in the
        # strip above the list, not rows each. (Filtered by author segment, the reports
        # are listed one by one.)
        mentions = mentions_outside_open_cases(mentions, min_size=min_size)
        # The largest cases, each row with the totals of all of them (window sums: one
        # query, not a second one to count).
        cases = cluster_list_for_user(
            user=request.user,  # type: ignore[arg-type]
            department=department or None,
            min_size=min_size,
            largest_first=True,
        ).annotate(cases_total=Window(Count("id")), cases_reports=Window(Sum("member_count")))
        clusters = list(cases[:CLUSTER_ROWS])
        if clusters:
            cases_total = clusters[0].cases_total  # type: ignore[attr-defined]
            cases_reports = clusters[0].cases_reports or 0  # type: ignore[attr-defined]
    previews = cluster_previews_for_user(
        user=request.user,  # type: ignore[arg-type]
        clusters=clusters,
        per_cluster=3,
        fields=CASE_MEMBER_FIELDS,
    )
    page = list(mentions.only(*ROW_FIELDS)[offset : offset + PAGE_SIZE + 1])
    # Staff limited to departments see only those departments' names and counts.
    scoped = None
    if not role_at_least(request.lotse_role, Role.MANAGER):  # type: ignore[attr-defined]
        scoped = visible_department_ids(user_id=int(request.user.pk or 0))
    loads = department_open_load()
    # The department filter offers what the sidebar lists (slug and name).
    departments: list[Any] = list(loads)
    # The crisis banner is for those who may act on an alert (managers and up), until
    # one of them acknowledges it.
    may_act_on_alerts = role_at_least(request.lotse_role, Role.MANAGER)  # type: ignore[attr-defined]
    open_alerts = alerts_for_banner() if may_act_on_alerts else []
    if scoped is not None:
        departments = list(department_list().filter(pk__in=scoped))
        allowed = {d.slug for d in departments}
        loads = [load for load in loads if load.slug in allowed]
    more = len(page) > PAGE_SIZE
    search_params = [(name, value) for name, value in (("q", q), ("sort", sort)) if value]
    if sort == DEFAULT_SORT:
        search_params = [(name, value) for name, value in search_params if name != "sort"]
    context = {
        "mentions": page[:PAGE_SIZE],
        "clusters": [(cluster, previews[cluster.pk]) for cluster in clusters],
        "cases_shown": cases_shown,
        "cases_total": cases_total,
        "cases_reports": cases_reports,
        "min_case_size": min_size,
        "older": page[PAGE_SIZE - 1].pk if more and sort == DEFAULT_SORT else None,
        "next_offset": offset + PAGE_SIZE if more and sort != DEFAULT_SORT else None,
        "q": q,
        "sort": sort,
        "sorts": list(SORTS.items()),
        "search_error": search_error,
        "views": [(view, saved_view_query(view)) for view in views],
        "current_view": form_int(request.GET.get("view")),
        "share_teams": saved_view_teams_for_user(user=user),  # type: ignore[arg-type]
        "searching": searching,
        # Kept on every link of the page (sidebar, pager) next to the filters.
        "search_query": "&" + urlencode(search_params) if search_params else "",
        "departments": departments,
        "loads": loads,
        "status_filters": STATUS_FILTERS,
        "status": status,
        "department": department,
        "segment_filters": SEGMENT_FILTERS,
        "segment": segment,
        "drill": drill,
        "drill_labels": drill_labels,
        "drill_query": "&" + urlencode(drill) if drill else "",
        "open_statuses": list(OPEN_STATUSES),
        "open_alerts": open_alerts,
        "may_act_on_alerts": may_act_on_alerts,
        "can_act": role_at_least(request.lotse_role, Role.RESPONDER),  # type: ignore[attr-defined]
    }
    return render(request, "frontend/inbox.html", context)


@client_member_required()
def mention_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mention = mention_get_for_user(user=request.user, mention_id=pk)  # type: ignore[arg-type]
    parent, replies = mention_thread(mention=mention)
    context = {
        "mention": mention,
        "parent": parent,
        "replies": replies,
        "notes": list(mention.notes.all()),
        "can_act": role_at_least(request.lotse_role, Role.RESPONDER),  # type: ignore[attr-defined]
        **assign_context(request, mention),
        **composer_context(request, mention),
    }
    return render(request, "frontend/mention.html", context)


def assign_context(request: HttpRequest, mention: Mention) -> dict[str, Any]:
    """Managers give the mention to a colleague who may see it (load and shift shown)."""
    if not role_at_least(request.lotse_role, Role.MANAGER):  # type: ignore[attr-defined]
        return {"assignees": None}
    return {"assignees": mention_assignees(mention=mention)}


def _assign_colleague(request: HttpRequest, mention: Mention) -> HttpResponse:
    user_id = form_int(request.POST.get("assignee"))
    client = current_client_or_none()
    colleague = (
        client_member_get(client=client, user_id=user_id)
        if user_id is not None and client is not None
        else None
    )
    if colleague is None:
        messages.error(request, "Choose a colleague from the list.")
        return redirect("mention-detail", pk=mention.pk)
    try:
        mention_assign(mention=mention, assignee=colleague, by=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Assigned to {colleague.display_name}; they have been told.")
    return redirect("mention-detail", pk=mention.pk)


@require_POST
@client_member_required(Role.RESPONDER)
def mention_action(request: HttpRequest, pk: int) -> HttpResponse:
    mention = mention_get_for_user(user=request.user, mention_id=pk)  # type: ignore[arg-type]
    action = request.POST.get("action", "")
    seen = request.POST.get("seen", "")
    if seen and request.POST.get("confirm") != "1" and seen != change_token(mention.updated_at):
        # Someone changed the mention since this person loaded it: ask before overwriting.
        parent, replies = mention_thread(mention=mention)
        labels = {
            "assign_me": "assign it to me",
            "assign": "assign it to a colleague",
            "unassign": "unassign me",
            "resolved": "resolve it",
            "waiting": "mark it waiting",
            "new": "reopen it",
            "assigned": "mark the customer replied",
        }
        return render(
            request,
            "frontend/mention.html",
            {
                "mention": mention,
                "parent": parent,
                "replies": replies,
                "can_act": True,
                "collision": action,
                "collision_label": labels.get(action, action),
                **composer_context(request, mention),
            },
            status=409,
        )
    if action == "assign":
        return _assign_colleague(request, mention)
    try:
        if action == "assign_me":
            mention_assign(mention=mention, assignee=request.user, by=request.user)  # type: ignore[arg-type]
        elif action == "unassign":
            mention_assign(mention=mention, assignee=None, by=request.user)  # type: ignore[arg-type]
        elif action in {
            Status.RESOLVED,
            Status.NEW,
            Status.WAITING,
            Status.IGNORED,
            Status.ASSIGNED,
            Status.RESPONDED,
        }:
            mention_set_status(mention=mention, status=action, by=request.user)  # type: ignore[arg-type]
        else:
            return HttpResponse("Unknown action", status=400, content_type="text/plain")
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain")
    return redirect("mention-detail", pk=mention.pk)


@require_POST
@client_member_required(Role.RESPONDER)
def mention_note(request: HttpRequest, pk: int) -> HttpResponse:
    mention = mention_get_for_user(user=request.user, mention_id=pk)  # type: ignore[arg-type]
    try:
        note = note_add(mention=mention, text=request.POST.get("text", ""), by=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("mention-detail", pk=mention.pk)
    return redirect(f"/mentions/{mention.pk}/#note-{note.pk}")


@client_member_required()
def notifications_page(request: HttpRequest) -> HttpResponse:

    user_id = int(request.user.pk or 0)
    if request.method == "POST":
        notifications_mark_read(user_id=user_id)
        return redirect("notifications")
    mine = notification_list_for_user(user_id=user_id)
    return render(request, "frontend/notifications.html", {"notifications": mine[:100]})


BULK_LABELS = {
    "assign_me": "Assigned to you",
    "unassign": "Unassigned",
    "resolved": "Resolved",
    "waiting": "Marked waiting",
    "ignored": "Ignored",
    "new": "Reopened",
}


@require_POST
@client_member_required(Role.RESPONDER)
def mentions_bulk_action(request: HttpRequest) -> HttpResponse:
    ids = [i for i in map(form_int, request.POST.getlist("ids")) if i is not None]
    action = request.POST.get("action", "")
    back = request.POST.get("next", "/")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = "/"
    if not ids:
        messages.info(request, "Select some mentions first.")
        return redirect(back)
    try:
        outcome = mentions_bulk(mention_ids=ids, action=action, by=request.user)  # type: ignore[arg-type]
        count = outcome.changed
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{BULK_LABELS.get(action, action)}: {count} mention{'s' if count != 1 else ''}.",
        )
    return redirect(back)
