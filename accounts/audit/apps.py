from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Tenant side of accounts: the client's append-only audit log."""

    name = "accounts.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
