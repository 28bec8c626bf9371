"""People using the API: tokens bound to a workspace, no leaking by id guessing, time zones, limits, CSRF."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from PIL import Image

from chorus.channels.services import connect_channel
from chorus.conftest import make_user
from chorus.content.media import upload_media
from chorus.content.models import Post
from chorus.content.services import write_post
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import PublishJob
from chorus.sandbox.models import SandboxPost
from chorus.workspaces.roles import Role
from chorus.workspaces.services import add_member, create_api_token

JSON = "application/json"


def bearer(user, workspace) -> Client:
    _token, raw = create_api_token(actor=user, workspace=workspace, name="script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def tea_post(other_workspace):
    stranger = other_workspace.memberships.get().user
    tea_channel = connect_channel(actor=stranger, workspace=other_workspace, network="sandbox", name="Tea TG")
    return write_post(actor=stranger, workspace=other_workspace, text="Secret tea launch", channel_ids=[tea_channel.pk])


def test_owner_token_for_coffee_is_a_stranger_in_her_other_workspace(owner, workspace, other_workspace):
    add_member(actor=other_workspace.memberships.get().user, workspace=other_workspace, user=owner,
               role=Role.MANAGER)
    token_client = bearer(owner, workspace)
    assert token_client.get("/api/v1/workspaces/coffee/posts").status_code == 200
    refused = token_client.get("/api/v1/workspaces/tea/posts")
    assert refused.status_code == 404
    assert refused.json() == token_client.get("/api/v1/workspaces/no-such-place/posts").json()
    assert [w["slug"] for w in token_client.get("/api/v1/workspaces").json()] == ["coffee"]
    session = Client()
    session.force_login(owner)
    assert session.get("/api/v1/workspaces/tea/posts").status_code == 200  # she is a manager there


def test_editor_guessing_another_workspace_post_id_gets_the_same_404_as_for_a_missing_one(editor, workspace,
                                                                                           tea_post):
    client = bearer(editor, workspace)
    guessed = client.get(f"/api/v1/workspaces/coffee/posts/{tea_post.pk}")
    missing = client.get("/api/v1/workspaces/coffee/posts/999999")
    assert guessed.status_code == missing.status_code == 404
    assert guessed.json() == missing.json()
    assert "Secret" not in guessed.content.decode()
    assert client.delete(f"/api/v1/workspaces/coffee/posts/{tea_post.pk}").status_code == 404
    assert Post.objects.filter(pk=tea_post.pk).exists()


def test_editor_schedules_at_ten_moscow_time_and_the_job_is_due_at_seven_utc(editor, workspace, channel):
    response = bearer(editor, workspace).post(
        "/api/v1/workspaces/coffee/posts",
        {"text": "Новый сорт эфиопии", "channels": [channel.pk], "at": "2030-06-01T10:00"}, content_type=JSON)
    assert response.status_code == 201, response.content
    [job] = response.json()["jobs"]
    assert job["due_at"] == "2030-06-01T07:00:00Z"
    assert job["status"] == "scheduled" and job["channel"] == channel.pk
    assert PublishJob.objects.get(pk=job["id"]).due_at.isoformat() == "2030-06-01T07:00:00+00:00"


def test_an_offset_is_taken_as_is_and_a_skipped_time_is_refused(editor, other_workspace):
    stranger = other_workspace.memberships.get().user
    add_member(actor=stranger, workspace=other_workspace, user=editor, role=Role.EDITOR)
    tea_channel = connect_channel(actor=stranger, workspace=other_workspace, network="sandbox", name="Tea TG")
    client = bearer(editor, other_workspace)
    body = {"text": "Spring tea", "channels": [tea_channel.pk]}
    kept = client.post("/api/v1/workspaces/tea/posts", body | {"at": "2030-03-31T01:30+05:00"}, content_type=JSON)
    assert kept.json()["jobs"][0]["due_at"] == "2030-03-30T20:30:00Z"
    skipped = client.post("/api/v1/workspaces/tea/posts", body | {"at": "2030-03-31T01:30"}, content_type=JSON)
    assert skipped.status_code == 422
    assert "does not exist" in skipped.json()["detail"][0]


def test_post_over_the_limit_is_refused_with_the_channel_problem_and_nothing_is_stored(editor, workspace, channel,
                                                                                        second_channel):
    client = bearer(editor, workspace)
    response = client.post("/api/v1/workspaces/coffee/posts",
                           {"text": "☕" * 4001, "channels": [channel.pk, second_channel.pk], "at": "now"},
                           content_type=JSON)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {p["channel"] for p in problems} == {channel.pk, second_channel.pk}
    assert problems[0]["code"] == "too_long" and (problems[0]["start"], problems[0]["end"]) == (4000, 4001)
    assert not Post.objects.exists() and not PublishJob.objects.exists()


def test_a_draft_over_the_limit_stays_as_written_when_scheduling_is_refused(editor, workspace, channel):
    client = bearer(editor, workspace)
    draft = client.post("/api/v1/workspaces/coffee/posts", {"text": "☕" * 4001, "channels": [channel.pk]},
                        content_type=JSON).json()
    refused = client.post(f"/api/v1/workspaces/coffee/posts/{draft['id']}/schedule", {"at": "now"},
                          content_type=JSON)
    assert refused.status_code == 422 and refused.json()["problems"][0]["channel"] == channel.pk
    again = client.get(f"/api/v1/workspaces/coffee/posts/{draft['id']}").json()
    assert again["text"] == "☕" * 4001 and again["jobs"] == []


def test_composer_check_reports_length_limit_and_fold_per_channel(editor, workspace, channel):
    response = bearer(editor, workspace).post("/api/v1/workspaces/coffee/check",
                                              {"text": "Раф " * 100, "channels": [channel.pk]}, content_type=JSON)
    [check] = response.json()
    assert (check["channel"], check["length"], check["limit"], check["unit"]) == (channel.pk, 400, 4000,
                                                                                  "codepoint")
    assert check["problems"] == [] and check["preview_fold"] is not None


def test_editor_rewrites_a_draft_keeping_what_she_did_not_send(editor, workspace, channel, second_channel):
    client = bearer(editor, workspace)
    draft = client.post("/api/v1/workspaces/coffee/posts",
                        {"text": "Раф", "channels": [channel.pk, second_channel.pk],
                         "variants": [{"channel": second_channel.pk, "text": "Раф для Telegram"}]},
                        content_type=JSON).json()
    changed = client.patch(f"/api/v1/workspaces/coffee/posts/{draft['id']}", {"text": "Раф с лавандой"},
                           content_type=JSON).json()
    assert changed["text"] == "Раф с лавандой"
    assert {v["channel"]: v["text"] for v in changed["variants"]} == {channel.pk: "",
                                                                     second_channel.pk: "Раф для Telegram"}


def test_browser_session_needs_the_csrf_token_but_a_bearer_token_does_not(editor, workspace, channel):
    body = {"text": "Без CSRF", "channels": [channel.pk]}
    nobody = Client(enforce_csrf_checks=True)
    assert nobody.post("/api/v1/workspaces/coffee/posts", body, content_type=JSON).status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert browser.post("/api/v1/workspaces/coffee/posts", body, content_type=JSON).status_code == 403
    secret = _get_new_csrf_string()
    browser.cookies["csrftoken"] = secret
    assert browser.post("/api/v1/workspaces/coffee/posts", body, content_type=JSON,
                        HTTP_X_CSRFTOKEN=secret).status_code == 201
    _token, raw = create_api_token(actor=editor, workspace=workspace, name="script")
    script = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert script.post("/api/v1/workspaces/coffee/posts", body, content_type=JSON).status_code == 201


def test_a_deactivated_person_token_no_longer_opens_anything(editor, workspace):
    client = bearer(editor, workspace)
    editor.is_active = False
    editor.save()
    assert client.get("/api/v1/workspaces/coffee/posts").status_code == 401


def test_openapi_documents_the_error_answers_of_every_workspace_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401"} <= documented, (method, path)
            if path.startswith("/api/v1/workspaces/{slug}"):
                assert {"403", "404", "422"} <= documented, (method, path)
    problems = schema["components"]["schemas"]["PostProblems"]["properties"]
    assert {"detail", "problems"} <= set(problems)


def test_editor_finds_a_failed_publication_reads_its_log_and_marks_it_posted(editor, workspace, channel):
    client = bearer(editor, workspace)
    channel.credentials = {"token": "revoked"}
    channel.save()
    post = client.post("/api/v1/workspaces/coffee/posts", {"text": "Осенний раф", "channels": [channel.pk],
                                                           "at": "now"}, content_type=JSON).json()
    for job_id in dispatcher.claim_due("api-test-worker"):
        sender.send(job_id, "api-test-worker")
    [failed] = client.get("/api/v1/workspaces/coffee/needs-attention").json()
    assert (failed["post"], failed["status"]) == (post["id"], "failed")
    detail = client.get(f"/api/v1/workspaces/coffee/publications/{failed['id']}").json()
    assert [entry["outcome"] for entry in detail["log"]] == ["failed"]
    assert "token" in detail["last_error"]

    [alert] = client.get("/api/v1/workspaces/coffee/notifications?unread=true").json()
    assert alert["kind"] == "publication_failed"
    assert client.post("/api/v1/workspaces/coffee/notifications/read", {}, content_type=JSON).json() == {"marked": 1}
    assert client.get("/api/v1/workspaces/coffee/notifications?unread=true").json() == []

    marked = client.post(f"/api/v1/workspaces/coffee/publications/{failed['id']}/mark-posted",
                                {"remote_url": "https://vk.com/wall-1_7"}, content_type=JSON).json()
    assert marked["status"] == "published" and marked["remote_url"] == "https://vk.com/wall-1_7"
    assert [entry["outcome"] for entry in marked["log"]] == ["failed", "manual"]
    again = client.post(f"/api/v1/workspaces/coffee/publications/{failed['id']}/retry")
    assert again.status_code == 422 and "can be retried" in again.json()["detail"][0]
    assert client.get("/api/v1/workspaces/coffee/needs-attention").json() == []


def test_owner_adds_an_editor_over_the_api_who_then_sees_the_workspace(owner, workspace, channel):
    nina = make_user("nina")
    added = bearer(owner, workspace).post("/api/v1/workspaces/coffee/members",
                                          {"username": "nina", "role": "editor", "grants": ["inbox.moderate"]},
                                          content_type=JSON)
    assert added.status_code == 201, added.content
    assert {k: added.json()[k] for k in ("user_id", "username", "role", "grants", "password")} == {
        "user_id": nina.pk, "username": "nina", "role": "editor", "grants": ["inbox.moderate"], "password": None}
    session = Client()
    session.force_login(nina)
    assert [w["slug"] for w in session.get("/api/v1/workspaces").json()] == ["coffee"]
    assert session.get("/api/v1/workspaces/coffee/channels").json()[0]["id"] == channel.pk
    twice = bearer(owner, workspace).post("/api/v1/workspaces/coffee/members", {"username": "nina", "role": "client"},
                                          content_type=JSON)
    assert twice.status_code == 422 and "already a member" in twice.json()["detail"][0]


def test_a_new_account_made_over_the_api_signs_in_with_the_password_in_the_answer(owner, workspace):
    made = bearer(owner, workspace).post("/api/v1/workspaces/coffee/members",
                                         {"username": "pavel", "role": "analyst", "create": True},
                                         content_type=JSON).json()
    assert made["role"] == "analyst" and made["password"]
    assert Client().login(username="pavel", password=made["password"])
    listed = bearer(owner, workspace).get("/api/v1/workspaces/coffee/members").json()
    assert [(m["username"], m["role"]) for m in listed] == [("olga", "owner"), ("pavel", "analyst")]
    assert all("password" not in m for m in listed)


def test_the_last_owner_cannot_leave_or_step_down_over_the_api(owner, workspace, team):
    client = bearer(owner, workspace)
    left = client.delete(f"/api/v1/workspaces/coffee/members/{owner.pk}")
    assert left.status_code == 422 and "last owner" in left.json()["detail"][0]
    demoted = client.patch(f"/api/v1/workspaces/coffee/members/{owner.pk}", {"role": "manager"}, content_type=JSON)
    assert demoted.status_code == 422
    # A refused grant undoes the role change that came with it.
    mixed = client.patch(f"/api/v1/workspaces/coffee/members/{team[Role.EDITOR].pk}",
                         {"role": "client", "grants": ["inbox.moderate"]}, content_type=JSON)
    assert mixed.status_code == 422 and "cannot be granted" in mixed.json()["detail"][0]
    roles = dict(workspace.memberships.values_list("user__username", "role"))
    assert (roles["olga"], roles["editor-user"]) == (Role.OWNER, Role.EDITOR)


def test_a_removed_member_token_stops_working(owner, workspace, editor):
    editors_token = bearer(editor, workspace)
    assert editors_token.get("/api/v1/workspaces/coffee/posts").status_code == 200
    assert bearer(owner, workspace).delete(f"/api/v1/workspaces/coffee/members/{editor.pk}").status_code == 204
    assert editors_token.get("/api/v1/workspaces/coffee/posts").status_code == 401


def test_a_manager_guessing_another_workspace_member_id_gets_the_same_404_as_for_nobody(team, workspace,
                                                                                       other_workspace):
    sam = other_workspace.memberships.get().user
    client = bearer(team[Role.MANAGER], workspace)
    for method, body in [("patch", {"role": "client"}), ("delete", None)]:
        guessed = getattr(client, method)(f"/api/v1/workspaces/coffee/members/{sam.pk}", body, content_type=JSON)
        missing = getattr(client, method)("/api/v1/workspaces/coffee/members/999999", body, content_type=JSON)
        assert guessed.status_code == missing.status_code == 404
        assert guessed.json() == missing.json() == {"detail": "No such member in this workspace."}
    assert client.get("/api/v1/workspaces/tea/members").status_code == 404
    assert "sam" not in client.get("/api/v1/workspaces/coffee/members").content.decode()
    assert other_workspace.memberships.get().role == Role.OWNER


def library_image(person, workspace, name: str):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "peru").save(buffer, "PNG")
    return upload_media(actor=person, workspace=workspace,
                        uploaded_file=SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png"))


def test_editor_attaches_a_library_image_over_the_api_and_another_workspace_image_is_refused(
        editor, workspace, channel, other_workspace, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    latte = library_image(editor, workspace, "latte.png")
    tea = library_image(other_workspace.memberships.get().user, other_workspace, "tea.png")
    client = bearer(editor, workspace)
    refused = client.post("/api/v1/workspaces/coffee/posts", {"text": "Чужая", "channels": [channel.pk],
                                                              "media": [tea.pk], "at": "now"}, content_type=JSON)
    assert refused.status_code == 422 and refused.json()["detail"] == [f"Unknown media: {tea.pk}"]
    assert not Post.objects.exists()
    made = client.post("/api/v1/workspaces/coffee/posts", {"text": "Латте-арт", "channels": [channel.pk],
                                                           "media": [latte.pk], "at": "now"}, content_type=JSON)
    assert made.status_code == 201, made.content
    for job_id in dispatcher.claim_due("api-test-worker"):
        sender.send(job_id, "api-test-worker")
    [job] = client.get(f"/api/v1/workspaces/coffee/posts/{made.json()['id']}").json()["jobs"]
    assert job["status"] == "published"
    assert SandboxPost.objects.get(remote_id=job["remote_id"]).media_count == 1
