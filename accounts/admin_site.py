"""The Django admin behind the same door as every page: Lotse's login (throttled by
django-axes, with the second step for 2FA) and a verified second factor for everyone.

It is routed on the agency host only (`config.urls_public`); client hosts answer 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponseForbidden, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode


class LotseAdminSite(AdminSite):
    site_header = "Lotse administration"
    site_title = "Lotse admin"

    def has_permission(self, request: HttpRequest) -> bool:
        is_verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and callable(is_verified) and is_verified()

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """No second login form: the site's login page, or the 2FA page for a staff member
        who is logged in but has no verified second factor yet."""
        if request.user.is_authenticated and getattr(request.user, "is_verified", bool)():
            return HttpResponseForbidden("This account may not use the admin.")
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        target = "two-factor" if request.user.is_authenticated else "login"
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': next_url})}")
