"""Logo pages: a client's admins upload, replace and remove the client's logo on its
Settings page (`/settings/`), the agency's admins the agency's on the agency host
(`/branding/`). Both logos head the report's PDF; the client's also heads its pages.

The images are served by views that check who asks (`/logo.png` for members of the client,
`/branding/logo.png` for agency admins), never from a public media URL: a white-label logo
tells who the agency works for. Checking and storing are `accounts.logos`'s."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.logos import (
    LOGO_MAX_BYTES,
    LogoTooLarge,
    client_logo_delete,
    client_logo_get,
    client_logo_set,
    logo_upload_read,
)
from accounts.models import Client, ClientLogo, Role, User
from accounts.security import agency_get
from config.errors import DomainError
from config.tenancy import current_client
from frontend.access import client_member_required
from frontend.onboarding_views import agency_admin_required

MAX_SIZE_TEXT = f"{LOGO_MAX_BYTES // (1024 * 1024)} MB"


def _problem_text(error: DomainError) -> list[str]:
    """What was wrong with an upload, in words a person uploading a logo understands."""
    if isinstance(error, LogoTooLarge):
        return [
            f"The file is too large: a logo may be at most {MAX_SIZE_TEXT}. "
            "Save it smaller (fewer pixels, or as PNG or JPEG) and upload it again."
        ]
    return error.fields.get("file") or [error.message]


def _logo_page(
    request: HttpRequest, *, client: Client, template_context: dict[str, str], redirect_to: str
) -> HttpResponse:
    """The shared page: show the current logo; POST `action=upload` (with `file`) or
    `action=remove`."""
    user: User = request.user  # type: ignore[assignment]
    problems: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "upload":
            try:
                client_logo_set(
                    client=client,
                    data=logo_upload_read(upload=request.FILES.get("file")),
                    actor=user,
                )
            except DomainError as error:
                problems = _problem_text(error)
            else:
                messages.success(request, "The logo is saved.")
                return redirect(redirect_to)
        elif action == "remove":
            if client_logo_delete(client=client, actor=user):
                messages.success(request, "The logo is removed.")
            else:
                messages.info(request, "There was no logo to remove.")
            return redirect(redirect_to)
        else:
            problems = ["Choose to upload a logo or to remove it."]
    logo = client_logo_get(client=client)
    context = {
        **template_context,
        "logo": logo,
        "logo_size": len(logo.image) if logo is not None else 0,
        "problems": problems,
        "max_size": MAX_SIZE_TEXT,
    }
    return render(request, "frontend/logo_settings.html", context, status=400 if problems else 200)


def _png(logo: ClientLogo | None) -> HttpResponse:
    if logo is None:
        raise Http404("No logo yet")
    response = HttpResponse(bytes(logo.image), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    # Private: a shared cache must never hand one client's logo to someone else. The URL
    # carries the logo's version, so a changed logo is fetched anew.
    response["Cache-Control"] = "private, max-age=3600"
    return response


@client_member_required(min_role=Role.CLIENT_ADMIN)
def client_settings_page(request: HttpRequest) -> HttpResponse:
    client = current_client()
    return _logo_page(
        request,
        client=client,
        template_context={
            "title": "Settings",
            "intro": f"{client.name}'s logo heads its pages and the reports sent from Lotse.",
            "image_url": "client-logo",
        },
        redirect_to="client-settings",
    )


@require_GET
@client_member_required()
def client_logo_image(request: HttpRequest) -> HttpResponse:
    """The client's logo, for its members (the page header shows it)."""
    return _png(client_logo_get(client=current_client()))


def _agency() -> Client:
    agency = agency_get()
    if agency is None:
        raise Http404("The agency is not set up")
    return agency


@agency_admin_required
def agency_branding_page(request: HttpRequest) -> HttpResponse:
    return _logo_page(
        request,
        client=_agency(),
        template_context={
            "title": "Agency branding",
            "intro": "The agency's logo heads every client's report, next to the client's own.",
            "image_url": "agency-logo",
        },
        redirect_to="agency-branding",
    )


@require_GET
@agency_admin_required
def agency_logo_image(request: HttpRequest) -> HttpResponse:
    return _png(client_logo_get(client=_agency()))
