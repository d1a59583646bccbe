from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import path

from frontend.people_views import (
    PasswordResetDone,
    PasswordResetSent,
    PasswordResetSet,
    PasswordResetStart,
    ProfilePasswordView,
    profile_page,
)
from frontend.views import EmailLoginView, home

urlpatterns = [
    path("", home, name="home"),
    path("login/", EmailLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
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
