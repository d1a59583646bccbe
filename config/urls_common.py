from django.urls import path

from frontend.login_views import (
    EmailLoginView,
    handoff,
    login_code,
    logout_everywhere,
    switch_to,
    two_factor_page,
)
from frontend.views import home

urlpatterns = [
    path("", home, name="home"),
    path("login/", EmailLoginView.as_view(), name="login"),
    path("login/code/", login_code, name="login-code"),
    path("logout/", logout_everywhere, name="logout"),
    path("switch/<slug:slug>/", switch_to, name="switch"),
    path("handoff/", handoff, name="handoff"),
    path("account/2fa/", two_factor_page, name="two-factor"),
]
