from django.urls import path

from chorus.inbox import settings_views, views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.inbox_new, name="inbox-new"),
    path("many/", views.inbox_many, name="inbox-many"),
    path("settings/", settings_views.inbox_settings, name="inbox-settings"),
    path("settings/hours/", settings_views.inbox_hours, name="inbox-hours"),
    path("settings/target/", settings_views.inbox_target, name="inbox-target"),
    path("settings/saved-replies/", settings_views.inbox_saved_reply, name="inbox-saved-reply"),
    path("settings/saved-replies/<int:saved_id>/delete/", settings_views.inbox_saved_reply_delete,
         name="inbox-saved-reply-delete"),
    path("settings/rules/", settings_views.inbox_rule, name="inbox-rule"),
    path("settings/copy/", settings_views.inbox_copy_setup, name="inbox-copy-setup"),
    path("settings/rules/<int:rule_id>/", settings_views.inbox_rule_switch, name="inbox-rule-switch"),
    path("settings/alerts/", settings_views.inbox_alerts, name="inbox-alerts"),
    path("settings/alerts/test/", settings_views.inbox_alerts_test, name="inbox-alerts-test"),
    path("settings/spammers/", settings_views.inbox_spammers_add, name="inbox-spammers-add"),
    path("settings/spammers.txt", settings_views.inbox_spammers_listing, name="inbox-spammers-listing"),
    path("settings/spammers/<int:author_id>/off/", settings_views.inbox_spammer_off, name="inbox-spammer-off"),
    path("settings/labels/retrain/", settings_views.inbox_retrain, name="inbox-retrain"),
    path("response-times/", views.inbox_response_times, name="inbox-response-times"),
    path("<int:item_id>/", views.inbox_item, name="inbox-item"),
    path("<int:item_id>/reply/", views.inbox_reply, name="inbox-reply"),
    path("<int:item_id>/note/", views.inbox_note, name="inbox-note"),
    path("<int:item_id>/assign/", views.inbox_assign, name="inbox-assign"),
    path("<int:item_id>/status/", views.inbox_status, name="inbox-status"),
    path("<int:item_id>/moderate/", views.inbox_moderate, name="inbox-moderate"),
    path("<int:item_id>/label/", views.inbox_label, name="inbox-label"),
    path("<int:item_id>/spammer/", views.inbox_spammer, name="inbox-spammer"),
    path("actions/<int:action_id>/undo/", views.inbox_undo, name="inbox-undo"),
]
