from typing import Any

from django.db import connection
from django.http import HttpRequest

from accounts.logos import clients_with_logo_version
from accounts.models import Role
from accounts.selectors import clients_for_user, is_agency_admin, membership_role_for, role_at_least
from frontend.navigation import agency_nav_entries, nav_entries
from mentions.selectors import approval_queue_for_user
from routing.models import Notification


def client(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_client = tenant is not None and tenant.schema_name != "public"
    unread = 0
    pending_approvals = 0
    switch_clients: list[Any] = []
    nav: list[Any] = []
    logo_version = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # The header's client switcher: only the clients this person belongs to.
        # The switcher's query also says when each client's logo last changed: the header
        # shows the current client's, without a query of its own.
        switch_clients = list(
            clients_with_logo_version(clients_for_user(user=user).only("name", "slug"))
        )
        if is_client and tenant is not None:
            logo_version = next((c.logo_version for c in switch_clients if c.pk == tenant.pk), None)
            # The header: only the pages this person may open (`frontend.navigation`).
            nav = nav_entries(user=user, client=tenant)
            unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
            # Approvers see on every page how many replies wait for them.
            if tenant is not None and role_at_least(
                membership_role_for(user=user, client=tenant), Role.MANAGER
            ):
                pending_approvals = approval_queue_for_user(user=user).count()
        elif tenant is not None:
            # The agency host's header: the same rule, asked of the agency's pages.
            nav = agency_nav_entries(user=user, agency=tenant)
    # On the agency host: whether to offer agency tools (the "New client" button).
    agency_admin = (
        tenant is not None
        and not is_client
        and user is not None
        and user.is_authenticated
        and is_agency_admin(user=user)
    )
    return {
        "current_client": tenant if is_client else None,
        "unread_notifications": unread,
        "pending_approvals": pending_approvals,
        "switch_clients": switch_clients,
        "nav": nav,
        # When the current client's logo last changed (None: no logo), for its URL.
        "client_logo_version": logo_version,
        "is_agency_admin": agency_admin,
    }
