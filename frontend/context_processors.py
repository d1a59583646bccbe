from typing import Any

from django.db import connection
from django.http import HttpRequest


def client(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    is_client = tenant is not None and tenant.schema_name != "public"
    return {"current_client": tenant if is_client else None}
