"""ASGI middleware for websockets: django-tenants' middleware only runs for HTTP.

It resolves the client from the Host header, authenticates by `Authorization: Token …`
(integrators) or by the session cookie (browsers, which must also send a same-host Origin),
checks the membership, and puts `lotse_client_id`, `lotse_role` and `user` in the scope.
All database work happens in one sync function that sets the public schema itself, because
the schema of the event loop's thread does not reach the executor's thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.utils.crypto import constant_time_compare

from accounts.models import Domain, Role
from accounts.security import session_two_factor_verified, two_factor_required
from accounts.selectors import api_token_get, membership_role_for, role_at_least
from config.tenancy import use_client, use_public_schema
from routing.services.assignment import visible_department_ids


@dataclass(frozen=True)
class WebsocketIdentity:
    client_id: int | None
    role: str | None
    user: Any
    # None: everything of the client; else only these departments' events.
    departments: frozenset[int] | None = None


_NOBODY = WebsocketIdentity(client_id=None, role=None, user=None)


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin1"))
    return ""


def _session_user(session_key: str, client: Any) -> Any:
    session = SessionStore(session_key=session_key)
    user_id = session.get(SESSION_KEY)
    backend_path = session.get(BACKEND_SESSION_KEY)
    if user_id is None or not isinstance(backend_path, str):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return None
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    if two_factor_required(user=user, client=client) and not session_two_factor_verified(
        user=user, session=session
    ):
        return None  # the client requires 2FA and this session has not passed it
    return user


def websocket_identify(scope: dict[str, Any]) -> WebsocketIdentity:

    use_public_schema()
    host = _header(scope, b"host").split(":")[0].lower()
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    if domain is None or domain.tenant.schema_name == "public":
        return _NOBODY
    client = domain.tenant

    authorization = _header(scope, b"authorization")
    user: Any
    if authorization:
        keyword, _, raw_key = authorization.partition(" ")
        if keyword.lower() != "token" or not raw_key.strip():
            return _NOBODY
        token = api_token_get(raw_key=raw_key.strip())
        if token is None or token.client_id != client.pk or not token.user.is_active:
            return _NOBODY
        user = token.user
    else:
        origin = _header(scope, b"origin")
        if not origin or urlsplit(origin).netloc.lower() != _header(scope, b"host").lower():
            return _NOBODY  # cookies alone never authenticate a cross-site websocket
        session_key = scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME)
        user = _session_user(session_key, client) if session_key else None
        if user is None:
            return _NOBODY
    role = membership_role_for(user=user, client=client)
    if role is None:
        return _NOBODY
    departments = None
    if not role_at_least(role, Role.MANAGER):
        use_client(client)
        try:
            found = visible_department_ids(user_id=user.pk)
        finally:
            use_public_schema()
        departments = frozenset(found) if found is not None else None
    return WebsocketIdentity(client_id=client.pk, role=role, user=user, departments=departments)


class TenantAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        identity = await database_sync_to_async(websocket_identify)(scope)
        scope = dict(
            scope,
            lotse_client_id=identity.client_id,
            lotse_role=identity.role,
            lotse_departments=identity.departments,
            user=identity.user or AnonymousUser(),
        )
        return await self.inner(scope, receive, send)
