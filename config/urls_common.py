from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import path

from frontend.views import EmailLoginView, home

urlpatterns = [
    path("", home, name="home"),
    path("login/", EmailLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
