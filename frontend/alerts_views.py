"""The alerts page: open and past spike alerts, volume against baseline, PR contacts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.selectors import role_at_least
from config.errors import DomainError
from frontend.access import client_member_required
from frontend.params import form_float
from reports.chart import volume_chart
from reports.selectors import (
    alert_get,
    alert_history,
    alert_settings_get,
    alerts_for_banner,
    alerts_visible_to,
    volume_series,
)
from reports.services import (
    THRESHOLD_LIMITS,
    alert_acknowledge,
    alert_settings_update,
    alert_thresholds_update,
)


def sees_whole_client(user: User, role: str | None) -> bool:
    """Alerts are about all of the client's mentions (`reports.selectors`)."""
    return alerts_visible_to(user=user, role=role)


@client_member_required(allow=sees_whole_client, needs=Role.MANAGER)
def alerts_page(request: HttpRequest) -> HttpResponse:
    role = request.lotse_role  # type: ignore[attr-defined]
    can_edit = role_at_least(role, Role.CLIENT_ADMIN)
    if request.method == "POST":
        if not can_edit:
            return render(
                request,
                "frontend/forbidden.html",
                {"needs": Role.CLIENT_ADMIN, "role": role},
                status=403,
            )
        try:
            alert_settings_update(
                pr_emails=request.POST.get("pr_emails", "").replace(",", "\n").splitlines(),
                by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            details = "; ".join(msg for msgs in (exc.fields or {}).values() for msg in msgs)
            messages.error(request, f"{exc.message} {details}".strip())
        else:
            messages.success(request, "PR contacts saved.")
        return redirect("alerts")
    now = timezone.now()
    alerts = alert_history()
    settings = alert_settings_get()
    can_manage = role_at_least(role, Role.MANAGER)
    context = {
        "alerts": alerts,
        "open_alerts": alerts_for_banner() if can_manage else [],
        "can_manage": can_manage,
        "share_open_min_percent": round(settings.share_open_min * 100),
        "share_open_lift_percent": round(settings.share_open_lift * 100),
        # The hours in the reader's zone (the middleware activated it), named on the page.
        "chart": volume_chart(
            volume_series(now=now), alerts, now=now, zone=timezone.get_current_timezone()
        ),
        "chart_zone": f"{timezone.localtime(now):%Z}, {timezone.get_current_timezone_name()}",
        "settings": settings,
        "pr_emails_text": "\n".join(settings.pr_emails),
        "can_edit": can_edit,
    }
    return render(request, "frontend/alerts.html", context)


def _back(request: HttpRequest) -> str:
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return back
    return "/alerts/"


@require_POST
@client_member_required(Role.MANAGER)
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alert_acknowledge(alert=alert_get(alert_id=pk), by=request.user)  # type: ignore[arg-type]
    messages.success(
        request, f"{alert.get_kind_display()} alert acknowledged: the banner is gone for everyone."
    )
    return redirect(_back(request))


PERCENT_FIELDS = ("share_open_min", "share_open_lift")


@require_POST
@client_member_required(Role.MANAGER)
def alert_thresholds_view(request: HttpRequest) -> HttpResponse:
    values: dict[str, float] = {}
    unreadable = []
    for name in THRESHOLD_LIMITS:
        raw = request.POST.get(name, "").strip()
        if not raw:
            continue
        value = form_float(raw)
        if value is None:
            unreadable.append(name.replace("_", " "))
            continue
        values[name] = value / 100 if name in PERCENT_FIELDS else value
    if unreadable:
        messages.error(request, f"Not a number: {', '.join(unreadable)}.")
        return redirect("/alerts/#thresholds")
    try:
        alert_thresholds_update(values=values, by=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        details = "; ".join(
            f"{name.replace('_', ' ')}: {', '.join(msgs)}"
            for name, msgs in (exc.fields or {}).items()
        )
        messages.error(request, f"{exc.message} {details}".strip())
    else:
        messages.success(request, "Alert thresholds saved.")
    return redirect("/alerts/#thresholds")
