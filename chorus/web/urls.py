from django.contrib.auth import views as auth_views
from django.urls import include, path

from chorus.web import oauth_views, views, workspace_views

workspace_pages = [
    path("", views.workspace_home, name="workspace-home"),
    path("settings/", workspace_views.workspace_settings, name="workspace-settings"),
    path("channels/", views.channels, name="channels"),
    path("channels/connect/", views.channel_connect, name="channel-connect"),
    path("channels/oauth/start/", oauth_views.channel_oauth_start, name="channel-oauth-start"),
    path("channels/<int:channel_id>/slots/", views.channel_slots, name="channel-slots"),
    path("channels/<int:channel_id>/faults/", views.channel_faults, name="channel-faults"),
    path("channels/<int:channel_id>/push/", views.channel_push, name="channel-push"),
    path("posts/", views.posts, name="posts"),
    path("posts/new/", views.composer, name="composer"),
    path("posts/check/", views.composer_check, name="composer-check"),
    path("posts/<int:post_id>/", views.post_detail, name="post-detail"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post-edit"),
    path("posts/<int:post_id>/unschedule/", views.post_unschedule, name="post-unschedule"),
    path("publications/<int:job_id>/retry/", views.publication_retry, name="publication-retry"),
    path("publications/<int:job_id>/mark-posted/", views.publication_mark_posted, name="publication-mark-posted"),
    path("publications/<int:job_id>/edit/", views.publication_edit, name="publication-edit"),
    path("publications/<int:job_id>/delete/", views.publication_delete, name="publication-delete"),
    path("attention/", views.attention, name="attention"),
    path("notifications/", views.notifications, name="notifications"),
    path("tokens/", views.tokens, name="tokens"),
    path("media/", views.media, name="media"),
    path("media/<int:asset_id>/tags/", views.media_tags, name="media-tags"),
    path("media/<int:asset_id>/file/", views.media_file, name="media-file"),
    path("", include("chorus.web.calendar_urls")),
    path("", include("chorus.web.bulk_urls")),
    path("", include("chorus.web.member_urls")),
    path("sources/", include("chorus.sources.urls")),
    path("inbox/", include("chorus.inbox.urls")),
    path("analytics/", include("chorus.analytics.urls")),
    path("reports/", include("chorus.reports.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.language, name="language"),
    # One address for every workspace: the network apps register it once; the state says the workspace.
    path("channels/oauth/callback/", oauth_views.channel_oauth_callback, name="channel-oauth-callback"),
    path("w/<slug:slug>/", include(workspace_pages)),
]
