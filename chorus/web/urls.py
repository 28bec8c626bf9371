from django.urls import path

from chorus.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
