from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.selectors import membership_role_for
from config.tenancy import current_client_or_none


class EmailLoginForm(AuthenticationForm):
    """Log in by e-mail; on a client's host only that client's staff get in."""

    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        client = current_client_or_none()
        if client is None:
            return
        if membership_role_for(user=user, client=client) is None:
            raise forms.ValidationError(
                f"This account has no access to {client.name}.",
                code="no_membership",
            )
