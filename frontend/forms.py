from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed

from accounts.selectors import membership_role_for
from config.tenancy import current_client_or_none


class EmailLoginForm(AuthenticationForm):
    """Log in by e-mail; on a client's host only that client's staff get in.

    Someone without a membership gets the same answer as a wrong password, and the attempt
    counts as a failure (django-axes), so the form never confirms that a password was right.
    """

    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        client = current_client_or_none()
        if client is None:
            return
        if membership_role_for(user=user, client=client) is None:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.cleaned_data.get("username")},
                request=self.request,
            )
            raise self.get_invalid_login_error()


class OtpCodeForm(forms.Form):
    """A six-digit code from an authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        return "".join(str(self.cleaned_data["code"]).split()).lower()
