from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "chorus.workspaces"
    label = "workspaces"
