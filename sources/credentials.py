"""Source credentials, encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

Keys come from `LOTSE_CREDENTIALS_KEYS` (newest first, so keys can be rotated); in
development without keys, settings derive one from SECRET_KEY.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    keys = list(settings.LOTSE_CREDENTIALS_KEYS)
    if not keys:
        raise ImproperlyConfigured("Set LOTSE_CREDENTIALS_KEYS to store source credentials")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def credentials_encrypt(values: dict[str, str]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def credentials_decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        data = json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ImproperlyConfigured("Cannot decrypt source credentials with these keys") from exc
    return {str(key): str(value) for key, value in data.items()}
