from typing import Any

from django.db import connection
from django.http import HttpRequest

from accounts.selectors import clients_for_user
from routing.models import Notification


def client(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_client = tenant is not None and tenant.schema_name != "public"
    unread = 0
    switch_clients: list[Any] = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # The header's client switcher: only the clients this person belongs to.
        switch_clients = list(clients_for_user(user=user).only("name", "slug"))
        if is_client:
            unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
    return {
        "current_client": tenant if is_client else None,
        "unread_notifications": unread,
        "switch_clients": switch_clients,
    }
