"""The agency's host (`localhost`): login and the client overview."""

from config.urls_common import urlpatterns as common

urlpatterns = [*common]
