from django.apps import AppConfig


class TrainingLibraryConfig(AppConfig):
    """Public side of training: the agency's template modules, copied into a client."""

    name = "routing.training.library"
    label = "training_library"
    default_auto_field = "django.db.models.BigAutoField"
