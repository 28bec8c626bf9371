from django.urls import path

from chorus.web import member_views

urlpatterns = [
    path("members/", member_views.members, name="members"),
    path("members/add/", member_views.member_add, name="member-add"),
    path("members/<int:user_id>/role/", member_views.member_role, name="member-role"),
    path("members/<int:user_id>/grants/", member_views.member_grants, name="member-grants"),
    path("members/<int:user_id>/remove/", member_views.member_remove, name="member-remove"),
]
