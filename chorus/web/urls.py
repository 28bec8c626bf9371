from django.urls import include, path

from chorus.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("chorus.web.calendar_urls")),
]
urlpatterns += [path("", include("chorus.web.bulk_urls"))]
