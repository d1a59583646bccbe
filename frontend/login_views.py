"""Logging in, the second step, moving between hosts, logging out, and the 2FA page.

One login: the password (and, for people with an authenticator app, a code) is asked once,
on whichever host. The header's client switcher goes through `switch_to` on the current
host, which hands a signed single-use token to the target host's `handoff` (see
`accounts.handoff`); the target opens its own session after checking the membership.
"""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.handoff import (
    HandoffRefused,
    handoff_check,
    handoff_issue,
    handoff_use,
    login_id_new,
    login_session_add,
    login_sessions_end,
)
from accounts.models import Client, Role, User
from accounts.security import (
    AGENCY_SCHEMA,
    agency_get,
    is_agency_admin,
    login_username,
    two_factor_enrolled,
    two_factor_required,
    user_devices,
)
from accounts.selectors import membership_role_for, role_at_least
from accounts.services import client_two_factor_require
from frontend.forms import EmailLoginForm, OtpCodeForm

PENDING_KEY = "lotse_2fa_pending"
LOGIN_ID_KEY = "lotse_login"
PENDING_SECONDS = 300
RECOVERY_CODES = 10
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _password_accepted(user: User) -> None:
    """A real login (password, and code where one is set up) clears that account's failed
    attempts, and only that account's: axes' own reset-on-success would clear every failure
    from the address on any login, hand-offs included, and let one account guess another's
    password forever."""
    axes_reset(username=login_username(None, {"username": user.email}))


def _login_complete(request: HttpRequest, user: User, *, backend: str, login_id: str) -> None:
    """Open this host's session for `user` and remember it as part of one login."""
    login(request, user, backend=backend)
    request.session[LOGIN_ID_KEY] = login_id
    request.session.save()
    login_session_add(login_id=login_id, session_key=str(request.session.session_key))


@transaction.atomic
def _code_match(user: User, code: str) -> Any:
    """The device `code` belongs to, or None. The person's devices are locked first, so the
    same code sent twice at once is accepted once (a recovery code is used up, a TOTP code
    cannot be replayed)."""
    list(TOTPDevice.objects.select_for_update().filter(user=user).values_list("pk", flat=True))
    list(StaticDevice.objects.select_for_update().filter(user=user).values_list("pk", flat=True))
    return match_token(user, code)


def _is_verified(request: HttpRequest) -> bool:
    check = getattr(request.user, "is_verified", None)
    return bool(callable(check) and check())


class EmailLoginView(LoginView):
    """Step one: e-mail and password. People with an authenticator app go on to step two."""

    form_class = EmailLoginForm
    template_name = "frontend/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: EmailLoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if two_factor_enrolled(user=user):
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": getattr(user, "backend", MODEL_BACKEND),
                "at": time.time(),
            }
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse('login-code')}?{query}")
        _password_accepted(user)
        _login_complete(
            self.request,
            user,
            backend=getattr(user, "backend", MODEL_BACKEND),
            login_id=login_id_new(),
        )
        return redirect(self.get_success_url())


def login_code(request: HttpRequest) -> HttpResponseBase:
    """Step two: a code from the authenticator app (or a recovery code)."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, "Please log in again.")
        return redirect(f"{reverse('login')}?{urlencode({'next': _safe_next(request)})}")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    credentials = {"username": user.email}
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if AxesProxyHandler.is_locked(request, credentials):
            return locked_out(request, None, credentials)
        device = _code_match(user, form.cleaned_data["code"])
        if device is None:
            # A wrong code counts like a wrong password: guessing codes locks the account.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            form.add_error(
                "code",
                "That code is not right. Use the code your app shows now (it changes every "
                "30 seconds), or one of your recovery codes.",
            )
        else:
            request.session.pop(PENDING_KEY, None)
            _password_accepted(user)
            _login_complete(request, user, backend=pending["backend"], login_id=login_id_new())
            otp_login(request, device)
            return redirect(_safe_next(request))
    return render(
        request, "frontend/login_code.html", {"form": form, "next": _safe_next(request, "")}
    )


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked account or address: the login page, saying how long."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cool_off.total_seconds() / 60))
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = EmailLoginForm(request, initial={"username": username})
    return render(
        request,
        "frontend/login.html",
        {
            "form": form,
            "next": _safe_next(request, ""),
            "locked_message": (
                "Too many failed logins for this account or from this address. For your "
                f"security, logging in is paused: try again in {minutes} minutes."
            ),
        },
        status=429,
    )


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """Log out here and on every host this login was handed to."""
    login_id = request.session.get(LOGIN_ID_KEY)
    logout(request)
    if login_id:
        login_sessions_end(login_id=str(login_id))
    return redirect("login")


# --- Moving between hosts -----------------------------------------------------------


def _host_url(request: HttpRequest, client: Client, path: str) -> str:
    domain = client.get_primary_domain()
    host = domain.domain if domain is not None else settings.LOTSE_BASE_DOMAIN
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    netloc = host if port == default_port else f"{host}:{port}"
    return f"{request.scheme}://{netloc}{path}"


@login_required
def switch_to(request: HttpRequest, slug: str) -> HttpResponse:
    """Go to another client (or the agency overview) without logging in again."""
    user: User = request.user  # type: ignore[assignment]
    if slug == "agency":
        target = agency_get()
    else:
        target = Client.objects.exclude(schema_name=AGENCY_SCHEMA).filter(slug=slug).first()
    is_agency = target is not None and target.schema_name == AGENCY_SCHEMA
    if target is None or (not is_agency and membership_role_for(user=user, client=target) is None):
        # The same answer for a client that does not exist and one of someone else's: the
        # switch does not tell who the agency's other clients are.
        raise Http404("No such client")
    login_id = request.session.get(LOGIN_ID_KEY)
    if not login_id:
        login_id = login_id_new()
        request.session[LOGIN_ID_KEY] = login_id
        request.session.save()
        login_session_add(login_id=login_id, session_key=str(request.session.session_key))
    device_id = request.session.get(DEVICE_ID_SESSION_KEY) if _is_verified(request) else None
    token = handoff_issue(user=user, client=target, device_id=device_id, login_id=str(login_id))
    return redirect(_host_url(request, target, f"/handoff/?{urlencode({'token': token})}"))


# Navigations a browser says came from this site (the agency and its clients' hosts share a
# registrable domain in production). Elsewhere (another site, no header, or local hosts under
# `localhost`, each a site of its own) the person confirms: a link from an attacker's page must
# not log a browser into the attacker's account (login CSRF).
SAME_SITE = frozenset({"same-origin", "same-site"})


@require_http_methods(["GET", "POST"])
def handoff(request: HttpRequest) -> HttpResponse:
    """The target side of a switch: open this host's session, once, within a minute."""
    tenant: Client = request.tenant  # type: ignore[attr-defined]
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")
    try:
        grant = handoff_check(token=token, client=tenant)
        here: User | None = request.user if request.user.is_authenticated else None
        from_this_site = request.headers.get("Sec-Fetch-Site") in SAME_SITE
        confirmed = request.method == "POST"  # a CSRF-checked form on this host
        if not confirmed and not (
            (here is not None and here.pk == grant.user.pk) or (here is None and from_this_site)
        ):
            return render(
                request,
                "frontend/handoff_confirm.html",
                {"token": token, "person": grant.user, "here": here},
            )
        handoff_use(token=token, client=tenant)
    except HandoffRefused as refused:
        return render(
            request, "frontend/handoff_refused.html", {"reason": str(refused)}, status=403
        )
    _login_complete(request, grant.user, backend=MODEL_BACKEND, login_id=grant.login_id)
    if grant.device is not None:
        otp_login(request, grant.device)
    return redirect("/")


# --- The 2FA page -------------------------------------------------------------------


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: bytes = image.to_string()
    return svg.decode()


@transaction.atomic
def _recovery_codes_new(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@login_required
def two_factor_page(request: HttpRequest) -> HttpResponse:
    """Set up, confirm or turn off two-factor login (an authenticator app + recovery codes)."""
    user: User = request.user  # type: ignore[assignment]
    tenant: Client = request.tenant  # type: ignore[attr-defined]
    client = None if tenant.schema_name == AGENCY_SCHEMA else tenant
    next_url = _safe_next(request, "")
    required = two_factor_required(user=user, client=client)
    enrolled = two_factor_enrolled(user=user)
    verified = _is_verified(request)
    action = request.POST.get("action", "")
    form = OtpCodeForm(request.POST if request.method == "POST" else None)
    # Client admins (agency admins on the agency host) decide for everyone there.
    may_require = (
        is_agency_admin(user=user)
        if client is None
        else role_at_least(membership_role_for(user=user, client=client), Role.CLIENT_ADMIN)
    )
    context: dict[str, Any] = {
        "required": required,
        "next": next_url,
        "form": form,
        "may_require": may_require,
        "host_requires": tenant.require_2fa,
    }
    if action == "require" and may_require:
        if not verified:
            messages.error(request, "Turn on two-factor login for yourself first, then require it.")
        else:
            wanted = request.POST.get("required") == "on"
            client_two_factor_require(
                client=tenant, required=wanted, actor=user, actor_has_second_factor=verified
            )
            messages.success(
                request,
                "Two-factor login is now required here."
                if wanted
                else "Two-factor login is no longer required here.",
            )
        return redirect("two-factor")

    if not enrolled:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None or action == "restart":
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        if action == "confirm" and form.is_valid():
            if device.verify_token(form.cleaned_data["code"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                context.update(state="codes", codes=_recovery_codes_new(user))
                return render(request, "frontend/two_factor.html", context)
            form.add_error("code", "That code is not right. Type the code your app shows now.")
        context.update(
            state="enrol",
            qr=mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - made by qrcode, not input
            secret=b32encode(device.bin_key).decode(),
        )
        return render(request, "frontend/two_factor.html", context)

    if action in {"verify", "disable"} and form.is_valid():
        device = _code_match(user, form.cleaned_data["code"])
        if device is None:
            user_login_failed.send(
                sender=__name__, credentials={"username": user.email}, request=request
            )
            form.add_error("code", "That code is not right.")
        elif action == "verify":
            otp_login(request, device)
            messages.success(request, "Thanks, your code is confirmed.")
            return redirect(next_url or reverse("two-factor"))
        elif required:
            form.add_error(None, "Two-factor login is required here, so it stays on.")
        else:
            for each in user_devices(user=user):
                each.delete()
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, "Two-factor login is off.")
            return redirect("two-factor")
    if action == "codes" and verified:
        context.update(state="codes", codes=_recovery_codes_new(user))
        return render(request, "frontend/two_factor.html", context)
    context.update(state="on" if verified else "verify", devices=user_devices(user=user))
    return render(request, "frontend/two_factor.html", context)
