from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "chorus.sources"
    label = "sources"
