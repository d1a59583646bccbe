from django.apps import AppConfig


class MentionsConfig(AppConfig):
    name = "mentions"
    default_auto_field = "django.db.models.BigAutoField"
