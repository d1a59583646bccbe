from django.apps import AppConfig


class FrontendConfig(AppConfig):
    """Server-rendered pages and the live inbox websocket."""

    name = "frontend"
