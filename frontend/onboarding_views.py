"""The agency's onboarding wizard (`/clients/new` on the agency host): agency admins only."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from accounts.models import User
from accounts.selectors import is_agency_admin
from accounts.services import client_domain
from config.errors import DomainError
from config.tenancy import current_client_or_none
from routing.sla import WEEKDAYS
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


def client_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user: User = request.user
    if current_client_or_none() is not None or not is_agency_admin(user=user):
        return render(
            request,
            "frontend/forbidden.html",
            {"needs": "agency admin", "role": "not an agency admin"},
            status=403,
        )
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
