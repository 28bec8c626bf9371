from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "chorus.channels"
    label = "channels"
