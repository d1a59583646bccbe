"""ASGI entry point: Django for HTTP, Channels for the live inbox websocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.urls import path  # noqa: E402

from frontend.consumers import InboxConsumer  # noqa: E402
from frontend.websocket import TenantAuthMiddleware  # noqa: E402

websocket_urlpatterns = [path("ws/inbox/", InboxConsumer.as_asgi())]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": CookieMiddleware(TenantAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
