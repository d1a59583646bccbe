"""The alerts page: open and past spike alerts, volume against baseline, PR contacts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import role_at_least
from config.errors import DomainError
from frontend.access import client_member_required
from reports.chart import volume_chart
from reports.selectors import alert_history, alert_settings_get, volume_series
from reports.services import alert_settings_update
from routing.services.assignment import visible_department_ids


def sees_whole_client(user: User, role: str | None) -> bool:
    """Alerts are about all of the client's mentions: managers and up, and staff not
    limited to departments (the same people the client's live group reaches)."""
    if role_at_least(role, Role.MANAGER):
        return True
    return visible_department_ids(user_id=int(user.pk or 0)) is None


@client_member_required()
def alerts_page(request: HttpRequest) -> HttpResponse:
    role = request.lotse_role  # type: ignore[attr-defined]
    if not sees_whole_client(request.user, role):  # type: ignore[arg-type]
        return render(
            request, "frontend/forbidden.html", {"needs": Role.MANAGER, "role": role}, status=403
        )
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
    context = {
        "alerts": alerts,
        "open_alerts": [a for a in alerts if a.closed_at is None],
        "chart": volume_chart(volume_series(now=now), alerts, now=now),
        "settings": settings,
        "pr_emails_text": "\n".join(settings.pr_emails),
        "can_edit": can_edit,
    }
    return render(request, "frontend/alerts.html", context)
