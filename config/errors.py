"""The domain's error tree. Services raise these; `config.api` translates them once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the business errors the services raise."""

    code = "invalid"
    status_code = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotAllowed(DomainError):
    code = "forbidden"
    status_code = 403


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
