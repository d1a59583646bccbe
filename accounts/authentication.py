"""API authentication: a token works only on the host it was issued for.

A client token is bound to its client's row; an agency token to the agency's own row (the
public schema's), so it works on the agency host (`localhost`) and on no client's host,
and a client token never works on the agency host."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, User
from accounts.selectors import api_token_get
from accounts.services import api_token_touch
from config.tenancy import current_tenant_pk


class ClientTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw_key = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Malformed token.") from exc
        token = api_token_for_current_client(raw_key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token for this client.")
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def api_token_for_current_client(raw_key: str) -> ApiToken | None:
    """The token if it is live, its user active, and it belongs to the tenant being served
    (a client, or the agency on its own host)."""
    token = api_token_get(raw_key=raw_key)
    tenant_pk = current_tenant_pk()
    if token is None or tenant_pk is None or token.client_id != tenant_pk:
        return None
    if not token.user.is_active:
        return None
    return token
