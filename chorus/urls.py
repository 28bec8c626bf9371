from django.contrib import admin
from django.urls import include, path

from chorus.api import api
from chorus.inbox.hooks import network_push

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("hooks/<int:channel_id>/", network_push, name="network-push"),
    path("", include("chorus.web.urls")),
]
