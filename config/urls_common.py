from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from frontend.login_views import (
    EmailLoginView,
    handoff,
    login_code,
    logout_everywhere,
    switch_to,
    two_factor_page,
)
from frontend.people_views import (
    PasswordResetDone,
    PasswordResetSent,
    PasswordResetSet,
    PasswordResetStart,
    ProfilePasswordView,
    profile_page,
)
from frontend.views import home

urlpatterns = [
    path("", home, name="home"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the SVG icon.
    path("favicon.ico", RedirectView.as_view(url=static("frontend/favicon.svg")), name="favicon"),
    path("login/", EmailLoginView.as_view(), name="login"),
    path("login/code/", login_code, name="login-code"),
    path("logout/", logout_everywhere, name="logout"),
    path("switch/<slug:slug>/", switch_to, name="switch"),
    path("handoff/", handoff, name="handoff"),
    path("account/2fa/", two_factor_page, name="two-factor"),
    path("profile/", profile_page, name="profile"),
    path("profile/password", ProfilePasswordView.as_view(), name="password-change"),
    path("password-reset/", PasswordResetStart.as_view(), name="password-reset"),
    path("password-reset/sent", PasswordResetSent.as_view(), name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        PasswordResetSet.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done", PasswordResetDone.as_view(), name="password-reset-done"),
]
