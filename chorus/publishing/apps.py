from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "chorus.publishing"
    label = "publishing"
