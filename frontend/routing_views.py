"""The routing matrix page: rules, "try it", presets, the rule editor, the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.audit.selectors import audit_list
from accounts.models import Role
from accounts.selectors import client_members, role_at_least
from config.errors import DomainError
from config.tenancy import current_client
from frontend.access import client_member_required
from frontend.params import form_int
from mentions.models import Kind, Sentiment
from routing.api.views import try_input
from routing.models import Department, Priority, RoutingRule
from routing.presets import PRESETS
from routing.selectors import department_list, rule_get, rule_list
from routing.services import (
    SEGMENTS,
    routing_apply_preset,
    routing_try,
    rule_create,
    rule_delete,
    rule_update,
)
from sources.models import Source

LIST_FIELDS = (
    "kinds",
    "aspects",
    "languages",
    "countries",
    "sentiments",
    "source_kinds",
    "segments",
    "keywords",
)
INT_FIELDS = ("min_followers", "min_cluster_size", "position")
BOOL_FIELDS = ("enabled", "ignore", "escalate", "require_approval")
FORM_FIELDS = {
    *LIST_FIELDS,
    "name",
    "query",
    "min_followers",
    "department",
    "assignee_id",
    "__all__",
}


def _conditions(rule: RoutingRule) -> list[str]:
    parts = []
    labels = {
        "kinds": "kind",
        "aspects": "aspect",
        "languages": "language",
        "countries": "country",
        "sentiments": "sentiment",
        "source_kinds": "source",
        "segments": "author",
    }
    for name, label in labels.items():
        values = getattr(rule, name)
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    if rule.min_followers is not None:
        parts.append(f"≥ {rule.min_followers:,} followers")
    if rule.min_cluster_size is not None:
        parts.append(f"≥ {rule.min_cluster_size} reports")
    if rule.keywords:
        shown = ", ".join(rule.keywords[:6]) + (" …" if len(rule.keywords) > 6 else "")
        parts.append(f"words: {shown}")
    if rule.query:
        parts.append(f"query: {rule.query}")
    return parts or ["everything"]


@client_member_required(Role.VIEWER)
def routing_page(request: HttpRequest) -> HttpResponse:
    tried = None
    try_data = {"text": request.GET.get("text", ""), "followers": request.GET.get("followers", "")}
    if try_data["text"].strip():
        followers = try_data["followers"]
        item, triage = try_input(
            {
                "text": try_data["text"][:200_000],
                "author": {"followers": form_int(followers) or 0},
                "source_id": form_int(request.GET.get("source")),
            }
        )
        decision = routing_try(item=item)
        tried = {
            "decision": decision,
            "triage": triage,
            "department": Department.objects.filter(pk=decision.department_id).first()
            if decision.department_id
            else None,
        }
    rules = [{"rule": rule, "conditions": _conditions(rule)} for rule in rule_list()]
    context = {
        "rules": rules,
        "tried": tried,
        "try_data": try_data,
        "sources": Source.objects.order_by("name"),
        "presets": [(name, preset["label"]) for name, preset in PRESETS.items()],
        "can_edit": role_at_least(request.lotse_role, Role.MANAGER),  # type: ignore[attr-defined]
        "can_apply": role_at_least(request.lotse_role, Role.CLIENT_ADMIN),  # type: ignore[attr-defined]
    }
    return render(request, "frontend/routing.html", context)


def _rule_data(post: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": post.get("name", ""),
        "department": post.get("department"),
        "query": post.get("query", ""),
        "priority": int(post.get("priority") or 2)
        if str(post.get("priority", "2")).isdigit()
        else post.get("priority"),
    }
    for name in LIST_FIELDS:
        data[name] = [
            part.strip()
            for part in post.get(name, "").replace("\n", ",").split(",")
            if part.strip()
        ]
    for name in INT_FIELDS:
        raw = post.get(name, "").strip()
        data[name] = int(raw) if raw.isascii() and raw.isdigit() else (None if not raw else -1)
    for name in BOOL_FIELDS:
        data[name] = post.get(name) == "on"
    data["copy_to"] = post.get("copy_to") or None
    assignee = post.get("assignee_id", "")
    data["assignee_id"] = form_int(assignee)
    return data


@client_member_required(Role.MANAGER)
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = rule_get(rule_id=pk) if pk is not None else None
    if pk is not None and rule is None:
        raise Http404("No such rule")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.POST.get("action") == "delete" and rule is not None:
            rule_delete(rule=rule, by=request.user)
            messages.success(request, f'Deleted rule "{rule.name}".')
            return redirect("routing")
        data = _rule_data(request.POST)
        try:
            if rule is None:
                rule = rule_create(data=data, by=request.user, client=current_client())
            else:
                rule = rule_update(
                    rule=rule, changes=data, by=request.user, client=current_client()
                )
        except DomainError as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, f'Saved rule "{rule.name}" (version {rule.version}).')
            return redirect("routing")
    values = request.POST if request.method == "POST" else None
    context = {
        "rule": rule,
        "values": values,
        "errors": errors,
        "general_errors": errors.get("__all__", [])
        + [
            f"{field}: {', '.join(problems)}"
            for field, problems in errors.items()
            if field not in FORM_FIELDS
        ],
        "departments": department_list(),
        "members": client_members(client=current_client(), min_role=Role.RESPONDER),
        "priorities": Priority.choices,
        "kinds": Kind.values,
        "sentiments": Sentiment.values,
        "segments": SEGMENTS,
        "history": audit_list(target_type="rule", target_id=rule.pk)[:20] if rule else [],
    }
    return render(request, "frontend/rule_edit.html", context, status=400 if errors else 200)


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def preset_apply(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("preset", "")
    try:
        rules = routing_apply_preset(preset=name, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Applied the {PRESETS[name]['label']} matrix ({len(rules)} rules)."
        )
    return redirect("routing")


@client_member_required(Role.MANAGER)
def audit_page(request: HttpRequest) -> HttpResponse:
    entries = audit_list()
    before = form_int(request.GET.get("before"))
    if before is not None:
        entries = entries.filter(id__lt=before)
    page = list(entries[:51])
    return render(
        request,
        "frontend/audit.html",
        {
            "entries": page[:50],
            "older": page[49].pk if len(page) > 50 else None,
        },
    )
