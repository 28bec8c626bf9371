from django.contrib.auth import views as auth_views
from django.urls import include, path

from chorus.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.language, name="language"),
    path("w/<slug:slug>/", views.workspace_home, name="workspace-home"),
    path("", include("chorus.web.calendar_urls")),
]
urlpatterns += [path("", include("chorus.web.bulk_urls"))]
