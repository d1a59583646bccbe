"""Saved inbox views: save the current filters + sort + search, make one the default,
delete. Thin: each calls one service in `mentions.saved_views` and goes back to the inbox."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from config.errors import DomainError
from frontend.access import client_member_required
from frontend.params import form_int
from mentions.saved_views import (
    VIEW_PARAMS,
    saved_view_create,
    saved_view_delete,
    saved_view_query,
    saved_view_set_default,
)


@require_POST
@client_member_required()
def view_save(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        view = saved_view_create(
            user=request.user,  # type: ignore[arg-type]
            name=post.get("name", ""),
            params={name: post.get(name, "") for name in VIEW_PARAMS},
            is_default=post.get("is_default") == "1",
            team_id=form_int(post.get("team")),
        )
    except DomainError as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
        messages.error(request, f"{exc.message} {details}".strip())
        return redirect("/?" + urlencode([(k, v) for k, v in post.items() if k in VIEW_PARAMS]))
    shared = f", shared with {view.team.name}" if view.team else ""
    default = ", your default" if view.is_default else ""
    messages.success(request, f"Saved the view “{view.name}”{default}{shared}.")
    return redirect(f"/?{saved_view_query(view)}&view={view.pk}")


@require_POST
@client_member_required()
def view_action(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    user = request.user
    if action == "delete":
        saved_view_delete(user=user, view_id=pk)  # type: ignore[arg-type]
        messages.success(request, "Deleted the view.")
    elif action in {"default", "undefault"}:
        view = saved_view_set_default(user=user, view_id=pk, is_default=action == "default")  # type: ignore[arg-type]
        if view.is_default:
            messages.success(request, f"“{view.name}” now opens when you open the inbox.")
        else:
            messages.success(request, f"“{view.name}” is no longer your default.")
    else:
        return HttpResponse("Unknown action", status=400, content_type="text/plain")
    return redirect("/?status=open")
