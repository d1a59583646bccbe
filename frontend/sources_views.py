"""The sources page: health, switches, connection tests, backfills, listening queries."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.selectors import role_at_least
from config.errors import DomainError
from frontend.access import client_member_required
from sources.connectors import connector_class, connector_kinds
from sources.models import PUSH_KINDS, ListeningQuery, QueryRole, Source
from sources.query import QueryDocument, QuerySyntaxError, parse, positive_terms, to_native
from sources.selectors import (
    backfills_recent,
    listening_query_list,
    mentions_recent_for_preview,
    source_health_list,
)
from sources.services.editing import source_delete, source_update
from sources.services.polling import (
    backfill_start,
    source_create_polled,
    source_test_request,
)
from sources.services.queries import listening_query_save

NATIVE_NETWORKS = ("x", "reddit", "bluesky")
LIST_FIELDS = {"hashtags", "subreddits", "urls"}
BOOL_FIELDS = {"search", "streaming", "profiles"}


def _query_preview(expression: str) -> dict[str, Any]:
    """Parse a query and show what it means: canonical form, network queries, matches."""
    preview: dict[str, Any] = {"expression": expression}
    try:
        query = parse(expression)
    except QuerySyntaxError as exc:
        preview["error"] = str(exc)
        preview["caret"] = " " * exc.position + "^"
        return preview
    preview["canonical"] = str(query)
    preview["terms"] = positive_terms(query)
    preview["native"] = [
        (network, to_native(query, network=network)) for network in NATIVE_NETWORKS
    ]
    recent = mentions_recent_for_preview()
    matching = [
        mention
        for mention in recent
        if query.matches(
            QueryDocument(
                text=mention.text,
                language=mention.language,
                author=mention.author.handle,
                source=mention.source.name,
                source_kind=mention.source.kind,
            )
        )
    ]
    preview["checked"] = len(recent)
    preview["matching"] = matching[:10]
    preview["matching_count"] = len(matching)
    return preview


@client_member_required(Role.MANAGER)
def sources_page(request: HttpRequest) -> HttpResponse:
    try_expression = request.GET.get("q", "")
    context = {
        "query_roles": QueryRole.choices,
        "health": source_health_list(),
        "backfills": backfills_recent(),
        "queries": [
            {"query": query, "preview": _query_preview(query.expression)}
            for query in listening_query_list()
        ],
        "try": _query_preview(try_expression) if try_expression.strip() else None,
        "try_expression": try_expression,
        "kinds": [(kind, connector_class(kind).label) for kind in connector_kinds()],
        "can_edit": role_at_least(request.lotse_role, Role.CLIENT_ADMIN),  # type: ignore[attr-defined]
        "today": timezone.localdate(),
    }
    return render(request, "frontend/sources.html", context)


def _config_from_post(fields: dict[str, str], post: Any) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name in fields:
        value = str(post.get(f"config_{name}", "")).strip()
        if name in BOOL_FIELDS:
            config[name] = value == "on"
            continue
        if not value:
            continue
        if name in LIST_FIELDS:
            config[name] = [
                part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()
            ]
        elif value.lower() in {"true", "false", "on", "off", "yes", "no"}:
            config[name] = value.lower() in {"true", "on", "yes"}
        else:
            config[name] = value
    return config


@client_member_required(Role.CLIENT_ADMIN)
def source_new(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind") or request.GET.get("kind") or "rss"
    if kind not in connector_kinds():
        raise Http404("No such source kind")
    cls = connector_class(kind)
    errors: dict[str, list[str]] = {}
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            interval = int(request.POST.get("poll_interval") or cls.default_interval_seconds)
        except ValueError:
            interval = 0
        try:
            source = source_create_polled(
                kind=kind,
                name=request.POST.get("name", "").strip() or cls.label,
                config=_config_from_post(cls.config_fields, request.POST),
                credentials={
                    name: request.POST.get(f"credential_{name}", "")
                    for name in cls.credential_fields
                },
                poll_interval_seconds=interval,
                apply_queries=request.POST.get("apply_queries") == "on",
            )
        except DomainError as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, f"Added {source.name}; it is polled within a minute.")
            return redirect("sources")
    context = {
        "kind": kind,
        "label": cls.label,
        "kinds": [(k, connector_class(k).label) for k in connector_kinds()],
        "config_fields": _config_fields(
            cls.config_fields,
            values={name: values.get(f"config_{name}", "") for name in cls.config_fields},
            checked={
                name: values.get(f"config_{name}") == "on" if values else True
                for name in cls.config_fields
            },
            errors=errors,
        ),
        "credential_fields": _credential_fields(cls.credential_fields),
        "interval": values.get("poll_interval", cls.default_interval_seconds),
        "name": values.get("name", ""),
        "errors": errors.get("__all__", []) + errors.get("poll_interval", []),
    }
    return render(request, "frontend/source_new.html", context, status=400 if errors else 200)


def _config_fields(
    fields: dict[str, str],
    *,
    values: dict[str, Any],
    checked: dict[str, bool],
    errors: dict[str, list[str]],
) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "label": name.replace("_", " ").capitalize(),
            "help": help_text,
            "value": values.get(name, ""),
            "errors": errors.get(name, []) + errors.get(f"config.{name}", []),
            "checkbox": name in BOOL_FIELDS,
            "checked": checked.get(name, False),
        }
        for name, help_text in fields.items()
    ]


def _credential_fields(fields: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(name, name.replace("_", " ").capitalize(), help) for name, help in fields.items()]


def _config_value_shown(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(part) for part in value)
    if isinstance(value, bool):
        return "on" if value else ""
    return "" if value is None else str(value)


@client_member_required(Role.CLIENT_ADMIN)
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a source's name, settings, interval and switch; delete it (kept for its
    mentions) from the same page."""
    source = _source(pk)
    # Pushed sources (webhook, import, demo) have a name and a switch, no settings.
    polled = source.kind not in PUSH_KINDS
    cls = connector_class(source.kind) if polled else None
    config_spec = cls.config_fields if cls else {}
    credential_spec = cls.credential_fields if cls else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        changes: dict[str, Any] = {
            "name": request.POST.get("name", ""),
            "enabled": request.POST.get("enabled") == "on",
        }
        if polled:
            changes["config"] = _config_from_post(config_spec, request.POST)
            changes["apply_queries"] = request.POST.get("apply_queries") == "on"
            raw_interval = request.POST.get("poll_interval", "").strip()
            changes["poll_interval_seconds"] = (
                int(raw_interval) if raw_interval.isdigit() else raw_interval
            )
        try:
            source = source_update(
                source=source,
                changes=changes,
                by=request.user,
                credentials={
                    name: request.POST.get(f"credential_{name}", "") for name in credential_spec
                },
            )
        except DomainError as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, f"Saved {source.name}.")
            return redirect("sources")
        values = {name: request.POST.get(f"config_{name}", "") for name in config_spec}
        checked = {name: request.POST.get(f"config_{name}") == "on" for name in config_spec}
        form = {
            "name": request.POST.get("name", ""),
            "interval": request.POST.get("poll_interval", ""),
            "enabled": request.POST.get("enabled") == "on",
            "apply_queries": request.POST.get("apply_queries") == "on",
        }
    else:
        values = {name: _config_value_shown(source.config.get(name)) for name in config_spec}
        checked = {name: bool(source.config.get(name)) for name in config_spec}
        form = {
            "name": source.name,
            "interval": source.poll_interval_seconds,
            "enabled": source.enabled,
            "apply_queries": source.apply_queries,
        }
    context = {
        "source": source,
        "label": source.get_kind_display(),
        "polled": polled,
        "form": form,
        "config_fields": _config_fields(config_spec, values=values, checked=checked, errors=errors),
        "credential_fields": _credential_fields(credential_spec),
        "errors": [
            message
            for key in ("__all__", "name", "poll_interval_seconds", "enabled", "apply_queries")
            for message in errors.get(key, [])
        ],
    }
    return render(request, "frontend/source_edit.html", context, status=400 if errors else 200)


def _source(pk: int) -> Source:
    source = Source.objects.filter(pk=pk).first()
    if source is None:
        raise Http404("No such source")
    return source


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def source_action(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source(pk)
    action = request.POST.get("action", "")
    if action in {"enable", "disable"}:
        source_update(source=source, changes={"enabled": action == "enable"}, by=request.user)
        messages.success(request, f"{source.name} {action}d.")
    elif action == "delete":
        source_delete(source=source, by=request.user)
        messages.success(request, f"Deleted {source.name}; its mentions are kept.")
    elif action == "test":
        source_test_request(source=source)
        if request.headers.get("X-Requested-With") == "fetch":
            # The page stays open; the result arrives live (sources.js).
            return HttpResponse(status=202)
        messages.info(request, f"Testing {source.name}…")
    elif action == "backfill":
        try:
            since = _day(request.POST.get("since", ""), time.min)
            until = _day(request.POST.get("until", ""), time.max)
            backfill_start(source=source, since=since, until=until)
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", None) or "Enter both dates.")
        else:
            messages.success(request, f"Backfill of {source.name} started.")
    else:
        return HttpResponse("Unknown action", status=400, content_type="text/plain")
    return redirect("sources")


def _day(value: str, at: time) -> datetime:
    day = date.fromisoformat(value)
    return timezone.make_aware(datetime.combine(day, at))


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def query_save(request: HttpRequest) -> HttpResponse:
    existing = None
    if request.POST.get("id", "").isdigit():
        existing = ListeningQuery.objects.filter(pk=int(request.POST["id"])).first()
    if request.POST.get("action") == "delete" and existing is not None:
        existing.delete()
        messages.success(request, f"Deleted query {existing.name}.")
        return redirect("sources")
    try:
        saved = listening_query_save(
            name=request.POST.get("name", ""),
            expression=request.POST.get("expression", ""),
            enabled=request.POST.get("enabled", "on") == "on",
            role=request.POST.get("role", QueryRole.BRAND),
            query=existing,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        query = urlencode({"q": request.POST.get("expression", "")[:2000]})
        return redirect(f"/sources/?{query}")
    messages.success(request, f"Saved query {saved.name}.")
    return redirect("sources")
