from typing import Any

from django.db import connection
from django.http import HttpRequest

from routing.models import Notification


def client(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_client = tenant is not None and tenant.schema_name != "public"
    unread = 0
    user = getattr(request, "user", None)
    if is_client and user is not None and user.is_authenticated:
        unread = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
    return {"current_client": tenant if is_client else None, "unread_notifications": unread}
