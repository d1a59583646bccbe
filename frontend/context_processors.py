from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.logos import clients_with_logo_version
from accounts.models import Role
from accounts.selectors import clients_for_user, is_agency_admin, membership_role_for, role_at_least
from config.reads import reads_combined
from frontend.navigation import agency_nav_entries, nav_entries
from mentions.selectors import approval_queue_for_user
from routing.models import Notification
from routing.training.selectors import training_due_reads, training_due_total


def client(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_client = tenant is not None and tenant.schema_name != "public"
    unread = 0
    pending_approvals = 0
    training_due = 0
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
            role = membership_role_for(user=user, client=tenant)
            # The header's badges, read in one statement: unread notices, replies waiting
            # for an approver (managers and up see them on every page), training to do.
            counts: dict[str, QuerySet[Any]] = {
                "unread": Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
            }
            if role_at_least(role, Role.MANAGER):
                counts["approvals"] = approval_queue_for_user(user=user)
            firsts: dict[str, QuerySet[Any]] = {}
            if role is not None:
                training = training_due_reads(user=user, role=role)
                counts["training"] = training.modules
                if training.guideline is not None:
                    firsts["acknowledged"] = training.guideline
            badges = reads_combined(counts=counts, firsts=firsts)
            unread = badges["unread"]
            pending_approvals = badges.get("approvals", 0)
            if role is not None:
                training_due = training_due_total(
                    modules=badges["training"], acknowledged=badges.get("acknowledged")
                )
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
        # Assigned modules not passed yet, plus the guideline when not acknowledged.
        "training_due": training_due,
        "switch_clients": switch_clients,
        "nav": nav,
        # When the current client's logo last changed (None: no logo), for its URL.
        "client_logo_version": logo_version,
        "is_agency_admin": agency_admin,
    }
