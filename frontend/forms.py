from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection

from accounts.selectors import membership_role_for


class EmailLoginForm(AuthenticationForm):
    """Log in by e-mail; on a client's host only that client's staff get in."""

    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        tenant = connection.tenant
        if tenant.schema_name == "public":
            return
        if membership_role_for(user=user, client=tenant) is None:  # type: ignore[arg-type]
            raise forms.ValidationError(
                f"This account has no access to {tenant.name}.",  # type: ignore[attr-defined]
                code="no_membership",
            )
