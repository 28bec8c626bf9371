from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "chorus.sandbox"
    label = "sandbox"
