"""People of a client: invitations (the /staff/ page and the accept page), roles and access,
the profile page and password reset by e-mail.

Client admins change things through `sources.services.people`, the same services as the
API, so every change is validated the same way and audited."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.handoff import login_id_new, login_session_add
from accounts.invitations import invitation_for_token, invitation_get, invitations_open
from accounts.models import Invitation, InvitationState, Role, User
from accounts.selectors import client_memberships, membership_role_for
from accounts.services import password_reset_completed_record, password_reset_requested_record
from config.errors import DomainError
from config.mail import mail_send_on_commit
from config.tenancy import current_client, current_client_or_none
from frontend.access import client_member_required
from frontend.login_views import LOGIN_ID_KEY, MODEL_BACKEND
from frontend.params import form_int
from routing.selectors import department_list, staff_get
from sources.services.people import (
    person_accept,
    person_deactivate,
    person_invitation_resend,
    person_invitation_revoke,
    person_invite,
    person_profile_update,
    person_reactivate,
    person_role_change,
)

ROLE_CHOICES = [
    (Role.CLIENT_ADMIN.value, "Client admin: everything, people included"),
    (Role.MANAGER.value, "Manager: routing, approvals"),
    (Role.RESPONDER.value, "Responder: takes and answers mentions"),
    (Role.VIEWER.value, "Viewer: looks on, never assigned"),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _role(request: HttpRequest) -> str | None:
    return getattr(request, "lotse_role", None)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _error_text(exc: DomainError) -> str:
    details = "; ".join(f"{field}: {', '.join(problems)}" for field, problems in exc.fields.items())
    return f"{exc.message} {details}".strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def people_context(*, me: User) -> dict[str, Any]:
    """The people and invitations sections of the staff page (client admins only)."""
    client = current_client()
    now = timezone.now()
    return {
        "memberships": [
            {"membership": m, "me": m.user_id == me.pk} for m in client_memberships(client=client)
        ],
        "invitations": [
            {"invitation": i, "expired": i.state_at(now) == InvitationState.EXPIRED}
            for i in invitations_open(client=client)
        ],
        "role_choices": ROLE_CHOICES,
    }


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def invitation_create(request: HttpRequest) -> HttpResponse:
    post = request.POST
    data = {
        "email": post.get("email", ""),
        "role": post.get("role", ""),
        "departments": post.getlist("departments"),
        "teams": [v for v in (form_int(t) for t in post.getlist("teams")) if v is not None],
        "languages": _split(post.get("languages", "")),
    }
    try:
        invitation = person_invite(
            client=current_client(),
            data=data,
            by=_user(request),
            by_role=_role(request),
            base_url=_base_url(request),
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Invited {invitation.email}. The link works once, for 7 days.")
    return redirect("/staff/#people")


def _invitation_or_404(invitation_id: int) -> Invitation:
    invitation = invitation_get(client=current_client(), invitation_id=invitation_id)
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def invitation_action(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_or_404(pk)
    action = request.POST.get("action")
    try:
        if action == "resend":
            person_invitation_resend(
                client=current_client(),
                invitation=invitation,
                by=_user(request),
                by_role=_role(request),
                base_url=_base_url(request),
            )
            messages.success(request, f"Sent {invitation.email} a new link; the old one is dead.")
        elif action == "revoke":
            person_invitation_revoke(
                client=current_client(),
                invitation=invitation,
                by=_user(request),
                by_role=_role(request),
            )
            messages.success(request, f"Revoked the invitation to {invitation.email}.")
        else:
            messages.error(request, "Unknown action.")
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("/staff/#people")


@require_POST
@client_member_required(Role.CLIENT_ADMIN)
def person_action(request: HttpRequest, user_id: int) -> HttpResponse:
    action = request.POST.get("action")
    kwargs: dict[str, Any] = {
        "client": current_client(),
        "user_id": user_id,
        "by": _user(request),
        "by_role": _role(request),
    }
    try:
        if action == "role":
            change = person_role_change(role=request.POST.get("role", ""), **kwargs)
            text = "Role changed." if change.changed else "The role was already that."
        elif action == "deactivate":
            change = person_deactivate(**kwargs)
            text = "Deactivated: no more access to this client."
        elif action == "reactivate":
            change = person_reactivate(**kwargs)
            text = "Reactivated. Put them back on teams below if they take mentions."
        else:
            messages.error(request, "Unknown action.")
            return redirect("/staff/#people")
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("/staff/#people")
    if change.released:
        text += f" {change.released} open mention(s) went back to their teams."
    messages.success(request, text)
    return redirect("/staff/#people")


def _login_new_account(request: HttpRequest, user: User) -> None:
    """Log in someone who just chose their first password here (no second factor yet), as
    one login that "log out everywhere" ends (like the login page does)."""
    login(request, user, backend=MODEL_BACKEND)
    login_id = login_id_new()
    request.session[LOGIN_ID_KEY] = login_id
    request.session.save()
    login_session_add(login_id=login_id, session_key=str(request.session.session_key))


def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the e-mailed link, on the client's host: set a password and name (or,
    with an account, log in or just accept), then straight to the inbox."""
    client = current_client_or_none()
    if client is None:
        raise Http404("Invitations are opened on the client's address")
    invitation = invitation_for_token(client=client, raw_token=token)
    state = invitation.state if invitation is not None else "unknown"
    me = request.user if request.user.is_authenticated else None
    existing = None
    if invitation is not None:
        existing = User.objects.filter(email=invitation.email).first()
    has_password = existing is not None and existing.has_usable_password()
    errors: dict[str, list[str]] = {}
    values = {"name": existing.name if existing else ""}
    status = 200
    if invitation is None:
        status = 404
    elif state != InvitationState.PENDING:
        status = 410
    elif request.method == "POST":
        user: User | None = me
        password = request.POST.get("password", "")
        values["name"] = request.POST.get("name", "")
        if user is None and has_password:
            # An existing account proves itself with its password, then accepts.
            found = authenticate(request, username=invitation.email, password=password)
            if found is None:
                errors["password"] = ["That is not the password of this account."]
            user = found
        if not errors:
            try:
                user = person_accept(
                    client=client,
                    raw_token=token,
                    user=user,
                    name=values["name"],
                    password=password,
                )
            except DomainError as exc:
                errors = exc.fields or {"general": [exc.message]}
            else:
                if me is None and has_password:
                    # An existing account joins with its password, but logs in through the
                    # login page, which asks for its second factor and throttles.
                    messages.success(
                        request, f"You joined {client.name}. Log in to open the inbox."
                    )
                    return redirect(f"{reverse('login')}?next=/")
                if me is None:
                    _login_new_account(request, user)
                messages.success(request, f"Welcome to {client.name}.")
                return redirect("home")
        status = 400
    context = {
        "invitation": invitation,
        "state": state,
        "me": me,
        "wrong_person": me is not None and invitation is not None and me.email != invitation.email,
        "has_password": has_password,
        "errors": errors,
        "values": values,
        "role_label": Role(invitation.role).label if invitation is not None else "",
        "department_names": [
            d.name
            for d in department_list().filter(
                slug__in=invitation.departments if invitation is not None else []
            )
        ],
    }
    return render(request, "frontend/invitation_accept.html", context, status=status)


# --- profile ----------------------------------------------------------------------------


def profile_page(request: HttpRequest) -> HttpResponse:
    """Name, time zone, password for everyone; signature and languages in a client where
    the person is on the staff."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse_lazy('login')}?next=/profile/")
    user = _user(request)
    client = current_client_or_none()
    member = None
    if client is not None and membership_role_for(user=user, client=client) is not None:
        member = staff_get(user_id=user.pk)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            person_profile_update(
                user=user,
                client=client if member is not None else None,
                name=request.POST.get("name", ""),
                timezone_name=request.POST.get("timezone", ""),
                languages=_split(request.POST.get("languages", "")),
                signature=request.POST.get("signature", ""),
            )
        except DomainError as exc:
            errors = exc.fields or {"general": [exc.message]}
        else:
            messages.success(request, "Saved your profile.")
            return redirect("profile")
    context = {
        "member": member,
        "errors": errors,
        "values": request.POST if errors else None,
    }
    return render(request, "frontend/profile.html", context, status=400 if errors else 200)


class ProfilePasswordView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "frontend/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, "Your password is changed.")
        return response


# --- password reset ---------------------------------------------------------------------


class MemberPasswordResetForm(PasswordResetForm):
    """Mails only people who may log in where they asked (a client's members on its host;
    anyone on the agency host), including accounts that never had a password. The page
    answers the same whatever was typed, so nobody learns which addresses exist. The mail is
    queued for a worker (`config.mail`), so a slow mail server never holds the page."""

    def get_users(self, email: str) -> Any:
        users = User.objects.filter(email__iexact=email.strip(), is_active=True)
        client = current_client_or_none()
        if client is not None:
            users = users.filter(
                Q(memberships__client=client, memberships__deactivated_at__isnull=True)
                | Q(memberships__role=Role.AGENCY_ADMIN)
            ).distinct()
        return iter(list(users))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        mail_send_on_commit(subject=subject, body=body, to=[to_email])


class PasswordResetStart(auth_views.PasswordResetView):
    form_class = MemberPasswordResetForm
    template_name = "frontend/password_reset.html"
    email_template_name = "frontend/password_reset_email.txt"
    subject_template_name = "frontend/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-sent")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        email = form.cleaned_data["email"]
        password_reset_requested_record(
            tenant=self.request.tenant,  # type: ignore[attr-defined]
            email=email,
            users=list(form.get_users(email)),
            address=get_client_ip_address(self.request),
        )
        return response


class PasswordResetSent(auth_views.PasswordResetDoneView):
    template_name = "frontend/password_reset_sent.html"


class PasswordResetSet(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "frontend/password_reset_set.html"
    success_url = reverse_lazy("password-reset-done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_reset_completed_record(
            tenant=self.request.tenant,  # type: ignore[attr-defined]
            user=form.user,
            address=get_client_ip_address(self.request),
        )
        return response


class PasswordResetDone(auth_views.PasswordResetCompleteView):
    template_name = "frontend/password_reset_done.html"
