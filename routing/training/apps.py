from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Tenant side of training: modules, quizzes, certificates, guidelines (client schema)."""

    name = "routing.training"
    label = "training"
    default_auto_field = "django.db.models.BigAutoField"
