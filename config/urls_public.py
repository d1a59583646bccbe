"""The agency's host (`localhost`): login, the client overview and the Django admin.

The admin is routed here only: on a client's host `/admin/` is a 404.
"""

from django.contrib import admin
from django.urls import path

from config.urls_common import urlpatterns as common

urlpatterns = [*common, path("admin/", admin.site.urls)]
