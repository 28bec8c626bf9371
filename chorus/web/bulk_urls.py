from django.urls import path

from chorus.web import bulk_views

urlpatterns = [
    path("posts/import/", bulk_views.bulk_import, name="bulk-import"),
    path("posts/export.<slug:file_format>", bulk_views.bulk_export, name="bulk-export"),
]
