"""Triage in the UI: correcting a mention's triage, and the client's triage setup page
(industry template, aspects, labels and learned models)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import role_at_least
from config.errors import DomainError
from config.tenancy import current_client
from frontend.access import client_member_required
from frontend.params import form_int
from mentions.models import Aspect, LabelField, TriageLabel, TriageModel
from mentions.selectors import mention_get_for_user
from mentions.services import mention_correct
from mentions.tasks import triage_learn_task
from mentions.triage.learn import LEARNED_FIELDS, MIN_LABELS
from mentions.triage.presets import ASPECT_PRESETS
from mentions.triage.services import (
    aspect_save,
    triage_case_size_set,
    triage_industry_apply,
    triage_profile_get,
)


@require_POST
@client_member_required(Role.RESPONDER)
def mention_triage_correct(request: HttpRequest, pk: int) -> HttpResponse:
    mention = mention_get_for_user(user=request.user, mention_id=pk)  # type: ignore[arg-type]
    changes: dict[str, Any] = {}
    for name in ("sentiment", "kind"):
        if request.POST.get(name):
            changes[name] = request.POST[name]
    if "aspects_shown" in request.POST:
        changes["aspects"] = request.POST.getlist("aspects")
    if request.POST.get("relevant") in ("yes", "no"):
        changes["relevant"] = request.POST["relevant"] == "yes"
    department = form_int(request.POST.get("department", ""))
    if department is not None:
        changes["department"] = department
    try:
        mention_correct(mention=mention, changes=changes, by=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Thanks: triage corrected, and the correction will teach it.")
    return redirect("mention-detail", pk=pk)


@client_member_required(Role.VIEWER)
def triage_page(request: HttpRequest) -> HttpResponse:
    labels = dict(_label_counts())
    models = list(TriageModel.objects.order_by("-created_at").defer("data")[:20])
    context = {
        "profile": triage_profile_get(),
        "industries": sorted(ASPECT_PRESETS),
        "aspects": list(Aspect.objects.all()),
        "labels": [
            (LabelField(field).label, labels.get(field, 0), field in LEARNED_FIELDS)
            for field in LabelField.values
        ],
        "min_labels": MIN_LABELS,
        "models": models,
        "can_admin": role_at_least(request.lotse_role, Role.CLIENT_ADMIN),  # type: ignore[attr-defined]
    }
    return render(request, "frontend/triage.html", context)


def _label_counts() -> list[tuple[str, int]]:
    from django.db.models import Count

    return list(TriageLabel.objects.values_list("field").annotate(n=Count("id")))


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def triage_setup(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action == "industry":
            created = triage_industry_apply(
                industry=request.POST.get("industry", ""), by=request.user
            )
            messages.success(request, f"Template applied: {len(created)} new aspects.")
        elif action == "aspect":
            aspect = None
            aspect_id = form_int(request.POST.get("aspect_id", ""))
            if aspect_id is not None:
                aspect = Aspect.objects.filter(pk=aspect_id).first()
            saved = aspect_save(
                aspect=aspect,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                keywords=request.POST.get("keywords", "").replace("\n", ",").split(","),
                examples=[e for e in request.POST.get("examples", "").splitlines() if e.strip()],
                active=request.POST.get("active", "on") == "on",
                by=request.user,
            )
            messages.success(request, f"Aspect “{saved.name}” saved.")
        elif action == "case_size":
            size = form_int(request.POST.get("min_case_size", ""))
            profile = triage_case_size_set(size=size if size is not None else 0, by=request.user)
            messages.success(
                request, f"Problem cases are shown from {profile.min_case_size} reports on."
            )
        elif action == "learn":
            client = current_client()
            transaction.on_commit(lambda: triage_learn_task.delay(client.schema_name))
            messages.success(
                request,
                "Learning started in the background; new models appear below when they beat "
                "the current triage.",
            )
        else:
            messages.error(request, "Unknown action.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("triage")
