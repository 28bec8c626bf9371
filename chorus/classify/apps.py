from django.apps import AppConfig


class ClassifyConfig(AppConfig):
    name = "chorus.classify"
    label = "classify"
    default_auto_field = "django.db.models.BigAutoField"
