from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """The processes of a deployment: web, worker, beat, and `chorus up` that supervises them in embedded mode."""

    name = "chorus.runtime"
    label = "runtime"
