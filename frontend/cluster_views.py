"""Problem cluster pages: the case page and its care actions (thin over the selectors and
`mentions.clusters`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import role_at_least
from config.errors import DomainError
from frontend.access import client_member_required
from frontend.params import form_int
from mentions.clusters import CLUSTER_ACTIONS, cluster_act
from mentions.models import Channel
from mentions.responses import cluster_respond
from mentions.selectors import cluster_get_for_user, cluster_members_for_user, saved_reply_list

PAGE_SIZE = 50


@client_member_required()
def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_get_for_user(user=request.user, cluster_id=pk)  # type: ignore[arg-type]
    members = cluster_members_for_user(user=request.user, cluster=cluster)  # type: ignore[arg-type]
    before = form_int(request.GET.get("before"))
    if before is not None:
        members = members.filter(id__lt=before)
    page = list(members[: PAGE_SIZE + 1])
    context = {
        "cluster": cluster,
        "channels": Channel.choices,
        "saved_replies": list(saved_reply_list()),
        "mentions": page[:PAGE_SIZE],
        "older": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None,
        "can_act": role_at_least(request.lotse_role, Role.RESPONDER),  # type: ignore[attr-defined]
    }
    return render(request, "frontend/cluster.html", context)


@require_POST
@client_member_required(Role.RESPONDER)
def cluster_action(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_get_for_user(user=request.user, cluster_id=pk)  # type: ignore[arg-type]
    action = request.POST.get("action", "")
    try:
        changed = cluster_act(cluster=cluster, action=action, by=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{CLUSTER_ACTIONS[action]}: {changed} mention{'s' if changed != 1 else ''}.",
        )
    return redirect("cluster-detail", pk=cluster.pk)


@require_POST
@client_member_required(Role.RESPONDER)
def cluster_answer(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_get_for_user(user=request.user, cluster_id=pk)  # type: ignore[arg-type]
    try:
        outcome = cluster_respond(
            cluster=cluster,
            text=request.POST.get("text", ""),
            channel=request.POST.get("channel", ""),
            by=request.user,  # type: ignore[arg-type]
            resolve=request.POST.get("resolve") == "on",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cluster-detail", pk=cluster.pk)
    parts = [f"{len(outcome.answered)} answered"]
    if outcome.pending_approval:
        parts.append(f"{len(outcome.pending_approval)} waiting for approval")
    if outcome.resolved:
        parts.append(f"{outcome.resolved} resolved")
    if outcome.skipped:
        reasons = sorted({reason for _, reason in outcome.skipped})
        parts.append(f"{len(outcome.skipped)} skipped ({'; '.join(reasons)[:300]})")
    messages.success(request, "One reply for everyone: " + ", ".join(parts) + ".")
    return redirect("cluster-detail", pk=cluster.pk)
