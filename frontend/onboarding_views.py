"""The agency's client pages (agency host, agency admins only): the onboarding wizard
(`/clients/new`) and a client's life cycle (`/clients/<slug>/`: deactivate, reactivate,
export, delete)."""

from __future__ import annotations

import tempfile
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Client, User
from accounts.selectors import client_managed_get
from accounts.services import client_domain
from config.errors import DomainError
from frontend.access import agency_admin_required
from routing.sla import WEEKDAYS
from sources.services.lifecycle import (
    client_deactivate,
    client_delete,
    client_export,
    client_reactivate,
)
from sources.services.onboarding import (
    INDUSTRIES,
    ClientSetup,
    OnboardingResult,
    business_hours_from,
    client_onboard,
    tracked_names_from_lines,
)

DAY_LABELS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
COMMON_ZONES = (
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "UTC",
)


def _form_from_post(post: QueryDict) -> dict[str, Any]:
    return {
        "name": post.get("name", "").strip(),
        "slug": post.get("slug", "").strip().lower(),
        "time_zone": post.get("time_zone", "").strip(),
        "languages": post.get("languages", ""),
        "industry": post.get("industry", ""),
        "days": post.getlist("days"),
        "opens": post.get("opens", "08:00"),
        "closes": post.get("closes", "18:00"),
        "brands": post.get("brands", ""),
        "competitors": post.get("competitors", ""),
    }


def _setup(form: dict[str, Any]) -> ClientSetup:
    languages = [code.strip().lower() for code in form["languages"].replace(";", ",").split(",")]
    return ClientSetup(
        slug=form["slug"],
        name=form["name"],
        time_zone=form["time_zone"],
        languages=[code for code in languages if code],
        industry=form["industry"],
        business_hours=business_hours_from(
            days=form["days"], opens=form["opens"], closes=form["closes"]
        ),
        brands=tracked_names_from_lines(form["brands"]),
        competitors=tracked_names_from_lines(form["competitors"]),
    )


@agency_admin_required
def client_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form: dict[str, Any] = {
        "name": "",
        "slug": "",
        "time_zone": "Europe/Berlin",
        "languages": "de, en",
        "industry": "general",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "opens": "08:00",
        "closes": "18:00",
        "brands": "",
        "competitors": "",
    }
    errors: dict[str, list[str]] = {}
    result: OnboardingResult | None = None
    status = 200
    if request.method == "POST":
        form = _form_from_post(request.POST)
        try:
            result = client_onboard(setup=_setup(form), by=user)
        except DomainError as exc:
            errors = exc.fields or {"general": [exc.message]}
            status = 400
    order = ("name", "slug", "industry", "time_zone", "languages", "business_hours", "brands")
    context = {
        "form": form,
        "errors": errors,
        # Keyboard users start at the first field to fix.
        "first_error": next((name for name in (*order, "competitors") if name in errors), ""),
        "result": result,
        "client_url": (
            f"{request.scheme}://{client_domain(result.client.slug)}:{request.get_port()}/"
            if result
            else ""
        ),
        "industries": INDUSTRIES.items(),
        "industry_label": INDUSTRIES.get(form["industry"], ""),
        "base_domain": settings.LOTSE_BASE_DOMAIN,
        "days": [(key, label, key in form["days"]) for key, label in DAY_LABELS.items()],
        "zones": sorted(available_timezones()),
        "common_zones": COMMON_ZONES,
    }
    return render(request, "frontend/client_new.html", context, status=status)


def _managed_client(slug: str) -> Client:
    client = client_managed_get(slug=slug)
    if client is None:
        raise Http404("No such client")
    return client


@agency_admin_required
def client_manage(request: HttpRequest, slug: str) -> HttpResponse:
    client = _managed_client(slug)
    user: User = request.user  # type: ignore[assignment]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "deactivate":
            client_deactivate(client=client, by=user)
            messages.success(request, f"{client.name} is deactivated; its data is kept.")
            return redirect("client-manage", slug=client.slug)
        if action == "reactivate":
            client_reactivate(client=client, by=user)
            messages.success(request, f"{client.name} is active again.")
            return redirect("client-manage", slug=client.slug)
        if action == "delete":
            try:
                client_delete(
                    client=client, by=user, confirm_slug=request.POST.get("confirm_slug", "")
                )
            except DomainError as exc:
                errors = {**exc.fields, "general": [exc.message]}
            else:
                messages.success(request, f"{client.name} and all its data are deleted.")
                return redirect("home")
    context = {
        "client": client,
        "errors": errors,
        "industry_label": INDUSTRIES.get(client.industry, client.industry),
        "client_url": f"{request.scheme}://{client_domain(client.slug)}:{request.get_port()}/",
    }
    return render(request, "frontend/client_manage.html", context, status=400 if errors else 200)


@agency_admin_required
def client_export_download(request: HttpRequest, slug: str) -> FileResponse:
    """The client's data as a zip, written to a temporary file first (it may be large)."""
    client = _managed_client(slug)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    client_export(client=client, out=spool)
    spool.seek(0)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return FileResponse(spool, as_attachment=True, filename=f"lotse-{client.slug}-{stamp}.zip")
